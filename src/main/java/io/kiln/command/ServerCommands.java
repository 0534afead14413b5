package io.kiln.command;

import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import io.kiln.server.SlowLog;
import java.time.Instant;
import java.util.List;

/**
 * The server family: INFO, TIME, DBSIZE, FLUSHDB, FLUSHALL, SHUTDOWN, SLOWLOG, MONITOR; CONFIG,
 * COMMAND and DEBUG have files of their own. Event loop.
 */
public final class ServerCommands {
  private ServerCommands() {}


  static final String[] SLOWLOG_HELP = {
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
  };

  static void register(CommandTable t) {
    t.add("info", -1, "loading stale", 0, 0, 0, ServerCommands::info);
    t.add("time", 1, "loading stale fast", 0, 0, 0, ServerCommands::time);
    t.add("dbsize", 1, "readonly fast", 0, 0, 0, ServerCommands::dbsize);
    t.add("flushdb", -1, "write", 0, 0, 0, ServerCommands::flushdb);
    t.add("flushall", -1, "write", 0, 0, 0, ServerCommands::flushall);
    t.add("shutdown", -1, "admin noscript loading stale no_multi allow_busy", 0, 0, 0,
        ServerCommands::shutdown);
    t.add("monitor", 1, "admin noscript loading stale", 0, 0, 0, ServerCommands::monitor);
    CommandSpec slowlog = t.container("slowlog", -2, "");
    t.sub(slowlog, "get", -2, "admin loading stale", 0, 0, 0, ServerCommands::slowlogGet);
    t.sub(slowlog, "len", 2, "admin loading stale", 0, 0, 0,
        (c, a) -> c.out.integer(c.home.slowLog().size()));
    t.sub(slowlog, "reset", 2, "admin loading stale", 0, 0, 0, (c, a) -> {
      c.home.slowLog().reset();
      c.ok();
    });
    t.sub(slowlog, "help", 2, "loading stale", 0, 0, 0, (c, a) -> help(c, SLOWLOG_HELP));
  }

  /** A HELP reply: status lines, as Redis's addReplyHelp sends them. */
  static void help(Client c, String[] lines) {
    c.out.array(lines.length);
    for (String l : lines) {
      c.out.simple(l);
    }
  }

  static void info(Client c, byte[][] argv) {
    c.out.verbatim(Info.build(c, Info.sections(argv, 1)));
  }

  static void time(Client c, byte[][] argv) {
    Instant now = Instant.now();
    c.out.array(2);
    c.out.bulkLong(now.getEpochSecond());
    c.out.bulkLong(now.getNano() / 1000);
  }

  static void dbsize(Client c, byte[][] argv) {
    c.out.integer(c.db().size());
  }

  /** FLUSHDB/FLUSHALL's optional ASYNC|SYNC; false after replying a syntax error. */
  private static boolean flushOption(Client c, byte[][] argv) {
    if (argv.length == 1) {
      return true;
    }
    if (argv.length == 2 && (Args.is(argv[1], "async") || Args.is(argv[1], "sync"))) {
      return true;
    }
    c.error(Errors.SYNTAX);
    return false;
  }

  /**
   * Counts what an asynchronous flush (ASYNC, or no option under lazyfree-lazy-user-flush) hands
   * to Redis's lazy freer: every key. Kiln's flush drops its tables in O(1) either way.
   */
  private static void countLazyFlush(Client c, byte[][] argv, long keys) {
    boolean async = argv.length == 2 ? Args.is(argv[1], "async")
        : c.kiln.config().getBool("lazyfree-lazy-user-flush");
    if (async) {
      c.shard.stats.lazyfreedObjects += keys;
    }
  }

  static void flushdb(Client c, byte[][] argv) {
    if (!flushOption(c, argv)) {
      return;
    }
    c.shard.dirty += c.db().size();
    countLazyFlush(c, argv, c.db().size());
    c.db().flush();
    c.ok();
  }

  static void flushall(Client c, byte[][] argv) {
    if (!flushOption(c, argv)) {
      return;
    }
    c.shard.dirty += c.shard.keyCount();
    countLazyFlush(c, argv, c.shard.keyCount());
    // As Redis kills its saving child, a running snapshot is abandoned...
    c.home.snapshotter().abort();
    c.shard.flushAll();
    if (c.kiln.config().savePoints().isEmpty() || c.inExec() || c.shard.replaying) {
      c.ok();
      return;
    }
    // ...and with save points configured, the now empty dataset is saved on the spot.
    c.suspend();
    c.home.holdClients();
    c.home.snapshotter().save(false).onComplete(ar -> {
      c.home.releaseClients();
      c.ok(); // the save left no change unsaved: rdb_changes_since_last_save is 0, as in 7.0
      c.resume();
    });
  }

  static void shutdown(Client c, byte[][] argv) {
    boolean nosave = false;
    boolean save = false;
    boolean abort = false;
    boolean other = false;
    for (int i = 1; i < argv.length; i++) {
      if (Args.is(argv[i], "nosave")) {
        nosave = true;
      } else if (Args.is(argv[i], "save")) {
        save = true;
      } else if (Args.is(argv[i], "now") || Args.is(argv[i], "force")) {
        other = true;
      } else if (Args.is(argv[i], "abort")) {
        abort = true;
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    if ((abort && (nosave || save || other)) || (nosave && save)) {
      c.error(Errors.SYNTAX);
      return;
    }
    if (abort) {
      // Only a signal's shutdown waits (for the periodic job): Kiln has no replicas to wait for.
      if (c.kiln.signalShutdown().abort()) {
        c.ok();
      } else {
        c.error(Errors.SHUTDOWN_NONE_IN_PROGRESS);
      }
      return;
    }
    boolean force = false;
    for (int i = 1; i < argv.length; i++) {
      force |= Args.is(argv[i], "force");
    }
    c.suspend();
    c.kiln.shutdown(save ? Boolean.TRUE : nosave ? Boolean.FALSE : null, force).onFailure(err -> {
      c.error(Errors.ERR_PREFIX + err.getMessage());
      c.resume();
    });
  }

  static void monitor(Client c, byte[][] argv) {
    if (c.inMulti() || c.inExec()) {
      c.error(Errors.MONITOR_DENY_BLOCKING);
      return;
    }
    if (c.monitor) {
      return; // already monitoring: Redis ignores it without a reply
    }
    c.monitor = true;
    c.home.startMonitoring(c);
    c.ok();
  }

  static void slowlogGet(Client c, byte[][] argv) {
    long count = 10;
    if (argv.length > 3) {
      c.error(Errors.subcommandSyntax(Numbers.ascii(argv[1]), "SLOWLOG"));
      return;
    }
    if (argv.length == 3) {
      Long v = Numbers.toLong(argv[2]);
      if (v == null || v < -1) {
        c.error(Errors.SLOWLOG_COUNT);
        return;
      }
      count = v;
    }
    List<SlowLog.Entry> entries =
        c.home.slowLog().newest(count == -1 ? -1 : (int) Math.min(count, Integer.MAX_VALUE));
    c.out.array(entries.size());
    for (SlowLog.Entry e : entries) {
      c.out.array(6);
      c.out.integer(e.id());
      c.out.integer(e.timestampSec());
      c.out.integer(e.micros());
      c.out.array(e.args().size());
      for (byte[] a : e.args()) {
        c.out.bulk(a);
      }
      c.out.bulk(e.addr());
      c.out.bulk(e.clientName());
    }
  }
}
