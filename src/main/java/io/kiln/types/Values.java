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
    if (value instanceof RdbValue.Str s) {
      return s.value();
    }
    if (value instanceof RdbValue.HashValue h) {
      return HashValue.fromRdb(h, config);
    }
    if (value instanceof RdbValue.SetValue s) {
      return SetValue.fromRdb(s, config);
    }
    if (value instanceof RdbValue.ListValue l) {
      return ListValue.fromRdb(l, config);
    }
    if (value instanceof RdbValue.ZSetValue z) {
      return ZSetValue.fromRdb(z, config.getLong("zset-max-listpack-entries"),
          config.getLong("zset-max-listpack-value"));
    }
    return null;
  }

  /** The RDB form of a stored value, to encode at once (a string is its array, not a copy). */
  public static RdbValue toRdb(Object stored) {
    if (stored instanceof byte[] s) {
      return new RdbValue.Str(s);
    }
    return ((RedisValue) stored).toRdb();
  }
}
