package io.kiln.server;

import io.kiln.command.CommandSpec;
import io.kiln.config.Config;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.KeyTracker;
import io.kiln.resp.RespWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Server-assisted client-side caching (CLIENT TRACKING) as Redis 7.0 has it. In the default mode
 * a tracking connection's reads put their keys in the tracking table (key -> ids of the clients
 * that may cache it); a write, expiry, eviction or flush of a key sends those clients an
 * invalidation and forgets the key. In BCAST mode clients name key prefixes instead: the keys
 * changed under each prefix are collected and sent to its clients once per event-loop turn (as
 * Redis sends them before it sleeps). Invalidations are RESP3 pushes ({@code >2 invalidate
 * [keys]}, a null for a flush) or, redirected to a RESP2 connection in pub/sub mode, messages of
 * the {@code __redis__:invalidate} channel; {@code tracking-table-max-keys} bounds the table by
 * invalidating random keys.
 *
 * <p>An invalidation for the connection whose command runs waits for the command's reply (and,
 * in a transaction, for EXEC's): the push follows it, never lands inside it. Ids of clients that
 * stopped tracking stay in the table until the key changes, as in Redis; once no client tracks,
 * the whole table goes and the write path is back to one null check ({@link KeyTracker}).
 *
 * <p>Owned by the event loop of its {@link ShardVerticle} (and by the shard's script thread while
 * the loop waits for a script's command); not thread-safe. With one shard (Kiln refuses
 * {@code shards} above 1 today) every key and every connection meet here, so this is the whole
 * server's table; several shards would need redirections and invalidations to cross shards.
 */
public final class Tracking implements KeyTracker {
  /** CLIENT TRACKING options, as the bits of {@link Mode#has}. */
  public static final int BCAST = 1;
  public static final int OPTIN = 1 << 1;
  public static final int OPTOUT = 1 << 2;
  public static final int NOLOOP = 1 << 3;

  private static final byte[] INVALIDATE = ascii("invalidate");
  private static final byte[] MESSAGE = ascii("message");
  private static final byte[] CHANNEL = ascii("__redis__:invalidate");
  private static final byte[] REDIRECT_BROKEN = ascii("tracking-redir-broken");
  private static final byte[] EMPTY = new byte[0];
  private static final byte[] NULL2 = ascii("$-1\r\n");
  private static final byte[] NULL3 = ascii("_\r\n");
  /** Keys removed per try, times the tries in a row the table stayed over its limit (Redis's). */
  private static final int LIMIT_EFFORT = 100;

  /** One connection's tracking state while tracking is on (Redis's CLIENT_TRACKING_* flags). */
  public static final class Mode {
    private int options;
    private long redirect;
    /** CLIENT CACHING YES (OPTIN) or NO (OPTOUT) was given for the next command. */
    private boolean caching;
    /** The redirection's client was gone when an invalidation was due. */
    private boolean brokenRedirect;
    /** BCAST prefixes, in byte order (as CLIENT TRACKINGINFO lists them). */
    private final TreeSet<byte[]> prefixes = new TreeSet<>(Arrays::compareUnsigned);

    public boolean has(int option) {
      return (options & option) != 0;
    }

    /** The client id invalidations go to, 0 for the connection itself. */
    public long redirect() {
      return redirect;
    }

    public boolean caching() {
      return caching;
    }

    public boolean brokenRedirect() {
      return brokenRedirect;
    }

    public Collection<byte[]> prefixes() {
      return Collections.unmodifiableSet(prefixes);
    }

    /** Whether the keys of the command now running are remembered (OPTIN/OPTOUT rules). */
    private boolean remembers() {
      return has(OPTIN) ? caching : !(has(OPTOUT) && caching);
    }
  }

  /** A BCAST prefix: its clients, and the keys under it changed this turn with who changed each. */
  private static final class Prefix {
    final Set<Client> clients = new LinkedHashSet<>();
    final TreeMap<byte[], Client> changed = new TreeMap<>(Arrays::compareUnsigned);
  }

