package io.kiln.types;

import io.kiln.rdb.RdbValue;

/**
 * What every non-string value (list, hash, set, sorted set) implements so that the generic
 * commands can name it (TYPE, SCAN TYPE), describe it (OBJECT ENCODING), duplicate it (COPY) and
 * a snapshot can capture it. Strings are plain {@code byte[]} (see {@code Db}) and need none of this.
 *
 * <p>Values are mutable and owned by the event loop of the shard holding them. Before changing
 * one in place, a command calls {@code Db.willChange(node)} so that a running snapshot captures
 * the old state first ({@link #toRdb}).
 */
public interface RedisValue {
  /** The name TYPE replies: "list", "set", "zset", "hash". */
  String typeName();

  /** The name OBJECT ENCODING replies: "listpack", "quicklist", "hashtable", "intset"... */
  String encoding();

  /** True once the last element is gone: the key must then be deleted, as Redis does. */
  boolean isEmpty();

  /**
   * What this value costs in Redis's memory model ({@link io.kiln.keyspace.Footprint}): the
   * object, its encoding and its elements, a large collection estimated from its first
   * {@code samples} elements (0: all), as Redis's MEMORY USAGE. Cheap for the default sample:
   * the keyspace calls it after each write to the value.
   */
  long memoryUsage(int samples);

  /**
   * What freeing this value costs in Redis's terms (lazyfreeGetFreeEffort): the elements of a
   * hashtable or skiplist, the nodes of a quicklist, 1 for a compact encoding. Redis hands a
   * value above 64 to its lazy-free thread; Kiln's collector frees every value off the event
   * loop, and INFO counts what Redis would have handed over.
   */
  default long freeEffort() {
    return 1;
  }

  /** An independent copy for COPY. */
  RedisValue deepCopy();

  /** An immutable copy in the RDB layer's form (DUMP, DEBUG RELOAD, a snapshot's worker). */
  RdbValue toRdb();

  /**
   * What a snapshot keeps of this value, taken on the event loop when it captures it: either the
   * RDB form ({@link #toRdb}) or, for a compact encoding, a private copy (an array copy, far
   * cheaper than unpacking every element on the event loop) that from then on belongs to the
   * snapshot, whose worker calls its {@link #toRdb}.
   */
  default Object capture() {
    return toRdb();
  }
}
