package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Effects;
import io.kiln.keyspace.Notify;
import io.kiln.resp.Numbers;
import io.kiln.resp.RespWriter;
import io.kiln.server.Client;
import io.kiln.types.ZSetValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * The sorted-set family (Redis 7.0 semantics): ZADD and friends, rank / score / lex ranges and
 * their removals, pops, random members, the union / intersection / difference family and ZSCAN.
 * Values are {@link ZSetValue}s; every range is turned into a rank range first. Event loop.
 */
public final class ZSetCommands {
  private ZSetCommands() {}

  static void register(CommandTable t) {
    t.add("zadd", -4, "write denyoom fast", 1, 1, 1, ZSetCommands::zadd);
    t.add("zincrby", 4, "write denyoom fast", 1, 1, 1, ZSetCommands::zincrby);
    t.add("zrem", -3, "write fast", 1, 1, 1, ZSetCommands::zrem);
    t.add("zcard", 2, "readonly fast", 1, 1, 1, ZSetCommands::zcard);
    t.add("zcount", 4, "readonly fast", 1, 1, 1, ZSetCommands::zcount);
    t.add("zlexcount", 4, "readonly fast", 1, 1, 1, ZSetCommands::zlexcount);
    t.add("zscore", 3, "readonly fast", 1, 1, 1, ZSetCommands::zscore);
    t.add("zmscore", -3, "readonly fast", 1, 1, 1, ZSetCommands::zmscore);
    t.add("zrank", 3, "readonly fast", 1, 1, 1, (c, a) -> zrank(c, a, false));
    t.add("zrevrank", 3, "readonly fast", 1, 1, 1, (c, a) -> zrank(c, a, true));
    t.add("zrange", -4, "readonly", 1, 1, 1,
        (c, a) -> zrange(c, a, 1, null, AUTO, AUTO));
    t.add("zrangestore", -5, "write denyoom", 1, 2, 1,
        (c, a) -> zrange(c, a, 2, a[1], AUTO, AUTO));
    t.add("zrangebyscore", -4, "readonly", 1, 1, 1,
        (c, a) -> zrange(c, a, 1, null, BYSCORE, FORWARD));
    t.add("zrevrangebyscore", -4, "readonly", 1, 1, 1,
        (c, a) -> zrange(c, a, 1, null, BYSCORE, REVERSE));
    t.add("zrangebylex", -4, "readonly", 1, 1, 1,
        (c, a) -> zrange(c, a, 1, null, BYLEX, FORWARD));
    t.add("zrevrangebylex", -4, "readonly", 1, 1, 1,
        (c, a) -> zrange(c, a, 1, null, BYLEX, REVERSE));
    t.add("zrevrange", -4, "readonly", 1, 1, 1,
        (c, a) -> zrange(c, a, 1, null, BYRANK, REVERSE));
    t.add("zremrangebyrank", 4, "write", 1, 1, 1, (c, a) -> zremrange(c, a, BYRANK));
    t.add("zremrangebyscore", 4, "write", 1, 1, 1, (c, a) -> zremrange(c, a, BYSCORE));
    t.add("zremrangebylex", 4, "write", 1, 1, 1, (c, a) -> zremrange(c, a, BYLEX));
    t.add("zpopmin", -2, "write fast", 1, 1, 1, (c, a) -> zpop(c, a, false));
    t.add("zpopmax", -2, "write fast", 1, 1, 1, (c, a) -> zpop(c, a, true));
    t.add("zmpop", -4, "write", 0, 0, 0, ZSetCommands::zmpop);
    t.add("bzpopmin", -3, "write noscript blocking fast", 1, -2, 1, (c, a) -> bzpop(c, a, false));
    t.add("bzpopmax", -3, "write noscript blocking fast", 1, -2, 1, (c, a) -> bzpop(c, a, true));
    t.add("bzmpop", -5, "write blocking", 0, 0, 0, ZSetCommands::bzmpop);
    t.add("zrandmember", -2, "readonly", 1, 1, 1, ZSetCommands::zrandmember);
    t.add("zunion", -3, "readonly", 0, 0, 0, (c, a) -> setOp(c, a, UNION, false));
    t.add("zunionstore", -4, "write denyoom", 1, 1, 1,
        (c, a) -> setOp(c, a, UNION, true));
    t.add("zinter", -3, "readonly", 0, 0, 0, (c, a) -> setOp(c, a, INTER, false));
    t.add("zinterstore", -4, "write denyoom", 1, 1, 1,
        (c, a) -> setOp(c, a, INTER, true));
    t.add("zintercard", -3, "readonly", 0, 0, 0, ZSetCommands::zintercard);
    t.add("zdiff", -3, "readonly", 0, 0, 0, (c, a) -> setOp(c, a, DIFF, false));
    t.add("zdiffstore", -4, "write denyoom", 1, 1, 1,
        (c, a) -> setOp(c, a, DIFF, true));
    t.add("zscan", -3, "readonly", 1, 1, 1, ZSetCommands::zscan);
  }

