package io.kiln.command;

import io.kiln.server.Client;

/**
 * The generic (keyspace) family: DEL, EXISTS, TYPE, expiry, SCAN, RENAME, MOVE, COPY, OBJECT...
 * Event loop.
 */
public final class KeyCommands {
  private KeyCommands() {}

  static void register(CommandTable t) {
    t.add("del", -2, "write", 1, -1, 1, KeyCommands::del);
    t.add("exists", -2, "readonly fast", 1, -1, 1, KeyCommands::exists);
  }

  static void del(Client c, byte[][] argv) {
    long n = 0;
    for (int i = 1; i < argv.length; i++) {
      if (c.db().delete(argv[i])) {
        n++;
      }
    }
    c.shard.dirty += n;
    c.out.integer(n);
  }

  static void exists(Client c, byte[][] argv) {
    long n = 0;
    for (int i = 1; i < argv.length; i++) {
      if (c.db().exists(argv[i])) {
        n++;
      }
    }
    c.out.integer(n);
  }
}
