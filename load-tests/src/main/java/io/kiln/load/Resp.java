package io.kiln.load;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Writes RESP requests (arrays of bulk strings) into a {@link Buffer}. Stateless; used by
 * whichever thread owns the buffer.
 */
public final class Resp {
  private Resp() {}

  private static final byte[] CRLF = {'\r', '\n'};

  /** Appends {@code *n\r\n}. */
  public static void arrayHeader(Buffer b, int n) {
    b.appendByte((byte) '*');
    appendLong(b, n);
    b.appendBytes(CRLF);
  }

  public static void bulk(Buffer b, byte[] s) {
    b.appendByte((byte) '$');
    appendLong(b, s.length);
    b.appendBytes(CRLF);
    b.appendBytes(s);
    b.appendBytes(CRLF);
  }

  public static void bulk(Buffer b, String s) {
    bulk(b, s.getBytes(StandardCharsets.UTF_8));
  }

  /** A bulk string made of {@code prefix} and a zero-padded 12-digit number (as redis-benchmark's keys). */
  public static void bulkKey(Buffer b, byte[] prefix, long n) {
    b.appendByte((byte) '$');
    appendLong(b, prefix.length + 12);
    b.appendBytes(CRLF);
    b.appendBytes(prefix);
    b.appendBytes(digits12(n));
    b.appendBytes(CRLF);
  }

  /**
   * As {@link #bulkKey}, behind the hash tag {@code {tag}} (its 12 digits): keys of one tag
   * share a Redis Cluster slot, and so a shard.
   */
  public static void bulkTaggedKey(Buffer b, long tag, byte[] prefix, long n) {
    b.appendByte((byte) '$');
    appendLong(b, 14 + prefix.length + 12);
    b.appendBytes(CRLF);
    b.appendByte((byte) '{');
    b.appendBytes(digits12(tag));
    b.appendByte((byte) '}');
    b.appendBytes(prefix);
    b.appendBytes(digits12(n));
    b.appendBytes(CRLF);
  }

  private static byte[] digits12(long n) {
    byte[] digits = new byte[12];
    long v = n;
    for (int i = 11; i >= 0; i--) {
      digits[i] = (byte) ('0' + (v % 10));
      v /= 10;
    }
    return digits;
  }

  public static void bulkLong(Buffer b, long n) {
    bulk(b, Long.toString(n).getBytes(StandardCharsets.US_ASCII));
  }

  /** A whole command from string arguments. */
  public static Buffer command(String... args) {
    Buffer b = Buffer.buffer();
    arrayHeader(b, args.length);
    for (String a : args) {
      bulk(b, a);
    }
    return b;
  }

  static void appendLong(Buffer b, long n) {
    b.appendBytes(Long.toString(n).getBytes(StandardCharsets.US_ASCII));
  }
}
