package io.kiln.script;

import io.kiln.resp.Errors;
import io.kiln.resp.RespWriter;
import io.kiln.script.lib.Bit;
import io.kiln.script.lib.CJson;
import io.kiln.script.lib.CMsgpack;
import io.kiln.script.lib.Struct;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import party.iroiro.luajava.Lua;
import party.iroiro.luajava.LuaException;
import party.iroiro.luajava.LuaNatives;
import party.iroiro.luajava.lua51.Lua51;

/**
 * One Lua interpreter with Redis 7.0's scripting environment: the `redis` library, the sandbox
 * (only Redis's globals, read-only globals and libraries, "Script attempted to access
 * nonexistent global variable"), Redis's math.random, and the conversions between Redis replies
 * and Lua values both ways, RESP2 and RESP3, as Redis documents them.
 *
 * <p><b>Why real Lua 5.1 through JNI</b> (luajava) and not a pure-Java Lua: scripts are written
 * against Redis's interpreter, which is Lua 5.1, and its behaviour is visible to them: number
 * formatting ({@code tostring(1e15)}, "%.14g"), {@code string.format}, error texts and their
 * "user_script:1:" prefix, {@code unpack}, {@code #t}. Measured against redis-server 7.0.15 on 75
 * probes, LuaJ 3.0.1 (a Lua 5.2) differed on 39, real Lua 5.1 on none that depend on the engine;
 * Lua 5.1 runs a CPU-bound loop at Redis's speed (LuaJ 2-2.5x slower), and its count hook is how
 * Redis stops a long script (LuaJ's compiled mode cannot be stopped at all). The cost: native
 * code in the jar (Linux x86-64, glibc) and a JNI crossing per {@code redis.call}.
 *
 * <p>Two kinds: EVAL's interpreter ({@link #LuaEngine()}) and the functions' one
 * ({@link #forFunctions}), a state of its own as in Redis (SCRIPT FLUSH does not touch functions,
 * FUNCTION FLUSH not the scripts), where a library's code runs in FUNCTION LOAD's environment
 * ({@link #loadLibrary}) and the functions it registered are called with KEYS and ARGV as their
 * two arguments ({@link #call}).
 *
 * <p>Owned by the shard's script thread ({@link ScriptThread}): the state is created, used and
 * closed there only.
 */
public final class LuaEngine implements AutoCloseable {
  /** The host side of a script: commands, the clock of the slice, logging. Script thread. */
  public interface Host {
    /**
     * Runs {@code argv} as a command of the script's connection; returns its reply as RESP
     * bytes (RESP3 when {@code resp3}), an error reply being "-CODE message\r\n".
     */
    byte[] call(byte[][] argv, boolean resp3);

    /** Called every {@link #HOOK_INSTRUCTIONS} instructions: null, or the error to raise. */
    String tick();

    /** redis.log at {@code level} (0 debug .. 3 warning). */
    void log(int level, String message);

    /** redis.set_repl: where the script's next effects go (REPL_* flags). */
    void replicate(int flags);

    /** redis.acl_check_cmd: null when the command exists and may run, else the error. */
    Boolean aclCheck(byte[][] argv);
  }

  /** How often the hook looks at the clock and for SCRIPT KILL (Redis: 100000). */
  static final int HOOK_INSTRUCTIONS = 20_000;
  /** Redis 7.0.15, the version scripts see (redis.REDIS_VERSION, REDIS_VERSION_NUM). */
  static final String VERSION = "7.0.15";
  static final int VERSION_NUM = 0x07000f;

  private final Lua lua;
  private final LuaNatives natives;
  private final long ptr;
  private final int decoder;
  private final int errorHandler;
  /** The setup's seal(f): gives a compiled function the sandbox as its environment. */
  private final int seal;
  /** The setup's memory(): collectgarbage('count') in bytes. */
  private final int memoryCount;
  private long memoryCalls;
  /** The setup's arm(): the hook back to counting instructions (after a kill, it ran per line). */
  private final int arm;
  /** The setup's beginLoad() and endLoad() (functions only): FUNCTION LOAD's globals on, off. */
  private final int beginLoad;
  private final int endLoad;
  private final boolean functions;
  private boolean armed = true;
  /** What the library being loaded registered so far (functions only, during a load). */
  private List<Registered> loading;
  private java.util.Set<String> loadingNames;
  private Host host;
  /** redis.setresp of the running script: 2 or 3. */
  private int resp = 2;

