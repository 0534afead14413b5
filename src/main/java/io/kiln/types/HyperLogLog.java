package io.kiln.types;

import io.kiln.resp.Errors;
import java.util.Arrays;

/**
 * Redis 7.0's HyperLogLog string format, byte for byte, so that an HLL written here reads the
 * same in Redis (GET, DUMP, RDB) and the other way round. A value is a plain string:
 *
 * <pre>
 *   bytes 0-3   "HYLL"
 *   byte  4     encoding: 0 dense, 1 sparse
 *   bytes 5-7   zero
 *   bytes 8-15  cached cardinality, little endian; bit 7 of byte 15 set = stale
 *   then        dense: 16384 registers of 6 bits, packed from the low bit of each byte up
 *               (12288 bytes, so the value is exactly 12304 bytes long);
 *               sparse: run-length opcodes over the registers, in register order:
 *                 00xxxxxx          ZERO   xxxxxx+1 registers (1..64) at 0
 *                 01xxxxxx yyyyyyyy XZERO  (x:y)+1 registers (1..16384) at 0
 *                 1vvvvvxx          VAL    xx+1 registers (1..4) at vvvvv+1 (1..32)
 * </pre>
 *
 * Elements are hashed with MurmurHash64A (seed 0xadc83b19): the low 14 bits choose the register,
 * the position of the lowest set bit of the other 50 (plus one) is the candidate value. The
 * cardinality comes from Otmar Ertl's improved estimator over the register histogram (Redis
 * 5.0+). A sparse value turns dense when a register needs more than 32 or when it would grow
 * past {@code hll-sparse-max-bytes}; never back.
 *
 * <p>Static functions are pure over {@code byte[]}; a {@link Sketch} is a private working copy
 * a command edits and then stores as a new array (stored strings are never changed in place).
 * Used on the event loop of the shard owning the key.
 */
public final class HyperLogLog {
  private HyperLogLog() {}

  /** Bits of the hash choosing the register. */
  public static final int P = 14;
  /** Bits of the hash left for the run of zeros. */
  public static final int Q = 64 - P;
  public static final int REGISTERS = 1 << P;
  public static final int HEADER = 16;
  public static final int DENSE_SIZE = HEADER + (REGISTERS * 6 + 7) / 8;
  public static final int DENSE = 0;
  public static final int SPARSE = 1;

  private static final int VAL_MAX_VALUE = 32;
  private static final int VAL_MAX_LEN = 4;
  private static final int ZERO_MAX_LEN = 64;
  private static final int XZERO_MAX_LEN = 16384;
  private static final long SEED = 0xadc83b19L;
  private static final long MURMUR_M = 0xc6a4a7935bd1e995L;
  /** 0.5 / ln 2, the estimator's constant for an infinite number of registers. */
  private static final double ALPHA_INF = 0.721347520444481703680;

  // ---- validation and header ----

  /** True when {@code v} has the shape of an HLL: header, magic, known encoding, dense size. */
  public static boolean isHll(byte[] v) {
    if (v.length < HEADER || v[0] != 'H' || v[1] != 'Y' || v[2] != 'L' || v[3] != 'L') {
      return false;
    }
    int enc = v[4] & 0xff;
    if (enc > SPARSE) {
      return false;
    }
    return enc != DENSE || v.length == DENSE_SIZE;
  }

  public static int encoding(byte[] v) {
    return v[4] & 0xff;
  }

  /** True when the cached cardinality in the header is current. */
  public static boolean cacheValid(byte[] v) {
    return (v[15] & 0x80) == 0;
  }

  /** The cached cardinality (meaningful when {@link #cacheValid}). */
  public static long cachedCount(byte[] v) {
    long card = 0;
    for (int i = 7; i >= 0; i--) {
      card = card << 8 | (v[8 + i] & 0xff);
    }
    return card;
  }

  /** A copy of {@code v} with {@code card} stored as the (valid) cached cardinality. */
  public static byte[] withCachedCount(byte[] v, long card) {
    byte[] out = v.clone();
    for (int i = 0; i < 8; i++) {
      out[8 + i] = (byte) (card >>> (8 * i));
    }
    return out;
  }

  // ---- hashing ----

