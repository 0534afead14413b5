package io.kiln.keyspace;

/**
 * Client-side caching's ear on the keyspace (CLIENT TRACKING): told of every key whose value a
 * command, an expiry or an eviction changed, and of every flush, so that clients caching those
 * keys are told to drop them. Set on the {@link Shard} only while some client tracks keys; the
 * write path then pays one null check when none does.
 *
 * <p>Called on the event loop of the shard that owns the keys (or on its script thread while the
 * loop waits for a script's command).
 */
public interface KeyTracker {
  /**
   * {@code key} (of any database: tracking ignores databases, as Redis's does) changed.
   * {@code byCommand} is false for an expiry or an eviction, which no connection did.
   */
  void keyChanged(byte[] key, boolean byCommand);

  /** Databases were flushed, swapped or reloaded: every key may have changed. */
  void keysFlushed();
}
