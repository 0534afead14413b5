package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Notify;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import io.kiln.types.HashValue;
import io.kiln.types.ListValue;
import io.kiln.types.SetValue;
import io.kiln.types.ZSetValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * SORT and SORT_RO (Redis 7.0 semantics): the elements of a list, set or sorted set, sorted
 * numerically or lexically (ALPHA), by themselves or by the values of other keys (BY pattern,
 * hash fields with {@code ->}, {@code BY nosort} keeping the native order), windowed by LIMIT,
 * projected through GET patterns and replied or stored as a list (STORE). Event loop.
 */
public final class SortCommands {
  private SortCommands() {}

  private static boolean cluster(Client c) {
    return c.kiln.config().getBool("cluster-enabled");
  }

  static void register(CommandTable t) {
    t.add("sort", -2, "write denyoom", 1, 1, 1, (c, a) -> sort(c, a, false))
        .keys(SortCommands::keyPositions);
    t.add("sort_ro", -2, "readonly", 1, 1, 1, (c, a) -> sort(c, a, true));
  }

  /**
   * SORT's keys, found as Redis's own key procedure finds them (its STORE key spec is of an
   * unknown position): the sorted key, then the argument after the last STORE, skipping the
   * arguments of LIMIT, GET and BY on the way.
   */
  static List<int[]> keyPositions(int argc, byte[][] argv, int base) {
    List<int[]> out = new ArrayList<>();
    out.add(new int[] {1, 0});
    int store = -1;
    for (int i = 2; i < argc; i++) {
      byte[] a = argv[base + i];
      if (Args.is(a, "limit")) {
        i += 2;
      } else if (Args.is(a, "get") || Args.is(a, "by")) {
        i += 1;
      } else if (Args.is(a, "store") && i + 1 < argc) {
        store = i + 1;
      }
    }
    if (store > 0) {
      out.add(new int[] {store, 2}); // the third key spec: OW,update
    }
    return out;
  }

  /** One element being sorted: the element, its numeric weight or its comparison string. */
  private static final class Item {
    final byte[] elem;
    double score;
    byte[] cmp;

    Item(byte[] elem) {
      this.elem = elem;
    }
  }

