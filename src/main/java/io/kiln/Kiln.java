package io.kiln;

import io.kiln.command.CommandTable;
import io.kiln.config.Config;
import io.kiln.persist.PersistenceInfo;
import io.kiln.persist.Snapshot;
import io.kiln.persist.SnapshotWriter;
import io.kiln.persist.Snapshotter;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.kiln.persist.RdbLoader;
import io.kiln.persist.Rehearsal;
import io.kiln.server.ShardVerticle;
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
 * A running Kiln server: its configuration, command table, Vert.x instance and shard verticles,
 * plus the few process-wide facts INFO reports (run id, start time, client ids). Started by
 * {@link Main} or by tests with {@link #start}. Immutable after start except the atomic counters;
 * read from every event loop.
 */
public final class Kiln {
  public static final String VERSION = "0.1.0";
  /** The Redis version whose behaviour Kiln follows, reported where clients look for it. */
  public static final String REDIS_VERSION = "7.0.15";

  private static final Logger log = LoggerFactory.getLogger(Kiln.class);

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
  private final List<io.kiln.server.ConnectionLoop> loops =
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
  private final io.kiln.server.SignalShutdown signalShutdown =
      new io.kiln.server.SignalShutdown(this, () -> onFatal.run());
  /** DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE and the dump file's load skip the CRC-64. */
  private volatile boolean skipChecksumValidation;
  /** DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call commands flagged noscript. */
  private volatile boolean denyScriptsDisabled;
  private final Promise<Void> stopped = Promise.promise();
  private final PersistenceInfo persistence = new PersistenceInfo(startTimeMs / 1000);
  /** The TLS context (tls-port's): built before listening, replaced by CONFIG SET tls-*. */
  private volatile io.kiln.server.TlsContext tls;
  /** The /metrics endpoint, or null when metrics-port is 0. */
  private final io.kiln.metrics.Metrics metrics;
  private final io.kiln.metrics.LatencyMonitor latencyMonitor = new io.kiln.metrics.LatencyMonitor();
  private final io.kiln.metrics.SnapshotMeters snapshotMeters = new io.kiln.metrics.SnapshotMeters();

  private Kiln(Config config, CommandTable commands, io.kiln.acl.Acl acl) {
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
    io.kiln.server.FileLimits.measure();
    long wanted = config.getLong("maxclients");
    long allowed = io.kiln.server.FileLimits.clientsAllowed();
    if (wanted <= allowed) {
      return;
    }
    log.warn("You requested maxclients of {} requiring at least {} max file descriptors.",
        wanted, wanted + io.kiln.server.FileLimits.RESERVED);
    log.warn("Current maximum open files is {}. maxclients has been reduced to {} to compensate "
        + "for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
        io.kiln.server.FileLimits.maxFiles(), allowed);
    try {
      config.with("maxclients", Long.toString(allowed));
    } catch (io.kiln.config.ConfigException e) {
      throw new IllegalStateException(e.getMessage(), e); // a number in range: cannot happen
    }
  }

  /**
   * The ACL as the configuration makes it, before the server listens (as Redis loads its users
   * at startup): the default user from requirepass, then the {@code user} directives or the
   * aclfile (never both). Fails with Redis's log line, already logged, when they are not valid.
   */
  private static io.kiln.acl.Acl aclAtStartup(CommandTable table, Config config) {
    io.kiln.acl.Acl acl = new io.kiln.acl.Acl(table.aclCatalog(),
        "allchannels".equals(config.getString("acl-pubsub-default")));
    // The file and command line are read as UTF-8 text; the ACL holds bytes (one char each)
    acl.requirePass(asBytes(config.getString("requirepass")));
    List<List<String>> users = new java.util.ArrayList<>();
    for (List<String> u : config.userDirectives()) {
      List<String> raw = new java.util.ArrayList<>();
      raw.add(u.get(0));
      for (String word : u.subList(1, u.size())) {
        raw.add(asBytes(word));
      }
      users.add(raw);
    }
    String aclFile = config.getString("aclfile");
    for (List<String> u : users) {
      try {
        acl.checkUserDirective(u.subList(1, u.size()));
      } catch (io.kiln.acl.Acl.RuleError e) {
        throw startupFailure("*** FATAL CONFIG FILE ERROR *** " + u.get(0)
            + ": Error in user declaration '" + e.rule + "': "
            + io.kiln.command.Errors.aclProblem(e.kind));
      } catch (io.kiln.acl.Acl.UnmatchedParenthesis e) {
        throw startupFailure("*** FATAL CONFIG FILE ERROR *** " + u.get(0)
            + ": Error in user declaration '" + e.rule + "': Wrong format");
      }
    }
    if (!aclFile.isEmpty() && !users.isEmpty()) {
      throw startupFailure("Configuring Redis with users defined in redis.conf and at the same "
          + "setting an ACL file path is invalid. This setup is very likely to lead to "
          + "configuration errors and security holes, please define either an ACL file or "
          + "declare users directly in your redis.conf, but not both.");
    }
    List<List<String>> named = new java.util.ArrayList<>();
    for (List<String> u : users) {
      named.add(u.subList(1, u.size()));
    }
    String error = acl.loadConfigured(named, io.kiln.command.Errors::aclProblem);
    if (error != null) {
      log.warn(error);
      throw startupFailure("Critical error while loading ACLs. Exiting.");
    }
    if (!aclFile.isEmpty()) {
      java.nio.file.Path path = io.kiln.command.AclCommands.aclPath(config);
      String content;
      try {
        content = java.nio.file.Files.readString(path, java.nio.charset.StandardCharsets.ISO_8859_1);
      } catch (java.io.IOException e) {
        throw startupFailure("Aborting Redis startup because of ACL errors: Error loading ACLs, "
            + "opening file '" + aclFile + "': " + io.kiln.config.IoErrors.reason(e));
      }
      io.kiln.acl.Acl.Loaded loaded = acl.parseFile(aclFile, content,
          io.kiln.command.Errors::aclProblem);
      if (loaded.errors() != null) {
        throw startupFailure("Aborting Redis startup because of ACL errors: " + loaded.errors());
      }
      acl.install(loaded.users());
    }
    return acl;
  }

  /** A config file's text as the ACL keeps bytes: its UTF-8 bytes, one char each. */
  private static String asBytes(String text) {
    return new String(text.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private static io.kiln.persist.LoadFailure startupFailure(String line) {
    log.warn(line);
    return new io.kiln.persist.LoadFailure(line, null);
  }

  /**
   * Starts a server on {@code config}; completes once it accepts connections. Unlike the launcher
   * (which exits on {@code port 0} with nothing else to listen on, as redis-server does), port 0
   * here listens on any free port when neither tls-port nor unixsocket is set: tests and
   * embedders read it back from {@link #port()}. Beside those, port 0 turns plain TCP off.
   */
  public static Future<Kiln> start(Config config) {
    return start(config, k -> { });
  }

  /**
   * As {@link #start(Config)}, calling {@code listening} on the shard's event loop once the port
   * is bound, before the dump or AOF is loaded (the launcher logs Redis's "PID:" line there, as
   * redis-server prints its banner before loading).
   */
  public static Future<Kiln> start(Config config, java.util.function.Consumer<Kiln> listening) {
    io.kiln.persist.AofStartup aof;
    try {
      aof = io.kiln.persist.AofStartup.plan(config);
    } catch (java.io.IOException e) {
      return Future.failedFuture(new io.kiln.persist.LoadFailure("Bad append only manifest: "
          + e.getMessage() + ". Exiting.", e));
    }
    CommandTable table = CommandTable.standard();
    io.kiln.acl.Acl acl;
    try {
      acl = aclAtStartup(table, config);
    } catch (io.kiln.persist.LoadFailure e) {
      return Future.failedFuture(e);
    }
    Kiln kiln = new Kiln(config, table, acl);
    ShardVerticle verticle = new ShardVerticle(kiln, 0);
    Snapshot.registerCodecs(kiln.vertx.eventBus());
    io.kiln.persist.Aof.registerCodecs(kiln.vertx.eventBus());
    // The snapshot writer has a pool of its own: a save never delays another worker's disk work.
    DeploymentOptions snapshotWorker = new DeploymentOptions()
        .setThreadingModel(ThreadingModel.WORKER).setWorkerPoolName("kiln-snapshot")
        .setWorkerPoolSize(1);
    // Listen first, then load the dump file; loading:1 holds from the first accepted connection.
    java.nio.file.Path dump = aof == null ? RdbLoader.startupFile(config) : aof.dump();
    kiln.persistence.loading = dump != null || aof != null;
    if (kiln.persistence.loading) {
      // INFO's loading fields hold together from the first connection on (caller's thread).
      kiln.persistence.loadingStartSec = System.currentTimeMillis() / 1000;
      try {
        kiln.persistence.loadingTotalBytes = dump == null ? 0 : java.nio.file.Files.size(dump);
      } catch (java.io.IOException e) {
        // the loader reports the unreadable file
      }
    }
    // A context-free promise: a failure must reach the caller even though Vert.x is closed
    // right after (a future bound to a Vert.x context can no longer call back once it closed,
    // and the launcher then exited 0 without a word when the port was in use).
    Promise<Kiln> result = Promise.promise();
    SnapshotWriter writer = new SnapshotWriter(config.getString("bgsave_cpulist"));
    // As Redis: the TLS context is built (certificate and key files read, on a worker) before
    // anything listens, and a bad one stops the start
    Future<?> tls = !usesTls(config) ? Future.succeededFuture()
        : kiln.vertx.executeBlocking(() -> io.kiln.server.TlsContext.build(config), false)
            .map(ctx -> kiln.tls = ctx);
    tls.compose(t -> kiln.vertx.deployVerticle(writer, snapshotWorker))
        .compose(w -> kiln.vertx.deployVerticle(verticle))
        .compose(id -> kiln.deployConnectionLoops(verticle))
        .compose(id -> {
          kiln.shard = verticle;
          listening.accept(kiln);
          if (aof != null) {
            return aof.run(kiln, verticle).map(kiln);
          }
          if (dump == null) {
            return Future.succeededFuture(kiln);
          }
          kiln.loader = RdbLoader.start(kiln, verticle, dump);
          return kiln.loader.future().map(v -> kiln);
        })
        .compose(k -> k.metrics == null ? Future.succeededFuture(k) : k.metrics.start(k).map(k))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            config.onChange("appendonly", cfg -> kiln.switchAof(cfg.getBool("appendonly")));
            // CONFIG SET runs on the shard's event loop, the ACL's owner
            config.onChange("requirepass", cfg -> acl.requirePass(cfg.getString("requirepass")));
            config.onChange("acl-pubsub-default", cfg -> acl.allChannelsByDefault(
                "allchannels".equals(cfg.getString("acl-pubsub-default"))));
            rehearseWhenQuiet(kiln, verticle);
            result.complete(kiln);
            return;
          }
          // Close from outside Vert.x: a load failure arrives on the shard's event loop, which
          // the close terminates, so a callback bound to it would never run.
          java.util.concurrent.ForkJoinPool.commonPool().execute(() ->
              kiln.vertx.close().onComplete(v -> result.fail(ar.cause())));
        });
    return result.future();
  }

  /**
   * {@code shards} above 1: the other event loops that serve connections beside the shard, each
   * listening on its ports ({@link io.kiln.server.ConnectionLoop}).
   */
  private Future<?> deployConnectionLoops(ShardVerticle verticle) {
    Future<?> chain = Future.succeededFuture();
    for (int i = 1; i < config.getInt("shards"); i++) {
      io.kiln.server.ConnectionLoop loop = new io.kiln.server.ConnectionLoop(this, verticle);
      chain = chain.compose(v -> vertx.deployVerticle(loop)).map(id -> {
        loops.add(loop);
        return id;
      });
    }
    return chain;
  }

  /**
   * Starts the rehearsal of the snapshot code ({@link Rehearsal}) at the first second in which
   * the shard served no command: right after a start under load it would take a core from the
   * clients (2 cores, fresh servers, 3+10 s windows: 0.20-0.66x Redis's ops with it running,
   * 0.70-1.11x without). A server loaded from its first second rehearses at its first quiet one;
   * a save before that runs on cold code. The timer runs on the shard's event loop.
   */
  private static void rehearseWhenQuiet(Kiln kiln, ShardVerticle verticle) {
    verticle.execute(() -> {
      long[] served = {verticle.shard().stats.commandsProcessed};
      kiln.vertx.setPeriodic(1000, id -> {
        long now = verticle.shard().stats.commandsProcessed;
        if (!kiln.stopping && now != served[0]) {
          served[0] = now;
          return;
        }
        kiln.vertx.cancelTimer(id);
        if (kiln.stopping) {
          return;
        }
        try {
          Rehearsal r = Rehearsal.start(kiln, verticle.context());
          kiln.rehearsal = r;
          if (kiln.stopping) { // a stop() that came before the line above did not see it
            r.stop();
          }
        } catch (RuntimeException e) { // never in the way of a start
          log.debug("No snapshot rehearsal: {}", e.toString());
        }
      });
    });
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

  /** The AOF loader while one runs (Kiln.stop cancels it). */
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
        return Future.failedFuture("Errors trying to SHUTDOWN. Check logs.");
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
  public io.kiln.server.SignalShutdown signalShutdown() {
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
  public io.kiln.server.TlsContext tls() {
    return tls;
  }

  /**
   * Makes {@code context} the one new TLS connections use, on every shard and connection loop;
   * completes once each one's listeners took it, failed with the first failure (the others are
   * updated all the same). One listener after the other, and one update after the other: the
   * loops' listeners of a port share one server in Vert.x, and two updates of a shared server at
   * once never end (its second call waits for the first by calling itself again, until the stack
   * overflows). Call from an event loop.
   */
  public synchronized Future<?> useTls(io.kiln.server.TlsContext context) {
    Future<Object> update = tlsUpdates.transform(ar -> updateListeners(context));
    tlsUpdates = update;
    return update;
  }

  /** The last TLS update of the listeners ({@link #useTls}): the next one starts after it. */
  private Future<Object> tlsUpdates = Future.succeededFuture();

  private Future<Object> updateListeners(io.kiln.server.TlsContext context) {
    tls = context;
    Throwable[] first = {null};
    Future<Object> chain = Future.succeededFuture();
    for (ShardVerticle s : shards()) {
      chain = chain.compose(v -> step(s::execute, () -> s.updateTls(context), first));
    }
    for (io.kiln.server.ConnectionLoop loop : loops) {
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
  public List<io.kiln.server.ConnectionLoop> connectionLoops() {
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