  /** The ids of the clients that may cache one key, sorted. */
  private static final class Ids {
    long[] ids = new long[1];
    int size;

    boolean add(long id) {
      int at = Arrays.binarySearch(ids, 0, size, id);
      if (at >= 0) {
        return false;
      }
      at = -at - 1;
      if (size == ids.length) {
        ids = Arrays.copyOf(ids, size * 2);
      }
      System.arraycopy(ids, at, ids, at + 1, size - at);
      ids[at] = id;
      size++;
      return true;
    }
  }

  /** An invalidation for {@code target} (keys, or null for all) held until a reply is out. */
  private record Held(Client target, byte[][] keys) {}

  private final ShardVerticle home;
  /** The connections with tracking on (INFO tracking_clients). */
  private final Set<Client> clients = new LinkedHashSet<>();
  /** Key -> ids of the clients that read it while tracking (default mode). */
  private Dict<Ids> table = new Dict<>();
  /** Ids across the table (INFO tracking_total_items). */
  private long items;
  private final TreeMap<byte[], Prefix> prefixes = new TreeMap<>(Arrays::compareUnsigned);
  private boolean broadcastScheduled;
  /** The connection whose command (or blocked command being served) runs now, else null. */
  private Client current;
  /** Invalidations due to {@link #current}'s connection, sent after its reply. */
  private final List<Held> held = new ArrayList<>();
  /** Tries in a row that left the table over tracking-table-max-keys. */
  private int limitRounds;
  /** tracking-table-max-keys (0: no limit); set by CONFIG SET on any loop. */
  private volatile long maxKeys;

