package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Effects;
import io.kiln.keyspace.Notify;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import io.kiln.types.HashValue;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The hash family: HSET HSETNX HMSET HGET HMGET HDEL HLEN HSTRLEN HEXISTS HKEYS HVALS HGETALL
 * HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, over {@link HashValue}. Stateless; handlers run on the
 * event loop of the shard owning the key.
 */
public final class HashCommands {
  private HashCommands() {}

  static void register(CommandTable t) {
    t.add("hset", -4, "write denyoom fast", 1, 1, 1, (c, a) -> hset(c, a, false));
    t.add("hsetnx", 4, "write denyoom fast", 1, 1, 1, HashCommands::hsetnx);
    t.add("hmset", -4, "write denyoom fast", 1, 1, 1, (c, a) -> hset(c, a, true));
    t.add("hget", 3, "readonly fast", 1, 1, 1, HashCommands::hget);
    t.add("hmget", -3, "readonly fast", 1, 1, 1, HashCommands::hmget);
    t.add("hdel", -3, "write fast", 1, 1, 1, HashCommands::hdel);
    t.add("hlen", 2, "readonly fast", 1, 1, 1, HashCommands::hlen);
    t.add("hstrlen", 3, "readonly fast", 1, 1, 1, HashCommands::hstrlen);
    t.add("hexists", 3, "readonly fast", 1, 1, 1, HashCommands::hexists);
    t.add("hkeys", 2, "readonly", 1, 1, 1, (c, a) -> hgetall(c, a, true, false));
    t.add("hvals", 2, "readonly", 1, 1, 1, (c, a) -> hgetall(c, a, false, true));
    t.add("hgetall", 2, "readonly", 1, 1, 1, (c, a) -> hgetall(c, a, true, true));
    t.add("hincrby", 4, "write denyoom fast", 1, 1, 1, HashCommands::hincrby);
    t.add("hincrbyfloat", 4, "write denyoom fast", 1, 1, 1, HashCommands::hincrbyfloat);
    t.add("hrandfield", -2, "readonly", 1, 1, 1, HashCommands::hrandfield);
    t.add("hscan", -3, "readonly", 1, 1, 1, HashCommands::hscan);
  }

  /** Returned by {@link #read} after it replied WRONGTYPE. */
  private static final HashValue WRONG = new HashValue();

  /** The hash at {@code key}, null if absent, or {@link #WRONG} after replying WRONGTYPE. */
  private static HashValue read(Client c, byte[] key) {
    return Members.read(c, key, HashValue.class, WRONG);
  }

  /**
   * The node of the hash at {@code key} for a write, created empty if absent; null after
   * replying WRONGTYPE. The snapshot hook has run, so the value may be changed in place.
   */
  private static Dict.Node<Object> writeNode(Client c, byte[] key) {
    Db db = c.db();
    Dict.Node<Object> n = db.node(key);
    if (n == null) {
      db.set(key, new HashValue(), false);
      return db.node(key);
    }
    if (!(n.value instanceof HashValue)) {
      c.error(Errors.WRONGTYPE);
      return null;
    }
    c.shard.access(n);
    db.willChange(n);
    return n;
  }

  private static int maxEntries(Client c) {
    return HashValue.limit(c.kiln.config(), "hash-max-listpack-entries");
  }

  private static int maxValue(Client c) {
    return HashValue.limit(c.kiln.config(), "hash-max-listpack-value");
  }

  // ---- writes ----

  static void hset(Client c, byte[][] argv, boolean hmset) {
    if (argv.length % 2 != 0) {
      c.error(Errors.wrongArgs(hmset ? "hmset" : "hset"));
      return;
    }
    Dict.Node<Object> n = writeNode(c, argv[1]);
    if (n == null) {
      return;
    }
    HashValue h = (HashValue) n.value;
    int me = maxEntries(c);
    int mv = maxValue(c);
    int created = 0;
    for (int i = 2; i < argv.length; i += 2) {
      if (h.put(argv[i], argv[i + 1], me, mv)) {
        created++;
      }
    }
    c.db().touched(argv[1]);
    c.shard.dirty += (argv.length - 2) / 2;
    c.db().notify(Notify.HASH, "hset", argv[1]);
    if (hmset) {
      c.ok();
    } else {
      c.out.integer(created);
    }
  }

