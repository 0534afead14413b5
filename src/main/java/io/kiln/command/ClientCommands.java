package io.kiln.command;

import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * CLIENT and its subcommands (connection family): ID, SETNAME, GETNAME, LIST, INFO, KILL,
 * SETINFO, REPLY, NO-EVICT, HELP. Event loop.
 */
public final class ClientCommands {
  private ClientCommands() {}

  static final String BAD_NAME =
      "ERR Client names cannot contain spaces, newlines or special characters.";
  static final String NO_SUCH_CLIENT = "ERR No such client";
  static final String BAD_KILL_ID = "ERR client-id should be greater than 0";
  static final String BAD_LIST_ID = "ERR Invalid client ID";

  static final String[] HELP = {
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
  };

  static void register(CommandTable t) {
    CommandSpec client = t.container("client", -2, "");
    String flags = "admin noscript loading stale";
    String conn = "noscript loading stale";
    t.sub(client, "id", 2, conn, 0, 0, 0, (c, a) -> c.out.integer(c.id));
    t.sub(client, "setname", 3, conn, 0, 0, 0, ClientCommands::setname);
    t.sub(client, "getname", 2, conn, 0, 0, 0,
        (c, a) -> c.out.bulk(c.name == null ? null
            : c.name.getBytes(StandardCharsets.ISO_8859_1)));
    t.sub(client, "list", -2, flags, 0, 0, 0, ClientCommands::list);
    t.sub(client, "info", 2, conn, 0, 0, 0, (c, a) -> c.out.verbatim(c.infoLine() + "\n"));
    t.sub(client, "kill", -3, flags, 0, 0, 0, ClientCommands::kill);
    t.sub(client, "setinfo", 4, conn, 0, 0, 0, ClientCommands::setinfo);
    t.sub(client, "reply", 3, conn, 0, 0, 0, ClientCommands::reply);
    t.sub(client, "no-evict", 3, flags, 0, 0, 0, ClientCommands::noEvict);
    t.sub(client, "help", 2, "loading stale", 0, 0, 0, (c, a) -> ServerCommands.help(c, HELP));
  }

  /** Names are printable ASCII without spaces (Redis's rule). */
  static boolean validName(String name) {
    for (int i = 0; i < name.length(); i++) {
      char ch = name.charAt(i);
      if (ch < '!' || ch > '~') {
        return false;
      }
    }
    return true;
  }

  static void setname(Client c, byte[][] argv) {
    String name = Numbers.ascii(argv[2]);
    if (!validName(name)) {
      c.error(BAD_NAME);
      return;
    }
    c.name = name.isEmpty() ? null : name;
    c.ok();
  }

  /** CLIENT SETINFO LIB-NAME|LIB-VER value (a Redis 7.2 command; 7.0 does not know it). */
  static void setinfo(Client c, byte[][] argv) {
    String attr = Numbers.ascii(argv[2]);
    String value = Numbers.ascii(argv[3]);
    boolean libName = Args.is(argv[2], "lib-name");
    if (!libName && !Args.is(argv[2], "lib-ver")) {
      c.error("ERR Unrecognized option '" + attr + "'");
      return;
    }
    if (!validName(value)) {
      c.error("ERR " + attr + " cannot contain spaces, newlines or special characters.");
      return;
    }
    String v = value.isEmpty() ? null : value;
    if (libName) {
      c.libName = v;
    } else {
      c.libVersion = v;
    }
    c.ok();
  }

  /** Client types as Redis names them; all Kiln clients are normal ones for now. */
  private static String type(byte[] arg) {
    String t = Numbers.ascii(arg).toLowerCase(Locale.ROOT);
    return switch (t) {
      case "normal", "master", "pubsub" -> t;
      case "replica", "slave" -> "replica";
      default -> null;
    };
  }

  private static String typeOf(Client c) {
    return "normal";
  }