  /** A fresh interpreter (SCRIPT FLUSH makes another). Script thread. */
  public LuaEngine() {
    this(false, new Rand48());
  }

  /**
   * EVAL's interpreter whose math.random draws from {@code random}: in Redis one generator
   * serves scripts and functions, and SCRIPT FLUSH does not reset it. Script thread.
   */
  public static LuaEngine forScripts(Rand48 random) {
    return new LuaEngine(false, random);
  }

  /** An interpreter for functions (FUNCTION LOAD, FCALL). Script thread. */
  public static LuaEngine forFunctions(Rand48 random) {
    return new LuaEngine(true, random);
  }

  private LuaEngine(boolean functions, Rand48 random) {
    this.functions = functions;
    lua = new Lua51();
    natives = lua.getLuaNatives();
    ptr = lua.getPointer();
    lua.openLibraries();
    lua.createTable(0, 12);
    field("call", l -> redisCall(true));
    field("pcall", l -> redisCall(false));
    field("tick", l -> tick());
    field("log", l -> log());
    field("setresp", l -> {
      resp = (int) lua.toNumber(1);
      return 0;
    });
    field("setrepl", l -> {
      host.replicate((int) lua.toNumber(1));
      return 0;
    });
    field("aclcheck", l -> aclCheck());
    field("sha1hex", l -> {
      lua.push(sha1hex(LuaBytes.read(lua, 1)));
      return 1;
    });
    field("random", l -> {
      lua.push(random.next());
      return 1;
    });
    field("randomseed", l -> {
      random.seed((int) (long) lua.toNumber(1));
      return 0;
    });
    field("register", l -> register());
    try {
      lua.load(LuaBytes.DECODER);
      lua.pCall(0, 1);
      lua.pushValue(-1);
      lua.setField(-3, "decode");
      decoder = lua.ref();
      CJson.open(lua, decoder);
      CMsgpack.open(lua, decoder);
      Bit.open(lua, decoder);
      Struct.open(lua, decoder);
      load(LuaSetup.SOURCE, "@kiln");
      lua.insert(-2);
      lua.push(functions);
      lua.pCall(2, 6); // returns the error handler, seal, memory, arm, beginLoad and endLoad
    } catch (LuaException e) {
      throw new IllegalStateException("the Lua setup failed: " + e.getMessage(), e);
    }
    endLoad = lua.ref();
    beginLoad = lua.ref();
    arm = lua.ref();
    memoryCount = lua.ref();
    seal = lua.ref();
    errorHandler = lua.ref();
  }

  private void field(String name, party.iroiro.luajava.JFunction f) {
    lua.push(f);
    lua.setField(-2, name);
  }

  private void load(String source, String name) {
    byte[] b = source.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocateDirect(b.length);
    buf.put(b).flip();
    if (natives.luaJ_loadbuffer(ptr, buf, b.length, name) != 0) {
      String m = lua.toString(-1);
      lua.pop(1);
      throw new LuaException(LuaException.LuaError.SYNTAX, m);
    }
  }

