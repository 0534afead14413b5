package io.kiln.server;

import io.kiln.acl.Acl;
import io.kiln.acl.AclRequest;
import io.kiln.acl.Catalog;
import io.kiln.acl.User;
import io.kiln.command.ClientCommands;
import io.kiln.command.CommandCommands;
import io.kiln.command.CommandSpec;
import io.kiln.resp.Errors;

/**
 * The ACL step of the central gates: whether a connection's user may run a command (its command
 * bit, its keys with the access they need, its channels), with the ACL log entry and Redis's
 * NOPERM text when not. Used at the gate (and again at EXEC for queued commands) and for the
 * commands of scripts.
 *
 * <p>Runs on the event loop of the client's shard (scripts' commands: on the script thread
 * while that event loop waits for it); stateless.
 */
public final class AclGate {
  private AclGate() {}

  /** One call's view for the check; keys and channels are found only when asked. */
  private static final class Call implements AclRequest {
    private final Catalog.Entry entry;
    private final CommandSpec spec;
    private final byte[][] argv;
    private int[][] keys;

    Call(Catalog.Entry entry, CommandSpec spec, byte[][] argv) {
      this.entry = entry;
      this.spec = spec;
      this.argv = argv;
    }

    @Override
    public Catalog.Entry entry() {
      return entry;
    }

    @Override
    public byte[][] argv() {
      return argv;
    }

    @Override
    public boolean noAuth() {
      return spec.has(CommandSpec.NO_AUTH);
    }

    @Override
    public int[][] keys() {
      if (keys == null) {
        keys = CommandCommands.aclKeys(spec, argv);
      }
      return keys;
    }

    @Override
    public int[][] channels() {
      return channelsOf(spec, argv);
    }
  }

  /** Channels a command subscribes or publishes to: {index, 1 for a pattern}. */
  static int[][] channelsOf(CommandSpec spec, byte[][] argv) {
    if (spec.parent != null) {
      return NONE;
    }
    switch (spec.name) {
      case "subscribe", "ssubscribe", "psubscribe" -> {
        int pattern = spec.name.equals("psubscribe") ? 1 : 0;
        int[][] out = new int[argv.length - 1][];
        for (int i = 1; i < argv.length; i++) {
          out[i - 1] = new int[] {i, pattern};
        }
        return out;
      }
      case "publish", "spublish" -> {
        return argv.length > 1 ? new int[][] {{1, 0}} : NONE;
      }
      default -> {
        return NONE;
      }
    }
  }

  private static final int[][] NONE = new int[0][];

  /** The denial's reason, or OK; {@code where[0]} the argument that failed. */
  private static int verdict(Client c, User user, CommandSpec spec, byte[][] argv, int[] where) {
    if (user.unrestricted()) {
      return Acl.OK; // the default user as shipped: no lookup, no allocation per command
    }
    Catalog.Entry entry = c.kiln.acl().catalog().byId(spec.id);
    if (entry == null) {
      return Acl.DENIED_CMD;
    }
    return user.check(new Call(entry, spec, argv), where);
  }

  /** The gate: null when allowed, else the NOPERM error (the ACL log has the event). */
  static String check(Client c, User user, CommandSpec spec, byte[][] argv, String context) {
    int[] where = {0};
    int v = verdict(c, user, spec, argv, where);
    if (v == Acl.OK) {
      return null;
    }
    log(c, c, user, v, context, spec, argv, where[0]);
    return switch (v) {
      case Acl.DENIED_KEY -> Errors.NOPERM_KEY;
      case Acl.DENIED_CHANNEL -> Errors.NOPERM_CHANNEL;
      default -> Errors.nopermCommand(spec.fullName());
    };
  }

  /** EXEC: a queued command checked again; null, or Redis's "rules changed" error. */
  static String checkAtExec(Client c, User user, CommandSpec spec, byte[][] argv) {
    int[] where = {0};
    int v = verdict(c, user, spec, argv, where);
    if (v == Acl.OK) {
      return null;
    }
    log(c, c, user, v, "multi", spec, argv, where[0]);
    return Errors.NOPERM_EXEC + switch (v) {
      case Acl.DENIED_KEY -> Errors.NOPERM_EXEC_KEY;
      case Acl.DENIED_CHANNEL -> Errors.NOPERM_EXEC_CHANNEL;
      default -> Errors.NOPERM_EXEC_COMMAND;
    };
  }

  /**
   * ACL DRYRUN: null when {@code user} may run the call, else Redis's sentence saying what
   * it may not touch (nothing is logged).
   */
  public static String dryRun(Client c, User user, CommandSpec spec, byte[][] argv) {
    int[] where = {0};
    int v = verdict(c, user, spec, argv, where);
    return switch (v) {
      case Acl.OK -> null;
      case Acl.DENIED_KEY -> Errors.dryRunKey(Acl.text(argv[where[0]]));
      case Acl.DENIED_CHANNEL -> Errors.dryRunChannel(Acl.text(argv[where[0]]));
      default -> Errors.dryRunCommand(spec.fullName());
    };
  }

  /**
   * SORT's BY and GET: true when the connection's user may run this SORT with read access to
   * every key (a selector that allows the command and has allkeys, ~* or %R~*).
   */
  public static boolean fullReadAccess(Client c, byte[][] argv) {
    User user = c.isScript() ? null : c.user();
    if (user == null) {
      return true;
    }
    CommandSpec spec = c.kiln.commands().lookup(
        io.kiln.resp.Numbers.ascii(argv[0]).toLowerCase(java.util.Locale.ROOT));
    Catalog.Entry entry = spec == null ? null : c.kiln.acl().catalog().byId(spec.id);
    return entry != null && user.unrestrictedAccess(new Call(entry, spec, argv),
        io.kiln.acl.Selector.READ);
  }

  /** A script's command, run for {@code caller}: null, or the script error text. */
  static String checkForScript(Client caller, CommandSpec spec, byte[][] argv) {
    User user = caller.user();
    if (user == null) {
      return null;
    }
    int[] where = {0};
    int v = verdict(caller, user, spec, argv, where);
    if (v == Acl.OK) {
      return null;
    }
    log(caller, caller, user, v, "lua", spec, argv, where[0]);
    return Errors.SCRIPT_ACL + switch (v) {
      case Acl.DENIED_KEY -> Errors.ACL_DENIED_KEY;
      case Acl.DENIED_CHANNEL -> Errors.ACL_DENIED_CHANNEL;
      default -> Errors.ACL_DENIED_COMMAND;
    };
  }

  private static void log(Client c, Client real, User user, int reason, String context,
      CommandSpec spec, byte[][] argv, int where) {
    String why;
    byte[] object;
    switch (reason) {
      case Acl.DENIED_KEY -> {
        why = "key";
        object = argv[where];
      }
      case Acl.DENIED_CHANNEL -> {
        why = "channel";
        object = argv[where];
      }
      default -> {
        why = "command";
        object = Acl.bytes(spec.fullName());
      }
    }
    c.kiln.acl().log().add(why, context, object, user.name, ClientCommands.infoLine(real),
        c.kiln.config().getLong("acllog-max-len"));
  }
}
