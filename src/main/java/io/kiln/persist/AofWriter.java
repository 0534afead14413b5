package io.kiln.persist;

import io.kiln.config.IoErrors;
import io.kiln.config.Config;
import io.kiln.metrics.AofMeters;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only file's writer: a worker verticle that appends the shards' effect batches
 * ({@link Aof.Batch}) to {@code dir}/{@code appendfilename} and makes them durable as
 * {@code appendfsync} says, then tells each shard how far it got ({@link Aof.Ack}).
 *
 * <ul>
 *   <li>{@code always}: each write is fsynced before its batches are acknowledged; a shard sends
 *       its next batch only after that, so one fsync covers every client of a batch (group
 *       commit) while the event loop keeps collecting the next one.
 *   <li>{@code everysec}: batches are written as they come and acknowledged once written; a
 *       second thread fsyncs about once a second. While that fsync runs, writes wait (a write
 *       behind an fsync of the same file would block anyway), up to 2 seconds; then the buffer is
 *       written regardless and {@code aof_delayed_fsync} counted, as Redis does.
 *   <li>{@code no}: written only; the kernel flushes when it likes.
 * </ul>
 *
 * <p>A failed write is cut back to the last complete batch (the file stays loadable) and the
 * batches are kept and tried again every second; meanwhile shards refuse writes (MISCONF) and,
 * under {@code always}, the replies that wait for those batches stay held. A failed fsync is
 * retried the same way. {@link #faults} lets tests inject these failures.
 *
 * <p>Threads: every field is owned by the verticle's worker thread (one thread: its pool has one),
 * except the everysec fsync, which runs on its own thread and reports back to the worker
 * context; {@link Aof.Status} is published for readers on any thread.
 */
public final class AofWriter extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(AofWriter.class);

  /** How long everysec lets writes wait behind a running fsync (Redis: 2 seconds). */
  static final long POSTPONE_NANOS = 2_000_000_000L;

  /** The test seam: failures injected before a write or an fsync (tests set it, then reset it). */
  public interface Faults {
    /** Called before writing {@code bytes} at {@code offset}; may throw, or block (hold). */
    default void beforeWrite(long offset, long bytes) throws IOException {}

    /** Called before each fsync; may throw, or block to hold the fsync. */
    default void beforeFsync() throws IOException {}
  }

  public static final Faults NO_FAULTS = new Faults() {};
  public static volatile Faults faults = NO_FAULTS;

  private final Path file;
  private final Config config;
  private final Aof.Status status;
  private final AofMeters meters;
  /** Test hook: after each fsync the synced size is written here (power-loss simulations). */
  private final String syncedOffsetFile = System.getProperty("kiln.aof.syncedOffsetFile");
  private FileChannel channel;
  private final ArrayDeque<Aof.Batch> unwritten = new ArrayDeque<>();
  private long unwrittenBytes;
  /** Per shard: the last batch written, and the last acknowledged. */
  private final Map<Integer, Long> written = new HashMap<>();
  private final Map<Integer, Long> acked = new HashMap<>();
  /** Per shard: the last batch known fsynced (WAITAOF), and the last such told to the shard. */
  private final Map<Integer, Long> fsynced = new HashMap<>();
  private final Map<Integer, Long> fsyncedTold = new HashMap<>();
  private long size;
  private long syncedSize;
  private volatile String policy;
  private long lastFsyncNanos = System.nanoTime();
  private boolean fsyncRunning;
  private long postponedSince;
  private boolean retryScheduled;
  /** aof-timestamp-enabled: the second of the last annotation written. */
  private long lastTimestamp;
  /**
   * The rewrite buffer while a rewrite runs (else null): every batch after the rewrite's cut,
   * replayed into the new base when the base is written. Past {@link #rewriteBound} bytes in
   * memory (64 MB) it is appended to a temp file beside the AOF ({@link #rewriteSpill}) and
   * emptied, so its memory stays bounded whatever the rewrite's length and the write rate.
   */
  private java.util.List<byte[]> rewriteBuffer;
  private long rewriteBytes;
  /** Bytes of the buffer in memory (the rest is in the spill file). */
  private long rewriteMemory;
  private FileChannel rewriteSpill;
  private Path rewriteSpillPath;
  /** The rewrite buffer's memory bound, read at each start (tests lower it). */
  private long rewriteBound;
  private long rewriteCut;
  /** The running rewrite's new base (removed when the server stops before it is done). */
  private Path rewriteBase;
  private int rewriteShard;
  /** A batch asked to hear at once how far the writes got (everysec and no ack once a second). */
  private boolean ackWanted;
  private long tick = -1;
  private ExecutorService fsyncThread;
  private boolean stopped;
  /** An fsync failed under always: nothing written since is ever acknowledged. */
  private boolean poisoned;
  private final Runnable onFatal;
  private final boolean waitRewrite;
  private java.util.function.Consumer<Config> policyListener;

  /**
   * {@code onFatal}: what an fsync failure under always does (the launcher exits);
   * {@code waitRewrite}: the AOF is switched on at runtime, and the file is the first rewrite's
   * (until then batches only fill the rewrite buffer, as Redis's AOF_WAIT_REWRITE).
   */
  public AofWriter(Path file, Config config, Aof.Status status, AofMeters meters,
      Runnable onFatal, boolean waitRewrite) {
    this.onFatal = onFatal;
    this.waitRewrite = waitRewrite;
    this.file = file;
    this.config = config;
    this.status = status;
    this.meters = meters;
  }

  @Override
  public Future<?> start() throws IOException {
    if (!waitRewrite) {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      size = channel.size();
      channel.position(size);
    }
    syncedSize = size;
    status.currentSize = size;
    meters.size.set(size);
    policy = config.getString("appendfsync");
    io.vertx.core.Context own = context;
    policyListener = c -> {
      policy = c.getString("appendfsync");
      // (the listener runs on the event loop that ran CONFIG SET: the work goes to this thread)
      own.runOnContext(v -> pump()); // an always turned off releases what waits for fsync
    };
    config.onChange("appendfsync", policyListener);
    fsyncThread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "kiln-aof-fsync");
      t.setDaemon(true);
      return t;
    });
    vertx.eventBus().<Object>consumer(Aof.ADDRESS, this::onMessage);
    tick = vertx.setPeriodic(1000, id -> {
      everysecFsync();
      pump();
      ackAll(false);
    });
    return Future.succeededFuture();
  }

  /** Undeployed (shutdown): what is buffered is written and the file fsynced, then closed. */
  @Override
  public Future<?> stop() {
    stopped = true;
    vertx.cancelTimer(tick);
    config.removeListener("appendfsync", policyListener);
    if (rewriteBuffer != null && rewriteBase != null) { // a rewrite the stop cut short
      try {
        Files.deleteIfExists(rewriteBase);
      } catch (IOException e) {
        log.warn("Could not remove {}: {}", rewriteBase, IoErrors.reason(e));
      }
    }
    dropRewriteBuffer();
    try {
      writeOut();
      if (channel != null && size > syncedSize) {
        channel.force(false);
        synced(size, written);
      }
    } catch (IOException e) {
      log.warn("Error writing the AOF file at shutdown: {}", IoErrors.reason(e));
    }
    fsyncThread.shutdown();
    try {
      fsyncThread.awaitTermination(5, TimeUnit.SECONDS);
      if (channel != null) {
        channel.close();
      }
    } catch (IOException | InterruptedException e) {
      log.debug("Closing the AOF: {}", e.toString());
    }
    return Future.succeededFuture();
  }

  private void onMessage(Message<Object> msg) {
    Object body = msg.body();
    if (body instanceof Aof.Batch b) {
      onBatch(b);
    } else if (body instanceof Aof.RewriteStart s) {
      dropRewriteBuffer();
      rewriteCut = s.cutSeq();
      rewriteShard = s.shard();
      rewriteBase = Path.of(s.base());
      rewriteBuffer = new java.util.ArrayList<>();
      rewriteBytes = 0;
      rewriteMemory = 0;
      rewriteBound = Long.getLong("kiln.aof.rewriteBufferMemory", 64L << 20);
    } else if (body instanceof Aof.RewriteFinish f) {
      finishRewrite(msg, Path.of(f.base()));
    } else if (body instanceof Aof.RewriteAbort a) {
      dropRewriteBuffer();
      try {
        Files.deleteIfExists(Path.of(a.base()));
      } catch (IOException e) {
        log.warn("Could not remove the rewrite's temp file {}: {}", a.base(), IoErrors.reason(e));
      }
    }
  }

  private void onBatch(Aof.Batch b) {
    if (b.bytes().length > 0 && config.getBool("aof-timestamp-enabled")) {
      long sec = System.currentTimeMillis() / 1000;
      if (sec != lastTimestamp) { // a new second: "#TS:<unix seconds>" before its writes
        lastTimestamp = sec;
        byte[] ts = ("#TS:" + sec + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        onBatch(new Aof.Batch(b.shard(), b.seq(), ts, 0, false));
      }
    }
    if (rewriteBuffer != null && b.shard() == rewriteShard && b.seq() > rewriteCut
        && b.bytes().length > 0) {
      rewriteBuffer.add(b.bytes()); // immutable: kept by reference
      rewriteBytes += b.bytes().length;
      rewriteMemory += b.bytes().length;
      if (rewriteMemory > rewriteBound) {
        spillRewriteBuffer();
      }
      meters.rewriteBuffer.set(rewriteMemory);
    }
    written.putIfAbsent(b.shard(), 0L); // known from now on: it hears about errors too
    ackWanted |= b.wantAck();
    if (b.commands() > 0) {
      meters.batchCommands.record(b.commands());
      meters.batchBytes.record(b.bytes().length);
    }
    unwritten.add(b);
    unwrittenBytes += b.bytes().length;
    status.bufferLength = unwrittenBytes;
    pump();
  }

  /**
   * Writes what waits, fsyncs when the policy says so, and acknowledges: called for every batch,
   * on the periodic tick, when an everysec fsync ends and when a retry is due.
   */
  private void pump() {
    if (stopped || poisoned) {
      return;
    }
    String p = policy;
    if (!unwritten.isEmpty()) {
      if (p.equals("everysec") && fsyncRunning && !postponeExpired()) {
        retryIn(10);
        return;
      }
      try {
        writeOut();
      } catch (IOException e) {
        failed("Error writing to the AOF file: ", e);
        return;
      }
    }
    if (p.equals("always") && size > syncedSize && !fsyncPausedByRewrite()) {
      long t0 = System.nanoTime();
      try {
        faults.beforeFsync();
        channel.force(false);
      } catch (IOException e) {
        // After a failed fsync the kernel may have dropped the pages it could not write: a
        // later fsync that succeeds proves nothing. Under always nothing is acknowledged any
        // more, and the server exits, as Redis does.
        poisoned = true;
        status.writeError = IoErrors.reason(e);
        log.warn("Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. "
            + "Exiting...", status.writeError);
        ackAll(true);
        onFatal.run();
        return;
      }
      meters.fsync.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      meters.fsyncs.increment();
      synced(size, written);
    }
    if (status.writeError != null) {
      status.writeError = null;
      log.warn("AOF write error looks solved, Redis can write again.");
      ackAll(true);
    }
    if (p.equals("always") || ackWanted) {
      ackWanted = false;
      ackAll(false);
    }
    if (p.equals("everysec")) {
      everysecFsync();
    }
  }

  /** True when everysec has let writes wait 2 seconds behind an fsync: write anyway. */
  private boolean postponeExpired() {
    long now = System.nanoTime();
    if (postponedSince == 0) {
      postponedSince = now;
      return false;
    }
    if (now - postponedSince < POSTPONE_NANOS) {
      return false;
    }
    postponedSince = 0;
    status.delayedFsync++;
    meters.delayedFsyncs.increment();
    log.warn("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer "
        + "without waiting for fsync to complete, this may slow down Redis.");
    return true;
  }

  /** Writes every waiting batch in one gathering write; on failure the file is cut back. */
  private void writeOut() throws IOException {
    if (unwritten.isEmpty()) {
      return;
    }
    if (channel == null) { // switched on at runtime: the file comes with the first rewrite
      for (Aof.Batch b : unwritten) {
        written.merge(b.shard(), b.seq(), Math::max);
      }
      unwritten.clear();
      unwrittenBytes = 0;
      status.bufferLength = 0;
      return;
    }
    postponedSince = 0;
    ByteBuffer[] bufs = new ByteBuffer[unwritten.size()];
    int i = 0;
    for (Aof.Batch b : unwritten) {
      bufs[i++] = ByteBuffer.wrap(b.bytes());
    }
    long before = size;
    long t0 = System.nanoTime();
    try {
      faults.beforeWrite(before, unwrittenBytes);
      long left = unwrittenBytes;
      while (left > 0) {
        left -= channel.write(bufs);
      }
    } catch (IOException e) {
      try {
        // a partial write is cut off, so the file ends with a complete command
        channel.truncate(before);
        channel.position(before);
      } catch (IOException te) {
        // It stays: what it holds is not written again (the retry goes on from its end).
        log.warn("Could not remove the partial write from the AOF file: {}", IoErrors.reason(te));
        keepPartial(before);
      }
      throw e;
    }
    meters.write.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    size += unwrittenBytes;
    for (Aof.Batch b : unwritten) {
      written.merge(b.shard(), b.seq(), Math::max);
    }
    unwritten.clear();
    unwrittenBytes = 0;
    status.bufferLength = 0;
    status.currentSize = size;
    meters.size.set(size);
  }

  /**
   * Ends a rewrite: what waits is written to the live file, the buffer is appended to the new
   * base, which is fsynced and renamed over the live file (the directory fsynced); writes go on
   * in the new file. Until the rename the live file has every write: a crash at any moment
   * leaves one complete AOF. On this worker thread, never the event loop.
   */
  private void finishRewrite(Message<Object> msg, Path base) {
    if (rewriteBuffer == null) {
      msg.fail(1, "no rewrite is running");
      return;
    }
    if (fsyncRunning) { // the old file's fsync ends first: its channel is closed below
      vertx.setTimer(5, id -> finishRewrite(msg, base));
      return;
    }
    long diff = rewriteBytes;
    try {
      writeOut();
      long baseSize = Files.size(base);
      try (FileChannel ch = FileChannel.open(base, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND)) {
        if (rewriteSpill != null) { // the spilled part first: it is the older
          long n = rewriteSpill.size();
          for (long at = 0; at < n; ) {
            at += rewriteSpill.transferTo(at, n - at, ch);
          }
        }
        for (byte[] chunk : rewriteBuffer) {
          ByteBuffer bb = ByteBuffer.wrap(chunk);
          while (bb.hasRemaining()) {
            ch.write(bb);
          }
        }
        ch.force(true);
      }
      Files.move(base, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      SnapshotWriter.fsyncDirectory(file.toAbsolutePath().getParent());
      FileChannel old = channel;
      channel = FileChannel.open(file, StandardOpenOption.WRITE);
      size = channel.size();
      channel.position(size);
      if (old != null) {
        old.close();
      } else {
        log.info("Background AOF rewrite done: the append only file is on");
      }
      syncedSize = size; // a new, smaller file: all of it fsynced (synced() keeps the maximum)
      synced(size, written);
      status.baseSize = baseSize;
      status.currentSize = size;
      meters.size.set(size);
    } catch (IOException e) {
      dropRewriteBuffer();
      try {
        Files.deleteIfExists(base);
      } catch (IOException ignored) {
        // reported with the failure
      }
      msg.fail(1, IoErrors.reason(e));
      return;
    }
    dropRewriteBuffer();
    log.info("Residual parent diff successfully flushed to the rewritten AOF ({} MB)",
        String.format(java.util.Locale.ROOT, "%.2f", diff / 1048576.0));
    msg.reply(diff);
    ackAll(false); // what waited for an fsync is in the new, fsynced file
  }

  /** The buffer in memory goes to the spill file (created on the first spill). */
  private void spillRewriteBuffer() {
    try {
      if (rewriteSpill == null) {
        rewriteSpillPath = file.resolveSibling("temp-rewriteaof-buf-"
            + ProcessHandle.current().pid() + ".aof");
        rewriteSpill = FileChannel.open(rewriteSpillPath, StandardOpenOption.CREATE,
            StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.READ);
      }
      for (byte[] chunk : rewriteBuffer) {
        ByteBuffer bb = ByteBuffer.wrap(chunk);
        while (bb.hasRemaining()) {
          rewriteSpill.write(bb);
        }
      }
      rewriteBuffer.clear();
      rewriteMemory = 0;
    } catch (IOException e) {
      // kept in memory: the rewrite goes on (the disk may refuse the AOF's writes too)
      log.warn("Could not spill the AOF rewrite buffer to {}: {}", rewriteSpillPath,
          IoErrors.reason(e));
    }
  }

  /** Ends the rewrite buffer: memory released, the spill file removed. */
  private void dropRewriteBuffer() {
    rewriteBuffer = null;
    rewriteMemory = 0;
    meters.rewriteBuffer.set(0);
    if (rewriteSpill != null) {
      try {
        rewriteSpill.close();
        Files.deleteIfExists(rewriteSpillPath);
      } catch (IOException e) {
        log.warn("Could not remove {}: {}", rewriteSpillPath, IoErrors.reason(e));
      }
      rewriteSpill = null;
    }
  }

  /** A partial write that could not be cut off: drop its bytes from the waiting batches. */
  private void keepPartial(long before) {
    long done;
    try {
      done = channel.position() - before;
    } catch (IOException e) {
      return;
    }
    size += done;
    unwrittenBytes -= done;
    while (done > 0 && !unwritten.isEmpty()) {
      Aof.Batch b = unwritten.pollFirst();
      if (b.bytes().length <= done) {
        done -= b.bytes().length;
        written.merge(b.shard(), b.seq() - 1, Math::max);
      } else {
        byte[] rest = java.util.Arrays.copyOfRange(b.bytes(), (int) done, b.bytes().length);
        unwritten.addFirst(new Aof.Batch(b.shard(), b.seq(), rest, 0, b.wantAck()));
        done = 0;
      }
    }
    status.currentSize = size;
  }

  /**
   * no-appendfsync-on-rewrite yes: while a rewrite runs, no fsync (the disk is left to the
   * rewrite; what is written meanwhile is as safe as under appendfsync no, as in Redis).
   */
  private boolean fsyncPausedByRewrite() {
    return rewriteBuffer != null && config.getBool("no-appendfsync-on-rewrite");
  }

  /** everysec: an fsync on the fsync thread when a second has passed and none runs. */
  private void everysecFsync() {
    if (!"everysec".equals(policy) || channel == null || fsyncRunning || size <= syncedSize
        || fsyncPausedByRewrite()
        || System.nanoTime() - lastFsyncNanos < 1_000_000_000L) {
      return;
    }
    fsyncRunning = true;
    status.fsyncPending = true;
    long target = size;
    Map<Integer, Long> targetSeqs = new HashMap<>(written); // the batches the fsync covers
    io.vertx.core.Context ctx = context;
    fsyncThread.execute(() -> {
      long t0 = System.nanoTime();
      String error = null;
      try {
        faults.beforeFsync();
        channel.force(false);
      } catch (IOException e) {
        error = IoErrors.reason(e);
      }
      long took = System.nanoTime() - t0;
      String err = error;
      ctx.runOnContext(v -> {
        fsyncRunning = false;
        status.fsyncPending = false;
        lastFsyncNanos = System.nanoTime();
        if (err != null) {
          if (status.writeError == null) {
            log.warn("Error fsyncing the AOF file: {}", err);
          }
          status.writeError = err;
          ackAll(true);
          return;
        }
        meters.fsync.record(took, TimeUnit.NANOSECONDS);
        meters.fsyncs.increment();
        synced(target, targetSeqs);
        pump();
        ackAll(false); // WAITAOF waits for this fsync
      });
    });
  }

  /** The file is fsynced up to {@code upTo}, which holds the batches {@code seqs} (per shard). */
  private void synced(long upTo, Map<Integer, Long> seqs) {
    syncedSize = Math.max(syncedSize, upTo);
    seqs.forEach((shard, seq) -> fsynced.merge(shard, seq, Math::max));
    lastFsyncNanos = System.nanoTime();
    if (syncedOffsetFile != null) {
      try {
        // written aside and renamed: a kill never leaves the hook's file half-written
        Path hook = Path.of(syncedOffsetFile);
        Path tmp = hook.resolveSibling(hook.getFileName() + ".tmp");
        Files.writeString(tmp, Long.toString(syncedSize));
        Files.move(tmp, hook, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        log.debug("synced offset file: {}", e.toString());
      }
    }
  }

  /**
   * Tells each shard how far its batches got: written (everysec, no) or written and fsynced
   * (always). With {@code force}, every shard hears the current status even with nothing new.
   */
  private void ackAll(boolean force) {
    boolean durable = !"always".equals(policy) || syncedSize == size || fsyncPausedByRewrite();
    String error = status.writeError;
    for (Map.Entry<Integer, Long> e : written.entrySet()) {
      long seq = durable ? e.getValue() : acked.getOrDefault(e.getKey(), 0L);
      long synced = fsynced.getOrDefault(e.getKey(), 0L);
      if (force || seq > acked.getOrDefault(e.getKey(), 0L)
          || synced > fsyncedTold.getOrDefault(e.getKey(), 0L)) {
        acked.put(e.getKey(), seq);
        fsyncedTold.put(e.getKey(), synced);
        vertx.eventBus().send(Aof.ACKS + e.getKey(), new Aof.Ack(seq, synced, error));
      }
    }
  }

  private void failed(String what, IOException e) {
    String reason = IoErrors.reason(e);
    if (!reason.equals(status.writeError)) {
      log.warn("{}{}", what, reason);
    }
    status.writeError = reason;
    status.currentSize = size;
    ackAll(true);
    retryIn(1000);
  }

  private void retryIn(long ms) {
    if (!retryScheduled) {
      retryScheduled = true;
      vertx.setTimer(ms, id -> {
        retryScheduled = false;
        pump();
      });
    }
  }
}