  /**
   * Compiles {@code body} as the function registered under {@code name} (its environment the
   * sandbox's); returns null, or Lua's message ("user_script:1: '=' expected near ...").
   */
  public String compile(String name, byte[] body, String chunkName) {
    ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(1, body.length));
    buf.put(body).flip();
    if (body.length > 0 && body[0] == 27) {
      return "Error compiling script: binary chunks are not allowed"; // precompiled bytecode
    }
    if (natives.luaJ_loadbuffer(ptr, buf, body.length, chunkName) != 0) {
      String m = lua.toString(-1);
      lua.pop(1);
      return m;
    }
    lua.refGet(seal);
    lua.insert(-2);
    natives.lua_pcall(ptr, 1, 1, 0);
    natives.lua_setfield(ptr, LUA_REGISTRY, name);
    return null;
  }

  /**
   * Runs the function registered under {@code name} with KEYS and ARGV set (as globals, EVAL's
   * way, or as its two arguments, FCALL's way when {@code asArguments}) and writes its result
   * or error into {@code out} as Redis does; {@code scriptName} names it in error texts.
   */
  public int run(Host host, String name, String scriptName, byte[][] keys, byte[][] args,
      boolean asArguments, RespWriter out) {
    return invoke(host, name, 0, scriptName, keys, args, asArguments, out);
  }

  /**
   * Calls the function whose callback is registered as {@code ref} (FCALL) with KEYS and ARGV
   * as its two arguments, writing its result or error into {@code out} as Redis does;
   * {@code functionName} names it in error texts.
   */
  public int call(Host host, int ref, String functionName, byte[][] keys, byte[][] args,
      RespWriter out) {
    return invoke(host, null, ref, functionName, keys, args, true, out);
  }

  /** What a script's reply was, for the error stats: not an error. */
  public static final int OK = 0;
  /** An error the script made (its own, or one it returned): counted once now. */
  public static final int NEW_ERROR = 1;
  /** An error a command replied inside the script: counted then, not again. */
  public static final int COUNTED_ERROR = 2;

  private int invoke(Host host, String name, int ref, String scriptName, byte[][] keys,
      byte[][] args, boolean asArguments, RespWriter out) {
    this.host = host;
    this.resp = 2;
    int top = lua.getTop();
    rearm();
    try {
      lua.refGet(errorHandler);
      if (name != null) {
        natives.luaJ_getfield(ptr, LUA_REGISTRY, name);
      } else {
        lua.refGet(ref);
      }
      int nargs = 0;
      if (asArguments) {
        pushArray(keys);
        pushArray(args);
        nargs = 2;
      } else {
        pushArray(keys);
        natives.lua_setfield(ptr, LUA_GLOBALS, "KEYS");
        pushArray(args);
        natives.lua_setfield(ptr, LUA_GLOBALS, "ARGV");
      }
      int err = natives.lua_pcall(ptr, nargs, 1, top + 1);
      if (err == 0) {
        LuaReplies.write(lua, -1, out, resp == 3);
      } else {
        LuaReplies.writeError(lua, -1, scriptName, out);
      }
      return LuaReplies.errorKind(lua, -1, err != 0);
    } finally {
      lua.setTop(top);
      this.host = null;
    }
  }

  /** The hook back to counting instructions (after a kill or a load's timeout it ran per line). */
  private void rearm() {
    if (!armed) {
      lua.refGet(arm);
      natives.lua_pcall(ptr, 0, 0, 0);
      armed = true;
    }
  }

  // ---- functions ----

  /**
   * A function a library registered: its name, description (null: none), flags (Redis's script
   * flags as bits: 1 no-writes, 2 allow-oom, 4 allow-stale, 8 no-cluster, 16
   * allow-cross-slot-keys) and the registry reference of its callback.
   */
  public record Registered(String name, byte[] description, int flags, int ref) {}

  /** What a library's load gave: the functions it registered, or Redis's error text. */
  public record Loaded(String error, List<Registered> functions) {}

  /**
   * Runs a library's code (its shebang line already made an empty line, so that lines count
   * from the file's first) in FUNCTION LOAD's environment, where it registers its functions;
   * {@code host} watches the clock ({@link Host#tick}: "FUNCTION LOAD timeout") and logs. On
   * an error, what it registered is released and the error is Redis's: "Error compiling
   * function: ..." or "Error registering functions: ...". Functions interpreter only.
   */
  public Loaded loadLibrary(Host host, byte[] code) {
    if (!functions) {
      throw new IllegalStateException("not a functions interpreter");
    }
    this.host = host;
    this.resp = 2;
    int top = lua.getTop();
    rearm();
    List<Registered> registered = new ArrayList<>();
    loading = registered;
    loadingNames = new java.util.HashSet<>();
    try {
      ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(1, code.length));
      buf.put(code).flip();
      if (natives.luaJ_loadbuffer(ptr, buf, code.length, "@user_function") != 0) {
        return new Loaded(Errors.LIBRARY_COMPILE + LuaBytes.readString(lua, -1), List.of());
      }
      lua.refGet(seal);
      lua.insert(-2);
      natives.lua_pcall(ptr, 1, 1, 0);
      lua.refGet(beginLoad);
      natives.lua_pcall(ptr, 0, 0, 0);
      int err = natives.lua_pcall(ptr, 0, 0, 0);
      lua.refGet(endLoad);
      natives.lua_pcall(ptr, 0, 0, 0);
      if (err != 0) {
        release(registered);
        return new Loaded(Errors.LIBRARY_REGISTER + loadError(lua.getTop()), List.of());
      }
      return new Loaded(null, registered);
    } finally {
      loading = null;
      loadingNames = null;
      lua.setTop(top);
      this.host = null;
    }
  }

  /**
   * The message of an error a library's code raised, as Redis reads it with no error handler:
   * a string is "ERR " + it (one raised from Java has its code), a table its err field.
   */
  private String loadError(int at) {
    int type = natives.lua_type(ptr, at);
    if (type == LUA_TSTRING || type == LUA_TNUMBER) {
      String s = LuaBytes.readString(lua, at);
      return !s.isEmpty() && s.charAt(0) == '\u0001' ? s.substring(1) : Errors.ERR_PREFIX + s;
    }
    if (type == LUA_TTABLE) {
      LuaReplies.rawField(lua, at, "err");
      int t = natives.lua_type(ptr, -1);
      String s = t == LUA_TSTRING || t == LUA_TNUMBER ? LuaBytes.readString(lua, -1) : null;
      lua.pop(1);
      if (s != null) {
        return s;
      }
    }
    return "(null)"; // what Redis's formatting prints for a missing message
  }

  /** Forgets the callbacks of {@code functions} (a library deleted, replaced or not loaded). */
  public void release(List<Registered> functions) {
    for (Registered r : functions) {
      lua.unref(r.ref());
    }
  }

  /**
   * redis.register_function(name, callback) or redis.register_function{function_name = ...,
   * callback = ..., flags = {...}, description = ...}, with Redis's checks and error texts (a
   * name or description may be a number, keys and flags are compared in any case); records
   * the function in the library being loaded. A C function, as Redis's: its errors are placed
   * on the caller's line. Tables are read raw (no metamethod runs from here).
   */
  private int register() {
    if (loading == null) {
      throw registerError(Errors.REGISTER_OUTSIDE_LOAD);
    }
    int n = lua.getTop();
    if (n < 1 || n > 2) {
      throw registerError(Errors.REGISTER_ARGUMENT_COUNT);
    }
    String name = null;
    byte[] description = null;
    int flags = 0;
    int callback = LUA_NOREF;
    if (n == 1) {
      if (natives.lua_type(ptr, 1) != LUA_TTABLE) {
        throw registerError(Errors.REGISTER_SINGLE_NOT_TABLE);
      }
      try {
        lua.pushNil();
        while (natives.lua_next(ptr, 1) != 0) {
          if (!isString(-2)) {
            throw registerError(Errors.REGISTER_KEY_NOT_STRING);
          }
          String key = cString(LuaBytes.readString(lua, -2));
          if (key.equalsIgnoreCase("function_name")) {
            if (!isString(-1)) {
              throw registerError(Errors.REGISTER_NAME_NOT_STRING);
            }
            name = LuaBytes.readString(lua, -1);
          } else if (key.equalsIgnoreCase("description")) {
            if (!isString(-1)) {
              throw registerError(Errors.REGISTER_DESCRIPTION_NOT_STRING);
            }
            description = LuaBytes.read(lua, -1);
          } else if (key.equalsIgnoreCase("callback")) {
            if (!isFunction(-1)) {
              throw registerError(Errors.REGISTER_CALLBACK_NOT_FUNCTION);
            }
            lua.pushValue(-1);
            if (callback != LUA_NOREF) {
              lua.unref(callback);
            }
            callback = lua.ref();
          } else if (key.equalsIgnoreCase("flags")) {
            if (natives.lua_type(ptr, -1) != LUA_TTABLE) {
              throw registerError(Errors.REGISTER_FLAGS_NOT_TABLE);
            }
            flags = readFlags(lua.getTop());
            if (flags < 0) {
              throw registerError(Errors.REGISTER_UNKNOWN_FLAG);
            }
          } else {
            throw registerError(Errors.REGISTER_UNKNOWN_ARGUMENT);
          }
          lua.pop(1);
        }
        if (name == null) {
          throw registerError(Errors.REGISTER_NO_NAME);
        }
        if (callback == LUA_NOREF) {
          throw registerError(Errors.REGISTER_NO_CALLBACK);
        }
      } catch (Raised e) {
        if (callback != LUA_NOREF) {
          lua.unref(callback);
        }
        throw e;
      }
    } else {
      if (!isString(1)) {
        throw registerError(Errors.REGISTER_FIRST_NOT_STRING);
      }
      if (!isFunction(2)) {
        throw registerError(Errors.REGISTER_SECOND_NOT_FUNCTION);
      }
      name = LuaBytes.readString(lua, 1);
      lua.pushValue(2);
      callback = lua.ref();
    }
    String error = null;
    if (!validName(name)) {
      error = Errors.LIBRARY_BAD_NAME;
    } else if (!loadingNames.add(name)) {
      error = Errors.FUNCTION_EXISTS_IN_LIBRARY;
    }
    if (error != null) {
      lua.unref(callback);
      throw registerError(error);
    }
    loading.add(new Registered(name, description, flags, callback));
    return 0;
  }

  /** The flags table at {@code t}: its items 1, 2, ... up to the first nil; -1 for a bad one. */
  private int readFlags(int t) {
    int bits = 0;
    for (int j = 1; ; j++) {
      natives.luaJ_rawgeti(ptr, t, j);
      int type = natives.lua_type(ptr, -1);
      if (type == LUA_TNIL) {
        lua.pop(1);
        return bits;
      }
      int bit = -1;
      if (type == LUA_TSTRING || type == LUA_TNUMBER) {
        String flag = cString(LuaBytes.readString(lua, -1));
        for (int b = 0; b < FLAG_NAMES.length; b++) {
          if (FLAG_NAMES[b].equalsIgnoreCase(flag)) {
            bit = 1 << b;
          }
        }
      }
      lua.pop(1);
      if (bit < 0) {
        return -1;
      }
      bits |= bit;
    }
  }

  /** Redis's script flags in its order: bit i of a function's flags is FLAG_NAMES[i]. */
  public static final String[] FLAG_NAMES = {"no-writes", "allow-oom", "allow-stale",
      "no-cluster", "allow-cross-slot-keys"};

  private boolean isString(int index) {
    int t = natives.lua_type(ptr, index);
    return t == LUA_TSTRING || t == LUA_TNUMBER;
  }

  private boolean isFunction(int index) {
    return natives.lua_type(ptr, index) == LUA_TFUNCTION;
  }

  /** A library or function name: letters, digits and underscores, at least one. */
  public static boolean validName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')) {
        return false;
      }
    }
    return true;
  }

  /** What C's string functions see of {@code s}: up to its first NUL. */
  private static String cString(String s) {
    int nul = s.indexOf('\0');
    return nul < 0 ? s : s.substring(0, nul);
  }

  private static Raised registerError(String message) {
    return new Raised(Errors.ERR_PREFIX + message);
  }

  /** Bytes the interpreter uses (INFO used_memory_lua). */
  public long memory() {
    lua.refGet(memoryCount);
    lua.push(++memoryCalls % 50 == 0); // a garbage-collection step every 50 scripts
    natives.lua_pcall(ptr, 1, 1, 0);
    long bytes = (long) lua.toNumber(-1);
    lua.pop(1);
    return bytes;
  }

  @Override
  public void close() {
    lua.close();
  }

  // ---- the Java side of the redis library ----

  /**
   * redis.call (raise) and redis.pcall: (command, args...) -> the reply. An error reply is
   * returned by pcall as {err = ...} and raised by call, from this C function so that the error
   * handler finds the script's line right above it (a Lua wrapper could be tail-called away).
   */
  private int redisCall(boolean raise) {
    int n = lua.getTop();
    if (n == 0) {
      return error(Errors.LUA_NO_ARGUMENTS, raise);
    }
    byte[][] argv = new byte[n][];
    for (int i = 1; i <= n; i++) {
      int t = natives.lua_type(ptr, i);
      if (t != LUA_TSTRING && t != LUA_TNUMBER) {
        return error(Errors.LUA_ARGUMENT_TYPES, raise);
      }
      // a number goes as Redis formats it ("%.17g": 0.1 is 0.10000000000000001, 3.0 is 3)
      argv[i - 1] = t == LUA_TNUMBER
          ? io.kiln.resp.Numbers.formatG17(natives.lua_tonumber(ptr, i))
              .getBytes(StandardCharsets.US_ASCII)
          : LuaBytes.read(lua, i);
    }
    byte[] reply = host.call(argv, resp == 3);
    if (raise && reply.length > 0 && reply[0] == '-') {
      String e = new String(reply, 1, reply.length - 3, StandardCharsets.ISO_8859_1);
      throw new Raised(e.indexOf(' ') < 0 ? Errors.ERR_PREFIX + e : e, true);
    }
    LuaReplies.push(lua, decoder, reply);
    return 1;
  }

  /** An error table {err = message}, returned (pcall) or raised (call). */
  private int error(String message, boolean raise) {
    if (raise) {
      throw new Raised(message);
    }
    lua.createTable(0, 1);
    lua.push(message);
    lua.setField(-2, "err");
    return 1;
  }

  /**
   * An error raised by a Java function: luajava raises its toString() as the Lua error, which
   * the error handler turns back into {err = message} by the marker byte in front.
   */
  static final class Raised extends RuntimeException {
    /** The error a command replied: the error stats counted it then. */
    private final boolean counted;

    Raised(String message) {
      this(message, false);
    }

    Raised(String message, boolean counted) {
      super(message, null, false, false);
      this.counted = counted;
    }

    @Override
    public String toString() {
      return (counted ? "\u0002" : "\u0001") + getMessage();
    }
  }

  private int tick() {
    String error = host == null ? null : host.tick();
    if (error == null) {
      return 0;
    }
    armed = false;
    lua.push(error);
    return 1;
  }

  private int log() {
    int level = (int) lua.toNumber(1);
    StringBuilder msg = new StringBuilder();
    for (int i = 2; i <= lua.getTop(); i++) {
      if (i > 2) {
        msg.append(' ');
      }
      msg.append(LuaBytes.readString(lua, i));
    }
    if (host != null) {
      host.log(level, msg.toString());
    }
    return 0;
  }

  private int aclCheck() {
    int n = lua.getTop();
    if (n == 0) {
      throw new Raised(Errors.LUA_NO_ARGUMENTS);
    }
    byte[][] argv = new byte[n][];
    for (int i = 1; i <= n; i++) {
      argv[i - 1] = LuaBytes.read(lua, i);
    }
    Boolean ok = host.aclCheck(argv);
    if (ok == null) {
      throw new Raised(Errors.LUA_ACL_CHECK_INVALID);
    }
    lua.push(ok);
    return 1;
  }

  private void pushArray(byte[][] items) {
    natives.lua_createtable(ptr, items.length, 0);
    for (int i = 0; i < items.length; i++) {
      LuaBytes.push(lua, decoder, items[i]);
      natives.lua_rawseti(ptr, -2, i + 1);
    }
  }

  /** The SHA1 of {@code data} in lower-case hex (redis.sha1hex, script names). */
  public static String sha1hex(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static final int LUA_REGISTRY = -10000;
  static final int LUA_GLOBALS = -10002;
  static final int LUA_NOREF = -2;
  static final int LUA_TNIL = 0;
  static final int LUA_TNUMBER = 3;
  static final int LUA_TSTRING = 4;
  static final int LUA_TTABLE = 5;
  static final int LUA_TFUNCTION = 6;
}