  /** MurmurHash64A as Redis uses it (byte order independent), with Redis's HLL seed. */
  public static long hash(byte[] key) {
    int len = key.length;
    long h = SEED ^ ((long) len * MURMUR_M);
    int blocks = len - (len & 7);
    for (int i = 0; i < blocks; i += 8) {
      long k = (key[i] & 0xffL) | (key[i + 1] & 0xffL) << 8 | (key[i + 2] & 0xffL) << 16
          | (key[i + 3] & 0xffL) << 24 | (key[i + 4] & 0xffL) << 32
          | (key[i + 5] & 0xffL) << 40 | (key[i + 6] & 0xffL) << 48
          | (key[i + 7] & 0xffL) << 56;
      k *= MURMUR_M;
      k ^= k >>> 47;
      k *= MURMUR_M;
      h ^= k;
      h *= MURMUR_M;
    }
    int rest = len & 7;
    if (rest > 0) {
      for (int i = rest - 1; i >= 0; i--) {
        h ^= (key[blocks + i] & 0xffL) << (8 * i);
      }
      h *= MURMUR_M;
    }
    h ^= h >>> 47;
    h *= MURMUR_M;
    h ^= h >>> 47;
    return h;
  }

  /** The register an element's hash selects. */
  static int registerOf(long hash) {
    return (int) (hash & (REGISTERS - 1));
  }

  /** The candidate register value of a hash: 1 + trailing zeros of its top 50 bits (1..51). */
  static int runOf(long hash) {
    long rest = (hash >>> P) | (1L << Q);
    return Long.numberOfTrailingZeros(rest) + 1;
  }

  // ---- dense registers ----

  /** Register {@code r} of a dense value (or buffer) {@code b}. */
  static int denseGet(byte[] b, int r) {
    int bit = r * 6;
    int i = HEADER + (bit >>> 3);
    int shift = bit & 7;
    int lo = (b[i] & 0xff) >>> shift;
    int hi = shift > 2 ? (b[i + 1] & 0xff) << (8 - shift) : 0;
    return (lo | hi) & 63;
  }

  static void denseSet(byte[] b, int r, int value) {
    int bit = r * 6;
    int i = HEADER + (bit >>> 3);
    int shift = bit & 7;
    b[i] = (byte) ((b[i] & ~(63 << shift)) | (value << shift));
    if (shift > 2) {
      int spill = 8 - shift;
      b[i + 1] = (byte) ((b[i + 1] & ~(63 >>> spill)) | (value >>> spill));
    }
  }

  /** The 16384 registers of a dense value, one int each. */
  public static int[] registers(byte[] dense) {
    int[] out = new int[REGISTERS];
    for (int r = 0; r < REGISTERS; r++) {
      out[r] = denseGet(dense, r);
    }
    return out;
  }

  // ---- sparse opcodes ----

  private static boolean isZero(int op) {
    return (op & 0xc0) == 0;
  }

  private static boolean isXzero(int op) {
    return (op & 0xc0) == 0x40;
  }

  private static boolean isVal(int op) {
    return (op & 0x80) != 0;
  }

  private static int valValue(int op) {
    return ((op >>> 2) & 0x1f) + 1;
  }

  private static int valLen(int op) {
    return (op & 3) + 1;
  }

  private static byte val(int value, int len) {
    return (byte) (0x80 | (value - 1) << 2 | (len - 1));
  }

  /** Bytes of the opcode that starts with {@code op}: two for XZERO, one otherwise. */
  private static int opBytes(byte op) {
    return isXzero(op & 0xff) ? 2 : 1;
  }

  /**
   * Registers covered by the opcode at {@code b[p]}, for a value that ends at {@code end}
   * (a truncated XZERO reads its missing byte as zero).
   */
  private static int runLength(byte[] b, int p, int end) {
    int op = b[p] & 0xff;
    if (isZero(op)) {
      return (op & 0x3f) + 1;
    }
    if (isXzero(op)) {
      return ((op & 0x3f) << 8 | (p + 1 < end ? b[p + 1] & 0xff : 0)) + 1;
    }
    return valLen(op);
  }

  /** The register value the opcode stands for: 0 for ZERO and XZERO runs. */
  private static int runValue(byte op) {
    return isVal(op & 0xff) ? valValue(op & 0xff) : 0;
  }

  // ---- counting ----

