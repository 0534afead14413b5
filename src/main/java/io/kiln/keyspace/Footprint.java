package io.kiln.keyspace;

import io.kiln.resp.Numbers;

/**
 * What a key and its value would cost in Redis 7.0's memory, as its allocator (jemalloc) counts
 * it: the model behind {@code used_memory}, {@code MEMORY USAGE} and maxmemory. Kiln's own heap
 * layout differs (and a JVM's heap is not what an operator sizes a cache by), so the figures an
 * operator reads and the limits they set follow Redis's arithmetic: an allocation of n bytes
 * costs its jemalloc size class; a string is an sds (a 1-17 byte header, the bytes and a NUL);
 * a value is a 16-byte object header plus its encoding; a key costs a 24-byte dict entry and its
 * sds. Checked against redis-server 7.0's MEMORY USAGE (differential memory.txt).
 *
 * <p>Stateless; any thread.
 */
public final class Footprint {
  private Footprint() {}

  /** sizeof(robj): every value's object header. */
  public static final int OBJECT = 16;
  /** sizeof(dictEntry). */
  public static final int DICT_ENTRY = 24;
  /** sizeof(dict) in Redis 7.0. */
  public static final int DICT = 56;
  /** A bucket pointer of a dict's table. */
  public static final int BUCKET = 8;
  /** Strings up to this length share one allocation with their object (Redis's embstr). */
  private static final int EMBSTR_MAX = 44;

  /** The jemalloc size class an allocation of {@code n} bytes gets. */
  public static long alloc(long n) {
    if (n <= 8) {
      return 8;
    }
    if (n <= 128) {
      return (n + 15) & ~15L;
    }
    // four classes per doubling: 160, 192, 224, 256, 320, 384, 448, 512, 640...
    int shift = 63 - Long.numberOfLeadingZeros(n - 1) - 2;
    long step = 1L << shift;
    return (n + step - 1) & -step;
  }

  /** An sds of {@code len} bytes: header (by length), bytes and the terminating NUL. */
  public static long sds(long len) {
    int header = len < 32 ? 1 : len < 256 ? 3 : len < 65536 ? 5 : len < 1L << 32 ? 9 : 17;
    return alloc(header + len + 1);
  }

  /** A string value: an integer inside its object, an embstr, or an object and an sds. */
  public static long string(byte[] v) {
    if (v.length <= 20 && Numbers.toLong(v) != null) {
      return OBJECT;
    }
    if (v.length <= EMBSTR_MAX) {
      return alloc(OBJECT + 3 + v.length + 1);
    }
    return OBJECT + sds(v.length);
  }

  /** A collection encoded in one contiguous block (listpack, intset) of {@code bytes}. */
  public static long packed(long bytes) {
    return OBJECT + alloc(bytes);
  }

  /** A dict's own cost: its struct and its bucket table (entries are counted apart). */
  public static long dict(long slots) {
    return DICT + BUCKET * slots;
  }

  /**
   * A key with its value: what {@code MEMORY USAGE} reports (the value, the key's sds and its dict
   * entry), with nested collections sampled at up to {@code samples} elements (0: all).
   */
  public static long entry(byte[] key, Object value, int samples) {
    long v = value instanceof byte[] s ? string(s)
        : value instanceof io.kiln.types.GrowableString g ? OBJECT + sds(g.length())
        : value instanceof io.kiln.types.RedisValue r ? r.memoryUsage(samples) : OBJECT;
    return DICT_ENTRY + sds(key.length) + v;
  }

  /**
   * The average of {@code sum} over {@code seen} sampled elements scaled to {@code count}: how
   * Redis's MEMORY USAGE estimates a large collection from its first elements.
   */
  public static long scaled(long sum, int seen, long count) {
    return seen == 0 ? 0 : (long) ((double) sum / seen * count);
  }
}
