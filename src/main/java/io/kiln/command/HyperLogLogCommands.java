package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Notify;
import io.kiln.resp.Errors;
import io.kiln.server.Client;
import io.kiln.types.HyperLogLog;
import java.nio.charset.StandardCharsets;

/**
 * The hyperloglog family: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST. HyperLogLogs are plain
 * string values in Redis's own layout ({@link HyperLogLog}); a write builds a new array and
 * stores it, as for every string. PFCOUNT refreshes the cardinality cached in the value, so it
 * changes the key (and counts as a change) although flagged readonly, as in Redis. Stateless;
 * handlers run on the event loop of the shard owning the keys.
 */
public final class HyperLogLogCommands {
  private HyperLogLogCommands() {}

  static void register(CommandTable t) {
    t.add("pfadd", -2, "write denyoom fast", 1, 1, 1, HyperLogLogCommands::pfadd);
    t.add("pfcount", -2, "readonly may_replicate", 1, -1, 1, HyperLogLogCommands::pfcount);
    t.add("pfmerge", -2, "write denyoom", 1, -1, 1, HyperLogLogCommands::pfmerge);
    t.add("pfselftest", 1, "admin", 0, 0, 0, HyperLogLogCommands::pfselftest);
    t.add("pfdebug", 3, "write denyoom admin", 2, 2, 1, HyperLogLogCommands::pfdebug);
  }

  private static long sparseMax(Client c) {
    return c.kiln.config().getLong("hll-sparse-max-bytes");
  }

  /** True when {@code v} is a valid HLL string; otherwise replies the error and returns false. */
  private static boolean checkHll(Client c, Object v) {
    if (!Strs.isString(v)) {
      c.error(Errors.WRONGTYPE);
      return false;
    }
    if (!HyperLogLog.isHll(Strs.bytes(v))) {
      c.error(Errors.HLL_WRONGTYPE);
      return false;
    }
    return true;
  }

  static void pfadd(Client c, byte[][] argv) {
    Db db = c.db();
    byte[] key = argv[1];
    Dict.Node<Object> n = db.node(key);
    HyperLogLog.Sketch sketch;
    int updated = 0;
    if (n == null) {
      sketch = HyperLogLog.Sketch.empty();
      updated++;
    } else {
      if (!checkHll(c, n.value)) {
        return;
      }
      sketch = new HyperLogLog.Sketch(Strs.bytes(n.value));
    }
    long sparseMax = sparseMax(c);
    int raised = 0;
    for (int j = 2; j < argv.length; j++) {
      int r = sketch.add(argv[j], sparseMax);
      if (r == 1) {
        raised++;
      } else if (r < 0) {
        // Redis edits the value in place: what earlier elements changed stays (unannounced).
        if (raised > 0 && n != null) {
          db.willChange(n);
          n.value = sketch.bytes();
        }
        c.error(Errors.HLL_CORRUPT);
        return;
      }
    }
    updated += raised;
    if (updated > 0) {
      store(db, key, n, sketch);
      c.shard.dirty += updated;
    }
    c.out.integer(updated > 0 ? 1 : 0);
  }

  /** Stores an edited sketch under {@code key} (node {@code n}, null if new), as a "pfadd" event. */
  private static void store(Db db, byte[] key, Dict.Node<Object> n, HyperLogLog.Sketch sketch) {
    sketch.invalidateCache();
    if (n == null) {
      db.set(key, sketch.bytes(), false);
    } else {
      db.replace(n, sketch.bytes());
    }
    db.notify(Notify.STRING, "pfadd", key);
  }

  static void pfcount(Client c, byte[][] argv) {
    Db db = c.db();
    if (argv.length > 2) {
      byte[] max = new byte[HyperLogLog.REGISTERS];
      for (int j = 1; j < argv.length; j++) {
        Object v = db.get(argv[j]);
        if (v == null) {
          continue;
        }
        if (!checkHll(c, v)) {
          return;
        }
        if (!HyperLogLog.mergeInto(max, Strs.bytes(v))) {
          c.error(Errors.HLL_CORRUPT);
          return;
        }
      }
      c.out.integer(HyperLogLog.countRegisters(max));
      return;
    }
    Object v = db.get(argv[1]);
    if (v == null) {
      c.out.integer(0);
      return;
    }
    if (!checkHll(c, v)) {
      return;
    }
    byte[] hll = Strs.bytes(v);
    if (HyperLogLog.cacheValid(hll)) {
      c.out.integer(HyperLogLog.cachedCount(hll));
      return;
    }
    Long card = HyperLogLog.count(hll);
    if (card == null) {
      c.error(Errors.HLL_CORRUPT);
      return;
    }
    db.replace(db.node(argv[1]), HyperLogLog.withCachedCount(hll, card));
    c.shard.dirty++;
    c.out.integer(card);
  }

