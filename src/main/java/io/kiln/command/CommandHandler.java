package io.kiln.command;

import io.kiln.server.Client;

/**
 * Runs one command for a client whose arguments already passed the central gates (existence,
 * arity, auth, MULTI queueing): {@code argv[0]} is the command name as sent. Replies go to
 * {@code c.out}. Runs on the event loop of the shard that owns the command's keys.
 */
@FunctionalInterface
public interface CommandHandler {
  void run(Client c, byte[][] argv);
}
