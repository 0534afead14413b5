package io.kiln.persist;

import io.kiln.rdb.RdbWriter;
import io.vertx.core.eventbus.EventBus;
import java.io.IOException;
import java.util.List;

/**
 * The messages between a shard's {@link CaptureEngine} (event loop) and the {@link SnapshotWriter}
 * (worker) over the event bus, passed by reference, and the {@link Target}s a capture goes to.
 * Everything in them is immutable: entries hold values captured at the capture's point in time
 * (copies, or strings never changed in place).
 */
public final class Snapshot {
  private Snapshot() {}

  /** Event-bus address of the snapshot writer. */
  public static final String ADDRESS = "kiln.snapshot";

  /**
   * A capture begins: the writer opens {@code target}'s sink. {@code dbSizes} and
   * {@code dbExpires}: each database's keys and keys with a TTL at the start (RDB's RESIZEDB);
   * {@code functions}: the function libraries' codes at the start (an immutable list), which a
   * sink writes before the keys (RDB's FUNCTION2 records, or FUNCTION LOAD commands).
   * {@code cancelled}: set by the event loop when the capture is abandoned, so that the writer
   * stops at once rather than after the batches queued before the {@link Abort} (the one field
   * both threads touch, atomically).
   */
  public record Begin(Target target, long[] dbSizes, long[] dbExpires, List<byte[]> functions,
      java.util.concurrent.atomic.AtomicBoolean cancelled) {}

  /**
   * Where a capture goes, as its job chose it on the event loop (immutable): the writer opens
   * its {@link CaptureSink} at the Begin, on the writer's thread. A new destination (a replica's
   * stream) is a new target with its own sink; the engine and the writer stay as they are.
   */
  public interface Target {
    /** Opens the sink (creates its file, writes its header). The snapshot writer's thread. */
    CaptureSink open(Begin begin) throws IOException;

    /** rdb-key-save-delay, a testing knob: microseconds the writer waits after each key. */
    default long keySaveDelayMicros() {
      return 0;
    }

    /** A {@link Rehearsal}'s: its failures are nobody's concern (logged at debug level only). */
    default boolean quiet() {
      return false;
    }
  }

  /**
   * An RDB file written into {@code tempPath} and renamed over {@code finalPath}: dump.rdb
   * (SAVE, BGSAVE), or an AOF's base with an RDB preamble. {@code incrementalFsync}: sync the
   * file every {@link SnapshotFile#AUTOSYNC_BYTES} as it grows.
   */
  public record RdbFile(String tempPath, String finalPath, boolean compression, boolean checksum,
      boolean incrementalFsync, long keySaveDelayMicros) implements Target {
    @Override
    public CaptureSink open(Begin begin) throws IOException {
      return RdbSink.open(SnapshotFile.create(tempPath, finalPath, incrementalFsync),
          new RdbWriter.Options().compression(compression).checksum(checksum), begin);
    }
  }

  /**
   * An AOF's base written as the commands that rebuild the dataset (aof-use-rdb-preamble no)
   * into {@code tempPath}, renamed over {@code finalPath}; {@code timestamp}: it starts with a
   * "#TS:" annotation (aof-timestamp-enabled).
   */
  public record AofCommands(String tempPath, String finalPath, boolean timestamp,
      boolean incrementalFsync, long keySaveDelayMicros) implements Target {
    @Override
    public CaptureSink open(Begin begin) throws IOException {
      return CommandSink.open(SnapshotFile.create(tempPath, finalPath, incrementalFsync),
          timestamp, begin.functions());
    }
  }

  /**
   * Captured keys to append, in order, as parallel arrays (no object per key): for each, the
   * database it belonged to at the snapshot's start, the key, the captured value (a string's
   * array, or what {@code RedisValue.capture} made of a collection: its RDB form or a private
   * copy the writer unpacks), the expiry in ms (0 for none), and the idle seconds (an *-lru
   * policy) or LFU counter (*-lfu) the file keeps (-1: none). Filled by the event loop, then
   * handed over whole and never touched again by it.
   */
  public static final class Batch {
    final int[] dbs;
    final byte[][] keys;
    final Object[] values;
    final long[] expires;
    final int[] idles;
    final int[] freqs;
    int size;

    Batch(int capacity) {
      dbs = new int[capacity];
      keys = new byte[capacity][];
      values = new Object[capacity];
      expires = new long[capacity];
      idles = new int[capacity];
      freqs = new int[capacity];
    }

    void add(int db, byte[] key, Object value, long expireAtMs, int idleSeconds, int freq) {
      dbs[size] = db;
      keys[size] = key;
      values[size] = value;
      expires[size] = expireAtMs;
      idles[size] = idleSeconds;
      freqs[size] = freq;
      size++;
    }

    boolean isFull() {
      return size == keys.length;
    }

    boolean isEmpty() {
      return size == 0;
    }
  }

  /** Ends the capture: the sink finishes (a file: EOF, fsync, rename, fsync the directory). */
  public record Finish() {}

  /** Gives up: the sink discards what it wrote (a file: closed and removed). */
  public record Abort() {}

  /**
   * Does nothing: sent once at startup so that the event bus's request path and the reply
   * handlers are loaded and linked then, not inside the first capture's start pause.
   */
  public record Warm() {}

  /** What a finished capture's sink wrote. */
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