  static void list(Client c, byte[][] argv) {
    List<Client> chosen = new ArrayList<>();
    if (argv.length == 4 && Args.is(argv[2], "type")) {
      String type = type(argv[3]);
      if (type == null) {
        c.error("ERR Unknown client type '" + Numbers.ascii(argv[3]) + "'");
        return;
      }
      for (Client other : c.home.clients().values()) {
        if (typeOf(other).equals(type)) {
          chosen.add(other);
        }
      }
    } else if (argv.length > 3 && Args.is(argv[2], "id")) {
      List<Long> ids = new ArrayList<>();
      for (int i = 3; i < argv.length; i++) {
        Long id = Numbers.toLong(argv[i]);
        if (id == null) {
          c.error(BAD_LIST_ID);
          return;
        }
        ids.add(id);
      }
      for (long id : ids) {
        Client other = c.home.clients().get(id);
        if (other != null) {
          chosen.add(other);
        }
      }
    } else if (argv.length != 2) {
      c.error(Errors.SYNTAX);
      return;
    } else {
      chosen.addAll(c.home.clients().values());
    }
    StringBuilder sb = new StringBuilder();
    for (Client other : chosen) {
      sb.append(other.infoLine()).append('\n');
    }
    c.out.verbatim(sb.toString());
  }

  static void kill(Client c, byte[][] argv) {
    if (argv.length == 3) {
      // old form: CLIENT KILL addr
      String addr = Numbers.ascii(argv[2]);
      for (Client other : List.copyOf(c.home.clients().values())) {
        if (other.addr.equals(addr) && !other.isClosing()) {
          c.ok();
          kill(c, other);
          return;
        }
      }
      c.error(NO_SUCH_CLIENT);
      return;
    }
    String addr = null;
    String laddr = null;
    String type = null;
    String user = null;
    long id = 0;
    boolean skipMe = true;
    for (int i = 2; i < argv.length; i += 2) {
      if (i + 1 >= argv.length) {
        c.error(Errors.SYNTAX);
        return;
      }
      byte[] opt = argv[i];
      byte[] val = argv[i + 1];
      if (Args.is(opt, "id")) {
        Long v = Numbers.toLong(val);
        if (v == null || v <= 0) {
          c.error(BAD_KILL_ID);
          return;
        }
        id = v;
      } else if (Args.is(opt, "type")) {
        type = type(val);
        if (type == null) {
          c.error("ERR Unknown client type '" + Numbers.ascii(val) + "'");
          return;
        }
      } else if (Args.is(opt, "addr")) {
        addr = Numbers.ascii(val);
      } else if (Args.is(opt, "laddr")) {
        laddr = Numbers.ascii(val);
      } else if (Args.is(opt, "user")) {
        user = Numbers.ascii(val);
        if (!user.equals("default")) {
          c.error("ERR No such user '" + user + "'");
          return;
        }
      } else if (Args.is(opt, "skipme")) {
        if (Args.is(val, "yes")) {
          skipMe = true;
        } else if (Args.is(val, "no")) {
          skipMe = false;
        } else {
          c.error(Errors.SYNTAX);
          return;
        }
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    List<Client> victims = new ArrayList<>();
    for (Client other : c.home.clients().values()) {
      if ((addr != null && !other.addr.equals(addr))
          || (laddr != null && !other.laddr.equals(laddr))
          || (type != null && !typeOf(other).equals(type))
          || (id != 0 && other.id != id)
          || (skipMe && other == c)
          || other.isClosing()) {
        continue;
      }
      victims.add(other);
    }
    c.out.integer(victims.size());
    for (Client v : victims) {
      kill(c, v);
    }
  }

  /** Closes {@code victim}; the calling client itself goes after its reply is sent. */
  private static void kill(Client self, Client victim) {
    if (victim == self) {
      self.closeAfterReply();
    } else {
      victim.close();
    }
  }

  static void reply(Client c, byte[][] argv) {
    if (Args.is(argv[2], "on")) {
      c.replyMode = Client.ReplyMode.ON;
      c.ok();
    } else if (Args.is(argv[2], "off")) {
      c.replyMode = Client.ReplyMode.OFF;
    } else if (Args.is(argv[2], "skip")) {
      if (c.replyMode != Client.ReplyMode.OFF) {
        c.skipNextReply();
      }
    } else {
      int mark = c.out.mark();
      c.error(Errors.SYNTAX);
      if (c.replyMode == Client.ReplyMode.OFF) {
        c.out.truncate(mark);
      }
    }
  }

  static void noEvict(Client c, byte[][] argv) {
    if (Args.is(argv[2], "on") || Args.is(argv[2], "off")) {
      c.ok();
    } else {
      c.error(Errors.SYNTAX);
    }
  }
}
