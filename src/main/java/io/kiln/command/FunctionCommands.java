package io.kiln.command;

import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.script.LuaEngine;
import io.kiln.server.Client;
import io.kiln.server.Functions;
import io.kiln.server.Scripting;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Functions (scripting family): FCALL, FCALL_RO and FUNCTION LOAD, DELETE, LIST, DUMP, RESTORE,
 * FLUSH, STATS, KILL, HELP, as Redis 7.0's. The libraries live in {@link Functions}, the calls
 * run as scripts do ({@link Scripting}); these handlers parse, check and reply. Event loop.
 */
public final class FunctionCommands {
  private FunctionCommands() {}

  private static final String[] HELP = {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME "
          + "argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the libraries.",
      "    * SYNC: Synchronously flush the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored "
          + "using FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a "
          + "restore policy to",
      "    control how to handle existing libraries (default APPEND):",
      "    * FLUSH: delete all existing libraries.",
      "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
          + "abort.",
      "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
          + "replace the old",
      "      libraries with the new libraries (notice that even on this option there is a "
          + "chance of failure",
      "      in case of functions name collision with another library).",
      "HELP",
      "    Prints this help."};

  static void register(CommandTable t) {
    t.add("fcall", -3, "noscript stale skip_monitor may_replicate no_mandatory_keys", 0, 0, 0,
        (c, a) -> fcall(c, a, false));
    t.add("fcall_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys", 0, 0, 0,
        (c, a) -> fcall(c, a, true));
    CommandSpec function = t.container("function", -2, "");
    t.sub(function, "load", -3, "write denyoom noscript", 0, 0, 0, FunctionCommands::load);
    t.sub(function, "delete", 3, "write noscript", 0, 0, 0, FunctionCommands::delete);
    t.sub(function, "list", -2, "noscript", 0, 0, 0, FunctionCommands::list);
    t.sub(function, "dump", 2, "noscript", 0, 0, 0, FunctionCommands::dump);
    t.sub(function, "restore", -3, "write denyoom noscript", 0, 0, 0,
        FunctionCommands::restore);
    t.sub(function, "flush", -2, "write noscript", 0, 0, 0, FunctionCommands::flush);
    t.sub(function, "stats", 2, "noscript allow_busy", 0, 0, 0, FunctionCommands::stats);
    t.sub(function, "kill", 2, "noscript allow_busy", 0, 0, 0, FunctionCommands::kill);
    t.sub(function, "help", 2, "loading stale", 0, 0, 0,
        (c, a) -> ServerCommands.help(c, HELP));
  }

  /**
   * True when {@code argv} calls a function that may write (no no-writes flag): the gates treat
   * the call as a write command then, as Redis's fcallGetCommandFlags makes it one.
   */
  public static boolean callMayWrite(Client c, CommandSpec cmd, byte[][] argv) {
    if (cmd.parent != null || argv.length < 2
        || !cmd.name.equals("fcall") && !cmd.name.equals("fcall_ro")) {
      return false;
    }
    Functions.Function f = c.home.scripting().functions().lookup(argv[1]);
    return f != null && !f.has(Functions.NO_WRITES);
  }

  /** True when FCALL names a function that may use memory (neither allow-oom nor no-writes). */
  static boolean functionDeniesOom(Client c, byte[][] argv) {
    if (argv.length < 2) {
      return false;
    }
    Functions.Function f = c.home.scripting().functions().lookup(argv[1]);
    return f != null && !f.has(Functions.NO_WRITES) && !f.has(Functions.ALLOW_OOM);
  }