  static void pfmerge(Client c, byte[][] argv) {
    Db db = c.db();
    byte[] max = new byte[HyperLogLog.REGISTERS];
    boolean dense = false;
    for (int j = 1; j < argv.length; j++) {
      Object v = db.get(argv[j]);
      if (v == null) {
        continue;
      }
      if (!checkHll(c, v)) {
        return;
      }
      byte[] hll = Strs.bytes(v);
      dense |= HyperLogLog.encoding(hll) == HyperLogLog.DENSE;
      if (!HyperLogLog.mergeInto(max, hll)) {
        c.error(Errors.HLL_CORRUPT);
        return;
      }
    }
    byte[] key = argv[1];
    Dict.Node<Object> n = db.node(key);
    HyperLogLog.Sketch sketch = n == null ? HyperLogLog.Sketch.empty()
        : new HyperLogLog.Sketch(Strs.bytes(n.value));
    if (dense && !sketch.toDense()) {
      // unreachable in practice: the destination was validated by the merge above
      c.error(Errors.HLL_CORRUPT);
      return;
    }
    long sparseMax = sparseMax(c);
    for (int r = 0; r < HyperLogLog.REGISTERS; r++) {
      if (max[r] != 0) {
        sketch.set(r, max[r], sparseMax);
      }
    }
    store(db, key, n, sketch); // Redis announces a merge as a mass PFADD
    c.shard.dirty++;
    c.ok();
  }

  static void pfselftest(Client c, byte[][] argv) {
    String failure = HyperLogLog.selfTest(0x5eedL, sparseMax(c));
    if (failure == null) {
      c.ok();
    } else {
      c.error(failure);
    }
  }

  static void pfdebug(Client c, byte[][] argv) {
    Db db = c.db();
    Dict.Node<Object> n = db.node(argv[2]);
    if (n == null) {
      c.error(Errors.HLL_NO_KEY);
      return;
    }
    if (!checkHll(c, n.value)) {
      return;
    }
    byte[] hll = Strs.bytes(n.value);
    byte[] sub = argv[1];
    if (Args.is(sub, "getreg")) {
      if (HyperLogLog.encoding(hll) == HyperLogLog.SPARSE) {
        hll = toDense(c, n, hll);
        if (hll == null) {
          return;
        }
      }
      c.out.array(HyperLogLog.REGISTERS);
      for (int v : HyperLogLog.registers(hll)) {
        c.out.integer(v);
      }
    } else if (Args.is(sub, "decode")) {
      if (HyperLogLog.encoding(hll) != HyperLogLog.SPARSE) {
        c.error(Errors.HLL_NOT_SPARSE);
        return;
      }
      c.out.bulk(HyperLogLog.decodeSparse(hll));
    } else if (Args.is(sub, "encoding")) {
      c.out.simple(HyperLogLog.encoding(hll) == HyperLogLog.DENSE ? "dense" : "sparse");
    } else if (Args.is(sub, "todense")) {
      boolean converted = false;
      if (HyperLogLog.encoding(hll) == HyperLogLog.SPARSE) {
        if (toDense(c, n, hll) == null) {
          return;
        }
        converted = true;
      }
      c.out.integer(converted ? 1 : 0);
    } else {
      // Redis prints the name as a C string: it ends at the first NUL byte.
      int end = 0;
      while (end < sub.length && sub[end] != 0) {
        end++;
      }
      c.error(String.format(Errors.PFDEBUG_UNKNOWN,
          new String(sub, 0, end, StandardCharsets.ISO_8859_1)));
    }
  }

  /**
   * PFDEBUG's conversion of a sparse key to dense: stored without signalling watchers, counted
   * as one change, as Redis does. Null after replying the corruption error.
   */
  private static byte[] toDense(Client c, Dict.Node<Object> n, byte[] hll) {
    HyperLogLog.Sketch sketch = new HyperLogLog.Sketch(hll);
    if (!sketch.toDense()) {
      c.error(Errors.HLL_CORRUPT);
      return null;
    }
    byte[] dense = sketch.bytes();
    c.db().willChange(n);
    n.value = dense;
    c.shard.dirty++;
    return dense;
  }
}
