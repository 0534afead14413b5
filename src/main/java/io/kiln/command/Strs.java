package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.resp.RespWriter;
import io.kiln.types.GrowableString;

/**
 * A stored string is an exact-length {@code byte[]} or, once APPEND, SETRANGE, SETBIT or BITFIELD
 * grew it or wrote into it past {@link Db#IN_PLACE_MAX} bytes, a {@link GrowableString} changed in
 * place. These helpers let the commands read both the same way. Event loop.
 */
public final class Strs {
  private Strs() {}

  /** Whether {@code v} is a string (of either form). */
  public static boolean isString(Object v) {
    return v instanceof byte[] || v instanceof GrowableString;
  }

  /** The length of a string value; 0 for null. */
  public static int length(Object v) {
    if (v instanceof byte[] b) {
      return b.length;
    }
    return v == null ? 0 : ((GrowableString) v).length();
  }

  /** Byte {@code i} of a string value. */
  public static byte byteAt(Object v, int i) {
    return v instanceof byte[] b ? b[i] : ((GrowableString) v).byteAt(i);
  }

  /**
   * The bytes of a string as one exact-length array: the array itself, or a copy of a grown
   * string's bytes (for readers that need them contiguous: SORT, LCS, HLL, BITOP, the digest);
   * null for null or another type.
   */
  public static byte[] bytes(Object v) {
    if (v instanceof byte[] b) {
      return b;
    }
    return v instanceof GrowableString g ? g.toBytes() : null;
  }

  /** A string as a bulk reply (a null bulk for null), a grown one written chunk by chunk. */
  public static void bulk(RespWriter out, Object v) {
    if (v instanceof GrowableString g) {
      bulk(out, g, 0, g.length());
    } else {
      out.bulk((byte[]) v);
    }
  }

  /** Bytes {@code [off, off + n)} of a string as a bulk reply. */
  public static void bulk(RespWriter out, Object v, int off, int n) {
    if (v instanceof byte[] b) {
      out.bulk(b, off, n);
      return;
    }
    GrowableString g = (GrowableString) v;
    out.bulkHeader(n);
    while (n > 0) {
      int k = off >>> GrowableString.CHUNK_SHIFT;
      int in = off & (GrowableString.CHUNK - 1);
      int m = Math.min(n, GrowableString.CHUNK - in);
      out.raw(g.chunk(k), in, m);
      off += m;
      n -= m;
    }
    out.crlf();
  }

  /**
   * The string at the live node {@code n} made ready for a write in place: a grown string as it
   * is, an array turned into a grown string holding its bytes. Either way the write goes through
   * {@link Db#replace} first, so a running snapshot captures the value before it changes and
   * watchers see the key touched; the caller writes into the result at once.
   */
  public static GrowableString growable(Db db, Dict.Node<Object> n) {
    GrowableString g = n.value instanceof GrowableString gs ? gs
        : GrowableString.of((byte[]) n.value);
    db.replace(n, g);
    return g;
  }

  /**
   * Whether a write giving a string of {@code newLength} bytes to a node holding {@code v} goes
   * in place into a {@link GrowableString}: always once it is one, and for an array when the
   * result is longer than {@link Db#IN_PLACE_MAX} (shorter ones are copied, which costs less).
   */
  public static boolean writeInPlace(Object v, long newLength) {
    return v instanceof GrowableString || newLength > Db.IN_PLACE_MAX;
  }
}
