package io.kiln.rdb;

import java.util.ArrayList;
import java.util.List;

/**
 * Decoder for the zipmap blob (hash encoding before Redis 2.6): a count byte, then key length,
 * key, value length, free byte, value and free padding per entry, and an 0xFF end byte; lengths
 * are one byte below 254, or 254 followed by 4 bytes little endian. Bounds-checked. Stateless;
 * any thread (the loader thread).
 */
public final class Zipmap {
  private Zipmap() {}

  /** Decodes a zipmap to field/value pairs. */
  public static List<RdbValue.FieldValue> decode(byte[] z) throws RdbException {
    int n = z.length;
    if (n < 2) {
      throw new RdbException("zipmap of " + n + " bytes is too short");
    }
    int p = 1;
    List<RdbValue.FieldValue> out = new ArrayList<>();
    while (true) {
      if (p >= n) {
        throw new RdbException("zipmap has no end marker");
      }
      if ((z[p] & 0xff) == 0xFF) {
        if (p != n - 1) {
          throw new RdbException("zipmap has bytes after its end marker");
        }
        break;
      }
      long[] r = len(z, p);
      p = (int) r[1];
      byte[] key = take(z, p, r[0]);
      p += (int) r[0];
      if (p < n && (z[p] & 0xff) == 0xFF) {
        throw new RdbException("zipmap key without a value");
      }
      r = len(z, p);
      p = (int) r[1];
      if (p >= n) {
        throw new RdbException("zipmap entry runs past the end");
      }
      int free = z[p++] & 0xff;
      byte[] val = take(z, p, r[0]);
      p += (int) r[0];
      if ((long) p + free > n) {
        throw new RdbException("zipmap entry runs past the end");
      }
      p += free;
      out.add(new RdbValue.FieldValue(key, val));
    }
    if (out.isEmpty()) {
      throw new RdbException("zipmap is empty"); // Redis never writes one
    }
    int declared = z[0] & 0xff;
    if (declared < 254 && declared != out.size()) {
      throw new RdbException("zipmap header says " + declared + " entries, found " + out.size());
    }
    return out;
  }

  private static long[] len(byte[] z, int p) throws RdbException {
    if (p >= z.length) {
      throw new RdbException("zipmap entry runs past the end");
    }
    int b = z[p] & 0xff;
    if (b < 254) {
      return new long[] {b, p + 1};
    }
    if (b == 254) {
      if (p + 5 > z.length) {
        throw new RdbException("zipmap entry runs past the end");
      }
      return new long[] {Listpack.u32(z, p + 1), p + 5};
    }
    throw new RdbException("zipmap has an invalid length byte");
  }

  private static byte[] take(byte[] z, int p, long len) throws RdbException {
    if (p + len > z.length) {
      throw new RdbException("zipmap entry runs past the end");
    }
    byte[] s = new byte[(int) len];
    System.arraycopy(z, p, s, 0, (int) len);
    return s;
  }
}
