package io.kiln.persist;

import io.kiln.rdb.RdbValue;
import io.kiln.rdb.RdbWriter;
import io.kiln.types.RedisValue;
import io.kiln.server.CpuAffinity;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot writer: a worker verticle (its own single-thread pool, so a save never delays the
 * AOF's fsync) that turns captured entries into an RDB file. It encodes, compresses, checksums
 * and writes (syncing every {@link #AUTOSYNC_BYTES} as the file grows when
 * rdb-save-incremental-fsync is on, Redis's default); at the end it fsyncs the file, renames it
 * over the target and fsyncs the directory,
 * so a crash leaves either the old complete file or the new complete one. A failed or aborted
 * save removes its temp file.
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
  private Path tempFile;
  private FileChannel channel;
  private RdbWriter rdb;
  private Snapshot.Begin begin;
  private int currentDb;
  private boolean[] resized;
  private long keys;
  /** Bytes of the file already synced (rdb-save-incremental-fsync), and the step between syncs. */
  private long syncedBytes;
  private long syncStep;

  /**
   * rdb-save-incremental-fsync syncs the file each time it has grown by this much (Redis:
   * REDIS_AUTOSYNC_BYTES), so that the kernel writes the file out as it grows instead of all
   * at once at the final fsync.
   */
  static final long AUTOSYNC_BYTES = 4L << 20;

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

  /** Undeployed (the server stops, a rehearsal ends): a save still open removes its temp file. */
  @Override
  public Future<?> stop() {
    stopped = true;
    discard();
    return Future.succeededFuture();
  }

  private void onMessage(Message<Object> msg) {
    Object body = msg.body();
    if ((body instanceof Snapshot.Batch || body instanceof Snapshot.Finish) && rdb == null) {
      // the save's file could not be opened: that was reported once, at its Begin
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
        msg.reply(finish());
      } else if (body instanceof Snapshot.Abort) {
        discard();
        msg.reply(null);
      } else if (body instanceof Snapshot.Warm) {
        msg.reply(null);
      }
    } catch (IOException | RuntimeException e) {
      if (begin != null && begin.rehearsal()) { // not the server's save: nothing to warn about
        log.debug("Snapshot rehearsal: {}", e.getMessage());
      } else {
        log.warn("Write error saving DB on disk: {}", e.getMessage());
      }
      discard();
      msg.fail(1, e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }

  private void open(Snapshot.Begin b) throws IOException {
    discard();
    begin = b;
    if (stopped) {
      throw new IOException("the snapshot writer is stopped");
    }
    Path temp = Path.of(b.tempPath());
    try {
      if (b.rehearsal()) {
        // in the shared temp dir: a new file of its own (random name, O_EXCL, owner only)
        tempFile = Files.createTempFile(temp.getParent(), temp.getFileName().toString(), ".rdb");
        channel = FileChannel.open(tempFile, StandardOpenOption.WRITE);
      } else {
        tempFile = temp;
        channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
      }
    } catch (IOException e) {
      throw new IOException("Failed opening the temp RDB file " + temp.getFileName()
          + " (in server root dir " + temp.toAbsolutePath().getParent() + ") for saving: "
          + reason(e), e);
    }
    // RdbWriter gathers 64 KB per write itself. A rehearsal's small file goes through the same
    // code in smaller steps, as often as a large file would (Rehearsal's BUFFER_BYTES).
    RdbWriter.Options options = new RdbWriter.Options().compression(b.compression())
        .checksum(b.checksum());
    if (b.rehearsal()) {
      options.bufferBytes = Rehearsal.BUFFER_BYTES;
    }
    syncStep = b.rehearsal() ? Rehearsal.SYNC_EVERY_BYTES : AUTOSYNC_BYTES;
    rdb = new RdbWriter(Channels.newOutputStream(channel), options);
    rdb.writeHeader();
    Runtime rt = Runtime.getRuntime();
    rdb.writeStandardAux(System.currentTimeMillis() / 1000, rt.totalMemory() - rt.freeMemory());
    currentDb = -1;
    resized = new boolean[b.dbSizes().length];
    keys = 0;
    syncedBytes = 0;
  }

  private void write(Snapshot.Batch batch) throws IOException {
    if (rdb == null) {
      return; // aborted meanwhile
    }
    for (int i = 0; i < batch.size; i++) {
      int db = batch.dbs[i];
      if (db != currentDb) {
        currentDb = db;
        rdb.writeSelectDb(currentDb);
        if (!resized[currentDb]) {
          resized[currentDb] = true;
          rdb.writeResizeDb(begin.dbSizes()[currentDb], begin.dbExpires()[currentDb]);
        }
      }
      long expire = batch.expires[i] == 0 ? -1 : batch.expires[i];
      Object value = batch.values[i];
      if (value instanceof byte[] s) {
        rdb.writeStringKey(batch.keys[i], s, expire);
      } else {
        // a compact value was captured as a private copy: unpacked here, off the event loop
        RdbValue v = value instanceof RedisValue copy ? copy.toRdb() : (RdbValue) value;
        rdb.writeKey(batch.keys[i], v, expire);
      }
      keys++;
      if (begin.keySaveDelayMicros() > 0) {
        // rdb-key-save-delay, a testing knob: slows this worker only, never an event loop.
        java.util.concurrent.locks.LockSupport.parkNanos(begin.keySaveDelayMicros() * 1000);
      }
    }
    if (begin.incrementalFsync() && rdb.bytesWritten() - syncedBytes >= syncStep) {
      rdb.flush();
      channel.force(false);
      syncedBytes = rdb.bytesWritten();
    }
    // Offers the core to a waiting event loop: without this the writer, once it shared a core
    // with a woken event loop, kept it for the rest of its time slice (several ms).
    Thread.yield();
  }

  private Snapshot.Done finish() throws IOException {
    rdb.writeEof();
    rdb.flush();
    channel.force(true);
    long bytes = rdb.bytesWritten();
    channel.close();
    channel = null;
    rdb = null;
    Path temp = tempFile;
    tempFile = null;
    if (begin.rehearsal()) {
      Files.delete(temp); // the file was only ever the way to the disk
    } else {
      Path target = Path.of(begin.finalPath());
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      fsyncDirectory(target.toAbsolutePath().getParent());
    }
    begin = null;
    return new Snapshot.Done(bytes, keys);
  }

  /** An I/O error in the words of the C library, as Redis's log lines give it. */
  static String reason(IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "No such file or directory";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "Permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  /** Makes the rename durable. */
  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  private void discard() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // the file is removed next
      }
      channel = null;
    }
    rdb = null;
    if (tempFile != null) {
      try {
        Files.deleteIfExists(tempFile);
      } catch (IOException e) {
        log.warn("Could not remove temp file {}: {}", tempFile, e.getMessage());
      }
      tempFile = null;
    }
    begin = null;
  }
}
