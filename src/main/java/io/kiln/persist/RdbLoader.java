package io.kiln.persist;

import io.kiln.server.Server;
import io.kiln.config.Config;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Lfu;
import io.kiln.keyspace.Shard;
import io.kiln.rdb.RdbException;
import io.kiln.rdb.RdbReader;
import io.kiln.types.Values;
import io.kiln.server.ShardVerticle;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the dump file ({@code dir}/{@code dbfilename}) at startup while the server already
 * accepts connections, as Redis 7.0 does: a dedicated loader thread reads and parses the file and
 * hands the keys to the shard's event loop in bounded batches (at most {@link #MAX_IN_FLIGHT}
 * outstanding, each up to {@link #BATCH_KEYS} keys or {@link #BATCH_BYTES} bytes), where they are
 * inserted in slices of at most {@link #SLICE_NANOS}. Meanwhile INFO reports loading:1 and the
 * central gate in Client answers -LOADING to commands without the loading flag. Any problem
 * (corrupt or truncated file, a type Kiln cannot hold yet, a duplicate key) fails the load as a
 * whole: the start fails and the launcher exits, never serving a partial dataset.
 *
 * <p>Threads: {@link #run} and the Visitor run on the loader thread; everything touching the
 * shard or {@link PersistenceInfo} runs on the shard's event loop (its context); the two share
 * only the semaphore, the batch objects handed over whole, and the volatile stop flag.
 */
public final class RdbLoader {
  private static final Logger log = LoggerFactory.getLogger(RdbLoader.class);

  static final int BATCH_KEYS = 4096;
  static final long BATCH_BYTES = 1 << 20;
  static final int MAX_IN_FLIGHT = 4;
  static final long SLICE_NANOS = 1_000_000;
  /** Keys whose buckets are read ahead together ({@link #prefetch}). */
  static final int PREFETCH_GROUP = 16;

  /**
   * Keys and progress handed to the event loop in one piece; {@code end} marks the last;
   * {@code functions}: the function libraries read since the last batch (loaded first).
   */
  private record Batch(List<Loaded> entries, List<byte[]> functions, long offset, boolean end,
      long expired) {}

  private final Server kiln;
  private final Context ctx;
  /** Slices of insertion between two chances for socket I/O while loading. */
  static final int IO_EVERY_SLICES = 16;
  private int slices;
  private final Shard shard;
  private final io.kiln.server.Functions functions;
  private final Path file;
  /** The RDB preamble of an AOF: the AOF loader goes on from {@link #endOffset}. */
  private final boolean aofPreamble;
  private volatile long endOffset;
  private final Promise<Void> done = Promise.promise();
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private volatile boolean stopped;
  /** Set by the loader thread before the last batch is sent, read by the event loop after it. */
  private long sanitizations;
  private long emptyKeysSkipped;

  // ---- event loop state ----
  private final ArrayDeque<Batch> queue = new ArrayDeque<>();
  private Batch current;
  private int pos;
  private final int[] groupHashes = new int[PREFETCH_GROUP];
  private boolean draining;
  private long loaded;
  private long startNanos;

  private RdbLoader(Server kiln, ShardVerticle verticle, Path file, boolean aofPreamble) {
    this.kiln = kiln;
    this.aofPreamble = aofPreamble;
    this.ctx = verticle.context();
    this.shard = verticle.shard();
    this.functions = verticle.scripting().functions();
    this.file = file;
  }

  /** The dump file to load at startup, or null when none should be loaded. Any thread. */
  public static Path startupFile(Config config) {
    if (config.getBool("appendonly")) {
      return null; // the AOF is loaded instead (not yet supported)
    }
    Path p = Path.of(config.getString("dir")).resolve(config.getString("dbfilename"));
    return Files.exists(p) ? p : null;
  }

  /**
   * Starts loading {@code file} into the shard of {@code verticle}; the future completes on the
   * shard's event loop once every key is in place, or fails with a {@link LoadFailure}. The
   * caller has set {@link PersistenceInfo#loading} before the server started listening.
   */
  public static RdbLoader start(Server kiln, ShardVerticle verticle, Path file) {
    return start(kiln, verticle, file, false);
  }

  /**
   * Starts loading {@code file}; with {@code aofPreamble} it is the RDB part at the start of an
   * append-only file: the load ends at its EOF marker and checksum ({@link #endOffset}) and
   * leaves the loading state to the AOF loader.
   */
  static RdbLoader start(Server kiln, ShardVerticle verticle, Path file, boolean aofPreamble) {
    RdbLoader loader = new RdbLoader(kiln, verticle, file, aofPreamble);
    Thread t = new Thread(loader::run, "kiln-rdb-loader");
    t.setDaemon(true);
    t.start();
    return loader;
  }

  public Future<Void> future() {
    return done.future();
  }

  /** Where the RDB part ended (its checksum's end), once the load is done. */
  long endOffset() {
    return endOffset;
  }

  /** Stops the loader thread (the server is stopping). Any thread. */
  public void cancel() {
    stopped = true;
    done.tryFail(new LoadFailure("Loading interrupted: the server is stopping", null));
  }

  // ---- loader thread ----

  private void run() {
    long t0 = System.nanoTime();
    long loadStartMs = System.currentTimeMillis();
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      fail(describe(e), e);
      return;
    }
    ctx.runOnContext(v -> {
      PersistenceInfo p = kiln.persistence();
      p.loading = true;
      p.loadingStartSec = loadStartMs / 1000;
      p.loadingTotalBytes = size;
      p.loadingLoadedBytes = 0;
      p.loadingRdbUsedMem = 0;
      startNanos = t0;
    });
    Config config = kiln.config();
    int databases = config.getInt("databases");
    try (InputStream in = Files.newInputStream(file)) {
      // sanitize-dump-payload clients leaves loading unsanitized, as Redis does
      RdbReader r = new RdbReader(in)
          .deepSanitization(config.getString("sanitize-dump-payload").equals("yes"))
          .checkCrc(config.getBool("rdbchecksum") && !kiln.skipChecksumValidation());
      Visitor visitor = new Visitor(r, databases, size, loadStartMs, t0);
      r.read(visitor);
      endOffset = r.offset();
      sanitizations = r.sanitizations();
      emptyKeysSkipped = visitor.emptyKeys;
      visitor.send(true);
    } catch (Stopped e) {
      // the server is stopping: nothing to report
    } catch (Refused e) {
      fail(e.getMessage() + " in " + file, e);
    } catch (RdbException e) {
      if (aofPreamble) {
        fail(e.getMessage() + " in " + file, e);
      } else {
        corrupt(e);
      }
    } catch (IOException e) {
      fail(describe(e), e);
    } catch (RuntimeException | Error e) {
      fail("internal error: " + e, e);
    }
  }

  private String describe(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "No such file or directory: " + file;
    }
    return e.getMessage() + " (" + file + ")";
  }

  /** Reports a fatal load problem: logs it as Redis does and fails the start. Loader thread. */
  private void fail(String reason, Throwable cause) {
    fail(reason, cause, null);
  }

  /** {@link #fail(String, Throwable)}, then {@code lastLine} when not null. */
  private void fail(String reason, Throwable cause, String lastLine) {
    String msg = "Fatal error loading the DB: " + reason + "; run `java -jar kiln.jar "
        + (aofPreamble ? "check-aof" : "check-rdb") + " " + file + "` to locate the damage, or "
        + "move the file aside to start empty. Exiting.";
    log.warn(msg);
    if (lastLine != null) {
      log.warn(lastLine);
    }
    LoadFailure failure = new LoadFailure(msg, cause);
    stopped = true;
    ctx.runOnContext(v -> failOnLoop(failure));
  }

  /**
   * A file that does not read (corrupt, truncated, a CRC error): logged as Redis does, its check
   * report (what {@code check-rdb} prints) then the fatal line naming file, offset and recovery,
   * and "Terminating server after rdb file reading failure.". Loader thread.
   */
  private void corrupt(RdbException e) {
    if (e instanceof RdbReader.ChecksumMismatch m) {
      log.warn("Wrong RDB checksum expected: ({}) but got ({}). Aborting now.",
          Long.toHexString(m.expected()), Long.toHexString(m.got()));
    }
    java.io.ByteArrayOutputStream report = new java.io.ByteArrayOutputStream();
    try (InputStream in = Files.newInputStream(file);
        java.io.PrintStream out = new java.io.PrintStream(report, true,
            java.nio.charset.StandardCharsets.UTF_8)) {
      io.kiln.rdb.RdbCheck.check(file.toString(), in, out);
    } catch (IOException | RuntimeException checkFailed) {
      log.warn("Could not check {}: {}", file, checkFailed.getMessage());
    }
    for (String line : report.toString(java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
      if (!line.isEmpty()) {
        log.warn("{}", line);
      }
    }
    fail(e.getMessage() + " in " + file, e, "Terminating server after rdb file reading failure.");
  }

  /** The file is sound but this server cannot load it (databases, a type Server lacks). */
  private static final class Refused extends RdbException {
    private static final long serialVersionUID = 1L;

    Refused(String message, long offset) {
      super(message, offset);
    }
  }

  /** Thrown inside the visitor when the server stops during the load. */
  private static final class Stopped extends RdbException {
    private static final long serialVersionUID = 1L;

    Stopped() {
      super("stopped");
    }
  }

  /** Collects the keys into batches and logs progress. Loader thread. */
  private final class Visitor implements RdbReader.Visitor {
    private final RdbReader r;
    private final int databases;
    private final long size;
    private final long nowMs;
    private final long t0;
    private List<Loaded> batch = new ArrayList<>();
    private List<byte[]> libraries = new ArrayList<>();
    private long batchBytes;
    private long keys;
    private long expired;
    private long emptyKeys;
    private long recordStart;
    private long lastProgress;
    private long delayOwedNanos;
    /** The {@link Config#version} {@link #limits} and {@link #keyLoadDelay} were read at. */
    private Object limitsOf;
    private Values.Limits limits;
    private int keyLoadDelay;
    private long delayCount;

    Visitor(RdbReader r, int databases, long size, long nowMs, long t0) {
      this.r = r;
      this.databases = databases;
      this.size = size;
      this.nowMs = nowMs;
      this.t0 = t0;
      this.lastProgress = t0;
    }

    @Override
    public void aux(byte[] key, byte[] value) throws RdbException {
      String k = str(key);
      String v = str(value);
      switch (k) {
        case "redis-ver" -> log.info("Loading RDB produced by version {}", v);
        case "ctime" -> {
          try {
            long age = nowMs / 1000 - Long.parseLong(v);
            log.info("RDB age {} seconds", Math.max(0, age));
          } catch (NumberFormatException e) {
            // ignored, as Redis ignores an unparsable aux value
          }
        }
        case "used-mem" -> {
          try {
            long mem = Long.parseLong(v);
            log.info("RDB memory usage when created {} Mb",
                String.format(Locale.ROOT, "%.2f", mem / 1024.0 / 1024.0));
            ctx.runOnContext(x -> kiln.persistence().loadingRdbUsedMem = mem);
          } catch (NumberFormatException e) {
            // ignored
          }
        }
        case "aof-base" -> {
          if (v.equals("1")) {
            log.info("RDB is base AOF");
          }
        }
        default -> log.debug("Unrecognized RDB AUX field: '{}'", k);
      }
      recordStart = r.offset();
    }

    @Override
    public void selectDb(int db) throws RdbException {
      if (db >= databases) {
        throw new Refused("Data file was created with a Redis server configured to handle "
            + "more than " + databases + " databases (SELECTDB " + db + " at offset "
            + r.offset() + ")", r.offset());
      }
      recordStart = r.offset();
    }

    @Override
    public void resizeDb(int db, long dbSize, long expiresSize) {
      recordStart = r.offset();
      // a key takes more than a byte of the file, so a count above its size is not believed
      long keyCount = Math.min(dbSize, size);
      long expiresCount = Math.min(expiresSize, size);
      ctx.runOnContext(v -> shard.db(db).presize(keyCount, expiresCount));
    }

    @Override
    public void key(RdbReader.KeyEntry e) throws RdbException {
      if (stopped) {
        throw new Stopped();
      }
      Object value = Values.fromRdb(e.value(), limits());
      if (value == null) {
        throw new Refused("key '" + str(e.key()) + "' (DB " + e.db() + ") at offset "
            + recordStart + " has type '" + e.value().typeName()
            + "', which is not supported by this Kiln version yet", recordStart);
      }
      recordStart = r.offset();
      delay();
      // An AOF's preamble keeps keys whose TTL passed, as Redis does: commands after it in the
      // file may act on them (they expire once the AOF is loaded).
      if (e.expireMs() != -1 && e.expireMs() < nowMs && !aofPreamble) {
        expired++;
      } else {
        keys++;
        batch.add(new Loaded(e.db(), e.key(), Dict.hash(e.key()), value, e.expireMs(),
            e.idleSeconds(), e.freq()));
        batchBytes += e.key().length + 64 + (value instanceof byte[] b ? b.length : 256);
        if (batch.size() >= BATCH_KEYS || batchBytes >= BATCH_BYTES) {
          send(false);
        }
      }
      long now = System.nanoTime();
      if (now - lastProgress >= 1_000_000_000L) {
        lastProgress = now;
        double secs = (now - t0) / 1e9;
        log.info("Loading RDB: {}% ({} of {} MB), {} keys, {} MB/s",
            String.format(Locale.ROOT, "%.2f", 100.0 * r.offset() / Math.max(1, size)),
            mb(r.offset()), mb(size), keys + expired,
            String.format(Locale.ROOT, "%.1f", r.offset() / 1048576.0 / Math.max(1e-9, secs)));
      }
    }

    @Override
    public void function(byte[] code) {
      libraries.add(code);
      recordStart = r.offset();
    }

    @Override
    public void emptyKeySkipped(int db, byte[] key, int rdbType) {
      recordStart = r.offset();
      if (emptyKeys++ < 10) {
        log.warn("rdbLoadObject skipping empty key: {}", str(key));
      }
    }

    /** The encoding limits and key-load-delay, read again only after a CONFIG SET. */
    private Values.Limits limits() {
      Config c = kiln.config();
      Object version = c.version();
      if (version != limitsOf) {
        limitsOf = version;
        limits = Values.Limits.of(c);
        keyLoadDelay = c.getInt("key-load-delay");
      }
      return limits;
    }

    /** key-load-delay: microseconds per key (negative: 1 microsecond every -N keys). */
    private void delay() throws Stopped {
      int d = keyLoadDelay; // as limits() read it for this key
      if (d == 0) {
        return;
      }
      if (d > 0) {
        delayOwedNanos += d * 1000L;
      } else if (++delayCount % -(long) d == 0) {
        delayOwedNanos += 1000;
      }
      if (delayOwedNanos >= 1_000_000) {
        long until = System.nanoTime() + delayOwedNanos;
        delayOwedNanos = 0;
        long left;
        while ((left = until - System.nanoTime()) > 0) {
          if (stopped) {
            throw new Stopped();
          }
          java.util.concurrent.locks.LockSupport.parkNanos(Math.min(left, 50_000_000));
        }
      }
    }

    /** Hands the current batch over, waiting while too many are outstanding. */
    void send(boolean end) throws Stopped {
      Batch b = new Batch(batch, libraries, r.offset(), end, expired);
      batch = new ArrayList<>();
      libraries = new ArrayList<>();
      batchBytes = 0;
      try {
        while (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
          if (stopped) {
            throw new Stopped();
          }
        }
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        throw new Stopped();
      }
      if (stopped) {
        throw new Stopped();
      }
      ctx.runOnContext(v -> enqueue(b));
    }
  }

  private static String str(byte[] b) {
    return new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private static String mb(long bytes) {
    return String.format(Locale.ROOT, "%.2f", bytes / 1048576.0);
  }

  // ---- event loop ----

  private void enqueue(Batch b) {
    if (done.future().isComplete()) {
      return;
    }
    queue.add(b);
    if (!draining) {
      drain();
    }
  }

  /**
   * Schedules the next slice. Netty runs queued tasks for up to a second before it polls
   * sockets again, so a drain that only re-queued itself would leave INFO and PING unanswered
   * that long; every few slices the next one waits for a timer instead, which lets I/O in.
   */
  private void continueDrain() {
    if (++slices % IO_EVERY_SLICES == 0) {
      ctx.owner().setTimer(1, id -> drain());
    } else {
      ctx.runOnContext(v -> drain());
    }
  }

  /** Inserts queued keys for at most one slice, then yields the event loop. */
  private void drain() {
    draining = true;
    long deadline = System.nanoTime() + SLICE_NANOS;
    // one read of the clocks for the slice, not one per key
    boolean lfu = shard.lfu;
    int lruClock = lfu ? Lfu.fresh() : shard.lruClock();
    while (true) {
      if (done.future().isComplete()) {
        draining = false;
        return;
      }
      if (current == null) {
        current = queue.poll();
        pos = 0;
        if (current == null) {
          draining = false;
          return;
        }
        if (!loadFunctions(current.functions())) {
          return;
        }
      }
      List<Loaded> entries = current.entries();
      while (pos < entries.size()) {
        if (pos % PREFETCH_GROUP == 0) {
          prefetch(entries, pos);
        }
        Loaded e = entries.get(pos++);
        if (!insert(e, lfu, lruClock)) {
          return;
        }
        if ((pos & 63) == 0 && System.nanoTime() > deadline) {
          continueDrain();
          return;
        }
      }
      Batch b = current;
      current = null;
      kiln.persistence().loadingLoadedBytes = b.offset();
      inFlight.release();
      if (b.end()) {
        finish(b.expired());
        draining = false;
        return;
      }
    }
  }

  /**
   * A key read and converted on the loader thread, waiting for the event loop; its table hash
   * is computed there too, off the event loop.
   */
  record Loaded(int db, byte[] key, int hash, Object value, long expireMs, long idleSeconds,
      int freq) {}

  /**
   * Has the buckets of the next {@link #PREFETCH_GROUP} keys (those of the first one's
   * database) read into the CPU's cache together before they are inserted one by one.
   */
  private void prefetch(List<Loaded> entries, int from) {
    int n = Math.min(PREFETCH_GROUP, entries.size() - from);
    int db = entries.get(from).db();
    int k = 0;
    for (int i = 0; i < n; i++) {
      Loaded e = entries.get(from + i);
      if (e.db() == db) {
        groupHashes[k++] = e.hash();
      }
    }
    shard.db(db).prefetch(groupHashes, k);
  }

  /**
   * Creates the function libraries read from the file, as FUNCTION LOAD would (no time limit),
   * the event loop waiting for each; a library that fails fails the load, as in Redis.
   */
  private boolean loadFunctions(List<byte[]> codes) {
    for (byte[] code : codes) {
      String error = functions.loadPersisted(code);
      if (error != null) {
        log.warn("Failed loading library, {}", error);
        LoadFailure f = new LoadFailure("Fatal error loading the DB: Failed loading library, "
            + error + " (" + file + "); run `java -jar kiln.jar check-rdb " + file + "` to "
            + "inspect it, or move the file aside to start empty. Exiting.", null);
        log.warn(f.getMessage());
        failOnLoop(f);
        return false;
      }
    }
    return true;
  }

  /**
   * Inserts {@code e}. Its access field is that of a new key ({@code fresh}: the LRU clock, or a
   * new LFU counter under an *-lfu policy, {@code lfu}), or what the file saved for the policy:
   * IDLE ages an LRU clock, FREQ sets an LFU counter, and the other is ignored, as Redis does.
   */
  private boolean insert(Loaded e, boolean lfu, int fresh) {
    int lru = fresh;
    if (lfu) {
      if (e.freq() >= 0) {
        lru = Lfu.withCounter(e.freq());
      }
    } else if (e.idleSeconds() >= 0) {
      lru = (int) Math.max(Integer.MIN_VALUE, lru - e.idleSeconds());
    }
    if (!shard.db(e.db()).load(e.key(), e.hash(), e.value(),
        e.expireMs() == -1 ? 0 : e.expireMs(), lru)) {
      LoadFailure f = new LoadFailure("Fatal error loading the DB: RDB has duplicated key '"
          + str(e.key()) + "' in DB " + e.db() + " (" + file + "); run `java -jar kiln.jar "
          + "check-rdb " + file + "` to inspect it, or move the file aside to start empty. "
          + "Exiting.", null);
      log.warn(f.getMessage());
      failOnLoop(f);
      return false;
    }
    loaded++;
    return true;
  }

  private void finish(long expired) {
    PersistenceInfo p = kiln.persistence();
    if (aofPreamble) {
      log.info("Done loading RDB preamble, keys loaded: {}, keys expired: {}.", loaded, expired);
      done.tryComplete();
      return;
    }
    p.loading = false;
    p.lastLoadKeysLoaded = loaded;
    p.lastLoadKeysExpired = expired;
    shard.stats.dumpPayloadSanitizations += sanitizations;
    if (emptyKeysSkipped > 0) {
      log.info("Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
          loaded, expired, emptyKeysSkipped);
    } else {
      log.info("Done loading RDB, keys loaded: {}, keys expired: {}.", loaded, expired);
    }
    log.info("DB loaded from disk: {} seconds",
        String.format(Locale.ROOT, "%.3f", (System.nanoTime() - startNanos) / 1e9));
    done.tryComplete();
  }

  private void failOnLoop(LoadFailure failure) {
    stopped = true;
    queue.clear();
    current = null;
    inFlight.release(MAX_IN_FLIGHT);
    done.tryFail(failure);
  }
}
