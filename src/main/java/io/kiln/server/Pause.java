package io.kiln.server;

import io.kiln.command.CommandSpec;
import io.kiln.command.ScriptCommands;
import io.kiln.keyspace.Shard;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CLIENT PAUSE and CLIENT UNPAUSE, as Redis 7.0 has them. While a pause is on, a client's
 * command that it covers (every command for ALL; for WRITE, the commands that write or may
 * replicate: EVAL/EVALSHA/FCALL unless their script or function declares no-writes, PUBLISH,
 * PFCOUNT, and EXEC of a transaction holding one) is postponed after the gates that answer at
 * once (unknown command, arity, auth, OOM...): the client gets no reply and reads no further
 * request until the pause ends (its timeout, or UNPAUSE), when the postponed commands run in
 * the order they arrived, through the gates again. A later pause keeps the longer deadline and
 * the stricter kind.
 *
 * <p>While paused the dataset stays as it is: no active expiry, no eviction, and a key past its
 * TTL reads as missing without being deleted ({@link Shard#datasetFrozen}). A pause set inside
 * EXEC freezes the dataset when the transaction ends (its later commands run as if unpaused).
 *
 * <p>One per shard verticle, owned by its event loop; not thread-safe. (Kiln runs one shard;
 * with more, CLIENT PAUSE would have to reach each shard's Pause.)
 */
public final class Pause {
  /** The kinds of pause, least restrictive first. */
  public enum Kind { OFF, WRITE, ALL }

  private final ShardVerticle home;
  private final Vertx vertx;
  private final Shard shard;
  private Kind kind = Kind.OFF;
  /** When the pause ends, ms since epoch (Long.MAX_VALUE: at UNPAUSE only). */
  private long endMs;
  /** The timer that ends the pause, -1 when none. */
  private long timer = -1;
  /** The pause began inside EXEC: the dataset freezes when the transaction ends. */
  private boolean freezePending;
  /** The clients whose command waits, in arrival order, with that command. */
  private final Map<Client, byte[][]> postponed = new LinkedHashMap<>();

  Pause(ShardVerticle home, Vertx vertx) {
    this.home = home;
    this.vertx = vertx;
    this.shard = home.shard();
  }

  /** True while a pause is on: the one check on the command path. */
  public boolean active() {
    return kind != Kind.OFF;
  }

  /**
   * CLIENT PAUSE: pauses {@code kind} commands until {@code endMs} (ms since epoch; one already
   * past pauses nothing), or extends the pause in force to the later deadline and the stricter
   * kind. {@code inExec}: called from a transaction, whose remaining commands still run.
   */
  public void pause(long endMs, Kind kind, boolean inExec) {
    long now = System.currentTimeMillis();
    if (this.kind != Kind.OFF && this.endMs < now) {
      end(); // over already, its timer not yet run
    }
    if (this.kind == Kind.OFF && endMs < now) {
      return;
    }
    if (kind.compareTo(this.kind) > 0) {
      this.kind = kind;
    }
    if (endMs > this.endMs) {
      this.endMs = endMs;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
      long delay = Math.max(1, endMs - now);
      if (delay < (1L << 40)) { // beyond ~35 years: until UNPAUSE
        timer = vertx.setTimer(delay, id -> {
          timer = -1;
          end();
        });
      }
    }
    if (inExec) {
      freezePending = !shard.datasetFrozen;
    } else {
      shard.datasetFrozen = true;
    }
  }

  /** CLIENT UNPAUSE: the pause ends now and the postponed commands run. */
  public void unpause() {
    if (kind != Kind.OFF) {
      end();
    }
  }

  /** The command (the transaction) that set the pause from inside EXEC has ended. */
  void transactionEnded() {
    if (freezePending) {
      freezePending = false;
      shard.datasetFrozen = kind != Kind.OFF;
    }
  }

  private void end() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    kind = Kind.OFF;
    endMs = 0;
    freezePending = false;
    shard.datasetFrozen = false;
    if (postponed.isEmpty()) {
      return;
    }
    // They run on a later turn of the event loop, in arrival order (as Redis serves its
    // unblocked clients before it sleeps), never inside the command that ended the pause.
    List<Map.Entry<Client, byte[][]>> due = new ArrayList<>(postponed.entrySet());
    postponed.clear();
    home.execute(() -> {
      for (Map.Entry<Client, byte[][]> e : due) {
        e.getKey().resumePostponed(e.getValue());
      }
    });
  }

  /**
   * The gate, called while {@link #active}: postpones {@code c}'s command when the pause covers
   * it and returns true (the client then waits, without a reply); false lets it run.
   */
  boolean postpones(Client c, CommandSpec cmd, byte[][] argv) {
    if (c.isScript() || c.isReplay()) {
      return false;
    }
    if (endMs < System.currentTimeMillis()) { // over, its timer not yet run
      if (postponed.isEmpty()) {
        end();
        return false;
      }
      hold(c, cmd, argv); // after the commands that waited, as they were first
      end();
      return true;
    }
    if (kind == Kind.WRITE && !mayReplicate(c, cmd, argv)) {
      return false;
    }
    hold(c, cmd, argv);
    return true;
  }

  private void hold(Client c, CommandSpec cmd, byte[][] argv) {
    postponed.put(c, argv);
    c.lastCommand = cmd.fullName(); // CLIENT LIST names it while it waits, as Redis
    c.block();
  }

  /**
   * A command the WRITE pause holds: flagged write or may_replicate (a script or function by
   * the flags it declares, as Redis's scriptFlagsToCmdFlags), or EXEC of a transaction holding
   * one.
   */
  private static boolean mayReplicate(Client c, CommandSpec cmd, byte[][] argv) {
    if (cmd.parent == null && cmd.name.equals("exec")) {
      for (Transaction.Queued q : c.queuedCommands()) {
        if (mayReplicate(c, q.spec(), q.argv())) {
          return true;
        }
      }
      return false;
    }
    int declared = ScriptCommands.declaredWrites(c, cmd, argv);
    if (declared >= 0) {
      return declared == 1;
    }
    return cmd.has(CommandSpec.WRITE) || cmd.has(CommandSpec.MAY_REPLICATE);
  }

  /** True while {@code c} waits for the pause to end. */
  public boolean isPostponed(Client c) {
    return postponed.containsKey(c);
  }

  /** Clients waiting for the pause to end (counted in INFO blocked_clients, as Redis). */
  public int postponedCount() {
    return postponed.size();
  }

  /** A disconnected client leaves the queue. */
  void remove(Client c) {
    postponed.remove(c);
  }
}
