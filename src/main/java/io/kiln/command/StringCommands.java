package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Effects;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Notify;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import io.kiln.types.GrowableString;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The string family: GET, SET and friends, counters, ranges, LCS. Values are byte arrays that
 * belong to their key; a write of the same length may overwrite one in place ({@code Db}), so a
 * reply is written out before the value is replaced. APPEND and SETRANGE past
 * {@code Db.IN_PLACE_MAX} bytes turn the value into a {@link GrowableString} written in place
 * (amortized growth, as Redis's sds): readers go through {@link Strs}. Relative expiry times are turned into
 * absolute milliseconds before they reach the keyspace. Event loop.
 */
public final class StringCommands {
  private StringCommands() {}

  static void register(CommandTable t) {
    t.add("get", 2, "readonly fast", 1, 1, 1, StringCommands::get);
    t.add("set", -3, "write denyoom", 1, 1, 1, StringCommands::set);
    t.add("setnx", 3, "write denyoom fast", 1, 1, 1, StringCommands::setnx);
    t.add("setex", 4, "write denyoom", 1, 1, 1, (c, a) -> setex(c, a, SECONDS));
    t.add("psetex", 4, "write denyoom", 1, 1, 1, (c, a) -> setex(c, a, MILLIS));
    t.add("getset", 3, "write denyoom fast", 1, 1, 1, StringCommands::getset);
    t.add("getdel", 2, "write fast", 1, 1, 1, StringCommands::getdel);
    t.add("getex", -2, "write fast", 1, 1, 1, StringCommands::getex);
    t.add("mget", -2, "readonly fast", 1, -1, 1, StringCommands::mget);
    t.add("mset", -3, "write denyoom", 1, -1, 2, (c, a) -> mset(c, a, false));
    t.add("msetnx", -3, "write denyoom", 1, -1, 2, (c, a) -> mset(c, a, true));
    t.add("append", 3, "write denyoom fast", 1, 1, 1, StringCommands::append);
    t.add("strlen", 2, "readonly fast", 1, 1, 1, StringCommands::strlen);
    t.add("getrange", 4, "readonly", 1, 1, 1, StringCommands::getrange);
    t.add("substr", 4, "readonly", 1, 1, 1, StringCommands::getrange);
    t.add("setrange", 4, "write denyoom", 1, 1, 1, StringCommands::setrange);
    t.add("incr", 2, "write denyoom fast", 1, 1, 1, (c, a) -> incrBy(c, a[1], 1));
    t.add("decr", 2, "write denyoom fast", 1, 1, 1, (c, a) -> incrBy(c, a[1], -1));
    t.add("incrby", 3, "write denyoom fast", 1, 1, 1, StringCommands::incrby);
    t.add("decrby", 3, "write denyoom fast", 1, 1, 1, StringCommands::decrby);
    t.add("incrbyfloat", 3, "write denyoom fast", 1, 1, 1, StringCommands::incrbyfloat);
    t.add("lcs", -3, "readonly", 1, 2, 1, StringCommands::lcs);
  }

  // ---- SET and its option parser (shared with GETEX) ----

  private static final int NX = 1;
  private static final int XX = 1 << 1;
  private static final int GET = 1 << 2;
  private static final int KEEPTTL = 1 << 3;
  private static final int PERSIST = 1 << 4;
  private static final int EX = 1 << 5;
  private static final int PX = 1 << 6;
  private static final int EXAT = 1 << 7;
  private static final int PXAT = 1 << 8;
  private static final int ANY_EXPIRE = EX | PX | EXAT | PXAT;

  private static final int SECONDS = 0;
  private static final int MILLIS = 1;

  /** Parsed SET / GETEX options. */
  private static final class Opts {
    int flags;
    byte[] expire;
  }

  /**
   * Parses the options of SET ({@code forSet}) or GETEX from {@code argv[from..]}, with Redis's
   * rules for which combinations conflict; null after replying a syntax error.
   */
  private static Opts parseOpts(Client c, byte[][] argv, int from, boolean forSet) {
    Opts o = new Opts();
    for (int j = from; j < argv.length; j++) {
      byte[] opt = argv[j];
      boolean hasNext = j < argv.length - 1;
      int f = o.flags;
      if (forSet && Args.is(opt, "nx") && (f & XX) == 0) {
        o.flags |= NX;
      } else if (forSet && Args.is(opt, "xx") && (f & NX) == 0) {
        o.flags |= XX;
      } else if (forSet && Args.is(opt, "get")) {
        o.flags |= GET;
      } else if (forSet && Args.is(opt, "keepttl") && (f & (PERSIST | ANY_EXPIRE)) == 0) {
        o.flags |= KEEPTTL;
      } else if (!forSet && Args.is(opt, "persist") && (f & (KEEPTTL | ANY_EXPIRE)) == 0) {
        o.flags |= PERSIST;
      } else if (hasNext && Args.is(opt, "ex")
          && (f & (KEEPTTL | PERSIST | EXAT | PX | PXAT)) == 0) {
        o.flags |= EX;
        o.expire = argv[++j];
      } else if (hasNext && Args.is(opt, "px")
          && (f & (KEEPTTL | PERSIST | EX | EXAT | PXAT)) == 0) {
        o.flags |= PX;
        o.expire = argv[++j];
      } else if (hasNext && Args.is(opt, "exat")
          && (f & (KEEPTTL | PERSIST | EX | PX | PXAT)) == 0) {
        o.flags |= EXAT;
        o.expire = argv[++j];
      } else if (hasNext && Args.is(opt, "pxat")
          && (f & (KEEPTTL | PERSIST | EX | EXAT | PX)) == 0) {
        o.flags |= PXAT;
        o.expire = argv[++j];
      } else {
        c.error(Errors.SYNTAX);
        return null;
      }
    }
    return o;
  }

  /** Sentinel for "an error was replied" from {@link #expireAtMs}. */
  private static final long BAD_EXPIRE = Long.MIN_VALUE;

  /**
   * The absolute expiry in ms for an expire argument ({@code relative}: add the current time),
   * or {@link #BAD_EXPIRE} after replying the error Redis gives.
   */
  private static long expireAtMs(Client c, byte[] arg, int unit, boolean relative, String cmd) {
    Long v = Numbers.toLong(arg);
    if (v == null) {
      c.error(Errors.NOT_INTEGER);
      return BAD_EXPIRE;
    }
    long ms = v;
    if (ms <= 0 || (unit == SECONDS && ms > Long.MAX_VALUE / 1000)) {
      c.error(String.format(Errors.INVALID_EXPIRE, cmd));
      return BAD_EXPIRE;
    }
    if (unit == SECONDS) {
      ms *= 1000;
    }
    if (relative) {
      ms += c.shard.now(); // wraps on overflow as Redis's does, caught just below
    }
    if (ms <= 0) {
      c.error(String.format(Errors.INVALID_EXPIRE, cmd));
      return BAD_EXPIRE;
    }
    return ms;
  }

  static void get(Client c, byte[][] argv) {
    Object v = c.db().get(argv[1]);
    if (Args.notString(v)) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    Strs.bulk(c.out, v);
  }

  static void set(Client c, byte[][] argv) {
    Opts o = parseOpts(c, argv, 3, true);
    if (o == null) {
      return;
    }
    long at = 0;
    if (o.expire != null) {
      int unit = (o.flags & (EX | EXAT)) != 0 ? SECONDS : MILLIS;
      at = expireAtMs(c, o.expire, unit, (o.flags & (EX | PX)) != 0, "set");
      if (at == BAD_EXPIRE) {
        return;
      }
    }
    setGeneric(c, argv[1], argv[2], o.flags, at, false);
  }

  /**
   * The common end of SET, SETNX, SETEX and PSETEX: the GET option's reply, the NX/XX
   * condition, the write (with KEEPTTL or an absolute expiry) and the reply.
   */
  private static void setGeneric(Client c, byte[] key, byte[] value, int flags, long expireAt,
      boolean intReply) {
    Db db = c.db();
    if ((flags & GET) != 0) {
      Object old = db.get(key);
      if (Args.notString(old)) {
        c.error(Errors.WRONGTYPE);
        return;
      }
      Strs.bulk(c.out, old);
    }
    boolean found = db.node(key) != null;
    if (((flags & NX) != 0 && found) || ((flags & XX) != 0 && !found)) {
      if ((flags & GET) == 0) {
        if (intReply) {
          c.out.integer(0);
        } else {
          c.out.nullBulk();
        }
      }
      return;
    }
    if (expireAt != 0) {
      // An absolute time already past is stored as is: the key then expires on its next
      // access, as in Redis 7.0 (which replies OK and counts the expiry then).
      db.set(key, value, expireAt);
    } else {
      db.set(key, value, (flags & KEEPTTL) != 0);
    }
    c.shard.dirty++;
    if (expireAt != 0) { // relative or not, the AOF gets the absolute time
      c.shard.effects.rewrite(db.id, Effects.SET, key, value, Effects.PXAT, Effects.num(expireAt));
    }
    db.notify(Notify.STRING, "set", key);
    if (expireAt != 0) {
      db.notify(Notify.GENERIC, "expire", key);
    }
    if ((flags & GET) == 0) {
      if (intReply) {
        c.out.integer(1);
      } else {
        c.ok();
      }
    }
  }

  static void setnx(Client c, byte[][] argv) {
    setGeneric(c, argv[1], argv[2], NX, 0, true);
  }

  static void setex(Client c, byte[][] argv, int unit) {
    long at = expireAtMs(c, argv[2], unit, true, unit == SECONDS ? "setex" : "psetex");
    if (at == BAD_EXPIRE) {
      return;
    }
    setGeneric(c, argv[1], argv[3], 0, at, false);
  }

  static void getset(Client c, byte[][] argv) {
    Db db = c.db();
    Object old = db.get(argv[1]);
    if (Args.notString(old)) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    Strs.bulk(c.out, old);
    db.set(argv[1], argv[2], false);
    c.shard.dirty++;
    c.shard.effects.rewrite(db.id, Effects.SET, argv[1], argv[2]);
    db.notify(Notify.STRING, "set", argv[1]);
  }

  static void getdel(Client c, byte[][] argv) {
    Db db = c.db();
    Object v = db.get(argv[1]);
    if (v == null) {
      c.out.nullBulk();
      return;
    }
    if (Args.notString(v)) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    Strs.bulk(c.out, v);
    db.delete(argv[1]);
    c.shard.dirty++;
    c.shard.effects.rewrite(db.id, Effects.DEL, argv[1]);
    db.notify(Notify.GENERIC, "del", argv[1]);
  }

  static void getex(Client c, byte[][] argv) {
    Opts o = parseOpts(c, argv, 2, false);
    if (o == null) {
      return;
    }
    Db db = c.db();
    Object v = db.get(argv[1]);
    if (v == null) {
      c.out.nullBulk();
      return;
    }
    if (Args.notString(v)) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    long at = 0;
    if (o.expire != null) {
      int unit = (o.flags & (EX | EXAT)) != 0 ? SECONDS : MILLIS;
      at = expireAtMs(c, o.expire, unit, (o.flags & (EX | PX)) != 0, "getex");
      if (at == BAD_EXPIRE) {
        return;
      }
    }
    Strs.bulk(c.out, v);
    if ((o.flags & (EXAT | PXAT)) != 0 && at <= c.shard.now() && !c.shard.replaying) {
      db.delete(argv[1]);
      c.shard.dirty++;
      c.shard.effects.rewrite(db.id, Effects.DEL, argv[1]);
      db.notify(Notify.GENERIC, "del", argv[1]);
    } else if (o.expire != null) {
      db.setExpire(argv[1], at);
      c.shard.dirty++;
      c.shard.effects.rewrite(db.id, Effects.PEXPIREAT, argv[1], Effects.num(at));
      db.notify(Notify.GENERIC, "expire", argv[1]);
    } else if ((o.flags & PERSIST) != 0) {
      if (db.persist(argv[1])) {
        c.shard.dirty++;
        c.shard.effects.rewrite(db.id, Effects.PERSIST, argv[1]);
        db.notify(Notify.GENERIC, "persist", argv[1]);
      }
    }
  }

  static void mget(Client c, byte[][] argv) {
    c.out.array(argv.length - 1);
    Db db = c.db();
    for (int i = 1; i < argv.length; i++) {
      Object v = db.get(argv[i]);
      Strs.bulk(c.out, Strs.isString(v) ? v : null);
    }
  }

  static void mset(Client c, byte[][] argv, boolean nx) {
    if (argv.length % 2 == 0) {
      c.error(Errors.wrongArgs(nx ? "msetnx" : "mset"));
      return;
    }
    Db db = c.db();
    if (nx) {
      for (int i = 1; i < argv.length; i += 2) {
        if (db.node(argv[i]) != null) {
          c.out.integer(0);
          return;
        }
      }
    }
    for (int i = 1; i < argv.length; i += 2) {
      db.set(argv[i], argv[i + 1], false);
      db.notify(Notify.STRING, "set", argv[i]);
    }
    c.shard.dirty += (argv.length - 1) / 2;
    if (nx) {
      c.out.integer(1);
    } else {
      c.ok();
    }
  }

  // ---- lengths and ranges ----

  /** proto-max-bulk-len: the largest string a command may build. */
  static long maxStringLength(Client c) {
    return c.kiln.config().getLong("proto-max-bulk-len");
  }

  /**
   * False after replying the size error when a string of {@code size + append} bytes would
   * exceed proto-max-bulk-len (or what a Java array can hold).
   */
  static boolean checkStringLength(Client c, long size, long append) {
    long max = Math.min(maxStringLength(c), Integer.MAX_VALUE - 8);
    if (size > max - append) {
      c.error(Errors.STRING_TOO_LONG);
      return false;
    }
    return true;
  }

  static void append(Client c, byte[][] argv) {
    Db db = c.db();
    Dict.Node<Object> n = db.node(argv[1]);
    long total;
    if (n == null) {
      db.set(argv[1], argv[2], false);
      total = argv[2].length;
    } else {
      if (!Strs.isString(n.value)) {
        c.error(Errors.WRONGTYPE);
        return;
      }
      int oldLen = Strs.length(n.value);
      if (!checkStringLength(c, oldLen, argv[2].length)) {
        return;
      }
      if (Strs.writeInPlace(n.value, (long) oldLen + argv[2].length)) {
        // amortized: the grown string has room, or gets a chunk; no copy of what is there
        GrowableString g = Strs.growable(db, n);
        g.write(oldLen, argv[2], 0, argv[2].length);
        total = g.length();
      } else {
        byte[] old = (byte[]) n.value;
        byte[] nv = Arrays.copyOf(old, old.length + argv[2].length);
        System.arraycopy(argv[2], 0, nv, old.length, argv[2].length);
        db.replace(n, nv);
        total = nv.length;
      }
    }
    c.shard.dirty++;
    db.notify(Notify.STRING, "append", argv[1]);
    c.out.integer(total);
  }

  static void strlen(Client c, byte[][] argv) {
    Object v = c.db().get(argv[1]);
    if (Args.notString(v)) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    c.out.integer(Strs.length(v));
  }

  static void getrange(Client c, byte[][] argv) {
    Long s = Numbers.toLong(argv[2]);
    Long e = s == null ? null : Numbers.toLong(argv[3]);
    if (e == null) {
      c.error(Errors.NOT_INTEGER);
      return;
    }
    Object v = c.db().get(argv[1]);
    if (v == null) {
      c.out.bulk(EMPTY);
      return;
    }
    if (!Strs.isString(v)) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    long start = s;
    long end = e;
    long len = Strs.length(v);
    if (start < 0 && end < 0 && start > end) {
      c.out.bulk(EMPTY);
      return;
    }
    if (start < 0) {
      start += len;
    }
    if (end < 0) {
      end += len;
    }
    start = Math.max(start, 0);
    end = Math.max(end, 0);
    if (end >= len) {
      end = len - 1;
    }
    if (start > end || len == 0) {
      c.out.bulk(EMPTY);
    } else {
      Strs.bulk(c.out, v, (int) start, (int) (end - start + 1));
    }
  }

  private static final byte[] EMPTY = new byte[0];

  static void setrange(Client c, byte[][] argv) {
    Long off = Numbers.toLong(argv[2]);
    if (off == null) {
      c.error(Errors.NOT_INTEGER);
      return;
    }
    long offset = off;
    if (offset < 0) {
      c.error(Errors.SETRANGE_OFFSET);
      return;
    }
    byte[] value = argv[3];
    Db db = c.db();
    Dict.Node<Object> n = db.node(argv[1]);
    if (n == null) {
      if (value.length == 0) {
        c.out.integer(0);
        return;
      }
      if (!checkStringLength(c, offset, value.length)) {
        return;
      }
      byte[] nv = new byte[(int) offset + value.length];
      System.arraycopy(value, 0, nv, (int) offset, value.length);
      db.set(argv[1], nv, false);
      c.shard.dirty++;
      db.notify(Notify.STRING, "setrange", argv[1]);
      c.out.integer(nv.length);
      return;
    }
    if (!Strs.isString(n.value)) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    int oldLen = Strs.length(n.value);
    if (value.length == 0) {
      c.out.integer(oldLen);
      return;
    }
    if (!checkStringLength(c, offset, value.length)) {
      return;
    }
    int newLen = (int) Math.max(oldLen, offset + value.length);
    if (Strs.writeInPlace(n.value, newLen)) {
      Strs.growable(db, n).write((int) offset, value, 0, value.length);
    } else {
      byte[] nv = Arrays.copyOf((byte[]) n.value, newLen);
      System.arraycopy(value, 0, nv, (int) offset, value.length);
      db.replace(n, nv);
    }
    c.shard.dirty++;
    db.notify(Notify.STRING, "setrange", argv[1]);
    c.out.integer(newLen);
  }

  // ---- counters ----

  static void incrby(Client c, byte[][] argv) {
    Long by = Numbers.toLong(argv[2]);
    if (by == null) {
      c.error(Errors.NOT_INTEGER);
      return;
    }
    incrBy(c, argv[1], by);
  }

  static void decrby(Client c, byte[][] argv) {
    Long by = Numbers.toLong(argv[2]);
    if (by == null) {
      c.error(Errors.NOT_INTEGER);
      return;
    }
    if (by == Long.MIN_VALUE) {
      c.error(Errors.DECR_OVERFLOW);
      return;
    }
    incrBy(c, argv[1], -by);
  }

  static void incrBy(Client c, byte[] key, long by) {
    Db db = c.db();
    Dict.Node<Object> n = db.node(key);
    long cur = 0;
    if (n != null) {
      if (!Strs.isString(n.value)) {
        c.error(Errors.WRONGTYPE);
        return;
      }
      // a grown string is longer than any integer (Redis's string2ll refuses 21 bytes or more)
      Long v = n.value instanceof byte[] b ? Numbers.toLong(b) : null;
      if (v == null) {
        c.error(Errors.NOT_INTEGER);
        return;
      }
      cur = v;
    }
    if ((by < 0 && cur < 0 && by < Long.MIN_VALUE - cur)
        || (by > 0 && cur > 0 && by > Long.MAX_VALUE - cur)) {
      c.error(Errors.OVERFLOW);
      return;
    }
    long next = cur + by;
    byte[] value = Long.toString(next).getBytes(StandardCharsets.US_ASCII);
    if (n != null) {
      db.replace(n, value);
    } else {
      db.set(key, value, false);
    }
    c.shard.dirty++;
    db.notify(Notify.STRING, "incrby", key);
    c.out.integer(next);
  }

  /** Marks an infinite operand from {@link #parseLongDouble}. */
  private static final BigDecimal INFINITE = new BigDecimal(0);

  static void incrbyfloat(Client c, byte[][] argv) {
    Db db = c.db();
    Dict.Node<Object> n = db.node(argv[1]);
    BigDecimal cur = BigDecimal.ZERO;
    if (n != null) {
      if (!Strs.isString(n.value)) {
        c.error(Errors.WRONGTYPE);
        return;
      }
      // past 5 KB no text is a float for Redis (MAX_LONG_DOUBLE_CHARS): no need to copy it
      cur = Strs.length(n.value) > 5 * 1024 ? null : parseLongDouble(Strs.bytes(n.value));
    }
    BigDecimal by = cur == null ? null : parseLongDouble(argv[2]);
    if (by == null) {
      c.error(Errors.NOT_FLOAT);
      return;
    }
    BigDecimal sum = cur == INFINITE || by == INFINITE ? null : Numbers.addLongDouble(cur, by);
    if (sum == null) {
      c.error(Errors.NAN_OR_INF);
      return;
    }
    byte[] value = Numbers.formatLongDouble(sum).getBytes(StandardCharsets.US_ASCII);
    if (n != null) {
      db.replace(n, value);
    } else {
      db.set(argv[1], value, false);
    }
    c.shard.dirty++;
    // the sum as text, not the addition: replaying it gives the same bytes on any platform
    c.shard.effects.rewrite(db.id, Effects.SET, argv[1], value, Effects.KEEPTTL);
    db.notify(Notify.STRING, "incrbyfloat", argv[1]);
    c.out.bulk(value);
  }

  /**
   * A long double the way Redis's string2ld reads one ({@link Numbers#parseLongDouble}), with
   * infinities told apart ({@link #INFINITE}): Redis accepts them as input and then refuses the
   * result. NaN and garbage give null.
   */
  private static BigDecimal parseLongDouble(byte[] s) {
    BigDecimal d = Numbers.parseLongDouble(s);
    if (d == null && s.length <= 9) {
      String u = Numbers.ascii(s).toLowerCase(java.util.Locale.ROOT);
      u = u.startsWith("-") || u.startsWith("+") ? u.substring(1) : u;
      if (u.equals("inf") || u.equals("infinity")) {
        return INFINITE;
      }
    }
    return d;
  }


  // ---- LCS ----

  static void lcs(Client c, byte[][] argv) {
    Db db = c.db();
    Object oa = db.get(argv[1]);
    Object ob = db.get(argv[2]);
    if (Args.notString(oa) || Args.notString(ob)) {
      c.error(Errors.LCS_NOT_STRINGS);
      return;
    }
    boolean getLen = false;
    boolean getIdx = false;
    boolean withMatchLen = false;
    long minMatchLen = 0;
    for (int j = 3; j < argv.length; j++) {
      boolean more = j < argv.length - 1;
      if (Args.is(argv[j], "idx")) {
        getIdx = true;
      } else if (Args.is(argv[j], "len")) {
        getLen = true;
      } else if (Args.is(argv[j], "withmatchlen")) {
        withMatchLen = true;
      } else if (Args.is(argv[j], "minmatchlen") && more) {
        Long m = Numbers.toLong(argv[++j]);
        if (m == null) {
          c.error(Errors.NOT_INTEGER);
          return;
        }
        minMatchLen = Math.max(m, 0);
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    if (getIdx && getLen) {
      c.error(Errors.LCS_LEN_AND_IDX);
      return;
    }
    int alen = Strs.length(oa);
    int blen = Strs.length(ob);
    long cells = (long) (alen + 1) * (blen + 1);
    if (cells * 4 > maxStringLength(c)) {
      c.error(Errors.LCS_TOO_BIG);
      return;
    }
    byte[] a = oa == null ? EMPTY : Strs.bytes(oa);
    byte[] b = ob == null ? EMPTY : Strs.bytes(ob);
    int[] t;
    try {
      t = cells > Integer.MAX_VALUE - 8 ? null : new int[(int) cells];
    } catch (OutOfMemoryError e) {
      t = null;
    }
    if (t == null) {
      c.error(Errors.LCS_ALLOCATION);
      return;
    }
    int w = blen + 1;
    for (int i = 1; i <= alen; i++) {
      for (int j = 1; j <= blen; j++) {
        if (a[i - 1] == b[j - 1]) {
          t[i * w + j] = t[(i - 1) * w + j - 1] + 1;
        } else {
          t[i * w + j] = Math.max(t[(i - 1) * w + j], t[i * w + j - 1]);
        }
      }
    }
    int total = t[alen * w + blen];
    if (getLen) {
      c.out.integer(total);
      return;
    }
    // Walk back from the end, collecting the LCS and the matching ranges (last first).
    byte[] result = new byte[total];
    int idx = total;
    java.util.List<long[]> ranges = new java.util.ArrayList<>();
    int i = alen;
    int j = blen;
    int aStart = -1;
    int aEnd = 0;
    int bStart = 0;
    int bEnd = 0;
    while (i > 0 && j > 0) {
      boolean emit = false;
      if (a[i - 1] == b[j - 1]) {
        result[--idx] = a[i - 1];
        if (aStart < 0) {
          aStart = aEnd = i - 1;
          bStart = bEnd = j - 1;
        } else if (aStart == i && bStart == j) {
          aStart--;
          bStart--;
        } else {
          emit = true;
        }
        if (aStart == 0 || bStart == 0) {
          emit = true;
        }
        i--;
        j--;
      } else {
        if (t[(i - 1) * w + j] > t[i * w + j - 1]) {
          i--;
        } else {
          j--;
        }
        if (aStart >= 0) {
          emit = true;
        }
      }
      if (emit) {
        long matchLen = aEnd - aStart + 1;
        if (minMatchLen == 0 || matchLen >= minMatchLen) {
          ranges.add(new long[] {aStart, aEnd, bStart, bEnd, matchLen});
        }
        aStart = -1;
      }
    }
    if (!getIdx) {
      c.out.bulk(result);
      return;
    }
    c.out.map(2);
    c.out.bulk("matches");
    c.out.array(ranges.size());
    for (long[] r : ranges) {
      c.out.array(withMatchLen ? 3 : 2);
      c.out.array(2);
      c.out.integer(r[0]);
      c.out.integer(r[1]);
      c.out.array(2);
      c.out.integer(r[2]);
      c.out.integer(r[3]);
      if (withMatchLen) {
        c.out.integer(r[4]);
      }
    }
    c.out.bulk("len");
    c.out.integer(total);
  }
}
