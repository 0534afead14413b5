package io.kiln.metrics;

/**
 * Facts about the last RDB snapshot that INFO does not keep but the metrics report: its duration,
 * size and key count, and how many snapshots failed. Fed by the Snapshotter when a save ends.
 *
 * <p>Owned by the persistence shard's event loop (shard 0); the metrics endpoint reads it there
 * (it hops to that loop to take a {@link ShardSample}).
 */
public final class SnapshotMeters {
  public long lastDurationMs;
  public long lastBytes;
  public long lastKeys;
  public long failures;

  /** A save ended (not aborted): {@code ok} with its duration, bytes and keys, or failed. */
  public void finished(boolean ok, long durationMs, long bytes, long keys) {
    lastDurationMs = durationMs;
    if (ok) {
      lastBytes = bytes;
      lastKeys = keys;
    } else {
      failures++;
    }
  }
}
