package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Effects;
import io.kiln.keyspace.Notify;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import io.kiln.types.HashValue;
import io.kiln.types.SetValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The set family: SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SRANDMEMBER SPOP SMOVE SINTER
 * SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN, over {@link SetValue}, with
 * Redis 7.0's replies, errors and result encodings. Stateless; handlers run on the event loop of
 * the shard owning the keys.
 */
public final class SetCommands {
  private SetCommands() {}

  static void register(CommandTable t) {
    t.add("sadd", -3, "write denyoom fast", 1, 1, 1, SetCommands::sadd);
    t.add("srem", -3, "write fast", 1, 1, 1, SetCommands::srem);
    t.add("scard", 2, "readonly fast", 1, 1, 1, SetCommands::scard);
    t.add("sismember", 3, "readonly fast", 1, 1, 1, SetCommands::sismember);
    t.add("smismember", -3, "readonly fast", 1, 1, 1, SetCommands::smismember);
    t.add("smembers", 2, "readonly", 1, 1, 1, (c, a) -> sinter(c, a, 1, a.length, null, false, 0));
    t.add("srandmember", -2, "readonly", 1, 1, 1, SetCommands::srandmember);
    t.add("spop", -2, "write fast", 1, 1, 1, SetCommands::spop);
    t.add("smove", 4, "write fast", 1, 2, 1, SetCommands::smove);
    t.add("sinter", -2, "readonly", 1, -1, 1,
        (c, a) -> sinter(c, a, 1, a.length, null, false, 0));
    t.add("sintercard", -3, "readonly", 0, 0, 0, SetCommands::sintercard);
    t.add("sinterstore", -3, "write denyoom", 1, -1, 1,
        (c, a) -> sinter(c, a, 2, a.length, a[1], false, 0));
    t.add("sunion", -2, "readonly", 1, -1, 1, (c, a) -> unionDiff(c, a, null, false));
    t.add("sunionstore", -3, "write denyoom", 1, -1, 1, (c, a) -> unionDiff(c, a, a[1], false));
    t.add("sdiff", -2, "readonly", 1, -1, 1, (c, a) -> unionDiff(c, a, null, true));
    t.add("sdiffstore", -3, "write denyoom", 1, -1, 1, (c, a) -> unionDiff(c, a, a[1], true));
    t.add("sscan", -3, "readonly", 1, 1, 1, SetCommands::sscan);
  }

  /** Returned by {@link #read} after it replied WRONGTYPE. */
  private static final SetValue WRONG = new SetValue();

  /** The set at {@code key}, null if absent, or {@link #WRONG} after replying WRONGTYPE. */
  private static SetValue read(Client c, byte[] key) {
    return Members.read(c, key, SetValue.class, WRONG);
  }

  private static int maxIntset(Client c) {
    return HashValue.limit(c.kiln.config(), "set-max-intset-entries");
  }

  private static SplittableRandom random(Client c) {
    return new SplittableRandom(c.shard.random().nextLong());
  }

  // ---- single-set commands ----

  static void sadd(Client c, byte[][] argv) {
    Db db = c.db();
    Dict.Node<Object> n = db.node(argv[1]);
    SetValue s;
    if (n == null) {
      s = SetValue.forFirst(argv[2]);
      db.set(argv[1], s, false);
    } else if (n.value instanceof SetValue v) {
      s = v;
      c.shard.access(n);
      db.willChange(n);
    } else {
      c.error(Errors.WRONGTYPE);
      return;
    }
    int max = maxIntset(c);
    int added = 0;
    for (int i = 2; i < argv.length; i++) {
      if (s.add(argv[i], max)) {
        added++;
      }
    }
    if (added > 0) {
      db.touched(argv[1]);
      c.shard.dirty += added;
      db.notify(Notify.SET, "sadd", argv[1]);
    }
    c.out.integer(added);
  }

  static void srem(Client c, byte[][] argv) {
    Members.remove(c, argv, SetValue.class, SetValue::remove, Notify.SET, "srem");
  }


  static void scard(Client c, byte[][] argv) {
    SetValue s = read(c, argv[1]);
    if (s != WRONG) {
      c.out.integer(s == null ? 0 : s.size());
    }
  }

  static void sismember(Client c, byte[][] argv) {
    SetValue s = read(c, argv[1]);
    if (s != WRONG) {
      c.out.integer(s != null && s.contains(argv[2]) ? 1 : 0);
    }
  }

