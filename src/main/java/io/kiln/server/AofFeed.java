package io.kiln.server;

import io.kiln.keyspace.Effects;
import io.kiln.persist.Aof;
import io.vertx.core.Context;
import io.vertx.core.eventbus.EventBus;

/**
 * Hands a shard's effects to the AOF writer, one batch per event-loop round, and applies what
 * the writer reports back: the reply gate's releases and the write status (MISCONF).
 *
 * <p>The first effect of a round schedules the hand-over as an event-loop task, which Netty runs
 * after the I/O of the round: every client whose request arrived in the round is in one batch.
 * Under {@code appendfsync always} one batch is in flight at a time: while the writer fsyncs it,
 * the loop keeps serving and collects the next batch, sent when the fsync is reported (group
 * commit). Under everysec and no every round's batch goes at once.
 *
 * <p>Owned by the shard's event loop; not thread-safe.
 */
public final class AofFeed {
  private final int shardIndex;
  private final Effects effects;
  private final ReplyGate gate;
  private final EventBus bus;
  private final Context context;
  /** The batch sent and not yet reported durable under always (0: none). */
  private long inFlight;
  private boolean scheduled;
  private io.vertx.core.eventbus.MessageConsumer<Aof.Ack> acks;
  private boolean always;
  /** Null while the AOF is written; the reason writes are refused otherwise. */
  private String writeError;
  /** The last batch sent, and the last the writer reported. */
  private long lastSent;
  private long lastAcked;
  /** Completed once everything recorded is reported written ({@link #flushed}). */
  private io.vertx.core.Promise<Void> flushing;
  /** Every batch up to this one is fsynced, whatever the policy (WAITAOF). */
  private long fsyncedSeq;
  /** WAITAOF's blocked clients, each with the batch of its last write. */
  private final java.util.Map<Client, Long> waitingFsync = new java.util.LinkedHashMap<>();
  private final Blocking blocking;

  AofFeed(int shardIndex, Effects effects, ReplyGate gate, EventBus bus, Context context,
      Blocking blocking) {
    this.blocking = blocking;
    this.shardIndex = shardIndex;
    this.effects = effects;
    this.gate = gate;
    this.bus = bus;
    this.context = context;
  }

  /** Starts recording effects and shipping them (after the load). Event loop. */
  void start(String appendfsync) {
    policy(appendfsync);
    acks = bus.consumer(Aof.ACKS + shardIndex, m -> onAck(m.body()));
    effects.onRecord = this::schedule;
    effects.resetStream();
    effects.enabled = true;
  }

  /**
   * Stops recording (CONFIG SET appendonly no), once {@link #flushed}; WAITAOF's waiters get
   * Redis's error. Event loop.
   */
  void stop() {
    effects.enabled = false;
    gate.active = false;
    acks.unregister();
    for (Client c : new java.util.ArrayList<>(waitingFsync.keySet())) {
      waitingFsync.remove(c);
      blocking.unblockClient(c, io.kiln.resp.Errors.WAITAOF_APPENDONLY_OFF);
    }
  }

  /** True when every batch up to {@code seq} is fsynced (WAITAOF's local count). */
  public boolean fsynced(long seq) {
    return seq <= fsyncedSeq;
  }

  /**
   * WAITAOF: {@code c} waits (blocked, {@code deadlineMs} 0 for ever) until its last write, in
   * batch {@code seq}, is fsynced; then, or at the deadline, {@code reply} answers with the
   * local count at that moment. Event loop.
   */
  public void waitFsync(Client c, long seq, long deadlineMs, Runnable reply) {
    waitingFsync.put(c, seq);
    blocking.block(c, new byte[0][], deadlineMs, new Blocking.Handler() {
      @Override
      public boolean serve(io.kiln.keyspace.Db db, byte[] key) {
        return false; // no keys: woken by an fsync, the deadline or CLIENT UNBLOCK
      }

      @Override
      public void timedOut() {
        waitingFsync.remove(c);
        reply.run();
      }
    });
  }