  /**
   * The register histogram of an HLL value (counts of registers per value 0..63), or null when
   * a sparse value does not cover exactly the 16384 registers.
   */
  static int[] histogram(byte[] v) {
    int[] histo = new int[64];
    if (encoding(v) == DENSE) {
      for (int r = 0; r < REGISTERS; r++) {
        histo[denseGet(v, r)]++;
      }
      return histo;
    }
    int covered = 0;
    for (int p = HEADER; p < v.length; p += opBytes(v[p])) {
      int run = runLength(v, p, v.length);
      covered += run;
      histo[runValue(v[p])] += run;
    }
    return covered == REGISTERS ? histo : null;
  }

  /** The estimated cardinality of an HLL value, or null when a sparse value is corrupt. */
  public static Long count(byte[] v) {
    int[] histo = histogram(v);
    return histo == null ? null : estimate(histo);
  }

  /** The estimated cardinality of 16384 registers given one per byte (merged PFCOUNT). */
  public static long countRegisters(byte[] registers) {
    int[] histo = new int[64];
    for (byte b : registers) {
      histo[b & 63]++;
    }
    return estimate(histo);
  }

  /** Ertl's improved raw estimator ("New cardinality estimation algorithms for HLL"). */
  static long estimate(int[] histo) {
    double m = REGISTERS;
    double z = m * tau((m - histo[Q + 1]) / m);
    for (int k = Q; k >= 1; k--) {
      z += histo[k];
      z *= 0.5;
    }
    z += m * sigma(histo[0] / m);
    double e = ALPHA_INF * m * m / z;
    // Redis rounds with llroundl: a result past the long range (z = 0 gives infinity) comes
    // out as the minimum long on x86-64, and PFCOUNT reports it as such.
    return e < 0x1p63 ? Math.round(e) : Long.MIN_VALUE;
  }

  static double sigma(double x) {
    if (x == 1.0) {
      return Double.POSITIVE_INFINITY;
    }
    double y = 1;
    double z = x;
    double before;
    do {
      x *= x;
      before = z;
      z += x * y;
      y += y;
    } while (before != z);
    return z;
  }

  static double tau(double x) {
    if (x == 0.0 || x == 1.0) {
      return 0.0;
    }
    double y = 1.0;
    double z = 1 - x;
    double before;
    do {
      x = Math.sqrt(x);
      before = z;
      y *= 0.5;
      double d = 1 - x;
      z -= d * d * y;
    } while (before != z);
    return z / 3;
  }

  /**
   * Raises {@code max[r]} to register r of HLL value {@code v} for every register. False when
   * a sparse value is corrupt (then {@code max} may be partly updated).
   */
  public static boolean mergeInto(byte[] max, byte[] v) {
    if (encoding(v) == DENSE) {
      for (int r = 0; r < REGISTERS; r++) {
        int x = denseGet(v, r);
        if (x > max[r]) {
          max[r] = (byte) x;
        }
      }
      return true;
    }
    return mergeSparse(max, v, v.length);
  }

  /** {@link #mergeInto} for the sparse value in {@code v[0, end)}. */
  private static boolean mergeSparse(byte[] max, byte[] v, int end) {
    int r = 0;
    for (int p = HEADER; p < end; p += opBytes(v[p])) {
      int run = runLength(v, p, end);
      int value = runValue(v[p]);
      if (value == 0) {
        r += run;
        continue;
      }
      if (r + run > REGISTERS) {
        break; // as Redis: a VAL past the last register ends the walk
      }
      for (int last = r + run; r < last; r++) {
        if (value > max[r]) {
          max[r] = (byte) value;
        }
      }
    }
    return r == REGISTERS;
  }

  /** PFDEBUG DECODE's text for a sparse value: "z:N", "Z:N", "v:VALUE,N" separated by spaces. */
  public static String decodeSparse(byte[] v) {
    StringBuilder sb = new StringBuilder();
    for (int p = HEADER; p < v.length; p += opBytes(v[p])) {
      int op = v[p] & 0xff;
      int run = runLength(v, p, v.length);
      if (isZero(op)) {
        sb.append("z:").append(run).append(' ');
      } else if (isXzero(op)) {
        sb.append("Z:").append(run).append(' ');
      } else {
        sb.append("v:").append(valValue(op)).append(',').append(run).append(' ');
      }
    }
    return sb.toString().strip();
  }

  /**
   * A working copy of one HLL value that a command edits (adds, merges, conversion) before
   * storing {@link #bytes()} as the key's new value. Event loop; never shared.
   */
  public static final class Sketch {
    /** The value so far in {@code buf[0, len)}; bytes past len read as zero. */
    private byte[] buf;
    private int len;

