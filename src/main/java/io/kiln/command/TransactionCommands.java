package io.kiln.command;

import io.kiln.resp.Errors;
import io.kiln.server.Client;

/**
 * The transactions family: MULTI, EXEC, DISCARD, WATCH, UNWATCH. Queueing itself happens in the
 * central gates ({@link Client}); these handlers open, run and cancel the queue. Event loop.
 */
public final class TransactionCommands {
  private TransactionCommands() {}

  static void register(CommandTable t) {
    t.add("multi", 1, "noscript loading stale fast allow_busy", 0, 0, 0,
        TransactionCommands::multi);
    t.add("exec", 1, "noscript loading stale skip_slowlog", 0, 0, 0, TransactionCommands::exec);
    t.add("discard", 1, "noscript loading stale fast allow_busy", 0, 0, 0,
        TransactionCommands::discard);
    t.add("watch", -2, "noscript loading stale fast allow_busy", 1, -1, 1,
        TransactionCommands::watch);
    t.add("unwatch", 1, "noscript loading stale fast allow_busy", 0, 0, 0,
        TransactionCommands::unwatch);
  }

  static void multi(Client c, byte[][] argv) {
    if (c.inMulti()) {
      c.error(Errors.MULTI_NESTED);
      return;
    }
    c.beginMulti();
    c.ok();
  }

  static void exec(Client c, byte[][] argv) {
    if (!c.inMulti()) {
      c.error(Errors.EXEC_WITHOUT_MULTI);
      return;
    }
    c.exec();
  }

  static void discard(Client c, byte[][] argv) {
    if (!c.inMulti()) {
      c.error(Errors.DISCARD_WITHOUT_MULTI);
      return;
    }
    c.discardMulti();
    c.ok();
  }

  static void watch(Client c, byte[][] argv) {
    if (c.inMulti()) {
      c.error(Errors.WATCH_IN_MULTI);
      return;
    }
    for (int i = 1; i < argv.length; i++) {
      c.watch(argv[i]);
    }
    c.ok();
  }

  static void unwatch(Client c, byte[][] argv) {
    c.unwatchAll();
    c.ok();
  }
}
