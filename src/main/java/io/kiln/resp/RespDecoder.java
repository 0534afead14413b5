package io.kiln.resp;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Incremental RESP request decoder: multibulk ({@code *N\r\n$len\r\narg\r\n...}) and inline
 * commands. Bytes arrive in any split ({@link #append}); {@link #next} returns one complete
 * command at a time, or null when more bytes are needed, so a connection can stop pulling
 * commands (blocked, paused) without losing what is buffered.
 *
 * <p>Owned by the event loop of its connection; not thread-safe.
 */
public final class RespDecoder {
  /** Longest count line or inline request Redis accepts before it has seen the newline. */
  public static final int INLINE_MAX = 64 * 1024;
  /** Before AUTH, Redis refuses more than this many arguments... */
  static final int UNAUTH_MAX_ARGS = 10;
  /** ...and bulk strings longer than this. */
  static final int UNAUTH_MAX_BULK = 16384;
  /** Most room reserved ahead of the bytes of a partly received bulk. */
  static final int PREALLOC_MAX = 1024 * 1024;

  private static final byte[] EMPTY = new byte[0];
  /**
   * The bytes received: empty while nothing is pending (an idle connection holds no buffer);
   * when a read arrives with nothing pending, the read's own array (see {@link #append}).
   */
  private byte[] buf = EMPTY;
  /** First unread byte in {@link #buf}. */
  private int pos;
  /** One past the last buffered byte. */
  private int end;

  /** Arguments still expected by the multibulk being decoded; 0 when between commands. */
  private int argsLeft;
  /** Arguments of the multibulk being decoded (null between commands). */
  private byte[][] args;
  /** How many of {@link #args} are filled. */
  private int argsRead;
  /** Length of the bulk string being waited for, or -1 while its {@code $len} line is awaited. */
  private long bulkLen = -1;
  /** Bytes held by completed arguments of the current command (for the query buffer limit). */
  private long heldBytes;

  private long maxBulkLen = 512L * 1024 * 1024;
  private long queryBufferLimit = 1024L * 1024 * 1024;
  private boolean authRequired;

  public void limits(long maxBulkLen, long queryBufferLimit) {
    this.maxBulkLen = maxBulkLen;
    this.queryBufferLimit = queryBufferLimit;
  }

  /** While true, the stricter pre-authentication limits apply. */
  public void authRequired(boolean required) {
    this.authRequired = required;
  }

  /**
   * Buffers {@code data}. Returns false when the query buffer limit is exceeded. With nothing
   * pending, a heap buffer of its own (Vert.x copies a read out of Netty's pooled memory into a
   * new unpooled array, which nobody else keeps) is decoded in place, not copied.
   */
  public boolean append(Buffer data) {
    int n = data.length();
    if (pos == end) {
      if (data instanceof io.vertx.core.internal.buffer.BufferInternal b) {
        io.netty.buffer.ByteBuf bb = b.getByteBuf();
        if (bb.hasArray() && !(bb.alloc() instanceof io.netty.buffer.PooledByteBufAllocator)
            && !(bb.alloc() instanceof io.netty.buffer.AdaptiveByteBufAllocator)) {
          buf = bb.array();
          pos = bb.arrayOffset() + bb.readerIndex();
          end = pos + n;
          return bufferedBytes() <= queryBufferLimit;
        }
      }
      pos = 0;
      end = 0;
    }
    ensureRoom(n);
    data.getBytes(0, n, buf, end);
    end += n;
    return bufferedBytes() <= queryBufferLimit;
  }

  /** Bytes received and not yet returned as a command. */
  public long bufferedBytes() {
    return (long) (end - pos) + heldBytes;
  }

  /** Bytes received and not yet decoded (the completed arguments of a partial command aside). */
  public int unparsedBytes() {
    return end - pos;
  }

  /** Bytes of the completed arguments of the command being received. */
  public long heldBytes() {
    return heldBytes;
  }

  /** Length of the bulk string being received, or -1 when none is (between arguments). */
  public long pendingBulkLength() {
    return args != null ? bulkLen : -1;
  }

  /** True when nothing is buffered (no partial command). */
  public boolean isEmpty() {
    return end == pos && args == null;
  }

  /**
   * The next complete command, or null if more bytes are needed. Empty commands (an empty inline
   * line, {@code *0}) are skipped.
   */
  public byte[][] next() throws ProtocolException {
    for (;;) {
      if (args == null) {
        if (pos == end) {
          return null;
        }
        if (buf[pos] == '*') {
          if (!readMultibulkCount()) {
            return null;
          }
          if (args == null) {
            continue; // *0 or *-1: nothing to run
          }
        } else {
          byte[][] inline = readInline();
          if (inline == null) {
            return null;
          }
          if (inline.length == 0) {
            continue;
          }
          return inline;
        }
      }
      if (!readBulks()) {
        return null;
      }
      byte[][] done = args;
      args = null;
      heldBytes = 0;
      return done;
    }
  }

  private boolean readMultibulkCount() throws ProtocolException {
    int nl = indexOfCrlf(pos + 1);
    if (nl < 0) {
      if (end - pos > INLINE_MAX) {
        throw new ProtocolException(Errors.PROTOCOL_MBULK_COUNT_TOO_BIG);
      }
      return false;
    }
    long count = parseLong(pos + 1, nl);
    if (count == Long.MIN_VALUE || count > Integer.MAX_VALUE) {
      throw new ProtocolException(Errors.PROTOCOL_INVALID_MBULK);
    }
    if (count > UNAUTH_MAX_ARGS && authRequired) {
      throw new ProtocolException(Errors.PROTOCOL_UNAUTH_MBULK);
    }
    pos = nl + 2;
    if (count > 0) {
      // Grow the array as arguments arrive: a huge announced count costs nothing until sent.
      args = new byte[(int) Math.min(count, 1024)][];
      argsLeft = (int) count;
      argsRead = 0;
      bulkLen = -1;
    }
    return true;
  }

  private boolean readBulks() throws ProtocolException {
    while (argsLeft > 0) {
      if (bulkLen < 0) {
        if (pos == end) {
          return false;
        }
        int nl = indexOfCrlf(pos + 1);
        if (nl < 0) {
          if (end - pos > INLINE_MAX) {
            throw new ProtocolException(Errors.PROTOCOL_BULK_COUNT_TOO_BIG);
          }
          return false;
        }
        if (buf[pos] != '$') {
          throw new ProtocolException(
              String.format(Errors.PROTOCOL_EXPECTED_DOLLAR, (char) (buf[pos] & 0xff)));
        }
        long len = parseLong(pos + 1, nl);
        if (len == Long.MIN_VALUE || len < 0 || len > maxBulkLen) {
          throw new ProtocolException(Errors.PROTOCOL_INVALID_BULK);
        }
        if (len > UNAUTH_MAX_BULK && authRequired) {
          throw new ProtocolException(Errors.PROTOCOL_UNAUTH_BULK);
        }
        pos = nl + 2;
        bulkLen = len;
      }
      if (end - pos < bulkLen + 2) {
        // Reserve room for the rest of the bulk, but only a bounded step ahead of what has
        // arrived: an announced length costs no memory until its bytes come (append doubles).
        ensureRoom((int) Math.min(bulkLen + 2 - (end - pos), PREALLOC_MAX));
        return false;
      }
      byte[] arg = new byte[(int) bulkLen];
      System.arraycopy(buf, pos, arg, 0, arg.length);
      pos += arg.length + 2; // Redis does not check that the bulk ends in CRLF; neither do we
      if (argsRead == args.length) {
        byte[][] grown = new byte[(int) Math.min((long) args.length * 2, argsRead + argsLeft)][];
        System.arraycopy(args, 0, grown, 0, argsRead);
        args = grown;
      }
      args[argsRead++] = arg;
      heldBytes += arg.length;
      argsLeft--;
      bulkLen = -1;
    }
    return true;
  }

  private byte[][] readInline() throws ProtocolException {
    int nl = -1;
    for (int i = pos; i < end; i++) {
      if (buf[i] == '\n') {
        nl = i;
        break;
      }
      if (buf[i] == 0) {
        break; // Redis looks for the newline with strchr: a NUL hides it (the line never ends)
      }
    }
    if (nl < 0) {
      if (end - pos > INLINE_MAX) {
        throw new ProtocolException(Errors.PROTOCOL_INLINE_TOO_BIG);
      }
      return null;
    }
    int lineEnd = nl > pos && buf[nl - 1] == '\r' ? nl - 1 : nl;
    String line = new String(buf, pos, lineEnd - pos, StandardCharsets.ISO_8859_1);
    pos = nl + 1;
    List<byte[]> words = splitArgs(line);
    if (words == null) {
      throw new ProtocolException(Errors.PROTOCOL_UNBALANCED_QUOTES);
    }
    return words.toArray(new byte[0][]);
  }

  /**
   * Splits an inline line the way redis-cli and Redis's inline parser do: spaces separate words,
   * "double quotes" take \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes' take \'.
   * Characters are bytes (ISO-8859-1). Returns null on unbalanced quotes.
   */
  public static List<byte[]> splitArgs(String line) {
    List<byte[]> out = new ArrayList<>();
    int i = 0;
    int n = line.length();
    while (true) {
      while (i < n && Character.isWhitespace(line.charAt(i))) {
        i++;
      }
      if (i >= n) {
        return out;
      }
      StringBuilder cur = new StringBuilder();
      boolean inDq = false;
      boolean inSq = false;
      boolean done = false;
      while (!done) {
        if (i >= n) {
          if (inDq || inSq) {
            return null;
          }
          break;
        }
        char c = line.charAt(i);
        if (inDq) {
          if (c == '\\' && i + 3 < n && line.charAt(i + 1) == 'x'
              && isHex(line.charAt(i + 2)) && isHex(line.charAt(i + 3))) {
            cur.append((char) Integer.parseInt(line.substring(i + 2, i + 4), 16));
            i += 3;
          } else if (c == '\\' && i + 1 < n) {
            i++;
            char e = line.charAt(i);
            cur.append(switch (e) {
              case 'n' -> '\n';
              case 'r' -> '\r';
              case 't' -> '\t';
              case 'b' -> '\b';
              case 'a' -> (char) 7;
              default -> e;
            });
          } else if (c == '"') {
            // a closing quote must be followed by a space or the end
            if (i + 1 < n && !Character.isWhitespace(line.charAt(i + 1))) {
              return null;
            }
            done = true;
          } else {
            cur.append(c);
          }
        } else if (inSq) {
          if (c == '\\' && i + 1 < n && line.charAt(i + 1) == '\'') {
            i++;
            cur.append('\'');
          } else if (c == '\'') {
            if (i + 1 < n && !Character.isWhitespace(line.charAt(i + 1))) {
              return null;
            }
            done = true;
          } else {
            cur.append(c);
          }
        } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0) {
          done = true;
        } else if (c == '"') {
          inDq = true;
        } else if (c == '\'') {
          inSq = true;
        } else {
          cur.append(c);
        }
        i++;
      }
      out.add(cur.toString().getBytes(StandardCharsets.ISO_8859_1));
    }
  }

  private static boolean isHex(char c) {
    return Character.digit(c, 16) >= 0;
  }

  /**
   * Where a count line ends, found as Redis finds it: the first '\r' at or after {@code from}
   * (with strchr, so a NUL before it hides it), once one more byte has arrived; the two bytes are
   * then skipped without checking the second is '\n'. -1 while the line is incomplete.
   */
  private int indexOfCrlf(int from) {
    for (int i = from; i < end; i++) {
      if (buf[i] == 0) {
        return -1;
      }
      if (buf[i] == '\r') {
        return i + 1 < end ? i : -1;
      }
    }
    return -1;
  }

  /** Parses a strict (string2ll) decimal integer in buf[from, to); Long.MIN_VALUE when malformed. */
  private long parseLong(int from, int to) {
    if (from >= to || to - from > 20) {
      return Long.MIN_VALUE;
    }
    boolean neg = buf[from] == '-';
    int i = neg ? from + 1 : from;
    if (i == to) {
      return Long.MIN_VALUE;
    }
    // string2ll: no leading zeros, so "01" and "-0" are malformed; only "0" itself is zero
    if (buf[i] == '0' && (to - from) != 1) {
      return Long.MIN_VALUE;
    }
    long v = 0;
    for (; i < to; i++) {
      int d = buf[i] - '0';
      if (d < 0 || d > 9 || v > (Long.MAX_VALUE - d) / 10) {
        return Long.MIN_VALUE;
      }
      v = v * 10 + d;
    }
    return neg ? -v : v;
  }

  /** Makes room for {@code more} bytes after {@link #end}, compacting before growing. */
  private void ensureRoom(int more) {
    if (buf.length - end >= more) {
      return;
    }
    int unread = end - pos;
    if (pos > 0 && buf.length - unread >= more && unread < buf.length / 2) {
      System.arraycopy(buf, pos, buf, 0, unread);
    } else {
      long want = Math.max((long) unread + more, Math.max((long) buf.length * 2, 1024));
      byte[] grown = new byte[(int) Math.min(want, Integer.MAX_VALUE - 8)];
      System.arraycopy(buf, pos, grown, 0, unread);
      buf = grown;
    }
    pos = 0;
    end = unread;
  }

  /**
   * Lets go of the buffer once everything in it is decoded (called after each read batch), as
   * Redis frees an idle client's query buffer: an idle connection holds no bytes here.
   */
  public void trim() {
    if (pos == end) {
      buf = EMPTY;
      pos = 0;
      end = 0;
    }
  }
}