    /** An empty HLL: sparse, one XZERO over all registers, cached cardinality 0 (valid). */
    public static Sketch empty() {
      byte[] v = new byte[HEADER + 2];
      v[0] = 'H';
      v[1] = 'Y';
      v[2] = 'L';
      v[3] = 'L';
      v[4] = SPARSE;
      v[HEADER] = (byte) (0x40 | (XZERO_MAX_LEN - 1) >>> 8);
      v[HEADER + 1] = (byte) ((XZERO_MAX_LEN - 1) & 0xff);
      return new Sketch(v);
    }

    /** A working copy of a valid HLL value ({@link #isHll}). */
    public Sketch(byte[] value) {
      // dense registers never reach past the value; sparse edits grow it a few bytes at a time
      buf = Arrays.copyOf(value, value.length + (HyperLogLog.encoding(value) == DENSE ? 0 : 8));
      len = value.length;
    }

    public int encoding() {
      return buf[4] & 0xff;
    }

    /** The value as edited; the sketch must not be used afterwards (its buffer may be it). */
    public byte[] bytes() {
      return len == buf.length ? buf : Arrays.copyOf(buf, len);
    }

    /** Marks the cached cardinality stale. */
    public void invalidateCache() {
      buf[15] |= (byte) 0x80;
    }

    /**
     * Adds one element: 1 if a register rose, 0 if not, -1 if the value is corrupt.
     * {@code sparseMax} is hll-sparse-max-bytes.
     */
    public int add(byte[] element, long sparseMax) {
      long h = hash(element);
      return set(registerOf(h), runOf(h), sparseMax);
    }

    /** Raises register {@code r} to {@code value} if lower: 1 if it rose, 0 if not, -1 corrupt. */
    public int set(int r, int value, long sparseMax) {
      if (encoding() == DENSE) {
        if (value > denseGet(buf, r)) {
          denseSet(buf, r, value);
          return 1;
        }
        return 0;
      }
      return sparseSet(r, value, sparseMax);
    }

