package io.kiln.server;

import io.kiln.command.CommandSpec;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import java.util.List;
import java.util.Locale;

/**
 * The central gates a request passes before it runs, in Redis's order: the command exists and
 * has a legal number of arguments, DEBUG is enabled for this connection, the client is
 * authenticated, no script is busy, MULTI allows it, the ACL lets its user run it, the last
 * save, the AOF and the replicas allow a write, memory allows a command that may grow it, a
 * subscribed RESP2 client may send it, loading allows it, and CLIENT PAUSE does not hold it.
 * Inside MULTI, a request that passes is queued. A refused one gets Redis's error (counted as
 * rejected, and dooming an open transaction).
 *
 * <p>Stateless; the client's event loop.
 */
final class Gates {
  private Gates() {}

  /**
   * The command {@code argv} asks for once every gate let it through, to run now; null when it
   * was refused (replied), queued in MULTI (QUEUED replied) or postponed by CLIENT PAUSE.
   */
  static CommandSpec pass(Client c, byte[][] argv) {
    String name = Numbers.ascii(argv[0]).toLowerCase(Locale.ROOT);
    CommandSpec cmd = c.kiln.commands().lookup(name);
    if (cmd == null) {
      c.reject(null, Errors.unknownCommand(Numbers.ascii(argv[0]), argv));
      return null;
    }
    if (cmd.isContainer() && !(argv.length == 1 && cmd.handler != null)) {
      if (argv.length == 1) {
        c.reject(cmd, Errors.wrongArgs(cmd.name));
        return null;
      }
      CommandSpec sub = cmd.subcommand(Numbers.ascii(argv[1]).toLowerCase(Locale.ROOT));
      if (sub == null) {
        // Redis counts no command for an unknown subcommand (only the error).
        c.reject(null, Errors.unknownSubcommand(Numbers.ascii(argv[1]),
            cmd.name.toUpperCase(Locale.ROOT)));
        return null;
      }
      cmd = sub;
    }
    if (!cmd.arityOk(argv.length)) {
      c.reject(cmd, Errors.wrongArgs(cmd.fullName()));
      return null;
    }
    if (cmd.parent == null && "debug".equals(cmd.name) && !debugAllowed(c)) {
      c.reject(cmd, Errors.DEBUG_NOT_ALLOWED);
      return null;
    }
    if (!c.authenticated() && !c.replay && c.authRequired() && !cmd.has(CommandSpec.NO_AUTH)) {
      c.reject(cmd, Errors.NOAUTH);
      return null;
    }
    if (c.home.scripting().answeringBusy() && !cmd.has(CommandSpec.ALLOW_BUSY)) {
      c.reject(cmd, c.home.scripting().busyError());
      return null;
    }
    if (c.tx.open() && cmd.has(CommandSpec.NO_MULTI)) {
      c.reject(cmd, Errors.NOT_IN_MULTI);
      return null;
    }
    if (c.user() != null) {
      String denied = AclGate.check(c, c.user(), cmd, argv, c.tx.open() ? "multi" : "toplevel");
      if (denied != null) {
        c.reject(cmd, denied);
        return null;
      }
    }
    List<Transaction.Queued> queued = c.tx.queued();
    if ((CommandKinds.flagged(cmd, CommandSpec.WRITE, queued) || cmd.name.equals("ping")
        || io.kiln.command.FunctionCommands.callMayWrite(c, cmd, argv)) && !c.replay) {
      if (c.writesDeniedByDiskError()) {
        c.reject(cmd, Errors.MISCONF_RDB);
        return null;
      }
      String aofError = c.home.aofWriteError();
      if (aofError != null) {
        c.reject(cmd, Errors.misconfAof(aofError));
        return null;
      }
      if (!cmd.name.equals("ping") && c.noGoodReplicas()) {
        c.reject(cmd, Errors.NOREPLICAS);
        return null;
      }
    }
    if (!c.replay && c.home.evictBeforeCommand()
        && (CommandKinds.flagged(cmd, CommandSpec.DENYOOM, queued)
        || io.kiln.command.ScriptCommands.scriptDeniesOom(c, cmd, argv))) {
      c.reject(cmd, Errors.OOM);
      return null;
    }
    if (c.subscribed() && !c.out.resp3() && !CommandKinds.allowedWhileSubscribed(cmd)) {
      String msg = String.format(Errors.SUBSCRIBED_CONTEXT, cmd.fullName());
      boolean exec = cmd.parent == null && cmd.name.equals("exec");
      if (exec) {
        c.tx.end();
      }
      c.reject(cmd, (exec ? Errors.EXEC_ABORT_BECAUSE : Errors.ERR_PREFIX) + msg);
      return null;
    }
    if (c.kiln.persistence().loading && !c.replay
        && CommandKinds.deniedWhileLoading(cmd, queued)) {
      c.reject(cmd, Errors.LOADING);
      return null;
    }
    if (c.home.pause().active() && c.home.pause().postpones(c, cmd, argv)) {
      return null; // CLIENT PAUSE: it runs when the pause ends (resumePostponed)
    }
    if (c.tx.open() && !CommandKinds.runsInsideMulti(cmd)) {
      c.tx.add(cmd, argv);
      c.out.simple("QUEUED");
      return null;
    }
    return cmd;
  }

  /** enable-debug-command: yes, or local and this connection comes from a loopback address. */
  private static boolean debugAllowed(Client c) {
    String mode = c.kiln.config().getString("enable-debug-command");
    if ("yes".equals(mode)) {
      return true;
    }
    if (!"local".equals(mode) || c.replay) {
      return false; // (the AOF holds no DEBUG: one in a file is refused, not run)
    }
    String host = c.remoteHost();
    return host == null || host.equals("127.0.0.1") || host.equals("::1")
        || host.equals("0:0:0:0:0:0:0:1");
  }
}
