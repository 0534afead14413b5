package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Effects;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Notify;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import io.kiln.types.GrowableString;
import io.kiln.types.RedisValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The generic (keyspace) family: DEL, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY, RENAME, MOVE, COPY,
 * SWAPDB, the expiry commands, TOUCH and OBJECT, with Redis 7.0's replies and error texts.
 * Event loop.
 */
public final class KeyCommands {
  private KeyCommands() {}

  /** Redis keeps the integers 0..9999 as shared objects (OBJ_SHARED_INTEGERS). */
  private static final long SHARED_INTEGERS = 10000;
  /** Strings up to this many bytes are stored embedded (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
  private static final int EMBSTR_LIMIT = 44;

  static void register(CommandTable t) {
    t.add("del", -2, "write", 1, -1, 1, KeyCommands::del);
    t.add("unlink", -2, "write fast", 1, -1, 1, KeyCommands::del);
    t.add("exists", -2, "readonly fast", 1, -1, 1, KeyCommands::exists);
    t.add("type", 2, "readonly fast", 1, 1, 1, KeyCommands::type);
    t.add("keys", 2, "readonly", 0, 0, 0, KeyCommands::keys);
    t.add("scan", -2, "readonly", 0, 0, 0, KeyCommands::scan);
    t.add("randomkey", 1, "readonly", 0, 0, 0, KeyCommands::randomkey);
    t.add("rename", 3, "write", 1, 2, 1, (c, a) -> rename(c, a, false));
    t.add("renamenx", 3, "write fast", 1, 2, 1, (c, a) -> rename(c, a, true));
    t.add("move", 3, "write fast", 1, 1, 1, KeyCommands::move);
    t.add("copy", -3, "write denyoom", 1, 2, 1, KeyCommands::copy);
    t.add("swapdb", 3, "write fast", 0, 0, 0, KeyCommands::swapdb);
    t.add("expire", -3, "write fast", 1, 1, 1, (c, a) -> expire(c, a, "expire", true, true));
    t.add("pexpire", -3, "write fast", 1, 1, 1, (c, a) -> expire(c, a, "pexpire", false, true));
    t.add("expireat", -3, "write fast", 1, 1, 1,
        (c, a) -> expire(c, a, "expireat", true, false));
    t.add("pexpireat", -3, "write fast", 1, 1, 1,
        (c, a) -> expire(c, a, "pexpireat", false, false));
    t.add("ttl", 2, "readonly fast", 1, 1, 1, (c, a) -> ttl(c, a, false, false));
    t.add("pttl", 2, "readonly fast", 1, 1, 1, (c, a) -> ttl(c, a, true, false));
    t.add("expiretime", 2, "readonly fast", 1, 1, 1, (c, a) -> ttl(c, a, false, true));
    t.add("pexpiretime", 2, "readonly fast", 1, 1, 1, (c, a) -> ttl(c, a, true, true));
    t.add("persist", 2, "write fast", 1, 1, 1, KeyCommands::persist);
    t.add("touch", -2, "readonly fast", 1, -1, 1, KeyCommands::touch);
    CommandSpec object = t.container("object", -2, "");
    t.sub(object, "encoding", 3, "readonly", 2, 2, 1, KeyCommands::objectEncoding);
    t.sub(object, "refcount", 3, "readonly", 2, 2, 1, KeyCommands::objectRefcount);
    t.sub(object, "idletime", 3, "readonly", 2, 2, 1, KeyCommands::objectIdletime);
    t.sub(object, "freq", 3, "readonly", 2, 2, 1, KeyCommands::objectFreq);
    t.sub(object, "help", 2, "loading stale", 0, 0, 0, KeyCommands::objectHelp);
  }

  // ---- value introspection shared with other families ----

  /** TYPE's name for a value; "none" for null. */
  public static String typeName(Object v) {
    if (v == null) {
      return "none";
    }
    if (Strs.isString(v)) {
      return "string";
    }
    if (v instanceof RedisValue tv) {
      return tv.typeName();
    }
    throw new IllegalStateException("value of unknown type " + v.getClass().getName());
  }

  /** OBJECT ENCODING's name for a value. */
  public static String encodingName(Object v) {
    if (v instanceof byte[] b) {
      if (b.length <= 20 && Numbers.toLong(b) != null) {
        return "int";
      }
      return b.length <= EMBSTR_LIMIT ? "embstr" : "raw";
    }
    if (v instanceof GrowableString) {
      return "raw"; // longer than any int or embstr
    }
    return ((RedisValue) v).encoding();
  }

