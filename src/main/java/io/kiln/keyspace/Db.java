package io.kiln.keyspace;

import java.util.ArrayList;
import java.util.List;

/**
 * One logical database (SELECT n) of one shard: the key table, the index of keys with a TTL
 * (sampled by active expiry), and the WATCH registry. Values are {@code byte[]} for strings
 * and type objects for the rest.
 *
 * <p>A string's array belongs to its key alone (COPY, the slow log and a snapshot copy what they
 * keep), so a write of the same length up to {@link #IN_PLACE_MAX} bytes overwrites it in place
 * (SET, INCR...): an overwrite then allocates nothing the collector must keep and stores no new
 * reference into an old node, which is what makes young collections under an overwrite-heavy
 * load short. Longer strings are never changed in place, and a snapshot holds them by reference.
 * The exception is a string that APPEND, SETRANGE, SETBIT or BITFIELD grew or wrote into past
 * that length: it becomes an {@link io.kiln.types.GrowableString}, written in place after
 * {@link #replace} (which captures it first), and a snapshot holds a view of it.
 *
 * <p>Owned by the shard's event loop; not thread-safe.
 */
public final class Db {
  public final int id;
  private final Shard shard;
  /** Not final: SWAPDB exchanges the tables of two databases. */
  private Dict<Object> keys = new Dict<>();
  /** Keys with a TTL, each mapped to its node in {@link #keys}. */
  private Dict<Dict.Node<Object>> expires = new Dict<>();
  /** WATCHed key -> clients watching it. */
  private final Dict<List<Watcher>> watched = new Dict<>();
  /**
   * The sum of the keys' {@link Dict.Node#mem}: what they and their values cost in Redis's
   * memory model ({@link Footprint}), kept as keys are written rather than by walking anything.
   */
  private long keyBytes;
  /** {@link #memory} and the tables' overhead as the shard's totals last counted them. */
  private long counted;
  private long countedOverhead;
  /** Nodes written by the running command, counted again when it ends ({@link #settle}). */
  private final ArrayList<Dict.Node<Object>> recount = new ArrayList<>();
  /** The mark of a node in {@link #recount} (the sign bit of its {@code mem}). */
  private static final int RECOUNT = 1 << 31;
  /** Elements a collection's estimate samples after a write (Redis's MEMORY USAGE default). */
  static final int SAMPLES = 5;

  Db(int id, Shard shard) {
    this.id = id;
    this.shard = shard;
    keys.growth(shard::tableMayGrow);
    expires.growth(shard::tableMayGrow);
  }
  /** Raises keyspace event {@code event} of class {@code type} ({@link Notify}) for a key here. */
  public void notify(int type, String event, byte[] key) {
    shard.notify(type, event, key, id);
  }

  public int size() {
    return keys.size();
  }

  public int expiresSize() {
    return expires.size();
  }

  // ---- lookups (expire lazily) ----

  /**
   * The live node for {@code key}, deleting it first if its TTL has passed (kept, though still
   * answered as absent, while CLIENT PAUSE freezes the dataset); null if absent.
   */
  public Dict.Node<Object> node(byte[] key) {
    Dict.Node<Object> n = keys.getNode(key);
    if (n != null && n.expireAt != 0 && n.expireAt <= shard.now() && !shard.replaying) {
      if (!shard.datasetFrozen) {
        expireNow(n);
      }
      return null;
    }
    return n;
  }

  /**
   * A read lookup: the value for {@code key} (expiring it if due), marked accessed and counted in
   * INFO keyspace_hits / keyspace_misses; null if absent.
   */
  public Object get(byte[] key) {
    Dict.Node<Object> n = node(key);
    if (n == null) {
      shard.stats.keyspaceMisses++;
      notify(Notify.KEY_MISS, "keymiss", key);
      return null;
    }
    shard.stats.keyspaceHits++;
    shard.access(n);
    return n.value;
  }

  /**
   * A read lookup that leaves the access time alone (TYPE, EXISTS, TTL: Redis's NOTOUCH; callers
   * may touch it themselves): counted in keyspace_hits / keyspace_misses, and a miss raises the
   * "keymiss" event. Null if absent.
   */
  public Dict.Node<Object> readNode(byte[] key) {
    Dict.Node<Object> n = node(key);
    if (n == null) {
      shard.stats.keyspaceMisses++;
      notify(Notify.KEY_MISS, "keymiss", key);
    } else {
      shard.stats.keyspaceHits++;
    }
    return n;
  }