    private void room(int extra) {
      if (len + extra + 1 > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra + 8));
      }
    }

    /**
     * Converts a sparse sketch to dense (a no-op when dense). False, leaving it unchanged, when
     * the opcodes do not cover exactly the 16384 registers.
     */
    public boolean toDense() {
      if (encoding() == DENSE) {
        return true;
      }
      byte[] registers = new byte[REGISTERS];
      if (!mergeSparse(registers, buf, len)) {
        return false;
      }
      byte[] dense = new byte[DENSE_SIZE];
      System.arraycopy(buf, 0, dense, 0, HEADER);
      dense[4] = DENSE;
      for (int r = 0; r < REGISTERS; r++) {
        denseSet(dense, r, registers[r]);
      }
      buf = dense;
      len = DENSE_SIZE;
      return true;
    }

    private int promote(int r, int value) {
      if (!toDense()) {
        return -1;
      }
      if (value > denseGet(buf, r)) {
        denseSet(buf, r, value);
      }
      return 1;
    }

    /**
     * The sparse update, done as Redis does it so the resulting bytes are identical: find the
     * opcode covering the register, split it around the register into at most three opcodes,
     * then merge equal neighbouring VAL opcodes in a short window.
     */
    private int sparseSet(int r, int value, long sparseMax) {
      if (value > VAL_MAX_VALUE) {
        return promote(r, value);
      }
      room(3);
      int end = len;
      int p = HEADER;
      int first = 0;
      int prev = -1;
      int span = 0;
      while (p < end) {
        span = runLength(buf, p, end);
        if (r <= first + span - 1) {
          break;
        }
        prev = p;
        p += opBytes(buf[p]);
        first += span;
      }
      if (span == 0 || p >= end) {
        return -1;
      }
      int op = buf[p] & 0xff;
      boolean xzero = isXzero(op);
      int next = xzero ? p + 2 : p + 1;
      if (next >= end) {
        next = -1;
      }
      if (isVal(op)) {
        if (valValue(op) >= value) {
          return 0;
        }
        if (span == 1) {
          buf[p] = val(value, 1);
          return updated(prev, end);
        }
      }
      if (isZero(op) && span == 1) {
        buf[p] = val(value, 1);
        return updated(prev, end);
      }
      byte[] seq = new byte[5];
      int n = 0;
      int last = first + span - 1;
      if (!isVal(op)) {
        if (r != first) {
          n = zeros(seq, n, r - first);
        }
        seq[n++] = val(value, 1);
        if (r != last) {
          n = zeros(seq, n, last - r);
        }
      } else {
        int current = valValue(op);
        if (r != first) {
          seq[n++] = val(current, r - first);
        }
        seq[n++] = val(value, 1);
        if (r != last) {
          seq[n++] = val(current, last - r);
        }
      }
      int delta = n - (xzero ? 2 : 1);
      if (delta > 0 && len + delta > sparseMax) {
        return promote(r, value);
      }
      if (delta != 0 && next >= 0) {
        System.arraycopy(buf, next, buf, next + delta, end - next);
      }
      len += delta;
      System.arraycopy(seq, 0, buf, p, n);
      end += delta;
      return updated(prev, end);
    }

    /** Writes a ZERO (up to 64) or XZERO run of {@code run} registers at seq[n]. */
    private static int zeros(byte[] seq, int n, int run) {
      if (run > ZERO_MAX_LEN) {
        seq[n] = (byte) (0x40 | (run - 1) >>> 8);
        seq[n + 1] = (byte) ((run - 1) & 0xff);
        return n + 2;
      }
      seq[n] = (byte) (run - 1);
      return n + 1;
    }

    /** After a sparse change: merges neighbouring equal VALs among five opcodes from prev. */
    private int updated(int prev, int end) {
      int p = prev >= 0 ? prev : HEADER;
      int budget = 5;
      while (p < end && budget-- > 0) {
        int op = buf[p] & 0xff;
        if (isXzero(op)) {
          p += 2;
          continue;
        }
        if (isZero(op)) {
          p++;
          continue;
        }
        if (p + 1 < end && isVal(buf[p + 1] & 0xff)) {
          int nextOp = buf[p + 1] & 0xff;
          int v = valValue(op);
          if (v == valValue(nextOp)) {
            int run = valLen(op) + valLen(nextOp);
            if (run <= VAL_MAX_LEN) {
              buf[p + 1] = val(v, run);
              System.arraycopy(buf, p + 1, buf, p, end - p - 1);
              len--;
              end--;
              continue;
            }
          }
        }
        p++;
      }
      invalidateCache();
      return 1;
    }
  }

  // ---- self test (PFSELFTEST) ----

  /** Checks register access, sparse/dense agreement and error bounds; null when all pass. */
  public static String selfTest(long seed, long sparseMax) {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
    byte[] dense = new byte[DENSE_SIZE + 1];
    int[] expect = new int[REGISTERS];
    for (int round = 0; round < 20; round++) {
      for (int r = 0; r < REGISTERS; r++) {
        expect[r] = rnd.nextInt(64);
        denseSet(dense, r, expect[r]);
      }
      for (int r = 0; r < REGISTERS; r++) {
        int got = denseGet(dense, r);
        if (got != expect[r]) {
          return String.format(Errors.HLL_TEST_REGISTER, r, expect[r], got);
        }
      }
    }
    Arrays.fill(dense, (byte) 0);
    dense[4] = DENSE;
    Sketch d = new Sketch(Arrays.copyOf(dense, DENSE_SIZE));
    Sketch s = Sketch.empty();
    double relErr = 1.04 / Math.sqrt(REGISTERS);
    long base = rnd.nextLong();
    long checkpoint = 1;
    byte[] ele = new byte[8];
    for (long j = 1; j <= 100_000; j++) {
      long x = j ^ base;
      for (int i = 0; i < 8; i++) {
        ele[i] = (byte) (x >>> (8 * i));
      }
      d.add(ele, sparseMax);
      s.add(ele, sparseMax);
      if (j == checkpoint) {
        if (j < sparseMax / 2 && s.encoding() != SPARSE) {
          return Errors.HLL_TEST_NOT_SPARSE;
        }
        long dc = count(d.bytes());
        if (dc != count(s.bytes())) {
          return Errors.HLL_TEST_DISAGREE;
        }
        long maxErr = j == 10 ? 1 : (long) Math.ceil(relErr * 6 * checkpoint);
        long absErr = Math.abs(checkpoint - dc);
        if (absErr > maxErr) {
          return String.format(Errors.HLL_TEST_TOO_BIG_ERROR, checkpoint, absErr);
        }
        checkpoint *= 10;
      }
    }
    return null;
  }
}