  static void smismember(Client c, byte[][] argv) {
    SetValue s = read(c, argv[1]);
    if (s == WRONG) {
      return;
    }
    c.out.array(argv.length - 2);
    for (int i = 2; i < argv.length; i++) {
      c.out.integer(s != null && s.contains(argv[i]) ? 1 : 0);
    }
  }

  // ---- SRANDMEMBER, SPOP ----

  static void srandmember(Client c, byte[][] argv) {
    if (argv.length > 3) {
      c.error(Errors.SYNTAX);
      return;
    }
    if (argv.length == 2) {
      SetValue s = read(c, argv[1]);
      if (s == WRONG) {
        return;
      }
      if (s == null) {
        c.out.nullBulk();
      } else {
        c.out.bulk(s.random(c.shard.random()));
      }
      return;
    }
    Long parsed = Numbers.toLong(argv[2]);
    if (parsed == null) {
      c.error(Errors.NOT_INTEGER);
      return;
    }
    if (parsed == Long.MIN_VALUE) {
      c.error(Errors.LONG_RANGE);
      return;
    }
    SetValue s = read(c, argv[1]);
    if (s == WRONG) {
      return;
    }
    long l = parsed;
    if (s == null || l == 0) {
      c.out.array(0);
      return;
    }
    int size = s.size();
    if (l < 0) {
      long count = -l;
      c.out.array(count);
      List<byte[]> all = s.isIntset() ? s.members() : null;
      SplittableRandom rnd = random(c);
      for (long i = 0; i < count; i++) {
        c.out.bulk(all != null ? all.get(rnd.nextInt(size)) : s.random(c.shard.random()));
      }
      return;
    }
    if (l >= size) {
      c.out.array(size);
      s.forEach(c.out::bulk);
      return;
    }
    c.out.array(l);
    if (!s.isIntset() && l * 3 < size) {
      // few picks from a large table: draw random members until enough distinct ones
      Dict<Object> picked = new Dict<>();
      while (picked.size() < l) {
        picked.addNodeIfAbsent(s.random(c.shard.random()), null);
      }
      picked.forEach(n -> c.out.bulk(n.key));
      return;
    }
    List<byte[]> all = s.members();
    int[] idx = HashCommands.pickDistinct(random(c), size, (int) l);
    for (int k : idx) {
      c.out.bulk(all.get(k));
    }
  }

  static void spop(Client c, byte[][] argv) {
    if (argv.length > 3) {
      c.error(Errors.SYNTAX);
      return;
    }
    long count = 1;
    if (argv.length == 3) {
      Long parsed = Numbers.toLong(argv[2]);
      if (parsed == null || parsed < 0) {
        c.error(Errors.NOT_POSITIVE);
        return;
      }
      count = parsed;
    }
    Db db = c.db();
    Dict.Node<Object> n = db.node(argv[1]);
    if (n == null) {
      if (argv.length == 3) {
        c.out.set(0);
      } else {
        c.out.nullBulk();
      }
      return;
    }
    if (!(n.value instanceof SetValue s)) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    if (argv.length == 3 && count == 0) {
      c.out.set(0);
      return;
    }
    db.willChange(n);
    int size = s.size();
    if (argv.length == 2) {
      byte[] m = s.random(c.shard.random());
      s.remove(m);
      c.shard.effects.rewrite(db.id, Effects.SREM, argv[1], m); // the member it picked
      finishPop(c, db, argv[1], s, 1);
      c.out.bulk(m);
      return;
    }
    if (count >= size) {
      c.out.set(size);
      s.forEach(c.out::bulk);
      c.shard.effects.rewrite(db.id, Effects.DEL, argv[1]);
      finishPop(c, db, argv[1], s, size);
      db.delete(argv[1]);
      db.notify(Notify.GENERIC, "del", argv[1]);
      return;
    }
    List<byte[]> picked = new ArrayList<>((int) count);
    if (s.isIntset()) {
      List<byte[]> all = s.members();
      for (int k : HashCommands.pickDistinct(random(c), size, (int) count)) {
        picked.add(all.get(k));
      }
      for (byte[] m : picked) {
        s.remove(m);
      }
    } else {
      for (long i = 0; i < count; i++) {
        byte[] m = s.random(c.shard.random());
        s.remove(m);
        picked.add(m);
      }
    }
    c.out.set(picked.size());
    byte[][] srem = new byte[picked.size() + 2][];
    srem[0] = Effects.SREM;
    srem[1] = argv[1];
    for (int i = 0; i < picked.size(); i++) {
      c.out.bulk(picked.get(i));
      srem[i + 2] = picked.get(i);
    }
    c.shard.effects.rewrite(db.id, srem);
    finishPop(c, db, argv[1], s, picked.size());
  }

