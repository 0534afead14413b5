package io.kiln.server;

import io.kiln.command.CommandSpec;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.resp.RespWriter;
import io.kiln.script.LuaEngine;
import io.kiln.script.Rand48;
import io.kiln.script.ScriptThread;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scripts of one shard: the cache of EVAL's scripts, the Lua interpreter (on the shard's
 * {@link ScriptThread}), the commands scripts call (through a connection of their own, with
 * Redis's checks for scripts), their effects (one MULTI ... EXEC), and the busy state of a long
 * script: other clients wait, then, past {@code busy-reply-threshold}, get -BUSY while SCRIPT
 * KILL and SHUTDOWN NOSAVE still work. Functions (FCALL) run the same way, from an interpreter
 * of their own whose libraries {@link Functions} keeps; -BUSY and the KILL commands then speak
 * of FUNCTION KILL, as Redis's.
 *
 * <p>Threads: the public methods run on the shard's event loop; {@link Host} runs on the script
 * thread while the event loop waits for it (one of them at a time touches the shard).
 */
public final class Scripting {
  private static final Logger log = LoggerFactory.getLogger(Scripting.class);

  /** What a script run produced, delivered on the event loop. */
  public interface Done {
    /**
     * {@code errorKind}: {@link LuaEngine#OK}, or whether the error reply is to be counted in
     * the error stats now ({@link LuaEngine#NEW_ERROR}) or was when a command replied it.
     */
    void done(byte[] reply, int errorKind);
  }

  private final Server kiln;
  private final ShardVerticle home;
  private final ScriptThread thread;
  /** EVAL's scripts by SHA1 (SCRIPT LOAD, EVAL): event loop. */
  private final Map<String, byte[]> bodies = new LinkedHashMap<>();
  private long bodiesBytes;
  /** The interpreter: created, used and closed on the script thread. */
  private LuaEngine engine;
  /** Its memory after the last run (INFO used_memory_lua), written by the script thread. */
  private volatile long luaMemory;
  /** The functions' interpreter (script thread) and its memory after the last load or call. */
  private LuaEngine functionsEngine;
  private volatile long functionsMemory;
  /** math.random's generator, one for scripts and functions as in Redis (script thread). */
  private final Rand48 random = new Rand48();
  private final Functions functions = new Functions(this);
  private final Client scripter;
  private final Host host = new Host();
  /** Clients whose output a script produced (PUBLISH): flushed by the loop after the slice. */
  private final List<Client> deferredFlush = new ArrayList<>();

  // the running script (event loop, read by the script thread during its slice)
  private Run running;

  Scripting(Server kiln, ShardVerticle home) {
    this.kiln = kiln;
    this.home = home;
    // (a throwaway interpreter loads Lua's native code before any script waits for it)
    this.thread = new ScriptThread("kiln-lua-" + home.index(), () -> new LuaEngine().close());
    this.scripter = Client.scripter(kiln, home);
  }

  /** One script run: its caller, flags and progress. */
  private final class Run {
    final Client caller;
    /** FCALL's function, or null for EVAL's script. */
    Functions.Function function;
    /** The caller's command (FUNCTION STATS shows it). */
    byte[][] argv;
    final String name;
    final boolean readOnly;
    final byte[][] keys;
    final byte[][] args;
    final boolean compile;
    final byte[] body;
    final Done done;
    final long startNanos = System.nanoTime();
    final RespWriter reply = new RespWriter();
    volatile boolean killRequested;
    /** It changed data: SCRIPT KILL cannot stop it any more. */
    volatile boolean wrote;
    /** maxmemory was exceeded when it began (noeviction); the script declared allow-oom. */
    boolean oomAtStart;
    boolean allowOom;
    /** What the reply was, for the error stats (LuaEngine.OK, NEW_ERROR, COUNTED_ERROR). */
    int errorKind;
    /** The body did not compile (EVAL): not cached. */
    boolean compileFailed;
    int replFlags = 3;
    boolean paused;

    Run(Client caller, String name, byte[] body, boolean compile, boolean readOnly, byte[][] keys,
        byte[][] args, Done done) {
      this.caller = caller;
      this.name = name;
      this.body = body;
      this.compile = compile;
      this.readOnly = readOnly;
      this.keys = keys;
      this.args = args;
      this.done = done;
    }
  }

  // ---- the cache ----

  /** The cached script {@code sha} (SCRIPT EXISTS, EVALSHA), or null. */
  public byte[] body(String sha) {
    return bodies.get(sha);
  }

  /** INFO: scripts cached and the bytes of their bodies. */
  public int cachedCount() {
    return bodies.size();
  }

  /** The cache's bytes: each script's body and its name, as Redis counts them. */
  public long cachedBytes() {
    return bodiesBytes + 40L * bodies.size();
  }

  /** INFO used_memory_lua. */
  public long luaMemory() {
    return luaMemory;
  }

  /**
   * SCRIPT LOAD (and EVAL's first run): compiles {@code body} and caches it; null, or the
   * compile error ("ERR Error compiling script (new function): user_script:1: ...").
   */
  public String load(byte[] body) {
    String sha = LuaEngine.sha1hex(body);
    if (bodies.containsKey(sha)) {
      return null;
    }
    String[] error = new String[1];
    thread.start(() -> error[0] = compile(sha, body), false);
    if (error[0] == null) {
      remember(sha, body);
    }
    return error[0];
  }

  private void remember(String sha, byte[] body) {
    if (bodies.put(sha, body) == null) {
      bodiesBytes += body.length;
    }
  }

  /** Script thread: the body compiled into the interpreter as f_SHA. */
  private String compile(String sha, byte[] body) {
    LuaEngine e = engine();
    String error = e.compile("f_" + sha, stripShebang(body), "@user_script");
    return error == null ? null : String.format(Errors.SCRIPT_COMPILE, error);
  }

  /** A "#!lua ..." first line is not Lua: it is replaced by an empty one (lines keep counting). */
  private static byte[] stripShebang(byte[] body) {
    if (body.length < 2 || body[0] != '#' || body[1] != '!') {
      return body;
    }
    int nl = 0;
    while (nl < body.length && body[nl] != '\n') {
      nl++;
    }
    return java.util.Arrays.copyOfRange(body, nl, body.length);
  }

  /** SCRIPT FLUSH: forgets every script and starts a new interpreter. */
  public void flush() {
    bodies.clear();
    bodiesBytes = 0;
    thread.start(() -> {
      if (engine != null) {
        engine.close();
        engine = null;
      }
      luaMemory = 0;
    }, false);
  }

  private LuaEngine engine() {
    if (engine == null) {
      engine = LuaEngine.forScripts(random);
    }
    return engine;
  }

  // ---- functions ----

  /** The shard's function libraries. */
  public Functions functions() {
    return functions;
  }

  /** INFO used_memory_vm_functions. */
  public long functionsMemory() {
    return functionsMemory;
  }

  private LuaEngine functionsEngine() {
    if (functionsEngine == null) {
      functionsEngine = LuaEngine.forFunctions(random);
    }
    return functionsEngine;
  }

  /**
   * Runs a library's code (after its shebang line) in the functions' interpreter, stopped past
   * {@code timeoutMs} (0: never). Script thread (inside {@link #runJob} or
   * {@link #runUnsliced}).
   */
  LuaEngine.Loaded loadLibrary(byte[] code, long timeoutMs) {
    LuaEngine e = functionsEngine();
    LuaEngine.Loaded loaded = e.loadLibrary(new LoadHost(timeoutMs), code);
    functionsMemory = e.memory();
    return loaded;
  }

  /** Forgets callbacks that no library holds any more. Script thread. */
  void release(List<LuaEngine.Registered> callbacks) {
    if (functionsEngine != null && !callbacks.isEmpty()) {
      functionsEngine.release(callbacks);
    }
  }

  /** FUNCTION FLUSH: the functions' interpreter is closed; the next load starts a fresh one. */
  void resetFunctions() {
    runUnsliced(() -> {
      if (functionsEngine != null) {
        functionsEngine.close();
        functionsEngine = null;
      }
      functionsMemory = 0;
    });
  }

  /** Runs {@code work} on the script thread, the event loop waiting for its end. */
  void runUnsliced(Runnable work) {
    thread.start(work, false);
  }

  /**
   * Runs {@code work} (a library's load: FUNCTION LOAD, FUNCTION RESTORE) on the script thread
   * in slices, as a script runs: when it outlasts a slice the caller is suspended, the other
   * clients are held (a load never makes -BUSY, as in Redis, which serves nobody meanwhile)
   * and the loop goes on serving its sockets between slices; then {@code done} runs on the
   * loop. Inside EXEC or the AOF's replay it runs whole. Event loop.
   */
  void runJob(Client caller, Runnable work, Runnable done) {
    boolean ended = thread.start(work, !caller.inExec() && !caller.isReplay());
    if (ended) {
      done.run();
      return;
    }
    caller.suspend();
    home.holdClients();
    scheduleJob(caller, done);
  }

  private void scheduleJob(Client caller, Runnable done) {
    io.vertx.core.internal.ContextInternal ctx =
        (io.vertx.core.internal.ContextInternal) home.context();
    ctx.nettyEventLoop().schedule(() -> ctx.emit(x -> nextJobSlice(caller, done)), 0,
        TimeUnit.NANOSECONDS);
  }

  private void nextJobSlice(Client caller, Runnable done) {
    if (!thread.resume()) {
      scheduleJob(caller, done);
      return;
    }
    long dirty = home.shard().dirty;
    done.run();
    if (home.shard().dirty != dirty) {
      home.gate().served(caller); // appendfsync always: its reply waits for its write
    }
    if (home.clientsHeld()) {
      home.releaseClients();
    }
    caller.flush();
    caller.resume();
  }

  /** The script thread's side of a library's load: the clock of FUNCTION LOAD, and logging. */
  private final class LoadHost implements LuaEngine.Host {
    private final long deadline;

    LoadHost(long timeoutMs) {
      deadline = timeoutMs <= 0 ? Long.MAX_VALUE
          : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    }

    @Override
    public byte[] call(byte[][] argv, boolean resp3) {
      throw new IllegalStateException("no commands while a library loads");
    }

    @Override
    public String tick() {
      if (System.nanoTime() > deadline) {
        return Errors.LIBRARY_LOAD_TIMEOUT;
      }
      thread.checkSlice();
      return null;
    }

    @Override
    public void log(int level, String message) {
      host.log(level, message);
    }

    @Override
    public void replicate(int flags) {
    }

    @Override
    public Boolean aclCheck(byte[][] argv) {
      return null;
    }
  }

  // ---- running ----

  /**
   * True when a script has run longer than busy-reply-threshold: other clients get -BUSY
   * (SCRIPT KILL, SHUTDOWN NOSAVE and the allow_busy commands excepted).
   */
  public boolean answeringBusy() {
    Run r = running;
    return r != null && r.paused && System.nanoTime() - r.startNanos
        >= TimeUnit.MILLISECONDS.toNanos(kiln.config().getLong("busy-reply-threshold"));
  }

  /**
   * Runs the script cached (or given in {@code body}, compiled first) as {@code sha} for
   * {@code caller}; {@code done} gets its reply, at once when it ended within its first slice,
   * else after later slices (the caller is suspended meanwhile). Event loop.
   */
  public void run(Client caller, String sha, byte[] body, boolean readOnly, byte[][] keys,
      byte[][] args, Done done) {
    boolean compile = body != null && !bodies.containsKey(sha);
    start(new Run(caller, sha, body, compile, readOnly, keys, args, done));
  }

  /**
   * FCALL: runs {@code function} for {@code caller} (whose command is {@code argv}) as
   * {@link #run} runs a script: in slices, busy past the threshold, its effects in one
   * transaction. Event loop.
   */
  public void runFunction(Client caller, Functions.Function function, byte[][] argv,
      boolean readOnly, byte[][] keys, byte[][] args, Done done) {
    Run r = new Run(caller, function.name, null, false, readOnly, keys, args, done);
    r.function = function;
    r.argv = argv;
    start(r);
  }

  private void start(Run r) {
    Client caller = r.caller;
    r.oomAtStart = !caller.isReplay() && home.outOfMemory();
    r.allowOom = r.function != null ? r.function.has(Functions.ALLOW_OOM)
        : r.body != null && shebangAllowsOom(r.body);
    running = r;
    io.kiln.keyspace.Effects effects = home.shard().effects;
    effects.beginTransaction();
    boolean ended = thread.start(() -> execute(r), !caller.inExec() && !caller.isReplay());
    afterSlice();
    if (ended) {
      finish(r);
      return;
    }
    r.paused = true;
    caller.suspend();
    home.holdClients();
    scheduleSlice(r);
  }

  /** A "#!lua flags=..." first line naming allow-oom. */
  private static boolean shebangAllowsOom(byte[] body) {
    if (body.length < 2 || body[0] != '#' || body[1] != '!') {
      return false;
    }
    String first = new String(body, 0, Math.min(body.length, 256),
        java.nio.charset.StandardCharsets.ISO_8859_1).split("\n", 2)[0];
    return first.contains("allow-oom");
  }

  /** Script thread: compiles if needed, then runs. */
  private void execute(Run r) {
    if (r.compile) {
      String error = compile(r.name, r.body);
      if (error != null) {
        r.compileFailed = true;
        r.reply.error(error);
        return;
      }
    }
    r.reply.protocol(r.caller.out.protocol());
    scripter.select(r.caller.db().id);
    if (r.function != null) {
      LuaEngine e = functionsEngine();
      thread.newSlice();
      r.errorKind = e.call(host, r.function.registered.ref(), r.name, r.keys, r.args, r.reply);
      functionsMemory = e.memory();
      return;
    }
    engine();
    thread.newSlice(); // (creating the interpreter or compiling is not the script's time)
    r.errorKind = engine.run(host, "f_" + r.name, r.name, r.keys, r.args, false, r.reply);
    luaMemory = engine.memory();
  }

  private void scheduleSlice(Run r) {
    // scheduled, not queued: the loop polls its sockets before the next slice (see the
    // snapshot walk's note on Netty's task queue)
    io.vertx.core.internal.ContextInternal ctx = (io.vertx.core.internal.ContextInternal) home.context();
    ctx.nettyEventLoop().schedule(() -> ctx.emit(x -> nextSlice(r)), 0, TimeUnit.NANOSECONDS);
  }

  private void nextSlice(Run r) {
    if (answeringBusy() && home.clientsHeld()) {
      home.releaseClients(); // they get -BUSY now, and SCRIPT KILL is heard
    }
    boolean ended = thread.resume();
    afterSlice();
    if (!ended) {
      scheduleSlice(r);
      return;
    }
    finish(r);
    // what the caller's command would have done after the handler, had it ended in one slice
    if (r.wrote) {
      home.gate().served(r.caller); // appendfsync always: its reply waits for its writes
    }
    if (!r.caller.inExec()) {
      home.blocking().handleReady(); // keys the script pushed to serve blocked clients now
    }
    if (home.clientsHeld()) {
      home.releaseClients();
    }
    r.caller.flush();
    r.caller.resume();
  }

  /** After each slice: output a script produced for other clients goes out now, in order. */
  private void afterSlice() {
    if (!deferredFlush.isEmpty()) {
      List<Client> list = new ArrayList<>(deferredFlush);
      deferredFlush.clear();
      for (Client c : list) {
        c.flush();
      }
    }
  }

  private void finish(Run r) {
    running = null;
    home.shard().effects.endTransaction();
    if (r.compile && !r.compileFailed) {
      remember(r.name, r.body);
    }
    byte[] bytes = r.reply.isEmpty() ? new byte[0] : r.reply.take().getBytes();
    r.done.done(bytes, r.compileFailed ? LuaEngine.NEW_ERROR : r.errorKind);
    if (r.paused) { // its command's statistics were taken after the first slice: complete them
      r.caller.completedLater((System.nanoTime() - r.startNanos) / 1000,
          r.compileFailed || r.errorKind != LuaEngine.OK);
    }
  }

  /** The -BUSY text for the running script's kind (EVAL's or a function's). */
  public String busyError() {
    Run r = running;
    return r != null && r.function != null ? Errors.BUSY_FUNCTION : Errors.BUSY_EVAL;
  }

  /**
   * SCRIPT KILL ({@code eval}) and FUNCTION KILL: null when the running script will stop, else
   * the error to answer (each kills only its own kind).
   */
  public String kill(boolean eval) {
    Run r = running;
    if (r == null) {
      return Errors.NOTBUSY;
    }
    if (r.wrote) {
      return Errors.UNKILLABLE;
    }
    if (eval && r.function != null) {
      return Errors.BUSY_FUNCTION;
    }
    if (!eval && r.function == null) {
      return Errors.BUSY_EVAL;
    }
    r.killRequested = true;
    return null;
  }

  /** True while an EVAL script runs (FUNCTION STATS answers -BUSY then). */
  public boolean evalRunning() {
    Run r = running;
    return r != null && r.function == null;
  }

  /** The running function, or null (FUNCTION STATS). */
  public Functions.Function runningFunction() {
    Run r = running;
    return r == null ? null : r.function;
  }

  /** The command of the running function's caller (FUNCTION STATS). */
  public byte[][] runningCommand() {
    Run r = running;
    return r == null ? null : r.argv;
  }

  /** Milliseconds the running script has run (FUNCTION STATS' duration_ms). */
  public long runningMillis() {
    Run r = running;
    return r == null ? 0 : (System.nanoTime() - r.startNanos) / 1_000_000;
  }

  /** True when {@code c}'s output must wait for the end of the slice (a script is writing it). */
  boolean deferFlush(Client c) {
    if (Thread.currentThread() != scriptThreadRef) {
      return false;
    }
    if (!deferredFlush.contains(c)) {
      deferredFlush.add(c);
    }
    return true;
  }

  private volatile Thread scriptThreadRef;

  // ---- the script thread's side ----

  /** What a running script asks of the server. Script thread, while the event loop waits. */
  private final class Host implements LuaEngine.Host {
    @Override
    public byte[] call(byte[][] argv, boolean resp3) {
      if (scriptThreadRef == null) {
        scriptThreadRef = Thread.currentThread();
      }
      thread.checkSlice();
      Run r = running;
      String name = Numbers.ascii(argv[0]).toLowerCase(Locale.ROOT);
      CommandSpec cmd = kiln.commands().lookup(name);
      if (cmd != null && cmd.isContainer() && argv.length > 1) {
        CommandSpec sub = cmd.subcommand(Numbers.ascii(argv[1]).toLowerCase(Locale.ROOT));
        cmd = sub == null ? null : sub;
      }
      if (cmd == null) {
        return error(null, Errors.SCRIPT_UNKNOWN_COMMAND);
      }
      if (!cmd.arityOk(argv.length)) {
        return error(cmd, Errors.SCRIPT_WRONG_ARGS);
      }
      if (cmd.has(CommandSpec.NOSCRIPT) && !(kiln.denyScriptsDisabled() && mayLiftDeny(cmd))) {
        return error(cmd, Errors.SCRIPT_COMMAND_DENIED);
      }
      String denied = AclGate.checkForScript(r.caller, cmd, argv);
      if (denied != null) {
        return error(cmd, denied);
      }
      if (cmd.has(CommandSpec.DENYOOM) && !r.wrote && r.oomAtStart && !r.allowOom) {
        // over maxmemory when the script began and nothing written yet: it can still be
        // refused whole, as Redis refuses it (after a write it must go on)
        return error(cmd, Errors.OOM);
      }
      if (r.readOnly && (cmd.has(CommandSpec.WRITE) || cmd.has(CommandSpec.MAY_REPLICATE))) {
        // may_replicate counts as a write here, so read-only scripts may run under CLIENT PAUSE
        return error(cmd, Errors.SCRIPT_READONLY_WRITE);
      }
      if (cmd.has(CommandSpec.WRITE)) {
        String aofError = home.aofWriteError();
        if (aofError != null) {
          return error(cmd, Errors.misconfAof(aofError));
        }
        if (r.caller.noGoodReplicas()) {
          return error(cmd, Errors.NOREPLICAS);
        }
      }
      io.kiln.keyspace.Effects effects = home.shard().effects;
      boolean mute = (r.replFlags & 1) == 0;
      effects.muted = mute;
      long dirty = home.shard().dirty;
      scripter.out.protocol(resp3 ? 3 : 2);
      scripter.call(cmd, argv);
      effects.muted = false;
      if (cmd.has(CommandSpec.READONLY) && home.tracking().inUse()) {
        home.tracking().scriptRead(r.caller, r.keys); // the script's declared keys, as Redis
      }
      if (home.shard().dirty != dirty) {
        r.wrote = true;
      }
      byte[] reply = scripter.out.take().getBytes();
      return reply;
    }

    /** A command refused for the script: counted as Redis counts a rejection, then replied. */
    private byte[] error(CommandSpec cmd, String message) {
      home.shard().stats.error(message);
      if (cmd != null) {
        home.shard().stats.command(cmd.id).rejectedCalls++;
      }
      return ("-" + message + "\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    @Override
    public String tick() {
      if (scriptThreadRef == null) {
        scriptThreadRef = Thread.currentThread();
      }
      Run r = running;
      if (r != null && r.killRequested) {
        return Errors.SCRIPT_KILLED;
      }
      thread.checkSlice();
      if (r != null && r.killRequested) {
        return Errors.SCRIPT_KILLED;
      }
      return null;
    }

    @Override
    public void log(int level, String message) {
      switch (level) {
        case 0 -> log.debug("{}", message);
        case 1 -> log.debug("{}", message);
        case 2 -> log.info("{}", message);
        default -> log.warn("{}", message);
      }
    }

    @Override
    public void replicate(int flags) {
      Run r = running;
      if (r != null) {
        r.replFlags = flags;
      }
    }

    /** redis.acl_check_cmd: whether the caller's user may run argv; null for no such command. */
    @Override
    public Boolean aclCheck(byte[][] argv) {
      CommandSpec cmd = kiln.commands().lookup(Numbers.ascii(argv[0]).toLowerCase(Locale.ROOT));
      if (cmd != null && cmd.isContainer() && argv.length > 1) {
        cmd = cmd.subcommand(Numbers.ascii(argv[1]).toLowerCase(Locale.ROOT));
      }
      Run r = running;
      if (cmd == null || r == null) {
        return cmd == null ? null : Boolean.TRUE;
      }
      // the event loop waits for this slice: the caller's user is read safely here
      return AclGate.dryRun(r.caller, r.caller.user(), cmd, argv) == null;
    }
  }

  /** Noscript commands that wait, re-enter a script or take over the connection: always refused. */
  private static final java.util.Set<String> NEVER_FROM_SCRIPTS = java.util.Set.of("save",
      "shutdown", "monitor", "sync", "psync", "replconf", "waitaof", "wait", "migrate", "acl");

  /**
   * Whether DEBUG SET-DISABLE-DENY-SCRIPTS lets a script call {@code cmd} (Redis's tests use it
   * for CLIENT LIST and DEBUG PROTOCOL): not a script or function, a blocking, pub/sub or
   * transaction command, nor one that would make the script's connection wait.
   */
  private static boolean mayLiftDeny(CommandSpec cmd) {
    CommandSpec root = cmd.parent == null ? cmd : cmd.parent;
    return !cmd.has(CommandSpec.BLOCKING) && !cmd.has(CommandSpec.PUBSUB)
        && !cmd.has(CommandSpec.NO_MULTI) && !"scripting".equals(root.group)
        && !NEVER_FROM_SCRIPTS.contains(root.name);
  }
}