  static void sort(Client c, byte[][] argv, boolean readonly) {
    boolean desc = false;
    boolean alpha = false;
    boolean dontsort = false;
    long limitStart = 0;
    long limitCount = -1;
    byte[] by = null;
    byte[] store = null;
    List<byte[]> gets = new ArrayList<>();
    // BY and GET patterns name keys the ACL cannot see: they need read access to every key
    boolean fullKeyAccess = io.kiln.server.AclGate.fullReadAccess(c, argv);
    for (int j = 2; j < argv.length; j++) {
      int left = argv.length - j - 1;
      byte[] a = argv[j];
      if (Args.is(a, "asc")) {
        desc = false;
      } else if (Args.is(a, "desc")) {
        desc = true;
      } else if (Args.is(a, "alpha")) {
        alpha = true;
      } else if (Args.is(a, "limit") && left >= 2) {
        Long s = Numbers.toLong(argv[j + 1]);
        Long n = s == null ? null : Numbers.toLong(argv[j + 2]);
        if (n == null) {
          c.error(Errors.NOT_INTEGER);
          return;
        }
        limitStart = s;
        limitCount = n;
        j += 2;
      } else if (!readonly && Args.is(a, "store") && left >= 1) {
        store = argv[++j];
      } else if (Args.is(a, "by") && left >= 1) {
        by = argv[++j];
        if (indexOf(by, 0, (byte) '*') < 0) {
          dontsort = true;
        } else if (cluster(c)) {
          // other keys may live on other nodes
          c.error(Errors.SORT_BY_CLUSTER);
          return;
        } else if (!fullKeyAccess) {
          c.error(Errors.SORT_BY_ACL);
          return;
        }
      } else if (Args.is(a, "get") && left >= 1) {
        if (cluster(c)) {
          c.error(Errors.SORT_GET_CLUSTER);
          return;
        }
        if (!fullKeyAccess) {
          c.error(Errors.SORT_GET_ACL);
          return;
        }
        gets.add(argv[++j]);
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    Db db = c.db();
    Object v = db.get(argv[1]);
    if (v != null && !(v instanceof ListValue) && !(v instanceof SetValue)
        && !(v instanceof ZSetValue)) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    if (dontsort && v instanceof SetValue && (store != null || c.isScript())) {
      // a set has no order of its own: what is stored, or what a script sees (its effects
      // must not depend on the hash table), is sorted
      dontsort = false;
      alpha = true;
      by = null;
    }
    if (v instanceof ZSetValue z && z.isListpack()) {
      // Redis converts a compact sorted set to its skiplist encoding for SORT, for good
      db.willChange(db.node(argv[1]));
      z.convertIfNeeded(-1, -1);
    }
    long len = v == null ? 0 : v instanceof ListValue l ? l.size()
        : v instanceof SetValue s ? s.size() : ((ZSetValue) v).size();
    long start = Math.max(limitStart, 0);
    long end = limitCount < 0 ? len - 1
        : limitCount > 0 && start + limitCount - 1 < start ? Long.MAX_VALUE
        : start + limitCount - 1;
    if (start >= len) {
      start = len - 1;
      end = len - 2;
    }
    if (end >= len) {
      end = len - 1;
    }
    List<Item> items = new ArrayList<>();
    if (v == null) {
      // an absent key sorts as an empty list
    } else if (v instanceof ListValue l && dontsort) {
      if (end >= start) {
        long n = end - start + 1;
        long lo = desc ? len - start - n : start;
        List<Item> range = new ArrayList<>((int) n);
        l.forRange(lo, lo + n - 1, e -> range.add(new Item(e)));
        if (desc) {
          java.util.Collections.reverse(range);
        }
        items = range;
        end -= start;
        start = 0;
      }
    } else if (v instanceof ListValue l) {
      List<Item> all = items;
      l.forRange(0, len - 1, e -> all.add(new Item(e)));
    } else if (v instanceof SetValue s) {
      List<Item> all = items;
      s.forEach(e -> all.add(new Item(e)));
    } else if (dontsort) {
      ZSetValue z = (ZSetValue) v;
      int n = (int) (end - start + 1);
      if (n > 0) {
        int lo = desc ? (int) (len - start - n) : (int) start;
        List<Item> range = items;
        z.range(lo, lo + n - 1, desc, (b, o, l, sc) ->
            range.add(new Item(Arrays.copyOfRange(b, o, o + l))));
      }
      end -= start;
      start = 0;
    } else {
      List<Item> all = items;
      ((ZSetValue) v).forEach((b, o, l, sc) ->
          all.add(new Item(Arrays.copyOfRange(b, o, o + l))));
    }

    boolean notDouble = false;
    if (!dontsort) {
      for (Item it : items) {
        byte[] byval;
        if (by != null) {
          byval = lookup(db, by, it.elem);
          if (byval == null) {
            continue;
          }
        } else {
          byval = it.elem;
        }
        if (alpha) {
          if (by != null) {
            it.cmp = byval;
          }
        } else {
          Double d = strtod(byval);
          if (d == null) {
            notDouble = true;
          } else {
            it.score = d;
          }
        }
      }
      if (!notDouble) {
        items.sort(comparator(alpha, by != null, store != null, desc));
      }
    }

    long span = end - start + 1;
    long outputLen = gets.isEmpty() ? span : gets.size() * span;
    if (notDouble) {
      c.error(Errors.SORT_NOT_DOUBLE);
      return;
    }
    if (store == null) {
      c.out.array(outputLen);
      for (long j = start; j <= end; j++) {
        Item it = items.get((int) j);
        if (gets.isEmpty()) {
          c.out.bulk(it.elem);
        }
        for (byte[] g : gets) {
          byte[] val = lookup(db, g, it.elem);
          if (val == null) {
            c.out.nullBulk();
          } else {
            c.out.bulk(val);
          }
        }
      }
      return;
    }
    ListValue out = new ListValue(c.kiln.config().getInt("list-max-listpack-size"));
    for (long j = start; j <= end; j++) {
      Item it = items.get((int) j);
      if (gets.isEmpty()) {
        out.pushTail(it.elem);
      }
      for (byte[] g : gets) {
        byte[] val = lookup(db, g, it.elem);
        out.pushTail(val == null ? new byte[0] : val);
      }
    }
    if (outputLen > 0) {
      db.set(store, out, false);
      db.notify(Notify.LIST, "sortstore", store);
      c.shard.dirty += outputLen;
    } else if (db.delete(store)) {
      db.notify(Notify.GENERIC, "del", store);
      c.shard.dirty++;
    }
    c.out.integer(outputLen);
  }

  /** Redis's sortCompare: numeric with ties by element, or lexical; reversed for DESC. */
  private static Comparator<Item> comparator(boolean alpha, boolean byPattern, boolean storing,
      boolean desc) {
    Comparator<Item> cmp;
    if (!alpha) {
      cmp = (a, b) -> {
        if (a.score > b.score) {
          return 1;
        }
        if (a.score < b.score) {
          return -1;
        }
        return Arrays.compareUnsigned(a.elem, b.elem);
      };
    } else if (byPattern) {
      cmp = (a, b) -> {
        if (a.cmp == null || b.cmp == null) {
          return a.cmp == b.cmp ? 0 : a.cmp == null ? -1 : 1;
        }
        return storing ? Arrays.compareUnsigned(a.cmp, b.cmp) : collate(a.cmp, b.cmp);
      };
    } else {
      cmp = (a, b) -> storing ? Arrays.compareUnsigned(a.elem, b.elem) : collate(a.elem, b.elem);
    }
    return desc ? cmp.reversed() : cmp;
  }

  /**
   * strcoll as Redis calls it on C strings, in the C / C.UTF-8 collation: unsigned bytes up to
   * the first NUL.
   */
  private static int collate(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, 0, cstrlen(a), b, 0, cstrlen(b));
  }

  private static int cstrlen(byte[] s) {
    int i = indexOf(s, 0, (byte) 0);
    return i < 0 ? s.length : i;
  }

  /** Index of {@code b} in the C string {@code s} (up to its first NUL) from {@code from}. */
  private static int indexOf(byte[] s, int from, byte b) {
    for (int i = from; i < s.length; i++) {
      if (s[i] == b) {
        return i;
      }
      if (s[i] == 0) {
        return -1;
      }
    }
    return -1;
  }

  /**
   * The weight of an element as SORT reads it (C strtod up to the first NUL, no trailing
   * characters, leading white space allowed, an empty string is 0); null when it is not a
   * double (NaN, out of range, garbage).
   */
  static Double strtod(byte[] s) {
    int n = cstrlen(s);
    if (n == 0) {
      return 0.0;
    }
    int i = 0;
    while (i < n && isSpace(s[i])) {
      i++;
    }
    if (i == n) {
      return null;
    }
    Double d = Numbers.toDouble(Arrays.copyOfRange(s, i, n));
    if (d == null || (d != 0 && Math.abs(d) < Double.MIN_NORMAL)) {
      return null;
    }
    return d;
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == 0x0b || b == '\f' || b == '\r';
  }

  /**
   * Redis's lookupKeyByPattern: "#" is the element itself; otherwise the first '*' of the
   * pattern is replaced by the element and the resulting key read as a string, or, with
   * "->field" after the '*', as a field of a hash. Null when there is no such value.
   */
  static byte[] lookup(Db db, byte[] pattern, byte[] subst) {
    if (pattern.length > 0 && pattern[0] == '#' && (pattern.length == 1 || pattern[1] == 0)) {
      return subst;
    }
    int p = indexOf(pattern, 0, (byte) '*');
    if (p < 0) {
      return null;
    }
    int fieldLen = 0;
    int f = arrow(pattern, p + 1);
    byte[] field = null;
    if (f >= 0 && f + 2 < pattern.length && pattern[f + 2] != 0) {
      fieldLen = pattern.length - f - 2;
      field = Arrays.copyOfRange(pattern, f + 2, pattern.length);
    }
    int postfix = pattern.length - (p + 1) - (field != null ? fieldLen + 2 : 0);
    byte[] key = new byte[p + subst.length + postfix];
    System.arraycopy(pattern, 0, key, 0, p);
    System.arraycopy(subst, 0, key, p, subst.length);
    System.arraycopy(pattern, p + 1, key, p + subst.length, postfix);
    Object o = db.get(key);
    if (o == null) {
      return null;
    }
    if (field != null) {
      return o instanceof HashValue h ? h.get(field) : null;
    }
    return Strs.bytes(o);
  }

  /** strstr(s + from, "->") on the C string: the index of the arrow, or -1. */
  private static int arrow(byte[] s, int from) {
    for (int i = from; i + 1 < s.length; i++) {
      if (s[i] == 0) {
        return -1;
      }
      if (s[i] == '-' && s[i + 1] == '>') {
        return i;
      }
    }
    return -1;
  }
}