  /** The node for {@code key} even if logically expired, with no side effect (DEBUG); or null. */
  public Dict.Node<Object> peek(byte[] key) {
    return keys.getNode(key);
  }

  public boolean exists(byte[] key) {
    return node(key) != null;
  }

  /** Milliseconds-since-epoch expiry of a live key, 0 for none, -2 if the key is absent. */
  public long expireAt(byte[] key) {
    Dict.Node<Object> n = node(key);
    return n == null ? -2 : n.expireAt;
  }

  /** Presence without side effects (no lazy expiry, no rehash-sensitive deletion). */
  private boolean isLive(byte[] key) {
    Dict.Node<Object> n = keys.getNode(key);
    return n != null && (n.expireAt == 0 || n.expireAt > shard.now());
  }

  // ---- writes ----

  /** Sets {@code key} to {@code value}, clearing any TTL unless {@code keepTtl}. */
  public void set(byte[] key, Object value, boolean keepTtl) {
    Dict.Node<Object> n = node(key);
    if (n == null) {
      n = keys.putNode(key, value);
      inserted(n);
      notify(Notify.NEW, "new", key);
      n.lru = shard.freshAccess();
    } else {
      willChange(n);
      store(n, value);
      if (!keepTtl && n.expireAt != 0) {
        n.expireAt = 0;
        expires.removeNode(key);
      }
      shard.access(n);
    }
    touched(key);
    added(key, value);
  }

  /** Longest string a write of the same length overwrites in place (see the class comment). */
  public static final int IN_PLACE_MAX = 512;

  /** Puts {@code value} into a live node: into its string's array when the lengths allow. */
  private static void store(Dict.Node<Object> n, Object value) {
    if (value instanceof byte[] nv && n.value instanceof byte[] old && old.length == nv.length
        && nv.length <= IN_PLACE_MAX) {
      System.arraycopy(nv, 0, old, 0, nv.length);
    } else {
      n.value = value;
    }
  }

  /** A non-string value appeared under {@code key}: blocked clients waiting on it may wake. */
  private void added(byte[] key, Object value) {
    if (value instanceof io.kiln.types.RedisValue && shard.valueAdded != null) {
      shard.valueAdded.accept(this, key);
    }
  }

  /** Sizes the empty tables for a dump file's RESIZEDB counts (see {@link Dict#presize}). */
  public void presize(long keyCount, long expiresCount) {
    keys.presize(keyCount);
    expires.presize(expiresCount);
  }

  /**
   * Adds a key read from a dump file in one table lookup, as Redis's loader does: no keyspace
   * events, watches, wake-ups or snapshot hooks (a load starts from empty databases, and no
   * command that could wait on a key runs meanwhile). Returns false, changing nothing, when the
   * key is already there.
   */
  public boolean load(byte[] key, Object value, long expireAtMs, int lru) {
    return load(key, Dict.hash(key), value, expireAtMs, lru);
  }

  /** {@link #load(byte[], Object, long, int)} of a key whose {@link Dict#hash} is known. */
  public boolean load(byte[] key, int hash, Object value, long expireAtMs, int lru) {
    int before = keys.size();
    Dict.Node<Object> n = keys.addNodeIfAbsent(key, hash, value);
    if (keys.size() == before) {
      return false;
    }
    n.mem = count(n);
    keyBytes += n.mem;
    n.lru = lru;
    if (expireAtMs != 0) {
      n.expireAt = expireAtMs;
      expires.putNode(n.key, n);
    }
    return true;
  }

  /** See {@link Dict#prefetch}: the buckets of keys about to be {@link #load}ed. */
  public void prefetch(int[] hashes, int n) {
    keys.prefetch(hashes, n);
  }

  /** Sets {@code key} to {@code value} with an absolute expiry (ms since epoch, 0 for none). */
  public void set(byte[] key, Object value, long expireAtMs) {
    set(key, value, false);
    if (expireAtMs != 0) {
      setExpire(key, expireAtMs);
    }
  }

  /** Replaces the value of an existing live key, keeping its TTL (APPEND, INCR, SETRANGE...). */
  public void replace(Dict.Node<Object> node, Object value) {
    willChange(node);
    store(node, value);
    shard.access(node);
    touched(node.key);
  }

  public boolean delete(byte[] key) {
    return deleteAndGet(key) != null;
  }

  /** Deletes {@code key} and returns the value it held, or null when it did not exist. */
  public Object deleteAndGet(byte[] key) {
    Dict.Node<Object> n = node(key);
    if (n == null) {
      return null;
    }
    remove(n);
    touched(key);
    return n.value;
  }

