package io.kiln.types;

import io.kiln.config.Config;
import io.kiln.rdb.RdbValue;

/**
 * Conversions between Kiln's stored values ({@code byte[]} strings, {@link RedisValue}
 * collections) and the RDB layer's forms, used by loading, DUMP/RESTORE and snapshots. Each data
 * type adds its case here. Stateless: the loader thread and event loops call it.
 */
public final class Values {
  private Values() {}

  /**
   * The stored value for an RDB value (a fresh object the caller owns), or null when this Kiln
   * cannot hold that type yet.
   */
  public static Object fromRdb(RdbValue value, Config config) {
    return fromRdb(value, Limits.of(config));
  }

  /** {@link #fromRdb(RdbValue, Config)} with the encoding limits read once for many values. */
  public static Object fromRdb(RdbValue value, Limits limits) {
    if (value instanceof RdbValue.Str s) {
      return s.value();
    }
    if (value instanceof RdbValue.HashValue h) {
      return HashValue.fromRdb(h, limits.hashEntries(), limits.hashValue());
    }
    if (value instanceof RdbValue.SetValue s) {
      return SetValue.fromRdb(s, limits.setIntsetEntries());
    }
    if (value instanceof RdbValue.ListValue l) {
      return ListValue.fromRdb(l, limits.listFill());
    }
    if (value instanceof RdbValue.ZSetValue z) {
      return ZSetValue.fromRdb(z, limits.zsetEntries(), limits.zsetValue());
    }
    return null;
  }

  /**
   * The compact-encoding limits of a config (hash-max-listpack-*, set-max-intset-entries,
   * list-max-listpack-size, zset-max-listpack-*), read once: a loader reading millions of values
   * reads them again only when the config changed ({@link Config#version}).
   */
  public record Limits(int hashEntries, int hashValue, int setIntsetEntries, int listFill,
      long zsetEntries, long zsetValue) {
    public static Limits of(Config config) {
      return new Limits(HashValue.limit(config, "hash-max-listpack-entries"),
          HashValue.limit(config, "hash-max-listpack-value"),
          HashValue.limit(config, "set-max-intset-entries"),
          config.getInt("list-max-listpack-size"),
          config.getLong("zset-max-listpack-entries"),
          config.getLong("zset-max-listpack-value"));
    }
  }

  /** The RDB form of a stored value, to encode at once (a string is its array, not a copy). */
  public static RdbValue toRdb(Object stored) {
    if (stored instanceof byte[] s) {
      return new RdbValue.Str(s);
    }
    if (stored instanceof GrowableString g) {
      return new RdbValue.Str(g.toBytes());
    }
    return ((RedisValue) stored).toRdb();
  }
}