  private static void finishPop(Client c, Db db, byte[] key, SetValue s, int removed) {
    c.shard.dirty += removed;
    db.notify(Notify.SET, "spop", key);
    db.removedFrom(key, s);
  }

  // ---- SMOVE ----

  static void smove(Client c, byte[][] argv) {
    Db db = c.db();
    Dict.Node<Object> srcNode = db.node(argv[1]);
    Dict.Node<Object> dstNode = db.node(argv[2]);
    if (srcNode == null) {
      c.out.integer(0);
      return;
    }
    if (!(srcNode.value instanceof SetValue src)
        || (dstNode != null && !(dstNode.value instanceof SetValue))) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    SetValue dst = dstNode == null ? null : (SetValue) dstNode.value;
    if (src == dst) {
      c.out.integer(src.contains(argv[3]) ? 1 : 0);
      return;
    }
    if (!src.contains(argv[3])) {
      c.out.integer(0);
      return;
    }
    db.willChange(srcNode);
    src.remove(argv[3]);
    db.notify(Notify.SET, "srem", argv[1]);
    db.removedFrom(argv[1], src);
    if (dst == null) {
      dst = SetValue.forFirst(argv[3]);
      db.set(argv[2], dst, false);
    } else if (!dst.contains(argv[3])) {
      db.willChange(dstNode);
    }
    c.shard.dirty++;
    if (dst.add(argv[3], maxIntset(c))) {
      // only a destination that gained the member changed: WATCH on it fires then alone
      c.shard.dirty++;
      db.touched(argv[2]);
      db.notify(Notify.SET, "sadd", argv[2]);
    }
    c.out.integer(1);
  }

  // ---- SINTER, SINTERCARD, SINTERSTORE ----