  static void hsetnx(Client c, byte[][] argv) {
    Dict.Node<Object> n = writeNode(c, argv[1]);
    if (n == null) {
      return;
    }
    HashValue h = (HashValue) n.value;
    if (h.contains(argv[2])) {
      c.out.integer(0);
      return;
    }
    h.put(argv[2], argv[3], maxEntries(c), maxValue(c));
    c.db().touched(argv[1]);
    c.shard.dirty++;
    c.db().notify(Notify.HASH, "hset", argv[1]);
    c.out.integer(1);
  }

  static void hdel(Client c, byte[][] argv) {
    Members.remove(c, argv, HashValue.class, HashValue::remove, Notify.HASH, "hdel");
  }


  static void hincrby(Client c, byte[][] argv) {
    Long by = Numbers.toLong(argv[3]);
    if (by == null) {
      c.error(Errors.NOT_INTEGER);
      return;
    }
    Dict.Node<Object> n = writeNode(c, argv[1]);
    if (n == null) {
      return;
    }
    HashValue h = (HashValue) n.value;
    byte[] cur = h.get(argv[2]);
    long value = 0;
    if (cur != null) {
      Long v = Numbers.toLong(cur);
      if (v == null) {
        c.error(Errors.HASH_NOT_INTEGER);
        return;
      }
      value = v;
    }
    long sum = value + by;
    if (((value ^ sum) & (by ^ sum)) < 0) {
      c.error(Errors.OVERFLOW);
      return;
    }
    h.put(argv[2], Long.toString(sum).getBytes(StandardCharsets.US_ASCII), maxEntries(c),
        maxValue(c));
    c.db().touched(argv[1]);
    c.shard.dirty++;
    c.db().notify(Notify.HASH, "hincrby", argv[1]);
    c.out.integer(sum);
  }

  static void hincrbyfloat(Client c, byte[][] argv) {
    BigDecimal by = Numbers.parseLongDouble(argv[3]);
    if (by == null) {
      c.error(isInfinity(argv[3]) ? Errors.VALUE_NAN_OR_INF : Errors.NOT_FLOAT);
      return;
    }
    Dict.Node<Object> n = writeNode(c, argv[1]);
    if (n == null) {
      return;
    }
    HashValue h = (HashValue) n.value;
    byte[] cur = h.get(argv[2]);
    BigDecimal value = BigDecimal.ZERO;
    if (cur != null) {
      value = Numbers.parseLongDouble(cur);
      if (value == null) {
        c.error(isInfinity(cur) ? Errors.NAN_OR_INF : Errors.HASH_NOT_FLOAT);
        return;
      }
    }
    BigDecimal sum = Numbers.addLongDouble(value, by);
    if (sum == null) {
      c.error(Errors.NAN_OR_INF);
      return;
    }
    byte[] text = Numbers.formatLongDouble(sum).getBytes(StandardCharsets.US_ASCII);
    h.put(argv[2], text, maxEntries(c), maxValue(c));
    c.db().touched(argv[1]);
    c.shard.dirty++;
    c.shard.effects.rewrite(c.dbIndex(), Effects.HSET, argv[1], argv[2], text);
    c.db().notify(Notify.HASH, "hincrbyfloat", argv[1]);
    c.out.bulk(text);
  }

  /** "inf", "+infinity", "-INF"...: what strtold reads as an infinity. */
  private static boolean isInfinity(byte[] s) {
    String t = Numbers.ascii(s).toLowerCase(java.util.Locale.ROOT);
    if (t.startsWith("+") || t.startsWith("-")) {
      t = t.substring(1);
    }
    return t.equals("inf") || t.equals("infinity");
  }

  // ---- reads ----