  /** A copy of a value for COPY (a string's array belongs to one key: {@link Db}). */
  public static Object copyValue(Object v) {
    if (v instanceof byte[] s) {
      return s.clone();
    }
    if (v instanceof GrowableString g) {
      return g.copy();
    }
    return ((RedisValue) v).deepCopy();
  }

  // ---- DEL, EXISTS, TYPE, TOUCH ----

  /** Redis's LAZYFREE_THRESHOLD: a value whose free effort is above it goes to the lazy freer. */
  private static final int LAZYFREE_THRESHOLD = 64;

  static void del(Client c, byte[][] argv) {
    Db db = c.db();
    long n = 0;
    for (int i = 1; i < argv.length; i++) {
      Object v = db.deleteAndGet(argv[i]);
      if (v != null) {
        n++;
        db.notify(Notify.GENERIC, "del", argv[i]);
        // Every free is the collector's, off the event loop; what Redis frees lazily is counted.
        if (v instanceof RedisValue rv && rv.freeEffort() > LAZYFREE_THRESHOLD
            && (Args.is(argv[0], "unlink") || c.kiln.config().getBool("lazyfree-lazy-user-del"))) {
          c.shard.stats.lazyfreedObjects++;
        }
      }
    }
    c.shard.dirty += n;
    c.out.integer(n);
  }

  static void exists(Client c, byte[][] argv) {
    Db db = c.db();
    long n = 0;
    for (int i = 1; i < argv.length; i++) {
      if (db.readNode(argv[i]) != null) {
        n++;
      }
    }
    c.out.integer(n);
  }

  static void type(Client c, byte[][] argv) {
    Dict.Node<Object> n = c.db().readNode(argv[1]);
    c.out.simple(typeName(n == null ? null : n.value));
  }

  static void touch(Client c, byte[][] argv) {
    Db db = c.db();
    long n = 0;
    for (int i = 1; i < argv.length; i++) {
      if (db.get(argv[i]) != null) {
        n++;
      }
    }
    c.out.integer(n);
  }

  // ---- KEYS, SCAN, RANDOMKEY ----

  static void keys(Client c, byte[][] argv) {
    byte[] pattern = argv[1];
    boolean all = pattern.length == 1 && pattern[0] == '*';
    List<byte[]> found = new ArrayList<>();
    c.db().forEach(n -> {
      if (all || Glob.matches(pattern, n.key)) {
        found.add(n.key);
      }
    });
    c.out.array(found.size());
    for (byte[] k : found) {
      c.out.bulk(k);
    }
  }

