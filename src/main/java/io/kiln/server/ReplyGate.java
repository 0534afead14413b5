package io.kiln.server;

import io.kiln.command.CommandSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The reply gate of {@code appendfsync always}: which replies must wait for an fsync, and their
 * release when it ends. Batches of effects are numbered per shard; {@link #syncedSeq} is the last
 * one the AOF writer reported written and fsynced, {@link #collectingSeq} the one the current
 * event-loop round fills.
 *
 * <p><b>The rule.</b> A reply leaves Kiln only once every write it reflects or follows is on
 * disk:
 * <ol>
 *   <li>a command that recorded an effect (it wrote, or a key it touched expired) holds its
 *       client's replies until the batch holding that effect is fsynced;
 *   <li>a command that names a key written by a batch not yet fsynced holds until that batch is
 *       fsynced (it may have read the write);
 *   <li>a read-only command that names no key (DBSIZE, KEYS, SCAN, RANDOMKEY) or reads keys it
 *       does not name (SORT with BY or GET), a pub/sub message or keyspace event delivered, and
 *       an EXEC failed by a WATCHed key hold until every batch recorded so far is fsynced; so
 *       does any command after a write that touched no single key (FLUSHALL, SWAPDB, MOVE, COPY,
 *       a served BLMOVE);
 *   <li>a client's replies keep their order: once one is held, every later reply of that client
 *       waits behind it.
 * </ol>
 * Commands that read no keys (PING, ECHO, CLIENT, CONFIG, INFO, SUBSCRIBE...) are held only by
 * rule 4: INFO stays answerable while a failing disk holds the writers (its counters may run a
 * batch ahead of the file). Everything else is not held: a read of a key untouched since the last
 * fsync, from a client with nothing pending, is answered at once while the fsync runs. So a crash
 * after any fsync leaves every reply any client has seen explained by the file.
 *
 * <p>Owned by the shard's event loop; not thread-safe.
 */
final class ReplyGate {
  /** A key of one database, compared by content. */
  private record KeyRef(int db, byte[] key) {
    @Override
    public boolean equals(Object o) {
      return o instanceof KeyRef k && k.db == db && Arrays.equals(k.key, key);
    }

    @Override
    public int hashCode() {
      return db * 31 + Arrays.hashCode(key);
    }
  }

  /** appendfsync always: the rule applies. Otherwise nothing is held. */
  boolean active;
  /** Every batch up to this one is durable. */
  long syncedSeq;
  /** The batch the current round's effects go into. */
  long collectingSeq = 1;
  /** For each key written by a batch not yet durable, the newest such batch. */
  private final Map<KeyRef, Long> unsynced = new HashMap<>();
  /** The newest batch with a write that touched no single key (rule 3), 0 when none. */
  private long everythingSeq;
  /** The newest batch with any effect. */
  private long lastWriteSeq;
  private final List<Client> held = new ArrayList<>();
  /** Told of something during the running command (a keyspace event of its write, say). */
  private final List<Client> observers = new ArrayList<>();

  /**
   * After {@code cmd} of client {@code c} ran in database {@code db} ({@code recorded}: it
   * recorded an effect): raises the batch the client's replies wait for when the rule says so.
   */
  void after(Client c, CommandSpec cmd, byte[][] argv, int db, boolean recorded) {
    if (recorded) {
      c.lastWriteSeq = collectingSeq;
    }
    if (!active || (cmd.parent == null && cmd.name.equals("exec"))) {
      return; // EXEC's commands went through here one by one
    }
    long wait = waitFor(cmd, argv, db, recorded);
    if (wait > c.holdUntil) {
      c.holdUntil = wait;
    }
    if (!observers.isEmpty()) {
      if (recorded) { // what they were told of is in this batch
        for (Client o : observers) {
          if (o.holdUntil < collectingSeq) {
            o.holdUntil = collectingSeq;
          }
        }
      }
      observers.clear();
    }
  }

  /** The batch a command's reply must wait for by rules 1-3, 0 for none. */
  private long waitFor(CommandSpec cmd, byte[][] argv, int db, boolean recorded) {
    if (!recorded && lastWriteSeq <= syncedSeq) {
      return 0; // nothing is waiting for an fsync: no key lookup, no allocation
    }
    int[] keys = keyPositions(cmd, argv);
    if (recorded) {
      lastWriteSeq = collectingSeq;
      if (keys.length == 0 || touchesOtherKeys(cmd)) {
        everythingSeq = collectingSeq;
      }
      for (int k : keys) {
        unsynced.put(new KeyRef(db, argv[k]), collectingSeq);
      }
      return collectingSeq;
    }
    if (keys.length == 0) {
      return cmd.has(CommandSpec.READONLY) ? lastWriteSeq : 0;
    }
    if (cmd.parent == null && (cmd.name.equals("sort") || cmd.name.equals("sort_ro"))
        && argv.length > 2) {
      return lastWriteSeq; // BY and GET patterns read keys no key spec names
    }
    long wait = everythingSeq > syncedSeq ? everythingSeq : 0;
    for (int k : keys) {
      Long seq = unsynced.get(new KeyRef(db, argv[k]));
      if (seq != null && seq > wait) {
        wait = seq;
      }
    }
    return wait > syncedSeq ? wait : 0;
  }

  /**
   * Blocked client {@code c} was served a pop (rule 1). A served
   * move also wrote its destination, which the key specs of the command do not tell here: every
   * read waits for this batch, as after a keyless write.
   */
  void served(Client c) {
    c.lastWriteSeq = collectingSeq;
    if (!active) {
      return;
    }
    lastWriteSeq = collectingSeq;
    everythingSeq = collectingSeq; // covers the popped key too
    if (c.holdUntil < collectingSeq) {
      c.holdUntil = collectingSeq;
    }
  }

  /**
   * {@code c} receives what another client's write caused (a pub/sub message, a keyspace event,
   * an EXEC failed by a WATCHed key): it waits for every batch recorded so far.
   */
  void observed(Client c) {
    if (!active) {
      return;
    }
    if (lastWriteSeq > syncedSeq && c.holdUntil < lastWriteSeq) {
      c.holdUntil = lastWriteSeq;
    }
    observers.add(c); // the running command's own write is recorded after it: see after()
  }

  /** {@code c} has output that must wait; it is flushed again on release. */
  void hold(Client c) {
    if (!held.contains(c)) {
      held.add(c);
    }
  }

  /** Batches up to {@code seq} are durable (or the rule was switched off): release. */
  void synced(long seq) {
    if (seq > syncedSeq) {
      syncedSeq = seq;
    }
    if (!unsynced.isEmpty()) {
      Iterator<Long> it = unsynced.values().iterator();
      while (it.hasNext()) {
        if (it.next() <= syncedSeq) {
          it.remove();
        }
      }
    }
    if (!held.isEmpty()) {
      List<Client> ready = new ArrayList<>(held);
      held.clear();
      for (Client c : ready) {
        c.flush(); // one still waiting for a later batch holds itself again
      }
    }
  }

  /** Writes that reach keys not named where the key specs say (another database, all keys). */
  private static boolean touchesOtherKeys(CommandSpec cmd) {
    return switch (cmd.name) {
      case "move", "copy", "swapdb", "flushall", "flushdb" -> cmd.parent == null;
      default -> false;
    };
  }

  /** Argument positions of the command's keys. */
  private static int[] keyPositions(CommandSpec cmd, byte[][] argv) {
    CommandSpec.KeyFinder finder = cmd.keyFinder();
    if (finder != null) {
      List<int[]> found = finder.find(argv.length, argv, 0);
      int[] out = new int[found.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = found.get(i)[0];
      }
      return out;
    }
    List<Integer> pos = cmd.keyPositions(argv.length);
    int[] out = new int[pos.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = pos.get(i);
    }
    return out;
  }
}
