package io.kiln.server;

import io.kiln.command.CommandSpec;

/**
 * The groups of commands that {@link Client}'s gates and reply handling single out by name.
 * Stateless; any thread.
 */
final class CommandKinds {
  private CommandKinds() {}

  /** The (un)subscribe commands, whose confirmations are pushes (RESP3) or act as such. */
  static boolean confirmsAsPush(CommandSpec cmd) {
    return cmd.parent == null && switch (cmd.name) {
      case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe",
          "sunsubscribe" -> true;
      default -> false;
    };
  }

  /** The commands a RESP2 client in subscribed mode may run. */
  static boolean allowedWhileSubscribed(CommandSpec cmd) {
    return cmd.parent == null && switch (cmd.name) {
      case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe",
          "ping", "quit", "reset" -> true;
      default -> false;
    };
  }

  /** The commands that run at once inside MULTI instead of being queued. */
  static boolean runsInsideMulti(CommandSpec cmd) {
    return switch (cmd.name) {
      case "exec", "discard", "multi", "watch", "quit", "reset" -> cmd.parent == null;
      default -> false;
    };
  }
}
