package io.kiln.command;

import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;

/**
 * Argument helpers shared by the command families: case-insensitive keyword matching and number
 * arguments that reply Redis's error themselves. Stateless; event loop.
 */
public final class Args {
  private Args() {}

  /** True when {@code arg} equals the lower-case ASCII {@code word}, ignoring case. */
  public static boolean is(byte[] arg, String word) {
    if (arg.length != word.length()) {
      return false;
    }
    for (int i = 0; i < arg.length; i++) {
      int a = arg[i];
      if (a >= 'A' && a <= 'Z') {
        a += 32;
      }
      if (a != word.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Sentinel returned by {@link #longArg} after it has replied with an error. */
  public static final long INVALID = Long.MIN_VALUE + 1;

  /**
   * The integer in {@code arg}, or {@link #INVALID} after replying {@code error}. (INVALID is
   * itself a legal value; callers that must accept -9223372036854775807 check
   * {@link Numbers#toLong} instead.)
   */
  public static long longArg(Client c, byte[] arg, String error) {
    Long v = Numbers.toLong(arg);
    if (v == null) {
      c.error(error);
      return INVALID;
    }
    return v;
  }

  public static long longArg(Client c, byte[] arg) {
    return longArg(c, arg, Errors.NOT_INTEGER);
  }

  /** True when {@code v} holds another type than string (the caller then replies WRONGTYPE). */
  public static boolean notString(Object v) {
    return v != null && !Strs.isString(v);
  }

  /**
   * A start/end pair of ranks over {@code len} elements as LRANGE, LTRIM, ZRANGE and
   * ZREMRANGEBYRANK read it: negatives count from the end, start is clamped to 0 and end to the
   * last element. Returns {start, end}, or null when nothing is in range.
   */
  public static long[] rankRange(long start, long end, long len) {
    if (start < 0) {
      start += len;
    }
    if (end < 0) {
      end += len;
    }
    if (start < 0) {
      start = 0;
    }
    if (start > end || start >= len) {
      return null;
    }
    return new long[] {start, Math.min(end, len - 1)};
  }
}
