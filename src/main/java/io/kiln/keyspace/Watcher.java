package io.kiln.keyspace;

/**
 * A client that WATCHes keys: told when one of them is modified, expired or flushed, so that its
 * EXEC fails. Called on the event loop of the shard that owns the key.
 */
public interface Watcher {
  void watchedKeyTouched();

  /**
   * SWAPDB put an already expired {@code key} where the watched one did not exist: no logical
   * change (Redis flags the watch as expired), so the expiry must not fail EXEC.
   */
  void watchedKeyStale(Db db, byte[] key);

  /**
   * An expired watched {@code key} was deleted: fires the watch unless SWAPDB had made it stale
   * (then no logical change, and the watch forgets it was stale), as Redis's touchWatchedKey.
   */
  void watchedKeyExpired(Db db, byte[] key);
}
