package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Effects;
import io.kiln.keyspace.Notify;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Blocking;
import io.kiln.server.Client;
import io.kiln.types.ListValue;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The list family with Redis 7.0's replies and errors: pushes and pops at both ends (with
 * counts), LRANGE, LINDEX, LSET, LINSERT, LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP, and the
 * blocking forms BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP (which wait through the shard's
 * {@link Blocking} registry without blocking the event loop), plus CLIENT UNBLOCK.
 * Event loop.
 */
public final class ListCommands {
  private ListCommands() {}

  static void register(CommandTable t) {
    t.add("lpush", -3, "write denyoom fast", 1, 1, 1, (c, a) -> push(c, a, true, false));
    t.add("rpush", -3, "write denyoom fast", 1, 1, 1, (c, a) -> push(c, a, false, false));
    t.add("lpushx", -3, "write denyoom fast", 1, 1, 1, (c, a) -> push(c, a, true, true));
    t.add("rpushx", -3, "write denyoom fast", 1, 1, 1, (c, a) -> push(c, a, false, true));
    t.add("lpop", -2, "write fast", 1, 1, 1, (c, a) -> pop(c, a, true));
    t.add("rpop", -2, "write fast", 1, 1, 1, (c, a) -> pop(c, a, false));
    t.add("llen", 2, "readonly fast", 1, 1, 1, ListCommands::llen);
    t.add("lrange", 4, "readonly", 1, 1, 1, ListCommands::lrange);
    t.add("lindex", 3, "readonly", 1, 1, 1, ListCommands::lindex);
    t.add("lset", 4, "write denyoom", 1, 1, 1, ListCommands::lset);
    t.add("linsert", 5, "write denyoom", 1, 1, 1, ListCommands::linsert);
    t.add("lrem", 4, "write", 1, 1, 1, ListCommands::lrem);
    t.add("ltrim", 4, "write", 1, 1, 1, ListCommands::ltrim);
    t.add("lpos", -3, "readonly", 1, 1, 1, ListCommands::lpos);
    t.add("lmove", 5, "write denyoom", 1, 2, 1, ListCommands::lmove);
    t.add("rpoplpush", 3, "write denyoom", 1, 2, 1, ListCommands::rpoplpush);
    t.add("lmpop", -4, "write", 0, 0, 0, (c, a) -> lmpop(c, a, false));
    t.add("blpop", -3, "write noscript blocking", 1, -2, 1, (c, a) -> bpop(c, a, true));
    t.add("brpop", -3, "write noscript blocking", 1, -2, 1, (c, a) -> bpop(c, a, false));
    t.add("blmove", 6, "write denyoom noscript blocking", 1, 2, 1, ListCommands::blmove);
    t.add("brpoplpush", 4, "write denyoom noscript blocking", 1, 2, 1,
        ListCommands::brpoplpush);
    t.add("blmpop", -5, "write blocking", 0, 0, 0, (c, a) -> lmpop(c, a, true));
    CommandSpec client = t.lookup("client");
    if (client != null) {
      t.sub(client, "unblock", -3, "admin noscript loading stale", 0, 0, 0,
          ListCommands::clientUnblock);
    }
  }

  // ---- lookups ----

  /** Sentinel: the key holds another type (WRONGTYPE was replied). */
  private static final Dict.Node<Object> WRONG = new Dict<Object>().putNode(new byte[0], null);

  /**
   * The node of {@code key} when it holds a list, null when absent, {@link #WRONG} after replying
   * WRONGTYPE.
   */
  private static Dict.Node<Object> listNode(Client c, Db db, byte[] key) {
    return typed(c, db.node(key));
  }

  /** {@link #listNode} for a read command: counted in keyspace hits/misses ("keymiss" event). */
  private static Dict.Node<Object> listReadNode(Client c, Db db, byte[] key) {
    return typed(c, db.readNode(key));
  }

  private static Dict.Node<Object> typed(Client c, Dict.Node<Object> n) {
    if (n == null) {
      return null;
    }
    if (!(n.value instanceof ListValue)) {
      c.error(Errors.WRONGTYPE);
      return WRONG;
    }
    c.shard.access(n);
    return n;
  }

  private static ListValue newList(Client c) {
    return new ListValue(c.kiln.config().getInt("list-max-listpack-size"));
  }

