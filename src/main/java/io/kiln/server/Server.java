package io.kiln.server;

import io.kiln.command.CommandTable;
import io.kiln.config.Config;
import io.kiln.persist.PersistenceInfo;
import io.kiln.persist.Snapshotter;
import io.kiln.persist.RdbLoader;
import io.kiln.persist.Rehearsal;
import io.kiln.resp.Errors;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Kiln server: its configuration, command table, Vert.x instance, shard verticle and
 * connection loops, plus the few process-wide facts INFO reports (run id, start time, client
 * ids). Made and started by {@code io.kiln.Kiln.start}, which wires the packages together.
 * Immutable after start except the atomic counters and the volatile fields; read from every
 * event loop.
 */
public final class Server {
  public static final String VERSION = "0.1.0";
  /** The Redis version whose behaviour Kiln follows, reported where clients look for it. */
  public static final String REDIS_VERSION = "7.0.15";

  private static final Logger log = LoggerFactory.getLogger(Server.class);

  private final Config config;
  private final CommandTable commands;
  /** Users and their rules; owned by the shard's event loop once the server runs. */
  private final io.kiln.acl.Acl acl;
  private final Vertx vertx;
  private final String runId;
  private final long startTimeMs = System.currentTimeMillis();
  private final AtomicLong clientIds = new AtomicLong();
  private final AtomicInteger connectedClients = new AtomicInteger();
  private volatile ShardVerticle shard;
  /** The event loops serving connections beside the shard's (shards above 1). */
  private final List<ConnectionLoop> loops =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile RdbLoader loader;
  private volatile io.kiln.persist.AofLoader aofLoader;
  private volatile String aofWriterId;
  /** The AOF's facts for INFO (enabled stays false while appendonly is off). */
  private final io.kiln.persist.Aof.Status aofStatus = new io.kiln.persist.Aof.Status();
  /** The startup rehearsal of the snapshot code, once the server is up ({@link Rehearsal}). */
  private volatile Rehearsal rehearsal;
  /** {@link #stop} was called (a rehearsal starting meanwhile is stopped at once). */
  private volatile boolean stopping;
  private volatile Runnable onShutdown = () -> { };
  private volatile Runnable onFatal = () -> { };
  /** SIGTERM/SIGINT's requested shutdown; a second SIGINT exits as {@link #onFatal} does. */
  private final SignalShutdown signalShutdown =
      new SignalShutdown(this, () -> onFatal.run());
  /** DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE and the dump file's load skip the CRC-64. */
  private volatile boolean skipChecksumValidation;
  /** DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call commands flagged noscript. */
  private volatile boolean denyScriptsDisabled;
  private final Promise<Void> stopped = Promise.promise();
  private final PersistenceInfo persistence = new PersistenceInfo(startTimeMs / 1000);
  /** The TLS context (tls-port's): built before listening, replaced by CONFIG SET tls-*. */
  private volatile TlsContext tls;
  /** The /metrics endpoint, or null when metrics-port is 0. */
  private final io.kiln.metrics.Metrics metrics;
  private final io.kiln.metrics.LatencyMonitor latencyMonitor = new io.kiln.metrics.LatencyMonitor();
  private final io.kiln.metrics.SnapshotMeters snapshotMeters = new io.kiln.metrics.SnapshotMeters();

