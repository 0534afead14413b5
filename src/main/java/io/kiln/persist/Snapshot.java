package io.kiln.persist;

import io.vertx.core.eventbus.EventBus;
import java.util.List;

/**
 * The messages between a shard's {@link Snapshotter} (event loop) and the {@link SnapshotWriter}
 * (worker) over the event bus, passed by reference. Everything in them is immutable: entries hold
 * values captured at the snapshot's point in time (copies, or strings never changed in place).
 */
public final class Snapshot {
  private Snapshot() {}

  /** Event-bus address of the snapshot writer. */
  public static final String ADDRESS = "kiln.snapshot";

  /**
   * Opens the temp file and writes the header. {@code incrementalFsync}: rdb-save-incremental-fsync,
   * sync the file every {@link SnapshotWriter#AUTOSYNC_BYTES} as it grows. A null
   * {@code finalPath} is a {@link Rehearsal}: {@code tempPath} is then the prefix of a new file in
   * the temp dir, removed when finished.
   */
  public record Begin(String tempPath, String finalPath, boolean compression, boolean checksum,
      boolean incrementalFsync, long[] dbSizes, long[] dbExpires, long keySaveDelayMicros) {
    /** A {@link Rehearsal}'s save. */
    boolean rehearsal() {
      return finalPath == null;
    }
  }

  /**
   * Captured keys to append, in order, as parallel arrays (no object per key): for each, the
   * database it belonged to at the snapshot's start, the key, the captured value (a string's
   * array, or what {@code RedisValue.capture} made of a collection: its RDB form or a private
   * copy the writer unpacks) and the expiry in ms (0 for none). Filled by the
   * event loop, then handed over whole and never touched again by it.
   */
  public static final class Batch {
    final int[] dbs;
    final byte[][] keys;
    final Object[] values;
    final long[] expires;
    int size;

    Batch(int capacity) {
      dbs = new int[capacity];
      keys = new byte[capacity][];
      values = new Object[capacity];
      expires = new long[capacity];
    }

    void add(int db, byte[] key, Object value, long expireAtMs) {
      dbs[size] = db;
      keys[size] = key;
      values[size] = value;
      expires[size] = expireAtMs;
      size++;
    }

    boolean isFull() {
      return size == keys.length;
    }

    boolean isEmpty() {
      return size == 0;
    }
  }

  /** Ends the file: EOF, checksum, fsync, rename over the final path, fsync the directory. */
  public record Finish() {}

  /** Gives up: closes and removes the temp file. */
  public record Abort() {}

  /**
   * Does nothing: sent once at startup so that the event bus's request path and the reply
   * handlers are loaded and linked then, not inside the first save's start pause.
   */
  public record Warm() {}

  /** What a finished snapshot wrote. */
  public record Done(long bytes, long keys) {}

  /** Registers the pass-by-reference codecs (once per Vert.x instance). */
  public static void registerCodecs(EventBus bus) {
    for (Class<?> type : List.of(Begin.class, Batch.class, Finish.class, Abort.class, Warm.class,
        Done.class)) {
      register(bus, type);
    }
  }

  private static <T> void register(EventBus bus, Class<T> type) {
    bus.registerDefaultCodec(type, new LocalCodec<>(type));
  }
}
