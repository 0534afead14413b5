package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Effects;
import io.kiln.keyspace.Notify;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.resp.RespWriter;
import io.kiln.server.Client;
import io.kiln.types.ZSetValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The sorted-set family (Redis 7.0 semantics), its single-key core: ZADD / ZINCRBY, ZREM, ZCARD,
 * ZSCORE / ZMSCORE, ZRANK / ZREVRANK, the pops (ZPOPMIN / ZPOPMAX, ZMPOP, BZPOPMIN / BZPOPMAX,
 * BZMPOP), ZRANDMEMBER and ZSCAN, with the helpers the rest of the family, GEOADD and DEBUG DIGEST
 * share. Ranges and their removals are in {@link ZRangeCommands}; the union / intersection /
 * difference family in {@link ZSetAlgebraCommands}. Values are {@link ZSetValue}s. Event loop.
 */
public final class ZSetCommands {
  private ZSetCommands() {}

  static void register(CommandTable t) {
    t.add("zadd", -4, "write denyoom fast", 1, 1, 1, ZSetCommands::zadd);
    t.add("zincrby", 4, "write denyoom fast", 1, 1, 1, ZSetCommands::zincrby);
    t.add("zrem", -3, "write fast", 1, 1, 1, ZSetCommands::zrem);
    t.add("zcard", 2, "readonly fast", 1, 1, 1, ZSetCommands::zcard);
    t.add("zscore", 3, "readonly fast", 1, 1, 1, ZSetCommands::zscore);
    t.add("zmscore", -3, "readonly fast", 1, 1, 1, ZSetCommands::zmscore);
    t.add("zrank", 3, "readonly fast", 1, 1, 1, (c, a) -> zrank(c, a, false));
    t.add("zrevrank", 3, "readonly fast", 1, 1, 1, (c, a) -> zrank(c, a, true));
    t.add("zpopmin", -2, "write fast", 1, 1, 1, (c, a) -> zpop(c, a, false));
    t.add("zpopmax", -2, "write fast", 1, 1, 1, (c, a) -> zpop(c, a, true));
    t.add("zmpop", -4, "write", 0, 0, 0, ZSetCommands::zmpop);
    t.add("bzpopmin", -3, "write noscript blocking fast", 1, -2, 1, (c, a) -> bzpop(c, a, false));
    t.add("bzpopmax", -3, "write noscript blocking fast", 1, -2, 1, (c, a) -> bzpop(c, a, true));
    t.add("bzmpop", -5, "write blocking", 0, 0, 0, ZSetCommands::bzmpop);
    t.add("zrandmember", -2, "readonly", 1, 1, 1, ZSetCommands::zrandmember);
    t.add("zscan", -3, "readonly", 1, 1, 1, ZSetCommands::zscan);
  }

  // ---- lookups, shared by the family ----

  /** Sentinel: the key holds another type and WRONGTYPE was replied. */
  static final ZSetValue WRONG = new ZSetValue(false);

  /** The sorted set at {@code key} for reading, null if absent, WRONG after replying. */
  static ZSetValue read(Client c, byte[] key) {
    return Members.read(c, key, ZSetValue.class, WRONG);
  }

  /** The live node of {@code key}, null if absent; {@code wrong[0]} true after WRONGTYPE. */
  static Dict.Node<Object> writeNode(Client c, byte[] key, boolean[] wrong) {
    Dict.Node<Object> n = c.db().node(key);
    if (n != null && !(n.value instanceof ZSetValue)) {
      c.error(Errors.WRONGTYPE);
      wrong[0] = true;
    }
    return n;
  }

  static long maxEntries(Client c) {
    return c.kiln.config().getLong("zset-max-listpack-entries");
  }

  static long maxValue(Client c) {
    return c.kiln.config().getLong("zset-max-listpack-value");
  }

  /** Writes elements: members only, flat member/score (RESP2) or pairs (RESP3). */
  static ZSetValue.Visitor emitter(RespWriter out, boolean withScores) {
    if (!withScores) {
      return (b, o, l, s) -> out.bulk(b, o, l);
    }
    if (out.resp3()) {
      return (b, o, l, s) -> {
        out.array(2);
        out.bulk(b, o, l);
        out.dbl(s);
      };
    }
    return (b, o, l, s) -> {
      out.bulk(b, o, l);
      out.dbl(s);
    };
  }

