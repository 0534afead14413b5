package io.kiln.rdb;

import java.util.ArrayList;
import java.util.List;

/**
 * Decoder for Redis's ziplist blob (compact encoding before Redis 7): 4-byte total size, 4-byte
 * tail offset, 2-byte count (little endian; 65535 = unknown), entries of previous-entry length
 * + encoding + data, and an 0xFF end byte. Fully bounds-checked (sizes, previous lengths, tail
 * offset, count), so corrupt input is an {@link RdbException}. Stateless; any thread (the
 * loader thread).
 */
public final class Ziplist {
  private Ziplist() {}

  /** Decodes a ziplist; integers come out as decimal text. */
  public static List<byte[]> decode(byte[] zl) throws RdbException {
    int n = zl.length;
    if (n < 11) {
      throw new RdbException("ziplist of " + n + " bytes is shorter than its header");
    }
    long total = Listpack.u32(zl, 0);
    if (total != n) {
      throw new RdbException("ziplist header says " + total + " bytes, blob has " + n);
    }
    long tail = Listpack.u32(zl, 4);
    int declared = (zl[8] & 0xff) | ((zl[9] & 0xff) << 8);
    if ((zl[n - 1] & 0xff) != 0xFF) {
      throw new RdbException("ziplist does not end with 0xFF");
    }
    int last = n - 1;
    int p = 10;
    int prevSize = 0;
    int prevOffset = 10;
    List<byte[]> out = new ArrayList<>(Math.min(declared, 1024));
    while (p < last) {
      int start = p;
      int b = zl[p] & 0xff;
      long prevlen;
      if (b < 254) {
        prevlen = b;
        p += 1;
      } else if (b == 254) {
        need(p, 5, last);
        prevlen = Listpack.u32(zl, p + 1);
        p += 5;
      } else {
        throw new RdbException("ziplist entry at " + start + " has an invalid previous length");
      }
      if (prevlen != prevSize) {
        throw new RdbException("ziplist entry at " + start + " has a wrong previous length");
      }
      need(p, 1, last);
      int e = zl[p] & 0xff;
      long dataLen = 0;
      int head;
      boolean isInt = true;
      long v = 0;
      switch (e >>> 6) {
        case 0 -> {
          head = 1;
          dataLen = e & 0x3f;
          isInt = false;
        }
        case 1 -> {
          need(p, 2, last);
          head = 2;
          dataLen = ((e & 0x3f) << 8) | (zl[p + 1] & 0xff);
          isInt = false;
        }
        case 2 -> {
          if (e != 0x80) {
            throw new RdbException("ziplist entry at " + start + " has an invalid encoding");
          }
          need(p, 5, last);
          head = 5;
          dataLen = ((zl[p + 1] & 0xffL) << 24) | ((zl[p + 2] & 0xffL) << 16)
              | ((zl[p + 3] & 0xffL) << 8) | (zl[p + 4] & 0xffL);
          isInt = false;
        }
        default -> {
          switch (e) {
            case 0xC0 -> {
              need(p, 3, last);
              head = 3;
              v = (short) ((zl[p + 1] & 0xff) | (zl[p + 2] << 8));
            }
            case 0xD0 -> {
              need(p, 5, last);
              head = 5;
              v = (int) Listpack.u32(zl, p + 1);
            }
            case 0xE0 -> {
              need(p, 9, last);
              head = 9;
              v = Listpack.u32(zl, p + 1) | (Listpack.u32(zl, p + 5) << 32);
            }
            case 0xF0 -> {
              need(p, 4, last);
              head = 4;
              v = (zl[p + 1] & 0xff) | ((zl[p + 2] & 0xff) << 8) | (zl[p + 3] << 16);
            }
            case 0xFE -> {
              need(p, 2, last);
              head = 2;
              v = zl[p + 1];
            }
            default -> {
              int imm = e & 0x0f;
              if ((e & 0xF0) != 0xF0 || imm < 1 || imm > 13) {
                throw new RdbException("ziplist entry at " + start + " has an invalid encoding");
              }
              head = 1;
              v = imm - 1;
            }
          }
        }
      }
      if (p + head + dataLen > last) {
        throw new RdbException("ziplist entry at " + start + " runs past the end");
      }
      if (isInt) {
        out.add(Rdb.ascii(v));
      } else {
        byte[] s = new byte[(int) dataLen];
        System.arraycopy(zl, p + head, s, 0, (int) dataLen);
        out.add(s);
      }
      p += head + (int) dataLen;
      prevSize = p - start;
      prevOffset = start;
    }
    if (tail != prevOffset) {
      throw new RdbException("ziplist tail offset " + tail + " does not point at the last entry");
    }
    if (declared != 65535 && declared != out.size()) {
      throw new RdbException("ziplist header says " + declared + " entries, found " + out.size());
    }
    return out;
  }

  private static void need(int p, int k, int last) throws RdbException {
    if ((long) p + k > last) {
      throw new RdbException("ziplist entry at " + p + " runs past the end");
    }
  }
}
