package io.kiln.keyspace;

/**
 * Keyspace notification classes, one bit per letter of {@code notify-keyspace-events} (Redis 7.0's
 * letters and meaning), and the sink that publishes them. Commands announce what they did with
 * {@link Db#notify(int, String, byte[])}; the shard drops the event unless the configured flags
 * select both its class and a channel kind (K or E).
 *
 * <p>Constants only; events are raised and published on the shard's event loop.
 */
public final class Notify {
  /** K: publish on {@code __keyspace@<db>__:<key>}. */
  public static final int KEYSPACE = 1;
  /** E: publish on {@code __keyevent@<db>__:<event>}. */
  public static final int KEYEVENT = 1 << 1;
  /** g: generic commands (DEL, EXPIRE, RENAME, ...). */
  public static final int GENERIC = 1 << 2;
  /** $: string commands. */
  public static final int STRING = 1 << 3;
  /** l: list commands. */
  public static final int LIST = 1 << 4;
  /** s: set commands. */
  public static final int SET = 1 << 5;
  /** h: hash commands. */
  public static final int HASH = 1 << 6;
  /** z: sorted set commands. */
  public static final int ZSET = 1 << 7;
  /** x: a key expired. */
  public static final int EXPIRED = 1 << 8;
  /** e: a key was evicted for maxmemory. */
  public static final int EVICTED = 1 << 9;
  /** t: stream commands. */
  public static final int STREAM = 1 << 10;
  /** m: a key was read and missing (never in A). */
  public static final int KEY_MISS = 1 << 11;
  /** d: module key type events. */
  public static final int MODULE = 1 << 13;
  /** n: a new key was created (never in A). */
  public static final int NEW = 1 << 14;

  /** Publishes one event; set by the shard verticle that owns the pub/sub registry. */
  @FunctionalInterface
  public interface Sink {
    void publish(int type, String event, byte[] key, int dbid);
  }

  private Notify() {}
}