  /** The member a visitor was given, as its own array (the same one when it spans all of it). */
  static byte[] member(byte[] b, int off, int len) {
    return off == 0 && len == b.length ? b : Arrays.copyOfRange(b, off, off + len);
  }

  // ---- ZADD / ZINCRBY ----

  static void zadd(Client c, byte[][] argv) {
    int flags = 0;
    boolean ch = false;
    int i = 2;
    for (; i < argv.length; i++) {
      byte[] a = argv[i];
      if (Args.is(a, "nx")) {
        flags |= ZSetValue.IN_NX;
      } else if (Args.is(a, "xx")) {
        flags |= ZSetValue.IN_XX;
      } else if (Args.is(a, "ch")) {
        ch = true;
      } else if (Args.is(a, "incr")) {
        flags |= ZSetValue.IN_INCR;
      } else if (Args.is(a, "gt")) {
        flags |= ZSetValue.IN_GT;
      } else if (Args.is(a, "lt")) {
        flags |= ZSetValue.IN_LT;
      } else {
        break;
      }
    }
    int elements = argv.length - i;
    if (elements % 2 != 0 || elements == 0) {
      c.error(Errors.SYNTAX);
      return;
    }
    elements /= 2;
    boolean nx = (flags & ZSetValue.IN_NX) != 0;
    boolean xx = (flags & ZSetValue.IN_XX) != 0;
    boolean gt = (flags & ZSetValue.IN_GT) != 0;
    boolean lt = (flags & ZSetValue.IN_LT) != 0;
    if (nx && xx) {
      c.error(Errors.ZADD_XX_NX);
      return;
    }
    if ((gt && nx) || (lt && nx) || (gt && lt)) {
      c.error(Errors.ZADD_GT_LT_NX);
      return;
    }
    boolean incr = (flags & ZSetValue.IN_INCR) != 0;
    if (incr && elements > 1) {
      c.error(Errors.ZADD_INCR_PAIR);
      return;
    }
    double[] scores = new double[elements];
    for (int j = 0; j < elements; j++) {
      Double d = Numbers.toDouble(argv[i + 2 * j]);
      if (d == null) {
        c.error(Errors.NOT_FLOAT);
        return;
      }
      scores[j] = d;
    }
    addGeneric(c, argv[1], flags, ch, scores, argv, i);
  }

  static void zincrby(Client c, byte[][] argv) {
    Double d = Numbers.toDouble(argv[2]);
    if (d == null) {
      c.error(Errors.NOT_FLOAT);
      return;
    }
    addGeneric(c, argv[1], ZSetValue.IN_INCR, false, new double[] {d}, argv, 2);
  }

  /**
   * ZADD's work once its arguments are parsed: {@code scores[j]} for the member at
   * {@code argv[scoreIdx + 1 + 2j]}; replies, notifies and counts changes as ZADD does. GEOADD
   * calls it with the ZADD it stands for.
   */
  static void addGeneric(Client c, byte[] key, int flags, boolean ch, double[] scores,
      byte[][] argv, int scoreIdx) {
    boolean incr = (flags & ZSetValue.IN_INCR) != 0;
    boolean[] wrong = {false};
    Db db = c.db();
    Dict.Node<Object> n = writeNode(c, key, wrong);
    if (wrong[0]) {
      return;
    }
    long maxEntries = maxEntries(c);
    long maxValue = maxValue(c);
    ZSetValue z;
    boolean created = false;
    if (n == null) {
      if ((flags & ZSetValue.IN_XX) != 0) {
        if (incr) {
          c.out.nullBulk();
        } else {
          c.out.integer(0);
        }
        return;
      }
      boolean big = maxEntries == 0 || argv[scoreIdx + 1].length > maxValue;
      z = new ZSetValue(big);
      created = true;
    } else {
      z = (ZSetValue) n.value;
      db.willChange(n);
    }
    long added = 0;
    long updated = 0;
    long processed = 0;
    double[] out = new double[1];
    double score = 0;
    for (int j = 0; j < scores.length; j++) {
      int r = z.add(scores[j], argv[scoreIdx + 1 + 2 * j], flags, out, maxEntries, maxValue);
      if (r == ZSetValue.OUT_NAN) {
        c.error(Errors.ZSET_NAN_SCORE); // only INCR (one element, an existing member) gets here
        return;
      }
      if ((r & ZSetValue.OUT_ADDED) != 0) {
        added++;
      }
      if ((r & ZSetValue.OUT_UPDATED) != 0) {
        updated++;
      }
      if ((r & ZSetValue.OUT_NOP) == 0) {
        processed++;
        score = out[0];
      }
    }
    if (created && z.size() > 0) {
      db.set(key, z, false);
    } else if (!created && added + updated > 0) {
      db.touched(key);
    }
    c.shard.dirty += added + updated;
    if (added + updated > 0) db.notify(Notify.ZSET, incr ? "zincr" : "zadd", key);
    replyAdd(c, incr, ch, added, updated, processed, score);
  }

