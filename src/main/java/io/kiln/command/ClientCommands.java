package io.kiln.command;

import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import io.kiln.server.Pause;
import io.kiln.server.PubSub;
import io.kiln.server.Tracking;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * CLIENT and its subcommands (connection family): ID, SETNAME, GETNAME, LIST, INFO, KILL,
 * SETINFO, REPLY, NO-EVICT, HELP, and client-side caching's TRACKING, CACHING, GETREDIR and
 * TRACKINGINFO (whose state {@link Tracking} keeps). Event loop.
 */
public final class ClientCommands {
  private ClientCommands() {}

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
    t.sub(client, "info", 2, conn, 0, 0, 0, (c, a) -> c.out.verbatim(infoLine(c) + "\n"));
    t.sub(client, "kill", -3, flags, 0, 0, 0, ClientCommands::kill);
    t.sub(client, "setinfo", 4, conn, 0, 0, 0, ClientCommands::setinfo);
    t.sub(client, "reply", 3, conn, 0, 0, 0, ClientCommands::reply);
    t.sub(client, "no-evict", 3, flags, 0, 0, 0, ClientCommands::noEvict);
    t.sub(client, "pause", -3, flags, 0, 0, 0, ClientCommands::pause);
    t.sub(client, "unpause", 2, flags, 0, 0, 0, (c, a) -> {
      c.home.pause().unpause();
      c.ok();
    });
    t.sub(client, "tracking", -3, conn, 0, 0, 0, ClientCommands::tracking);
    t.sub(client, "caching", 3, conn, 0, 0, 0, ClientCommands::caching);
    t.sub(client, "getredir", 2, conn, 0, 0, 0,
        (c, a) -> c.out.integer(c.trackingMode() == null ? -1 : c.trackingMode().redirect()));
    t.sub(client, "trackinginfo", 2, conn, 0, 0, 0, ClientCommands::trackingInfo);
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
      c.error(Errors.CLIENT_BAD_NAME);
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
      c.error(String.format(Errors.CLIENT_SETINFO_OPTION, attr));
      return;
    }
    if (!validName(value)) {
      c.error(String.format(Errors.CLIENT_SETINFO_VALUE, attr));
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
        c.error(String.format(Errors.CLIENT_TYPE_UNKNOWN, Numbers.ascii(argv[3])));
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
          c.error(Errors.CLIENT_LIST_ID);
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
      sb.append(infoLine(other)).append('\n');
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
      c.error(Errors.NO_SUCH_CLIENT);
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
          c.error(Errors.CLIENT_KILL_ID);
          return;
        }
        id = v;
      } else if (Args.is(opt, "type")) {
        type = type(val);
        if (type == null) {
          c.error(String.format(Errors.CLIENT_TYPE_UNKNOWN, Numbers.ascii(val)));
          return;
        }
      } else if (Args.is(opt, "addr")) {
        addr = Numbers.ascii(val);
      } else if (Args.is(opt, "laddr")) {
        laddr = Numbers.ascii(val);
      } else if (Args.is(opt, "user")) {
        user = io.kiln.acl.Acl.text(val);
        if (c.kiln.acl().user(user) == null) {
          c.error(String.format(Errors.CLIENT_NO_SUCH_USER, user));
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
          || (user != null && (other.user() == null || !other.user().name.equals(user)))
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

  // ---- client-side caching ----

  /** CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p]... [OPTIN] [OPTOUT] [NOLOOP]. */
  static void tracking(Client c, byte[][] argv) {
    long redirect = 0;
    int options = 0;
    List<byte[]> prefixes = new ArrayList<>();
    for (int j = 3; j < argv.length; j++) {
      boolean more = j + 1 < argv.length;
      byte[] a = argv[j];
      if (Args.is(a, "redirect") && more) {
        j++;
        if (redirect != 0) {
          c.error(Errors.TRACKING_ONE_REDIRECT);
          return;
        }
        Long id = Numbers.toLong(argv[j]);
        if (id == null) {
          c.error(Errors.NOT_INTEGER);
          return;
        }
        // it must exist now, though it may go later (then the redirection is broken)
        if (c.home.clients().get(id) == null) {
          c.error(Errors.TRACKING_NO_REDIRECT_CLIENT);
          return;
        }
        redirect = id;
      } else if (Args.is(a, "bcast")) {
        options |= Tracking.BCAST;
      } else if (Args.is(a, "optin")) {
        options |= Tracking.OPTIN;
      } else if (Args.is(a, "optout")) {
        options |= Tracking.OPTOUT;
      } else if (Args.is(a, "noloop")) {
        options |= Tracking.NOLOOP;
      } else if (Args.is(a, "prefix") && more) {
        prefixes.add(argv[++j]);
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    if (Args.is(argv[2], "on")) {
      String error = trackingConflict(c.trackingMode(), options, prefixes);
      if (error != null) {
        c.error(error);
        return;
      }
      c.home.tracking().enable(c, redirect, options, prefixes);
    } else if (Args.is(argv[2], "off")) {
      c.home.tracking().disable(c);
    } else {
      c.error(Errors.SYNTAX);
      return;
    }
    c.ok();
  }

  /** Why CLIENT TRACKING ON cannot apply these options to a client in mode {@code m}, or null. */
  private static String trackingConflict(Tracking.Mode m, int options, List<byte[]> prefixes) {
    boolean bcast = (options & Tracking.BCAST) != 0;
    boolean optin = (options & Tracking.OPTIN) != 0;
    boolean optout = (options & Tracking.OPTOUT) != 0;
    if (!bcast && !prefixes.isEmpty()) {
      return Errors.TRACKING_PREFIX_WITHOUT_BCAST;
    }
    if (m != null && m.has(Tracking.BCAST) != bcast) {
      return Errors.TRACKING_BCAST_SWITCH;
    }
    if (bcast && (optin || optout)) {
      return Errors.TRACKING_OPTIN_OPTOUT_WITH_BCAST;
    }
    if (optin && optout) {
      return Errors.TRACKING_OPTIN_AND_OPTOUT;
    }
    if (m != null && ((optin && m.has(Tracking.OPTOUT)) || (optout && m.has(Tracking.OPTIN)))) {
      return Errors.TRACKING_OPTIN_OPTOUT_SWITCH;
    }
    if (!bcast) {
      return null;
    }
    // two prefixes overlap when one starts the other: a key under both would be told twice
    for (int i = 0; i < prefixes.size(); i++) {
      byte[] p = prefixes.get(i);
      if (m != null) {
        for (byte[] existing : m.prefixes()) {
          if (overlap(existing, p)) {
            return Errors.prefixOverlapsExisting(Numbers.ascii(p), Numbers.ascii(existing));
          }
        }
      }
      for (int j = i + 1; j < prefixes.size(); j++) {
        if (overlap(p, prefixes.get(j))) {
          return Errors.prefixOverlapsProvided(Numbers.ascii(p), Numbers.ascii(prefixes.get(j)));
        }
      }
    }
    return null;
  }

  private static boolean overlap(byte[] a, byte[] b) {
    int n = Math.min(a.length, b.length);
    return java.util.Arrays.equals(a, 0, n, b, 0, n);
  }

  /** CLIENT CACHING YES|NO: whether the next command's keys are tracked (OPTIN / OPTOUT). */
  static void caching(Client c, byte[][] argv) {
    Tracking.Mode m = c.trackingMode();
    if (m == null) {
      c.error(Errors.CACHING_WITHOUT_TRACKING);
      return;
    }
    if (Args.is(argv[2], "yes")) {
      if (!m.has(Tracking.OPTIN)) {
        c.error(Errors.CACHING_YES_WITHOUT_OPTIN);
        return;
      }
    } else if (Args.is(argv[2], "no")) {
      if (!m.has(Tracking.OPTOUT)) {
        c.error(Errors.CACHING_NO_WITHOUT_OPTOUT);
        return;
      }
    } else {
      c.error(Errors.SYNTAX);
      return;
    }
    c.home.tracking().caching(c);
    c.ok();
  }

  /** CLIENT TRACKINGINFO: flags, redirect and prefixes, in Redis 7.0's order. */
  static void trackingInfo(Client c, byte[][] argv) {
    Tracking.Mode m = c.trackingMode();
    List<String> flags = new ArrayList<>();
    if (m == null) {
      flags.add("off");
    } else {
      flags.add("on");
      if (m.has(Tracking.BCAST)) {
        flags.add("bcast");
      }
      if (m.has(Tracking.OPTIN)) {
        flags.add("optin");
        if (m.caching()) {
          flags.add("caching-yes");
        }
      }
      if (m.has(Tracking.OPTOUT)) {
        flags.add("optout");
        if (m.caching()) {
          flags.add("caching-no");
        }
      }
      if (m.has(Tracking.NOLOOP)) {
        flags.add("noloop");
      }
      if (m.brokenRedirect()) {
        flags.add("broken_redirect");
      }
    }
    c.out.map(3);
    c.out.bulk("flags");
    c.out.set(flags.size());
    for (String f : flags) {
      c.out.bulk(f);
    }
    c.out.bulk("redirect");
    c.out.integer(m == null ? -1 : m.redirect());
    c.out.bulk("prefixes");
    c.out.array(m == null ? 0 : m.prefixes().size());
    if (m != null) {
      for (byte[] p : m.prefixes()) {
        c.out.bulk(p);
      }
    }
  }

  /** CLIENT PAUSE timeout [WRITE|ALL]: the mode is checked first, then the timeout, as Redis. */
  static void pause(Client c, byte[][] argv) {
    if (argv.length > 4) {
      c.error(Errors.subcommandSyntax("pause", "CLIENT"));
      return;
    }
    Pause.Kind kind = Pause.Kind.ALL;
    if (argv.length == 4) {
      if (Args.is(argv[3], "write")) {
        kind = Pause.Kind.WRITE;
      } else if (!Args.is(argv[3], "all")) {
        c.error(Errors.PAUSE_MODE);
        return;
      }
    }
    Long timeout = Numbers.toLong(argv[2]);
    if (timeout == null) {
      c.error(Errors.TIMEOUT_NOT_INTEGER);
      return;
    }
    if (timeout < 0) {
      c.error(Errors.TIMEOUT_NEGATIVE);
      return;
    }
    long now = System.currentTimeMillis();
    long end = timeout == 0 ? 0 : timeout > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + timeout;
    c.home.pause().pause(end, kind, c.inExec());
    c.ok();
  }

  static void noEvict(Client c, byte[][] argv) {
    if (Args.is(argv[2], "on") || Args.is(argv[2], "off")) {
      c.noEvict = Args.is(argv[2], "on");
      c.ok();
    } else {
      c.error(Errors.SYNTAX);
    }
  }

  /** One line of CLIENT LIST (and CLIENT INFO), in Redis 7.0's field order and flag letters. */
  public static String infoLine(Client c) {
    long now = System.currentTimeMillis();
    StringBuilder flags = new StringBuilder();
    if (c.monitor) {
      flags.append('O');
    }
    if (c.subscribed()) {
      flags.append('P');
    }
    if (c.inMulti()) {
      flags.append('x');
    }
    if (c.home.blocking().isBlocked(c) || c.home.pause().isPostponed(c)) {
      flags.append('b');
    }
    Tracking.Mode tracking = c.trackingMode();
    if (tracking != null) {
      flags.append('t');
      if (tracking.brokenRedirect()) {
        flags.append('R');
      }
      if (tracking.has(Tracking.BCAST)) {
        flags.append('B');
      }
    }
    if (c.isClosing()) {
      flags.append('c');
    }
    if (c.unixSocket) {
      flags.append('U');
    }
    if (c.noEvict) {
      flags.append('e');
    }
    if (flags.length() == 0) {
      flags.append('N');
    }
    PubSub.Subscriptions subs = c.subscriptions();
    return "id=" + c.id + " addr=" + c.addr + " laddr=" + c.laddr + " fd=" + (c.id + 7)
        + " name=" + (c.name == null ? "" : c.name)
        + " age=" + (now - c.createdMs) / 1000 + " idle=" + (now - c.lastInteractionMs) / 1000
        + " flags=" + flags + " db=" + c.dbIndex()
        + " sub=" + (subs == null ? 0 : subs.channels())
        + " psub=" + (subs == null ? 0 : subs.patterns())
        + " ssub=" + (subs == null ? 0 : subs.shardChannels())
        + " multi=" + c.queuedCount()
        + " qbuf=" + c.queryBuffer().used() + " qbuf-free=" + c.queryBuffer().free()
        + " argv-mem=" + c.queryBuffer().argvBytes() + " multi-mem=" + c.multiMemory()
        + " rbs=1024 rbp=0 obl=0 oll=0 omem=" + c.outputBufferBytes()
        + " tot-mem=" + c.memory() + " events=r"
        + " cmd=" + c.lastCommand + " user=" + (c.user() == null ? "(superuser)" : c.user().name)
        + " redir=" + (tracking == null ? -1 : tracking.redirect())
        + " resp=" + c.out.protocol()
        // Redis 7.0 has no lib-name/lib-ver; they appear once CLIENT SETINFO set them (7.2).
        + (c.libName == null && c.libVersion == null ? ""
            : " lib-name=" + (c.libName == null ? "" : c.libName)
                + " lib-ver=" + (c.libVersion == null ? "" : c.libVersion));
  }
}
