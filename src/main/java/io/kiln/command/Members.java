package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.resp.Errors;
import io.kiln.server.Client;
import io.kiln.types.RedisValue;
import java.util.function.BiPredicate;

/**
 * What the member-collection families (hashes, sets, sorted sets) share: the typed read, and
 * HDEL, SREM and ZREM as one command over three types.
 *
 * <p>Runs on the shard's event loop, like every command.
 */
final class Members {
  private Members() {}

  /**
   * The {@code type} value at {@code key} for reading: null when absent, or {@code wrong} (the
   * family's sentinel) after replying WRONGTYPE for another type.
   */
  static <T extends RedisValue> T read(Client c, byte[] key, Class<T> type, T wrong) {
    Object v = c.db().get(key);
    if (v == null) {
      return null;
    }
    if (type.isInstance(v)) {
      return type.cast(v);
    }
    c.error(Errors.WRONGTYPE);
    return wrong;
  }

  /**
   * Removes the members {@code argv[2..]} from the {@code type} value at {@code argv[1]} and
   * replies how many were there: WRONGTYPE for another type, 0 for no key; the key goes when the
   * collection empties; one keyspace event {@code event} of class {@code notifyClass} when
   * anything was removed, and one change per member removed.
   */
  static <T extends RedisValue> void remove(Client c, byte[][] argv, Class<T> type,
      BiPredicate<T, byte[]> removeOne, int notifyClass, String event) {
    Db db = c.db();
    Dict.Node<Object> n = db.node(argv[1]);
    if (n == null) {
      c.out.integer(0);
      return;
    }
    if (!type.isInstance(n.value)) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    T value = type.cast(n.value);
    db.willChange(n);
    int deleted = 0;
    for (int i = 2; i < argv.length && !value.isEmpty(); i++) {
      if (removeOne.test(value, argv[i])) {
        deleted++;
      }
    }
    if (deleted > 0) {
      db.notify(notifyClass, event, argv[1]);
      db.removedFrom(argv[1], value);
      c.shard.dirty += deleted;
    }
    c.out.integer(deleted);
  }
}