  private static void replyAdd(Client c, boolean incr, boolean ch, long added, long updated,
      long processed, double score) {
    if (incr) {
      if (processed > 0) {
        c.out.dbl(score);
      } else {
        c.out.nullBulk();
      }
    } else {
      c.out.integer(ch ? added + updated : added);
    }
  }

  // ---- ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK ----

  static void zrem(Client c, byte[][] argv) {
    Members.remove(c, argv, ZSetValue.class, ZSetValue::remove, Notify.ZSET, "zrem");
  }

  static void zcard(Client c, byte[][] argv) {
    ZSetValue z = read(c, argv[1]);
    if (z == WRONG) {
      return;
    }
    c.out.integer(z == null ? 0 : z.size());
  }

  static void zscore(Client c, byte[][] argv) {
    ZSetValue z = read(c, argv[1]);
    if (z == WRONG) {
      return;
    }
    double s = z == null ? Double.NaN : z.score(argv[2]);
    if (Double.isNaN(s)) {
      c.out.nullBulk();
    } else {
      c.out.dbl(s);
    }
  }

  static void zmscore(Client c, byte[][] argv) {
    ZSetValue z = read(c, argv[1]);
    if (z == WRONG) {
      return;
    }
    c.out.array(argv.length - 2);
    for (int i = 2; i < argv.length; i++) {
      double s = z == null ? Double.NaN : z.score(argv[i]);
      if (Double.isNaN(s)) {
        c.out.nullBulk();
      } else {
        c.out.dbl(s);
      }
    }
  }

  static void zrank(Client c, byte[][] argv, boolean rev) {
    ZSetValue z = read(c, argv[1]);
    if (z == WRONG) {
      return;
    }
    long r = z == null ? -1 : z.rank(argv[2]);
    if (r < 0) {
      c.out.nullBulk();
    } else {
      c.out.integer(rev ? z.size() - 1 - r : r);
    }
  }

  // ---- pops ----

  static void zpop(Client c, byte[][] argv, boolean max) {
    if (argv.length > 3) {
      c.error(Errors.SYNTAX);
      return;
    }
    long count = 1;
    boolean hasCount = argv.length == 3;
    if (hasCount) {
      Long v = Numbers.toLong(argv[2]);
      if (v == null || v < 0) {
        c.error(Errors.NOT_POSITIVE);
        return;
      }
      count = v;
    }
    boolean[] wrong = {false};
    Dict.Node<Object> n = writeNode(c, argv[1], wrong);
    if (wrong[0]) {
      return;
    }
    if (n == null || count == 0) {
      c.out.array(0);
      return;
    }
    popAndReply(c, n, max, count, hasCount && c.out.resp3(), false);
  }