  /** FCALL function numkeys key... arg...; FCALL_RO only calls functions flagged no-writes. */
  static void fcall(Client c, byte[][] argv, boolean readOnly) {
    c.home.feedMonitorsFirst(c, argv); // before the commands it runs, as Redis's
    Scripting scripts = c.home.scripting();
    Functions.Function f = scripts.functions().lookup(argv[1]);
    if (f == null) {
      c.error(Errors.FUNCTION_NOT_FOUND);
      return;
    }
    Long numkeys = Numbers.toLong(argv[2]);
    if (numkeys == null) {
      c.error(Errors.FUNCTION_BAD_NUMKEYS);
      return;
    }
    if (numkeys > argv.length - 3) {
      c.error(Errors.NUMKEYS_TOO_MANY);
      return;
    }
    if (numkeys < 0) {
      c.error(Errors.NUMKEYS_NEGATIVE);
      return;
    }
    if (!f.has(Functions.NO_WRITES)) {
      if (!c.isReplay()) {
        if (c.writesDeniedByDiskError()) {
          c.error(Errors.MISCONF_RDB_SCRIPT);
          return;
        }
        String aofError = c.home.aofWriteError();
        if (aofError != null) {
          c.error(Errors.MISCONF_AOF_SCRIPT + aofError);
          return;
        }
      }
      if (readOnly) {
        c.error(Errors.FUNCTION_WRITE_RO);
        return;
      }
      if (c.noGoodReplicas() && !c.isReplay()) {
        c.error(Errors.NOREPLICAS);
        return;
      }
    }
    int n = (int) (long) numkeys;
    byte[][] keys = Arrays.copyOfRange(argv, 3, 3 + n);
    byte[][] args = Arrays.copyOfRange(argv, 3 + n, argv.length);
    scripts.runFunction(c, f, argv.clone(), readOnly || f.has(Functions.NO_WRITES), keys, args,
        (reply, kind) -> c.scriptReplied(reply, kind));
    c.shard.effects.suppress(); // its commands recorded their own effects, in MULTI ... EXEC
  }

  /** FUNCTION LOAD [REPLACE] code: the library's name once loaded. */
  static void load(Client c, byte[][] argv) {
    boolean replace = false;
    int i = 2;
    for (; i < argv.length - 1; i++) {
      if (Args.is(argv[i], "replace")) {
        replace = true;
      } else {
        c.error(String.format(Errors.FUNCTION_LOAD_OPTION, cString(argv[i])));
        return;
      }
    }
    // the AOF's FUNCTION LOAD runs whatever it takes, as Redis's for a client it must obey
    long timeout = c.isReplay() ? 0 : Functions.LOAD_TIMEOUT_MS;
    int db = c.db().id;
    c.home.scripting().functions().load(c, argv[i], replace, timeout, r -> {
      if (r instanceof String error) {
        c.error(Errors.ERR_PREFIX + error);
        return;
      }
      changed(c, db, argv);
      c.out.bulk(((Functions.Library) r).name.getBytes(StandardCharsets.ISO_8859_1));
    });
  }

  /**
   * The libraries changed: the command is its own effect, recorded here also when it ends
   * after the handler (its library's code ran past a slice).
   */
  private static void changed(Client c, int db, byte[][] argv) {
    c.shard.dirty++;
    c.shard.effects.rewrite(db, argv);
  }

  /** FUNCTION DELETE library. */
  static void delete(Client c, byte[][] argv) {
    if (!c.home.scripting().functions().delete(argv[2])) {
      c.error(Errors.FUNCTION_LIBRARY_NOT_FOUND);
      return;
    }
    c.shard.dirty++;
    c.ok();
  }

  /** FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE], in Redis's argument rules. */
  static void list(Client c, byte[][] argv) {
    boolean withCode = false;
    byte[] pattern = null;
    for (int i = 2; i < argv.length; i++) {
      if (!withCode && Args.is(argv[i], "withcode")) {
        withCode = true;
        continue;
      }
      if (pattern == null && Args.is(argv[i], "libraryname")) {
        if (i >= argv.length - 1) {
          c.error(Errors.FUNCTION_LIBRARYNAME_MISSING);
          return;
        }
        pattern = argv[++i];
        continue;
      }
      c.error(String.format(Errors.FUNCTION_LIST_ARGUMENT, cString(argv[i])));
      return;
    }
    List<Functions.Library> libs = new ArrayList<>();
    for (Functions.Library l : c.home.scripting().functions().libraries()) {
      // (Redis matches the pattern in any case)
      if (pattern == null
          || Glob.matches(pattern, l.name.getBytes(StandardCharsets.ISO_8859_1), true)) {
        libs.add(l);
      }
    }
    c.out.array(libs.size());
    for (Functions.Library l : libs) {
      c.out.map(withCode ? 4 : 3);
      c.out.bulk("library_name");
      c.out.bulk(l.name.getBytes(StandardCharsets.ISO_8859_1));
      c.out.bulk("engine");
      c.out.bulk("LUA");
      c.out.bulk("functions");
      c.out.array(l.functions.size());
      for (Functions.Function f : l.functions.values()) {
        c.out.map(3);
        c.out.bulk("name");
        c.out.bulk(f.name.getBytes(StandardCharsets.ISO_8859_1));
        c.out.bulk("description");
        c.out.bulk(f.description); // null: a null reply
        c.out.bulk("flags");
        c.out.set(Integer.bitCount(f.flags));
        for (int b = 0; b < LuaEngine.FLAG_NAMES.length; b++) {
          if ((f.flags & (1 << b)) != 0) {
            c.out.simple(LuaEngine.FLAG_NAMES[b]);
          }
        }
      }
      if (withCode) {
        c.out.bulk("library_code");
        c.out.bulk(l.code);
      }
    }
  }