  /**
   * After elements left the collection at {@code key}: the key goes once the collection is
   * empty (Redis never keeps an empty one, and announces that as a "del" keyspace event: call
   * it after the command's own event), otherwise its watchers are told.
   */
  public void removedFrom(byte[] key, io.kiln.types.RedisValue value) {
    if (value.isEmpty()) {
      delete(key);
      notify(Notify.GENERIC, "del", key);
    } else {
      touched(key);
    }
  }

  /** Sets the TTL of a live key; returns false if the key is absent. */
  public boolean setExpire(byte[] key, long expireAtMs) {
    Dict.Node<Object> n = node(key);
    if (n == null) {
      return false;
    }
    willChange(n);
    if (n.expireAt == 0) {
      expires.putNode(n.key, n);
    }
    n.expireAt = expireAtMs;
    touched(key);
    return true;
  }

  /** Removes a TTL; returns true if there was one. */
  public boolean persist(byte[] key) {
    Dict.Node<Object> n = node(key);
    if (n == null || n.expireAt == 0) {
      return false;
    }
    willChange(n);
    n.expireAt = 0;
    expires.removeNode(key);
    touched(key);
    return true;
  }

  /**
   * RENAME: re-files the live node {@code src} under {@code dstKey} (deleting whatever lived there),
   * keeping its value, TTL and access time. Watches on both keys fire.
   */
  public void rename(Dict.Node<Object> src, byte[] dstKey) {
    Dict.Node<Object> old = node(dstKey);
    if (old != null) {
      remove(old);
    }
    remove(src);
    Dict.Node<Object> n = keys.putNode(dstKey, src.value);
    inserted(n);
    notify(Notify.NEW, "new", dstKey);
    n.lru = src.lru;
    if (src.expireAt != 0) {
      n.expireAt = src.expireAt;
      expires.putNode(dstKey, n);
    }
    touched(src.key);
    touched(dstKey);
    added(dstKey, n.value);
  }

  /**
   * MOVE: transfers the live node {@code src} of this database to {@code target} under the same
   * key, keeping value, TTL and access time. The caller has checked the key is absent there.
   * Watches on the key fire in both databases.
   */
  public void moveTo(Dict.Node<Object> src, Db target) {
    remove(src);
    Dict.Node<Object> n = target.keys.putNode(src.key, src.value);
    target.inserted(n);
    target.notify(Notify.NEW, "new", src.key);
    n.lru = src.lru;
    if (src.expireAt != 0) {
      n.expireAt = src.expireAt;
      target.expires.putNode(src.key, n);
    }
    touched(src.key);
    target.touched(src.key);
    target.added(src.key, n.value);
  }

  /**
   * FLUSHDB: empties the database, failing the EXEC of clients watching keys that existed and
   * invalidating every key clients cache (tracking is not per database).
   */
  public void flush() {
    empty();
    shard.keysFlushed();
  }

  /** Empties the database, failing the EXEC of clients watching keys that existed. */
  void empty() {
    touchAllWatched(null);
    keyBytes = 0;
    recount.clear();
    shard.recountIn(this); // so that the shard publishes its new total
    // New tables rather than clear(): a running snapshot keeps walking the old ones untouched.
    keys = new Dict<>();
    expires = new Dict<>();
    keys.growth(shard::tableMayGrow);
    expires.growth(shard::tableMayGrow);
  }

  /**
   * Exchanges contents with {@code other} (SWAPDB); watches on keys present in either fire.
   * Clients caching keys are told to drop them all, as after a flush: what any key of the two
   * databases holds may have changed (Redis 7.0 tells them nothing here, and their caches go stale).
   */
  public void swapWith(Db other) {
    touchAllWatched(other);
    other.touchAllWatched(this);
    shard.keysFlushed();
    settle();
    other.settle();
    long b = keyBytes;
    keyBytes = other.keyBytes;
    other.keyBytes = b;
    shard.recountIn(this); // each now holds the other's tables
    shard.recountIn(other);
    Dict<Object> k = keys;
    keys = other.keys;
    other.keys = k;
    Dict<Dict.Node<Object>> e = expires;
    expires = other.expires;
    other.expires = e;
    if (shard.dbsSwapped != null) {
      shard.dbsSwapped.accept(this, other);
    }
  }

