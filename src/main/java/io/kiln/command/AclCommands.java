package io.kiln.command;

import io.kiln.acl.Acl;
import io.kiln.acl.AclLog;
import io.kiln.acl.AclProblem;
import io.kiln.acl.Catalog;
import io.kiln.acl.User;
import io.kiln.config.Config;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import io.kiln.server.ShardVerticle;
import io.kiln.config.IoErrors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ACL family: ACL SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, LOG, SAVE, LOAD,
 * GENPASS, DRYRUN, HELP. Handlers run on the client's event loop, which owns the {@link Acl};
 * ACL SAVE and LOAD do their file I/O on a worker and finish back on that loop.
 */
public final class AclCommands {
  private static final Logger log = LoggerFactory.getLogger(AclCommands.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private AclCommands() {}

  /** What Redis says of a rule that could not be applied (ACLSetUserStringError). */
  public static String problemText(AclProblem.Kind kind) {
    return switch (kind) {
      case UNKNOWN_NAME -> Errors.ACL_RULE_UNKNOWN_NAME;
      case SYNTAX -> Errors.ACL_RULE_SYNTAX;
      case KEY_AFTER_ALL -> Errors.ACL_RULE_KEY_AFTER_ALL;
      case CHANNEL_AFTER_ALL -> Errors.ACL_RULE_CHANNEL_AFTER_ALL;
      case NO_SUCH_PASSWORD -> Errors.ACL_RULE_NO_SUCH_PASSWORD;
      case BAD_HASH -> Errors.ACL_RULE_BAD_HASH;
      case DUPLICATE_USER -> Errors.ACL_RULE_DUPLICATE_USER;
      case FIRST_ARG_OF_SUBCOMMAND -> Errors.ACL_RULE_FIRST_ARG_OF_SUBCOMMAND;
    };
  }

  static final String[] HELP = {
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help."
  };

  static void register(CommandTable t) {
    CommandSpec acl = t.container("acl", -2, "");
    String admin = "admin noscript loading stale";
    t.sub(acl, "cat", -2, "noscript loading stale", 0, 0, 0, AclCommands::cat);
    t.sub(acl, "deluser", -3, admin, 0, 0, 0, AclCommands::deluser);
    t.sub(acl, "dryrun", -4, admin, 0, 0, 0, AclCommands::dryrun);
    t.sub(acl, "genpass", -2, "noscript loading stale", 0, 0, 0, AclCommands::genpass);
    t.sub(acl, "getuser", 3, admin, 0, 0, 0, AclCommands::getuser);
    t.sub(acl, "help", 2, "loading stale", 0, 0, 0, (c, a) -> ServerCommands.help(c, HELP));
    t.sub(acl, "list", 2, admin, 0, 0, 0, AclCommands::list);
    t.sub(acl, "load", 2, admin, 0, 0, 0, AclCommands::load);
    t.sub(acl, "log", -2, admin, 0, 0, 0, AclCommands::log);
    t.sub(acl, "save", 2, admin, 0, 0, 0, AclCommands::save);
    t.sub(acl, "setuser", -3, admin, 0, 0, 0, AclCommands::setuser);
    t.sub(acl, "users", 2, admin, 0, 0, 0, AclCommands::users);
    t.sub(acl, "whoami", 2, "noscript loading stale", 0, 0, 0, AclCommands::whoami);
  }

  // ---- users ----

  static void setuser(Client c, byte[][] argv) {
    Acl acl = c.kiln.acl();
    if (Acl.hasSpaces(argv[2])) {
      c.error(Errors.ACL_USERNAME_SPACES);
      return;
    }
    String name = Acl.text(argv[2]);
    List<byte[]> rules = new ArrayList<>();
    for (int i = 3; i < argv.length; i++) {
      rules.add(argv[i]);
    }
    User before;
    try {
      before = acl.setUser(name, rules);
    } catch (Acl.RuleError e) {
      c.error(String.format(Errors.ACL_SETUSER_RULE, e.rule, problemText(e.kind)));
      return;
    } catch (Acl.UnmatchedParenthesis e) {
      c.error(Errors.aclUnmatchedParenthesis(e.rule));
      return;
    }
    c.ok();
    User user = acl.user(name);
    if (before != null && !Acl.keepsChannels(before, user)) {
      // subscribers of this user that lost a channel or pattern are closed, as Redis does
      closeClients(c, other -> other.user() == user && other.subscribed()
          && !other.subscriptions().all(user::canAccessChannel));
    }
  }

  static void deluser(Client c, byte[][] argv) {
    for (int i = 2; i < argv.length; i++) {
      if (Acl.text(argv[i]).equals("default")) {
        c.error(Errors.ACL_DEFAULT_UNDELETABLE);
        return;
      }
    }
    int deleted = 0;
    List<User> gone = new ArrayList<>();
    for (int i = 2; i < argv.length; i++) {
      User u = c.kiln.acl().deleteUser(Acl.text(argv[i]));
      if (u != null) {
        deleted++;
        gone.add(u);
      }
    }
    c.out.integer(deleted);
    closeClientsOf(c, gone);
  }

  /** Closes the connections authenticated as any of {@code users}. */
  private static void closeClientsOf(Client c, List<User> users) {
    if (!users.isEmpty()) {
      closeClients(c, other -> users.contains(other.user()));
    }
  }

  /**
   * Closes every connection that {@code which} selects, on its own event loop; the asking
   * connection goes once its reply is sent.
   */
  private static void closeClients(Client c, Predicate<Client> which) {
    for (ShardVerticle shard : c.kiln.shards()) {
      Runnable sweep = () -> {
        for (Client other : List.copyOf(shard.clients().values())) {
          if (!other.isClosing() && which.test(other)) {
            other.userRemoved(other == c);
          }
        }
      };
      if (shard == c.home) {
        sweep.run();
      } else {
        shard.execute(sweep);
      }
    }
  }

  static void getuser(Client c, byte[][] argv) {
    User u = c.kiln.acl().user(Acl.text(argv[2]));
    if (u == null) {
      c.out.nullBulk();
      return;
    }
    c.out.map(6);
    c.out.bulk("flags");
    List<String> flags = u.flags();
    c.out.set(flags.size());
    for (String f : flags) {
      c.out.bulk(f);
    }
    c.out.bulk("passwords");
    List<String> passwords = u.passwords();
    c.out.array(passwords.size());
    for (String p : passwords) {
      c.out.bulk(p);
    }
    selectorFields(c, u, 0);
    c.out.bulk("selectors");
    c.out.array(u.selectorCount() - 1);
    for (int i = 1; i < u.selectorCount(); i++) {
      c.out.map(3);
      selectorFields(c, u, i);
    }
  }

  private static void selectorFields(Client c, User u, int index) {
    for (String[] field : u.selectorFields(index)) {
      c.out.bulk(field[0]);
      c.out.bulk(Acl.bytes(field[1]));
    }
  }

  static void list(Client c, byte[][] argv) {
    List<String> lines = userLines(c.kiln.acl());
    c.out.array(lines.size());
    for (String l : lines) {
      c.out.bulk(Acl.bytes(l));
    }
  }

  private static List<String> userLines(Acl acl) {
    List<String> out = new ArrayList<>();
    for (User u : acl.users()) {
      out.add("user " + u.name + " " + u.describe());
    }
    return out;
  }

  /** CONFIG REWRITE's user lines: the users, or null when an aclfile holds them. */
  static List<String> userLinesForConfig(Client c) {
    if (!c.kiln.config().getString("aclfile").isEmpty()) {
      return null;
    }
    List<String> out = new ArrayList<>();
    for (String line : userLines(c.kiln.acl())) {
      // the ACL's bytes back to the config file's UTF-8 text (as the file was read)
      out.add(new String(Acl.bytes(line), StandardCharsets.UTF_8));
    }
    return out;
  }

  static void users(Client c, byte[][] argv) {
    c.out.array(c.kiln.acl().users().size());
    for (User u : c.kiln.acl().users()) {
      c.out.bulk(Acl.bytes(u.name));
    }
  }

  static void whoami(Client c, byte[][] argv) {
    User u = c.user();
    if (u == null) {
      c.out.nullBulk();
    } else {
      c.out.bulk(Acl.bytes(u.name));
    }
  }

  // ---- categories, passwords, log, dry runs ----

  static void cat(Client c, byte[][] argv) {
    if (argv.length > 3) {
      c.error(Errors.subcommandSyntax(Numbers.ascii(argv[1]), "ACL"));
      return;
    }
    if (argv.length == 2) {
      c.out.array(Catalog.CATEGORIES.size());
      for (String cat : Catalog.CATEGORIES) {
        c.out.bulk(cat);
      }
      return;
    }
    String name = Acl.text(argv[2]);
    long bit = Catalog.categoryBit(name);
    if (bit == 0) {
      c.error(Errors.aclUnknownCategory(name));
      return;
    }
    List<String> names = new ArrayList<>();
    for (Catalog.Entry e : c.kiln.acl().catalog().all()) {
      if (e.in(bit)) {
        names.add(e.fullName());
      }
    }
    c.out.array(names.size());
    for (String n : names) {
      c.out.bulk(n);
    }
  }

  static void genpass(Client c, byte[][] argv) {
    if (argv.length > 3) {
      c.error(Errors.subcommandSyntax(Numbers.ascii(argv[1]), "ACL"));
      return;
    }
    long bits = 256;
    if (argv.length == 3) {
      bits = Numbers.parseLong(argv[2]);
      if (bits == Numbers.NOT_A_LONG) {
        c.error(Errors.NOT_INTEGER);
        return;
      }
    }
    if (bits <= 0 || bits > 4096) {
      c.error(Errors.ACL_GENPASS_BITS);
      return;
    }
    int chars = (int) ((bits + 3) / 4);
    byte[] random = new byte[(chars + 1) / 2];
    RANDOM.nextBytes(random);
    c.out.bulk(HexFormat.of().formatHex(random).substring(0, chars));
  }

  static void log(Client c, byte[][] argv) {
    if (argv.length > 3) {
      c.error(Errors.subcommandSyntax(Numbers.ascii(argv[1]), "ACL"));
      return;
    }
    AclLog aclLog = c.kiln.acl().log();
    long count = 10;
    if (argv.length == 3) {
      if (Args.is(argv[2], "reset")) {
        aclLog.reset();
        c.ok();
        return;
      }
      count = Numbers.parseLong(argv[2]);
      if (count == Numbers.NOT_A_LONG) {
        c.error(Errors.NOT_INTEGER);
        return;
      }
      count = Math.max(count, 0);
    }
    List<AclLog.Entry> entries = aclLog.newest(count);
    long now = System.currentTimeMillis();
    c.out.array(entries.size());
    for (AclLog.Entry e : entries) {
      c.out.map(7);
      c.out.bulk("count");
      c.out.integer(e.count);
      c.out.bulk("reason");
      c.out.bulk(e.reason);
      c.out.bulk("context");
      c.out.bulk(e.context);
      c.out.bulk("object");
      c.out.bulk(e.object);
      c.out.bulk("username");
      c.out.bulk(Acl.bytes(e.username));
      c.out.bulk("age-seconds");
      c.out.dbl((double) (now - e.createdMs) / 1000);
      c.out.bulk("client-info");
      c.out.bulk(Acl.bytes(e.clientInfo));
    }
  }

  static void dryrun(Client c, byte[][] argv) {
    User u = c.kiln.acl().user(Acl.text(argv[2]));
    if (u == null) {
      c.error(Errors.aclNoSuchUser(Acl.text(argv[2])));
      return;
    }
    byte[][] call = java.util.Arrays.copyOfRange(argv, 3, argv.length);
    CommandSpec cmd = c.kiln.commands().lookup(Numbers.ascii(call[0]).toLowerCase(Locale.ROOT));
    if (cmd != null && cmd.isContainer() && call.length > 1) {
      cmd = cmd.subcommand(Numbers.ascii(call[1]).toLowerCase(Locale.ROOT));
    }
    if (cmd == null) { // (a container alone fails the arity check below, as in Redis)
      c.error(Errors.aclNoSuchCommand(Numbers.ascii(call[0])));
      return;
    }
    if (!cmd.arityOk(call.length)) {
      c.error(Errors.wrongArgs(cmd.fullName()));
      return;
    }
    String denial = io.kiln.server.AclGate.dryRun(c, u, cmd, call);
    if (denial == null) {
      c.ok();
    } else {
      c.out.bulk(Acl.bytes(denial));
    }
  }

  // ---- the ACL file ----

  /** The aclfile, relative to {@code dir} as Redis (which runs in its dir) resolves it. */
  public static Path aclPath(Config config) {
    return Path.of(config.getString("dir")).resolve(config.getString("aclfile"));
  }

  static void save(Client c, byte[][] argv) {
    if (c.kiln.config().getString("aclfile").isEmpty()) {
      c.error(Errors.ACL_NO_FILE);
      return;
    }
    if (c.inExec()) {
      c.error(Errors.aclFileInMulti("SAVE")); // a reply inside EXEC cannot wait for a worker
      return;
    }
    Path path = aclPath(c.kiln.config());
    String content = c.kiln.acl().fileContent();
    c.suspend();
    c.kiln.vertx().executeBlocking(() -> {
      Path tmp = path.resolveSibling(path.getFileName() + ".tmp-" + ProcessHandle.current().pid()
          + "-" + System.currentTimeMillis());
      try {
        Files.writeString(tmp, content, StandardCharsets.ISO_8859_1);
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
      return null;
    }, false).onComplete(ar -> {
      if (ar.succeeded()) {
        c.ok();
      } else {
        log.warn("Writing ACL file for ACL SAVE: {}", ar.cause() instanceof IOException io
            ? IoErrors.reason(io) : ar.cause().toString());
        c.error(Errors.ACL_SAVE_FAILED);
      }
      c.flush();
      c.resume();
    });
  }

  static void load(Client c, byte[][] argv) {
    Config config = c.kiln.config();
    String fileName = config.getString("aclfile");
    if (fileName.isEmpty()) {
      c.error(Errors.ACL_NO_FILE);
      return;
    }
    if (c.inExec()) {
      c.error(Errors.aclFileInMulti("LOAD"));
      return;
    }
    Path path = aclPath(config);
    c.suspend();
    c.kiln.vertx().executeBlocking(() -> Files.readString(path, StandardCharsets.ISO_8859_1),
        false).onComplete(ar -> {
          if (ar.failed()) {
            String why = ar.cause() instanceof IOException io ? IoErrors.reason(io)
                : ar.cause().toString();
            c.error(Errors.aclFileUnreadable(fileName, why));
          } else {
            Acl acl = c.kiln.acl();
            Acl.Loaded loaded = acl.parseFile(fileName, ar.result(), AclCommands::problemText);
            if (loaded.errors() != null) {
              c.error(Errors.ERR_PREFIX + loaded.errors());
            } else {
              c.ok();
              closeClientsOf(c, acl.install(loaded.users()));
            }
          }
          c.flush();
          c.resume();
        });
  }
}