  /** FUNCTION DUMP: the libraries as a payload FUNCTION RESTORE (Kiln's or Redis's) takes. */
  static void dump(Client c, byte[][] argv) {
    c.out.bulk(c.home.scripting().functions().dump(c.kiln.config().getBool("rdbcompression")));
  }

  /** FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]. */
  static void restore(Client c, byte[][] argv) {
    if (argv.length > 4) {
      c.error(subcommandSyntax(argv));
      return;
    }
    Functions.Policy policy = Functions.Policy.APPEND;
    if (argv.length == 4) {
      if (Args.is(argv[3], "append")) {
        policy = Functions.Policy.APPEND;
      } else if (Args.is(argv[3], "replace")) {
        policy = Functions.Policy.REPLACE;
      } else if (Args.is(argv[3], "flush")) {
        policy = Functions.Policy.FLUSH;
      } else {
        c.error(Errors.FUNCTION_RESTORE_POLICY);
        return;
      }
    }
    int db = c.db().id;
    c.home.scripting().functions().restore(c, argv[2], policy, error -> {
      if (error != null) {
        c.error(Errors.ERR_PREFIX + error);
        return;
      }
      changed(c, db, argv);
      c.ok();
    });
  }

  /** FUNCTION FLUSH [ASYNC|SYNC]: both forget every library at once. */
  static void flush(Client c, byte[][] argv) {
    if (argv.length > 3) {
      c.error(subcommandSyntax(argv));
      return;
    }
    if (argv.length == 3 && !Args.is(argv[2], "sync") && !Args.is(argv[2], "async")) {
      c.error(Errors.FUNCTION_FLUSH_MODE);
      return;
    }
    c.home.scripting().functions().flush();
    c.shard.dirty++;
    c.ok();
  }

  /** FUNCTION STATS: the running function (or null) and the engine's counts. */
  static void stats(Client c, byte[][] argv) {
    Scripting s = c.home.scripting();
    if (s.evalRunning()) {
      c.error(Errors.BUSY_EVAL);
      return;
    }
    c.out.map(2);
    c.out.bulk("running_script");
    Functions.Function running = s.runningFunction();
    if (running == null) {
      c.out.nullBulk();
    } else {
      c.out.map(3);
      c.out.bulk("name");
      c.out.bulk(running.name.getBytes(StandardCharsets.ISO_8859_1));
      c.out.bulk("command");
      byte[][] command = s.runningCommand();
      c.out.array(command.length);
      for (byte[] a : command) {
        c.out.bulk(a);
      }
      c.out.bulk("duration_ms");
      c.out.integer(s.runningMillis());
    }
    c.out.bulk("engines");
    c.out.map(1);
    c.out.bulk("LUA");
    c.out.map(2);
    c.out.bulk("libraries_count");
    c.out.integer(s.functions().libraryCount());
    c.out.bulk("functions_count");
    c.out.integer(s.functions().functionCount());
  }

  /** FUNCTION KILL: stops the running function if it has not written yet. */
  static void kill(Client c, byte[][] argv) {
    String error = c.home.scripting().kill(false);
    if (error != null) {
      c.error(error);
    } else {
      c.ok();
    }
  }

  /** Redis's addReplySubcommandSyntaxError. */
  private static String subcommandSyntax(byte[][] argv) {
    return String.format(Errors.SUBCOMMAND_SYNTAX, cString(argv[1]), "FUNCTION");
  }

  /** An argument as Redis's %s prints it: up to its first NUL byte. */
  private static String cString(byte[] arg) {
    String s = new String(arg, StandardCharsets.ISO_8859_1);
    int nul = s.indexOf('\0');
    return nul < 0 ? s : s.substring(0, nul);
  }
}
