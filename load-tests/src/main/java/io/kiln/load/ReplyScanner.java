package io.kiln.load;

/**
 * Incremental RESP2/RESP3 reply scanner: it does not build replies, it only finds where each
 * top-level reply ends and whether it was an error. Bytes may arrive split anywhere (inside a
 * length line, inside a bulk payload, between the CR and the LF); the scanner keeps its state
 * between {@link #feed} calls and never buffers payload bytes.
 *
 * <p>Owned by one connection, so by the event loop thread that connection runs on (or by the
 * calling thread for the blocking control client). Not thread-safe.
 */
public final class ReplyScanner {

  /** Receives one call per complete top-level reply. */
  public interface Listener {
    /**
     * @param error true for a top-level error reply ({@code -} or blob error {@code !})
     * @param message the first bytes of the error line (null when not an error)
     */
    void onReply(boolean error, String message);
  }

  private static final int TYPE = 0;
  private static final int LINE = 1;
  private static final int LINE_LF = 2;
  private static final int BULK = 3;
  private static final int MAX_MESSAGE = 120;

  private final Listener listener;
  private int state = TYPE;
  private byte type;
  private long number;
  private boolean negative;
  private long bulkRemaining;
  private long[] stack = new long[8];
  private int depth;
  private boolean replyError;
  private boolean replyNull;
  private final StringBuilder message = new StringBuilder();
  private boolean capturing;

  public ReplyScanner(Listener listener) {
    this.listener = listener;
  }

  /** Scans {@code len} bytes of {@code data} from {@code off}. */
  public void feed(byte[] data, int off, int len) {
    int i = off;
    int end = off + len;
    while (i < end) {
      switch (state) {
        case TYPE -> {
          type = data[i++];
          number = 0;
          negative = false;
          capturing = depth == 0 && (type == '-');
          if (capturing) {
            replyError = true;
            message.setLength(0);
          }
          state = LINE;
        }
        case LINE -> {
          byte b = data[i++];
          if (b == '\r') {
            state = LINE_LF;
          } else if (b == '\n') {
            endOfLine();
          } else if (capturing) {
            if (message.length() < MAX_MESSAGE) {
              message.append((char) (b & 0xff));
            }
          } else if (b == '-') {
            negative = true;
          } else if (b >= '0' && b <= '9') {
            number = number * 10 + (b - '0');
          }
        }
        case LINE_LF -> {
          i++; // the LF after the CR
          endOfLine();
        }
        case BULK -> {
          long take = Math.min(bulkRemaining, end - i);
          i += (int) take;
          bulkRemaining -= take;
          if (bulkRemaining == 0) {
            state = TYPE;
            elementDone();
          }
        }
        default -> throw new IllegalStateException("state " + state);
      }
    }
  }

  private void endOfLine() {
    long n = negative ? -number : number;
    state = TYPE;
    if (depth == 0 && (type == '_' || (n < 0 && (type == '$' || type == '*')))) {
      replyNull = true;
    }
    switch (type) {
      case '$', '=', '!' -> {
        if (type == '!' && depth == 0) {
          replyError = true;
          message.setLength(0);
          message.append("(blob error)");
        }
        if (n < 0) {
          elementDone();
        } else {
          bulkRemaining = n + 2;
          state = BULK;
        }
      }
      case '*', '~', '>' -> open(n);
      case '%', '|' -> open(n < 0 ? n : 2 * n);
      default -> elementDone();
    }
  }

  private void open(long count) {
    if (count <= 0) {
      elementDone();
      return;
    }
    if (depth == stack.length) {
      stack = java.util.Arrays.copyOf(stack, depth * 2);
    }
    stack[depth++] = count;
  }

  private void elementDone() {
    while (depth > 0) {
      if (--stack[depth - 1] > 0) {
        return;
      }
      depth--;
    }
    boolean err = replyError;
    replyError = false;
    capturing = false;
    try {
      listener.onReply(err, err ? message.toString() : null);
    } finally {
      replyNull = false;
    }
  }

  /**
   * True, during {@link Listener#onReply}, when that reply is a null ({@code $-1}, {@code *-1} or
   * RESP3 {@code _}): a GET on a missing key.
   */
  public boolean replyNull() {
    return replyNull;
  }

  /** True when no reply is partly scanned. */
  public boolean idle() {
    return state == TYPE && depth == 0;
  }
}
