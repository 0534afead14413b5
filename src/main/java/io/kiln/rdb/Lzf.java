package io.kiln.rdb;

/**
 * LZF compression in the liblzf format Redis uses for compressed RDB strings (own
 * implementation). A control byte below 32 starts a literal run of (ctrl + 1) bytes; otherwise
 * its top 3 bits are the match length - 2 (7 means an extra length byte follows) and its low 5
 * bits, with the next byte, the back distance - 1 (up to 8192 back, up to 264 bytes long).
 *
 * <p>Stateless apart from a per-call hash table; any thread (used by the snapshot worker and
 * the loader thread). Decompression is bounds-checked: corrupt input raises
 * {@link LzfException}, never an index error or a partial result.
 */
public final class Lzf {
  private Lzf() {}

  private static final int HLOG = 14;
  private static final int MAX_LIT = 32;
  private static final int MAX_OFF = 1 << 13;
  private static final int MAX_REF = (1 << 8) + (1 << 3); // 264

  /** Corrupt compressed data. */
  public static final class LzfException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LzfException(String message) {
      super(message);
    }
  }

  /**
   * Compresses {@code in[inOff, inOff+inLen)} into {@code out[outOff, outOff+outLen)}. Returns
   * the compressed length, or 0 when the result would not fit in {@code outLen} bytes (or the
   * input is empty), as liblzf's lzf_compress does.
   */
  public static int compress(byte[] in, int inOff, int inLen, byte[] out, int outOff,
      int outLen) {
    if (inLen <= 0 || outLen <= 0) {
      return 0;
    }
    int[] htab = new int[1 << HLOG];
    int ip = inOff;
    int end = inOff + inLen;
    int op = outOff;
    int oend = outOff + outLen;
    int lit = 0;
    op++; // control byte of the first literal run
    while (ip + 2 < end) {
      int v = ((in[ip] & 0xff) << 16) | ((in[ip + 1] & 0xff) << 8) | (in[ip + 2] & 0xff);
      int h = (v * 0x9E3779B1) >>> (32 - HLOG);
      int ref = htab[h] - 1;
      htab[h] = ip + 1;
      int off = ip - ref - 1;
      if (ref >= inOff && off < MAX_OFF
          && in[ref] == in[ip] && in[ref + 1] == in[ip + 1] && in[ref + 2] == in[ip + 2]) {
        int maxLen = Math.min(end - ip, MAX_REF);
        int len = 3;
        while (len < maxLen && in[ref + len] == in[ip + len]) {
          len++;
        }
        int code = len - 2;
        int base = lit == 0 ? op - 1 : op;
        int need = (code < 7 ? 2 : 3) + 1;
        if (base + need > oend) {
          return 0;
        }
        if (lit == 0) {
          op--;
        } else {
          out[op - lit - 1] = (byte) (lit - 1);
        }
        lit = 0;
        if (code < 7) {
          out[op++] = (byte) ((off >>> 8) + (code << 5));
        } else {
          out[op++] = (byte) ((off >>> 8) + (7 << 5));
          out[op++] = (byte) (code - 7);
        }
        out[op++] = (byte) off;
        op++; // control byte of the next literal run
        int stop = Math.min(ip + len, end - 2);
        for (int k = ip + 1; k < stop; k++) {
          int w = ((in[k] & 0xff) << 16) | ((in[k + 1] & 0xff) << 8) | (in[k + 2] & 0xff);
          htab[(w * 0x9E3779B1) >>> (32 - HLOG)] = k + 1;
        }
        ip += len;
      } else {
        if (op >= oend) {
          return 0;
        }
        out[op++] = in[ip++];
        if (++lit == MAX_LIT) {
          out[op - lit - 1] = (byte) (MAX_LIT - 1);
          lit = 0;
          op++;
        }
      }
    }
    while (ip < end) {
      if (op >= oend) {
        return 0;
      }
      out[op++] = in[ip++];
      if (++lit == MAX_LIT) {
        out[op - lit - 1] = (byte) (MAX_LIT - 1);
        lit = 0;
        op++;
      }
    }
    if (lit == 0) {
      op--;
    } else {
      out[op - lit - 1] = (byte) (lit - 1);
    }
    return op - outOff;
  }

  /**
   * Decompresses {@code in[inOff, inOff+inLen)} to exactly {@code expectedLen} bytes.
   *
   * @throws LzfException when the data is corrupt or does not decompress to that length
   */
  public static byte[] decompress(byte[] in, int inOff, int inLen, int expectedLen) {
    if (expectedLen < 0) {
      throw new LzfException("invalid uncompressed length " + expectedLen);
    }
    byte[] out = new byte[expectedLen];
    int n = decompress(in, inOff, inLen, out, 0, expectedLen);
    if (n != expectedLen) {
      throw new LzfException("decompressed to " + n + " bytes, expected " + expectedLen);
    }
    return out;
  }

  /**
   * Decompresses into {@code out[outOff, outOff+outLen)}, returning the number of bytes
   * produced.
   *
   * @throws LzfException on a truncated control sequence, a run past the end of the output, or
   *     a back reference before the start of the output
   */
  public static int decompress(byte[] in, int inOff, int inLen, byte[] out, int outOff,
      int outLen) {
    int ip = inOff;
    int end = inOff + inLen;
    int op = outOff;
    int oend = outOff + outLen;
    while (ip < end) {
      int ctrl = in[ip++] & 0xff;
      if (ctrl < 32) {
        int run = ctrl + 1;
        if (ip + run > end) {
          throw new LzfException("literal run of " + run + " bytes past the end of the input");
        }
        if (op + run > oend) {
          throw new LzfException("literal run of " + run + " bytes past the end of the output");
        }
        System.arraycopy(in, ip, out, op, run);
        ip += run;
        op += run;
      } else {
        int len = ctrl >>> 5;
        if (len == 7) {
          if (ip >= end) {
            throw new LzfException("truncated back reference");
          }
          len += in[ip++] & 0xff;
        }
        if (ip >= end) {
          throw new LzfException("truncated back reference");
        }
        int ref = op - ((ctrl & 0x1f) << 8) - 1 - (in[ip++] & 0xff);
        len += 2;
        if (ref < outOff) {
          throw new LzfException("back reference before the start of the output");
        }
        if (op + len > oend) {
          throw new LzfException("back reference of " + len + " bytes past the end of the output");
        }
        for (int i = 0; i < len; i++) {
          out[op++] = out[ref++];
        }
      }
    }
    return op - outOff;
  }
}