  static void sintercard(Client c, byte[][] argv) {
    Long numkeys = Numbers.toLong(argv[1]);
    if (numkeys == null || numkeys < 1) {
      c.error(Errors.NUMKEYS);
      return;
    }
    if (numkeys > argv.length - 2) {
      c.error(Errors.NUMKEYS_TOO_MANY);
      return;
    }
    long limit = 0;
    for (int j = 2 + (int) (long) numkeys; j < argv.length; j++) {
      if (Args.is(argv[j], "limit") && j + 1 < argv.length) {
        j++;
        Long l = Numbers.toLong(argv[j]);
        if (l == null || l < 0) {
          c.error(Errors.LIMIT_NEGATIVE);
          return;
        }
        limit = l;
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    sinter(c, argv, 2, 2 + (int) (long) numkeys, null, true, limit);
  }

  /**
   * The intersection of the sets at {@code argv[from..to)}: replied (as a set), counted
   * (SINTERCARD, stopping at {@code limit} when not 0) or stored at {@code dstKey}.
   */
  static void sinter(Client c, byte[][] argv, int from, int to, byte[] dstKey,
      boolean cardinalityOnly, long limit) {
    Db db = c.db();
    SetValue[] sets = new SetValue[to - from];
    boolean empty = false;
    for (int j = from; j < to; j++) {
      Object v = db.get(argv[j]);
      if (v == null) {
        empty = true;
      } else if (v instanceof SetValue s) {
        sets[j - from] = s;
      } else {
        c.error(Errors.WRONGTYPE);
        return;
      }
    }
    if (empty) {
      if (dstKey != null) {
        if (db.delete(dstKey)) {
          c.shard.dirty++;
          db.notify(Notify.GENERIC, "del", dstKey);
        }
        c.out.integer(0);
      } else if (cardinalityOnly) {
        c.out.integer(0);
      } else {
        c.out.set(0);
      }
      return;
    }
    Arrays.sort(sets, (a, b) -> Integer.compare(a.size(), b.size()));
    List<byte[]> result = new ArrayList<>();
    long[] card = {0};
    SetValue first = sets[0];
    // Every result member is a member of the smallest set: walk it, probe the others.
    try {
      first.forEach(m -> {
        for (int k = 1; k < sets.length; k++) {
          if (sets[k] != first && !sets[k].contains(m)) {
            return;
          }
        }
        card[0]++;
        if (!cardinalityOnly) {
          result.add(m);
        } else if (limit != 0 && card[0] >= limit) {
          throw StopWalk.INSTANCE;
        }
      });
    } catch (StopWalk stop) {
      // SINTERCARD reached its LIMIT
    }
    if (cardinalityOnly) {
      c.out.integer(card[0]);
    } else if (dstKey != null) {
      store(c, dstKey, result, "sinterstore");
    } else {
      c.out.set(result.size());
      for (byte[] m : result) {
        c.out.bulk(m);
      }
    }
  }

  /** Ends a walk early (no stack trace: cheap to throw). */
  private static final class StopWalk extends RuntimeException {
    static final StopWalk INSTANCE = new StopWalk();

    private StopWalk() {
      super(null, null, false, false);
    }
  }

  /** Stores {@code members} at {@code dstKey} as a new set (deleting it when empty). */
  private static void store(Client c, byte[] dstKey, List<byte[]> members, String event) {
    Db db = c.db();
    SetValue dst = new SetValue();
    int max = maxIntset(c);
    for (byte[] m : members) {
      dst.add(m, max);
    }
    storeSet(c, db, dstKey, dst, event);
  }

  private static void storeSet(Client c, Db db, byte[] dstKey, SetValue dst, String event) {
    if (dst.size() > 0) {
      db.set(dstKey, dst, false);
      c.shard.dirty++;
      db.notify(Notify.SET, event, dstKey);
      c.out.integer(dst.size());
    } else {
      if (db.delete(dstKey)) {
        c.shard.dirty++;
        db.notify(Notify.GENERIC, "del", dstKey);
      }
      c.out.integer(0);
    }
  }

  // ---- SUNION, SDIFF and their STORE forms ----

  static void unionDiff(Client c, byte[][] argv, byte[] dstKey, boolean diff) {
    Db db = c.db();
    int from = dstKey == null ? 1 : 2;
    SetValue[] sets = new SetValue[argv.length - from];
    for (int j = from; j < argv.length; j++) {
      Object v = db.get(argv[j]);
      if (v == null) {
        continue;
      }
      if (!(v instanceof SetValue s)) {
        c.error(Errors.WRONGTYPE);
        return;
      }
      sets[j - from] = s;
    }
    SetValue dst = new SetValue();
    int max = maxIntset(c);
    if (!diff) {
      for (SetValue s : sets) {
        if (s != null) {
          s.forEach(m -> dst.add(m, max));
        }
      }
    } else if (sets[0] != null) {
      SetValue first = sets[0];
      first.forEach(m -> {
        for (int k = 1; k < sets.length; k++) {
          if (sets[k] == null) {
            continue;
          }
          if (sets[k] == first || sets[k].contains(m)) {
            return;
          }
        }
        dst.add(m, max);
      });
    }
    if (dstKey != null) {
      storeSet(c, db, dstKey, dst, diff ? "sdiffstore" : "sunionstore");
      return;
    }
    c.out.set(dst.size());
    dst.forEach(c.out::bulk);
  }

  // ---- SSCAN ----

  static void sscan(Client c, byte[][] argv) {
    Long parsed = KeyCommands.parseCursor(argv[2]);
    if (parsed == null) {
      c.error(Errors.INVALID_CURSOR);
      return;
    }
    SetValue s = read(c, argv[1]);
    if (s == WRONG) {
      return;
    }
    if (s == null) {
      c.out.array(2);
      c.out.bulk("0");
      c.out.array(0);
      return;
    }
    HashCommands.ScanOptions opt = HashCommands.ScanOptions.parse(c, argv, 3);
    if (opt == null) {
      return;
    }
    List<byte[]> out = new ArrayList<>();
    long cursor = parsed;
    if (s.isIntset()) {
      s.forEach(m -> {
        if (opt.matches(m)) {
          out.add(m);
        }
      });
      cursor = 0;
    } else {
      List<byte[]> found = new ArrayList<>();
      long maxIterations = opt.count > Long.MAX_VALUE / 10 ? Long.MAX_VALUE : opt.count * 10;
      do {
        cursor = s.table().scan(cursor, n -> found.add(n.key));
      } while (cursor != 0 && maxIterations-- > 0 && found.size() < opt.count);
      for (byte[] m : found) {
        if (opt.matches(m)) {
          out.add(m);
        }
      }
    }
    c.out.array(2);
    c.out.bulk(Long.toUnsignedString(cursor));
    c.out.array(out.size());
    for (byte[] b : out) {
      c.out.bulk(b);
    }
  }
}