  /**
   * Pops up to {@code count} elements of the node's sorted set and replies them: flat
   * member/score, or member/score pairs when {@code pairs}; ZMPOP wraps them with the key.
   */
  private static void popAndReply(Client c, Dict.Node<Object> n, boolean max, long count,
      boolean pairs, boolean withKey) {
    ZSetValue z = (ZSetValue) n.value;
    int size = z.size();
    int k = (int) Math.min(count, size);
    int lo = max ? size - k : 0;
    int hi = max ? size - 1 : k - 1;
    RespWriter out = c.out;
    if (withKey) {
      out.array(2);
      out.bulk(n.key);
    }
    out.array(pairs ? k : 2L * k);
    z.range(lo, hi, max, (b, o, l, s) -> {
      if (pairs) {
        out.array(2);
      }
      out.bulk(b, o, l);
      out.dbl(s);
    });
    Db db = c.db();
    byte[] key = n.key;
    db.willChange(n);
    z.removeRange(lo, hi);
    db.notify(Notify.ZSET, max ? "zpopmax" : "zpopmin", key);
    db.removedFrom(key, z);
    c.shard.dirty += k;
    if (k > 0) { // ZMPOP and BZMPOP (now or later) as the pop with a count they did
      c.shard.effects.rewrite(db.id, max ? ZPOPMAX : ZPOPMIN, key, Effects.num(k));
    }
  }

  private static final byte[] ZPOPMIN = Effects.ascii("ZPOPMIN");
  private static final byte[] ZPOPMAX = Effects.ascii("ZPOPMAX");

  /** ZMPOP's and BZMPOP's arguments: keys in [firstKey, endKey), the end to pop, how many. */
  private record MpopArgs(int firstKey, int endKey, boolean max, long count) {}

  /**
   * Parses {@code numkeys key [key ...] MIN|MAX [COUNT count]} from {@code at}, with Redis's
   * checks in its order; null once the error is sent.
   */
  private static MpopArgs parseMpop(Client c, byte[][] argv, int at) {
    Long nk = Numbers.toLong(argv[at]);
    if (nk == null || nk < 1) {
      c.error(Errors.NUMKEYS);
      return null;
    }
    if (nk >= argv.length - at - 1) {
      c.error(Errors.SYNTAX);
      return null;
    }
    int whereIdx = (int) (at + 1 + nk);
    boolean max;
    if (Args.is(argv[whereIdx], "min")) {
      max = false;
    } else if (Args.is(argv[whereIdx], "max")) {
      max = true;
    } else {
      c.error(Errors.SYNTAX);
      return null;
    }
    long count = -1;
    for (int j = whereIdx + 1; j < argv.length; j++) {
      if (count == -1 && Args.is(argv[j], "count") && j < argv.length - 1) {
        Long v = Numbers.toLong(argv[++j]);
        if (v == null || v < 1) {
          c.error(Errors.COUNT_POSITIVE);
          return null;
        }
        count = v;
      } else {
        c.error(Errors.SYNTAX);
        return null;
      }
    }
    return new MpopArgs(at + 1, whereIdx, max, count == -1 ? 1 : count);
  }

  /** Pops from the first non-empty key of {@code a}; true once it replied (or sent WRONGTYPE). */
  private static boolean popFirst(Client c, byte[][] argv, MpopArgs a) {
    for (int i = a.firstKey(); i < a.endKey(); i++) {
      boolean[] wrong = {false};
      Dict.Node<Object> n = writeNode(c, argv[i], wrong);
      if (wrong[0]) {
        return true;
      }
      if (n != null) {
        popAndReply(c, n, a.max(), a.count(), true, true);
        return true;
      }
    }
    return false;
  }

  static void zmpop(Client c, byte[][] argv) {
    MpopArgs a = parseMpop(c, argv, 1);
    if (a != null && !popFirst(c, argv, a)) {
      c.out.nullArray();
    }
  }

  // ---- BZPOPMIN / BZPOPMAX / BZMPOP ----

  /**
   * BZPOPMIN / BZPOPMAX key [key ...] timeout: pops one element of the first non-empty sorted set,
   * or waits (in the shard's {@link io.kiln.server.Blocking} registry) for one to get a member.
   */
  static void bzpop(Client c, byte[][] argv, boolean max) {
    long deadline = ListCommands.timeout(c, argv[argv.length - 1]);
    if (deadline < 0) {
      return;
    }
    byte[][] keys = Arrays.copyOfRange(argv, 1, argv.length - 1);
    for (byte[] key : keys) {
      boolean[] wrong = {false};
      Dict.Node<Object> n = writeNode(c, key, wrong);
      if (wrong[0]) {
        return;
      }
      if (n != null) {
        bzpopReply(c, c.db(), n, max);
        return;
      }
    }
    if (c.inExec() || c.inMulti()) {
      c.out.nullArray();
      return;
    }
    c.home.blocking().waitFor(c, keys, deadline, ZSetValue.class, false,
        (db, n) -> bzpopReply(c, db, n, max));
  }

