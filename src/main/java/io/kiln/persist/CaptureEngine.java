package io.kiln.persist;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Lfu;
import io.kiln.keyspace.Shard;
import io.kiln.keyspace.SnapshotCapture;
import io.kiln.types.GrowableString;
import io.kiln.types.RedisValue;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.internal.ContextInternal;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The capture engine: takes point-in-time captures of one shard without fork and without a
 * pause that grows with the data (serialize-before-write), and streams them to a sink on the
 * {@link SnapshotWriter}. At the start it bumps an epoch and notes and holds each database's key
 * table (entries stay in their buckets, {@link Dict#hold()}); then, in slices of
 * {@link #SLICE_NANOS} between socket polls, it walks the tables in memory order and captures
 * every entry it meets that is not yet captured. Any write to an entry not yet captured
 * captures it first ({@link #beforeChange}); entries created after the start are marked as not
 * part of it ({@link #inserted}); a flushed database leaves its old table to the walk. So the
 * capture holds exactly the data of the moment it began while clients keep writing. Capturing a
 * long string is a reference (never changed in place), a grown one ({@link GrowableString}) a
 * view whose chunks later writes copy first; short strings and collections are copied
 * (a compact collection as its arrays, unpacked later by the writer: {@link RedisValue#capture}).
 * Captured entries go to the writer in batches, at most {@link #MAX_IN_FLIGHT} unacknowledged,
 * which bounds the extra memory.
 *
 * <p>Mechanism only. What a capture becomes is its job's choice: the {@link Snapshot.Target} it
 * starts with names the sink the writer opens (dump.rdb renamed into place, an AOF's base, a
 * rehearsal's temp file; a replica's stream would be one more), and the engine completes with
 * what the sink reports. INFO's fields, the log, the meters and the save rules belong to the jobs
 * ({@link Snapshotter}, {@link AofBase}, {@link Rehearsal}). One capture runs at a time: a second
 * start fails with {@link #IN_PROGRESS}.
 *
 * <p>Owned by the shard's event loop.
 */
public final class CaptureEngine implements SnapshotCapture {
  /** Why a start fails while a capture runs (Redis's words for a busy child). */
  public static final String IN_PROGRESS = "Background save already in progress";

  static final int BATCH_ENTRIES = 2048;
  /** Buckets walked between two looks at the clock and the batch. */
  static final int WALK_BUCKETS = 256;
  static final int MAX_IN_FLIGHT = 4;
  /** Event-loop time one slice of the walk may take before client I/O gets its turn. */
  static final long SLICE_NANOS = 300_000;

  private final Shard shard;
  private final Vertx vertx;
  private final ContextInternal context;
  /** The writer's event-bus address. */
  private final String address;
  private final int batchEntries;

  private int epoch;
  /**
   * This capture saves each key's idle seconds (an *-lru policy at its start), or its LFU counter
   * (*-lfu), as Redis's RDB does; the LRU clock at its start. A key is saved with its access as
   * of its capture: one read or written after the start, before the walk reached it, is saved as
   * just used (a fork would save the access it had at the start).
   */
  private boolean saveIdle;
  private boolean saveFreq;
  private int startClock;
  private boolean active;
  private final Map<Dict<Object>, Integer> dbOfTable = new IdentityHashMap<>();
  private final List<Dict<Object>> tables = new ArrayList<>();
  private int walkDb;
  private long walkPosition;
  private boolean walkScheduled;
  private Snapshot.Batch batch;
  /** The running capture's cancel flag, shared with the writer (see Snapshot.Begin). */
  private AtomicBoolean cancelled = new AtomicBoolean();
  private int inFlight;
  private Promise<Snapshot.Done> done;
  /** Keys in the databases at the start, and keys captured so far (0 when none runs). */
  private long keysTotal;
  private long keysProcessed;
  /** The shard's function libraries now (their codes, an immutable list): none by default. */
  private Supplier<List<byte[]>> functions = List::of;

  // The walk's callbacks, made once here: a lambda is linked the first time its expression runs,
  // which costs milliseconds, and that must not happen inside the start pause.
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

  /** The engine of {@code shard}, whose captures go to the server's snapshot writer. */
  public CaptureEngine(Shard shard, Vertx vertx) {
    this(shard, vertx, Snapshot.ADDRESS, BATCH_ENTRIES);
  }

  /** An engine whose writer listens on {@code address}, sending batches of {@code batchEntries}. */
  CaptureEngine(Shard shard, Vertx vertx, String address, int batchEntries) {
    this.shard = shard;
    this.vertx = vertx;
    this.context = (ContextInternal) vertx.getOrCreateContext();
    this.address = address;
    this.batchEntries = batchEntries;
    this.batch = new Snapshot.Batch(batchEntries);
    // Loads the event bus's request and reply path now (it is first used by the first capture).
    bus().request(address, new Snapshot.Warm()).onComplete(ar -> { });
  }

  /**
   * Where a capture takes the function libraries from at its start (the shard's, kept as an
   * immutable list that every change replaces: taking it costs nothing in the start pause).
   */
  public void functions(Supplier<List<byte[]>> libraries) {
    this.functions = libraries;
  }

  /** A capture runs: walking, or waiting for its sink to finish. */
  public boolean running() {
    return active || done != null;
  }

  /** Keys in the shard's databases when the running capture began (0 when none runs). */
  public long keysTotal() {
    return keysTotal;
  }

  /** Keys the running capture has captured so far (0 when none runs). */
  public long keysProcessed() {
    return keysProcessed;
  }

  /**
   * Starts a capture of the shard as it is now into {@code target}'s sink; the future ends with
   * what the sink wrote, or fails (an {@link Aborted} when {@link #abort}ed). Fails at once with
   * {@link #IN_PROGRESS} when a capture runs. The start pause is this call: it holds the tables
   * and sends the Begin; the walk runs later, in slices.
   */
  public Future<Snapshot.Done> start(Snapshot.Target target) {
    if (running()) {
      return Future.failedFuture(IN_PROGRESS);
    }
    epoch++;
    active = true;
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
    keysTotal = total;
    saveFreq = shard.lfu;
    saveIdle = !saveFreq && shard.lru;
    startClock = shard.lruClock();
    keysProcessed = 0;
    done = Promise.promise();
    shard.capture = this;
    Future<Snapshot.Done> result = done.future();
    cancelled = new AtomicBoolean();
    bus().request(address, new Snapshot.Begin(target, sizes, expires, functions.get(), cancelled))
        .onComplete(afterBegin);
    scheduleWalk();
    return result;
  }

  /**
   * Abandons the running capture (FLUSHALL does, as in Redis; so does a stop): its sink discards
   * what it wrote, and its future fails with an {@link Aborted}.
   */
  public void abort() {
    if (!running()) {
      return;
    }
    cancelled.set(true); // the writer skips what is queued before the Abort
    bus().request(address, new Snapshot.Abort());
    fail(new Aborted());
  }

  /** How a capture abandoned on purpose fails: not an error of the disk (no MISCONF). */
  public static final class Aborted extends RuntimeException {
    Aborted() {
      super("Background save aborted", null, false, false);
    }
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

  /** Every entry of the start has been captured: stop capturing and have the sink finish. */
  private void walkDone() {
    stopCapturing();
    if (!batch.isEmpty()) {
      sendBatch();
    }
    Promise<Snapshot.Done> p = done;
    bus().<Snapshot.Done>request(address, new Snapshot.Finish()).onComplete(ar -> {
      if (done == p) {
        done = null;
        settle();
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
    // A grown string is written in place: its capture is a view that later writes leave alone.
    Object value = node.value instanceof RedisValue v ? v.capture()
        : node.value instanceof byte[] s && s.length <= Db.IN_PLACE_MAX ? s.clone()
        : node.value instanceof GrowableString g ? g.capture() : node.value;
    if (batch.isFull()) {
      // a write captured more than a batch while the worker was behind: start another one
      sendBatch();
    }
    batch.add(db, node.key, value, node.expireAt,
        saveIdle ? (int) Math.min(Integer.MAX_VALUE, Math.max(0L, (long) startClock - node.lru))
            : -1,
        saveFreq ? Lfu.decayed(node.lru, shard.lfuDecayTime) : -1);
    keysProcessed++;
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
      return; // a table created after the start (a flushed database): nothing of the capture
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

  /** The capture is over: nothing of it stays referenced, and its progress reads 0 again. */
  private void settle() {
    batch = new Snapshot.Batch(batchEntries);
    keysTotal = 0;
    keysProcessed = 0;
  }

  private void fail(String reason) {
    Promise<Snapshot.Done> p = end();
    if (p != null) {
      p.tryFail(reason == null ? "snapshot failed" : reason);
    }
  }

  private void fail(Aborted reason) {
    Promise<Snapshot.Done> p = end();
    if (p != null) {
      p.tryFail(reason);
    }
  }

  /** Ends the running capture before its sink finished; returns its promise (null: none ran). */
  private Promise<Snapshot.Done> end() {
    stopCapturing();
    Promise<Snapshot.Done> p = done;
    done = null;
    if (p != null) {
      settle();
    }
    return p;
  }

  private EventBus bus() {
    return vertx.eventBus();
  }
}