  /**
   * A SCAN cursor as C's strtoul reads it (Redis refuses leading space, trailing bytes and
   * overflow; accepts '+', '-' (negating modulo 2^64) and the empty string as 0). Returns the
   * cursor bits, or null when invalid.
   */
  static Long parseCursor(byte[] s) {
    int i = 0;
    int n = s.length;
    if (n > 0 && isSpace(s[0])) {
      return null;
    }
    boolean neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
      neg = s[i] == '-';
      i++;
    }
    if (i == n) {
      // no digits: strtoul consumes nothing, so the end pointer is at the start of the string
      return n == 0 ? 0L : null;
    }
    long v = 0;
    for (; i < n; i++) {
      int d = s[i] - '0';
      if (d < 0 || d > 9) {
        return null;
      }
      // overflow of unsigned 64 bits
      if (Long.compareUnsigned(v, Long.divideUnsigned(-1L, 10)) > 0) {
        return null;
      }
      long next = v * 10 + d;
      if (Long.compareUnsigned(next, v * 10) < 0) {
        return null;
      }
      v = next;
    }
    return neg ? -v : v;
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || (b >= '\t' && b <= '\r');
  }

  static void scan(Client c, byte[][] argv) {
    Long parsed = parseCursor(argv[1]);
    if (parsed == null) {
      c.error(Errors.INVALID_CURSOR);
      return;
    }
    long cursor = parsed;
    long count = 10;
    byte[] pattern = null;
    byte[] type = null;
    for (int i = 2; i < argv.length; ) {
      int left = argv.length - i;
      if (Args.is(argv[i], "count") && left >= 2) {
        count = Args.longArg(c, argv[i + 1]);
        if (count == Args.INVALID) {
          return;
        }
        if (count < 1) {
          c.error(Errors.SYNTAX);
          return;
        }
        i += 2;
      } else if (Args.is(argv[i], "match") && left >= 2) {
        byte[] p = argv[i + 1];
        pattern = p.length == 1 && p[0] == '*' ? null : p;
        i += 2;
      } else if (Args.is(argv[i], "type") && left >= 2) {
        type = argv[i + 1];
        i += 2;
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    Db db = c.db();
    List<Dict.Node<Object>> found = new ArrayList<>();
    long maxIterations = count > Long.MAX_VALUE / 10 ? Long.MAX_VALUE : count * 10;
    do {
      cursor = db.scan(cursor, found::add);
    } while (cursor != 0 && maxIterations-- > 0 && found.size() < count);
    String typeFilter = type == null ? null : new String(type, StandardCharsets.ISO_8859_1);
    List<byte[]> keys = new ArrayList<>(found.size());
    for (Dict.Node<Object> n : found) {
      if (pattern != null && !Glob.matches(pattern, n.key)) {
        continue;
      }
      if (typeFilter != null && !typeFilter.equalsIgnoreCase(typeName(n.value))) {
        continue;
      }
      keys.add(n.key);
    }
    c.out.array(2);
    c.out.bulk(Long.toUnsignedString(cursor));
    c.out.array(keys.size());
    for (byte[] k : keys) {
      c.out.bulk(k);
    }
  }

  static void randomkey(Client c, byte[][] argv) {
    Db db = c.db();
    // Each try deletes the expired keys it lands on, so this ends; like Redis, keep going while
    // keys remain rather than answer nil for a database that still holds a live key.
    Dict.Node<Object> n = db.randomNode();
    while (n == null && db.size() > 0) {
      n = db.randomNode();
    }
    if (n == null) {
      c.out.nullBulk();
    } else {
      c.out.bulk(n.key);
    }
  }

  // ---- RENAME, MOVE, COPY, SWAPDB ----

  static void rename(Client c, byte[][] argv, boolean nx) {
    Db db = c.db();
    boolean sameKey = java.util.Arrays.equals(argv[1], argv[2]);
    Dict.Node<Object> src = db.node(argv[1]);
    if (src == null) {
      c.error(Errors.NO_SUCH_KEY);
      return;
    }
    c.shard.access(src); // a write lookup counts as an access, as in Redis
    if (sameKey) {
      if (nx) {
        c.out.integer(0);
      } else {
        c.ok();
      }
      return;
    }
    if (nx && db.exists(argv[2])) {
      c.out.integer(0);
      return;
    }
    db.rename(src, argv[2]);
    c.shard.dirty++;
    db.notify(Notify.GENERIC, "rename_from", argv[1]);
    db.notify(Notify.GENERIC, "rename_to", argv[2]);
    if (nx) {
      c.out.integer(1);
    } else {
      c.ok();
    }
  }

  /**
   * A DB index argument as Redis's getIntFromObjectOrReply reads it: replies {@code error} (or
   * the generic texts when null) and returns null when it is not an int.
   */
  private static Integer intArg(Client c, byte[] arg, String error) {
    Long v = Numbers.toLong(arg);
    if (v == null) {
      c.error(error != null ? error : Errors.NOT_INTEGER);
      return null;
    }
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      c.error(error != null ? error : Errors.INT_RANGE);
      return null;
    }
    return (int) (long) v;
  }

  static void move(Client c, byte[][] argv) {
    Integer dbid = intArg(c, argv[2], null);
    if (dbid == null) {
      return;
    }
    if (dbid < 0 || dbid >= c.shard.databases()) {
      c.error(Errors.DB_OUT_OF_RANGE);
      return;
    }
    Db src = c.db();
    Db dst = c.shard.db(dbid);
    if (src == dst) {
      c.error(Errors.SAME_OBJECT);
      return;
    }
    Dict.Node<Object> n = src.node(argv[1]);
    if (n == null) {
      c.out.integer(0);
      return;
    }
    c.shard.access(n); // a write lookup counts as an access, as in Redis
    if (dst.exists(argv[1])) {
      c.out.integer(0);
      return;
    }
    src.moveTo(n, dst);
    c.shard.dirty++;
    src.notify(Notify.GENERIC, "move_from", argv[1]);
    dst.notify(Notify.GENERIC, "move_to", argv[1]);
    c.out.integer(1);
  }

  static void copy(Client c, byte[][] argv) {
    Db src = c.db();
    Db dst = src;
    boolean replace = false;
    for (int j = 3; j < argv.length; j++) {
      int additional = argv.length - j - 1;
      if (Args.is(argv[j], "replace")) {
        replace = true;
      } else if (Args.is(argv[j], "db") && additional >= 1) {
        Integer dbid = intArg(c, argv[j + 1], null);
        if (dbid == null) {
          return;
        }
        if (dbid < 0 || dbid >= c.shard.databases()) {
          c.error(Errors.DB_OUT_OF_RANGE);
          return;
        }
        dst = c.shard.db(dbid);
        j++;
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    if (src == dst && java.util.Arrays.equals(argv[1], argv[2])) {
      c.error(Errors.SAME_OBJECT);
      return;
    }
    Object value = src.get(argv[1]);
    if (value == null) {
      c.out.integer(0);
      return;
    }
    long expireAt = src.expireAt(argv[1]);
    if (dst.exists(argv[2])) {
      if (!replace) {
        c.out.integer(0);
        return;
      }
      dst.delete(argv[2]);
    }
    dst.set(argv[2], copyValue(value), expireAt);
    c.shard.dirty++;
    dst.notify(Notify.GENERIC, "copy_to", argv[2]);
    c.out.integer(1);
  }

  static void swapdb(Client c, byte[][] argv) {
    Integer id1 = intArg(c, argv[1], Errors.SWAPDB_FIRST_INDEX);
    if (id1 == null) {
      return;
    }
    Integer id2 = intArg(c, argv[2], Errors.SWAPDB_SECOND_INDEX);
    if (id2 == null) {
      return;
    }
    int dbs = c.shard.databases();
    if (id1 < 0 || id1 >= dbs || id2 < 0 || id2 >= dbs) {
      c.error(Errors.DB_OUT_OF_RANGE);
      return;
    }
    if (!id1.equals(id2)) {
      c.shard.db(id1).swapWith(c.shard.db(id2));
    }
    c.shard.dirty++;
    c.ok();
  }

  // ---- expiry ----

  private static final int NX = 1;
  private static final int XX = 2;
  private static final int GT = 4;
  private static final int LT = 8;

  /** EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: {@code relative} adds the current time. */
  static void expire(Client c, byte[][] argv, String name, boolean seconds, boolean relative) {
    int flags = 0;
    for (int j = 3; j < argv.length; j++) {
      byte[] o = argv[j];
      if (Args.is(o, "nx")) {
        flags |= NX;
      } else if (Args.is(o, "xx")) {
        flags |= XX;
      } else if (Args.is(o, "gt")) {
        flags |= GT;
      } else if (Args.is(o, "lt")) {
        flags |= LT;
      } else {
        // the writer blanks CR/LF
        c.error(String.format(Errors.EXPIRE_UNSUPPORTED_OPTION, Numbers.ascii(o)));
        return;
      }
    }
    if ((flags & NX) != 0 && (flags & (XX | GT | LT)) != 0) {
      c.error(Errors.EXPIRE_NX_AND_OTHERS);
      return;
    }
    if ((flags & GT) != 0 && (flags & LT) != 0) {
      c.error(Errors.EXPIRE_GT_AND_LT);
      return;
    }
    Long parsed = Numbers.toLong(argv[2]);
    if (parsed == null) {
      c.error(Errors.NOT_INTEGER);
      return;
    }
    long when = parsed;
    String invalid = String.format(Errors.INVALID_EXPIRE, name);
    if (seconds) {
      if (when > Long.MAX_VALUE / 1000 || when < Long.MIN_VALUE / 1000) {
        c.error(invalid);
        return;
      }
      when *= 1000;
    }
    long now = c.shard.now();
    long base = relative ? now : 0;
    if (when > Long.MAX_VALUE - base) {
      c.error(invalid);
      return;
    }
    when += base;
    Db db = c.db();
    Dict.Node<Object> n = db.node(argv[1]);
    if (n == null) {
      c.out.integer(0);
      return;
    }
    c.shard.access(n); // a write lookup counts as an access, as in Redis
    if (flags != 0) {
      long current = n.expireAt == 0 ? -1 : n.expireAt;
      if ((flags & NX) != 0 && current != -1) {
        c.out.integer(0);
        return;
      }
      if ((flags & XX) != 0 && current == -1) {
        c.out.integer(0);
        return;
      }
      if ((flags & GT) != 0 && (current == -1 || when <= current)) {
        c.out.integer(0);
        return;
      }
      if ((flags & LT) != 0 && current != -1 && when >= current) {
        c.out.integer(0);
        return;
      }
    }
    // While the AOF is replayed a time already past is kept (the key goes after the load), as
    // the commands after this one in the file found the key alive.
    if (when <= now && !c.shard.replaying) {
      db.delete(argv[1]);
      c.shard.effects.rewrite(db.id, Effects.DEL, argv[1]);
      db.notify(Notify.GENERIC, "del", argv[1]);
    } else {
      db.setExpire(argv[1], when);
      c.shard.effects.rewrite(db.id, Effects.PEXPIREAT, argv[1], Effects.num(when));
      db.notify(Notify.GENERIC, "expire", argv[1]);
    }
    c.shard.dirty++;
    c.out.integer(1);
  }

  /** TTL, PTTL, EXPIRETIME, PEXPIRETIME. */
  static void ttl(Client c, byte[][] argv, boolean millis, boolean absolute) {
    Dict.Node<Object> node = c.db().readNode(argv[1]);
    long at = node == null ? -2 : node.expireAt;
    if (at == -2) {
      c.out.integer(-2);
      return;
    }
    if (at == 0) {
      c.out.integer(-1);
      return;
    }
    long t = absolute ? at : at - c.shard.now();
    if (t < 0) {
      t = 0;
    }
    c.out.integer(millis ? t : (t + 500) / 1000);
  }

  static void persist(Client c, byte[][] argv) {
    c.db().get(argv[1]); // a write lookup counts as an access, as in Redis
    if (c.db().persist(argv[1])) {
      c.shard.dirty++;
      c.db().notify(Notify.GENERIC, "persist", argv[1]);
      c.out.integer(1);
    } else {
      c.out.integer(0);
    }
  }

  // ---- OBJECT ----

  private static Dict.Node<Object> objectLookup(Client c, byte[] key) {
    Dict.Node<Object> n = c.db().node(key);
    if (n == null) {
      c.out.nullBulk();
    }
    return n;
  }

  private static boolean lfuPolicy(Client c) {
    return c.kiln.config().getString("maxmemory-policy").endsWith("-lfu");
  }

  static void objectEncoding(Client c, byte[][] argv) {
    Dict.Node<Object> n = objectLookup(c, argv[2]);
    if (n != null) {
      c.out.bulk(encodingName(n.value));
    }
  }

  static void objectRefcount(Client c, byte[][] argv) {
    Dict.Node<Object> n = objectLookup(c, argv[2]);
    if (n != null) {
      c.out.integer(isSharedInteger(c, n.value) ? Integer.MAX_VALUE : 1);
    }
  }

  /**
   * Whether Redis would hold this value as one of its shared integer objects (which report
   * refcount INT_MAX): a canonical integer in 0..9999, unless maxmemory is set with an LRU/LFU
   * policy (sharing would defeat per-key access tracking).
   */
  private static boolean isSharedInteger(Client c, Object v) {
    if (!(v instanceof byte[] b) || b.length > 20) {
      return false;
    }
    Long l = Numbers.toLong(b);
    if (l == null || l < 0 || l >= SHARED_INTEGERS) {
      return false;
    }
    String policy = c.kiln.config().getString("maxmemory-policy");
    boolean tracking = policy.endsWith("-lru") || policy.endsWith("-lfu");
    return c.kiln.config().getLong("maxmemory") == 0 || !tracking;
  }

  static void objectIdletime(Client c, byte[][] argv) {
    Dict.Node<Object> n = objectLookup(c, argv[2]);
    if (n == null) {
      return;
    }
    if (lfuPolicy(c)) {
      c.error(Errors.LFU_SELECTED);
      return;
    }
    c.out.integer(Math.max(0, c.shard.lruClock() - n.lru));
  }

  static void objectFreq(Client c, byte[][] argv) {
    Dict.Node<Object> n = objectLookup(c, argv[2]);
    if (n == null) {
      return;
    }
    if (!lfuPolicy(c)) {
      c.error(Errors.LFU_NOT_SELECTED);
      return;
    }
    c.out.integer(io.kiln.keyspace.Lfu.decayed(n.lru, c.shard.lfuDecayTime));
  }

  private static final String[] OBJECT_HELP = {
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
  };

  static void objectHelp(Client c, byte[][] argv) {
    c.out.array(OBJECT_HELP.length);
    for (String line : OBJECT_HELP) {
      c.out.simple(line);
    }
  }
}
