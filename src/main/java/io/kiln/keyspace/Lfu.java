package io.kiln.keyspace;

import java.util.random.RandomGenerator;

/**
 * The LFU access counter Redis keeps in a key's 24 LRU bits under the *-lfu maxmemory policies,
 * kept here in the node's {@code lru} int the same way: the last decrement time in minutes (16
 * bits) above an 8-bit logarithmic counter. A new key starts at {@link #INIT}; each access
 * first decays the counter by one per {@code lfu-decay-time} minutes elapsed, then increments it
 * with probability 1 / ((counter - INIT) x lfu-log-factor + 1), so that 255 takes about a million
 * accesses at the default factor of 10. The arithmetic is Redis 7.0's (evict.c), so OBJECT FREQ
 * and the eviction order match.
 *
 * <p>Stateless; called on the shard's event loop.
 */
public final class Lfu {
  private Lfu() {}

  /** The counter of a new key (Redis's LFU_INIT_VAL): new keys are not evicted at once. */
  public static final int INIT = 5;

  /** The clock in minutes, 16 bits, as Redis's LFUGetTimeInMinutes. */
  static int minutes() {
    return (int) (System.currentTimeMillis() / 60_000) & 0xFFFF;
  }

  /** The value of a new key's {@code lru} field. */
  public static int fresh() {
    return minutes() << 8 | INIT;
  }

  /** The counter of {@code lru} after decay, without changing it (OBJECT FREQ, eviction). */
  public static int decayed(int lru, int decayTime) {
    int ldt = lru >>> 8 & 0xFFFF;
    int counter = lru & 0xFF;
    if (decayTime == 0) {
      return counter;
    }
    int now = minutes();
    int elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
    int periods = elapsed / decayTime;
    return periods > counter ? 0 : counter - periods;
  }

  /** The {@code lru} field after one access: decay, then a logarithmic increment. */
  public static int accessed(int lru, int logFactor, int decayTime, RandomGenerator rnd) {
    int counter = decayed(lru, decayTime);
    if (counter < 255) {
      double base = Math.max(0, counter - INIT);
      if (rnd.nextDouble() < 1.0 / (base * logFactor + 1)) {
        counter++;
      }
    }
    return minutes() << 8 | counter;
  }

  /** The {@code lru} field for a counter set from outside (RESTORE FREQ, a dump's FREQ). */
  public static int withCounter(int counter) {
    return minutes() << 8 | (counter & 0xFF);
  }
}
