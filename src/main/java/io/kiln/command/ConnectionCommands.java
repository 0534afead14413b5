package io.kiln.command;

import io.kiln.resp.Errors;
import io.kiln.server.Server;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import java.util.Locale;

/**
 * The connection family: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO (CLIENT lives in
 * {@link ClientCommands}). Handlers run on the client's event loop.
 */
public final class ConnectionCommands {
  private ConnectionCommands() {}

  static void register(CommandTable t) {
    t.add("ping", -1, "fast", 0, 0, 0, ConnectionCommands::ping);
    t.add("echo", 2, "loading stale fast", 0, 0, 0, ConnectionCommands::echo);
    t.add("quit", -1, "noscript loading stale fast no_auth allow_busy", 0, 0, 0,
        ConnectionCommands::quit);
    t.add("reset", 1, "noscript loading stale fast no_auth allow_busy", 0, 0, 0,
        ConnectionCommands::reset);
    t.add("select", 2, "loading stale fast", 0, 0, 0, ConnectionCommands::select);
    t.add("auth", -2, "noscript loading stale fast no_auth allow_busy", 0, 0, 0,
        ConnectionCommands::auth);
    t.add("hello", -1, "noscript loading stale fast no_auth allow_busy", 0, 0, 0,
        ConnectionCommands::hello);
    ClientCommands.register(t);
  }

  private static final byte[] PONG = {'p', 'o', 'n', 'g'};

  static void ping(Client c, byte[][] argv) {
    if (argv.length > 2) {
      c.error(Errors.wrongArgs("ping"));
    } else if (c.subscribed() && !c.out.resp3()) {
      // RESP2 subscribed mode: the reply is shaped like a message, ["pong", arg-or-empty]
      c.out.array(2);
      c.out.bulk(PONG);
      c.out.bulk(argv.length == 2 ? argv[1] : new byte[0]);
    } else if (argv.length == 2) {
      c.out.bulk(argv[1]);
    } else {
      c.out.simple("PONG");
    }
  }

  static void echo(Client c, byte[][] argv) {
    c.out.bulk(argv[1]);
  }

  static void quit(Client c, byte[][] argv) {
    c.ok();
    c.closeAfterReply();
  }

  static void reset(Client c, byte[][] argv) {
    c.reset();
    c.out.simple("RESET");
  }

  static void select(Client c, byte[][] argv) {
    long id = Numbers.parseLong(argv[1]);
    if (id == Numbers.NOT_A_LONG || id > Integer.MAX_VALUE || id < Integer.MIN_VALUE) {
      c.error(Errors.NOT_INTEGER);
    } else if (id < 0 || id >= c.shard.databases()) {
      c.error(Errors.DB_OUT_OF_RANGE);
    } else {
      c.select((int) id);
      c.ok();
    }
  }

  static void auth(Client c, byte[][] argv) {
    if (argv.length > 3) {
      c.error(Errors.SYNTAX);
      return;
    }
    if (argv.length == 2 && c.kiln.acl().defaultUser().nopass()) {
      c.error(Errors.AUTH_WITHOUT_PASSWORD);
      return;
    }
    String user = argv.length == 3 ? io.kiln.acl.Acl.text(argv[1]) : "default";
    if (authenticate(c, user, argv[argv.length - 1], argv[0])) {
      c.ok();
    } else {
      c.error(Errors.WRONGPASS);
    }
  }

  /**
   * Checks credentials (AUTH, HELLO AUTH); on success the connection runs as that user, on
   * failure the ACL log records it ({@code command}: the command's name as sent).
   */
  private static boolean authenticate(Client c, String user, byte[] password, byte[] command) {
    io.kiln.acl.User u = c.kiln.acl().authenticate(user, password);
    if (u != null) {
      c.authenticate(u);
      return true;
    }
    c.kiln.acl().log().add("auth", c.inMulti() ? "multi" : "toplevel", command, user,
        ClientCommands.infoLine(c), c.kiln.config().getLong("acllog-max-len"));
    return false;
  }

  static void hello(Client c, byte[][] argv) {
    int proto = c.out.protocol();
    int i = 1;
    if (argv.length >= 2) {
      long v = Numbers.parseLong(argv[1]);
      if (v == Numbers.NOT_A_LONG) {
        c.error(Errors.HELLO_PROTOCOL_NOT_INTEGER);
        return;
      }
      if (v < 2 || v > 3) {
        c.error(Errors.NOPROTO);
        return;
      }
      proto = (int) v;
      i = 2;
    }
    String setName = null;
    for (; i < argv.length; i++) {
      String opt = Numbers.ascii(argv[i]).toLowerCase(Locale.ROOT);
      int left = argv.length - i - 1;
      if (opt.equals("auth") && left >= 2) {
        if (!authenticate(c, io.kiln.acl.Acl.text(argv[i + 1]), argv[i + 2], argv[0])) {
          c.error(Errors.WRONGPASS);
          return;
        }
        i += 2;
      } else if (opt.equals("setname") && left >= 1) {
        setName = Numbers.ascii(argv[i + 1]);
        if (!ClientCommands.validName(setName)) {
          c.error(Errors.CLIENT_BAD_NAME);
          return;
        }
        i += 1;
      } else {
        c.error(String.format(Errors.HELLO_SYNTAX, Numbers.ascii(argv[i])));
        return;
      }
    }
    if (!c.authenticated()) {
      c.error(Errors.HELLO_NOAUTH);
      return;
    }
    if (setName != null) {
      c.name = setName.isEmpty() ? null : setName;
    }
    c.out.protocol(proto);
    c.out.map(7);
    c.out.bulk("server");
    c.out.bulk("redis");
    c.out.bulk("version");
    c.out.bulk(Server.REDIS_VERSION);
    c.out.bulk("proto");
    c.out.integer(proto);
    c.out.bulk("id");
    c.out.integer(c.id);
    c.out.bulk("mode");
    c.out.bulk("standalone");
    c.out.bulk("role");
    c.out.bulk("master");
    c.out.bulk("modules");
    c.out.array(0);
  }
}
