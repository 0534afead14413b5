package io.kiln.server;

import io.kiln.command.CommandSpec;
import io.kiln.resp.Errors;
import java.util.ArrayList;
import java.util.List;

/**
 * A connection's transaction: the commands queued since MULTI, whether one was refused meanwhile
 * (its EXEC then aborts), the keys it WATCHes, and EXEC itself, which runs the queue as one
 * instant or fails as Redis does.
 *
 * <p>Owned by its client's event loop; not thread-safe.
 */
final class Transaction {
  /** A command queued between MULTI and EXEC. */
  record Queued(CommandSpec spec, byte[][] argv) {}

  private List<Queued> queued;
  /** A command was refused while open: EXEC answers EXECABORT. */
  private boolean doomed;
  final Watches watches = new Watches();

  /** True between MULTI and EXEC/DISCARD. */
  boolean open() {
    return queued != null;
  }

  void begin() {
    queued = new ArrayList<>();
    doomed = false;
  }

  void add(CommandSpec spec, byte[][] argv) {
    queued.add(new Queued(spec, argv));
  }

  /** A command refused while open: the EXEC will abort. */
  void doom() {
    if (queued != null) {
      doomed = true;
    }
  }

  /** The commands queued since MULTI (none outside a transaction). */
  List<Queued> queued() {
    return queued == null ? List.of() : queued;
  }

  /** Commands queued since MULTI, -1 outside a transaction (CLIENT LIST multi). */
  int count() {
    return queued == null ? -1 : queued.size();
  }

  /** Ends it (EXEC, DISCARD, a refused EXEC, RESET): the queue and every watch go. */
  void end() {
    queued = null;
    doomed = false;
    watches.unwatchAll();
  }

  /** EXEC on {@code c}: the queued commands as one instant, or the failure Redis replies. */
  void exec(Client c) {
    List<Queued> run = queued;
    boolean aborted = doomed;
    boolean touched = watches.touchedOrExpired();
    end();
    if (aborted) {
      c.error(Errors.EXEC_ABORT);
      return;
    }
    if (touched) {
      c.home.gate().observed(c); // it tells of another client's write
      c.out.nullArray();
      return;
    }
    c.out.array(run.size());
    c.shard.fixTime(System.currentTimeMillis());
    c.execRunning(true);
    c.shard.effects.beginTransaction();
    try {
      for (Queued q : run) {
        // the rules may have changed since the command was queued (Redis checks again)
        String denied = c.user() == null ? null
            : AclGate.checkAtExec(c, c.user(), q.spec(), q.argv());
        if (denied != null) {
          c.error(denied);
          continue;
        }
        c.call(q.spec(), q.argv());
      }
    } finally {
      c.execRunning(false);
      c.shard.fixTime(0);
      c.shard.effects.endTransaction();
      c.shard.effects.suppress(); // EXEC itself is not an effect: MULTI ... EXEC were recorded
    }
  }
}