  Tracking(ShardVerticle home, Config config) {
    this.home = home;
    maxKeys = config.getLong("tracking-table-max-keys");
    config.onChange("tracking-table-max-keys",
        cfg -> maxKeys = cfg.getLong("tracking-table-max-keys"));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** True while some connection tracks: only then do the command hooks do anything. */
  public boolean inUse() {
    return !clients.isEmpty();
  }

  // ---- INFO ----

  public int clientCount() {
    return clients.size();
  }

  public long totalKeys() {
    return table.size();
  }

  public long totalItems() {
    return items;
  }

  public int totalPrefixes() {
    return prefixes.size();
  }

  // ---- CLIENT TRACKING ----

  /**
   * CLIENT TRACKING ON (the caller checked the options): {@code options} are {@link #BCAST},
   * {@link #OPTIN}, {@link #OPTOUT}, {@link #NOLOOP}; a BCAST client without prefixes gets the
   * empty one (every key). Enabling again replaces the options and redirection and adds prefixes.
   */
  public void enable(Client c, long redirect, int options, List<byte[]> newPrefixes) {
    Mode m = c.tracking;
    if (m == null) {
      m = new Mode();
      c.tracking = m;
      clients.add(c);
      home.shard().tracker = this;
    }
    m.options = options;
    m.redirect = redirect;
    m.brokenRedirect = false;
    if ((options & BCAST) != 0) {
      for (byte[] p : newPrefixes.isEmpty() ? List.of(EMPTY) : newPrefixes) {
        if (prefixes.computeIfAbsent(p, x -> new Prefix()).clients.add(c)) {
          m.prefixes.add(p);
        }
      }
    }
  }

  /** CLIENT TRACKING OFF, RESET, disconnect: the client's ids in the table go lazily. */
  public void disable(Client c) {
    Mode m = c.tracking;
    if (m == null) {
      return;
    }
    for (byte[] p : m.prefixes) {
      Prefix prefix = prefixes.get(p);
      prefix.clients.remove(c);
      if (prefix.clients.isEmpty()) {
        prefixes.remove(p);
      }
    }
    c.tracking = null;
    clients.remove(c);
    if (clients.isEmpty()) {
      // nobody can be told of anything the table holds: drop it, and the keyspace's hook
      home.shard().tracker = null;
      table = new Dict<>();
      items = 0;
      limitRounds = 0;
    }
  }

  /** CLIENT CACHING YES|NO (the caller checked the mode): for the next command only. */
  public void caching(Client c) {
    c.tracking.caching = true;
  }

  /**
   * After each request of a tracking client: CLIENT CACHING lasts for one command, or for a
   * transaction from MULTI to EXEC; CLIENT's own subcommands leave it alone (as in Redis).
   */
  static void requestDone(Client c, boolean inMulti, byte[] name) {
    if (!inMulti && !io.kiln.command.Args.is(name, "client")) {
      c.tracking.caching = false;
    }
  }

  // ---- the command hooks ----

  /** A top-level command of {@code c} starts (or a blocked command of {@code c} is served). */
  void enter(Client c) {
    current = c;
  }

  /** It ended and its reply is written: the invalidations held for it follow the reply. */
  void leave() {
    current = null;
    if (!held.isEmpty()) {
      List<Held> due = new ArrayList<>(held);
      held.clear();
      for (Held h : due) {
        send(h.target(), h.keys());
      }
    }
  }

  /**
   * A read-only command of a tracking client ran: its keys are remembered for it (not in BCAST
   * mode, and as OPTIN/OPTOUT with CLIENT CACHING say). The read-only script commands remember
   * nothing themselves: a script's reads remember its declared keys ({@link #scriptRead}).
   */
  void read(Client c, CommandSpec cmd, byte[][] argv) {
    Mode m = c.tracking;
    if (m == null || m.has(BCAST) || !m.remembers() || cmd.has(CommandSpec.PUBSUB)
        || (cmd.parent == null && switch (cmd.name) {
          case "eval_ro", "evalsha_ro", "fcall_ro" -> true;
          default -> false;
        })) {
      return;
    }
    for (int p : cmd.keyIndexes(argv)) {
      remember(argv[p], c.id);
    }
  }

  /** A script of {@code caller} ran a read-only command: the script's declared keys count as read. */
  void scriptRead(Client caller, byte[][] keys) {
    Mode m = caller.tracking;
    if (m == null || m.has(BCAST) || !m.remembers()) {
      return;
    }
    for (byte[] key : keys) {
      remember(key, caller.id);
    }
  }

  private void remember(byte[] key, long id) {
    Dict.Node<Ids> n = table.addNodeIfAbsent(key, null);
    if (n.value == null) {
      n.value = new Ids();
    }
    if (n.value.add(id)) {
      items++;
    }
  }

  // ---- invalidation ----

  @Override
  public void keyChanged(byte[] key, boolean byCommand) {
    invalidate(key, byCommand ? current : null, true);
  }

  /**
   * {@code key} changed ({@code by} that connection, null for expiry, eviction and the table's
   * limit): its trackers are told and it leaves the table; with {@code bcast}, BCAST prefixes
   * over it collect it for this turn's broadcast.
   */
  private void invalidate(byte[] key, Client by, boolean bcast) {
    if (bcast && !prefixes.isEmpty()) {
      collect(key, by);
    }
    if (table.size() == 0) {
      return;
    }
    Dict.Node<Ids> n = table.removeNode(key);
    if (n == null) {
      return;
    }
    Ids ids = n.value;
    items -= ids.size;
    byte[][] keys = {n.key};
    Map<Long, Client> all = home.clients();
    for (int i = 0; i < ids.size; i++) {
      Client target = all.get(ids.ids[i]);
      Mode m = target == null ? null : target.tracking;
      // a client that turned BCAST on since gets nothing for keys of its earlier mode
      if (m == null || m.has(BCAST) || (m.has(NOLOOP) && target == current)) {
        continue;
      }
      send(target, keys);
    }
  }

  @Override
  public void keysFlushed() {
    for (Client c : List.copyOf(clients)) {
      send(c, null);
    }
    table = new Dict<>();
    items = 0;
  }

  private void collect(byte[] key, Client by) {
    boolean any = false;
    for (Map.Entry<byte[], Prefix> e : prefixes.entrySet()) {
      byte[] p = e.getKey();
      if (p.length <= key.length && Arrays.equals(p, 0, p.length, key, 0, p.length)) {
        e.getValue().changed.put(key, by);
        any = true;
      }
    }
    if (any && !broadcastScheduled) {
      broadcastScheduled = true;
      home.execute(this::broadcast);
    }
  }

  /** Sends each prefix's keys changed this turn to its clients (NOLOOP: not their own changes). */
  private void broadcast() {
    broadcastScheduled = false;
    for (Prefix prefix : prefixes.values()) {
      if (prefix.changed.isEmpty()) {
        continue;
      }
      byte[][] all = prefix.changed.keySet().toArray(new byte[0][]);
      for (Client c : List.copyOf(prefix.clients)) {
        byte[][] keys = all;
        if (c.tracking != null && c.tracking.has(NOLOOP)) {
          keys = prefix.changed.entrySet().stream().filter(k -> k.getValue() != c)
              .map(Map.Entry::getKey).toArray(byte[][]::new);
          if (keys.length == 0) {
            continue;
          }
        }
        send(c, keys);
      }
      prefix.changed.clear();
    }
  }

  /**
   * Tells {@code target} that {@code keys} (null: every key) changed: to itself under RESP3, to
   * its redirection under RESP3 or as a {@code __redis__:invalidate} message when that client is
   * in RESP2 pub/sub mode; nothing goes to a RESP2 connection otherwise. A redirection to a
   * client that is gone marks it broken and, under RESP3, pushes {@code tracking-redir-broken}.
   * What is due to the connection whose command runs waits for {@link #leave}.
   */
  private void send(Client target, byte[][] keys) {
    Mode m = target.tracking;
    if (m == null || target.isClosing()) {
      return;
    }
    Client dest = target;
    Client redirected = null;
    if (m.redirect != 0) {
      redirected = home.clients().get(m.redirect);
      if (redirected != null && redirected.isClosing()) {
        redirected = null;
      }
      if (redirected != null) {
        dest = redirected;
      }
    }
    if (dest == current) {
      held.add(new Held(target, keys));
      return;
    }
    RespWriter out = dest.out;
    if (m.redirect != 0 && redirected == null) {
      m.brokenRedirect = true;
      if (!out.resp3()) {
        return;
      }
      out.push(2);
      out.bulk(REDIRECT_BROKEN);
      out.integer(m.redirect);
    } else {
      if (out.resp3()) {
        out.push(2);
        out.bulk(INVALIDATE);
      } else if (redirected != null && dest.subscribed()) {
        out.array(3);
        out.bulk(MESSAGE);
        out.bulk(CHANNEL);
      } else {
        return; // RESP2 has no pushes: the client must redirect
      }
      // a flush is a null: the tracking client's, as Redis writes it, except that a RESP2
      // connection never gets RESP3's (Redis 7.0 sends a RESP3 tracker's "_" to a RESP2 one)
      if (keys == null) {
        out.raw(target.out.resp3() && out.resp3() ? NULL3 : NULL2);
      } else {
        out.array(keys.length);
        for (byte[] k : keys) {
          out.bulk(k);
        }
      }
    }
    home.pubsub().pushed(dest);
  }

  // ---- the table's limit ----

  /**
   * Before each command and in the cron: while the table holds more than tracking-table-max-keys
   * keys, random keys are invalidated as if they had changed, up to 100 per try times the tries
   * in a row it stayed over (Redis's effort).
   */
  void limit() {
    long max = maxKeys;
    if (max == 0 || table.size() <= max) {
      limitRounds = 0;
      return;
    }
    int effort = LIMIT_EFFORT * (limitRounds + 1);
    while (effort-- > 0) {
      Dict.Node<Ids> n = table.randomNode(home.shard().random());
      if (n == null) {
        break;
      }
      invalidate(n.key, null, false);
      if (table.size() <= max) {
        limitRounds = 0;
        return;
      }
    }
    limitRounds++;
  }

  /** The cron's part: the limit even when idle, and the table shrunk after invalidations. */
  void cron() {
    if (inUse()) {
      limit();
      table.tryShrink();
    }
  }
}
