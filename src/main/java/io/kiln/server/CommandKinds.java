package io.kiln.server;

import io.kiln.command.CommandSpec;
import java.util.List;

/**
 * The groups of commands that {@link Client}'s gates and reply handling single out: by name, and
 * by the flags of a transaction's queued commands (Redis's mstate flags). Stateless; any thread.
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

  /** The command has the flag, or it is EXEC and a queued command has it. */
  static boolean flagged(CommandSpec cmd, int flag, List<Transaction.Queued> queued) {
    if (cmd.has(flag)) {
      return true;
    }
    if (cmd.parent == null && cmd.name.equals("exec")) {
      for (Transaction.Queued q : queued) {
        if (q.spec().has(flag)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Commands without the loading flag wait for the dataset; so does EXEC of any of them. */
  static boolean deniedWhileLoading(CommandSpec cmd, List<Transaction.Queued> queued) {
    if (!cmd.has(CommandSpec.LOADING)) {
      return true;
    }
    if (cmd.parent == null && cmd.name.equals("exec")) {
      for (Transaction.Queued q : queued) {
        if (!q.spec().has(CommandSpec.LOADING)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Queued commands' arguments as Redis counts them: their bytes and a pointer each. */
  static long argvMemory(List<Transaction.Queued> queued) {
    long n = 0;
    for (Transaction.Queued q : queued) {
      n += 8L * q.argv().length;
      for (byte[] a : q.argv()) {
        n += a.length;
      }
    }
    return n;
  }
}