  /** BZPOPMIN's reply, [key, member, score], popping the element. */
  private static void bzpopReply(Client c, Db db, Dict.Node<Object> n, boolean max) {
    ZSetValue z = (ZSetValue) n.value;
    int rank = max ? z.size() - 1 : 0;
    RespWriter out = c.out;
    byte[] key = n.key;
    out.array(3);
    out.bulk(key);
    z.range(rank, rank, false, (b, o, l, s) -> {
      out.bulk(b, o, l);
      out.dbl(s);
    });
    db.willChange(n);
    z.removeRange(rank, rank);
    c.shard.dirty++;
    c.shard.effects.rewrite(db.id, max ? ZPOPMAX : ZPOPMIN, key); // BZPOPMIN, now or later
    db.notify(Notify.ZSET, max ? "zpopmax" : "zpopmin", key);
    db.removedFrom(key, z);
  }

  /** BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]. */
  static void bzmpop(Client c, byte[][] argv) {
    MpopArgs a = parseMpop(c, argv, 2);
    if (a == null) {
      return;
    }
    boolean max = a.max();
    long want = a.count();
    long deadline = ListCommands.timeout(c, argv[1]);
    if (deadline < 0 || popFirst(c, argv, a)) {
      return;
    }
    byte[][] keys = Arrays.copyOfRange(argv, a.firstKey(), a.endKey());
    if (c.inExec() || c.inMulti()) {
      c.out.nullArray();
      return;
    }
    c.home.blocking().waitFor(c, keys, deadline, ZSetValue.class, false,
        (db, n) -> popAndReply(c, n, max, want, true, true));
  }

  // ---- ZRANDMEMBER ----

  static void zrandmember(Client c, byte[][] argv) {
    if (argv.length >= 3) {
      Long v = Numbers.toLong(argv[2]);
      if (v == null) {
        c.error(Errors.NOT_INTEGER);
        return;
      }
      long l = v;
      if (l == Long.MIN_VALUE) {
        c.error(Errors.LONG_RANGE);
        return;
      }
      boolean withScores = false;
      if (argv.length > 4 || (argv.length == 4 && !Args.is(argv[3], "withscores"))) {
        c.error(Errors.SYNTAX);
        return;
      } else if (argv.length == 4) {
        withScores = true;
        if (l < -Long.MAX_VALUE / 2 || l > Long.MAX_VALUE / 2) {
          c.error(Errors.VALUE_OUT_OF_RANGE);
          return;
        }
      }
      randWithCount(c, argv[1], l, withScores);
      return;
    }
    ZSetValue z = read(c, argv[1]);
    if (z == WRONG) {
      return;
    }
    if (z == null) {
      c.out.nullBulk();
      return;
    }
    int r = c.shard.random().nextInt(z.size());
    z.range(r, r, false, (b, o, l, s) -> c.out.bulk(b, o, l));
  }

