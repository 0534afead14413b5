package io.kiln.server;

import io.kiln.rdb.Dump;
import io.kiln.rdb.RdbWriter;
import io.kiln.resp.Errors;
import io.kiln.resp.RespDecoder;
import io.kiln.script.LuaEngine;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The function libraries of one shard (Redis 7.0's functions): each library is the code FUNCTION
 * LOAD was given, a "#!lua name=LIB" first line then Lua that registers functions; the library
 * runs in the shard's functions interpreter ({@link Scripting}, a Lua state apart from EVAL's)
 * and its functions are what FCALL calls. Libraries are found by their exact name, functions by
 * their name in any case (as Redis's dictionaries compare them); the order of listing is the
 * order of loading (Redis's is its hash table's, which differs from run to run).
 *
 * <p>What persistence needs: the libraries' codes, in a list replaced on every change and never
 * changed in place ({@link #codes}), which a capture takes at its start; a dump.rdb or an AOF
 * puts them back through {@link #create} as FUNCTION LOAD would, with no time limit.
 *
 * <p>Owned by the shard's event loop. A library's code runs on the script thread, in slices
 * as a script does while the loop waits and serves sockets, the other clients held (never
 * -BUSY: Redis serves nobody while a library loads): the steps that run it (LOAD, RESTORE)
 * run there whole ({@link Scripting#runJob}), so that the libraries are only ever touched by
 * one thread at a time, the other one waiting.
 */
public final class Functions {
  /** FUNCTION LOAD's time limit for a library's code, as Redis's (ms). */
  public static final long LOAD_TIMEOUT_MS = 500;

  /**
   * Redis's script flags, as bits in its order ({@link LuaEngine#FLAG_NAMES}: FUNCTION LIST
   * lists them in this order).
   */
  public static final int NO_WRITES = 1;
  public static final int ALLOW_OOM = 2;
  public static final int ALLOW_STALE = 4;
  public static final int NO_CLUSTER = 8;
  public static final int ALLOW_CROSS_SLOT_KEYS = 16;

  /** A loaded library: its name, whole code (shebang included) and functions by exact name. */
  public static final class Library {
    public final String name;
    public final byte[] code;
    public final Map<String, Function> functions = new LinkedHashMap<>();

    Library(String name, byte[] code) {
      this.name = name;
      this.code = code;
    }
  }

  /** A function of a library: what FUNCTION LIST shows of it and the callback FCALL runs. */
  public static final class Function {
    public final String name;
    /** Null when registered without one. */
    public final byte[] description;
    public final int flags;
    final LuaEngine.Registered registered;

    Function(LuaEngine.Registered r) {
      this.name = r.name();
      this.description = r.description();
      this.flags = r.flags();
      this.registered = r;
    }

    public boolean has(int flag) {
      return (flags & flag) != 0;
    }
  }

  /** A set of libraries and the index of their functions: the current one, or a restore's. */
  private static final class Ctx {
    final Map<String, Library> libraries = new LinkedHashMap<>();
    final Map<String, Function> functions = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    int functionCount;

    void link(Library l) {
      libraries.put(l.name, l);
      for (Function f : l.functions.values()) {
        functions.putIfAbsent(f.name, f);
      }
      functionCount += l.functions.size();
    }

    void unlink(Library l) {
      libraries.remove(l.name);
      for (Function f : l.functions.values()) {
        functions.remove(f.name, f);
      }
      functionCount -= l.functions.size();
    }

    List<LuaEngine.Registered> callbacks() {
      List<LuaEngine.Registered> out = new ArrayList<>();
      for (Library l : libraries.values()) {
        for (Function f : l.functions.values()) {
          out.add(f.registered);
        }
      }
      return out;
    }
  }

  private final Scripting scripting;
  private Ctx current = new Ctx();
  private List<byte[]> codes = List.of();

  Functions(Scripting scripting) {
    this.scripting = scripting;
  }

  // ---- what the commands read ----

  /** The function FCALL names (any case), or null. */
  public Function lookup(byte[] name) {
    return current.functions.get(new String(name, StandardCharsets.ISO_8859_1));
  }

  /** The libraries, in the order they were loaded. */
  public Collection<Library> libraries() {
    return Collections.unmodifiableCollection(current.libraries.values());
  }

  public int libraryCount() {
    return current.libraries.size();
  }

  /** Functions of all libraries (FUNCTION STATS' functions_count, INFO number_of_functions). */
  public int functionCount() {
    return current.functionCount;
  }

  /**
   * The libraries' codes now, in loading order: an immutable list, replaced (never changed) by
   * every change, which a snapshot takes at its start and writes later on another thread.
   */
  public List<byte[]> codes() {
    return codes;
  }

  private void changed() {
    List<byte[]> list = new ArrayList<>(current.libraries.size());
    for (Library l : current.libraries.values()) {
      list.add(l.code);
    }
    codes = List.copyOf(list);
  }

  // ---- changes ----

  /**
   * FUNCTION LOAD [REPLACE] for {@code caller}: creates the library {@code code} describes,
   * replacing the one of its name when {@code replace}; {@code timeoutMs} (0: none) stops code
   * that runs too long. {@code done} gets the library or Redis's error text (without "ERR "),
   * at once or, when the code ran past a slice, later (the caller suspended meanwhile).
   */
  public void load(Client caller, byte[] code, boolean replace, long timeoutMs,
      java.util.function.Consumer<Object> done) {
    Object[] result = new Object[1];
    scripting.runJob(caller, () -> result[0] = create(code, replace, current, timeoutMs), () -> {
      Object r = result[0] != null ? result[0] : Errors.LIBRARY_REGISTER_INTERNAL;
      if (r instanceof Library) {
        changed();
      }
      done.accept(r);
    });
  }

  /** FUNCTION DELETE: false when there is no library of that (exact) name. */
  public boolean delete(byte[] name) {
    Library l = current.libraries.get(new String(name, StandardCharsets.ISO_8859_1));
    if (l == null) {
      return false;
    }
    current.unlink(l);
    List<LuaEngine.Registered> gone = callbacks(l);
    scripting.runUnsliced(() -> scripting.release(gone));
    changed();
    return true;
  }

  /** FUNCTION FLUSH (and an emptied dataset: DEBUG RELOAD, DEBUG LOADAOF): no library left. */
  public void flush() {
    if (current.libraries.isEmpty()) {
      return;
    }
    current = new Ctx();
    scripting.resetFunctions(); // a fresh interpreter: the old one's callbacks go with it
    changed();
  }

  /**
   * Runs a library's code and, when it registered functions that collide with none of
   * {@code ctx}'s, links it there (Redis's functionsCreateWithLibraryCtx). Returns the library
   * or the error text. Script thread.
   */
  private Object create(byte[] code, boolean replace, Ctx ctx, long timeoutMs) {
    String[] meta = new String[2]; // engine, name
    byte[][] body = new byte[1][];
    String error = metadata(code, meta, body);
    if (error != null) {
      return error;
    }
    String name = meta[1];
    if (!LuaEngine.validName(name)) {
      return Errors.LIBRARY_BAD_NAME;
    }
    if (!meta[0].equalsIgnoreCase("lua")) {
      return String.format(Errors.LIBRARY_ENGINE_NOT_FOUND, meta[0]);
    }
    Library old = ctx.libraries.get(name);
    if (old != null && !replace) {
      return String.format(Errors.LIBRARY_EXISTS, name);
    }
    if (old != null) {
      ctx.unlink(old);
    }
    LuaEngine.Loaded loaded = scripting.loadLibrary(body[0], timeoutMs);
    if (loaded == null) {
      loaded = new LuaEngine.Loaded(Errors.LIBRARY_REGISTER_INTERNAL, List.of());
    }
    error = loaded.error();
    if (error == null && loaded.functions().isEmpty()) {
      error = Errors.NO_FUNCTIONS_REGISTERED;
    }
    if (error == null) {
      for (LuaEngine.Registered r : loaded.functions()) {
        if (ctx.functions.containsKey(r.name())) {
          error = String.format(Errors.FUNCTION_EXISTS, r.name());
          break;
        }
      }
      if (error != null) {
        scripting.release(loaded.functions());
      }
    }
    if (error != null) {
      if (old != null) {
        ctx.link(old);
      }
      return error;
    }
    Library lib = new Library(name, code);
    for (LuaEngine.Registered r : loaded.functions()) {
      lib.functions.put(r.name(), new Function(r));
    }
    ctx.link(lib);
    if (old != null) {
      scripting.release(callbacks(old));
    }
    return lib;
  }

  private static List<LuaEngine.Registered> callbacks(Library l) {
    List<LuaEngine.Registered> out = new ArrayList<>();
    for (Function f : l.functions.values()) {
      out.add(f.registered);
    }
    return out;
  }

  /**
   * Reads the "#!ENGINE name=LIB" first line as Redis does (split like its config lines,
   * "name=" in any case): fills engine and name, and the code after that line (the newline
   * kept, so that lines count from the first), or returns the error.
   */
  static String metadata(byte[] code, String[] meta, byte[][] body) {
    if (code.length < 2 || code[0] != '#' || code[1] != '!') {
      return Errors.LIBRARY_METADATA_MISSING;
    }
    int nl = 0;
    while (nl < code.length && code[nl] != '\n' && code[nl] != 0) {
      nl++; // (a C string: a NUL ends it before any newline)
    }
    if (nl == code.length || code[nl] != '\n') {
      return Errors.LIBRARY_METADATA_INVALID;
    }
    List<byte[]> parts = RespDecoder.splitArgs(new String(code, 0, nl,
        StandardCharsets.ISO_8859_1));
    if (parts == null || parts.isEmpty()) {
      return Errors.LIBRARY_METADATA_INVALID;
    }
    String first = latin1(parts.get(0));
    String engine = first.length() <= 2 ? "" : first.substring(2);
    String name = null;
    for (int i = 1; i < parts.size(); i++) {
      String part = latin1(parts.get(i));
      if (part.length() >= 5 && part.substring(0, 5).toLowerCase(Locale.ROOT).equals("name=")) {
        if (name != null) {
          return Errors.LIBRARY_NAME_TWICE;
        }
        name = part.substring(5);
        continue;
      }
      int nul = part.indexOf('\0');
      return String.format(Errors.LIBRARY_METADATA_VALUE,
          nul < 0 ? part : part.substring(0, nul));
    }
    if (name == null) {
      return Errors.LIBRARY_NAME_MISSING;
    }
    meta[0] = engine;
    meta[1] = name;
    body[0] = java.util.Arrays.copyOfRange(code, nl, code.length);
    return null;
  }

  private static String latin1(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  // ---- DUMP, RESTORE and persistence ----

  /** FUNCTION DUMP: every library as an RDB function record, then RDB version and CRC64. */
  public byte[] dump(boolean compression) {
    return Dump.serializeFunctions(codes, new RdbWriter.Options().compression(compression));
  }

  /** FUNCTION RESTORE's policies. */
  public enum Policy { FLUSH, APPEND, REPLACE }

  /**
   * FUNCTION RESTORE payload for {@code caller}: the payload's libraries are created apart
   * (none of them may collide with another), then replace all (FLUSH) or join the current ones
   * (APPEND: a library of the same name fails it; REPLACE: replaces that library). {@code done}
   * gets null or the error text, at once or later as for {@link #load}.
   */
  public void restore(Client caller, byte[] payload, Policy policy,
      java.util.function.Consumer<String> done) {
    String[] error = {Errors.INTERNAL_ERROR};
    scripting.runJob(caller, () -> error[0] = restore(payload, policy), () -> {
      if (error[0] == null) {
        changed();
      }
      done.accept(error[0]);
    });
  }

  /** Script thread. */
  private String restore(byte[] payload, Policy policy) {
    Dump.FunctionRecords records = Dump.readFunctions(payload);
    Ctx fresh = new Ctx();
    for (byte[] code : records.codes()) {
      Object r = create(code, false, fresh, 0);
      if (r instanceof String error) {
        scripting.release(fresh.callbacks());
        return error;
      }
    }
    if (records.error() != null) {
      scripting.release(fresh.callbacks());
      return records.error();
    }
    if (policy == Policy.FLUSH) {
      Ctx old = current;
      current = fresh;
      scripting.release(old.callbacks());
      return null;
    }
    String error = join(fresh, policy == Policy.REPLACE);
    if (error != null) {
      scripting.release(fresh.callbacks());
    }
    return error;
  }

  /** Moves {@code src}'s libraries into the current ones, all or none (Redis's libraryJoin). */
  private String join(Ctx src, boolean replace) {
    List<Library> replaced = new ArrayList<>();
    String error = null;
    for (Library l : src.libraries.values()) {
      Library old = current.libraries.get(l.name);
      if (old != null) {
        if (!replace) {
          error = String.format(Errors.LIBRARY_EXISTS_RESTORE, l.name);
          break;
        }
        current.unlink(old);
        replaced.add(old);
      }
    }
    if (error == null) {
      for (Function f : src.functions.values()) {
        if (current.functions.containsKey(f.name)) {
          error = String.format(Errors.FUNCTION_EXISTS, f.name);
          break;
        }
      }
    }
    if (error != null) {
      for (Library old : replaced) {
        current.link(old);
      }
      return error;
    }
    for (Library l : src.libraries.values()) {
      current.link(l);
    }
    for (Library old : replaced) {
      scripting.release(callbacks(old));
    }
    return null;
  }

  /**
   * A library read from a dump.rdb or an AOF's RDB preamble: created as FUNCTION LOAD would,
   * without a time limit, the event loop waiting for it. Null, or the error text.
   */
  public String loadPersisted(byte[] code) {
    Object[] result = new Object[1];
    scripting.runUnsliced(() -> result[0] = create(code, false, current, 0));
    if (result[0] instanceof Library) {
      changed();
      return null;
    }
    return result[0] instanceof String error ? error : Errors.INTERNAL_ERROR;
  }
}