  public Server(Config config, CommandTable commands, io.kiln.acl.Acl acl) {
    this.config = config;
    this.commands = commands;
    this.acl = acl;
    lowerMaxclientsToTheFileLimit(config);
    VertxOptions options = new VertxOptions().setPreferNativeTransport(true);
    // one event loop per shard loop, so that no two share a thread (Vert.x's default pool is
    // twice the cores, and it hands loops to verticles in turn)
    options.setEventLoopPoolSize(Math.max(options.getEventLoopPoolSize(),
        config.getInt("shards") + 1));
    long blockedMs = Long.getLong("kiln.blockedThreadWarningMs", 0);
    if (blockedMs > 0) {
      options.setMaxEventLoopExecuteTime(blockedMs).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
          .setWarningExceptionTime(blockedMs).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS)
          .setBlockedThreadCheckInterval(Math.max(10, blockedMs / 4))
          .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS);
    }
    // Seed the keyspace hash now: its SecureRandom setup must not cost an event loop time.
    io.kiln.keyspace.Dict.hash(new byte[0]);
    this.metrics = io.kiln.metrics.Metrics.fromConfig(config);
    this.vertx = metrics == null ? Vertx.vertx(options) : metrics.createVertx(options);
    vertx.exceptionHandler(this::internalError);
    byte[] id = new byte[20];
    new SecureRandom().nextBytes(id);
    this.runId = HexFormat.of().formatHex(id);
  }

  /**
   * maxclients above what the open-files limit allows is lowered to fit, with Redis's warnings
   * (a JVM cannot raise its own limit, as Redis tries to first).
   */
  private static void lowerMaxclientsToTheFileLimit(Config config) {
    FileLimits.measure();
    long wanted = config.getLong("maxclients");
    long allowed = FileLimits.clientsAllowed();
    if (wanted <= allowed) {
      return;
    }
    log.warn("You requested maxclients of {} requiring at least {} max file descriptors.",
        wanted, wanted + FileLimits.RESERVED);
    log.warn("Current maximum open files is {}. maxclients has been reduced to {} to compensate "
        + "for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
        FileLimits.maxFiles(), allowed);
    try {
      config.with("maxclients", Long.toString(allowed));
    } catch (io.kiln.config.ConfigException e) {
      throw new IllegalStateException(e.getMessage(), e); // a number in range: cannot happen
    }
  }

  /** The shard verticle is deployed and listening (the wiring's step). */
  public void bound(ShardVerticle verticle) {
    this.shard = verticle;
  }

  /** A connection loop is deployed beside the shard (the wiring's step). */
  public void addConnectionLoop(ConnectionLoop loop) {
    loops.add(loop);
  }

  /** The dump file's loader while it runs (stop cancels it). */
  public void loader(RdbLoader l) {
    this.loader = l;
  }

  /** The TLS context built before anything listens. */
  public void initialTls(TlsContext context) {
    this.tls = context;
  }

  /** The startup rehearsal, once started. */
  public void rehearsal(Rehearsal r) {
    this.rehearsal = r;
  }

  /** True once {@link #stop} was called. */
  public boolean stopping() {
    return stopping;
  }

  /**
   * The dataset is loaded: CONFIG SET of appendonly, requirepass and acl-pubsub-default take
   * effect from now on (on the event loop of the CONFIG SET, the ACL's owner).
   */
  public void started() {
    config.onChange("appendonly", cfg -> switchAof(cfg.getBool("appendonly")));
    config.onChange("requirepass", cfg -> acl.requirePass(cfg.getString("requirepass")));
    config.onChange("acl-pubsub-default", cfg -> acl.allChannelsByDefault(
        "allchannels".equals(cfg.getString("acl-pubsub-default"))));
  }

  /**
   * Ends the startup rehearsal if it still runs, stops listening, closes every connection and
   * releases Vert.x. Idempotent.
   */
  public Future<Void> stop() {
    RdbLoader l = loader;
    if (l != null) {
      l.cancel();
    }
    io.kiln.persist.AofLoader al = aofLoader;
    if (al != null) {
      al.cancel();
    }
    stopping = true;
    Rehearsal r = rehearsal;
    Future<Void> quiet = r == null ? Future.succeededFuture() : r.stop();
    quiet.compose(v -> aofFlushed()).onComplete(v -> vertx.close().onComplete(ar -> {
      // SHUTDOWN then a later stop() both close: the first outcome stands.
      if (ar.succeeded()) {
        stopped.tryComplete();
      } else {
        stopped.tryFail(ar.cause());
      }
    }));
    return stopped.future();
  }

  /**
   * Completes once every write so far is handed to the AOF writer and reported written (at once
   * without an AOF; after 5 s at most, when the disk refuses it). Any thread.
   */
  private Future<Void> aofFlushed() {
    ShardVerticle s = shard;
    if (s == null || !aofStatus.enabled) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    s.execute(() -> {
      s.holdClients(); // no command runs after the flush: nothing acknowledged is left out
      s.aofFlushed().onComplete(ar -> p.tryComplete());
    });
    vertx.setTimer(5000, id -> p.tryComplete());
    return p.future();
  }

  /** The AOF writer's deployment, once deployed (CONFIG SET appendonly no undeploys it). */
  public void aofWriter(String deploymentId) {
    this.aofWriterId = deploymentId;
  }

  /**
   * CONFIG SET appendonly: yes writes the file from a rewrite first and is on once it is
   * complete (as Redis: until then the writes only fill the rewrite buffer); no stops recording
   * once what is recorded is written, and closes the file. Event loop (the CONFIG SET's).
   */
  private void switchAof(boolean on) {
    ShardVerticle s = shard;
    if (on && !aofStatus.enabled) {
      aofStatus.enabled = true; // INFO's aof_enabled:1 from now on, as Redis's wait-rewrite
      java.nio.file.Path file = java.nio.file.Path.of(config.getString("dir"))
          .resolve(config.getString("appendfilename"));
      io.kiln.persist.AofStartup.deployWriter(this, file, true).onComplete(ar -> s.execute(() -> {
        if (ar.failed()) {
          aofStatus.enabled = false;
          log.warn("Can't switch the append only file on: {}", ar.cause().getMessage());
          return;
        }
        s.startAof();
        s.aofRewrite().firstFile();
        if (s.snapshotter().running()) {
          s.aofRewrite().schedule();
        } else {
          s.aofRewrite().start();
        }
      }));
    } else if (!on && aofStatus.enabled) {
      s.execute(() -> s.stopAof().onComplete(ar -> {
        String id = aofWriterId;
        aofWriterId = null;
        Future<Void> undeployed = id == null ? Future.succeededFuture() : vertx.undeploy(id);
        undeployed.onComplete(v -> {
          aofStatus.enabled = false;
          log.info("Append only file switched off");
        });
      }));
    }
  }

  /** The AOF loader while one runs ({@link #stop} cancels it). */
  public void aofLoader(io.kiln.persist.AofLoader l) {
    this.aofLoader = l;
  }

  /** The AOF's facts (INFO persistence). */
  public io.kiln.persist.Aof.Status aofStatus() {
    return aofStatus;
  }

  /** What a fatal error does (the launcher exits 1); in-process servers keep running. */
  public void onFatal(Runnable action) {
    this.onFatal = action;
  }

  /** A fatal error (an fsync failed under appendfsync always): runs the fatal action. */
  public void fatal() {
    onFatal.run();
  }

  /**
   * An exception that no handler caught on one of the server's event loops or workers: a bug,
   * Redis's failed assertion. It is logged as a bug report (with its stack trace while
   * crash-log-enabled is yes); the server then goes on (Kiln never aborts), or, under the hidden
   * use-exit-on-panic yes that Redis's tests set, exits with an error through the fatal action.
   * Runs on the thread that failed.
   */
  private void internalError(Throwable err) {
    log.warn("=== KILN BUG REPORT START: Cut & paste starting from here ===");
    log.warn("=== ASSERTION FAILED ===");
    log.warn("==> {} (thread {})", err, Thread.currentThread().getName());
    if (config.getBool("crash-log-enabled")) {
      log.warn("------ STACK TRACE ------");
      for (Throwable t = err; t != null; t = t.getCause() == t ? null : t.getCause()) {
        if (t != err) {
          log.warn("Caused by: {}", t.toString());
        }
        for (StackTraceElement e : t.getStackTrace()) {
          log.warn("    at {}", e);
        }
      }
    }
    log.warn("=== KILN BUG REPORT END. Make sure to include from START to END. ===");
    if (config.getBool("use-exit-on-panic")) {
      log.warn("Exiting after an internal error (use-exit-on-panic yes)");
      fatal();
    }
  }

  /** DEBUG SET-SKIP-CHECKSUM-VALIDATION (Redis's testing switch). Any thread. */
  public void skipChecksumValidation(boolean on) {
    skipChecksumValidation = on;
  }

  /** Whether RESTORE payloads and the dump file are loaded without checking their CRC-64. */
  public boolean skipChecksumValidation() {
    return skipChecksumValidation;
  }

  /** DEBUG SET-DISABLE-DENY-SCRIPTS (Redis's testing switch). Any thread. */
  public void denyScriptsDisabled(boolean on) {
    denyScriptsDisabled = on;
  }

  /** Whether scripts may call commands flagged noscript. */
  public boolean denyScriptsDisabled() {
    return denyScriptsDisabled;
  }

  /** What SHUTDOWN does once the server has stopped (the launcher exits the process). */
  public void onShutdown(Runnable action) {
    this.onShutdown = action;
  }

  /**
   * SHUTDOWN (and SIGTERM/SIGINT): saves a final snapshot when asked ({@code save} true), or by
   * default ({@code save} null) when save points are configured; then stops and runs the
   * shutdown action. A failed save keeps the server running (the future fails) unless
   * {@code force}. Runs on the shard's event loop; never blocks it.
   */
  public Future<Void> shutdown(Boolean save, boolean force) {
    log.warn("User requested shutdown...");
    // while loading, never a save: it would overwrite the file with half the dataset (Redis too)
    boolean saving = !persistence.loading
        && (save != null ? save : !config.savePoints().isEmpty());
    Future<Void> saved = Future.succeededFuture();
    if (saving) {
      log.info("Saving the final RDB snapshot before exiting.");
      Snapshotter snapshots = shard.snapshotter();
      snapshots.abort();
      shard.holdClients();
      saved = snapshots.save(false).<Void>mapEmpty().recover(err -> {
        if (force) {
          log.warn("Error trying to save the DB. Exit anyway.");
          return Future.succeededFuture();
        }
        log.warn("Error trying to save the DB, can't exit.");
        log.warn("Errors trying to shut down the server. Check the logs for more information.");
        signalShutdown.cancelled();
        shard.releaseClients();
        return Future.failedFuture(Errors.SHUTDOWN_FAILED);
      });
    }
    return saved.compose(v -> {
      if (!config.getString("unixsocket").isEmpty()) {
        log.info("Removing the unix socket file."); // Netty removes it as the socket closes
      }
      log.info("Redis is now ready to exit, bye bye...");
      return stop().onComplete(ar -> onShutdown.run());
    });
  }

  /** The shutdown SIGTERM and SIGINT request, which the periodic job carries out. */
  public SignalShutdown signalShutdown() {
    return signalShutdown;
  }

  /** Runs {@code task} on the shard's event loop (signal handlers, tests). */
  public void onEventLoop(Runnable task) {
    shard.execute(task);
  }

  /** Persistence status for INFO; touched only on the persistence shard's event loop. */
  public PersistenceInfo persistence() {
    return persistence;
  }

  /** The /metrics endpoint, or null when metrics are off. */
  public io.kiln.metrics.Metrics metrics() {
    return metrics;
  }

  /** The AOF's meters (no-op meters when metrics are off). */
  public io.kiln.metrics.AofMeters aofMeters() {
    return metrics == null ? io.kiln.metrics.AofMeters.NOOP : metrics.aof();
  }

  /** LATENCY's event monitor; owned by the persistence shard's event loop. */
  public io.kiln.metrics.LatencyMonitor latencyMonitor() {
    return latencyMonitor;
  }

  /** The last snapshot's facts for the metrics; owned by the persistence shard's event loop. */
  public io.kiln.metrics.SnapshotMeters snapshotMeters() {
    return snapshotMeters;
  }

  /** The startup rehearsal of the snapshot code: null until the server is up. */
  public Rehearsal rehearsal() {
    return rehearsal;
  }

  public Config config() {
    return config;
  }

  /** The users and their rules (ACL); used on the shard's event loop. */
  public io.kiln.acl.Acl acl() {
    return acl;
  }

  public CommandTable commands() {
    return commands;
  }

  public Vertx vertx() {
    return vertx;
  }

  public int port() {
    return shard.port();
  }

  /** Whether {@code config} serves anything over TLS (tls-port, metrics-tls). */
  public static boolean usesTls(Config config) {
    return config.getInt("tls-port") != 0
        || (config.getBool("metrics-tls") && config.getInt("metrics-port") != 0);
  }

  /** The TLS port listened on, 0 when none. */
  public int tlsPort() {
    return shard.tlsPort();
  }

  /** The TLS context of the tls-port listeners; null while TLS is off. */
  public TlsContext tls() {
    return tls;
  }

  /**
   * Makes {@code context} the one new TLS connections use, on every shard and connection loop;
   * completes once each one's listeners took it, failed with the first failure (the others are
   * updated all the same). One listener after the other, and one update after the other: the
   * loops' listeners of a port share one server in Vert.x, and two updates of a shared server at
   * once never end (its second call waits for the first by calling itself again, until the stack
   * overflows). The shard's event loop (CONFIG SET's).
   */
  public Future<?> useTls(TlsContext context) {
    Future<Object> update = tlsUpdates.transform(ar -> updateListeners(context));
    tlsUpdates = update;
    return update;
  }

  /** The last TLS update of the listeners ({@link #useTls}): the next one starts after it. */
  private Future<Object> tlsUpdates = Future.succeededFuture();

  private Future<Object> updateListeners(TlsContext context) {
    tls = context;
    Throwable[] first = {null};
    Future<Object> chain = Future.succeededFuture();
    for (ShardVerticle s : shards()) {
      chain = chain.compose(v -> step(s::execute, () -> s.updateTls(context), first));
    }
    for (ConnectionLoop loop : loops) {
      chain = chain.compose(v -> step(loop::execute, () -> loop.updateTls(context), first));
    }
    if (metrics != null) {
      chain = chain.compose(v -> step(Runnable::run, () -> metrics.updateTls(context), first));
    }
    return chain.compose(v -> first[0] == null ? Future.succeededFuture()
        : Future.failedFuture(first[0]));
  }

  /** One listener's update on its own loop; a failure is kept in {@code first}, not thrown. */
  private static Future<Object> step(java.util.function.Consumer<Runnable> onLoop,
      java.util.function.Supplier<Future<?>> update, Throwable[] first) {
    Promise<Object> p = Promise.promise();
    onLoop.accept(() -> update.get().onComplete(ar -> {
      if (ar.failed() && first[0] == null) {
        first[0] = ar.cause();
      }
      p.complete();
    }));
    return p.future();
  }

  /** The event loops serving connections beside the shard's ({@code shards} above 1). */
  public List<ConnectionLoop> connectionLoops() {
    return List.copyOf(loops);
  }

  public List<ShardVerticle> shards() {
    return List.of(shard);
  }

  public String runId() {
    return runId;
  }

  public long startTimeMs() {
    return startTimeMs;
  }

  public long nextClientId() {
    return clientIds.incrementAndGet();
  }

  public AtomicInteger connectedClients() {
    return connectedClients;
  }
}
