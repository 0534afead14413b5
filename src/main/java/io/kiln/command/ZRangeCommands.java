package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Notify;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.resp.RespWriter;
import io.kiln.server.Client;
import io.kiln.types.ZSetValue;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * The sorted-set family's ranges (Redis 7.0 semantics): ZRANGE with its BYSCORE / BYLEX / REV /
 * LIMIT forms and ZRANGESTORE, the older ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
 * ZREVRANGEBYLEX and ZREVRANGE, ZCOUNT / ZLEXCOUNT, and ZREMRANGEBYRANK / BYSCORE / BYLEX. Every
 * score or lex range is turned into a rank range first. The rest of the family is in
 * {@link ZSetCommands} and {@link ZSetAlgebraCommands}. Event loop.
 */
public final class ZRangeCommands {
  private ZRangeCommands() {}

  static void register(CommandTable t) {
    t.add("zcount", 4, "readonly fast", 1, 1, 1, ZRangeCommands::zcount);
    t.add("zlexcount", 4, "readonly fast", 1, 1, 1, ZRangeCommands::zlexcount);
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
  }

  // ---- score and lex intervals, as rank ranges ----

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
    LexBound lo = lexBound(min);
    LexBound hi = lexBound(max);
    if (lo == null || hi == null) {
      return null;
    }
    LexRange r = new LexRange();
    r.minInf = lo.inf();
    r.minex = lo.exclusive();
    r.min = lo.item();
    r.maxInf = hi.inf();
    r.maxex = hi.exclusive();
    r.max = hi.item();
    return r;
  }

  /** One end of a lex range: "-" or "+" (inf -1 or 1), "(item" or "[item"; null otherwise. */
  private record LexBound(int inf, boolean exclusive, byte[] item) {}

  private static LexBound lexBound(byte[] arg) {
    if (arg.length == 0) {
      return null;
    }
    return switch (arg[0]) {
      case '+', '-' -> arg.length == 1 ? new LexBound(arg[0] == '+' ? 1 : -1, false, null) : null;
      case '(', '[' -> new LexBound(0, arg[0] == '(', Arrays.copyOfRange(arg, 1, arg.length));
      default -> null;
    };
  }

  /** Ascending rank interval [lo, hi] of a score or lex range, empty when lo > hi. */
  /** What a range's min and max name: ranks (BYRANK) or an interval of scores or members. */
  private record Bounds(long start, long end, Interval interval) {}

  /** Parses {@code min} and {@code max} as {@code type} says; null once the error is replied. */
  private static Bounds bounds(Client c, int type, byte[] min, byte[] max) {
    if (type == BYRANK) {
      Long s = Numbers.toLong(min);
      Long e = s == null ? null : Numbers.toLong(max);
      if (e == null) {
        c.error(Errors.NOT_INTEGER);
        return null;
      }
      return new Bounds(s, e, null);
    }
    Interval iv = type == BYSCORE ? parseScoreRange(min, max) : parseLexRange(min, max);
    if (iv == null) {
      c.error(type == BYSCORE ? Errors.ZRANGE_NOT_FLOAT : Errors.ZRANGE_NOT_LEX);
    }
    return iv == null ? null : new Bounds(0, 0, iv);
  }

  private static int[] ranks(ZSetValue z, Interval iv) {
    int lo = z.countWhile(iv.before());
    int end = z.countWhileFrom(lo, iv.within());
    return new int[] {lo, end - 1};
  }

  // ---- ZRANGE and its older forms, ZRANGESTORE ----

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
      c.error(Errors.ZRANGE_LIMIT_RANK);
      return;
    }
    if (withScores && type == BYLEX) {
      c.error(Errors.ZRANGE_WITHSCORES_LEX);
      return;
    }
    boolean rev = dir == REVERSE;
    if (rev && type != BYRANK) {
      int t = minIdx;
      minIdx = maxIdx;
      maxIdx = t;
    }
    Bounds b = bounds(c, type, argv[minIdx], argv[maxIdx]);
    if (b == null) {
      return;
    }
    ZSetValue z = ZSetCommands.read(c, argv[src]);
    if (z == ZSetCommands.WRONG) {
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
      long[] r = Args.rankRange(b.start(), b.end(), len);
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
      int[] r = ranks(z, b.interval());
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
      storeRange(c, dst, z, lo, hi);
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
    z.range(lo, hi, rev, ZSetCommands.emitter(out, withScores));
  }

  private static void storeRange(Client c, byte[] dst, ZSetValue z, int lo, int hi) {
    Db db = c.db();
    if (z == null || lo > hi) {
      if (db.delete(dst)) {
        c.shard.dirty++;
        db.notify(Notify.GENERIC, "del", dst);
      }
      c.out.integer(0);
      return;
    }
    long maxEntries = ZSetCommands.maxEntries(c);
    long maxValue = ZSetCommands.maxValue(c);
    int n = hi - lo + 1;
    byte[][] members = new byte[n][];
    double[] scores = new double[n];
    int[] i = {0};
    z.range(lo, hi, false, (b, o, l, s) -> {
      members[i[0]] = ZSetCommands.member(b, o, l);
      scores[i[0]++] = s;
    });
    db.set(dst, ZSetValue.fromSorted(members, scores, n, maxEntries, maxValue), false);
    c.shard.dirty++;
    db.notify(Notify.ZSET, "zrangestore", dst);
    c.out.integer(n);
  }

  // ---- ZCOUNT / ZLEXCOUNT ----

  static void zcount(Client c, byte[][] argv) {
    count(c, argv, parseScoreRange(argv[2], argv[3]), Errors.ZRANGE_NOT_FLOAT);
  }

  static void zlexcount(Client c, byte[][] argv) {
    count(c, argv, parseLexRange(argv[2], argv[3]), Errors.ZRANGE_NOT_LEX);
  }

  /** ZCOUNT / ZLEXCOUNT: the elements within {@code iv}, or {@code invalid} when it did not parse. */
  private static void count(Client c, byte[][] argv, Interval iv, String invalid) {
    if (iv == null) {
      c.error(invalid);
      return;
    }
    ZSetValue z = ZSetCommands.read(c, argv[1]);
    if (z == ZSetCommands.WRONG) {
      return;
    }
    if (z == null) {
      c.out.integer(0);
      return;
    }
    int[] r = ranks(z, iv);
    c.out.integer(Math.max(0, r[1] - r[0] + 1));
  }

  // ---- ZREMRANGEBYRANK / BYSCORE / BYLEX ----

  static void zremrange(Client c, byte[][] argv, int type) {
    Bounds b = bounds(c, type, argv[2], argv[3]);
    if (b == null) {
      return;
    }
    boolean[] wrong = {false};
    Dict.Node<Object> n = ZSetCommands.writeNode(c, argv[1], wrong);
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
      long[] r = Args.rankRange(b.start(), b.end(), z.size());
      if (r == null) {
        c.out.integer(0);
        return;
      }
      lo = (int) r[0];
      hi = (int) r[1];
    } else {
      int[] r = ranks(z, b.interval());
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
}
