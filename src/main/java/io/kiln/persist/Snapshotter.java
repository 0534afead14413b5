package io.kiln.persist;

import io.kiln.Kiln;
import io.kiln.config.Config;
import io.kiln.config.SavePoint;
import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Shard;
import io.kiln.keyspace.SnapshotCapture;
import io.kiln.types.RedisValue;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.internal.ContextInternal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes point-in-time RDB snapshots of one shard without fork and without a pause that grows with
 * the data (serialize-before-write). At the start it bumps an epoch and notes and holds each
 * database's key table (entries stay in their buckets, {@link Dict#hold()}); then, in slices of
 * {@link #SLICE_NANOS} between socket polls, it walks the tables in memory order and captures
 * every entry it meets that is not yet captured. Any write to an entry not yet captured
 * captures it first ({@link #beforeChange}); entries created after the start are marked as not
 * part of it ({@link #inserted}); a flushed database leaves its old table to the walk. So the file
 * holds exactly the data of the moment the save began while clients keep writing. Capturing a
 * long string is a reference (never changed in place); short strings and collections are copied
 * (a compact collection as its arrays, unpacked later by the writer: {@link RedisValue#capture}).
 * Captured entries go to the {@link SnapshotWriter} worker in batches, at most
 * {@link #MAX_IN_FLIGHT} unacknowledged, which bounds the extra memory.
 *
 * <p>Also runs the `save` rules (checked every second) and keeps INFO's snapshot fields.
 * Owned by the shard's event loop.
 */
public final class Snapshotter implements SnapshotCapture {
  private static final Logger log = LoggerFactory.getLogger(Snapshotter.class);

  static final int BATCH_ENTRIES = 2048;
  /** Buckets walked between two looks at the clock and the batch. */
  static final int WALK_BUCKETS = 256;
  static final int MAX_IN_FLIGHT = 4;
  /** Event-loop time one slice of the walk may take before client I/O gets its turn. */
  static final long SLICE_NANOS = 300_000;
  /** Redis waits this long before retrying a failed background save (CONFIG_BGSAVE_RETRY_DELAY). */
  static final long RETRY_DELAY_SEC = 5;

  private final Kiln kiln;
  private final Shard shard;
  private final Vertx vertx;
  private final ContextInternal context;
  private final PersistenceInfo info;
  /** The writer's event-bus address. */
  private final String address;
  private final int batchEntries;
  /** A {@link Rehearsal}'s: INFO, the latency monitor, the meters and the log never see it. */
  private final boolean rehearsal;

  private int epoch;
  private boolean active;
  private boolean background;
  private long startMs;
  private long dirtyAtStart;
  private final Map<Dict<Object>, Integer> dbOfTable = new IdentityHashMap<>();
  private final List<Dict<Object>> tables = new ArrayList<>();
  private int walkDb;
  private long walkPosition;
  private boolean walkScheduled;
  private Snapshot.Batch batch;
  private int inFlight;
  private Promise<Snapshot.Done> done;
  private long lastCronMs;
  /** BGSAVE SCHEDULE (or a save rule) asked for a save while one was running. */
  private boolean scheduled;
  /** The running snapshot was abandoned on purpose: not a failure (no MISCONF). */
  private boolean aborted;
  /** The running snapshot is an AOF's base ({@link #saveAofBase}), not the RDB file. */
  private boolean aofJob;

  // The callbacks of a save and its file name, made once here: a lambda or a string concatenation
  // is linked the first time its expression runs, which costs milliseconds, and that must not
  // happen inside the start pause.
  private final String tempName = "temp-" + ProcessHandle.current().pid() + ".rdb";
  private final Handler<Void> walkHandler = v -> walk();
  private final Runnable walkTask = this::emitWalk;
  private final Consumer<Dict.Node<Object>> captureWalked = n -> capture(walkDb, n);
  private final Handler<AsyncResult<Message<Object>>> afterBegin = ar -> {
    if (ar.failed()) {
      fail(ar.cause().getMessage());
    }
  };
  private final Handler<AsyncResult<Message<Object>>> afterBatch = ar -> {
    inFlight--;
    if (ar.failed()) {
      fail(ar.cause().getMessage());
    } else {
      scheduleWalk();
    }
  };
  private final Handler<AsyncResult<Snapshot.Done>> afterSave = ar -> finished(ar.succeeded(),
      ar.succeeded() ? ar.result() : null, ar.failed() ? ar.cause().getMessage() : null);

  public Snapshotter(Kiln kiln, Shard shard, Vertx vertx) {
    this(kiln, shard, vertx, Snapshot.ADDRESS, BATCH_ENTRIES, false);
  }

  /**
   * A snapshotter of {@code shard} whose writer listens on {@code address}, sending batches of
   * {@code batchEntries}; a rehearsal one keeps its figures to itself.
   */
  Snapshotter(Kiln kiln, Shard shard, Vertx vertx, String address, int batchEntries,
      boolean rehearsal) {
    this.kiln = kiln;
    this.shard = shard;
    this.vertx = vertx;
    this.context = (ContextInternal) vertx.getOrCreateContext();
    this.info = rehearsal ? new PersistenceInfo(0) : kiln.persistence();
    this.address = address;
    this.batchEntries = batchEntries;
    this.rehearsal = rehearsal;
    this.batch = new Snapshot.Batch(batchEntries);
    // Loads the event bus's request and reply path now (it is first used by the first save).
    bus().request(address, new Snapshot.Warm()).onComplete(ar -> { });
  }

  public boolean running() {
    return active || done != null;
  }

  /**
   * Starts a snapshot to `dir`/`dbfilename`. Background saves keep serving clients; the caller
   * of a foreground save (SAVE, shutdown) holds its clients itself. Fails at once when one runs.
   */
  public Future<Snapshot.Done> save(boolean inBackground) {
    Config config = kiln.config();
    Path dir = Path.of(config.getString("dir"));
    return save(dir.resolve(tempName).toString(),
        dir.resolve(config.getString("dbfilename")).toString(), inBackground,
        config.getLong("rdb-key-save-delay"));
  }

  /**
   * Writes the dataset as an RDB file over {@code target} (through a temp file beside it): the
   * base of an append-only file, which loads as an AOF with an RDB preamble.
   */
  public Future<Snapshot.Done> saveAofBase(Path target) {
    Path temp = target.resolveSibling("temp-rewriteaof-" + ProcessHandle.current().pid() + ".aof");
    if (running()) {
      return Future.failedFuture("Background save already in progress");
    }
    aofJob = true; // INFO's RDB fields, the save rules and the snapshot meters never see it
    return save(temp.toString(), target.toString(), false,
        kiln.config().getLong("rdb-key-save-delay"));
  }

  /** Starts a snapshot into {@code temp}, renamed to {@code target} (null: removed) at the end. */
  Future<Snapshot.Done> save(String temp, String target, boolean inBackground,
      long keySaveDelayMicros) {
    if (running()) {
      return Future.failedFuture("Background save already in progress");
    }
    long t0 = System.nanoTime();
    Config config = kiln.config();

    epoch++;
    active = true;
    aborted = false;
    background = inBackground;
    startMs = System.currentTimeMillis();
    dirtyAtStart = shard.dirty;
    dbOfTable.clear();
    tables.clear();
    long[] sizes = new long[shard.databases()];
    long[] expires = new long[shard.databases()];
    long total = 0;
    for (int i = 0; i < shard.databases(); i++) {
      Db db = shard.db(i);
      db.table().hold();
      tables.add(db.table());
      dbOfTable.put(db.table(), i);
      sizes[i] = db.size();
      expires[i] = db.expiresSize();
      total += sizes[i];
    }
    walkDb = 0;
    walkPosition = 0;
    batch = new Snapshot.Batch(batchEntries);
    inFlight = 0;
    done = Promise.promise();
    shard.capture = this;
    if (!aofJob) {
      info.lastSaveAttemptSec = startMs / 1000;
    }
    info.currentSaveKeysTotal = total;
    info.currentSaveKeysProcessed = 0;
    if (inBackground) {
      info.bgsaveStartMs = startMs;
    }
    Future<Snapshot.Done> result = done.future();
    bus().request(address, new Snapshot.Begin(temp, target,
        config.getBool("rdbcompression"), config.getBool("rdbchecksum"),
        // an AOF base is synced as it grows by the AOF's own directive
        config.getBool(aofJob ? "aof-rewrite-incremental-fsync" : "rdb-save-incremental-fsync"),
        sizes, expires,
        keySaveDelayMicros)).onComplete(afterBegin);
    info.latestForkUsec = (System.nanoTime() - t0) / 1000;
    info.totalForks++;
    if (!rehearsal) {
      kiln.latencyMonitor().addIfNeeded("fork", info.latestForkUsec / 1000,
          config.getLong("latency-monitor-threshold"));
    }
    if (inBackground && !rehearsal) {
      log.info("Background saving started"); // Redis adds "by pid N", the child's: there is none
    }
    scheduleWalk();
    return result.andThen(afterSave);
  }

  /** Abandons a running snapshot (FLUSHALL does, as in Redis); its temp file is removed. */
  public void abort() {
    if (!running()) {
      return;
    }
    if (!rehearsal) {
      log.warn("Killing the running snapshot: its temp file is removed");
    }
    aborted = true;
    bus().request(address, new Snapshot.Abort());
    fail("Background save aborted");
  }

  // ---- the walk ----

  /**
   * The next slice is a task scheduled on the event loop, not queued: Netty runs queued tasks for
   * up to a second before it polls sockets again, so a walk that re-queued itself would hold every
   * client for that long, whereas a scheduled task, even one due at once, only runs after the next
   * poll. So slices and socket I/O alternate: an idle server walks without pause, a busy one serves
   * every ready client between two slices.
   */
  private void scheduleWalk() {
    if (!walkScheduled && active) {
      walkScheduled = true;
      context.nettyEventLoop().schedule(walkTask, 0, TimeUnit.NANOSECONDS);
    }
  }

  /** The walk runs inside the shard's context, as its timers and replies do. */
  private void emitWalk() {
    context.emit(walkHandler);
  }

  private void walk() {
    walkScheduled = false;
    long deadline = System.nanoTime() + SLICE_NANOS;
    while (active && inFlight < MAX_IN_FLIGHT) {
      if (walkDb == tables.size()) {
        walkDone();
        return;
      }
      walkPosition = tables.get(walkDb).walk(walkPosition, WALK_BUCKETS, captureWalked);
      if (walkPosition < 0) {
        walkPosition = 0;
        walkDb++;
      }
      if (batch.isFull()) {
        sendBatch();
      }
      if (System.nanoTime() > deadline) {
        scheduleWalk();
        return;
      }
    }
    // out of credit: an acknowledgement resumes the walk
  }

  /** Every entry of the start has been captured: stop capturing and close the file. */
  private void walkDone() {
    stopCapturing();
    if (!batch.isEmpty()) {
      sendBatch();
    }
    Promise<Snapshot.Done> p = done;
    bus().<Snapshot.Done>request(address, new Snapshot.Finish()).onComplete(ar -> {
      if (done == p) {
        done = null;
      }
      if (ar.succeeded()) {
        p.tryComplete(ar.result().body());
      } else {
        p.tryFail(ar.cause().getMessage());
      }
    });
  }

  private void capture(int db, Dict.Node<Object> node) {
    if (node.epoch == epoch) {
      return;
    }
    node.epoch = epoch;
    // Collections are copied now, and so are strings a later write may overwrite in place (Db);
    // longer strings are never changed in place: a reference is their capture. (Capturing short
    // strings by reference too, with a write then storing a new array, was measured worse: each
    // such write puts a young array into an old node, and young collections under full-speed
    // overwrites grew from 1-2 ms to 40-137 ms within one save; see load-tests/README.md.)
    Object value = node.value instanceof RedisValue v ? v.capture()
        : node.value instanceof byte[] s && s.length <= Db.IN_PLACE_MAX ? s.clone() : node.value;
    if (batch.isFull()) {
      // a write captured more than a batch while the worker was behind: start another one
      sendBatch();
    }
    batch.add(db, node.key, value, node.expireAt);
    info.currentSaveKeysProcessed++;
  }

  private void sendBatch() {
    Snapshot.Batch full = batch;
    batch = new Snapshot.Batch(batchEntries);
    inFlight++;
    bus().request(address, full).onComplete(afterBatch);
  }

  // ---- the keyspace's hooks ----

  @Override
  public void beforeChange(Dict<Object> table, Dict.Node<Object> node) {
    if (!active) {
      return;
    }
    Integer db = dbOfTable.get(table);
    if (db == null) {
      return; // a table created after the start (a flushed database): nothing of the snapshot
    }
    capture(db, node);
  }

  @Override
  public void inserted(Dict.Node<Object> node) {
    if (active) {
      node.epoch = epoch;
    }
  }

  // ---- completion ----

  /** The walk is over (done or failed): writes stop capturing and the tables may resize again. */
  private void stopCapturing() {
    if (active) {
      tables.forEach(Dict::release);
    }
    active = false;
    shard.capture = null;
  }

  private void fail(String reason) {
    stopCapturing();
    Promise<Snapshot.Done> p = done;
    done = null;
    if (p != null) {
      p.tryFail(reason == null ? "snapshot failed" : reason);
    }
  }

  private void finished(boolean ok, Snapshot.Done result, String error) {
    batch = new Snapshot.Batch(batchEntries);
    long now = System.currentTimeMillis();
    if (background) {
      info.bgsaveStartMs = -1;
      info.lastBgsaveTimeSec = (now - startMs) / 1000;
    }
    info.currentSaveKeysProcessed = 0;
    info.currentSaveKeysTotal = 0;
    if (aborted || rehearsal || aofJob) {
      aofJob = false;
      return;
    }
    info.lastBgsaveOk = ok;
    kiln.snapshotMeters().finished(ok, now - startMs, ok ? result.bytes() : 0,
        ok ? result.keys() : 0);
    if (ok) {
      shard.dirty -= dirtyAtStart;
      info.lastSaveSec = now / 1000;
      info.saves++;
      log.info("DB saved on disk ({} keys, {} bytes, {} ms)", result.keys(), result.bytes(),
          now - startMs);
      if (background) {
        log.info("Background saving terminated with success");
      }
    } else {
      log.warn("{}: {}", background ? "Background saving error" : "Error saving DB on disk",
          error);
    }
  }

  // ---- BGSAVE SCHEDULE and the save rules ----

  /** BGSAVE SCHEDULE while a save runs: start another once it ends. */
  public void schedule() {
    scheduled = true;
  }

  /** Called by the shard's periodic job; acts once a second, as Redis's serverCron does. */
  public void cron() {
    long now = System.currentTimeMillis();
    if (now - lastCronMs < 1000) {
      return;
    }
    lastCronMs = now;
    if (running()) {
      return;
    }
    if (scheduled) {
      scheduled = false;
      save(true);
      return;
    }
    long nowSec = now / 1000;
    boolean retryAllowed = info.lastBgsaveOk || nowSec - info.lastSaveAttemptSec > RETRY_DELAY_SEC;
    for (SavePoint sp : kiln.config().savePoints()) {
      if (shard.dirty >= sp.changes() && nowSec - info.lastSaveSec >= sp.seconds() && retryAllowed) {
        log.info("{} changes in {} seconds. Saving...", sp.changes(), sp.seconds());
        save(true);
        return;
      }
    }
  }

  private EventBus bus() {
    return vertx.eventBus();
  }
}
