package io.kiln.server;

import io.kiln.command.CommandSpec;
import io.kiln.command.Info;
import io.kiln.config.Config;
import io.kiln.keyspace.Shard;
import io.kiln.persist.AofBase;
import io.kiln.persist.CaptureEngine;
import io.kiln.persist.Snapshotter;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetSocket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An event-loop verticle that owns one shard of the keyspace and serves the RESP sockets it
 * accepts, and runs the commands of those its {@link ConnectionLoop}s accept ({@code shards}
 * above 1): its clients, MONITOR subscribers, slow log and periodic job all live on its event
 * loop, so the hot path takes no lock.
 *
 * <p>Owned by one Vert.x event loop (this verticle's context).
 */
public final class ShardVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(ShardVerticle.class);

  private final Server kiln;
  private final int index;
  private Shard shard;
  /** The plain, TLS and unix sockets this shard accepts on. */
  private Listeners listeners;
  private final Map<Long, Client> clients = new LinkedHashMap<>();
  private final List<Client> monitors = new ArrayList<>();
  private final SlowLog slowLog = new SlowLog();
  /** The shard's one capture engine, and its jobs: the RDB file and the AOF's base. */
  private CaptureEngine capture;
  private Snapshotter snapshotter;
  private AofBase aofBase;
  private final ReplyGate gate = new ReplyGate();
  /** Feeds the effects to the AOF writer, and its rewrites; null while appendonly is off. */
  private AofFeed aofFeed;
  private AofRewrite aofRewrite;
  private Blocking blocking;
  private Pause pause;
  private PubSub pubsub;
  private Tracking tracking;
  private Scripting scripting;
  private boolean clientsHeld;
  private long cronTimer = -1;
  private long hostTimer = -1;
  private final Info.Rates rates = new Info.Rates();
  private final Info.Latency latency = new Info.Latency();

  public ShardVerticle(Server kiln, int index) {
    this.kiln = kiln;
    this.index = index;
  }

  public Shard shard() {
    return shard;
  }

  Server kiln() {
    return kiln;
  }

  /** Runs {@code task} on this shard's event loop. */
  public void execute(Runnable task) {
    context.runOnContext(v -> task.run());
  }

  /** The clients blocked on keys of this shard (BLPOP & co). */
  public Blocking blocking() {
    return blocking;
  }

  /** CLIENT PAUSE's state and the clients it holds. */
  public Pause pause() {
    return pause;
  }

  /** This shard's scripts (EVAL, SCRIPT) and their interpreter. */
  public Scripting scripting() {
    return scripting;
  }

  /** The shard's number. */
  public int index() {
    return index;
  }

  /** The pub/sub registry of this shard's clients. */
  public PubSub pubsub() {
    return pubsub;
  }

  /** Client-side caching (CLIENT TRACKING) of this shard's clients and keys. */
  public Tracking tracking() {
    return tracking;
  }

  // client-output-buffer-limit of the normal and pubsub classes: {hard, soft, soft-seconds},
  // or null when the class is unlimited (0 0 0). Replaced whole on CONFIG SET.
  private volatile long[] normalOutputLimit;
  private volatile long[] pubsubOutputLimit;

  /** The output buffer limit of a client's class (pubsub while subscribed), null if none. */
  long[] outputLimits(boolean pubsubClass) {
    return pubsubClass ? pubsubOutputLimit : normalOutputLimit;
  }

  private void readOutputLimits(Config config) {
    String[] w = config.getString("client-output-buffer-limit").split(" ");
    for (int i = 0; i + 3 < w.length; i += 4) {
      long[] limit = {Long.parseLong(w[i + 1]), Long.parseLong(w[i + 2]), Long.parseLong(w[i + 3])};
      if (limit[0] == 0 && limit[1] == 0) {
        limit = null;
      }
      switch (w[i]) {
        case "normal" -> normalOutputLimit = limit;
        case "pubsub" -> pubsubOutputLimit = limit;
        default -> { }
      }
    }
  }

  /** The configured notify-keyspace-events as {@link io.kiln.keyspace.Notify} bits. */
  static int keyspaceEventFlags(Config config) {
    int flags = keyspaceEventFlags(config.getString("notify-keyspace-events"));
    return config.getLong("notify-keyspace-events") == 1 ? flags | io.kiln.keyspace.Notify.NEW : flags;
  }

  /** notify-keyspace-events letters as Redis's flag bits ({@link io.kiln.keyspace.Notify}). */
  public static int keyspaceEventFlags(String letters) {
    int flags = 0;
    for (int i = 0; i < letters.length(); i++) {
      flags |= switch (letters.charAt(i)) {
        case 'A' -> io.kiln.keyspace.Notify.GENERIC | io.kiln.keyspace.Notify.STRING
            | io.kiln.keyspace.Notify.LIST | io.kiln.keyspace.Notify.SET
            | io.kiln.keyspace.Notify.HASH | io.kiln.keyspace.Notify.ZSET
            | io.kiln.keyspace.Notify.EXPIRED | io.kiln.keyspace.Notify.EVICTED
            | io.kiln.keyspace.Notify.STREAM | io.kiln.keyspace.Notify.MODULE;
        case 'g' -> io.kiln.keyspace.Notify.GENERIC;
        case '$' -> io.kiln.keyspace.Notify.STRING;
        case 'l' -> io.kiln.keyspace.Notify.LIST;
        case 's' -> io.kiln.keyspace.Notify.SET;
        case 'h' -> io.kiln.keyspace.Notify.HASH;
        case 'z' -> io.kiln.keyspace.Notify.ZSET;
        case 'x' -> io.kiln.keyspace.Notify.EXPIRED;
        case 'e' -> io.kiln.keyspace.Notify.EVICTED;
        case 't' -> io.kiln.keyspace.Notify.STREAM;
        case 'm' -> io.kiln.keyspace.Notify.KEY_MISS;
        case 'd' -> io.kiln.keyspace.Notify.MODULE;
        case 'n' -> io.kiln.keyspace.Notify.NEW;
        case 'K' -> io.kiln.keyspace.Notify.KEYSPACE;
        case 'E' -> io.kiln.keyspace.Notify.KEYEVENT;
        default -> 0;
      };
    }
    return flags;
  }

  /** Publishes a keyspace event on __keyspace@db__:key and/or __keyevent@db__:event. */
  private void publishKeyspaceEvent(int type, String event, byte[] key, int dbid) {
    int flags = shard.notifyFlags;
    byte[] eventBytes = PubSub.ascii(event);
    if ((flags & io.kiln.keyspace.Notify.KEYSPACE) != 0) {
      byte[] prefix = PubSub.ascii("__keyspace@" + dbid + "__:");
      byte[] channel = java.util.Arrays.copyOf(prefix, prefix.length + key.length);
      System.arraycopy(key, 0, channel, prefix.length, key.length);
      pubsub.publish(channel, eventBytes);
    }
    if ((flags & io.kiln.keyspace.Notify.KEYEVENT) != 0) {
      pubsub.publish(PubSub.ascii("__keyevent@" + dbid + "__:" + event), key);
    }
  }

  /** The reply gate of appendfsync always (the replies that wait for an fsync). */
  ReplyGate gate() {
    return gate;
  }

  /**
   * The AOF's write error while this shard refuses writes for it (MISCONF; INFO's
   * aof_last_write_status), else null.
   */
  public String aofWriteError() {
    return aofFeed == null ? null : aofFeed.writeError();
  }

  /**
   * Starts recording this shard's effects and feeding them to the AOF writer (appendonly yes,
   * once the dataset is loaded). Event loop.
   */
  public void startAof() {
    aofFeed = new AofFeed(index, shard.effects, gate, vertx.eventBus(), context,
        blocking);
    aofRewrite = new AofRewrite(kiln, this, aofFeed);
    aofFeed.start(kiln.config().getString("appendfsync"));
  }

  /**
   * Stops recording effects (CONFIG SET appendonly no): what is recorded reaches the writer
   * first, and a running rewrite is abandoned. Event loop.
   */
  public Future<Void> stopAof() {
    if (aofFeed == null) {
      return Future.succeededFuture();
    }
    AofFeed feed = aofFeed;
    if (aofRewrite.running()) {
      snapshotter.abort(); // the rewrite fails and drops its files
    }
    kiln.persistence().aofRewriteScheduled = false;
    return feed.flushed().onComplete(ar -> {
      feed.stop();
      if (aofFeed == feed) {
        aofFeed = null;
        aofRewrite = null;
      }
    });
  }

  /** CONFIG SET appendfsync: applied at once on this loop (a command pipelined after sees it). */
  private void watchAppendfsync() {
    kiln.config().onChange("appendfsync", cfg -> {
      Runnable apply = () -> {
        if (aofFeed != null) {
          aofFeed.policy(cfg.getString("appendfsync"));
        }
      };
      if (io.vertx.core.Vertx.currentContext() == context) {
        apply.run();
      } else {
        context.runOnContext(v -> apply.run());
      }
    });
  }

  /**
   * Completes once every effect recorded so far is reported written by the AOF writer (at once
   * when the AOF is off). Event loop.
   */
  public Future<Void> aofFlushed() {
    if (aofFeed == null) {
      return Future.succeededFuture();
    }
    if (aofRewrite != null && aofRewrite.running()) {
      // a stop or DEBUG LOADAOF: the rewrite is abandoned and its files go (the live file has
      // every write); its abort reaches the writer before the flush's batch
      log.warn("Killing the running AOF rewrite");
      snapshotter.abort();
    }
    return aofFeed.flushed();
  }

  /** The AOF's feed (WAITAOF waits on its fsyncs), or null while the AOF is off. */
  public AofFeed aofFeed() {
    return aofFeed;
  }

  /** BGREWRITEAOF's runner, or null while the AOF is off. */
  public AofRewrite aofRewrite() {
    return aofRewrite;
  }

  public Snapshotter snapshotter() {
    return snapshotter;
  }

  /** The job that writes an AOF's base from a capture of this shard. */
  public AofBase aofBase() {
    return aofBase;
  }

  /** True while SAVE holds every client of this shard. */
  public boolean clientsHeld() {
    return clientsHeld;
  }

  /** SAVE: stop reading from every client until {@link #releaseClients}. */
  public void holdClients() {
    clientsHeld = true;
    for (Client c : clients.values()) {
      c.hold();
    }
  }

  public void releaseClients() {
    clientsHeld = false;
    for (Client c : List.copyOf(clients.values())) {
      c.releaseHold();
    }
  }

  public int port() {
    return listeners.port();
  }

  /** The sockets this shard listens on (the connection loops listen beside them). */
  Listeners listeners() {
    return listeners;
  }

  /** The TLS port this shard listens on, 0 when none. */
  public int tlsPort() {
    return listeners.tlsPort();
  }

  /** Hands the rebuilt TLS context to this shard's TLS listeners (call on its event loop). */
  public Future<?> updateTls(TlsContext context) {
    return listeners.updateTls(context);
  }

  /** This verticle's event-loop context (where work on its shard must run). */
  public io.vertx.core.Context context() {
    return context;
  }

  public SlowLog slowLog() {
    return slowLog;
  }

  public Map<Long, Client> clients() {
    return clients;
  }

  /** Per-command latency histograms for INFO latencystats. */
  public Info.Latency latency() {
    return latency;
  }

  /** Instantaneous rates and socket read/write counts for INFO stats. */
  public Info.Rates rates() {
    return rates;
  }

  @Override
  public Future<?> start() {
    Config config = kiln.config();
    shard = new Shard(index, config.getInt("databases"));
    watchHotDirectives(config);
    maxMemory = new MaxMemory(this, config);
    clientEviction = new ClientEviction(this, config);
    capture = new CaptureEngine(shard, vertx);
    kiln.persistence().capture = capture;
    snapshotter = new Snapshotter(kiln, shard, capture);
    aofBase = new AofBase(kiln, capture);
    blocking = new Blocking(vertx);
    pause = new Pause(this, vertx);
    pubsub = new PubSub(this);
    tracking = new Tracking(this, config);
    scripting = new Scripting(kiln, this);
    capture.functions(() -> scripting.functions().codes());
    shard.notifySink = this::publishKeyspaceEvent;
    shard.valueAdded = blocking::signal;
    shard.dbsSwapped = blocking::signalSwapped;
    scheduleCron();
    watchConfig(config);
    watchAppendfsync();
    refreshHostFacts();
    hostTimer = vertx.setPeriodic(1000, id -> refreshHostFacts());
    pinEventLoop(vertx, config.getString("server_cpulist"));
    listeners = new Listeners(vertx, kiln::tls, s -> accept(s, false), s -> accept(s, true));
    return listeners.listen(config);
  }

  /** server_cpulist: the calling event loop's thread runs on those CPUs only (set from a worker). */
  static void pinEventLoop(io.vertx.core.Vertx vertx, String cpulist) {
    if (cpulist == null || cpulist.isBlank()) {
      return;
    }
    long tid = CpuAffinity.currentTid();
    vertx.executeBlocking(() -> {
      CpuAffinity.pin("server_cpulist", cpulist, tid);
      return null;
    }, false);
  }

  /** Host facts for INFO come from /proc: read on a worker, never on this event loop. */
  private void refreshHostFacts() {
    vertx.executeBlocking(() -> {
      Info.HostFacts.refresh();
      return null;
    }, false);
  }

  /** Directives CONFIG SET applies live to the clients of this shard. */
  private void watchConfig(Config config) {
    io.vertx.core.Context ctx = context;
    java.util.function.Consumer<Config> limits =
        cfg -> ctx.runOnContext(v -> clients.values().forEach(Client::applyLimits));
    config.onChange("proto-max-bulk-len", limits);
    config.onChange("client-query-buffer-limit", limits);
    readOutputLimits(config);
    config.onChange("client-output-buffer-limit", this::readOutputLimits);
    shard.notifyFlags = keyspaceEventFlags(config);
    // Set at once (not via runOnContext): a command pipelined after CONFIG SET sees it.
    config.onChange("notify-keyspace-events", cfg -> shard.notifyFlags = keyspaceEventFlags(cfg));
  }

  @Override
  public Future<?> stop() {
    if (cronTimer >= 0) {
      vertx.cancelTimer(cronTimer);
    }
    if (hostTimer >= 0) {
      vertx.cancelTimer(hostTimer);
    }
    return listeners == null ? Future.succeededFuture() : listeners.close();
  }

  private void accept(NetSocket socket, boolean unix) {
    adopt(new Wire(socket, context, this), unix);
  }

  /**
   * A connection accepted here or by a {@link ConnectionLoop}: refused as Redis refuses it
   * ({@link Admission}), else this shard's client from now on. Event loop (this one's).
   */
  void adopt(Wire socket, boolean unix) {
    if (Admission.refused(kiln, shard.stats, socket, unix)) {
      return;
    }
    Client c = new Client(kiln.nextClientId(), kiln, this, socket,
        unix ? kiln.config().getString("unixsocket") : null);
    clients.put(c.id, c);
  }

  void clientClosed(Client c) {
    if (clients.remove(c.id) != null) {
      kiln.connectedClients().decrementAndGet();
      clientsMemory -= c.countedMemory; // at once: its buffers are gone now, not at the next cron
    }
    monitors.remove(c);
    blocking.remove(c);
    pause.remove(c);
    tracking.disable(c);
    if (aofFeed != null) {
      aofFeed.forget(c);
    }
    pubsub.removeAll(c);
  }

  // ---- per-command hooks ----

  /**
   * A command that ended after afterCommand saw it: a script that paused (its whole time), or a
   * blocked command now served, timed out or unblocked (Redis logs those then, not when they
   * block). The slowlog and the latency figures get it now.
   */
  void afterEndedLater(Client c, CommandSpec cmd, byte[][] argv, long micros) {
    if (slowlogSlowerThan >= 0 && micros >= slowlogSlowerThan
        && !cmd.has(CommandSpec.SKIP_SLOWLOG)) {
      slowLog.add(redacted(cmd, argv), micros, c.addr, c.name, slowlogMaxLen);
    }
    if (latencyTracking) {
      latency.record(cmd.id, micros);
    }
    monitorLatency(cmd, micros);
  }

  /** Redis's latency monitor events: "fast-command" for @fast commands, else "command". */
  private void monitorLatency(CommandSpec cmd, long micros) {
    if (latencyMonitorThreshold > 0 && micros / 1000 >= latencyMonitorThreshold) {
      kiln.latencyMonitor().add(cmd.has(CommandSpec.FAST) ? "fast-command" : "command",
          micros / 1000, System.currentTimeMillis() / 1000);
    }
  }

  void afterCommand(Client c, CommandSpec cmd, byte[][] argv, long micros) {
    if (!c.inExec() && !shard.replaying) {
      // Keys made ready by the command (or the whole transaction) serve blocked clients now
      // (not while the AOF is replayed: its pops are in the file; after it, the next command
      // serves them from the loaded data).
      blocking.handleReady();
      pause.transactionEnded();
    }
    if (c.isScript()) {
      // a script's own commands: no slowlog or latency entry (its EVAL gets them)
      if (!monitors.isEmpty() && !cmd.has(CommandSpec.SKIP_MONITOR) && !cmd.has(CommandSpec.ADMIN)) {
        feedMonitors(c, redacted(cmd, argv));
      }
      return;
    }
    // a command that blocked is logged when it ends (afterEndedLater), as Redis does
    boolean blockedNow = c.suspended() && blocking.endsLater(c);
    if (slowlogSlowerThan >= 0 && micros >= slowlogSlowerThan
        && !cmd.has(CommandSpec.SKIP_SLOWLOG) && !blockedNow) {
      slowLog.add(redacted(cmd, argv), micros, c.addr, c.name, slowlogMaxLen);
    }
    if (latencyTracking && !blockedNow) {
      latency.record(cmd.id, micros);
    }
    if (!blockedNow) {
      monitorLatency(cmd, micros);
    }
    if (!monitors.isEmpty() && !cmd.has(CommandSpec.SKIP_MONITOR) && !cmd.has(CommandSpec.ADMIN)) {
      feedMonitors(c, redacted(cmd, argv));
    }
  }

  // The directives read after every command, kept in fields so the hot path does no lookup;
  // CONFIG SET updates them through listeners (on the event loop that ran CONFIG SET; the
  // fields are volatile for the other shards' loops).
  private volatile long slowlogSlowerThan;
  private volatile int slowlogMaxLen;
  private volatile boolean latencyTracking;
  private volatile long latencyMonitorThreshold;
  /** min-replicas-to-write asks for replicas (Kiln has none): writes are refused. */
  private volatile boolean writesNeedReplicas;

  /** maxmemory and eviction for this shard. */
  private MaxMemory maxMemory;
  /** maxmemory-clients for this shard's connections. */
  private ClientEviction clientEviction;

  /**
   * Before a command: evicts keys when used memory is above maxmemory ({@link MaxMemory});
   * true when it stays above with nothing left to evict (denyoom commands then get OOM).
   */
  public boolean evictBeforeCommand() {
    return maxMemory.beforeCommand();
  }

  /** What the last {@link #evictBeforeCommand} found: scripts judge their writes by it. */
  public boolean outOfMemory() {
    return maxMemory.failed();
  }

  /** Microseconds spent over maxmemory: {total, current stretch} (INFO stats). */
  public long[] evictionExceededMicros() {
    return maxMemory.exceededMicros();
  }

  /** CONFIG RESETSTAT of this shard's eviction times. */
  public void resetEvictionStats() {
    maxMemory.resetStats();
  }

  /** True while min-replicas-to-write (and min-replicas-max-lag) are set: NOREPLICAS. */
  boolean writesNeedReplicas() {
    return writesNeedReplicas;
  }

  private void watchHotDirectives(Config config) {
    java.util.function.Consumer<Config> refresh = cfg -> {
      slowlogSlowerThan = cfg.getLong("slowlog-log-slower-than");
      slowlogMaxLen = cfg.getInt("slowlog-max-len");
      latencyTracking = cfg.getBool("latency-tracking");
      latencyMonitorThreshold = cfg.getLong("latency-monitor-threshold");
      writesNeedReplicas = cfg.getLong("min-replicas-to-write") > 0
          && cfg.getLong("min-replicas-max-lag") > 0;
    };
    refresh.accept(config);
    for (String name : List.of("slowlog-log-slower-than", "slowlog-max-len", "latency-tracking",
        "latency-monitor-threshold", "min-replicas-to-write", "min-replicas-max-lag")) {
      config.onChange(name, refresh);
    }
  }

  private static final byte[] REDACTED = "(redacted)".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /**
   * Secrets never reach the slow log or MONITOR: as Redis does, AUTH's arguments, HELLO's and
   * MIGRATE's AUTH/AUTH2 user and password, CONFIG SET values of requirepass/masterauth and every
   * argument of ACL SETUSER show as "(redacted)".
   */
  static byte[][] redacted(CommandSpec cmd, byte[][] argv) {
    String name = cmd.fullName();
    byte[][] out = argv;
    switch (name) {
      case "auth" -> {
        if (argv.length == 2 || argv.length == 3) {
          out = argv.clone();
          for (int i = 1; i < out.length; i++) {
            out[i] = REDACTED;
          }
        }
      }
      case "hello" -> {
        for (int i = 2; i + 2 < argv.length; i++) {
          if (io.kiln.command.Args.is(argv[i], "auth")) {
            if (out == argv) {
              out = argv.clone();
            }
            out[i + 1] = REDACTED;
            out[i + 2] = REDACTED;
            i += 2;
          }
        }
      }
      case "migrate" -> {
        for (int i = 6; i < argv.length; i++) {
          int secrets = io.kiln.command.Args.is(argv[i], "auth") ? 1
              : io.kiln.command.Args.is(argv[i], "auth2") ? 2 : 0;
          if (io.kiln.command.Args.is(argv[i], "keys")) {
            break;
          }
          for (int k = 1; k <= secrets && i + k < argv.length; k++) {
            if (out == argv) {
              out = argv.clone();
            }
            out[i + k] = REDACTED;
          }
          i += secrets;
        }
      }
      case "acl|setuser" -> {
        out = argv.clone();
        for (int i = 2; i < out.length; i++) {
          out[i] = REDACTED;
        }
      }
      case "config|set" -> {
        for (int i = 2; i + 1 < argv.length; i += 2) {
          if (io.kiln.command.Args.is(argv[i], "requirepass")
              || io.kiln.command.Args.is(argv[i], "masterauth")) {
            if (out == argv) {
              out = argv.clone();
            }
            out[i + 1] = REDACTED;
          }
        }
      }
      default -> { }
    }
    return out;
  }

  public void startMonitoring(Client c) {
    if (!monitors.contains(c)) {
      monitors.add(c);
    }
  }

  public void stopMonitoring(Client c) {
    monitors.remove(c);
    blocking.remove(c);
  }

  /**
   * A command flagged skip_monitor that shows itself to MONITOR before the commands it runs
   * (FCALL, as Redis's).
   */
  public void feedMonitorsFirst(Client c, byte[][] argv) {
    if (!monitors.isEmpty()) {
      feedMonitors(c, argv);
    }
  }

  private void feedMonitors(Client c, byte[][] argv) {
    java.time.Instant now = java.time.Instant.now();
    StringBuilder line = new StringBuilder();
    line.append(now.getEpochSecond()).append('.')
        .append(String.format("%06d", now.getNano() / 1000))
        .append(" [").append(c.dbIndex()).append(' ').append(c.isScript() ? "lua" : c.addr)
        .append(']');
    for (byte[] a : argv) {
      line.append(' ').append(Repr.quote(a));
    }
    String msg = line.toString();
    for (Client m : monitors) {
      if (m != c) {
        m.out.simple(msg);
        m.flush();
      }
    }
  }

  // ---- periodic job ----

  private void scheduleCron() {
    int hz = Math.max(1, Math.min(500, kiln.config().getInt("hz")));
    cronTimer = vertx.setTimer(Math.max(1, 1000 / hz), id -> {
      cron(hz);
      scheduleCron();
    });
  }

  /** What this shard's connections cost ({@link Client#memory}), summed at each cron. */
  private volatile long clientsMemory;
  /** The largest reply buffer of this shard's connections at the last cron. */
  private volatile long maxOutputBuffer;

  /** {@link #clientsMemory}: readable from any thread (INFO, maxmemory). */
  public long clientsMemory() {
    return clientsMemory;
  }

  /** INFO client_recent_max_output_buffer: readable from any thread. */
  public long maxOutputBuffer() {
    return maxOutputBuffer;
  }

  /** A connection's buffers changed (after a read batch, a write done): counted at once. */
  void recountClient(Client c) {
    if (c.isClosing()) {
      return;
    }
    long m = c.memory();
    clientsMemory += m - c.countedMemory;
    c.countedMemory = m;
    if (clientEviction.mayBeOver(clientsMemory)) {
      clientEviction.check();
    }
  }

  /** INFO evicted_clients: connections closed by maxmemory-clients. Any thread. */
  public long evictedClients() {
    return clientEviction.evicted();
  }

  private void sumClients() {
    long sum = 0;
    long maxOut = 0;
    long now = System.currentTimeMillis();
    for (Client c : clients.values()) {
      c.queryBuffer().cron(now, c.lastInteractionMs);
      c.countedMemory = c.memory();
      sum += c.countedMemory;
      maxOut = Math.max(maxOut, c.outputBufferBytes());
    }
    clientsMemory = sum;
    maxOutputBuffer = maxOut;
  }

  /** DEBUG PAUSE-CRON: while set, the periodic job does nothing (Redis's pause_cron). */
  private boolean cronPaused;
  public void pauseCron(boolean paused) {
    cronPaused = paused;
  }

  private void cron(int hz) {
    if (cronPaused) {
      return;
    }
    if (!blocking.transferring()) { // not inside a MIGRATE, which Redis's cron cannot interrupt
      kiln.signalShutdown().cron(); // SIGTERM/SIGINT: shut down here, as Redis's serverCron
    }
    startStallProbe();
    sumClients();
    clientEviction.check();
    if (!kiln.persistence().loading) {
      // as Redis's loading: no active expiry (the loader drops expired keys) and no table
      // resizing, which would shrink a table presized from RESIZEDB while it is still filling
      shard.cron(hz);
    }
    snapshotter.cron();
    if (aofRewrite != null) {
      aofRewrite.cron();
    }
    rates.sample(shard.stats);
    tracking.cron();
    if (pubsub.channelCount() + pubsub.patternCount() + pubsub.shardChannelCount() > 0) {
      for (Client c : List.copyOf(clients.values())) {
        if (c.subscribed()) {
          c.checkOutputLimit(); // the soft limit's seconds run out while nothing is published
        }
      }
    }
    int timeout = kiln.config().getInt("timeout");
    if (timeout > 0) {
      long now = System.currentTimeMillis();
      for (Client c : List.copyOf(clients.values())) {
        if (!c.monitor && !blocking.isBlocked(c) && !pause.isPostponed(c)
            && now - c.lastInteractionMs > timeout * 1000L) {
          log.debug("Closing idle client id={}", c.id);
          c.close();
        }
      }
    }
  }

  // ---- the event loop's own stalls ----

  /** The latency monitor's event for this event loop's stalls (Kiln's own; Redis has none). */
  public static final String STALL_EVENT = "event-loop";

  private boolean stallProbe;
  private long stallDue;
  private final Handler<Long> stallTick = id -> stallTick();

  /**
   * While the latency monitor is on (latency-monitor-threshold > 0), a 1 ms timer notes how late
   * it fires: the time this event loop could not get back to its sockets, whatever held it (a
   * long command or read batch, a snapshot slice, a collector pause, the OS giving its core to
   * another thread). Stalls at or over the threshold become "event-loop" samples.
   */
  private void startStallProbe() {
    if (!stallProbe && latencyMonitorThreshold > 0) {
      stallProbe = true;
      stallDue = System.nanoTime() + 1_000_000;
      vertx.setTimer(1, stallTick);
    }
  }

  private void stallTick() {
    long now = System.nanoTime();
    long threshold = latencyMonitorThreshold;
    if (threshold <= 0) {
      stallProbe = false;
      return;
    }
    kiln.latencyMonitor().addIfNeeded(STALL_EVENT, (now - stallDue) / 1_000_000, threshold);
    stallDue = now + 1_000_000;
    vertx.setTimer(1, stallTick);
  }
}
