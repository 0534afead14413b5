package io.kiln.rdb;

import java.util.ArrayList;
import java.util.List;

/**
 * Redis's intset blob: 4-byte element width (2, 4 or 8), 4-byte count, then the sorted distinct
 * integers, all little endian. Encoding for the snapshot worker, validated decoding for the
 * loader thread. Stateless; any thread.
 */
public final class Intset {
  private Intset() {}

  /** Encodes sorted, distinct values with the smallest width that holds them all. */
  public static byte[] encode(long[] sorted) {
    int width = 2;
    for (long v : sorted) {
      if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
        width = 8;
        break;
      } else if (v < Short.MIN_VALUE || v > Short.MAX_VALUE) {
        width = 4;
      }
    }
    byte[] b = new byte[8 + width * sorted.length];
    put(b, 0, width, 4);
    put(b, 4, sorted.length, 4);
    for (int i = 0; i < sorted.length; i++) {
      put(b, 8 + i * width, sorted[i], width);
    }
    return b;
  }

  private static void put(byte[] b, int p, long v, int n) {
    for (int i = 0; i < n; i++) {
      b[p + i] = (byte) (v >>> (8 * i));
    }
  }

  /**
   * Decodes an intset whose header (width, count) matches its size; {@code deep}
   * (sanitize-dump-payload) also checks that the members are sorted and distinct. Members come
   * out as decimal text.
   */
  public static List<byte[]> decode(byte[] b, boolean deep) throws RdbException {
    if (b.length < 8) {
      throw new RdbException("intset of " + b.length + " bytes is shorter than its header");
    }
    long width = Listpack.u32(b, 0);
    if (width != 2 && width != 4 && width != 8) {
      throw new RdbException("intset has an invalid encoding " + width);
    }
    long count = Listpack.u32(b, 4);
    if (8 + count * width != b.length) {
      throw new RdbException("intset of " + count + " entries of " + width
          + " bytes does not match its size " + b.length);
    }
    if (count == 0) {
      throw new RdbException("intset is empty"); // Redis never writes one
    }
    List<byte[]> out = new ArrayList<>((int) count);
    long prev = 0;
    for (int i = 0; i < count; i++) {
      int p = 8 + i * (int) width;
      long v = switch ((int) width) {
        case 2 -> (short) ((b[p] & 0xff) | (b[p + 1] << 8));
        case 4 -> (int) Listpack.u32(b, p);
        default -> Listpack.u32(b, p) | (Listpack.u32(b, p + 4) << 32);
      };
      if (deep && i > 0 && v <= prev) {
        throw new RdbException("intset is not sorted or has duplicates");
      }
      prev = v;
      out.add(Rdb.ascii(v));
    }
    return out;
  }
}