  private void remove(Dict.Node<Object> n) {
    willChange(n);
    keyBytes -= n.mem & ~RECOUNT;
    n.mem = 0; // and no longer marked: a pending recount passes it by
    keys.removeNode(n.key);
    if (n.expireAt != 0) {
      expires.removeNode(n.key);
    }
  }

  private void expireNow(Dict.Node<Object> n) {
    remove(n);
    shard.stats.expiredKeys++;
    shard.effects.expired(id, n.key);
    changed(n.key, false, true);
    notify(Notify.EXPIRED, "expired", n.key);
  }

  // ---- snapshot hooks ----

  /**
   * Call before changing a live node's value (or a collection inside it) in place: a running
   * snapshot captures the old state first. Db's own write methods call it already.
   */
  public void willChange(Dict.Node<Object> n) {
    SnapshotCapture capture = shard.capture;
    if (capture != null) {
      capture.beforeChange(keys, n);
    }
    markForRecount(n);
  }

  private void inserted(Dict.Node<Object> n) {
    markForRecount(n);
    SnapshotCapture capture = shard.capture;
    if (capture != null) {
      capture.inserted(n);
    }
  }

  // ---- memory ----

  private void markForRecount(Dict.Node<Object> n) {
    if (n.mem >= 0) {
      n.mem |= RECOUNT;
      if (recount.isEmpty()) {
        shard.recountIn(this);
      }
      recount.add(n);
    }
  }

  private static int count(Dict.Node<Object> n) {
    return (int) Math.min(Integer.MAX_VALUE, Footprint.entry(n.key, n.value, SAMPLES));
  }

  /**
   * Counts again the keys written since the last call (after each command) and hands the change
   * of {@link #memory} and of the tables' overhead to the shard's totals.
   */
  void settle() {
    for (Dict.Node<Object> n : recount) {
      if (n.mem < 0) {
        int now = count(n);
        keyBytes += now - (n.mem & ~RECOUNT);
        n.mem = now;
      }
    }
    recount.clear();
    long m = memory();
    long o = mainTableOverhead() + expiresTableOverhead();
    shard.memoryChanged(m - counted, o - countedOverhead);
    counted = m;
    countedOverhead = o;
  }

  /**
   * What this database costs in Redis's model: its keys and values, the buckets of its key
   * table, and the entries and buckets of its TTL table (up to date after {@link #settle}).
   */
  long memory() {
    return keyBytes + Footprint.BUCKET * keys.slots()
        + (long) Footprint.DICT_ENTRY * expires.size() + Footprint.BUCKET * expires.slots();
  }

  /** Redis's overhead.hashtable.main: entries, object headers and buckets of the key table. */
  public long mainTableOverhead() {
    return (long) (Footprint.DICT_ENTRY + Footprint.OBJECT) * keys.size()
        + Footprint.BUCKET * keys.slots();
  }

  /** Redis's overhead.hashtable.expires: entries and buckets of the TTL table. */
  public long expiresTableOverhead() {
    return (long) Footprint.DICT_ENTRY * expires.size() + Footprint.BUCKET * expires.slots();
  }

  /** The key table itself, for a snapshot's walk (which must not modify it). */
  public Dict<Object> table() {
    return keys;
  }

  // ---- iteration and sampling ----

  public Dict.Node<Object> randomNode() {
    for (int tries = 0; tries < 100; tries++) {
      Dict.Node<Object> n = keys.fairRandomNode(shard.random());
      if (n == null) {
        return null;
      }
      if (n.expireAt == 0 || n.expireAt > shard.now()) {
        return n;
      }
      if (!shard.datasetFrozen) {
        expireNow(n);
      }
    }
    return null;
  }

  /** A random key, expired or not (eviction's sample); null when empty. */
  Dict.Node<Object> anyRandomNode() {
    return keys.randomNode(shard.random());
  }

  /** A random key with a TTL (volatile-* eviction's sample); null when none. */
  Dict.Node<Object> randomVolatileNode() {
    Dict.Node<Dict.Node<Object>> e = expires.randomNode(shard.random());
    return e == null ? null : e.value;
  }

  /**
   * maxmemory evicts {@code n}: deleted as a DEL would (a running snapshot keeps it, the AOF
   * gets a DEL, WATCHers fail), counted in evicted_keys and announced as an "evicted" keyspace
   * event. Returns what it freed in Redis's memory model.
   */
  long evict(Dict.Node<Object> n) {
    long before = memory();
    remove(n);
    shard.stats.evictedKeys++;
    shard.effects.evicted(id, n.key);
    changed(n.key, false, false);
    notify(Notify.EVICTED, "evicted", n.key);
    return before - memory();
  }

