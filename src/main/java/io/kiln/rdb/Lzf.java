package io.kiln.rdb;

import java.util.Arrays;

/**
 * LZF compression in the liblzf format Redis uses for compressed RDB strings (own
 * implementation). A control byte below 32 starts a literal run of (ctrl + 1) bytes; otherwise
 * its top 3 bits are the match length - 2 (7 means an extra length byte follows) and its low 5
 * bits, with the next byte, the back distance - 1 (up to 8192 back, up to 264 bytes long).
 *
 * <p>Stateless apart from a per-thread match table; any thread (used by the snapshot worker and
 * the loader thread). Decompression is bounds-checked: corrupt input raises
 * {@link LzfException}, never an index error or a partial result.
 */
public final class Lzf {
  private Lzf() {}

  private static final int HLOG = 16;
  private static final int MAX_LIT = 32;
  private static final int MAX_OFF = 1 << 13;
  private static final int MAX_REF = (1 << 8) + (1 << 3); // 264

  /** A thread's match table, reused by every call on that thread (see compress). */
  private static final class Table {
    final int[] slots = new int[1 << HLOG];
    int base;
  }

  private static final ThreadLocal<Table> TABLES = ThreadLocal.withInitial(Table::new);

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
   *
   * <p>Matches are chosen as liblzf 3.6 does in the configuration Redis builds (a 2^16-slot table
   * indexed by its hash of the next three bytes, each position replacing the slot's previous one,
   * no reference to the input's first byte, and after a match only the two positions before its
   * end entered), so a value compresses to the very bytes Redis writes: DUMP payloads and RDB
   * files compare equal.
   */
  public static int compress(byte[] in, int inOff, int inLen, byte[] out, int outOff,
      int outLen) {
    if (inLen <= 0 || outLen <= 0) {
      return 0;
    }
    // The table is the thread's own and never cleared: slots hold base + position, so anything
    // at or below this call's base (earlier calls, empty slots) reads as no reference, as does
    // position 0, which liblzf never refers to.
    Table table = TABLES.get();
    if (table.base > Integer.MAX_VALUE - inLen - 1) {
      Arrays.fill(table.slots, 0);
      table.base = 0;
    }
    int[] htab = table.slots;
    int base = table.base;
    table.base = base + inLen;
    int ip = 0;
    int op = outOff;
    int oend = outOff + outLen;
    int lit = 0;
    op++; // control byte of the first literal run
    while (ip < inLen - 2) {
      int slot = slot(in, inOff + ip);
      int ref = htab[slot] - base;
      htab[slot] = base + ip;
      int off = ip - ref - 1;
      if (ref > 0 && ref < ip && off < MAX_OFF
          && in[inOff + ref + 2] == in[inOff + ip + 2]
          && in[inOff + ref] == in[inOff + ip] && in[inOff + ref + 1] == in[inOff + ip + 1]) {
        int maxLen = Math.min(inLen - ip - 2, MAX_REF);
        if (op - (lit == 0 ? 1 : 0) + 3 + 1 >= oend) {
          return 0;
        }
        out[op - lit - 1] = (byte) (lit - 1);
        if (lit == 0) {
          op--;
        }
        int len = matchLength(in, inOff + ref, inOff + ip, maxLen);
        int code = len - 2;
        if (code < 7) {
          out[op++] = (byte) ((off >>> 8) + (code << 5));
        } else {
          out[op++] = (byte) ((off >>> 8) + (7 << 5));
          out[op++] = (byte) (code - 7);
        }
        out[op++] = (byte) off;
        lit = 0;
        op++; // control byte of the next literal run
        ip += len;
        if (ip >= inLen - 2) {
          break;
        }
        htab[slot(in, inOff + ip - 2)] = base + ip - 2;
        htab[slot(in, inOff + ip - 1)] = base + ip - 1;
      } else {
        if (op >= oend) {
          return 0;
        }
        out[op++] = in[inOff + ip++];
        if (++lit == MAX_LIT) {
          out[op - lit - 1] = (byte) (MAX_LIT - 1);
          lit = 0;
          op++;
        }
      }
    }
    if (op + 3 > oend) { // liblzf's check before the last (at most three) literals
      return 0;
    }
    while (ip < inLen) {
      out[op++] = in[inOff + ip++];
      if (++lit == MAX_LIT) {
        out[op - lit - 1] = (byte) (MAX_LIT - 1);
        lit = 0;
        op++;
      }
    }
    out[op - lit - 1] = (byte) (lit - 1);
    if (lit == 0) {
      op--;
    }
    return op - outOff;
  }

  /**
   * How many bytes at {@code ref} and {@code ip} agree (the first three are known to), as liblzf
   * measures it: when {@code maxLen} exceeds 16 it first compares the next 16 bytes without
   * looking at the limit, so a match may run one byte past {@code maxLen} (never past the input).
   */
  private static int matchLength(byte[] in, int ref, int ip, int maxLen) {
    int len = 2;
    if (maxLen > 16) {
      for (int i = 0; i < 16; i++) {
        len++;
        if (in[ref + len] != in[ip + len]) {
          return len;
        }
      }
    }
    do {
      len++;
    } while (len < maxLen && in[ref + len] == in[ip + len]);
    return len;
  }

  /** liblzf's table slot for the three bytes at {@code p}. */
  private static int slot(byte[] in, int p) {
    int v = ((in[p] & 0xff) << 16) | ((in[p + 1] & 0xff) << 8) | (in[p + 2] & 0xff);
    return ((v >>> 8) - v * 5) & ((1 << HLOG) - 1);
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
