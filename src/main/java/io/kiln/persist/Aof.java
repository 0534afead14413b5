package io.kiln.persist;

import io.vertx.core.eventbus.EventBus;

/**
 * What crosses the event bus between the shards and the AOF writer ({@link AofWriter}), and the
 * AOF's facts INFO reports. Messages are immutable and pass by reference ({@link LocalCodec}).
 *
 * <p>Threads: the messages are built on one thread and read on another, never changed; the
 * {@link Status} fields are written by the writer's worker thread and read from any thread.
 */
public final class Aof {
  private Aof() {}

  /** Where shards send their batches. */
  public static final String ADDRESS = "kiln.aof";

  /** Where the writer tells shard {@code n} what became durable: {@code ACKS + n}. */
  public static final String ACKS = "kiln.aof.ack.";

  /**
   * The effects of one event-loop round of shard {@code shard}, RESP-encoded, with the shard's
   * sequence number (batches of one shard arrive in order and are written in that order).
   * Under always every batch is acknowledged once fsynced; under everysec and no only those
   * with {@code wantAck} at once (a shutdown waiting for the file), the others once a second.
   */
  public record Batch(int shard, long seq, byte[] bytes, int commands, boolean wantAck) {}

  /**
   * To shard {@code shard}: every batch up to {@code seq} is written ({@code appendfsync} no or
   * everysec) or written and fsynced (always), and every batch up to {@code fsyncedSeq} is
   * fsynced whatever the policy (WAITAOF); {@code error} is null when the last write and
   * fsync succeeded, else the reason writes are refused (MISCONF) until one succeeds again.
   */
  public record Ack(long seq, long fsyncedSeq, String error) {}

  /**
   * A rewrite starts (BGREWRITEAOF): shard {@code shard}'s batches after {@code cutSeq} are kept
   * in the rewrite buffer as well (the base captures everything up to the cut).
   */
  public record RewriteStart(int shard, long cutSeq, String base) {}

  /**
   * The rewrite's base is written to {@code base}: the buffer is replayed into it, it is fsynced
   * and renamed over the AOF; the reply is the buffer's size in bytes.
   */
  public record RewriteFinish(String base) {}

  /** The rewrite failed: the buffer is dropped and {@code base} removed if it exists. */
  public record RewriteAbort(String base) {}

  /** What INFO persistence shows of the AOF; written by the writer thread only. */
  public static final class Status {
    public volatile boolean enabled;
    public volatile long currentSize;
    public volatile long baseSize;
    /** Bytes received and not yet written (kept while the disk refuses them). */
    public volatile long bufferLength;
    public volatile boolean fsyncPending;
    public volatile long delayedFsync;
    /** Null while writes succeed; the error text of the last failure otherwise. */
    public volatile String writeError;
  }

  /** Registers the pass-by-reference codecs (once per Vert.x instance). */
  public static void registerCodecs(EventBus bus) {
    bus.registerDefaultCodec(Batch.class, new LocalCodec<>(Batch.class));
    bus.registerDefaultCodec(Ack.class, new LocalCodec<>(Ack.class));
    bus.registerDefaultCodec(RewriteStart.class, new LocalCodec<>(RewriteStart.class));
    bus.registerDefaultCodec(RewriteFinish.class, new LocalCodec<>(RewriteFinish.class));
    bus.registerDefaultCodec(RewriteAbort.class, new LocalCodec<>(RewriteAbort.class));
  }
}
