package io.kiln.keyspace;

/**
 * maxmemory's choice of keys to evict in one shard, as Redis 7.0's evict.c: the random policies
 * take a random key of the next database in turn; the LRU, LFU and TTL ones sample
 * {@code maxmemory-samples} keys of every database (of the TTL table for the volatile-*
 * policies) into a pool of the 16 best candidates kept between evictions, and evict the best
 * one that still exists: the longest idle (LRU), the least frequently used (LFU) or the soonest
 * to expire (TTL).
 *
 * <p>Owned by the shard's event loop; not thread-safe.
 */
public final class Evictor {
  /** The policies of maxmemory-policy. */
  public enum Policy {
    NOEVICTION, ALLKEYS_LRU, ALLKEYS_LFU, ALLKEYS_RANDOM, VOLATILE_LRU, VOLATILE_LFU,
    VOLATILE_RANDOM, VOLATILE_TTL;

    /** The policy of a maxmemory-policy value ("allkeys-lru"...). */
    public static Policy of(String name) {
      return valueOf(name.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }

    boolean volatileOnly() {
      return name().startsWith("VOLATILE");
    }

    boolean random() {
      return this == ALLKEYS_RANDOM || this == VOLATILE_RANDOM;
    }

    public boolean lfu() {
      return this == ALLKEYS_LFU || this == VOLATILE_LFU;
    }

    public boolean lru() {
      return this == ALLKEYS_LRU || this == VOLATILE_LRU;
    }
  }

  /** Redis's EVPOOL_SIZE. */
  static final int POOL_SIZE = 16;

  private final Shard shard;
  /** Candidates sorted by ascending score: the best one is last. */
  private final long[] scores = new long[POOL_SIZE];
  @SuppressWarnings("unchecked")
  private final Dict.Node<Object>[] nodes = new Dict.Node[POOL_SIZE];
  private final Db[] dbs = new Db[POOL_SIZE];
  private int size;
  /** The random policies' next database (Redis's next_db). */
  private int nextDb;

  Evictor(Shard shard) {
    this.shard = shard;
  }

  /**
   * Evicts one key chosen by {@code policy} (sampling {@code samples} keys per database) and
   * returns what it freed in Redis's memory model, or -1 when no key qualifies (none at all, or
   * none with a TTL under a volatile-* policy, or noeviction).
   */
  public long evictOne(Policy policy, int samples) {
    if (policy == Policy.NOEVICTION) {
      return -1;
    }
    Db db = null;
    Dict.Node<Object> victim = null;
    if (policy.random()) {
      for (int i = 0; i < shard.databases() && victim == null; i++) {
        nextDb = (nextDb + 1) % shard.databases();
        db = shard.db(nextDb);
        victim = policy.volatileOnly() ? db.randomVolatileNode() : db.anyRandomNode();
      }
    } else {
      while (victim == null) {
        boolean any = false;
        for (int i = 0; i < shard.databases(); i++) {
          Db d = shard.db(i);
          if ((policy.volatileOnly() ? d.expiresSize() : d.size()) > 0) {
            any = true;
            populate(d, policy, samples);
          }
        }
        if (!any) {
          return -1;
        }
        for (int k = size - 1; k >= 0 && victim == null; k--) {
          Dict.Node<Object> n = nodes[k];
          Db d = dbs[k];
          removeAt(k);
          if (d.peek(n.key) == n && (!policy.volatileOnly() || n.expireAt != 0)) {
            victim = n;
            db = d;
          }
        }
      }
    }
    if (victim == null) {
      return -1;
    }
    return db.evict(victim);
  }

  /** Forgets every candidate (the policy changed: their scores mean something else now). */
  public void clear() {
    java.util.Arrays.fill(nodes, null);
    java.util.Arrays.fill(dbs, null);
    size = 0;
  }

  private void populate(Db db, Policy policy, int samples) {
    for (int i = 0; i < samples; i++) {
      Dict.Node<Object> n = policy.volatileOnly() ? db.randomVolatileNode() : db.anyRandomNode();
      if (n == null) {
        return;
      }
      offer(db, n, score(n, policy));
    }
  }

  /** Higher is a better candidate: idle milliseconds, 255 - frequency, or time left inverted. */
  private long score(Dict.Node<Object> n, Policy policy) {
    return switch (policy) {
      case ALLKEYS_LFU, VOLATILE_LFU -> 255 - Lfu.decayed(n.lru, shard.lfuDecayTime);
      case VOLATILE_TTL -> Long.MAX_VALUE - n.expireAt;
      default -> Math.max(0, (long) shard.lruClock() - n.lru) * 1000;
    };
  }

  /** Redis's evictionPoolPopulate insertion: keeps the best POOL_SIZE, sorted. */
  private void offer(Db db, Dict.Node<Object> n, long score) {
    for (int k = 0; k < size; k++) {
      if (nodes[k] == n) {
        return; // sampled again
      }
    }
    int k = 0;
    while (k < size && scores[k] < score) {
      k++;
    }
    if (k == 0 && size == POOL_SIZE) {
      return; // worse than every candidate of a full pool
    }
    if (size < POOL_SIZE) {
      System.arraycopy(scores, k, scores, k + 1, size - k);
      System.arraycopy(nodes, k, nodes, k + 1, size - k);
      System.arraycopy(dbs, k, dbs, k + 1, size - k);
      size++;
    } else { // full: drop the worst (first) and insert before position k
      k--;
      System.arraycopy(scores, 1, scores, 0, k);
      System.arraycopy(nodes, 1, nodes, 0, k);
      System.arraycopy(dbs, 1, dbs, 0, k);
    }
    scores[k] = score;
    nodes[k] = n;
    dbs[k] = db;
  }

  private void removeAt(int k) {
    System.arraycopy(scores, k + 1, scores, k, size - k - 1);
    System.arraycopy(nodes, k + 1, nodes, k, size - k - 1);
    System.arraycopy(dbs, k + 1, dbs, k, size - k - 1);
    size--;
    nodes[size] = null;
    dbs[size] = null;
  }
}
