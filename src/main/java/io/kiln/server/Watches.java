package io.kiln.server;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Watcher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The keys one client WATCHes, and whether one of them changed since: EXEC fails then. Follows
 * Redis 7.0's rules for expired keys (a watched key that expires after WATCH fails EXEC; one
 * SWAPDB made stale does not, nor does its deletion). Owned by the client's event loop.
 */
final class Watches implements Watcher {
  /** A WATCHed key; {@code stale}: SWAPDB put an expired key there (see watchedKeyStale). */
  private static final class WatchedKey {
    final Db db;
    final byte[] key;
    boolean stale;

    WatchedKey(Db db, byte[] key) {
      this.db = db;
      this.key = key;
    }

    boolean is(Db d, byte[] k) {
      return db == d && Arrays.equals(key, k);
    }
  }

  private final List<WatchedKey> watched = new ArrayList<>();
  private boolean touched;

  void watch(Db db, byte[] key) {
    for (WatchedKey w : watched) {
      if (w.is(db, key)) {
        return;
      }
    }
    // A key already expired is deleted now, before we listen: its deletion does not fail EXEC.
    db.node(key);
    watched.add(new WatchedKey(db, key));
    db.watch(key, this);
  }

  void unwatchAll() {
    for (WatchedKey w : watched) {
      w.db.unwatch(w.key, this);
    }
    watched.clear();
    touched = false;
  }

  /**
   * EXEC's check. Redis 7.0 fails EXEC when a watched key expired after WATCH, even if nothing
   * deleted it yet: looking each key up deletes the expired ones, which touches the watch.
   */
  boolean touchedOrExpired() {
    for (WatchedKey w : List.copyOf(watched)) {
      if (!w.stale) {
        w.db.node(w.key);
      }
    }
    return touched;
  }

  @Override
  public void watchedKeyTouched() {
    touched = true;
  }

  @Override
  public void watchedKeyExpired(Db db, byte[] key) {
    for (WatchedKey w : watched) {
      if (w.stale && w.is(db, key)) {
        w.stale = false; // the stale key is gone: nothing changed logically
        return;
      }
    }
    touched = true;
  }

  @Override
  public void watchedKeyStale(Db db, byte[] key) {
    for (WatchedKey w : watched) {
      if (w.is(db, key)) {
        w.stale = true;
      }
    }
  }
}