  static void hget(Client c, byte[][] argv) {
    HashValue h = read(c, argv[1]);
    if (h == WRONG) {
      return;
    }
    byte[] v = h == null ? null : h.get(argv[2]);
    if (v == null) {
      c.out.nullBulk();
    } else {
      c.out.bulk(v);
    }
  }

  static void hmget(Client c, byte[][] argv) {
    HashValue h = read(c, argv[1]);
    if (h == WRONG) {
      return;
    }
    c.out.array(argv.length - 2);
    for (int i = 2; i < argv.length; i++) {
      byte[] v = h == null ? null : h.get(argv[i]);
      if (v == null) {
        c.out.nullBulk();
      } else {
        c.out.bulk(v);
      }
    }
  }

  static void hlen(Client c, byte[][] argv) {
    HashValue h = read(c, argv[1]);
    if (h != WRONG) {
      c.out.integer(h == null ? 0 : h.size());
    }
  }

  static void hstrlen(Client c, byte[][] argv) {
    HashValue h = read(c, argv[1]);
    if (h != WRONG) {
      byte[] v = h == null ? null : h.get(argv[2]);
      c.out.integer(v == null ? 0 : v.length);
    }
  }

  static void hexists(Client c, byte[][] argv) {
    HashValue h = read(c, argv[1]);
    if (h != WRONG) {
      c.out.integer(h != null && h.contains(argv[2]) ? 1 : 0);
    }
  }

  static void hgetall(Client c, byte[][] argv, boolean fields, boolean values) {
    HashValue h = read(c, argv[1]);
    if (h == WRONG) {
      return;
    }
    int size = h == null ? 0 : h.size();
    if (fields && values) {
      c.out.map(size);
    } else {
      c.out.array(size);
    }
    if (h != null) {
      h.forEach((f, v) -> {
        if (fields) {
          c.out.bulk(f);
        }
        if (values) {
          c.out.bulk(v);
        }
      });
    }
  }

  // ---- HRANDFIELD ----

