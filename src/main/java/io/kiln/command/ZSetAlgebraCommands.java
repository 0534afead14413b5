package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Notify;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.resp.RespWriter;
import io.kiln.server.Client;
import io.kiln.types.ZSetValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The sorted-set family's union / intersection / difference (Redis 7.0 semantics): ZUNION,
 * ZINTER, ZDIFF, their STORE forms and ZINTERCARD, over sorted sets and plain sets (read as
 * sorted sets whose members all score 1). The rest of the family is in {@link ZSetCommands} and
 * {@link ZRangeCommands}. Event loop.
 */
public final class ZSetAlgebraCommands {
  private ZSetAlgebraCommands() {}

  static void register(CommandTable t) {
    t.add("zunion", -3, "readonly", 0, 0, 0, (c, a) -> setOp(c, a, UNION, false));
    t.add("zunionstore", -4, "write denyoom", 1, 1, 1,
        (c, a) -> setOp(c, a, UNION, true));
    t.add("zinter", -3, "readonly", 0, 0, 0, (c, a) -> setOp(c, a, INTER, false));
    t.add("zinterstore", -4, "write denyoom", 1, 1, 1,
        (c, a) -> setOp(c, a, INTER, true));
    t.add("zintercard", -3, "readonly", 0, 0, 0, ZSetAlgebraCommands::zintercard);
    t.add("zdiff", -3, "readonly", 0, 0, 0, (c, a) -> setOp(c, a, DIFF, false));
    t.add("zdiffstore", -4, "write denyoom", 1, 1, 1,
        (c, a) -> setOp(c, a, DIFF, true));
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
      c.error(String.format(Errors.ZSET_NO_INPUT_KEY, commandName(argv)));
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
      if (z == ZSetCommands.WRONG) {
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
            c.error(Errors.ZSET_WEIGHT);
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
          c.error(Errors.LIMIT_NEGATIVE);
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
        db.set(dst, ZSetValue.fromSorted(res.members, res.scores, res.n,
            ZSetCommands.maxEntries(c), ZSetCommands.maxValue(c)), false);
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
        byte[] m = ZSetCommands.member(b, o, l);
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
      byte[] m = ZSetCommands.member(b, o, l);
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
      byte[] m = ZSetCommands.member(b, o, l);
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
      byte[] m = ZSetCommands.member(b, o, l);
      for (int k = 1; k < src.length; k++) {
        if (src[k] != null && !Double.isNaN(src[k].score(m))) {
          return;
        }
      }
      r.add(m, s);
    });
    return r;
  }

  // ---- plain sets as sources of ZUNION / ZINTER / ZDIFF and their STORE / CARD forms ----

  /**
   * A source of the union / intersection / difference family: a sorted set, or a plain set read
   * as one whose members all score 1 (as Redis reads it); null if absent,
   * {@link ZSetCommands#WRONG} after replying.
   */
  private static ZSetValue readSource(Client c, byte[] key) {
    Object v = c.db().get(key);
    if (v instanceof io.kiln.types.SetValue set) {
      byte[][] members = set.members().toArray(new byte[0][]);
      Arrays.sort(members, Arrays::compareUnsigned);
      double[] scores = new double[members.length];
      Arrays.fill(scores, 1.0);
      return ZSetValue.fromSorted(members, scores, members.length, ZSetCommands.maxEntries(c),
          ZSetCommands.maxValue(c));
    }
    if (v == null || v instanceof ZSetValue) {
      return (ZSetValue) v;
    }
    c.error(Errors.WRONGTYPE);
    return ZSetCommands.WRONG;
  }
}