  // ---- error texts (Redis 7.0) ----
  static final String XX_NX = "ERR XX and NX options at the same time are not compatible";
  static final String GT_LT_NX =
      "ERR GT, LT, and/or NX options at the same time are not compatible";
  static final String INCR_PAIR = "ERR INCR option supports a single increment-element pair";
  static final String NAN_SCORE = "ERR resulting score is not a number (NaN)";
  static final String LIMIT_RANK =
      "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
  static final String WITHSCORES_LEX =
      "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
  static final String NOT_FLOAT_RANGE = "ERR min or max is not a float";
  static final String NOT_LEX_RANGE = "ERR min or max not valid string range item";
  static final String POSITIVE = "ERR value is out of range, must be positive";
  static final String NUMKEYS = "ERR numkeys should be greater than 0";
  static final String COUNT_POSITIVE = "ERR count should be greater than 0";
  static final String WEIGHT = "ERR weight value is not a float";
  static final String LIMIT_NEGATIVE = "ERR LIMIT can't be negative";
  static final String OUT_OF_RANGE = "ERR value is out of range";

  // ---- lookups ----

  /** Sentinel: the key holds another type and WRONGTYPE was replied. */
  private static final ZSetValue WRONG = new ZSetValue(false);

  /** The sorted set at {@code key} for reading, null if absent, WRONG after replying. */
  private static ZSetValue read(Client c, byte[] key) {
    return Members.read(c, key, ZSetValue.class, WRONG);
  }

  /** The live node of {@code key}, null if absent; {@code wrong[0]} true after WRONGTYPE. */
  private static Dict.Node<Object> writeNode(Client c, byte[] key, boolean[] wrong) {
    Dict.Node<Object> n = c.db().node(key);
    if (n != null && !(n.value instanceof ZSetValue)) {
      c.error(Errors.WRONGTYPE);
      wrong[0] = true;
    }
    return n;
  }

  private static long maxEntries(Client c) {
    return c.kiln.config().getLong("zset-max-listpack-entries");
  }