  private static void randWithCount(Client c, byte[] key, long count, boolean withScores) {
    ZSetValue z = read(c, key);
    if (z == WRONG) {
      return;
    }
    if (z == null || count == 0) {
      c.out.array(0);
      return;
    }
    RespWriter out = c.out;
    boolean pairs = withScores && out.resp3();
    ZSetValue.Visitor emit = emitter(out, withScores);
    int size = z.size();
    RandomGenerator rnd = c.shard.random();
    if (count < 0) {
      long n = -count;
      out.array(withScores && !pairs ? 2 * n : n);
      for (long i = 0; i < n; i++) {
        int r = rnd.nextInt(size);
        z.range(r, r, false, emit);
      }
      return;
    }
    if (count >= size) {
      out.array(withScores && !pairs ? 2L * size : size);
      // Redis walks a listpack from its tail here
      z.range(0, size - 1, z.isListpack(), emit);
      return;
    }
    int k = (int) count;
    // choose k distinct ranks: partial Fisher-Yates over the rank space when small,
    // rejection sampling otherwise
    int[] chosen = new int[k];
    if ((long) k * 3 > size) {
      int[] all = new int[size];
      for (int i = 0; i < size; i++) {
        all[i] = i;
      }
      for (int i = 0; i < k; i++) {
        int j = i + rnd.nextInt(size - i);
        int t = all[i];
        all[i] = all[j];
        all[j] = t;
        chosen[i] = all[i];
      }
    } else {
      java.util.HashSet<Integer> seen = new java.util.HashSet<>();
      for (int i = 0; i < k; ) {
        int r = rnd.nextInt(size);
        if (seen.add(r)) {
          chosen[i++] = r;
        }
      }
    }
    if (z.isListpack()) {
      Arrays.sort(chosen); // Redis samples a listpack in order
    }
    out.array(withScores && !pairs ? 2L * k : k);
    for (int r : chosen) {
      z.range(r, r, false, emit);
    }
  }

  // ---- ZSCAN ----

  static void zscan(Client c, byte[][] argv) {
    Long parsed = KeyCommands.parseCursor(argv[2]);
    if (parsed == null) {
      c.error(Errors.INVALID_CURSOR);
      return;
    }
    ZSetValue z = read(c, argv[1]);
    if (z == WRONG) {
      return;
    }
    long count = 10;
    byte[] pattern = null;
    for (int i = 3; i < argv.length; ) {
      int left = argv.length - i;
      if (Args.is(argv[i], "count") && left >= 2) {
        Long v = Numbers.toLong(argv[i + 1]);
        if (v == null) {
          c.error(Errors.NOT_INTEGER);
          return;
        }
        if (v < 1) {
          c.error(Errors.SYNTAX);
          return;
        }
        count = v;
        i += 2;
      } else if (Args.is(argv[i], "match") && left >= 2) {
        byte[] p = argv[i + 1];
        pattern = p.length == 1 && p[0] == '*' ? null : p;
        i += 2;
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    if (z == null) {
      c.out.array(2);
      c.out.bulk("0");
      c.out.array(0);
      return;
    }
    List<byte[]> members = new ArrayList<>();
    List<Double> scores = new ArrayList<>();
    ZSetValue.Visitor collect = (b, o, l, s) -> {
      members.add(member(b, o, l));
      scores.add(s);
    };
    long cursor = parsed;
    long maxIterations = count > Long.MAX_VALUE / 10 ? Long.MAX_VALUE : count * 10;
    do {
      cursor = z.scan(cursor, collect);
    } while (cursor != 0 && maxIterations-- > 0 && members.size() < count);
    RespWriter out = c.out;
    List<Integer> keep = new ArrayList<>(members.size());
    for (int i = 0; i < members.size(); i++) {
      if (pattern == null || Glob.matches(pattern, members.get(i))) {
        keep.add(i);
      }
    }
    out.array(2);
    out.bulk(Long.toUnsignedString(cursor));
    out.array(2L * keep.size());
    boolean listpack = z.isListpack();
    for (int i : keep) {
      out.bulk(members.get(i));
      double s = scores.get(i);
      // a listpack holds the score as Redis's d2string wrote it: integers up to 2^62 whole
      out.bulk(listpack && s == Math.rint(s) && Math.abs(s) <= 0x1p62
          ? Long.toString((long) s) : Numbers.formatG17(s));
    }
  }

  // ---- DEBUG DIGEST ----

  /**
   * Mixes a sorted set into a key's digest as Redis does: the type (3), then, xored in so that
   * order does not matter, the digest of each member mixed with its "%.17g" score.
   */
  static void digest(byte[] d, ZSetValue z) {
    DebugCommands.mix(d, new byte[] {0, 0, 0, 3});
    z.forEach((b, o, l, s) -> {
      byte[] e = new byte[20];
      DebugCommands.mix(e, Arrays.copyOfRange(b, o, o + l));
      DebugCommands.mix(e, Numbers.formatG17(s).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      DebugCommands.xorSha(d, e);
    });
  }
}