  /** SCAN over keys: visits live keys of a few buckets, returns the next cursor. */
  public long scan(long cursor, java.util.function.Consumer<Dict.Node<Object>> visitor) {
    long now = shard.now();
    return keys.scan(cursor, n -> {
      if (n.expireAt == 0 || n.expireAt > now) {
        visitor.accept(n);
      }
    });
  }

  /** Every live node; callers must not modify the table while iterating. */
  public void forEach(java.util.function.Consumer<Dict.Node<Object>> action) {
    long now = shard.now();
    keys.forEach(n -> {
      if (n.expireAt == 0 || n.expireAt > now) {
        action.accept(n);
      }
    });
  }

  /** Where {@link #expireScan} resumes in the expires table (Redis's expires_cursor). */
  private long expireCursor;

  /**
   * One round of active expiry the way Redis 7 does it: walks the buckets of the TTL index from a
   * cursor that persists between rounds, until {@code samples} keys were looked at (or
   * 20 x samples buckets, empty ones included), deleting those that are due. Unlike random
   * sampling, successive rounds cover the whole index, so a few due keys among many live ones are
   * still found within one sweep. Returns {@code expired << 32 | sampled}.
   */
  long expireScan(int samples, long now) {
    if (expires.size() == 0) {
      return 0;
    }
    List<Dict.Node<Object>> due = new ArrayList<>();
    int[] sampled = {0};
    int maxBuckets = samples * 20;
    for (int buckets = 0; sampled[0] < samples && buckets < maxBuckets; buckets++) {
      expireCursor = expires.scan(expireCursor, e -> {
        sampled[0]++;
        if (e.value.expireAt <= now) {
          due.add(e.value);
        }
      });
    }
    long expired = 0;
    for (Dict.Node<Object> node : due) {
      if (keys.getNode(node.key) == node) {
        expireNow(node);
        expired++;
      }
    }
    return expired << 32 | sampled[0];
  }

  /** Moves a few buckets of each table's incremental rehash; true while work remains. */
  boolean rehashStep() {
    keys.tryShrink();
    expires.tryShrink();
    boolean more = keys.rehashStep(100);
    more |= expires.rehashStep(100);
    return more;
  }

  // ---- WATCH ----

  public void watch(byte[] key, Watcher w) {
    Dict.Node<List<Watcher>> n = watched.addNodeIfAbsent(key, null);
    if (n.value == null) {
      n.value = new ArrayList<>(2);
    }
    if (!n.value.contains(w)) {
      n.value.add(w);
    }
  }

  public void unwatch(byte[] key, Watcher w) {
    Dict.Node<List<Watcher>> n = watched.getNode(key);
    if (n != null) {
      n.value.remove(w);
      if (n.value.isEmpty()) {
        watched.removeNode(key);
      }
    }
  }

  /**
   * A command wrote {@code key}: fails watchers' EXEC and invalidates the key for clients caching
   * it (Redis's signalModifiedKey).
   */
  public void touched(byte[] key) {
    changed(key, true, false);
  }

  /** {@link #touched}, and for expiries and evictions ({@code byCommand} false). */
  /** {@code expired}: an expired key was deleted (a watch on a stale key does not fire then). */
  private void changed(byte[] key, boolean byCommand, boolean expired) {
    KeyTracker tracker = shard.tracker;
    if (tracker != null) {
      tracker.keyChanged(key, byCommand);
    }
    if (watched.size() == 0) {
      return;
    }
    List<Watcher> ws = watched.get(key);
    if (ws != null) {
      for (Watcher w : List.copyOf(ws)) {
        if (expired) {
          w.watchedKeyExpired(this, key);
        } else {
          w.watchedKeyTouched();
        }
      }
    }
  }

  /** Flush/SWAPDB: every watched key present here (or in {@code other}) fires. */
  private void touchAllWatched(Db other) {
    if (watched.size() == 0) {
      return;
    }
    watched.forEach(n -> {
      if (isLive(n.key) || (other != null && other.isLive(n.key))) {
        for (Watcher w : n.value) {
          w.watchedKeyTouched();
        }
      } else if (other != null && keys.getNode(n.key) == null && other.keys.getNode(n.key) != null) {
        for (Watcher w : n.value) {
          w.watchedKeyStale(this, n.key); // nothing replaced by an expired key
        }
      }
    });
  }
}
