package io.kiln.keyspace;

/**
 * A client that WATCHes keys: told when one of them is modified, expired or flushed, so that its
 * EXEC fails. Called on the event loop of the shard that owns the key.
 */
public interface Watcher {
  void watchedKeyTouched();
}
