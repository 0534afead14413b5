package io.kiln.keyspace;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * One shard of the keyspace: all logical databases of its slots, its counters, the dirty count
 * since the last save, and the background work on them (active expiry, incremental rehash).
 * Nothing outside the shard's event loop touches it, so nothing here is locked.
 *
 * <p>Owned by exactly one event loop (its ShardVerticle's); not thread-safe.
 */
public final class Shard {
  /** Redis's active expiry: keys sampled per database per loop. */
  static final int EXPIRE_SAMPLES = 20;
  /** Keep sampling a database while more than this percent of the sample had expired. */
  static final int EXPIRE_ACCEPTABLE_STALE = 10;
  /** Share of each cron period that active expiry may use (Redis: 25%). */
  static final int EXPIRE_CPU_PERCENT = 25;

  public final int index;
  public final Stats stats = new Stats();
  private final Db[] dbs;
  private final SplittableRandom random = new SplittableRandom();
  /** Changes since the last successful save (INFO rdb_changes_since_last_save). */
  public long dirty;
  /** What the commands did, in deterministic form, for the AOF ({@link Effects}). */
  public final Effects effects = new Effects();
  /** maxmemory's choice of keys to evict here. */
  public final Evictor evictor = new Evictor(this);
  /**
   * Set while the AOF is replayed: no key expires (as Redis while loading), so commands find
   * the keys they found when they first ran; keys past their TTL go after the load.
   */
  public boolean replaying;
  /** The running snapshot's capture hook, or null when none runs. */
  public SnapshotCapture capture;
  /**
   * Told when a key of some database receives a non-string value (created, renamed or moved in,
   * replaced): blocked clients waiting on that key may now be served. Set by the shard verticle.
   */
  public java.util.function.BiConsumer<Db, byte[]> valueAdded;
  /** SWAPDB exchanged the contents of these two databases: their blocked clients may be served. */
  public java.util.function.BiConsumer<Db, Db> dbsSwapped;
  /** The notify-keyspace-events flags ({@link Notify} bits); 0 = off (Redis's default). */
  public int notifyFlags;
  /** Where selected keyspace events go; set by the shard verticle. */
  public Notify.Sink notifySink;
  /** Client-side caching's listener while some client tracks keys, else null. */
  public KeyTracker tracker;
  /** When set (during EXEC), the time every expiry check uses, as Redis fixes it per command. */
  private long fixedNow;
  public boolean activeExpireEnabled = true;
  /**
   * Set while CLIENT PAUSE holds clients: the dataset stays as it is (no active expiry, no
   * eviction; a key past its TTL reads as missing but is not deleted), as Redis keeps it.
   */
  public boolean datasetFrozen;
  /** Database where the next active expiry cycle resumes. */
  private int expireDbCursor;
  /** Databases with keys written since the last {@link #settleMemory}. */
  private final java.util.ArrayList<Db> recounting = new java.util.ArrayList<>();
  /**
   * What this shard's databases cost in Redis's memory model ({@link Footprint}): keys, values
   * and tables, the sum of each database's {@link Db#memory} as last counted; and the part Redis
   * calls overhead (the tables). Event loop's own; published below for other threads.
   */
  private long memory;
  private long overhead;
  /** {@link #memory} as of the last {@link #settleMemory}, for INFO and maxmemory anywhere. */
  private volatile long memoryPublished;
  /** {@link #overhead} as of the last {@link #settleMemory}. */
  private volatile long overheadPublished;

  public Shard(int index, int databases) {
    this.index = index;
    this.dbs = new Db[databases];
    for (int i = 0; i < databases; i++) {
      dbs[i] = new Db(i, this);
    }
  }

  /** Raises a keyspace event of class {@code type} for {@code key} in database {@code dbid}. */
  public void notify(int type, String event, byte[] key, int dbid) {
    if ((notifyFlags & type) != 0 && notifySink != null) {
      notifySink.publish(type, event, key, dbid);
    }
  }

  void recountIn(Db db) {
    recounting.add(db);
  }

  /**
   * Counts again what the last command wrote (called after every command, and before anything
   * reads the figure) and publishes the shard's total: only the databases written change it.
   */
  public void settleMemory() {
    if (recounting.isEmpty()) {
      return;
    }
    for (int i = 0; i < recounting.size(); i++) {
      recounting.get(i).settle();
    }
    recounting.clear();
    memoryPublished = memory;
    overheadPublished = overhead;
  }

  void memoryChanged(long memoryDelta, long overheadDelta) {
    memory += memoryDelta;
    overhead += overheadDelta;
  }

  /** Recounts every database (tables resized by rehashing, keys loaded, flushes). */
  private void publishMemory() {
    for (Db db : dbs) {
      recounting.add(db);
    }
    settleMemory();
  }

  /** {@link #overheadPublished}: readable from any thread. */
  public long overheadPublished() {
    return overheadPublished;
  }

  /** {@link #memory} as last published: readable from any thread. */
  public long memoryPublished() {
    return memoryPublished;
  }

  public Db db(int id) {
    return dbs[id];
  }

  public int databases() {
    return dbs.length;
  }

  public long now() {
    return fixedNow != 0 ? fixedNow : System.currentTimeMillis();
  }

  /** Freezes the expiry clock (EXEC runs as one instant); 0 unfreezes it. */
  public void fixTime(long nowMs) {
    this.fixedNow = nowMs;
  }

  /** Access clock for OBJECT IDLETIME, in seconds (fits the node's int). */
  public int lruClock() {
    return (int) (System.currentTimeMillis() / 1000);
  }

  /**
   * Set by the maxmemory-policy: an *-lfu policy keeps LFU counters in the nodes' {@code lru}
   * fields ({@link Lfu}), any other the access time in seconds. Written on CONFIG SET's event loop.
   */
  public volatile boolean lfu;
  /** Set by the maxmemory-policy: an *-lru policy, whose snapshots save each key's idle time. */
  public volatile boolean lru;
  public volatile int lfuLogFactor = 10;
  public volatile int lfuDecayTime = 1;

  /**
   * Whether {@code moreBytes} more would take used memory over maxmemory (set by the server's
   * maxmemory; null: no limit).
   */
  public java.util.function.LongPredicate overMaxmemoryWith;

  /**
   * Redis's dictExpandAllowed for the key tables: below a load factor of 1.618 a table grows
   * only if its new buckets fit under maxmemory, so that growing it does not evict the keys it
   * was grown for.
   */
  boolean tableMayGrow(long moreBytes, double loadFactor) {
    java.util.function.LongPredicate over = overMaxmemoryWith;
    return loadFactor > 1.618 || over == null || !over.test(moreBytes);
  }

  /** A lookup of {@code n} by a command: its access time (LRU) or counter (LFU) moves. */
  public void access(Dict.Node<?> n) {
    n.lru = lfu ? Lfu.accessed(n.lru, lfuLogFactor, lfuDecayTime, random) : lruClock();
  }

  /** The {@code lru} field of a key created now. */
  public int freshAccess() {
    return lfu ? Lfu.fresh() : lruClock();
  }

  /** The {@code lru} field for a key restored with IDLETIME / FREQ (-1: not given). */
  public int restoredAccess(long idleSeconds, int freq) {
    if (lfu) {
      return freq >= 0 ? Lfu.withCounter(freq) : Lfu.fresh();
    }
    return idleSeconds >= 0 ? (int) Math.max(Integer.MIN_VALUE, lruClock() - idleSeconds)
        : lruClock();
  }

  public RandomGenerator random() {
    return random;
  }

  public long keyCount() {
    long n = 0;
    for (Db db : dbs) {
      n += db.size();
    }
    return n;
  }

  /**
   * The periodic job (every 1000/hz ms): time-bounded active expiry following Redis's adaptive
   * cycle, then a little incremental rehashing.
   */
  public void cron(int hz) {
    settleMemory();
    publishMemory(); // tables resized by rehashing, keys loaded
    long start = System.nanoTime();
    if (activeExpireEnabled && !datasetFrozen) {
      activeExpireCycle(start + 1_000_000_000L / hz * EXPIRE_CPU_PERCENT / 100);
    }
    long rehashDeadline = System.nanoTime() + 1_000_000; // 1 ms, as Redis's databasesCron
    for (Db db : dbs) {
      while (db.rehashStep() && System.nanoTime() < rehashDeadline) {
        // keep moving buckets until done or out of time
      }
    }
  }

  private void activeExpireCycle(long deadlineNanos) {
    long now = System.currentTimeMillis();
    for (int i = 0; i < dbs.length; i++) {
      Db db = dbs[(expireDbCursor + i) % dbs.length];
      while (db.expiresSize() > 0) {
        long r = db.expireScan(EXPIRE_SAMPLES, now);
        int expired = (int) (r >>> 32);
        int sampled = (int) r;
        if (System.nanoTime() > deadlineNanos) {
          stats.expiredTimeCapReachedCount++;
          expireDbCursor = (expireDbCursor + i) % dbs.length;
          return;
        }
        if (sampled > 0 && expired * 100 <= sampled * EXPIRE_ACCEPTABLE_STALE) {
          break;
        }
      }
    }
  }

  /** FLUSHALL (and the reloads of DEBUG): every database emptied, tracking told once. */
  public void flushAll() {
    for (Db db : dbs) {
      db.empty();
    }
    publishMemory();
    keysFlushed();
  }

  /** Tells client-side caching that every key may have changed (flush, swap, reload). */
  void keysFlushed() {
    KeyTracker t = tracker;
    if (t != null) {
      t.keysFlushed();
    }
  }
}
