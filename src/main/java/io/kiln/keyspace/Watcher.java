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
}
