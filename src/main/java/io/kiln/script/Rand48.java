package io.kiln.script;

/**
 * The 48-bit linear congruential generator of POSIX drand48 (multiplier 0x5DEECE66D, addend
 * 11, initial state 0x1234ABCD330E), which Redis's Lua uses for math.random: scripts that seed
 * it, or count on its first numbers, see the same sequence as on Redis. Owned by the script
 * thread; one per shard serves its scripts and its functions, as Redis's one generator does.
 */
public final class Rand48 {
  private static final long MASK = (1L << 48) - 1;
  private long state = 0x1234ABCD330EL;

  public Rand48() {}

  /** math.randomseed: the seed's 32 bits above the fixed low word 0x330E. */
  void seed(int seed) {
    state = ((seed & 0xFFFFFFFFL) << 16) | 0x330EL;
  }

  /** The next 31-bit value (lrand48). */
  int nextInt() {
    state = (state * 0x5DEECE66DL + 0xB) & MASK;
    return (int) (state >>> 17);
  }

  /** A number in [0, 1): the 31-bit value modulo and over 2^31 - 1, as Redis's math.random. */
  double next() {
    return (nextInt() % Integer.MAX_VALUE) / (double) Integer.MAX_VALUE;
  }
}