  /** LEFT/RIGHT: 1 for left, 0 for right, -1 after replying a syntax error. */
  private static int side(Client c, byte[] arg) {
    if (Args.is(arg, "left")) {
      return 1;
    }
    if (Args.is(arg, "right")) {
      return 0;
    }
    c.error(Errors.SYNTAX);
    return -1;
  }

  // ---- pushes and pops ----

  static void push(Client c, byte[][] argv, boolean head, boolean onlyIfExists) {
    Db db = c.db();
    Dict.Node<Object> n = listNode(c, db, argv[1]);
    if (n == WRONG) {
      return;
    }
    if (n == null) {
      if (onlyIfExists) {
        c.out.integer(0);
        return;
      }
      ListValue l = newList(c);
      for (int i = 2; i < argv.length; i++) {
        l.push(argv[i], head);
      }
      db.set(argv[1], l, true);
      c.shard.dirty += argv.length - 2;
      db.notify(Notify.LIST, head ? "lpush" : "rpush", argv[1]);
      c.out.integer(l.size());
      return;
    }
    ListValue l = (ListValue) n.value;
    db.willChange(n);
    for (int i = 2; i < argv.length; i++) {
      l.push(argv[i], head);
    }
    db.touched(argv[1]);
    c.shard.dirty += argv.length - 2;
    db.notify(Notify.LIST, head ? "lpush" : "rpush", argv[1]);
    c.out.integer(l.size());
  }

  static void pop(Client c, byte[][] argv, boolean head) {
    if (argv.length > 3) {
      c.error(Errors.wrongArgs(head ? "lpop" : "rpop"));
      return;
    }
    long count = -1;
    if (argv.length == 3) {
      long v = Numbers.parseLong(argv[2]);
      if (v == Numbers.NOT_A_LONG || v < 0) {
        c.error(Errors.NOT_POSITIVE);
        return;
      }
      count = v;
    }
    Db db = c.db();
    Dict.Node<Object> n = listNode(c, db, argv[1]);
    if (n == WRONG) {
      return;
    }
    if (n == null) {
      if (count < 0) {
        c.out.nullBulk();
      } else {
        c.out.nullArray();
      }
      return;
    }
    ListValue l = (ListValue) n.value;
    if (count < 0) {
      db.willChange(n);
      c.out.bulk(l.pop(head));
      c.shard.dirty++;
      db.notify(Notify.LIST, head ? "lpop" : "rpop", n.key);
      db.removedFrom(n.key, l);
      return;
    }
    if (count == 0) {
      c.out.array(0);
      return;
    }
    popCount(c, db, n, l, head, count);
  }

  /** Pops up to {@code count} elements and replies them as an array. */
  private static void popCount(Client c, Db db, Dict.Node<Object> n, ListValue l, boolean head,
      long count) {
    long k = Math.min(count, l.size());
    db.willChange(n);
    c.out.array(k);
    for (long i = 0; i < k; i++) {
      c.out.bulk(l.pop(head));
    }
    c.shard.dirty += k;
    if (k > 0) { // LMPOP and BLMPOP (now or later) as the pop with a count they did
      c.shard.effects.rewrite(db.id, head ? LPOP : RPOP, n.key, Effects.num(k));
    }
    db.notify(Notify.LIST, head ? "lpop" : "rpop", n.key);
    db.removedFrom(n.key, l);
  }

  static void llen(Client c, byte[][] argv) {
    Dict.Node<Object> n = listReadNode(c, c.db(), argv[1]);
    if (n == WRONG) {
      return;
    }
    c.out.integer(n == null ? 0 : ((ListValue) n.value).size());
  }

  static void lrange(Client c, byte[][] argv) {
    long start = Args.longArg(c, argv[2]);
    if (start == Args.INVALID) {
      return;
    }
    long end = Args.longArg(c, argv[3]);
    if (end == Args.INVALID) {
      return;
    }
    Dict.Node<Object> n = listReadNode(c, c.db(), argv[1]);
    if (n == WRONG) {
      return;
    }
    if (n == null) {
      c.out.array(0);
      return;
    }
    ListValue l = (ListValue) n.value;
    long[] r = Args.rankRange(start, end, l.size());
    if (r == null) {
      c.out.array(0);
      return;
    }
    c.out.array(r[1] - r[0] + 1);
    l.forRange(r[0], r[1], c.out::bulk);
  }

