package io.kiln.server;

import io.kiln.command.Glob;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pub/sub registry of one shard verticle: channel -> subscribers, pattern -> subscribers and
 * shard channel -> subscribers, plus each client's own subscriptions ({@link Subscriptions}).
 * Delivers PUBLISH / SPUBLISH messages (and keyspace notifications) by appending them to the
 * subscribers' reply buffers; the subscribers touched are flushed once the current task of the
 * event loop ends, so a burst of messages leaves in few socket writes.
 *
 * <p>Owned by the event loop of its ShardVerticle; not thread-safe.
 */
public final class PubSub {
  /** A byte string as a hash key (content equality). */
  static final class Key {
    final byte[] bytes;
    private final int hash;

    Key(byte[] bytes) {
      this.bytes = bytes;
      this.hash = Arrays.hashCode(bytes);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.hash == hash && Arrays.equals(k.bytes, bytes);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** One client's subscriptions, in subscription order (kept by the client). */
  public static final class Subscriptions {
    final Set<Key> channels = new LinkedHashSet<>();
    final Set<Key> patterns = new LinkedHashSet<>();
    final Set<Key> shardChannels = new LinkedHashSet<>();

    public int channels() {
      return channels.size();
    }

    public int patterns() {
      return patterns.size();
    }

    public int shardChannels() {
      return shardChannels.size();
    }

    /** Channels + patterns: the count SUBSCRIBE / PSUBSCRIBE replies carry. */
    public int count() {
      return channels.size() + patterns.size();
    }

    public int total() {
      return channels.size() + patterns.size() + shardChannels.size();
    }

    /**
     * True when {@code allowed} accepts every subscription: (channel, false) for channels and
     * shard channels, (pattern, true) for patterns (ACL checks when a user's rules change).
     */
    public boolean all(java.util.function.BiPredicate<byte[], Boolean> allowed) {
      for (Key k : patterns) {
        if (!allowed.test(k.bytes, true)) {
          return false;
        }
      }
      for (Key k : channels) {
        if (!allowed.test(k.bytes, false)) {
          return false;
        }
      }
      for (Key k : shardChannels) {
        if (!allowed.test(k.bytes, false)) {
          return false;
        }
      }
      return true;
    }
  }

  private static final byte[] MESSAGE = ascii("message");
  private static final byte[] PMESSAGE = ascii("pmessage");
  private static final byte[] SMESSAGE = ascii("smessage");

  private final Map<Key, Set<Client>> channels = new LinkedHashMap<>();
  private final Map<Key, Set<Client>> patterns = new LinkedHashMap<>();
  private final Map<Key, Set<Client>> shardChannels = new LinkedHashMap<>();
  private final ShardVerticle home;
  /** Subscribers with messages appended since the last flush. */
  private final Set<Client> toFlush = new LinkedHashSet<>();
  private boolean flushScheduled;

  PubSub(ShardVerticle home) {
    this.home = home;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  // ---- counts (INFO, PUBSUB NUMPAT) ----

  public int channelCount() {
    return channels.size();
  }

  public int patternCount() {
    return patterns.size();
  }

  public int shardChannelCount() {
    return shardChannels.size();
  }

  // ---- subscribe / unsubscribe ----

  private static Subscriptions subs(Client c) {
    if (c.subscriptions == null) {
      c.subscriptions = new Subscriptions();
    }
    return c.subscriptions;
  }

  /** SUBSCRIBE of one channel; false if the client had it already. */
  public boolean subscribe(Client c, byte[] channel) {
    return add(channels, subs(c).channels, c, channel);
  }

  public boolean psubscribe(Client c, byte[] pattern) {
    return add(patterns, subs(c).patterns, c, pattern);
  }

  public boolean ssubscribe(Client c, byte[] channel) {
    return add(shardChannels, subs(c).shardChannels, c, channel);
  }

  public boolean unsubscribe(Client c, byte[] channel) {
    return c.subscriptions != null && remove(channels, c.subscriptions.channels, c, new Key(channel));
  }

  public boolean punsubscribe(Client c, byte[] pattern) {
    return c.subscriptions != null && remove(patterns, c.subscriptions.patterns, c, new Key(pattern));
  }

  public boolean sunsubscribe(Client c, byte[] channel) {
    return c.subscriptions != null
        && remove(shardChannels, c.subscriptions.shardChannels, c, new Key(channel));
  }

  /** The client's channels (or patterns, shard channels), in subscription order. */
  public List<byte[]> channelsOf(Client c) {
    return c.subscriptions == null ? List.of() : list(c.subscriptions.channels);
  }

  public List<byte[]> patternsOf(Client c) {
    return c.subscriptions == null ? List.of() : list(c.subscriptions.patterns);
  }

  public List<byte[]> shardChannelsOf(Client c) {
    return c.subscriptions == null ? List.of() : list(c.subscriptions.shardChannels);
  }

  private static List<byte[]> list(Set<Key> keys) {
    List<byte[]> out = new ArrayList<>(keys.size());
    for (Key k : keys) {
      out.add(k.bytes);
    }
    return out;
  }

  /** Drops every subscription of the client (RESET, disconnect). */
  public void removeAll(Client c) {
    Subscriptions s = c.subscriptions;
    if (s == null) {
      return;
    }
    for (Key k : List.copyOf(s.channels)) {
      remove(channels, s.channels, c, k);
    }
    for (Key k : List.copyOf(s.patterns)) {
      remove(patterns, s.patterns, c, k);
    }
    for (Key k : List.copyOf(s.shardChannels)) {
      remove(shardChannels, s.shardChannels, c, k);
    }
    c.subscriptions = null;
    toFlush.remove(c);
  }

  private static boolean add(Map<Key, Set<Client>> registry, Set<Key> own, Client c, byte[] name) {
    Key k = new Key(name);
    if (!own.add(k)) {
      return false;
    }
    registry.computeIfAbsent(k, x -> new LinkedHashSet<>()).add(c);
    return true;
  }

  private static boolean remove(Map<Key, Set<Client>> registry, Set<Key> own, Client c, Key k) {
    if (!own.remove(k)) {
      return false;
    }
    Set<Client> subscribers = registry.get(k);
    if (subscribers != null) {
      subscribers.remove(c);
      if (subscribers.isEmpty()) {
        registry.remove(k);
      }
    }
    return true;
  }

  // ---- PUBSUB introspection ----

  /** Active channels (or shard channels) matching {@code pattern} (null: all). */
  public List<byte[]> activeChannels(byte[] pattern, boolean shard) {
    List<byte[]> out = new ArrayList<>();
    for (Key k : (shard ? shardChannels : channels).keySet()) {
      if (pattern == null || Glob.matches(pattern, k.bytes)) {
        out.add(k.bytes);
      }
    }
    return out;
  }

  public int subscriberCount(byte[] channel, boolean shard) {
    Set<Client> s = (shard ? shardChannels : channels).get(new Key(channel));
    return s == null ? 0 : s.size();
  }

  // ---- publishing ----

  /** PUBLISH: delivers to the channel's subscribers, then to matching patterns; the receivers. */
  public int publish(byte[] channel, byte[] message) {
    int receivers = 0;
    Set<Client> direct = channels.get(new Key(channel));
    if (direct != null) {
      for (Client c : direct) {
        c.out.push(3);
        c.out.bulk(MESSAGE);
        c.out.bulk(channel);
        c.out.bulk(message);
        pushed(c);
        receivers++;
      }
    }
    if (!patterns.isEmpty()) {
      for (Map.Entry<Key, Set<Client>> e : patterns.entrySet()) {
        byte[] pattern = e.getKey().bytes;
        if (!Glob.matches(pattern, channel)) {
          continue;
        }
        for (Client c : e.getValue()) {
          c.out.push(4);
          c.out.bulk(PMESSAGE);
          c.out.bulk(pattern);
          c.out.bulk(channel);
          c.out.bulk(message);
          pushed(c);
          receivers++;
        }
      }
    }
    return receivers;
  }

  /** SPUBLISH: delivers to the shard channel's subscribers; the receivers. */
  public int spublish(byte[] channel, byte[] message) {
    Set<Client> direct = shardChannels.get(new Key(channel));
    if (direct == null) {
      return 0;
    }
    int receivers = 0;
    for (Client c : direct) {
      c.out.push(3);
      c.out.bulk(SMESSAGE);
      c.out.bulk(channel);
      c.out.bulk(message);
      pushed(c);
      receivers++;
    }
    return receivers;
  }

  /**
   * A message (or a client-side caching push, {@link Tracking}) was appended to {@code c}'s
   * reply buffer: enforce its output buffer limit, and flush it once the current event-loop task
   * ends (a burst shares a socket write).
   */
  void pushed(Client c) {
    if (c.checkOutputLimit()) {
      return;
    }
    home.gate().observed(c); // appendfsync always: not before the write that caused it
    toFlush.add(c);
    if (!flushScheduled) {
      flushScheduled = true;
      home.execute(this::flushAll);
    }
  }

  private void flushAll() {
    flushScheduled = false;
    if (toFlush.isEmpty()) {
      return;
    }
    List<Client> batch = new ArrayList<>(toFlush);
    toFlush.clear();
    for (Client c : batch) {
      c.flush();
    }
  }
}
