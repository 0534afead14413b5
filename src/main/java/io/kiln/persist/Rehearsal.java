package io.kiln.persist;

import io.kiln.server.Server;
import io.kiln.config.Config;
import io.kiln.keyspace.Db;
import io.kiln.keyspace.Shard;
import io.kiln.rdb.RdbValue;
import io.kiln.rdb.RdbWriter;
import io.kiln.types.Values;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Has the JIT compile the snapshot's code before the first save. Right after startup, two saves
 * of a small made-up keyspace (every type and encoding, strings of every shape, several
 * databases, some keys with a TTL), written to while they run, go through the same walk,
 * captures, event-bus batches and writer code as a real save, into a temp file that is removed
 * at the end. Without it, the first save after a start runs that code interpreted while the C1
 * and C2 compilers take the event loop's core (stalls of 5-11 ms in its first 40 ms on two
 * cores); the clients' write path, compiled while no save ran, is deoptimized at the first
 * write that must capture; and the second save deoptimizes the writer's and the walk's code on
 * branches only a save's start takes (the first SELECTDB, RESIZEDB's long lengths, the
 * header's aux fields). Small batches, writes and syncs make each step as hot as in a real save
 * of millions of keys; C2 then spends 0.28 s in the first save under writes instead of 1.39 s.
 * INFO's persistence fields, the fork latency event, the meters and the log never see a
 * rehearsal, and a real BGSAVE may run beside it (its own capture engine, writer and worker
 * thread); it does share the event loop with the clients, in slices, and INFO's used_memory
 * counts its made-up keys (10-20 MB) while it runs. It is a job of the capture machinery like
 * the real saves: a {@link CaptureEngine} of its own over the made-up keyspace, a writer of its
 * own, and a target of its own ({@link TempRdb}).
 *
 * <p>The made-up keyspace is built on a common-pool thread and then only touched by the shard's
 * event loop (the walk); the writer runs on a worker of its own, undeployed at the end, or
 * when the server stops first ({@link #stop}: Kiln.stop ends the rehearsal before Vert.x goes).
 */
public final class Rehearsal {
  private static final Logger log = LoggerFactory.getLogger(Rehearsal.class);

  static final String ADDRESS = Snapshot.ADDRESS + ".rehearsal";
  /**
   * Keys in each of the made-up keyspace's even databases (over 16,383, RESIZEDB's long length
   * form); of the odd ones, database 1 holds a table caught growing (see {@link #keyspace}) and
   * database 3 is empty, as most of a server's are.
   */
  static final int KEYS = 20_000;
  static final int DATABASES = 5;
  /**
   * Entries per batch: 30,000 batches a save, so that the event bus's request and reply path is
   * hot enough for the C2 compiler (with 7,500 it was compiled again during the first save).
   */
  static final int BATCH_ENTRIES = 2;
  /**
   * The writer's buffer and sync step here: the made-up file (about 1.5 MB) is written in as
   * many steps, and synced about as often, as a real file of hundreds of MB (64 KB, 4 MB), or the
   * first real save compiles those steps again, or deoptimizes the writer at its first sync.
   */
  static final int BUFFER_BYTES = 128;
  static final long SYNC_EVERY_BYTES = 32 << 10;
  /** Writes to the made-up keyspace per millisecond while it is saved. */
  static final int WRITES_PER_MS = 100;
  /** How long a stopping server waits for the rehearsal's writer to go (it takes milliseconds). */
  static final long STOP_WAIT_MS = 5_000;

  /** Numbers the rehearsals of this process (servers embedded side by side, as in tests). */
  private static final java.util.concurrent.atomic.AtomicInteger COUNT =
      new java.util.concurrent.atomic.AtomicInteger();

  private final Server kiln;
  /**
   * The name its temp files start with, in the temp dir: this process's and this rehearsal's,
   * "kiln-rehearsal-PID-N-" (Files.createTempFile adds the rest).
   */
  final String tempPrefix = "kiln-rehearsal-" + ProcessHandle.current().pid() + "-"
      + COUNT.incrementAndGet() + "-";
  /** The shard's context: the walk, the writes and every field below belong to it. */
  private final Context loop;
  /** Ends with the keys the last pass wrote, once the writer is gone. */
  private final Promise<Long> result = Promise.promise();
  /** Ends with the keys the last pass wrote; then the writer is undeployed. */
  private final Promise<Long> passes = Promise.promise();
  /** {@link #stop} was called: no pass starts any more. */
  private boolean stopping;
  /** The passes' capture engine while they run (it holds the made-up keyspace), else null. */
  private CaptureEngine engine;
  /** The running pass's write timer (-1: none). */
  private long writeTimer = -1;

  private Rehearsal(Server kiln, Context loop) {
    this.kiln = kiln;
    this.loop = loop;
  }

  /** Starts the rehearsal of {@code kiln}'s snapshots on {@code loop}, the shard's context. */
  public static Rehearsal start(Server kiln, Context loop) {
    Rehearsal r = new Rehearsal(kiln, loop);
    r.run();
    return r;
  }

  /** Ends with the keys the last pass wrote, or fails (stopped, a write error). */
  public Future<Long> future() {
    return result.future();
  }

  /**
   * Ends the rehearsal now (the server stops): the running pass is aborted and its writes
   * stop, so nothing is sent to a writer Vert.x is about to undeploy. Any thread; the future
   * ends once the rehearsal's writer has removed its temp file and is undeployed, or after
   * {@link #STOP_WAIT_MS} whatever happened.
   */
  public Future<Void> stop() {
    Promise<Void> quiet = Promise.promise();
    try {
      loop.runOnContext(v -> {
        stopping = true;
        endPass();
        if (engine != null) {
          engine.abort();
        } else {
          passes.tryFail("stopped"); // the made-up keyspace is still being built
        }
      });
      kiln.vertx().setTimer(STOP_WAIT_MS, id -> quiet.tryComplete());
    } catch (RejectedExecutionException e) {
      return Future.succeededFuture(); // Vert.x is closed already
    }
    result.future().onComplete(ar -> quiet.tryComplete());
    return quiet.future();
  }

  private void run() {
    Vertx vertx = kiln.vertx();
    long t0 = System.nanoTime();
    DeploymentOptions worker = new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)
        .setWorkerPoolName("kiln-rehearsal").setWorkerPoolSize(1);
    Path temp = Path.of(System.getProperty("java.io.tmpdir"), tempPrefix);
    SnapshotWriter writer = new SnapshotWriter(ADDRESS, kiln.config().getString("bgsave_cpulist"));
    vertx.deployVerticle(writer, worker)
        .compose(id -> rehearse(temp.toString()).eventually(() -> vertx.undeploy(id)))
        .onSuccess(v -> log.debug("Snapshot code rehearsed in {} ms",
            (System.nanoTime() - t0) / 1_000_000))
        .onFailure(e -> log.debug("Snapshot rehearsal stopped: {}", e.getMessage()))
        .onComplete(result);
  }

  /**
   * Builds the made-up keyspace off the event loop (outside Vert.x, so that a server stopped
   * meanwhile simply ends the rehearsal), then saves it twice on the shard's loop.
   */
  private Future<Long> rehearse(String temp) {
    CompletableFuture.supplyAsync(() -> keyspace(kiln.config()), ForkJoinPool.commonPool())
        .whenComplete((shard, error) -> {
          if (error != null) {
            passes.tryFail(error);
            return;
          }
          try {
            loop.runOnContext(v -> {
              if (stopping) {
                passes.tryFail("stopped");
                return;
              }
              try {
                engine = new CaptureEngine(shard, kiln.vertx(), ADDRESS, BATCH_ENTRIES);
                Config config = kiln.config();
                TempRdb file = new TempRdb(temp, config.getBool("rdbcompression"),
                    config.getBool("rdbchecksum"), config.getBool("rdb-save-incremental-fsync"));
                pass(shard, file).compose(d -> pass(shard, file)).map(Snapshot.Done::keys)
                    .andThen(ar -> engine = null).onComplete(passes);
              } catch (RuntimeException e) {
                engine = null;
                passes.tryFail(e);
              }
            });
          } catch (RejectedExecutionException e) {
            passes.tryFail(e); // the server stopped meanwhile
          }
        });
    return passes.future();
  }

  /**
   * One save of the made-up keyspace while it is written to, as clients write during a real
   * save: overwrites in place and with a new array, deletes and new keys, every millisecond,
   * so the write path's capture (and the walk meeting keys a write captured) is compiled too.
   */
  private Future<Snapshot.Done> pass(Shard shard, TempRdb file) {
    if (stopping) {
      return Future.failedFuture("stopped");
    }
    Future<Snapshot.Done> saved = engine.start(file);
    int[] next = {0};
    writeTimer = kiln.vertx().setPeriodic(1, id -> {
      for (int i = 0; i < WRITES_PER_MS; i++) {
        write(shard, next[0]++);
      }
    });
    return saved.andThen(ar -> endPass());
  }

  private void endPass() {
    if (writeTimer >= 0) {
      kiln.vertx().cancelTimer(writeTimer);
      writeTimer = -1;
    }
  }

  /** Write {@code n}: to a string key of an even database, in one of four ways. */
  private static void write(Shard shard, int n) {
    int k = (int) ((n * 2654435761L) % KEYS);
    k += k % 20 < 4 ? 4 : 0; // a string key (see value)
    byte[] key = bytes("rehearsal:" + (n % 3) * 2 + ":" + (k % KEYS));
    Db db = shard.db((n % 3) * 2);
    switch (n % 4) {
      case 0 -> db.set(key, string(k % KEYS), false);          // same length: in place
      case 1 -> db.set(key, bytes("new:" + n), false);         // a new array
      case 2 -> db.delete(key);
      default -> db.set(bytes("rehearsal:new:" + n % 4096), bytes("v"), false); // bounded
    }
  }

  /**
   * The rehearsal's target: an RDB file of its own in the temp dir ({@code tempPrefix}'s: a new
   * name, owner only), removed at the end. It goes through the same code as a real save's file,
   * in smaller steps, as often as a large file would ({@link #BUFFER_BYTES},
   * {@link #SYNC_EVERY_BYTES}). Its failures are nobody's concern but its own.
   */
  record TempRdb(String tempPrefix, boolean compression, boolean checksum,
      boolean incrementalFsync) implements Snapshot.Target {
    @Override
    public CaptureSink open(Snapshot.Begin begin) throws IOException {
      SnapshotFile file = SnapshotFile.createTemp(Path.of(tempPrefix), ".rdb",
          incrementalFsync ? SYNC_EVERY_BYTES : 0);
      RdbWriter.Options options = new RdbWriter.Options().compression(compression)
          .checksum(checksum);
      options.bufferBytes = BUFFER_BYTES;
      return RdbSink.open(file, options, begin);
    }

    @Override
    public boolean quiet() {
      return true;
    }
  }

  /** The made-up keyspace, the same every time. */
  static Shard keyspace(Config config) {
    Shard shard = new Shard(0, DATABASES);
    long expireAt = System.currentTimeMillis() + 86_400_000L;
    for (int db = 0; db < DATABASES; db += 2) {
      Db target = shard.db(db);
      target.presize(KEYS, KEYS / 7 + 1); // sized up front, as a load sizes them: one table each
      for (int i = 0; i < KEYS; i++) {
        byte[] key = bytes("rehearsal:" + db + ":" + i);
        target.load(key, Values.fromRdb(value(i), config), i % 7 == 0 ? expireAt : 0, 0);
      }
    }
    // A table in the middle of growing, as a busy server's often is when a save starts (the walk
    // then covers both of its tables), beside the single tables above: the walk meets both cases
    // in every pass. (Before, every table here was still growing when the first pass began and a
    // loaded server's never is: the first real save deoptimized the walk, LogCompilation's
    // unstable_if at Dict.walk's t1 test.) No write touches this database: it stays so.
    Db growing = shard.db(1);
    for (int i = 0; (growing.size() < KEYS / 2 || !growing.table().isRehashing()) && i < 2 * KEYS;
        i++) {
      growing.load(bytes("rehearsal:1:" + i), new byte[] {'v'}, 0, 0);
    }
    return shard;
  }

  /**
   * Key {@code i}'s value: mostly strings of every shape, then each collection type, small
   * (listpack, intset) and, one in a thousand, large (hash table, skip list, quicklist).
   */
  private static RdbValue value(int i) {
    return switch (i % 20) {
      case 0 -> hash(i % 1000 == 0 ? 200 : 5);
      case 1 -> new RdbValue.ListValue(elements(i % 1000 == 1 ? 300 : 6));
      case 2 -> new RdbValue.SetValue(i % 40 == 2 ? numbers(8) : elements(i % 1000 == 2 ? 600 : 7));
      case 3 -> zset(i % 1000 == 3 ? 200 : 5);
      default -> new RdbValue.Str(string(i));
    };
  }

  private static byte[] string(int i) {
    String s = switch (i % 12) {
      case 0 -> Integer.toString(i);                   // stored as an integer
      case 1 -> "-" + i;
      case 2 -> "0" + i;                               // leading zero: a string
      case 3 -> "9223372036854775808" + i;             // too long for a long
      case 4 -> "7.0." + i;                            // digits, then not
      case 5 -> "";
      case 6 -> "x".repeat(20 + i % 100);              // compressible, over 20 bytes
      case 7 -> Long.toHexString(i * 0x9E3779B97F4A7C15L).repeat(3); // hardly compressible
      case 8 -> "v".repeat(600 + i % 50);              // longer than an in-place overwrite
      case 9 -> Long.toString(3_000_000_000L + i);     // short digits past the int range, as
                                                       // the used-mem aux field of a large heap
      default -> "value:" + i;
    };
    return bytes(s);
  }

  private static RdbValue hash(int fields) {
    List<RdbValue.FieldValue> entries = new ArrayList<>();
    for (int f = 0; f < fields; f++) {
      entries.add(new RdbValue.FieldValue(bytes("f" + f), string(f)));
    }
    return new RdbValue.HashValue(entries);
  }

  private static RdbValue zset(int members) {
    List<RdbValue.ScoredMember> entries = new ArrayList<>();
    for (int m = 0; m < members; m++) {
      entries.add(new RdbValue.ScoredMember(bytes("m" + m), m * 1.5));
    }
    return new RdbValue.ZSetValue(entries);
  }

  private static List<byte[]> elements(int n) {
    List<byte[]> out = new ArrayList<>();
    for (int e = 0; e < n; e++) {
      out.add(bytes("e" + e));
    }
    return out;
  }

  private static List<byte[]> numbers(int n) {
    List<byte[]> out = new ArrayList<>();
    for (int e = 0; e < n; e++) {
      out.add(bytes(Integer.toString(e * 1000)));
    }
    return out;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
