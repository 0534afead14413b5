package io.kiln.persist;

import io.kiln.config.IoErrors;
import io.kiln.server.CpuAffinity;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot writer: a worker verticle (its own single-thread pool, so a save never delays the
 * AOF's fsync) that feeds each capture's entries to the sink its {@link Snapshot.Target} opens:
 * the encoding, compression, checksum and I/O of a capture all happen here, off the event loop
 * ({@link RdbSink}, {@link CommandSink}). One capture at a time: a Begin discards whatever an
 * earlier one left open. A failed or aborted capture's sink removes what it wrote.
 *
 * <p>Owned by its worker thread; messages arrive in order, one at a time.
 */
public final class SnapshotWriter extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(SnapshotWriter.class);

  private final String address;
  /** The CPUs its thread may run on (`bgsave_cpulist`; empty: any). */
  private final String cpulist;
  /** Undeployed: a Begin still on its way must not create a file nobody removes. */
  private boolean stopped;
  private Snapshot.Begin begin;
  private CaptureSink sink;
  private long keys;

  /** The writer of the server's snapshots, on the CPUs of {@code cpulist} (`bgsave_cpulist`). */
  public SnapshotWriter(String cpulist) {
    this(Snapshot.ADDRESS, cpulist);
  }

  /** A writer listening on {@code address} (a {@link Rehearsal}'s own). */
  SnapshotWriter(String address, String cpulist) {
    this.address = address;
    this.cpulist = cpulist;
  }

  /** Runs on the writer's worker thread, which may wait for taskset. */
  @Override
  public Future<?> start() {
    CpuAffinity.pin("bgsave_cpulist", cpulist, CpuAffinity.currentTid());
    vertx.eventBus().consumer(address, this::onMessage);
    return Future.succeededFuture();
  }

  /** Undeployed (the server stops, a rehearsal ends): a capture still open removes its file. */
  @Override
  public Future<?> stop() {
    stopped = true;
    discard();
    return Future.succeededFuture();
  }

  private void onMessage(Message<Object> msg) {
    Object body = msg.body();
    if ((body instanceof Snapshot.Batch || body instanceof Snapshot.Finish) && sink == null) {
      // the capture's sink could not be opened: that was reported once, at its Begin
      msg.fail(1, "no snapshot file is open");
      return;
    }
    try {
      if (body instanceof Snapshot.Begin b) {
        open(b);
        msg.reply(null);
      } else if (body instanceof Snapshot.Batch b) {
        write(b);
        msg.reply(null);
      } else if (body instanceof Snapshot.Finish) {
        if (begin.cancelled().get()) {
          // abandoned after its walk ended: never renamed over the last good file
          discard();
          msg.fail(1, "Background save aborted");
          return;
        }
        msg.reply(finish());
      } else if (body instanceof Snapshot.Abort) {
        discard();
        msg.reply(null);
      } else if (body instanceof Snapshot.Warm) {
        msg.reply(null);
      }
    } catch (IOException | RuntimeException e) {
      String why = e instanceof IOException io ? IoErrors.reason(io)
          : "unexpected internal error (details at debug level)";
      if (begin != null && begin.target().quiet()) { // not the server's: nothing to warn about
        log.debug("Snapshot rehearsal: {}", why);
      } else {
        log.warn("Write error saving DB on disk: {}", why);
        if (!(e instanceof IOException)) {
          log.debug("Snapshot writer failure", e);
        }
      }
      discard();
      msg.fail(1, why);
    }
  }

  private void open(Snapshot.Begin b) throws IOException {
    discard();
    begin = b;
    if (stopped) {
      throw new IOException("the snapshot writer is stopped");
    }
    sink = b.target().open(b);
    keys = 0;
  }

  private void write(Snapshot.Batch batch) throws IOException {
    long delayMicros = begin.target().keySaveDelayMicros();
    for (int i = 0; i < batch.size; i++) {
      if (begin.cancelled().get()) {
        return; // abandoned: its Abort, queued behind, discards the file
      }
      sink.write(batch.dbs[i], batch.keys[i], batch.values[i], batch.expires[i],
          batch.idles[i], batch.freqs[i]);
      keys++;
      if (delayMicros > 0) {
        // rdb-key-save-delay, a testing knob: slows this worker only, never an event loop.
        LockSupport.parkNanos(delayMicros * 1000);
      }
    }
    sink.endBatch();
    // Offers the core to a waiting event loop: without this the writer, once it shared a core
    // with a woken event loop, kept it for the rest of its time slice (several ms).
    Thread.yield();
  }

  private Snapshot.Done finish() throws IOException {
    long bytes = sink.finish();
    sink = null;
    begin = null;
    return new Snapshot.Done(bytes, keys);
  }

  /** Makes a rename durable (the snapshot files', the AOF's). */
  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  private void discard() {
    if (sink != null) {
      sink.discard();
      sink = null;
    }
    begin = null;
  }
}