  static void hrandfield(Client c, byte[][] argv) {
    if (argv.length == 2) {
      HashValue h = read(c, argv[1]);
      if (h == WRONG) {
        return;
      }
      if (h == null) {
        c.out.nullBulk();
        return;
      }
      c.out.bulk(randomEntry(c, h)[0]);
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
    boolean withValues = argv.length == 4 && Args.is(argv[3], "withvalues");
    if (argv.length > 3 && !withValues) {
      c.error(Errors.SYNTAX);
      return;
    }
    long l = parsed;
    boolean unique = l >= 0;
    long count = Math.abs(l);
    if (withValues && count > Long.MAX_VALUE / 2) {
      c.error(Errors.VALUE_OUT_OF_RANGE);
      return;
    }
    HashValue h = read(c, argv[1]);
    if (h == WRONG) {
      return;
    }
    if (h == null || count == 0) {
      c.out.array(0);
      return;
    }
    int size = h.size();
    boolean pairs = withValues && c.out.resp3();
    if (!unique) {
      // with repetition: count independent picks
      c.out.array(withValues && !pairs ? count * 2 : count);
      byte[][][] all = h.isListpack() ? h.entries() : null;
      SplittableRandom rnd = random(c);
      for (long i = 0; i < count; i++) {
        byte[] f;
        byte[] v;
        if (all != null) {
          int k = rnd.nextInt(size);
          f = all[0][k];
          v = all[1][k];
        } else {
          byte[][] e = randomEntry(c, h);
          f = e[0];
          v = e[1];
        }
        writePick(c, f, v, withValues, pairs);
      }
      return;
    }
    if (count >= size) {
      c.out.array(withValues && !pairs ? size * 2L : size);
      h.forEach((f, v) -> writePick(c, f, v, withValues, pairs));
      return;
    }
    // distinct picks: choose count indexes of the entries (the hash is at least count large)
    c.out.array(withValues && !pairs ? count * 2 : count);
    if (h.table() != null && count * 3 < size) {
      // few picks from a large table: draw random entries until enough distinct ones
      Dict<byte[]> picked = new Dict<>();
      while (picked.size() < count) {
        Dict.Node<byte[]> n = h.table().fairRandomNode(c.shard.random());
        picked.addNodeIfAbsent(n.key, n.value);
      }
      picked.forEach(n -> writePick(c, n.key, n.value, withValues, pairs));
      return;
    }
    byte[][][] all = h.entries();
    int[] idx = pickDistinct(random(c), size, (int) count);
    for (int k : idx) {
      writePick(c, all[0][k], all[1][k], withValues, pairs);
    }
  }

  private static void writePick(Client c, byte[] f, byte[] v, boolean withValues, boolean pairs) {
    if (pairs) {
      c.out.array(2);
    }
    c.out.bulk(f);
    if (withValues) {
      c.out.bulk(v);
    }
  }

  /** {@code k} distinct indexes of {@code [0, n)} in random order (partial Fisher-Yates). */
  static int[] pickDistinct(SplittableRandom rnd, int n, int k) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    for (int i = 0; i < k; i++) {
      int j = i + rnd.nextInt(n - i);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return java.util.Arrays.copyOf(a, k);
  }

  private static SplittableRandom random(Client c) {
    return new SplittableRandom(c.shard.random().nextLong());
  }

  private static byte[][] randomEntry(Client c, HashValue h) {
    Dict<byte[]> t = h.table();
    if (t != null) {
      Dict.Node<byte[]> n = t.fairRandomNode(c.shard.random());
      return new byte[][] {n.key, n.value};
    }
    byte[][][] all = h.entries();
    int k = c.shard.random().nextInt(all[0].length);
    return new byte[][] {all[0][k], all[1][k]};
  }

  // ---- HSCAN ----

  static void hscan(Client c, byte[][] argv) {
    Long parsed = KeyCommands.parseCursor(argv[2]);
    if (parsed == null) {
      c.error(Errors.INVALID_CURSOR);
      return;
    }
    HashValue h = read(c, argv[1]);
    if (h == WRONG) {
      return;
    }
    if (h == null) {
      // Redis replies before it looks at the options
      c.out.array(2);
      c.out.bulk("0");
      c.out.array(0);
      return;
    }
    ScanOptions opt = ScanOptions.parse(c, argv, 3);
    if (opt == null) {
      return;
    }
    List<byte[]> out = new ArrayList<>();
    long cursor = parsed;
    if (h.isListpack()) {
      h.forEach((f, v) -> {
        if (opt.matches(f)) {
          out.add(f);
          out.add(v);
        }
      });
      cursor = 0;
    } else {
      List<Dict.Node<byte[]>> found = new ArrayList<>();
      long maxIterations = opt.count > Long.MAX_VALUE / 10 ? Long.MAX_VALUE : opt.count * 10;
      do {
        cursor = h.table().scan(cursor, found::add);
      } while (cursor != 0 && maxIterations-- > 0 && found.size() < opt.count);
      for (Dict.Node<byte[]> n : found) {
        if (opt.matches(n.key)) {
          out.add(n.key);
          out.add(n.value);
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

  /** MATCH and COUNT of HSCAN/SSCAN (TYPE belongs to SCAN only). */
  static final class ScanOptions {
    long count = 10;
    byte[] pattern;

    /** Parses options from {@code argv[from]} on; null after replying an error. */
    static ScanOptions parse(Client c, byte[][] argv, int from) {
      ScanOptions o = new ScanOptions();
      for (int i = from; i < argv.length; ) {
        int left = argv.length - i;
        if (Args.is(argv[i], "count") && left >= 2) {
          o.count = Args.longArg(c, argv[i + 1]);
          if (o.count == Args.INVALID) {
            return null;
          }
          if (o.count < 1) {
            c.error(Errors.SYNTAX);
            return null;
          }
          i += 2;
        } else if (Args.is(argv[i], "match") && left >= 2) {
          byte[] p = argv[i + 1];
          o.pattern = p.length == 1 && p[0] == '*' ? null : p;
          i += 2;
        } else {
          c.error(Errors.SYNTAX);
          return null;
        }
      }
      return o;
    }

    boolean matches(byte[] s) {
      return pattern == null || Glob.matches(pattern, s);
    }
  }
}
