package io.kiln.persist;

import io.kiln.server.Server;
import io.kiln.aof.AofFormatException;
import io.kiln.aof.AofReader;
import io.kiln.server.Client;
import io.kiln.server.ShardVerticle;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads append-only files at startup, while the server already answers with -LOADING: an RDB
 * preamble ("REDIS" magic) through {@link RdbLoader}, then the commands, which a loader thread
 * reads ({@link AofReader}) and hands to the shard's event loop in bounded batches, where a
 * socketless connection ({@link Client#replayer}) runs them through the command table as a
 * client's would. Keys do not expire while the file is replayed ({@code Shard.replaying}).
 *
 * <p>The last file may end short (a crash in the middle of a write): with
 * {@code aof-load-truncated yes} it is cut back to its last complete command (a MULTI without
 * its EXEC counts as short) and loaded, the bytes dropped are logged, and writes append after;
 * with {@code no} the start fails. A malformed file, or an unknown command, fails the start
 * naming the file and offset: never a partial dataset.
 *
 * <p>When the future completes, {@code loading} is still on: the caller turns it off once the
 * AOF writer takes writes.
 *
 * <p>Threads: {@link #run} reads on the loader thread; batches run on the shard's event loop
 * (its context); the two share the semaphore, the batches handed over whole and the stop flag.
 */
public final class AofLoader {
  private static final Logger log = LoggerFactory.getLogger(AofLoader.class);

  static final int BATCH_COMMANDS = 1024;
  static final long BATCH_BYTES = 1 << 20;
  static final int MAX_IN_FLIGHT = 4;

  private final Server kiln;
  private final ShardVerticle verticle;
  private final Context ctx;
  private final Client replayer;
  private final Promise<Void> done = Promise.promise();
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private volatile boolean stopped;
  private volatile RdbLoader preamble;
  private long commands; // event loop
  private long lastProgress = System.nanoTime(); // event loop

  /**
   * Commands read, the file offset where each starts and the offset after the last, handed to
   * the event loop whole.
   */
  private record Batch(Path file, List<byte[][]> argvs, List<Long> starts, long end) {}

  private AofLoader(Server kiln, ShardVerticle verticle) {
    this.kiln = kiln;
    this.verticle = verticle;
    this.ctx = verticle.context();
    this.replayer = Client.replayer(kiln, verticle);
  }

  /**
   * Loads {@code files} in order (a single appendonly.aof, or a Redis 7 base and its incr files);
   * only the last may be cut back when short. The future completes on the shard's event loop.
   */
  public static AofLoader start(Server kiln, ShardVerticle verticle, List<Path> files) {
    AofLoader loader = new AofLoader(kiln, verticle);
    long t0 = System.nanoTime();
    io.kiln.keyspace.Shard shard = verticle.shard();
    boolean[] recording = new boolean[1];
    long[] dirty = new long[1];
    Future<Void> chain = kiln.vertx().executeBlocking(() -> { // file sizes: not on the loop
      long total = 0;
      for (Path f : files) {
        try {
          total += Files.size(f);
        } catch (IOException e) {
          // reported when the file is read
        }
      }
      return total;
    }, false).compose(totalBytes -> onLoop(verticle, () -> {
      kiln.persistence().loading = true;
      kiln.persistence().loadingTotalBytes = totalBytes;
      kiln.persistence().loadingLoadedBytes = 0;
      shard.replaying = true;
      // What the file holds is not recorded again (DEBUG LOADAOF runs with the AOF on), nor
      // counted as changes since the last save.
      recording[0] = shard.effects.enabled;
      shard.effects.enabled = false;
      dirty[0] = shard.dirty;
    }));
    for (int i = 0; i < files.size(); i++) {
      Path f = files.get(i);
      boolean last = i == files.size() - 1;
      chain = chain.compose(v -> loader.loadFile(f, last));
    }
    chain.onComplete(ar -> verticle.execute(() -> {
      shard.replaying = false;
      shard.effects.enabled = recording[0];
      shard.dirty = dirty[0];
      if (ar.succeeded() && !loader.done.future().isComplete()) {
        // loading stays on until the AOF writer runs: no write may go unrecorded
        log.info("DB loaded from append only file: {} seconds",
            String.format(Locale.ROOT, "%.3f", (System.nanoTime() - t0) / 1e9));
        loader.done.tryComplete();
      } else {
        loader.done.tryFail(ar.cause());
      }
    }));
    return loader;
  }

  public Future<Void> future() {
    return done.future();
  }

  /** Stops loading (the server is stopping). Any thread. */
  public void cancel() {
    stopped = true;
    RdbLoader p = preamble;
    if (p != null) {
      p.cancel();
    }
    done.tryFail(new LoadFailure("Loading interrupted: the server is stopping", null));
  }

  /** Runs {@code task} on the shard's event loop; completes after it. */
  static Future<Void> onLoop(ShardVerticle verticle, Runnable task) {
    Promise<Void> p = Promise.promise();
    verticle.execute(() -> {
      task.run();
      p.complete();
    });
    return p.future();
  }

  /** One file: its RDB preamble if any, then its commands. */
  private Future<Void> loadFile(Path file, boolean last) {
    if (stopped) {
      return Future.failedFuture(new LoadFailure("Loading interrupted", null));
    }
    return kiln.vertx().executeBlocking(() -> file.getFileName().toString().endsWith(".rdb")
        || AofReader.hasRdbPreamble(file), false).compose(rdb -> loadFile(file, last, rdb));
  }

  private Future<Void> loadFile(Path file, boolean last, boolean rdbFirst) {
    if (rdbFirst) {
      log.info("Reading RDB base file on AOF loading...");
      RdbLoader rdb = RdbLoader.start(kiln, verticle, file, true);
      preamble = rdb;
      return rdb.future().compose(v -> {
        preamble = null;
        if (file.getFileName().toString().endsWith(".rdb")) {
          return Future.succeededFuture();
        }
        log.info("Reading the remaining AOF tail...");
        return commands(file, rdb.endOffset(), last);
      });
    }
    return commands(file, 0, last);
  }

  /** Reads the commands of {@code file} from {@code offset} on a loader thread. */
  private Future<Void> commands(Path file, long offset, boolean last) {
    Promise<Void> fileDone = Promise.promise();
    Thread t = new Thread(() -> read(file, offset, last, fileDone), "kiln-aof-loader");
    t.setDaemon(true);
    t.start();
    return fileDone.future();
  }

  // ---- loader thread ----

  private void read(Path file, long offset, boolean last, Promise<Void> fileDone) {
    long multiStart = -1;
    long valid = offset;
    List<byte[][]> argvs = new ArrayList<>();
    List<Long> starts = new ArrayList<>();
    long bytes = 0;
    try (InputStream in = Files.newInputStream(file)) {
      in.skipNBytes(offset);
      AofReader reader = new AofReader(in, offset);
      byte[][] argv;
      while (true) {
        try {
          argv = reader.next();
        } catch (AofFormatException e) {
          if (e.kind() == AofFormatException.Kind.TRUNCATED) {
            long cut = multiStart >= 0 ? multiStart : e.offset();
            shortFile(file, cut, last, argvs, starts, fileDone);
          } else {
            fatal(fileDone, "Bad file format reading the append only file " + file + " at offset "
                + e.offset() + " (" + e.getMessage() + "): make a backup of your AOF file, then "
                + "use `java -jar kiln.jar check-aof --fix " + file + "`. Exiting.", e);
          }
          return;
        }
        if (argv == null) {
          break;
        }
        if (isCommand(argv, "multi")) {
          multiStart = valid;
        } else if (isCommand(argv, "exec")) {
          multiStart = -1;
        }
        argvs.add(argv);
        starts.add(valid);
        valid = reader.offset();
        for (byte[] a : argv) {
          bytes += a.length + 16;
        }
        if (argvs.size() >= BATCH_COMMANDS || bytes >= BATCH_BYTES) {
          send(new Batch(file, argvs, starts, valid));
          argvs = new ArrayList<>();
          starts = new ArrayList<>();
          bytes = 0;
        }
      }
      if (multiStart >= 0) {
        shortFile(file, multiStart, last, argvs, starts, fileDone);
        return;
      }
      send(new Batch(file, argvs, starts, valid));
      ctx.runOnContext(v -> fileDone.tryComplete());
    } catch (Stopped e) {
      fileDone.tryFail(new LoadFailure("Loading interrupted", null));
    } catch (IOException e) {
      fatal(fileDone, "Fatal error reading the append only file " + file + ": " + e.getMessage()
          + ". Exiting.", e);
    }
  }

  /**
   * The file ends inside a command (or a MULTI without EXEC) at {@code cut}: cut back and go on
   * with aof-load-truncated, or fail the start.
   */
  private void shortFile(Path file, long cut, boolean last, List<byte[][]> argvs,
      List<Long> starts, Promise<Void> fileDone) throws Stopped {
    if (!last || !kiln.config().getBool("aof-load-truncated")) {
      fatal(fileDone, "Unexpected end of file reading the append only file " + file
          + " at offset " + cut + ". You can: 1) Make a backup of your AOF file, then use "
          + "`java -jar kiln.jar check-aof --fix " + file + "`. 2) Alternatively you can set the "
          + "'aof-load-truncated' configuration option to yes and restart the server. Exiting.",
          null);
      return;
    }
    // Only the commands before the cut are replayed (a MULTI's queued commands are dropped).
    while (!starts.isEmpty() && starts.get(starts.size() - 1) >= cut) {
      starts.remove(starts.size() - 1);
      argvs.remove(argvs.size() - 1);
    }
    send(new Batch(file, argvs, starts, cut));
    try {
      long size = Files.size(file);
      log.warn("!!! Warning: short read while loading the AOF file {}!!!", file);
      log.warn("!!! Truncating the AOF {} at offset {} ({} bytes dropped) !!!", file, cut,
          size - cut);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(cut);
        ch.force(true);
      }
      log.warn("AOF loaded anyway because aof-load-truncated is enabled");
    } catch (IOException e) {
      fatal(fileDone, "Error truncating the AOF file " + file + ": " + e.getMessage()
          + ". Exiting.", e);
      return;
    }
    // a MULTI left open by the dropped tail is discarded
    ctx.runOnContext(v -> {
      if (replayer.replayInMulti()) {
        replayer.replay(new byte[][] {"DISCARD".getBytes(java.nio.charset.StandardCharsets.US_ASCII)});
      }
      fileDone.tryComplete();
    });
  }

  private static boolean isCommand(byte[][] argv, String name) {
    return argv.length == 1 && new String(argv[0], java.nio.charset.StandardCharsets.US_ASCII)
        .equalsIgnoreCase(name);
  }

  private void send(Batch b) throws Stopped {
    if (b.argvs().isEmpty()) {
      return;
    }
    try {
      while (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
        if (stopped) {
          throw new Stopped();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Stopped();
    }
    ctx.runOnContext(v -> run(b));
  }

  private void fatal(Promise<Void> fileDone, String message, Throwable cause) {
    log.warn(message);
    stopped = true;
    LoadFailure failure = new LoadFailure(message, cause);
    ctx.runOnContext(v -> fileDone.tryFail(failure));
  }

  /** Thrown on the loader thread when the server stops during the load. */
  private static final class Stopped extends Exception {
    private static final long serialVersionUID = 1L;
  }

  // ---- event loop ----

  private void run(Batch b) {
    try {
      if (stopped) {
        return;
      }
      for (int i = 0; i < b.argvs().size(); i++) {
        byte[][] argv = b.argvs().get(i);
        String refused = replayer.replay(argv);
        if (refused != null) {
          String msg = refused + " reading the append only file " + b.file()
              + " at offset " + b.starts().get(i) + ". Exiting.";
          log.warn(msg);
          stopped = true;
          done.tryFail(new LoadFailure(msg, null));
          return;
        }
        commands++;
      }
      PersistenceInfo p = kiln.persistence();
      p.loadingLoadedBytes = b.end();
      long now = System.nanoTime();
      if (now - lastProgress >= 1_000_000_000L) { // a line a second, as the RDB loader logs
        lastProgress = now;
        log.info("Loading AOF: {}% ({} of {} MB), {} commands",
            String.format(Locale.ROOT, "%.2f", 100.0 * b.end() / Math.max(1, p.loadingTotalBytes)),
            String.format(Locale.ROOT, "%.2f", b.end() / 1048576.0),
            String.format(Locale.ROOT, "%.2f", p.loadingTotalBytes / 1048576.0), commands);
      }
    } finally {
      inFlight.release();
    }
  }
}