  private static long maxValue(Client c) {
    return c.kiln.config().getLong("zset-max-listpack-value");
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
      c.error(XX_NX);
      return;
    }
    if ((gt && nx) || (lt && nx) || (gt && lt)) {
      c.error(GT_LT_NX);
      return;
    }
    boolean incr = (flags & ZSetValue.IN_INCR) != 0;
    if (incr && elements > 1) {
      c.error(INCR_PAIR);
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
        c.error(NAN_SCORE); // only INCR (one element, an existing member) gets here
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

  // ---- ranges ----

  static final int AUTO = 0;
  static final int BYRANK = 1;
  static final int BYSCORE = 2;
  static final int BYLEX = 3;
  static final int FORWARD = 1;
  static final int REVERSE = 2;

  /** A parsed interval of a sorted set's order: the elements before it, then those within. */
  interface Interval {
    ZSetValue.Pred before();

    ZSetValue.Pred within();
  }

  /** A parsed score interval. */
  static final class ScoreRange implements Interval {
    double min;
    double max;
    boolean minex;
    boolean maxex;

    public ZSetValue.Pred before() {
      return minex ? (s, b, o, l) -> s <= min : (s, b, o, l) -> s < min;
    }

    public ZSetValue.Pred within() {
      return maxex ? (s, b, o, l) -> s < max : (s, b, o, l) -> s <= max;
    }
  }

  private static final Pattern DECIMAL =
      Pattern.compile("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?");

  /**
   * One bound, "(" first for an exclusive one, the rest read as C's strtod reads it (Redis checks
   * only that all of it was consumed and that it is not NaN): leading space allowed, overflow
   * gives an infinity, underflow zero, and an empty string is 0.
   */
  private static boolean parseScoreBound(byte[] a, ScoreRange r, boolean isMin) {
    boolean ex = a.length > 0 && a[0] == '(';
    int i = ex ? 1 : 0;
    double v;
    if (i == a.length) {
      v = 0; // nothing converted: strtod's end pointer is at the (empty) end
    } else {
      while (i < a.length && (a[i] == ' ' || (a[i] >= '\t' && a[i] <= '\r'))) {
        i++;
      }
      if (i == a.length) {
        return false; // only spaces: nothing converted, the end pointer is at a space
      }
      byte[] rest = Arrays.copyOfRange(a, i, a.length);
      Double d = Numbers.toDouble(rest);
      if (d == null) {
        String s = Numbers.ascii(rest);
        if (!DECIMAL.matcher(s).matches()) {
          return false;
        }
        d = Double.parseDouble(s); // overflow / underflow, which strtod accepts here
      }
      v = d;
    }
    if (isMin) {
      r.min = v;
      r.minex = ex;
    } else {
      r.max = v;
      r.maxex = ex;
    }
    return true;
  }

  static ScoreRange parseScoreRange(byte[] min, byte[] max) {
    ScoreRange r = new ScoreRange();
    if (!parseScoreBound(min, r, true) || !parseScoreBound(max, r, false)) {
      return null;
    }
    return r;
  }

  /** A parsed lex interval; inf -1 is "-", +1 is "+", 0 a value. */
  static final class LexRange implements Interval {
    byte[] min;
    byte[] max;
    boolean minex;
    boolean maxex;
    int minInf;
    int maxInf;

    public ZSetValue.Pred before() {
      if (minInf < 0) {
        return (s, b, o, l) -> false;
      }
      if (minInf > 0) {
        return (s, b, o, l) -> true;
      }
      return minex ? (s, b, o, l) -> Arrays.compareUnsigned(b, o, o + l, min, 0, min.length) <= 0
          : (s, b, o, l) -> Arrays.compareUnsigned(b, o, o + l, min, 0, min.length) < 0;
    }

    public ZSetValue.Pred within() {
      if (maxInf > 0) {
        return (s, b, o, l) -> true;
      }
      if (maxInf < 0) {
        return (s, b, o, l) -> false;
      }
      return maxex ? (s, b, o, l) -> Arrays.compareUnsigned(b, o, o + l, max, 0, max.length) < 0
          : (s, b, o, l) -> Arrays.compareUnsigned(b, o, o + l, max, 0, max.length) <= 0;
    }
  }

  static LexRange parseLexRange(byte[] min, byte[] max) {
    LexRange r = new LexRange();
    if (min.length == 0 || max.length == 0) {
      return null;
    }
    switch (min[0]) {
      case '+', '-' -> {
        if (min.length != 1) {
          return null;
        }
        r.minInf = min[0] == '+' ? 1 : -1;
      }
      case '(', '[' -> {
        r.minex = min[0] == '(';
        r.min = Arrays.copyOfRange(min, 1, min.length);
      }
      default -> {
        return null;
      }
    }
    switch (max[0]) {
      case '+', '-' -> {
        if (max.length != 1) {
          return null;
        }
        r.maxInf = max[0] == '+' ? 1 : -1;
      }
      case '(', '[' -> {
        r.maxex = max[0] == '(';
        r.max = Arrays.copyOfRange(max, 1, max.length);
      }
      default -> {
        return null;
      }
    }
    return r;
  }

  /** Ascending rank interval [lo, hi] of a score or lex range, empty when lo > hi. */
  private static int[] ranks(ZSetValue z, Interval iv) {
    int lo = z.countWhile(iv.before());
    int end = z.countWhileFrom(lo, iv.within());
    return new int[] {lo, end - 1};
  }

  /** Z[REV]RANGE[BY*], ZRANGESTORE. {@code src} is the index of the source key. */
  static void zrange(Client c, byte[][] argv, int src, byte[] dst, int type, int dir) {
    boolean store = dst != null;
    boolean withScores = false;
    long offset = 0;
    long limit = -1;
    int minIdx = src + 1;
    int maxIdx = src + 2;
    for (int j = src + 3; j < argv.length; j++) {
      int left = argv.length - j - 1;
      if (!store && Args.is(argv[j], "withscores")) {
        withScores = true;
      } else if (Args.is(argv[j], "limit") && left >= 2) {
        Long o = Numbers.toLong(argv[j + 1]);
        if (o == null) {
          c.error(Errors.NOT_INTEGER);
          return;
        }
        Long l = Numbers.toLong(argv[j + 2]);
        if (l == null) {
          c.error(Errors.NOT_INTEGER);
          return;
        }
        offset = o;
        limit = l;
        j += 2;
      } else if (dir == AUTO && Args.is(argv[j], "rev")) {
        dir = REVERSE;
      } else if (type == AUTO && Args.is(argv[j], "bylex")) {
        type = BYLEX;
      } else if (type == AUTO && Args.is(argv[j], "byscore")) {
        type = BYSCORE;
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    if (dir == AUTO) {
      dir = FORWARD;
    }
    if (type == AUTO) {
      type = BYRANK;
    }
    if (limit != -1 && type == BYRANK) {
      c.error(LIMIT_RANK);
      return;
    }
    if (withScores && type == BYLEX) {
      c.error(WITHSCORES_LEX);
      return;
    }
    boolean rev = dir == REVERSE;
    if (rev && type != BYRANK) {
      int t = minIdx;
      minIdx = maxIdx;
      maxIdx = t;
    }
    long start = 0;
    long end = 0;
    ScoreRange sr = null;
    LexRange lr = null;
    if (type == BYRANK) {
      Long s = Numbers.toLong(argv[minIdx]);
      if (s == null) {
        c.error(Errors.NOT_INTEGER);
        return;
      }
      Long e = Numbers.toLong(argv[maxIdx]);
      if (e == null) {
        c.error(Errors.NOT_INTEGER);
        return;
      }
      start = s;
      end = e;
    } else if (type == BYSCORE) {
      sr = parseScoreRange(argv[minIdx], argv[maxIdx]);
      if (sr == null) {
        c.error(NOT_FLOAT_RANGE);
        return;
      }
    } else {
      lr = parseLexRange(argv[minIdx], argv[maxIdx]);
      if (lr == null) {
        c.error(NOT_LEX_RANGE);
        return;
      }
    }
    ZSetValue z = read(c, argv[src]);
    if (z == WRONG) {
      return;
    }
    // the ascending rank interval to emit
    int lo;
    int hi;
    if (z == null) {
      lo = 0;
      hi = -1;
    } else if (type == BYRANK) {
      long len = z.size();
      long[] r = Args.rankRange(start, end, len);
      if (r == null) {
        lo = 0;
        hi = -1;
      } else if (rev) {
        lo = (int) (len - 1 - r[1]);
        hi = (int) (len - 1 - r[0]);
      } else {
        lo = (int) r[0];
        hi = (int) r[1];
      }
    } else {
      int[] r = ranks(z, type == BYSCORE ? sr : lr);
      lo = r[0];
      hi = r[1];
      if (lo <= hi) {
        if (offset < 0 || offset > hi - lo) {
          lo = 0;
          hi = -1;
        } else if (!rev) {
          lo += (int) offset;
          if (limit >= 0 && limit <= hi - lo) {
            hi = lo + (int) limit - 1;
          }
        } else {
          hi -= (int) offset;
          if (limit >= 0 && limit <= hi - lo) {
            lo = hi - (int) limit + 1;
          }
        }
      }
    }
    if (store) {
      storeRange(c, dst, z, lo, hi, rev);
      return;
    }
    if (lo > hi) {
      c.out.array(0);
      return;
    }
    int count = hi - lo + 1;
    RespWriter out = c.out;
    boolean pairs = withScores && out.resp3();
    out.array(withScores && !pairs ? 2L * count : count);
    z.range(lo, hi, rev, emitter(out, withScores));
  }

  /** Writes elements: members only, flat member/score (RESP2) or pairs (RESP3). */
  private static ZSetValue.Visitor emitter(RespWriter out, boolean withScores) {
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

  private static byte[] member(byte[] b, int off, int len) {
    return off == 0 && len == b.length ? b : Arrays.copyOfRange(b, off, off + len);
  }

  private static void storeRange(Client c, byte[] dst, ZSetValue z, int lo, int hi,
      boolean rev) {
    Db db = c.db();
    if (z == null || lo > hi) {
      if (db.delete(dst)) {
        c.shard.dirty++;
        db.notify(Notify.GENERIC, "del", dst);
      }
      c.out.integer(0);
      return;
    }
    long maxEntries = maxEntries(c);
    long maxValue = maxValue(c);
    int n = hi - lo + 1;
    byte[][] members = new byte[n][];
    double[] scores = new double[n];
    int[] i = {0};
    z.range(lo, hi, false, (b, o, l, s) -> {
      members[i[0]] = member(b, o, l);
      scores[i[0]++] = s;
    });
    db.set(dst, ZSetValue.fromSorted(members, scores, n, maxEntries, maxValue), false);
    c.shard.dirty++;
    db.notify(Notify.ZSET, "zrangestore", dst);
    c.out.integer(n);
  }

  static void zcount(Client c, byte[][] argv) {
    count(c, argv, parseScoreRange(argv[2], argv[3]), NOT_FLOAT_RANGE);
  }

  static void zlexcount(Client c, byte[][] argv) {
    count(c, argv, parseLexRange(argv[2], argv[3]), NOT_LEX_RANGE);
  }

  /** ZCOUNT / ZLEXCOUNT: the elements within {@code iv}, or {@code invalid} when it did not parse. */
  private static void count(Client c, byte[][] argv, Interval iv, String invalid) {
    if (iv == null) {
      c.error(invalid);
      return;
    }
    ZSetValue z = read(c, argv[1]);
    if (z == WRONG) {
      return;
    }
    if (z == null) {
      c.out.integer(0);
      return;
    }
    int[] r = ranks(z, iv);
    c.out.integer(Math.max(0, r[1] - r[0] + 1));
  }


  static void zremrange(Client c, byte[][] argv, int type) {
    long start = 0;
    long end = 0;
    ScoreRange sr = null;
    LexRange lr = null;
    if (type == BYRANK) {
      Long s = Numbers.toLong(argv[2]);
      Long e = s == null ? null : Numbers.toLong(argv[3]);
      if (e == null) {
        c.error(Errors.NOT_INTEGER);
        return;
      }
      start = s;
      end = e;
    } else if (type == BYSCORE) {
      sr = parseScoreRange(argv[2], argv[3]);
      if (sr == null) {
        c.error(NOT_FLOAT_RANGE);
        return;
      }
    } else {
      lr = parseLexRange(argv[2], argv[3]);
      if (lr == null) {
        c.error(NOT_LEX_RANGE);
        return;
      }
    }
    boolean[] wrong = {false};
    Dict.Node<Object> n = writeNode(c, argv[1], wrong);
    if (wrong[0]) {
      return;
    }
    if (n == null) {
      c.out.integer(0);
      return;
    }
    ZSetValue z = (ZSetValue) n.value;
    int lo;
    int hi;
    if (type == BYRANK) {
      long[] r = Args.rankRange(start, end, z.size());
      if (r == null) {
        c.out.integer(0);
        return;
      }
      lo = (int) r[0];
      hi = (int) r[1];
    } else {
      int[] r = ranks(z, type == BYSCORE ? sr : lr);
      lo = r[0];
      hi = r[1];
    }
    if (lo > hi) {
      c.out.integer(0);
      return;
    }
    c.db().willChange(n);
    int deleted = z.removeRange(lo, hi);
    c.db().notify(Notify.ZSET, type == BYRANK ? "zremrangebyrank" : type == BYSCORE ? "zremrangebyscore" : "zremrangebylex", argv[1]);
    c.db().removedFrom(argv[1], z);
    c.shard.dirty += deleted;
    c.out.integer(deleted);
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
        c.error(POSITIVE);
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
      c.error(NUMKEYS);
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
          c.error(COUNT_POSITIVE);
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
        c.error("ERR value is out of range, value must between -9223372036854775807 and "
            + "9223372036854775807");
        return;
      }
      boolean withScores = false;
      if (argv.length > 4 || (argv.length == 4 && !Args.is(argv[3], "withscores"))) {
        c.error(Errors.SYNTAX);
        return;
      } else if (argv.length == 4) {
        withScores = true;
        if (l < -Long.MAX_VALUE / 2 || l > Long.MAX_VALUE / 2) {
          c.error(OUT_OF_RANGE);
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

  // ---- ZUNION / ZINTER / ZDIFF and their STORE forms, ZINTERCARD ----

  static final int UNION = 0;
  static final int INTER = 1;
  static final int DIFF = 2;
  static final int SUM = 0;
  static final int MIN = 1;
  static final int MAX = 2;

  static void zintercard(Client c, byte[][] argv) {
    setOpGeneric(c, argv, 1, null, INTER, true);
  }

  static void setOp(Client c, byte[][] argv, int op, boolean store) {
    if (store) {
      setOpGeneric(c, argv, 2, argv[1], op, false);
    } else {
      setOpGeneric(c, argv, 1, null, op, false);
    }
  }

  private static void setOpGeneric(Client c, byte[][] argv, int numkeysIdx, byte[] dst, int op,
      boolean cardOnly) {
    Long nk = Numbers.toLong(argv[numkeysIdx]);
    if (nk == null) {
      c.error(Errors.NOT_INTEGER);
      return;
    }
    long setnum = nk;
    if (setnum < 1) {
      c.error("ERR at least 1 input key is needed for '" + commandName(argv) + "' command");
      return;
    }
    if (setnum > argv.length - (numkeysIdx + 1)) {
      c.error(Errors.SYNTAX);
      return;
    }
    int n = (int) setnum;
    ZSetValue[] src = new ZSetValue[n];
    double[] weights = new double[n];
    int j = numkeysIdx + 1;
    for (int i = 0; i < n; i++, j++) {
      ZSetValue z = readSource(c, argv[j]);
      if (z == WRONG) {
        return;
      }
      src[i] = z;
      weights[i] = 1;
    }
    int aggregate = SUM;
    boolean withScores = false;
    long limit = 0;
    int remaining = argv.length - j;
    while (remaining > 0) {
      if (op != DIFF && !cardOnly && remaining >= n + 1 && Args.is(argv[j], "weights")) {
        j++;
        remaining--;
        for (int i = 0; i < n; i++, j++, remaining--) {
          Double w = Numbers.toDouble(argv[j]);
          if (w == null) {
            c.error(WEIGHT);
            return;
          }
          weights[i] = w;
        }
      } else if (op != DIFF && !cardOnly && remaining >= 2 && Args.is(argv[j], "aggregate")) {
        j++;
        remaining--;
        if (Args.is(argv[j], "sum")) {
          aggregate = SUM;
        } else if (Args.is(argv[j], "min")) {
          aggregate = MIN;
        } else if (Args.is(argv[j], "max")) {
          aggregate = MAX;
        } else {
          c.error(Errors.SYNTAX);
          return;
        }
        j++;
        remaining--;
      } else if (dst == null && !cardOnly && Args.is(argv[j], "withscores")) {
        j++;
        remaining--;
        withScores = true;
      } else if (cardOnly && remaining >= 2 && Args.is(argv[j], "limit")) {
        j++;
        remaining--;
        Long l = Numbers.toLong(argv[j]);
        if (l == null || l < 0) {
          c.error(LIMIT_NEGATIVE);
          return;
        }
        limit = l;
        j++;
        remaining--;
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    if (cardOnly) {
      c.out.integer(interCard(src, limit));
      return;
    }
    Result res = switch (op) {
      case UNION -> union(src, weights, aggregate);
      case INTER -> inter(src, weights, aggregate);
      default -> diff(src);
    };
    res.sort();
    if (dst != null) {
      Db db = c.db();
      if (res.n > 0) {
        db.set(dst, ZSetValue.fromSorted(res.members, res.scores, res.n, maxEntries(c),
            maxValue(c)), false);
        c.shard.dirty++;
        db.notify(Notify.ZSET, op == UNION ? "zunionstore" : op == INTER ? "zinterstore" : "zdiffstore", dst);
      } else if (db.delete(dst)) {
        c.shard.dirty++;
        db.notify(Notify.GENERIC, "del", dst);
      }
      c.out.integer(res.n);
      return;
    }
    RespWriter out = c.out;
    boolean pairs = withScores && out.resp3();
    out.array(withScores && !pairs ? 2L * res.n : res.n);
    for (int i = 0; i < res.n; i++) {
      if (pairs) {
        out.array(2);
      }
      out.bulk(res.members[i]);
      if (withScores) {
        out.dbl(res.scores[i]);
      }
    }
  }

  private static String commandName(byte[][] argv) {
    return Numbers.ascii(argv[0]).toLowerCase(java.util.Locale.ROOT);
  }

  /** Members and scores of a result, sorted by (score, member) with {@link #sort}. */
  private static final class Result {
    byte[][] members;
    double[] scores;
    int n;

    Result(int capacity) {
      members = new byte[Math.max(capacity, 1)][];
      scores = new double[Math.max(capacity, 1)];
    }

    void add(byte[] m, double s) {
      if (n == members.length) {
        members = Arrays.copyOf(members, n * 2);
        scores = Arrays.copyOf(scores, n * 2);
      }
      members[n] = m;
      scores[n++] = s;
    }

    void sort() {
      Integer[] idx = new Integer[n];
      for (int i = 0; i < n; i++) {
        idx[i] = i;
      }
      Arrays.sort(idx, (a, b) -> {
        int cmp = Double.compare(scores[a] + 0.0, scores[b] + 0.0);
        if (scores[a] == scores[b]) {
          cmp = 0;
        }
        return cmp != 0 ? cmp : Arrays.compareUnsigned(members[a], members[b]);
      });
      byte[][] m = new byte[n][];
      double[] s = new double[n];
      for (int i = 0; i < n; i++) {
        m[i] = members[idx[i]];
        s[i] = scores[idx[i]];
      }
      members = m;
      scores = s;
    }
  }

  private static double aggregate(double target, double val, int how) {
    switch (how) {
      case SUM -> {
        double r = target + val;
        return Double.isNaN(r) ? 0.0 : r;
      }
      case MIN -> {
        return val < target ? val : target;
      }
      default -> {
        return val > target ? val : target;
      }
    }
  }

  private static double weighted(double w, double s) {
    double r = w * s;
    return Double.isNaN(r) ? 0.0 : r;
  }

  private static Result union(ZSetValue[] src, double[] weights, int how) {
    Dict<double[]> acc = new Dict<>();
    List<Dict.Node<double[]>> order = new ArrayList<>();
    for (int i = 0; i < src.length; i++) {
      if (src[i] == null) {
        continue;
      }
      double w = weights[i];
      src[i].forEach((b, o, l, s) -> {
        double score = weighted(w, s);
        byte[] m = member(b, o, l);
        Dict.Node<double[]> dn = acc.getNode(m);
        if (dn == null) {
          order.add(acc.putNode(m, new double[] {score}));
        } else {
          dn.value[0] = aggregate(dn.value[0], score, how);
        }
      });
    }
    Result r = new Result(order.size());
    for (Dict.Node<double[]> dn : order) {
      r.add(dn.key, dn.value[0]);
    }
    return r;
  }

  /** Source indexes sorted by cardinality (stable), missing ones first as empty. */
  private static Integer[] bySize(ZSetValue[] src) {
    Integer[] idx = new Integer[src.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, (a, b) -> Integer.compare(src[a] == null ? 0 : src[a].size(),
        src[b] == null ? 0 : src[b].size()));
    return idx;
  }

  private static Result inter(ZSetValue[] src, double[] weights, int how) {
    Integer[] idx = bySize(src);
    ZSetValue first = src[idx[0]];
    if (first == null) {
      return new Result(0);
    }
    Result r = new Result(first.size());
    first.forEach((b, o, l, s) -> {
      byte[] m = member(b, o, l);
      double score = weighted(weights[idx[0]], s);
      for (int k = 1; k < idx.length; k++) {
        ZSetValue other = src[idx[k]];
        double os = other.score(m);
        if (Double.isNaN(os)) {
          return;
        }
        score = aggregate(score, weighted(weights[idx[k]], os), how);
      }
      r.add(m, score);
    });
    return r;
  }

  private static long interCard(ZSetValue[] src, long limit) {
    Integer[] idx = bySize(src);
    ZSetValue first = src[idx[0]];
    if (first == null) {
      return 0;
    }
    long[] count = {0};
    first.forEach((b, o, l, s) -> {
      if (limit != 0 && count[0] >= limit) {
        return;
      }
      byte[] m = member(b, o, l);
      for (int k = 1; k < idx.length; k++) {
        if (Double.isNaN(src[idx[k]].score(m))) {
          return;
        }
      }
      count[0]++;
    });
    return count[0];
  }

  private static Result diff(ZSetValue[] src) {
    ZSetValue first = src[0];
    if (first == null) {
      return new Result(0);
    }
    Result r = new Result(first.size());
    first.forEach((b, o, l, s) -> {
      byte[] m = member(b, o, l);
      for (int k = 1; k < src.length; k++) {
        if (src[k] != null && !Double.isNaN(src[k].score(m))) {
          return;
        }
      }
      r.add(m, s);
    });
    return r;
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

  // ---- plain sets as sources of ZUNION / ZINTER / ZDIFF and their STORE / CARD forms ----

  /**
   * A source of the union / intersection / difference family: a sorted set, or a plain set read
   * as one whose members all score 1 (as Redis reads it); null if absent, WRONG after replying.
   */
  private static ZSetValue readSource(Client c, byte[] key) {
    Object v = c.db().get(key);
    if (v instanceof io.kiln.types.SetValue set) {
      byte[][] members = set.members().toArray(new byte[0][]);
      Arrays.sort(members, Arrays::compareUnsigned);
      double[] scores = new double[members.length];
      Arrays.fill(scores, 1.0);
      return ZSetValue.fromSorted(members, scores, members.length, maxEntries(c), maxValue(c));
    }
    if (v == null || v instanceof ZSetValue) {
      return (ZSetValue) v;
    }
    c.error(Errors.WRONGTYPE);
    return WRONG;
  }
}