  static void lindex(Client c, byte[][] argv) {
    Dict.Node<Object> n = listReadNode(c, c.db(), argv[1]);
    if (n == WRONG) {
      return;
    }
    if (n == null) {
      c.out.nullBulk();
      return;
    }
    long index = Args.longArg(c, argv[2]);
    if (index == Args.INVALID) {
      return;
    }
    ListValue l = (ListValue) n.value;
    if (index < 0) {
      index += l.size();
    }
    if (index < 0 || index >= l.size()) {
      c.out.nullBulk();
      return;
    }
    c.out.bulk(l.get(index));
  }

  static void lset(Client c, byte[][] argv) {
    Db db = c.db();
    Dict.Node<Object> n = listNode(c, db, argv[1]);
    if (n == WRONG) {
      return;
    }
    if (n == null) {
      c.error(Errors.NO_SUCH_KEY);
      return;
    }
    long index = Args.longArg(c, argv[2]);
    if (index == Args.INVALID) {
      return;
    }
    ListValue l = (ListValue) n.value;
    if (index < 0) {
      index += l.size();
    }
    if (index < 0 || index >= l.size()) {
      c.error(Errors.OUT_OF_RANGE);
      return;
    }
    db.willChange(n);
    l.set(index, argv[3]);
    db.touched(argv[1]);
    c.shard.dirty++;
    db.notify(Notify.LIST, "lset", argv[1]);
    c.ok();
  }

  static void linsert(Client c, byte[][] argv) {
    boolean after;
    if (Args.is(argv[2], "after")) {
      after = true;
    } else if (Args.is(argv[2], "before")) {
      after = false;
    } else {
      c.error(Errors.SYNTAX);
      return;
    }
    Db db = c.db();
    Dict.Node<Object> n = listNode(c, db, argv[1]);
    if (n == WRONG) {
      return;
    }
    if (n == null) {
      c.out.integer(0);
      return;
    }
    ListValue l = (ListValue) n.value;
    db.willChange(n);
    if (!l.insert(argv[3], argv[4], after)) {
      c.out.integer(-1);
      return;
    }
    db.touched(argv[1]);
    c.shard.dirty++;
    db.notify(Notify.LIST, "linsert", argv[1]);
    c.out.integer(l.size());
  }

  static void lrem(Client c, byte[][] argv) {
    long count = Args.longArg(c, argv[2]);
    if (count == Args.INVALID) {
      return;
    }
    Db db = c.db();
    Dict.Node<Object> n = listNode(c, db, argv[1]);
    if (n == WRONG) {
      return;
    }
    if (n == null) {
      c.out.integer(0);
      return;
    }
    ListValue l = (ListValue) n.value;
    db.willChange(n);
    long removed = l.remove(argv[3], count);
    if (removed > 0) {
      c.shard.dirty += removed;
      db.notify(Notify.LIST, "lrem", n.key);
      db.removedFrom(n.key, l);
    }
    c.out.integer(removed);
  }

  static void ltrim(Client c, byte[][] argv) {
    long start = Args.longArg(c, argv[2]);
    if (start == Args.INVALID) {
      return;
    }
    long end = Args.longArg(c, argv[3]);
    if (end == Args.INVALID) {
      return;
    }
    Db db = c.db();
    Dict.Node<Object> n = listNode(c, db, argv[1]);
    if (n == WRONG) {
      return;
    }
    if (n == null) {
      c.ok();
      return;
    }
    ListValue l = (ListValue) n.value;
    long len = l.size();
    long[] r = Args.rankRange(start, end, len);
    long ltrim = r == null ? len : r[0];
    long rtrim = r == null ? 0 : len - r[1] - 1;
    db.willChange(n);
    l.trim(ltrim, rtrim);
    c.shard.dirty += ltrim + rtrim;
    db.notify(Notify.LIST, "ltrim", n.key);
    db.removedFrom(n.key, l);
    c.ok();
  }

