package io.kiln.server;

import io.kiln.command.CommandSpec;
import io.kiln.keyspace.Db;
import io.kiln.keyspace.Shard;
import io.kiln.keyspace.Stats;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.resp.ProtocolException;
import io.kiln.resp.RespDecoder;
import io.kiln.resp.RespWriter;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: decodes its requests, passes each through the central gates (existence,
 * arity, auth, MULTI queueing), runs it against its shard and encodes the reply. The replies to
 * one read batch leave in one socket write; the end of the batch is where the batch's effects
 * will go to the AOF writer.
 *
 * <p>Owned by the event loop of the shard verticle that runs its commands (its socket may be
 * another loop's: {@link Wire}); not thread-safe.
 */
public final class Client {
  private static final Logger log = LoggerFactory.getLogger(Client.class);

  public enum ReplyMode { ON, OFF }

  public final long id;
  public final Server kiln;
  public final ShardVerticle home;
  public final Shard shard;
  public final RespWriter out = new RespWriter();
  private final Wire socket;
  private final RespDecoder decoder = new RespDecoder();
  private final QueryBuffer query = new QueryBuffer(decoder);
  public final String addr;
  public final String laddr;
  /** Connected through the unix socket (CLIENT LIST's U flag; a local client). */
  public final boolean unixSocket;
  public final long createdMs = System.currentTimeMillis();
  public long lastInteractionMs = createdMs;

  private Db db;
  public String name;
  public String libName;
  public String libVersion;
  private boolean authenticated;
  /** The ACL user this connection runs as; null for the AOF replayer and the scripts' client. */
  private io.kiln.acl.User user;
  public ReplyMode replyMode = ReplyMode.ON;
  /** Set by CLIENT REPLY SKIP: the next command's reply is dropped. */
  private boolean skipNext;
  public String lastCommand = "NULL";
  public boolean monitor;
  /** Pub/sub subscriptions (content kept by the shard's {@link PubSub}); null when none. */
  PubSub.Subscriptions subscriptions;
  /** Client-side caching state ({@link Tracking}); null while tracking is off. */
  Tracking.Mode tracking;
  /** Bytes handed to the socket and not yet written out (tracked while an output limit applies). */
  private long pendingWriteBytes;
  /** When the output buffer first went over the soft limit (seconds), 0 when under it. */
  private long softLimitSince;

  final Transaction tx = new Transaction();

  private boolean closing;
  private boolean closed;
  /** Set by {@link #suspend}: the processing of further requests waits for {@link #resume}. */
  private boolean suspended;
  /** Set while EXEC runs its queued commands. */
  private boolean inExec;
  /**
   * The effects batch this client's replies wait for under appendfsync always ({@link ReplyGate});
   * replies stay in {@link #out} while it is not durable.
   */
  long holdUntil;
  /** The connection of the shard's scripts ({@link #scripter}). */
  private boolean script;
  /** A script's command decided whether it failed (its reply, not its commands' errors). */
  private Boolean failedOverride;
  /** Inside {@link #call}; the command it ran last. */
  private boolean calling;
  private CommandSpec lastSpec;
  private byte[][] lastArgv;
  private long lastMicros;
  /** A command CLIENT PAUSE postponed, due while another held every client (resumePostponed). */
  private byte[][] heldArgv;
  /** The batch holding this client's last write (WAITAOF waits for its fsync). */
  long lastWriteSeq;
  /** A connection without a socket that replays the append-only file (replies are dropped). */
  final boolean replay;
  /** Socket reads handled and socket writes issued (tests check one write per read batch). */
  private long socketReads;
  private long socketWrites;

  /** A client of {@code socket}; {@code unixPath} is the unix socket's path for its clients. */
  Client(long id, Server kiln, ShardVerticle home, Wire socket, String unixPath) {
    this.id = id;
    this.kiln = kiln;
    this.home = home;
    this.shard = home.shard();
    this.socket = socket;
    this.replay = false;
    this.unixSocket = unixPath != null;
    // Redis names both ends of a unix socket connection "<unixsocket>:0"
    this.addr = unixSocket ? unixPath + ":0"
        : socket.remoteAddress().hostAddress() + ":" + socket.remoteAddress().port();
    this.laddr = unixSocket ? addr
        : socket.localAddress().hostAddress() + ":" + socket.localAddress().port();
    this.db = shard.db(0);
    this.user = kiln.acl().defaultUser();
    this.authenticated = user.nopass() && user.enabled();
    decoder.authRequired(authRequired());
    applyLimits();
    socket.handlers(this::onData, this::onClosed,
        e -> log.debug("Client {} error: {}", addr, e.toString()));
  }

  /** The peer's address, or null for a unix socket's or socketless connection. */
  String remoteHost() {
    return unixSocket || socket == null ? null : socket.remoteAddress().hostAddress();
  }

  /** The connection that replays the AOF through the command table, with no socket. */
  private Client(Server kiln, ShardVerticle home) {
    this.id = 0;
    this.kiln = kiln;
    this.home = home;
    this.shard = home.shard();
    this.socket = null;
    this.replay = true;
    this.addr = "";
    this.laddr = "";
    this.unixSocket = false;
    this.db = shard.db(0);
    this.authenticated = true;
  }

  /** A connection for replaying the append-only file: commands run, replies are dropped. */
  public static Client replayer(Server kiln, ShardVerticle home) {
    return new Client(kiln, home);
  }

  /**
   * The connection a shard's scripts run their commands on ({@link Scripting}): no socket, its
   * replies read back by the script; atomic as inside EXEC (nothing blocks, blocked clients are
   * served after the script).
   */
  static Client scripter(Server kiln, ShardVerticle home) {
    Client c = new Client(kiln, home);
    c.script = true;
    return c;
  }

  /**
   * A script's reply ({@link Scripting.Done}): written, its error counted unless a command
   * inside counted it already, and its command failed only when the reply is an error (an
   * error the script caught does not fail it), as Redis counts.
   */
  public void scriptReplied(byte[] reply, int errorKind) {
    out.raw(reply);
    if (errorKind == io.kiln.script.LuaEngine.NEW_ERROR && reply.length > 3) {
      shard.stats.error(new String(reply, 1, reply.length - 3,
          java.nio.charset.StandardCharsets.ISO_8859_1));
    }
    if (calling) {
      failedOverride = errorKind != io.kiln.script.LuaEngine.OK;
    }
  }

  /**
   * A script that ended after its command's statistics were taken (it paused): its whole time
   * and its failure are added to them, and the slowlog hears of it. Event loop.
   */
  void completedLater(long totalMicros, boolean failed) {
    if (lastSpec == null) {
      return;
    }
    Stats.CommandStat cs = shard.stats.command(lastSpec.id);
    cs.micros += Math.max(0, totalMicros - lastMicros);
    if (failed) {
      cs.failedCalls++;
    }
    home.afterEndedLater(this, lastSpec, lastArgv, totalMicros);
  }

  /**
   * A command that ended later (MIGRATE, announced by {@link Blocking#willEndLater}) took
   * {@code micros} in all: its stats, failure and slowlog entry get its whole time. Event loop.
   */
  public void endedLater(long micros, boolean failed) {
    if (home.blocking().endedLater(this)) {
      completedLater(micros, failed);
    }
  }

  /**
   * A command that ended later wrote (MIGRATE's deletions): under appendfsync always its reply
   * waits for that write's fsync. Event loop.
   */
  public void wroteLater() {
    home.gate().served(this);
  }

  /** The command this client blocked in has ended (served, timed out, unblocked). Event loop. */
  void blockEnded(boolean failed) {
    completedLater(lastMicros, failed);
  }

  /** True for the connection of a shard's scripts. */
  public boolean isScript() {
    return script;
  }

  /** True for the connection that replays the AOF. */
  public boolean isReplay() {
    return replay && !script;
  }

  /**
   * Replays one command of the append-only file through the same table, gates and handlers as
   * a client's (auth, loading and disk-error gates aside). Returns null, or why the file is not
   * one Kiln can load: an unknown command, or one with a wrong number of arguments (as Redis's
   * loader refuses them). Other error replies are dropped, as Redis's loader drops them.
   */
  public String replay(byte[][] argv) {
    String name = Numbers.ascii(argv[0]);
    CommandSpec cmd = kiln.commands().lookup(name.toLowerCase(Locale.ROOT));
    if (cmd == null) {
      return "Unknown command '" + name + "'";
    }
    if (!cmd.arityOk(argv.length)) {
      return "Wrong number of arguments for '" + cmd.name + "'";
    }
    process(argv);
    out.truncate(0);
    return null;
  }

  /** True while a MULTI read from the AOF waits for its EXEC. */
  public boolean replayInMulti() {
    return tx.open();
  }

  /** Applies proto-max-bulk-len and client-query-buffer-limit (at connect and on CONFIG SET). */
  public void applyLimits() {
    decoder.limits(kiln.config().getLong("proto-max-bulk-len"),
        kiln.config().getLong("client-query-buffer-limit"));
  }

  // ---- accessors used by command families ----

  public Db db() {
    return db;
  }

  public int dbIndex() {
    return db.id;
  }

  public void select(int index) {
    db = shard.db(index);
  }

  public boolean authenticated() {
    return authenticated;
  }

  /** The ACL user of this connection (null for the AOF replayer and the scripts' client). */
  public io.kiln.acl.User user() {
    return user;
  }

  /** AUTH or HELLO succeeded: this connection now runs as {@code u}. */
  public void authenticate(io.kiln.acl.User u) {
    user = u;
    authenticated = true;
    decoder.authRequired(false);
  }

  /**
   * Its user was deleted (ACL DELUSER, ACL LOAD): back to the default user, not authenticated,
   * and closed (after this reply when it is the connection that asked).
   */
  public void userRemoved(boolean self) {
    user = kiln.acl().defaultUser();
    authenticated = false;
    if (self) {
      closeAfterReply();
    } else if (!replay) {
      close();
    }
  }

  /** Commands need AUTH first: not authenticated, and the default user needs a password. */
  boolean authRequired() {
    return !authenticated && kiln.acl().authRequired();
  }

  public boolean inMulti() {
    return tx.open();
  }

  /** The commands queued since MULTI (none outside a transaction). */
  List<Transaction.Queued> queuedCommands() {
    return tx.queued();
  }

  /** Commands queued since MULTI, -1 outside a transaction (CLIENT LIST multi). */
  public int queuedCount() {
    return tx.count();
  }

  /** The AOF batch of this client's last write, 0 if it wrote none (WAITAOF). */
  public long lastWriteSeq() {
    return lastWriteSeq;
  }

  public long socketReads() {
    return socketReads;
  }

  /** Socket writes issued so far: one per read batch that produced replies. */
  public long socketWrites() {
    return socketWrites;
  }

  public long queryBufferBytes() {
    return decoder.bufferedBytes();
  }

  /** The query buffer as Redis sizes it (CLIENT LIST qbuf, qbuf-free, argv-mem). */
  public QueryBuffer queryBuffer() {
    return query;
  }

  /** The queued commands' arguments in Redis's count (CLIENT LIST multi-mem). */
  public long multiMemory() {
    return CommandKinds.argvMemory(queuedCommands());
  }

  /** {@link #memory} as the shard's last sum of its connections counted it. */
  long countedMemory;
  /** CLIENT NO-EVICT ON: maxmemory-clients never closes this connection. */
  public boolean noEvict;

  /** Reply bytes not yet written to the socket (CLIENT LIST omem). */
  public long outputBufferBytes() {
    return pendingWriteBytes + out.size();
  }

  /**
   * What this connection costs in Redis's memory model (CLIENT LIST tot-mem): an idle client's
   * {@value MaxMemory#CLIENT} bytes plus its query and reply buffers.
   */
  public long memory() {
    return MaxMemory.CLIENT + queryBufferBytes() + outputBufferBytes();
  }

  /** Replies with an error and counts it in INFO errorstats. */
  public void error(String message) {
    out.error(message);
    shard.stats.error(message);
  }

  public void ok() {
    out.simple("OK");
  }

  // ---- the read path ----

  private void onData(Buffer data) {
    if (closing) {
      return;
    }
    lastInteractionMs = System.currentTimeMillis();
    socketReads++;
    shard.stats.netInputBytes += data.length();
    home.rates().reads++;
    if (socket.threaded()) {
      home.rates().threadedReads++;
    }
    query.read(data.length());
    if (!decoder.append(data)) {
      log.warn("Closing client that reached max query buffer length: id={} addr={} (qbuf initial bytes: {})",
          id, addr, decoder.bufferedBytes());
      close();
      return;
    }
    processBuffered();
  }

  /** Runs the complete requests buffered so far (until suspended or held), then replies. */
  private void processBuffered() {
    if (suspended) {
      return;
    }
    query.batchStarts();
    try {
      byte[][] argv;
      while (!closing && !suspended && !home.clientsHeld() && (argv = decoder.next()) != null) {
        process(argv);
      }
    } catch (ProtocolException e) {
      error(e.getMessage());
      log.debug("Protocol error ({}) from client: id={} addr={}", e.getMessage(), id, addr);
      closing = true;
    }
    query.batchEnded();
    flush();
    decoder.trim();
    home.recountClient(this);
  }

  /** The shard holds every client (SAVE): stop reading until {@link #releaseHold}. */
  void hold() {
    socket.pause();
  }

  void releaseHold() {
    if (heldArgv != null) {
      byte[][] argv = heldArgv;
      heldArgv = null;
      resumePostponed(argv);
      return;
    }
    if (!closed && !suspended) {
      socket.resume();
      processBuffered();
    }
  }

  /** True once the connection is closing or closed (CLIENT KILL skips those). */
  public boolean isClosing() {
    return closing;
  }

  /** Sends what the batch wrote, in one socket write; closes afterwards if asked to. */
  public void flush() {
    if (closed || home.scripting().deferFlush(this)) {
      return; // (a script wrote to this client: its event loop sends it after the slice)
    }
    if (replay) {
      out.truncate(0);
      return;
    }
    if (!out.isEmpty() && !closing && home.outputLimits(subscribed()) != null
        && checkOutputLimit()) {
      return; // over client-output-buffer-limit: closed without sending, as Redis does
    }
    if (holdUntil > home.gate().syncedSeq && !out.isEmpty()) {
      home.gate().hold(this); // appendfsync always: not before its writes are on disk
      return;
    }
    if (!out.isEmpty()) {
      shard.stats.netOutputBytes += out.size();
      home.rates().writes++;
      if (socket.threaded()) {
        home.rates().threadedWrites++;
      }
      socketWrites++;
      int n = out.size();
      boolean limited = home.outputLimits(subscribed()) != null;
      if (limited) {
        pendingWriteBytes += n;
      }
      boolean closeAfter = closing;
      socket.write(out.take(), !limited && !closeAfter ? null : () -> {
        if (limited) {
          pendingWriteBytes -= n;
          home.recountClient(this);
        }
        if (closeAfter) {
          socket.close();
        }
      });
      if (closing) {
        return;
      }
      if (socket.writeQueueFull()) {
        // Stop reading until the peer drains what we owe it: memory stays bounded.
        socket.pause();
        socket.onDrain(() -> {
          if (!suspended) {
            socket.resume();
          }
        });
      }
    } else if (closing) {
      socket.close();
    }
  }

  /**
   * Holds this client's further requests (a reply that comes later: SAVE, CONFIG REWRITE, DEBUG
   * SLEEP, DEBUG POPULATE) without blocking the event loop: requests already buffered wait, and the socket stops reading, until {@link #resume}.
   * The suspending command writes its reply itself before calling resume.
   */
  public void suspend() {
    suspended = true;
    if (replay) {
      return;
    }
    socket.pause();
  }

  /** Ends {@link #suspend}: sends the pending reply and runs the requests that waited. */
  public void resume() {
    if (!suspended) {
      return;
    }
    suspended = false;
    query.argv = null;
    if (closed || replay) {
      return;
    }
    socket.resume();
    flush();
    processBuffered();
  }

  /**
   * Blocked in a blocking command (BLPOP...): like {@link #suspend}, further requests wait, but
   * the socket keeps reading, so a disconnect is noticed and input is buffered (within the query
   * buffer limit). {@link #resume} ends it.
   */
  public void block() {
    suspended = true;
  }

  public boolean suspended() {
    return suspended;
  }

  /** The command CLIENT PAUSE held runs now, through the gates again, then the ones behind it. */
  void resumePostponed(byte[][] argv) {
    if (home.clientsHeld()) {
      // an earlier postponed command (SAVE, MIGRATE) holds every client: this one waits too
      heldArgv = argv;
      return;
    }
    suspended = false;
    if (!closing) {
      process(argv);
      processBuffered();
    }
  }

  /** True while EXEC runs the queued commands (a command there must reply at once). */
  public boolean inExec() {
    return inExec || script;
  }

  /** Closes after the replies written so far are sent (QUIT, protocol errors, CLIENT KILL). */
  public void closeAfterReply() {
    closing = true;
  }

  public void close() {
    closing = true;
    socket.close();
  }

  private void onClosed() {
    closed = true;
    closing = true;
    unwatchAll();
    home.pubsub().removeAll(this);
    home.clientClosed(this);
  }

  // ---- the central gates ----

  private void process(byte[][] argv) {
    if (home.tracking().inUse()) {
      home.tracking().limit(); // tracking-table-max-keys, before the command (or its QUEUED)
    }
    query.argv = argv;
    dispatch(argv);
    if (!suspended) {
      query.argv = null;
    }
    if (tracking != null && !(suspended && home.pause().isPostponed(this))) {
      Tracking.requestDone(this, tx.open(), argv[0]);
    }
  }

  private void dispatch(byte[][] argv) {
    CommandSpec cmd = Gates.pass(this, argv);
    if (cmd != null) {
      call(cmd, argv);
    }
  }

  /** CLIENT TRACKING's state, or null while tracking is off. */
  public Tracking.Mode trackingMode() {
    return tracking;
  }

  /** True while the client has any channel, pattern or shard channel subscription. */
  public boolean subscribed() {
    return subscriptions != null && subscriptions.total() > 0;
  }

  /** This client's subscriptions, or null when it has none. */
  public PubSub.Subscriptions subscriptions() {
    return subscriptions;
  }

  /**
   * Enforces client-output-buffer-limit (the pubsub class while subscribed, normal otherwise)
   * on what this client owes: bytes queued in the socket plus replies not yet flushed. Over the
   * hard limit, or over the soft one for longer than its seconds, the client is closed at once,
   * as Redis does. Returns true when the client is (now) closing.
   */
  public boolean checkOutputLimit() {
    if (closing) {
      return true;
    }
    long[] limit = home.outputLimits(subscribed());
    if (limit == null) {
      return false;
    }
    long used = outputBufferBytes();
    boolean hard = limit[0] > 0 && used >= limit[0];
    boolean soft = limit[1] > 0 && used >= limit[1];
    if (soft) {
      long now = System.currentTimeMillis() / 1000;
      if (softLimitSince == 0) {
        softLimitSince = now;
        soft = false;
      } else if (now - softLimitSince <= limit[2]) {
        soft = false;
      }
    } else {
      softLimitSince = 0;
    }
    if (!hard && !soft) {
      return false;
    }
    log.warn("Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
        io.kiln.command.ClientCommands.infoLine(this));
    out.truncate(0);
    close();
    home.pubsub().removeAll(this); // no more messages queue up while the socket closes
    return true;
  }

  /**
   * min-replicas-to-write (with min-replicas-max-lag) asks for replicas Kiln does not have:
   * writes are refused, as a Redis master without enough good replicas refuses them.
   */
  public boolean noGoodReplicas() {
    return home.writesNeedReplicas();
  }

  /** Redis's stop-writes-on-bgsave-error: the last save failed and save points are set. */
  public boolean writesDeniedByDiskError() {
    return !kiln.persistence().lastBgsaveOk && kiln.config().getBool("stop-writes-on-bgsave-error")
        && !kiln.config().savePoints().isEmpty();
  }

  /** A command refused before running: error reply, counted, and it dooms an open MULTI. */
  void reject(CommandSpec cmd, String error) {
    if (cmd != null) {
      shard.stats.command(cmd.id).rejectedCalls++;
    }
    if (tx.open() && cmd != null && cmd.parent == null && cmd.name.equals("exec")) {
      // a refused EXEC (-BUSY, say) discards the transaction, as Redis's execCommandAbort
      tx.end();
      replyGuarded(() -> error(Errors.EXEC_ABORT_BECAUSE + error));
      return;
    }
    tx.doom();
    replyGuarded(() -> error(error));
  }

  /** Runs a command that passed the gates, with stats, slowlog and MONITOR feeding. */
  public void call(CommandSpec cmd, byte[][] argv) {
    Stats stats = shard.stats;
    stats.markErrors();
    int mark = out.mark();
    // CLIENT REPLY OFF/SKIP drop replies, but not the (un)subscribe confirmations: Redis
    // sends them as pushes (RESP3) or their RESP2 arrays whatever the reply mode
    boolean drop = (replyMode == ReplyMode.OFF || skipNext) && !CommandKinds.confirmsAsPush(cmd);
    skipNext = false;
    lastCommand = cmd.fullName();
    Tracking tracker = home.tracking();
    boolean outermost = tracker.inUse() && !inExec();
    if (outermost) {
      tracker.enter(this); // invalidations due to this client wait for its reply
    }
    io.kiln.keyspace.Effects effects = shard.effects;
    long dirtyBefore = shard.dirty;
    long recordedBefore = effects.recorded();
    effects.beginCommand();
    calling = true;
    long t0 = System.nanoTime();
    cmd.handler.run(this, argv);
    long micros = (System.nanoTime() - t0) / 1000;
    shard.settleMemory();
    if (shard.dirty != dirtyBefore) {
      effects.verbatim(db.id, argv); // unless the handler recorded a rewrite
    }
    home.gate().after(this, cmd, argv, db.id, effects.recorded() != recordedBefore);
    if (drop && !"reply".equals(cmd.name)) {
      out.truncate(mark);
    }
    if (tracker.inUse() && cmd.has(CommandSpec.READONLY) && !script) {
      tracker.read(this, cmd, argv); // a tracking client's read: its keys are remembered
    }
    if (outermost) {
      tracker.leave();
    }
    Stats.CommandStat cs = stats.command(cmd.id);
    cs.calls++;
    cs.micros += micros;
    boolean errored = stats.errorsSinceMark();
    if (failedOverride != null ? failedOverride : errored) {
      cs.failedCalls++;
    }
    failedOverride = null;
    lastSpec = cmd;
    lastArgv = argv;
    lastMicros = micros;
    calling = false;
    stats.commandsProcessed++;
    home.afterCommand(this, cmd, argv, micros);
  }

  /** Runs a reply-producing action honouring CLIENT REPLY OFF/SKIP. */
  private void replyGuarded(Runnable r) {
    int mark = out.mark();
    boolean drop = replyMode == ReplyMode.OFF || skipNext;
    skipNext = false;
    r.run();
    if (drop) {
      out.truncate(mark);
    }
  }

  public void skipNextReply() {
    skipNext = true;
  }

  // ---- MULTI / EXEC / WATCH ----

  public void beginMulti() {
    tx.begin();
  }

  public void discardMulti() {
    tx.end();
  }

  /** EXEC: runs the queued commands as one instant, or fails as Redis does. */
  public void exec() {
    tx.exec(this);
  }

  /** Set while EXEC runs the queue ({@link Transaction#exec}). */
  void execRunning(boolean running) {
    inExec = running;
  }

  public void watch(byte[] key) {
    tx.watches.watch(db, key);
  }

  public void unwatchAll() {
    tx.watches.unwatchAll();
  }

  /** RESET: back to a fresh connection's state. */
  public void reset() {
    discardMulti();
    db = shard.db(0);
    out.protocol(2);
    replyMode = ReplyMode.ON;
    skipNext = false;
    name = null;
    monitor = false;
    home.stopMonitoring(this);
    home.pubsub().removeAll(this);
    home.tracking().disable(this);
    user = kiln.acl().defaultUser();
    authenticated = user.nopass() && user.enabled();
    decoder.authRequired(authRequired());
  }
}
