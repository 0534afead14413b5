package io.kiln.command;

import io.kiln.server.Client;

/**
 * The server family: INFO, TIME, DBSIZE, FLUSHDB, FLUSHALL, SHUTDOWN, SLOWLOG, MONITOR; CONFIG,
 * COMMAND and DEBUG have files of their own. Event loop.
 */
public final class ServerCommands {
  private ServerCommands() {}

  static void register(CommandTable t) {
    t.add("dbsize", 1, "readonly fast", 0, 0, 0, ServerCommands::dbsize);
    t.add("flushall", -1, "write", 0, 0, 0, ServerCommands::flushall);
  }

  static void dbsize(Client c, byte[][] argv) {
    c.out.integer(c.db().size());
  }

  static void flushall(Client c, byte[][] argv) {
    c.shard.flushAll();
    c.shard.dirty++;
    c.ok();
  }
}
