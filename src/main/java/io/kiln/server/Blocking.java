package io.kiln.server;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The blocked clients of one shard (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX,
 * BZMPOP), as Redis keeps
 * them: for each (database, key) the clients waiting on it in arrival order, and the set of
 * "ready" keys that received a value while clients waited. A blocked client is suspended (its
 * further input waits in its buffer, the event loop keeps serving everyone else) until a ready
 * key serves it, its timeout fires (a Vert.x timer, cancelled on wake-up), CLIENT UNBLOCK wakes
 * it or it disconnects.
 *
 * <p>Ready keys are served after the command that made them ready (after EXEC for a transaction),
 * before the next command runs: {@link #handleReady}. A key that is deleted, renamed away or
 * changed to another type while clients wait leaves them blocked: only a value of the awaited
 * type appearing under the key wakes them (clients waiting on the same key for another type are
 * passed over and keep waiting).
 *
 * <p>Owned by the event loop of its shard verticle; not thread-safe.
 */
public final class Blocking {
  /** What a blocking command does when one of its keys is ready, or when it times out. */
  public interface Handler {
    /**
     * Tries to serve the client from {@code key} of {@code db}: true when it replied (the client
     * is then unblocked), false when the key cannot serve it (empty, absent, other type).
     */
    boolean serve(Db db, byte[] key);

    /** Writes the reply of a timeout (a null of the command's shape). */
    void timedOut();
  }

  /** One blocked client. */
  public static final class Waiter {
    final Client client;
    final List<KeyRef> keys;
    final Handler handler;
    long timer = -1;

    Waiter(Client client, List<KeyRef> keys, Handler handler) {
      this.client = client;
      this.keys = keys;
      this.handler = handler;
    }
  }

  /** A key of one database, usable as a hash key. */
  record KeyRef(Db db, byte[] key, int hash) {
    KeyRef(Db db, byte[] key) {
      this(db, key, 31 * db.id + Arrays.hashCode(key));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof KeyRef k && k.db == db && k.hash == hash && Arrays.equals(k.key, key);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  private final Vertx vertx;
  private final Map<KeyRef, ArrayDeque<Waiter>> byKey = new HashMap<>();
  private final Map<Client, Waiter> byClient = new HashMap<>();
  private LinkedHashSet<KeyRef> ready = new LinkedHashSet<>();
  private boolean serving;
  /** Clients whose command ends later without being blocked on keys: DEBUG SLEEP, MIGRATE. */
  private final java.util.Set<Client> endingLater = new java.util.HashSet<>();
  /** MIGRATE transfers in flight (willEndLater .. endedLater). */
  private int transfers;

  public Blocking(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Clients blocked now (INFO blocked_clients). */
  public int blockedClients() {
    return byClient.size();
  }

  public boolean isBlocked(Client c) {
    return byClient.containsKey(c);
  }

  /**
   * Whether {@code c}'s command has not ended yet (blocked, or in DEBUG SLEEP): its slowlog
   * entry and latency sample are taken when it ends.
   */
  public boolean endsLater(Client c) {
    return byClient.containsKey(c) || endingLater.contains(c);
  }

  /**
   * DEBUG SLEEP outside a transaction: Redis sleeps the whole server; Kiln holds only the
   * caller (its further input waits, the event loop serves everyone else) and replies +OK after
   * {@code ms}. The command's time, slowlog entry and latency sample are the whole sleep, as in
   * Redis.
   */
  public void sleep(Client c, long ms) {
    long t0 = System.nanoTime();
    endingLater.add(c);
    c.suspend();
    vertx.setTimer(ms, id -> {
      if (!endingLater.remove(c)) {
        return; // disconnected meanwhile
      }
      c.ok();
      c.completedLater((System.nanoTime() - t0) / 1000, false);
      c.flush();
      c.resume();
    });
  }

  /**
   * {@code c}'s running command will end later (MIGRATE's transfer): its slowlog entry and
   * latency sample wait for {@link #endedLater}.
   */
  public void willEndLater(Client c) {
    endingLater.add(c);
    transfers++;
  }

  /** The command {@link #willEndLater} announced ended; false if {@code c} left meanwhile. */
  public boolean endedLater(Client c) {
    transfers--;
    return endingLater.remove(c);
  }

  /** A MIGRATE transfer is under way (a SIGTERM's shutdown waits for it, as in Redis). */
  public boolean transferring() {
    return transfers > 0;
  }

  /** Pops for a waiting client from a key that now holds a value of the wanted type. */
  @FunctionalInterface
  public interface Serve {
    void serve(Db db, Dict.Node<Object> node);
  }

  /**
   * The blocking commands' common wait: blocks {@code c} on {@code keys} until one of them holds
   * a value of {@code type}, which {@code serve} then pops and replies; at the deadline the
   * client gets a null bulk ({@code nullBulk}, as Redis answers a timed-out BLMOVE) or a null
   * array (the other blocking pops).
   */
  public void waitFor(Client c, byte[][] keys, long deadlineMs, Class<?> type, boolean nullBulk,
      Serve serve) {
    block(c, keys, deadlineMs, new Handler() {
      @Override
      public boolean serve(Db db, byte[] key) {
        Dict.Node<Object> n = db.node(key);
        if (n == null || !type.isInstance(n.value)) {
          return false;
        }
        serve.serve(db, n);
        return true;
      }

      @Override
      public void timedOut() {
        if (nullBulk) {
          c.out.nullBulk();
        } else {
          c.out.nullArray();
        }
      }
    });
  }

  /**
   * Blocks {@code c} on {@code keys} of its current database until served, or until
   * {@code deadlineMs} (absolute, ms since epoch; 0 waits forever).
   */
  public void block(Client c, byte[][] keys, long deadlineMs, Handler handler) {
    Db db = c.db();
    List<KeyRef> refs = new ArrayList<>(keys.length);
    for (byte[] k : keys) {
      KeyRef ref = new KeyRef(db, k);
      if (!refs.contains(ref)) {
        refs.add(ref);
      }
    }
    Waiter w = new Waiter(c, refs, handler);
    for (KeyRef ref : refs) {
      byKey.computeIfAbsent(ref, r -> new ArrayDeque<>(2)).addLast(w);
    }
    byClient.put(c, w);
    if (deadlineMs > 0) {
      long delay = Math.max(1, deadlineMs - System.currentTimeMillis());
      // Beyond ~35 years the wait is as good as forever (and timers do not take such delays).
      if (delay < (1L << 40)) {
        w.timer = vertx.setTimer(delay, id -> {
          w.timer = -1;
          if (byClient.get(c) == w) {
            unblock(w);
            w.handler.timedOut();
            wake(c, false);
          }
        });
      }
    }
    c.block();
  }

  /** A key received a value (list created, renamed in...): serve its waiters after the command. */
  public void signal(Db db, byte[] key) {
    if (byKey.isEmpty()) {
      return;
    }
    KeyRef ref = new KeyRef(db, key);
    if (byKey.containsKey(ref)) {
      ready.add(ref);
    }
  }

  /** SWAPDB: every waited-on key of either database that now holds a value may serve. */
  public void signalSwapped(Db a, Db b) {
    for (KeyRef ref : byKey.keySet()) {
      if ((ref.db() == a || ref.db() == b) && ref.db().peek(ref.key()) != null) {
        ready.add(ref);
      }
    }
  }

  /**
   * Serves the clients waiting on the keys made ready by the last command (Redis's
   * handleClientsBlockedOnKeys): each key in the order it became ready, its clients in arrival
   * order, while the key can serve them. Serving may make more keys ready (BLMOVE's
   * destination): those are served in the same call.
   */
  public void handleReady() {
    if (ready.isEmpty() || serving) {
      return;
    }
    serving = true;
    try {
      while (!ready.isEmpty()) {
        LinkedHashSet<KeyRef> batch = ready;
        ready = new LinkedHashSet<>();
        for (KeyRef ref : batch) {
          ArrayDeque<Waiter> q = byKey.get(ref);
          if (q == null) {
            continue;
          }
          // Every waiter in arrival order: one waiting for another type (BZPOPMIN on a key that
          // became a list) is skipped and keeps waiting, as Redis 7.0 does.
          for (Waiter w : q.toArray(new Waiter[0])) {
            if (byClient.get(w.client) != w) {
              continue;
            }
            if (w.client.isClosing()) {
              unblock(w);
              continue;
            }
            long errors = w.client.shard.stats.totalErrorReplies;
            if (serve(w, ref)) {
              w.client.home.gate().served(w.client);
              unblock(w);
              // failed when serving it replied an error (BLMOVE to a destination of another type)
              wake(w.client, w.client.shard.stats.totalErrorReplies != errors);
            } else if (ref.db().peek(ref.key()) == null) {
              break;
            }
          }
        }
      }
    } finally {
      serving = false;
    }
  }

  /**
   * Serves {@code w} from its ready key as its command would have run: client-side caching's
   * invalidations due to it (BLMOVE's destination) follow its reply.
   */
  private static boolean serve(Waiter w, KeyRef ref) {
    Tracking tracking = w.client.home.tracking();
    tracking.enter(w.client);
    try {
      return w.handler.serve(ref.db(), ref.key());
    } finally {
      tracking.leave();
    }
  }

  /**
   * CLIENT UNBLOCK: wakes {@code c} with a timeout's reply, or with {@code error}; false when it
   * was not blocked.
   */
  public boolean unblockClient(Client c, String error) {
    Waiter w = byClient.get(c);
    if (w == null) {
      return false;
    }
    unblock(w);
    if (error != null) {
      c.error(error);
    } else {
      w.handler.timedOut();
    }
    wake(c, true); // Redis 7.0 counts the call failed either way
    return true;
  }

  /** A disconnected client leaves the registry. */
  public void remove(Client c) {
    endingLater.remove(c);
    Waiter w = byClient.get(c);
    if (w != null) {
      unblock(w);
    }
  }

  private void unblock(Waiter w) {
    byClient.remove(w.client);
    if (w.timer >= 0) {
      vertx.cancelTimer(w.timer);
      w.timer = -1;
    }
    for (KeyRef ref : w.keys) {
      ArrayDeque<Waiter> q = byKey.get(ref);
      if (q != null) {
        q.remove(w);
        if (q.isEmpty()) {
          byKey.remove(ref);
        }
      }
    }
  }

  /**
   * Sends the reply now and lets the client's waiting input run on a later turn of the event
   * loop (as Redis processes unblocked clients before it sleeps), never nested in the command
   * that served it.
   */
  private void wake(Client c, boolean failed) {
    c.blockEnded(failed);
    c.flush();
    c.home.execute(c::resume);
  }
}
