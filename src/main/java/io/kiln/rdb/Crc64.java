package io.kiln.rdb;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * CRC-64/Jones as Redis computes it for RDB trailers and DUMP payloads: polynomial
 * 0xad93d23594c935a9, reflected input and output, initial value 0, no final xor
 * ({@code crc64("123456789") == 0xe9c6d914c4b8d9ca}). Table-driven, slicing-by-8.
 *
 * <p>The static methods are stateless and usable from any thread.
 */
public final class Crc64 {
  private static final long POLY_REFLECTED = 0x95ac9329ac4bc9b5L;
  private static final long[][] TABLE = new long[8][256];
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  static {
    for (int n = 0; n < 256; n++) {
      long crc = n;
      for (int k = 0; k < 8; k++) {
        crc = (crc & 1) != 0 ? (crc >>> 1) ^ POLY_REFLECTED : crc >>> 1;
      }
      TABLE[0][n] = crc;
    }
    for (int n = 0; n < 256; n++) {
      for (int k = 1; k < 8; k++) {
        long prev = TABLE[k - 1][n];
        TABLE[k][n] = (prev >>> 8) ^ TABLE[0][(int) (prev & 0xff)];
      }
    }
  }

  /** Continues {@code crc} over {@code len} bytes of {@code b} from {@code off}. */
  public static long update(long crc, byte[] b, int off, int len) {
    long[] t0 = TABLE[0];
    while (len >= 8) {
      long x = crc ^ (long) LONG_LE.get(b, off);
      crc = TABLE[7][(int) (x & 0xff)]
          ^ TABLE[6][(int) ((x >>> 8) & 0xff)]
          ^ TABLE[5][(int) ((x >>> 16) & 0xff)]
          ^ TABLE[4][(int) ((x >>> 24) & 0xff)]
          ^ TABLE[3][(int) ((x >>> 32) & 0xff)]
          ^ TABLE[2][(int) ((x >>> 40) & 0xff)]
          ^ TABLE[1][(int) ((x >>> 48) & 0xff)]
          ^ t0[(int) (x >>> 56)];
      off += 8;
      len -= 8;
    }
    while (len-- > 0) {
      crc = t0[(int) ((crc ^ b[off++]) & 0xff)] ^ (crc >>> 8);
    }
    return crc;
  }
}
