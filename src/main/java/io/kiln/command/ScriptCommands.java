package io.kiln.command;

import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.script.LuaEngine;
import io.kiln.server.Client;
import io.kiln.server.Functions;
import io.kiln.server.Scripting;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * Scripting commands (scripting family): EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD,
 * EXISTS, FLUSH, KILL, HELP. The scripts run on the shard's script thread ({@link Scripting});
 * these handlers parse, check and reply. Event loop.
 */
public final class ScriptCommands {
  private ScriptCommands() {}

  /** The shebang flags Redis 7.0 knows. */
  private static final java.util.Set<String> SHEBANG_FLAGS = java.util.Set.of("no-writes",
      "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys");

  private static final String[] SCRIPT_HELP = {
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DEBUG (YES|SYNC|NO)",
      "    Set the debug mode for subsequent scripts executed.",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Prints this help."};

  static void register(CommandTable t) {
    t.add("eval", -3, "noscript stale skip_monitor may_replicate no_mandatory_keys", 0, 0, 0,
        (c, a) -> eval(c, a, false, false));
    t.add("evalsha", -3, "noscript stale skip_monitor may_replicate no_mandatory_keys", 0, 0, 0,
        (c, a) -> eval(c, a, true, false));
    t.add("eval_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys", 0, 0, 0,
        (c, a) -> eval(c, a, false, true));
    t.add("evalsha_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys", 0, 0, 0,
        (c, a) -> eval(c, a, true, true));
    CommandSpec script = t.container("script", -2, "");
    t.sub(script, "load", 3, "noscript stale", 0, 0, 0, ScriptCommands::load);
    t.sub(script, "exists", -3, "noscript", 0, 0, 0, ScriptCommands::exists);
    t.sub(script, "flush", -2, "noscript", 0, 0, 0, ScriptCommands::flush);
    t.sub(script, "debug", 3, "noscript", 0, 0, 0, ScriptCommands::debug);
    t.sub(script, "kill", 2, "noscript allow_busy", 0, 0, 0, ScriptCommands::kill);
    t.sub(script, "help", 2, "loading stale", 0, 0, 0,
        (c, a) -> ServerCommands.help(c, SCRIPT_HELP));
  }

  /** EVAL script numkeys key... arg...; EVALSHA sha1 ...; the _RO forms refuse writes. */
  static void eval(Client c, byte[][] argv, boolean bySha, boolean readOnly) {
    c.home.feedMonitorsFirst(c, argv); // before the commands it runs, as Redis's
    Long numkeys = Numbers.toLong(argv[2]);
    if (numkeys == null) {
      c.error(Errors.NOT_INTEGER);
      return;
    }
    if (numkeys < 0) {
      c.error(Errors.NUMKEYS_NEGATIVE);
      return;
    }
    if (numkeys > argv.length - 3) {
      c.error(Errors.NUMKEYS_TOO_MANY);
      return;
    }
    int n = (int) (long) numkeys;
    byte[][] keys = Arrays.copyOfRange(argv, 3, 3 + n);
    byte[][] args = Arrays.copyOfRange(argv, 3 + n, argv.length);
    Scripting scripts = c.home.scripting();
    String sha;
    byte[] body;
    if (bySha) {
      sha = new String(argv[1], StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
      body = scripts.body(sha);
      if (sha.length() != 40 || body == null) {
        c.error(Errors.NOSCRIPT);
        return;
      }
    } else {
      body = argv[1];
      sha = LuaEngine.sha1hex(body);
    }
    String[] shebangError = new String[1];
    boolean noWrites = shebangNoWrites(body, shebangError);
    if (shebangError[0] != null) {
      c.error(shebangError[0]);
      return;
    }
    if (!noWrites && !readOnly && body.length > 1 && body[0] == '#' && body[1] == '!'
        && c.noGoodReplicas()) {
      c.error(Errors.NOREPLICAS); // a script that declares it may write, as a write command
      return;
    }
    scripts.run(c, sha, body, readOnly || noWrites, keys, args, (reply, kind) -> c.scriptReplied(reply, kind));
    c.shard.effects.suppress(); // its commands recorded their own effects, in MULTI ... EXEC
  }

  /**
   * The flags of a "#!lua flags=a,b" first line: true when no-writes is among them; an unknown
   * engine, option or flag sets {@code error} to Redis's text.
   */
  static boolean shebangNoWrites(byte[] body, String[] error) {
    if (body.length < 2 || body[0] != '#' || body[1] != '!') {
      return false;
    }
    int nl = 0;
    while (nl < body.length && body[nl] != '\n') {
      nl++;
    }
    String line = new String(body, 0, nl, StandardCharsets.ISO_8859_1);
    String[] parts = line.trim().split(" +");
    if (!parts[0].equals("#!lua")) {
      error[0] = String.format(Errors.SHEBANG_ENGINE, parts[0]);
      return false;
    }
    boolean noWrites = false;
    for (int i = 1; i < parts.length; i++) {
      if (!parts[i].startsWith("flags=")) {
        error[0] = String.format(Errors.SHEBANG_OPTION, parts[i]);
        return false;
      }
      for (String f : parts[i].substring(6).split(",")) {
        if (f.isEmpty()) {
          continue;
        }
        if (!SHEBANG_FLAGS.contains(f)) {
          error[0] = String.format(Errors.SHEBANG_FLAG, f);
          return false;
        }
        noWrites |= f.equals("no-writes");
      }
    }
    return noWrites;
  }

  /**
   * True when {@code cmd} is an EVAL whose script declares, by its shebang, that it may use
   * memory (no allow-oom, no no-writes): refused upfront under OOM as Redis refuses it (a
   * script without a shebang is checked at its first write instead). FCALL: its function's
   * flags, the same way.
   */
  public static boolean scriptDeniesOom(Client c, CommandSpec cmd, byte[][] argv) {
    if (cmd.parent != null) {
      return false;
    }
    return switch (cmd.name) {
      case "eval", "evalsha" -> {
        byte[] body = cmd.name.equals("eval") ? argv[1] : c.home.scripting().body(
            new String(argv[1], StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT));
        if (body == null || body.length < 2 || body[0] != '#' || body[1] != '!') {
          yield false;
        }
        String first = new String(body, 0, Math.min(body.length, 256),
            StandardCharsets.ISO_8859_1).split("\n", 2)[0];
        yield !first.contains("allow-oom") && !first.contains("no-writes");
      }
      case "fcall" -> FunctionCommands.functionDeniesOom(c, argv);
      default -> false;
    };
  }

  /**
   * What EVAL/EVALSHA(_RO) and FCALL(_RO) declare of their writes, as Redis's
   * scriptFlagsToCmdFlags judges them: 1 when the script's shebang or the function's flags allow
   * writes, 0 when they say no-writes, -1 when nothing is declared (another command, no
   * shebang, an unknown script or function): then the command's own flags apply.
   */
  public static int declaredWrites(Client c, CommandSpec cmd, byte[][] argv) {
    if (cmd.parent != null || argv.length < 2) {
      return -1;
    }
    byte[] body;
    switch (cmd.name) {
      case "eval", "eval_ro" -> body = argv[1];
      case "evalsha", "evalsha_ro" -> body = argv[1].length != 40 ? null : c.home.scripting()
          .body(new String(argv[1], StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT));
      case "fcall", "fcall_ro" -> {
        Functions.Function f = c.home.scripting().functions().lookup(argv[1]);
        return f == null ? -1 : f.has(Functions.NO_WRITES) ? 0 : 1;
      }
      default -> {
        return -1;
      }
    }
    if (body == null || body.length < 2 || body[0] != '#' || body[1] != '!') {
      return -1;
    }
    String[] error = new String[1];
    boolean noWrites = shebangNoWrites(body, error);
    return error[0] != null ? -1 : noWrites ? 0 : 1;
  }

  /** SCRIPT LOAD script: its SHA1, once compiled. */
  static void load(Client c, byte[][] argv) {
    String[] shebangError = new String[1];
    shebangNoWrites(argv[2], shebangError);
    if (shebangError[0] != null) {
      c.error(shebangError[0]);
      return;
    }
    String error = c.home.scripting().load(argv[2]);
    if (error != null) {
      c.error(error);
    } else {
      c.out.bulk(LuaEngine.sha1hex(argv[2]));
    }
  }

  /** SCRIPT EXISTS sha1...: 1 or 0 for each. */
  static void exists(Client c, byte[][] argv) {
    c.out.array(argv.length - 2);
    for (int i = 2; i < argv.length; i++) {
      String sha = new String(argv[i], StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
      c.out.integer(c.home.scripting().body(sha) != null ? 1 : 0);
    }
  }

  /** SCRIPT FLUSH [ASYNC|SYNC]: both forget every script at once (the cache is small). */
  static void flush(Client c, byte[][] argv) {
    if (argv.length > 3 || argv.length == 3 && !Args.is(argv[2], "sync")
        && !Args.is(argv[2], "async")) {
      c.error(Errors.SCRIPT_FLUSH_MODE);
      return;
    }
    c.home.scripting().flush();
    c.ok();
  }

  /**
   * SCRIPT DEBUG: NO is what every script already is; Kiln has no Lua debugger, so YES and SYNC
   * are refused rather than accepted and ignored.
   */
  static void debug(Client c, byte[][] argv) {
    if (Args.is(argv[2], "no")) {
      c.ok();
    } else if (Args.is(argv[2], "yes") || Args.is(argv[2], "sync")) {
      c.error(Errors.SCRIPT_DEBUGGER);
    } else {
      c.error(Errors.SCRIPT_DEBUG_MODE);
    }
  }

  /** SCRIPT KILL: stops the running script if it has not written yet. */
  static void kill(Client c, byte[][] argv) {
    String error = c.home.scripting().kill(true);
    if (error != null) {
      c.error(error);
    } else {
      c.ok();
    }
  }
}