  static void lpos(Client c, byte[][] argv) {
    long rank = 1;
    long count = -1;
    long maxlen = 0;
    for (int i = 3; i < argv.length; i++) {
      boolean more = i + 1 < argv.length;
      if (Args.is(argv[i], "rank") && more) {
        long v = Numbers.parseLong(argv[++i]);
        if (v == Numbers.NOT_A_LONG && !Numbers.isLong(argv[i])) {
          c.error(Errors.NOT_INTEGER);
          return;
        }
        if (v == 0) {
          c.error(Errors.LPOS_RANK_ZERO);
          return;
        }
        rank = v;
      } else if (Args.is(argv[i], "count") && more) {
        long v = Numbers.parseLong(argv[++i]);
        if (v < 0) {
          c.error(Errors.LPOS_COUNT_NEGATIVE);
          return;
        }
        count = v;
      } else if (Args.is(argv[i], "maxlen") && more) {
        long v = Numbers.parseLong(argv[++i]);
        if (v < 0) {
          c.error(Errors.LPOS_MAXLEN_NEGATIVE);
          return;
        }
        maxlen = v;
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    Dict.Node<Object> n = listReadNode(c, c.db(), argv[1]);
    if (n == WRONG) {
      return;
    }
    if (n == null) {
      if (count >= 0) {
        c.out.array(0);
      } else {
        c.out.nullBulk();
      }
      return;
    }
    ListValue l = (ListValue) n.value;
    boolean forward = rank > 0;
    // Redis negates the rank; LLONG_MIN stays negative there, so every match qualifies and
    // COUNT never ends the search.
    boolean overflow = rank == Long.MIN_VALUE;
    long want = overflow ? 1 : Math.abs(rank);
    long limit = overflow ? 0 : count;
    long[] matches = {0};
    if (count < 0) {
      long[] found = {-1};
      l.find(argv[2], forward, maxlen, idx -> {
        if (++matches[0] >= want) {
          found[0] = idx;
          return false;
        }
        return true;
      });
      if (found[0] < 0) {
        c.out.nullBulk();
      } else {
        c.out.integer(found[0]);
      }
      return;
    }
    java.util.List<Long> hits = new java.util.ArrayList<>();
    l.find(argv[2], forward, maxlen, idx -> {
      if (++matches[0] >= want) {
        hits.add(idx);
        return limit == 0 || hits.size() < limit;
      }
      return true;
    });
    c.out.array(hits.size());
    for (long h : hits) {
      c.out.integer(h);
    }
  }

  // ---- moves ----

  static void lmove(Client c, byte[][] argv) {
    int from = side(c, argv[3]);
    if (from < 0) {
      return;
    }
    int to = side(c, argv[4]);
    if (to < 0) {
      return;
    }
    move(c, argv[1], argv[2], from == 1, to == 1);
  }

  static void rpoplpush(Client c, byte[][] argv) {
    move(c, argv[1], argv[2], false, true);
  }

  /** LMOVE's work: replies the moved element, nil when the source is absent. */
  private static void move(Client c, byte[] src, byte[] dst, boolean fromHead,
      boolean toHead) {
    Db db = c.db();
    Dict.Node<Object> n = listNode(c, db, src);
    if (n == WRONG) {
      return;
    }
    if (n == null) {
      c.out.nullBulk();
      return;
    }
    moveFrom(c, db, n, dst, fromHead, toHead);
  }

  /**
   * Moves one element from the non-empty list at {@code n} to {@code dst} and replies it; false
   * (after replying WRONGTYPE, nothing moved) when {@code dst} holds another type.
   */
  private static boolean moveFrom(Client c, Db db, Dict.Node<Object> n, byte[] dst,
      boolean fromHead, boolean toHead) {
    Dict.Node<Object> d = db.node(dst);
    if (d != null && !(d.value instanceof ListValue)) {
      c.error(Errors.WRONGTYPE);
      return false;
    }
    ListValue l = (ListValue) n.value;
    db.willChange(n);
    byte[] v = l.pop(fromHead);
    byte[] srcKey = n.key;
    // Redis announces the push to the destination first, then the pop from the source.
    if (d == n) {
      l.push(v, toHead);
      db.touched(srcKey);
      db.notify(Notify.LIST, toHead ? "lpush" : "rpush", dst);
      db.notify(Notify.LIST, fromHead ? "lpop" : "rpop", srcKey);
    } else {
      if (d == null) {
        ListValue nl = newList(c);
        nl.push(v, toHead);
        db.set(dst, nl, true);
      } else {
        db.willChange(d);
        ((ListValue) d.value).push(v, toHead);
        db.touched(dst);
      }
      db.notify(Notify.LIST, toHead ? "lpush" : "rpush", dst);
      db.notify(Notify.LIST, fromHead ? "lpop" : "rpop", srcKey);
      db.removedFrom(srcKey, l);
    }
    c.shard.dirty++;
    // BLMOVE and BRPOPLPUSH (now or later) as the move they did
    c.shard.effects.rewrite(db.id, LMOVE, srcKey, dst, fromHead ? LEFT : RIGHT,
        toHead ? LEFT : RIGHT);
    c.out.bulk(v);
    return true;
  }

  // Words of the effects the blocking forms record.
  private static final byte[] LPOP = Effects.ascii("LPOP");
  private static final byte[] RPOP = Effects.ascii("RPOP");
  private static final byte[] LMOVE = Effects.ascii("LMOVE");
  private static final byte[] LEFT = Effects.ascii("LEFT");
  private static final byte[] RIGHT = Effects.ascii("RIGHT");

  // ---- LMPOP / BLMPOP ----

  static void lmpop(Client c, byte[][] argv, boolean blocking) {
    int base = blocking ? 2 : 1;
    long numkeys = Numbers.parseLong(argv[base]);
    if (numkeys == Numbers.NOT_A_LONG || numkeys <= 0) {
      c.error(Errors.NUMKEYS);
      return;
    }
    if (numkeys > argv.length - base - 2) {
      c.error(Errors.SYNTAX);
      return;
    }
    int nk = (int) numkeys;
    int whereIdx = base + 1 + nk;
    int where = side(c, argv[whereIdx]);
    if (where < 0) {
      return;
    }
    long count = -1;
    for (int i = whereIdx + 1; i < argv.length; i++) {
      if (count < 0 && Args.is(argv[i], "count") && i + 1 < argv.length) {
        long v = Numbers.parseLong(argv[++i]);
        if (v == Numbers.NOT_A_LONG || v <= 0) {
          c.error(Errors.COUNT_POSITIVE);
          return;
        }
        count = v;
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    long deadline = 0;
    if (blocking) {
      deadline = timeout(c, argv[1]);
      if (deadline < 0) {
        return;
      }
    }
    long want = count < 0 ? 1 : count;
    byte[][] keys = new byte[nk][];
    System.arraycopy(argv, base + 1, keys, 0, nk);
    Db db = c.db();
    for (byte[] key : keys) {
      Dict.Node<Object> n = listNode(c, db, key);
      if (n == WRONG) {
        return;
      }
      if (n != null) {
        mpopReply(c, db, n, where == 1, want);
        return;
      }
    }
    if (!blocking || c.inExec() || c.inMulti()) {
      c.out.nullArray();
      return;
    }
    boolean head = where == 1;
    c.home.blocking().waitFor(c, keys, deadline, ListValue.class, false,
        (sdb, n) -> mpopReply(c, sdb, n, head, want));
  }

  /** LMPOP's reply: [key, [elements]]. */
  private static void mpopReply(Client c, Db db, Dict.Node<Object> n, boolean head, long count) {
    c.out.array(2);
    c.out.bulk(n.key);
    popCount(c, db, n, (ListValue) n.value, head, count);
  }

  // ---- blocking commands ----

  /**
   * Parses a blocking command's timeout (seconds, fractional) as Redis 7.0 does: returns the
   * absolute deadline in ms, 0 for "forever", or -1 after replying an error.
   */
  static long timeout(Client c, byte[] arg) {
    String s = Numbers.ascii(arg).toLowerCase(java.util.Locale.ROOT);
    String unsigned = s.startsWith("+") || s.startsWith("-") ? s.substring(1) : s;
    if (unsigned.equals("inf") || unsigned.equals("infinity")) {
      // strtold accepts infinities; converting them to milliseconds overflows to a negative.
      c.error(Errors.TIMEOUT_NEGATIVE);
      return -1;
    }
    BigDecimal secs = Numbers.parseLongDouble(arg);
    if (secs == null) {
      c.error(Errors.TIMEOUT_NOT_FLOAT);
      return -1;
    }
    BigDecimal ms = Numbers.addLongDouble(secs.multiply(BigDecimal.valueOf(1000)),
        BigDecimal.ZERO);
    if (ms == null) {
      c.error(Errors.TIMEOUT_NEGATIVE);
      return -1;
    }
    BigDecimal ceil = ms.setScale(0, RoundingMode.CEILING);
    if (ceil.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0
        || ceil.compareTo(BigDecimal.valueOf(Long.MIN_VALUE)) < 0) {
      // An out-of-range conversion yields LLONG_MIN on the platforms Redis runs on.
      c.error(Errors.TIMEOUT_NEGATIVE);
      return -1;
    }
    long t = ceil.longValue();
    if (t < 0) {
      c.error(Errors.TIMEOUT_NEGATIVE);
      return -1;
    }
    if (t == 0) {
      return 0;
    }
    long now = System.currentTimeMillis();
    return t > Long.MAX_VALUE - now ? Long.MAX_VALUE : t + now;
  }

  static void bpop(Client c, byte[][] argv, boolean head) {
    long deadline = timeout(c, argv[argv.length - 1]);
    if (deadline < 0) {
      return;
    }
    Db db = c.db();
    byte[][] keys = new byte[argv.length - 2][];
    System.arraycopy(argv, 1, keys, 0, keys.length);
    for (byte[] key : keys) {
      Dict.Node<Object> n = listNode(c, db, key);
      if (n == WRONG) {
        return;
      }
      if (n != null) {
        bpopReply(c, db, n, head);
        return;
      }
    }
    if (c.inExec() || c.inMulti()) {
      c.out.nullArray();
      return;
    }
    c.home.blocking().waitFor(c, keys, deadline, ListValue.class, false,
        (sdb, n) -> bpopReply(c, sdb, n, head));
  }

  /** BLPOP's reply: [key, element]. */
  private static void bpopReply(Client c, Db db, Dict.Node<Object> n, boolean head) {
    ListValue l = (ListValue) n.value;
    db.willChange(n);
    byte[] v = l.pop(head);
    c.shard.dirty++;
    c.shard.effects.rewrite(db.id, head ? LPOP : RPOP, n.key); // BLPOP, now or later
    c.out.array(2);
    c.out.bulk(n.key);
    c.out.bulk(v);
    db.notify(Notify.LIST, head ? "lpop" : "rpop", n.key);
    db.removedFrom(n.key, l);
  }

  static void blmove(Client c, byte[][] argv) {
    int from = side(c, argv[3]);
    if (from < 0) {
      return;
    }
    int to = side(c, argv[4]);
    if (to < 0) {
      return;
    }
    long deadline = timeout(c, argv[5]);
    if (deadline < 0) {
      return;
    }
    bmove(c, argv[1], argv[2], from == 1, to == 1, deadline);
  }

  static void brpoplpush(Client c, byte[][] argv) {
    long deadline = timeout(c, argv[3]);
    if (deadline < 0) {
      return;
    }
    bmove(c, argv[1], argv[2], false, true, deadline);
  }

  private static void bmove(Client c, byte[] src, byte[] dst, boolean fromHead, boolean toHead,
      long deadline) {
    Db db = c.db();
    Dict.Node<Object> n = listNode(c, db, src);
    if (n == WRONG) {
      return;
    }
    if (n != null) {
      moveFrom(c, db, n, dst, fromHead, toHead);
      return;
    }
    if (c.inExec() || c.inMulti()) {
      c.out.nullBulk();
      return;
    }
    c.home.blocking().waitFor(c, new byte[][] {src}, deadline, ListValue.class, true,
        (sdb, found) -> {
          // A destination of another type: the client gets WRONGTYPE and the element stays.
          moveFrom(c, sdb, found, dst, fromHead, toHead);
        });
  }

  // ---- CLIENT UNBLOCK ----

  static void clientUnblock(Client c, byte[][] argv) {
    long id = Args.longArg(c, argv[2]);
    if (id == Args.INVALID) {
      return;
    }
    boolean error = false;
    if (argv.length == 4) {
      if (Args.is(argv[3], "error")) {
        error = true;
      } else if (!Args.is(argv[3], "timeout")) {
        c.error(Errors.UNBLOCK_REASON);
        return;
      }
    } else if (argv.length > 4) {
      c.error(Errors.UNBLOCK_REASON);
      return;
    }
    Client target = c.home.clients().get(id);
    boolean done = target != null
        && c.home.blocking().unblockClient(target, error ? Errors.UNBLOCKED : null);
    c.out.integer(done ? 1 : 0);
  }
}
