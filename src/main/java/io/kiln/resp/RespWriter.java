package io.kiln.resp;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Encodes replies for one connection into a growable byte array; the replies of one read batch
 * leave in a single socket write ({@link #take}). Knows the connection's protocol version and
 * types replies for it: maps, sets, doubles, nulls and booleans are RESP3 types under HELLO 3 and
 * their RESP2 equivalents otherwise.
 *
 * <p>Owned by the event loop of its connection; not thread-safe.
 */
public final class RespWriter {
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[][] SMALL_INTS = new byte[1024][];

  static {
    for (int i = 0; i < SMALL_INTS.length; i++) {
      SMALL_INTS[i] = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
    }
  }

  private static final byte[] EMPTY = new byte[0];
  /** Replies not yet taken; empty between read batches, so an idle connection holds nothing. */
  private byte[] buf = EMPTY;
  /** The size to start the next batch's array at: the last one's, between 256 B and 64 KB. */
  private int nextSize = 256;
  private int len;
  private int protocol = 2;

  public int protocol() {
    return protocol;
  }

  public void protocol(int version) {
    this.protocol = version;
  }

  public boolean resp3() {
    return protocol == 3;
  }

  public boolean isEmpty() {
    return len == 0;
  }

  public int size() {
    return len;
  }

  /** A position to {@link #truncate} back to (CLIENT REPLY OFF/SKIP drops a reply). */
  public int mark() {
    return len;
  }

  public void truncate(int mark) {
    len = mark;
  }

  /** Hands over everything written so far as one buffer and starts empty. */
  public Buffer take() {
    // The array itself leaves (no copy); the next batch starts a new one.
    Buffer out = io.vertx.core.internal.buffer.BufferInternal.buffer(
        io.netty.buffer.Unpooled.wrappedBuffer(buf, 0, len));
    nextSize = Math.max(256, Math.min(buf.length, 64 * 1024));
    buf = EMPTY;
    len = 0;
    return out;
  }

  // ---- simple types ----

  public void raw(byte[] bytes) {
    put(bytes, 0, bytes.length);
  }

  public void simple(String s) {
    put((byte) '+');
    putAscii(s);
    put(CRLF, 0, 2);
  }

  /** An error reply; {@code message} is the text after '-', such as "ERR syntax error". */
  public void error(String message) {
    put((byte) '-');
    // Error texts never carry newlines: Redis replaces them with spaces.
    putAscii(message.replace('\r', ' ').replace('\n', ' '));
    put(CRLF, 0, 2);
  }

  public void integer(long v) {
    put((byte) ':');
    putLong(v);
    put(CRLF, 0, 2);
  }

  public void bulk(byte[] v) {
    if (v == null) {
      nullBulk();
      return;
    }
    bulk(v, 0, v.length);
  }

  public void bulk(byte[] v, int off, int n) {
    put((byte) '$');
    putLong(n);
    put(CRLF, 0, 2);
    put(v, off, n);
    put(CRLF, 0, 2);
  }

  /** The start of a bulk reply of {@code n} bytes: they follow ({@link #raw}), then {@link #crlf}. */
  public void bulkHeader(int n) {
    put((byte) '$');
    putLong(n);
    put(CRLF, 0, 2);
  }

  public void raw(byte[] bytes, int off, int n) {
    put(bytes, off, n);
  }

  public void crlf() {
    put(CRLF, 0, 2);
  }

  public void bulk(String s) {
    bulk(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A long as a bulk string (RESP2 and RESP3 alike). */
  public void bulkLong(long v) {
    bulk(Long.toString(v).getBytes(StandardCharsets.US_ASCII));
  }

  public void nullBulk() {
    if (protocol == 3) {
      put(NULL3, 0, NULL3.length);
    } else {
      put(NULL_BULK, 0, NULL_BULK.length);
    }
  }

  public void nullArray() {
    if (protocol == 3) {
      put(NULL3, 0, NULL3.length);
    } else {
      put(NULL_ARRAY, 0, NULL_ARRAY.length);
    }
  }

  private static final byte[] NULL3 = "_\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL_BULK = "$-1\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL_ARRAY = "*-1\r\n".getBytes(StandardCharsets.US_ASCII);

  // ---- aggregates ----

  public void array(long n) {
    header('*', n);
  }

  /** A map of n pairs: RESP3 '%', RESP2 an array of 2n. */
  public void map(long n) {
    if (protocol == 3) {
      header('%', n);
    } else {
      header('*', n * 2);
    }
  }

  /** A set: RESP3 '~', RESP2 an array. */
  public void set(long n) {
    header(protocol == 3 ? '~' : '*', n);
  }

  /** A push message (RESP3 '>'); RESP2 clients get an array. */
  public void push(long n) {
    header(protocol == 3 ? '>' : '*', n);
  }

  private void header(char type, long n) {
    put((byte) type);
    putLong(n);
    put(CRLF, 0, 2);
  }

  // ---- RESP3-typed scalars with RESP2 fallbacks ----

  /** A double: RESP3 ',' type; RESP2 a bulk string formatted as Redis 7.0 does ("%.17g"). */
  public void dbl(double d) {
    if (protocol == 3) {
      put((byte) ',');
      putAscii(Double.isInfinite(d) ? (d > 0 ? "inf" : "-inf") : Numbers.formatG17(d));
      put(CRLF, 0, 2);
    } else {
      bulk(Double.isInfinite(d) ? (d > 0 ? "inf" : "-inf") : Numbers.formatG17(d));
    }
  }

  /**
   * A double given as its text (Redis's human long double form, {@link Numbers#formatHuman}):
   * RESP3 ',' type; RESP2 a bulk string.
   */
  public void dbl(String text) {
    if (protocol == 3) {
      put((byte) ',');
      putAscii(text);
      put(CRLF, 0, 2);
    } else {
      bulk(text);
    }
  }

  /**
   * A big number given as its digits (one byte per char: a script's may hold any byte): RESP3
   * '(' type; RESP2 a bulk string.
   */
  public void bigNumber(String digits) {
    if (protocol == 3) {
      put((byte) '(');
      putAscii(digits);
      put(CRLF, 0, 2);
    } else {
      bulk(digits.getBytes(StandardCharsets.ISO_8859_1));
    }
  }

  /** RESP3 attributes of n pairs ('|'), which precede a reply; nothing under RESP2. */
  public void attributes(long n) {
    if (protocol == 3) {
      header('|', n);
    }
  }

  /** A boolean: RESP3 '#t'/'#f'; RESP2 integer 1/0. */
  public void bool(boolean b) {
    if (protocol == 3) {
      putAscii(b ? "#t\r\n" : "#f\r\n");
    } else {
      integer(b ? 1 : 0);
    }
  }

  /** A verbatim string (RESP3 '=' with the "txt" format), a bulk string under RESP2. */
  public void verbatim(String text) {
    if (protocol == 3) {
      byte[] b = text.getBytes(StandardCharsets.UTF_8);
      put((byte) '=');
      putLong(b.length + 4);
      put(CRLF, 0, 2);
      putAscii("txt:");
      put(b, 0, b.length);
      put(CRLF, 0, 2);
    } else {
      bulk(text);
    }
  }

  // ---- low level ----

  private void putLong(long v) {
    if (v >= 0 && v < SMALL_INTS.length) {
      byte[] b = SMALL_INTS[(int) v];
      put(b, 0, b.length);
    } else {
      putAscii(Long.toString(v));
    }
  }

  private void putAscii(String s) {
    int n = s.length();
    ensure(n);
    for (int i = 0; i < n; i++) {
      buf[len++] = (byte) s.charAt(i);
    }
  }

  private void put(byte b) {
    ensure(1);
    buf[len++] = b;
  }

  private void put(byte[] b, int off, int n) {
    ensure(n);
    System.arraycopy(b, off, buf, len, n);
    len += n;
  }

  private void ensure(int n) {
    if (buf.length - len < n) {
      buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 8,
          Math.max((long) len + n, Math.max((long) buf.length * 2, nextSize))));
    }
  }
}