  /** CONFIG SET appendfsync. Event loop. */
  void policy(String appendfsync) {
    always = appendfsync.equals("always");
    gate.active = always;
    if (!always && inFlight == 0) {
      ship();
    }
  }

  /** The AOF's write error (MISCONF), or null while writes succeed. */
  String writeError() {
    return writeError;
  }

  private void schedule() {
    if (!scheduled) {
      scheduled = true;
      context.runOnContext(v -> {
        scheduled = false;
        ship();
      });
    }
  }

  private void ship() {
    ship(false);
  }

  private void ship(boolean wantAck) {
    if (always && inFlight != 0) {
      return; // sent when the fsync in flight is reported
    }
    send(wantAck);
  }

  /** Sends what is recorded as the next batch (even with one in flight). */
  private void send(boolean wantAck) {
    int commands = effects.pendingCount();
    byte[] bytes = effects.take();
    if (bytes == null) {
      return;
    }
    long seq = gate.collectingSeq++;
    lastSent = seq;
    if (always) {
      inFlight = seq;
    }
    bus.send(Aof.ADDRESS, new Aof.Batch(shardIndex, seq, bytes, commands, wantAck));
  }

  private void onAck(Aof.Ack ack) {
    writeError = ack.error();
    lastAcked = Math.max(lastAcked, ack.seq());
    if (ack.seq() >= inFlight) {
      inFlight = 0;
    }
    // The next batch goes first: the writer fsyncs it while this loop writes the replies the
    // fsync just reported (one socket write per client: the longer part of the turn).
    if (inFlight == 0 && effects.pendingBytes() > 0) {
      ship();
    }
    gate.synced(ack.seq());
    if (ack.fsyncedSeq() > fsyncedSeq) {
      fsyncedSeq = ack.fsyncedSeq();
      releaseFsyncWaiters();
    }
    checkFlushed();
  }

  /** A closed client stops waiting. */
  void forget(Client c) {
    waitingFsync.remove(c);
  }

  private void releaseFsyncWaiters() {
    if (waitingFsync.isEmpty()) {
      return;
    }
    for (var e : new java.util.ArrayList<>(waitingFsync.entrySet())) {
      if (e.getValue() <= fsyncedSeq) {
        waitingFsync.remove(e.getKey());
        blocking.unblockClient(e.getKey(), null); // replies with the count, now 1
      }
    }
  }

  /**
   * The rewrite's cut (BGREWRITEAOF): what was recorded so far goes to the writer now (the base,
   * captured from the same event-loop task on, holds its effects), and the writer keeps every
   * later batch in its rewrite buffer as well. The stream starts again with a SELECT, since the
   * buffer is replayed after a base that selects no database. Event loop.
   */
  void cut(String base) {
    send(false);
    effects.resetStream();
    bus.send(Aof.ADDRESS, new Aof.RewriteStart(shardIndex, lastSent, base));
  }

  /**
   * Sends what is recorded and completes once the writer reported all of it written (fsynced
   * under always): a shutdown waits for it before the writer closes. Event loop.
   */
  io.vertx.core.Future<Void> flushed() {
    if (flushing == null || flushing.future().isComplete()) {
      flushing = io.vertx.core.Promise.promise();
    }
    if (effects.pendingBytes() > 0) {
      ship(true);
    } else if (lastAcked < lastSent) { // written already: ask the writer to say so now
      bus.send(Aof.ADDRESS, new Aof.Batch(shardIndex, lastSent, new byte[0], 0, true));
    }
    checkFlushed();
    return flushing.future();
  }

  private void checkFlushed() {
    if (flushing != null && inFlight == 0 && effects.pendingBytes() == 0
        && lastAcked >= lastSent) {
      flushing.tryComplete();
    }
  }

}
