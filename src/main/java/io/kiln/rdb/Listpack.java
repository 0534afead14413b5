package io.kiln.rdb;

import io.kiln.resp.Numbers;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Redis's listpack blob (Redis 7 compact encoding): a 4-byte total size and a 2-byte count
 * (little endian; 65535 = unknown), entries of encoding + data + back-length, and an 0xFF end
 * byte. Canonical integer strings are stored as integers. Encoding is for the snapshot worker;
 * decoding (fully bounds-checked, so a corrupt blob is an {@link RdbException}) for the loader
 * thread. Stateless; any thread.
 */
public final class Listpack {
  private Listpack() {}

  static final int HEADER = 6;

  /** Builds a listpack incrementally; one thread. */
  static final class Builder {
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private int count;

    Builder() {
      buf.write(new byte[HEADER], 0, HEADER);
    }

    /** Size the listpack would have with the end byte, so far. */
    int bytes() {
      return buf.size() + 1;
    }

    int count() {
      return count;
    }

    /** Appends a string entry (stored as an integer when it is a canonical one). */
    Builder add(byte[] s) {
      Long v = Numbers.toLong(s);
      if (v != null) {
        addInt(v);
      } else {
        addString(s);
      }
      count++;
      return this;
    }

    private void addInt(long v) {
      int before = buf.size();
      if (v >= 0 && v <= 127) {
        buf.write((int) v);
      } else if (v >= -4096 && v <= 4095) {
        int u = (int) (v & 0x1fff);
        buf.write(0xC0 | (u >>> 8));
        buf.write(u & 0xff);
      } else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
        buf.write(0xF1);
        le(v, 2);
      } else if (v >= -(1 << 23) && v < (1 << 23)) {
        buf.write(0xF2);
        le(v, 3);
      } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
        buf.write(0xF3);
        le(v, 4);
      } else {
        buf.write(0xF4);
        le(v, 8);
      }
      backlen(buf.size() - before);
    }

    private void addString(byte[] s) {
      int before = buf.size();
      int n = s.length;
      if (n < 64) {
        buf.write(0x80 | n);
      } else if (n < 4096) {
        buf.write(0xE0 | (n >>> 8));
        buf.write(n & 0xff);
      } else {
        buf.write(0xF0);
        le(n, 4);
      }
      buf.write(s, 0, n);
      backlen(buf.size() - before);
    }

    private void le(long v, int n) {
      for (int i = 0; i < n; i++) {
        buf.write((int) (v >>> (8 * i)) & 0xff);
      }
    }

    private void backlen(long l) {
      if (l <= 127) {
        buf.write((int) l);
      } else if (l < 16383) {
        buf.write((int) (l >>> 7));
        buf.write((int) (l & 127) | 128);
      } else if (l < 2097151) {
        buf.write((int) (l >>> 14));
        buf.write((int) ((l >>> 7) & 127) | 128);
        buf.write((int) (l & 127) | 128);
      } else if (l < 268435455) {
        buf.write((int) (l >>> 21));
        buf.write((int) ((l >>> 14) & 127) | 128);
        buf.write((int) ((l >>> 7) & 127) | 128);
        buf.write((int) (l & 127) | 128);
      } else {
        buf.write((int) (l >>> 28));
        buf.write((int) ((l >>> 21) & 127) | 128);
        buf.write((int) ((l >>> 14) & 127) | 128);
        buf.write((int) ((l >>> 7) & 127) | 128);
        buf.write((int) (l & 127) | 128);
      }
    }

    /** The finished blob. */
    byte[] build() {
      buf.write(0xFF);
      byte[] b = buf.toByteArray();
      int total = b.length;
      b[0] = (byte) total;
      b[1] = (byte) (total >>> 8);
      b[2] = (byte) (total >>> 16);
      b[3] = (byte) (total >>> 24);
      int c = Math.min(count, 65535);
      b[4] = (byte) c;
      b[5] = (byte) (c >>> 8);
      return b;
    }
  }

  /** Bytes one entry takes in a listpack (encoding, data and back-length). */
  static long entrySize(byte[] s) {
    Long v = Numbers.toLong(s);
    long l;
    if (v != null) {
      l = v >= 0 && v <= 127 ? 1 : v >= -4096 && v <= 4095 ? 2
          : v >= Short.MIN_VALUE && v <= Short.MAX_VALUE ? 3
          : v >= -(1 << 23) && v < (1 << 23) ? 4
          : v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE ? 5 : 9;
    } else {
      int n = s.length;
      l = (n < 64 ? 1 : n < 4096 ? 2 : 5) + (long) n;
    }
    return l + (l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5);
  }

  /**
   * Decodes a listpack. Every entry's encoding and data must lie inside the blob, after a header
   * whose size is the blob's and before the end byte. {@code deep} (sanitize-dump-payload) also
   * checks what Kiln does not need to read the entries: each back-length and the header's count.
   *
   * @throws RdbException naming what is wrong
   */
  public static List<byte[]> decode(byte[] lp, boolean deep) throws RdbException {
    int n = lp.length;
    if (n < HEADER + 1) {
      throw new RdbException("listpack of " + n + " bytes is shorter than its header");
    }
    long total = u32(lp, 0);
    if (total != n) {
      throw new RdbException("listpack header says " + total + " bytes, blob has " + n);
    }
    int declared = (lp[4] & 0xff) | ((lp[5] & 0xff) << 8);
    if ((lp[n - 1] & 0xff) != 0xFF) {
      throw new RdbException("listpack does not end with 0xFF");
    }
    List<byte[]> out = new ArrayList<>(Math.min(declared, 1024));
    int p = HEADER;
    int last = n - 1;
    while (p < last) {
      int b = lp[p] & 0xff;
      int head;
      long dataLen;
      boolean isInt = true;
      long v = 0;
      if ((b & 0x80) == 0) {
        head = 1;
        dataLen = 0;
        v = b;
      } else if ((b & 0xC0) == 0x80) {
        head = 1;
        dataLen = b & 0x3f;
        isInt = false;
      } else if ((b & 0xE0) == 0xC0) {
        need(p, 2, last);
        head = 2;
        dataLen = 0;
        int u = ((b & 0x1f) << 8) | (lp[p + 1] & 0xff);
        v = u >= 4096 ? u - 8192 : u;
      } else if ((b & 0xF0) == 0xE0) {
        need(p, 2, last);
        head = 2;
        dataLen = ((b & 0x0f) << 8) | (lp[p + 1] & 0xff);
        isInt = false;
      } else {
        switch (b) {
          case 0xF0 -> {
            need(p, 5, last);
            head = 5;
            dataLen = u32(lp, p + 1);
            isInt = false;
          }
          case 0xF1 -> {
            head = 3;
            need(p, 3, last);
            v = (short) ((lp[p + 1] & 0xff) | (lp[p + 2] << 8));
            dataLen = 0;
          }
          case 0xF2 -> {
            head = 4;
            need(p, 4, last);
            v = ((lp[p + 1] & 0xff) | ((lp[p + 2] & 0xff) << 8) | (lp[p + 3] << 16));
            dataLen = 0;
          }
          case 0xF3 -> {
            head = 5;
            need(p, 5, last);
            v = (int) u32(lp, p + 1);
            dataLen = 0;
          }
          case 0xF4 -> {
            head = 9;
            need(p, 9, last);
            v = u32(lp, p + 1) | (u32(lp, p + 5) << 32);
            dataLen = 0;
          }
          default -> throw new RdbException(
              "listpack has an invalid entry encoding 0x" + Integer.toHexString(b) + " at " + p);
        }
      }
      long entryLen = head + dataLen;
      if (p + entryLen > last) {
        throw new RdbException("listpack entry at " + p + " runs past the end");
      }
      int blen = entryLen <= 127 ? 1 : entryLen < 16383 ? 2 : entryLen < 2097151 ? 3
          : entryLen < 268435455 ? 4 : 5;
      long end = p + entryLen + blen;
      if (end > last) {
        throw new RdbException("listpack entry back-length at " + p + " runs past the end");
      }
      if (deep && backLength(lp, (int) end - 1, blen) != entryLen) {
        throw new RdbException("listpack entry at " + p + " has a bad back-length");
      }
      if (isInt) {
        out.add(Rdb.ascii(v));
      } else {
        byte[] s = new byte[(int) dataLen];
        System.arraycopy(lp, p + head, s, 0, (int) dataLen);
        out.add(s);
      }
      p = (int) end;
    }
    if (deep && declared != 65535 && declared != out.size()) {
      throw new RdbException("listpack header says " + declared + " entries, found " + out.size());
    }
    return out;
  }

  /**
   * The back-length of {@code blen} bytes ending at {@code last} (stored to read right to left:
   * every byte but the first read has its high bit set), or -1 when its bytes are not so marked.
   */
  private static long backLength(byte[] lp, int last, int blen) {
    long bl = 0;
    for (int i = 0; i < blen; i++) {
      int c = lp[last - i] & 0xff;
      if (((c & 128) != 0) != (i < blen - 1)) {
        return -1;
      }
      bl |= (long) (c & 127) << (7 * i);
    }
    return bl;
  }

  private static void need(int p, int k, int last) throws RdbException {
    if (p + k > last) {
      throw new RdbException("listpack entry at " + p + " runs past the end");
    }
  }

  static long u32(byte[] b, int p) {
    return (b[p] & 0xffL) | ((b[p + 1] & 0xffL) << 8) | ((b[p + 2] & 0xffL) << 16)
        | ((b[p + 3] & 0xffL) << 24);
  }
}
