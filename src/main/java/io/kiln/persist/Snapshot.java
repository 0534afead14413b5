package io.kiln.persist;

import io.vertx.core.eventbus.EventBus;
import java.util.List;

/**
 * The messages between a shard's {@link Snapshotter} (event loop) and the {@link SnapshotWriter}
 * (worker) over the event bus, passed by reference. Everything in them is immutable: entries hold
 * values captured at the snapshot's point in time (strings are immutable arrays already).
 */
public final class Snapshot {
  private Snapshot() {}

  /** Event-bus address of the snapshot writer. */
  public static final String ADDRESS = "kiln.snapshot";

  /** Opens the temp file and writes the header. */
  public record Begin(String tempPath, String finalPath, boolean compression, boolean checksum,
      long[] dbSizes, long[] dbExpires, long keySaveDelayMicros) {}

  /** One captured key: the database it belonged to at the snapshot's start. */
  public record Entry(int db, byte[] key, Object value, long expireAtMs) {}

  /** Captured keys to append, in order. */
  public record Batch(List<Entry> entries) {}

  /** Ends the file: EOF, checksum, fsync, rename over the final path, fsync the directory. */
  public record Finish() {}

  /** Gives up: closes and removes the temp file. */
  public record Abort() {}

  /** What a finished snapshot wrote. */
  public record Done(long bytes, long keys) {}

  /** Registers the pass-by-reference codecs (once per Vert.x instance). */
  public static void registerCodecs(EventBus bus) {
    for (Class<?> type : List.of(Begin.class, Batch.class, Finish.class, Abort.class, Done.class)) {
      register(bus, type);
    }
  }

  private static <T> void register(EventBus bus, Class<T> type) {
    bus.registerDefaultCodec(type, new LocalCodec<>(type));
  }
}
