package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Notify;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import io.kiln.types.GrowableString;
import java.util.Arrays;

/**
 * The bitmap family: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO. Bitmaps are
 * plain string values, bit 0 being the most significant bit of byte 0. Writes build a new array
 * (values are never changed in place). Event loop.
 */
public final class BitmapCommands {
  private BitmapCommands() {}

  static void register(CommandTable t) {
    t.add("setbit", 4, "write denyoom", 1, 1, 1, BitmapCommands::setbit);
    t.add("getbit", 3, "readonly fast", 1, 1, 1, BitmapCommands::getbit);
    t.add("bitcount", -2, "readonly", 1, 1, 1, BitmapCommands::bitcount);
    t.add("bitpos", -3, "readonly", 1, 1, 1, BitmapCommands::bitpos);
    t.add("bitop", -4, "write denyoom", 2, -1, 1, BitmapCommands::bitop);
    t.add("bitfield", -2, "write denyoom", 1, 1, 1, (c, a) -> Bitfield.run(c, a, false));
    t.add("bitfield_ro", -2, "readonly fast", 1, 1, 1, (c, a) -> Bitfield.run(c, a, true));
  }

  /** Sentinel for "an error was replied" from {@link #bitOffset}. */
  static final long BAD_OFFSET = -1;

  /**
   * A bit offset argument: a non-negative integer whose byte lies within proto-max-bulk-len;
   * with {@code bits > 0} also "#n", meaning n * bits. {@link #BAD_OFFSET} after an error.
   */
  static long bitOffset(Client c, byte[] arg, int bits) {
    boolean hash = bits > 0 && arg.length > 0 && arg[0] == '#';
    Long v = Numbers.toLong(hash ? Arrays.copyOfRange(arg, 1, arg.length) : arg);
    if (v == null) {
      c.error(Errors.BIT_OFFSET);
      return BAD_OFFSET;
    }
    long off = v;
    if (hash) {
      off *= bits; // wraps like Redis's; a wrapped result is negative or out of range
    }
    if (off < 0 || (off >> 3) >= StringCommands.maxStringLength(c)) {
      c.error(Errors.BIT_OFFSET);
      return BAD_OFFSET;
    }
    return off;
  }

  /**
   * The string at {@code key} grown (zero padded) to hold bit {@code maxBit}, created if absent;
   * the node is returned with its value already replaced by the grown copy (or, for a long one, a
   * {@link GrowableString} grown in place, to write into with its own methods). Null after a
   * WRONGTYPE error. {@code grown[0]} tells whether the key was created or lengthened.
   */
  static Dict.Node<Object> stringForBitWrite(Client c, byte[] key, long maxBit, boolean[] grown) {
    int need = (int) ((maxBit >> 3) + 1);
    Db db = c.db();
    Dict.Node<Object> n = db.node(key);
    if (n == null) {
      db.set(key, new byte[need], false);
      grown[0] = true;
      return db.node(key);
    }
    if (!Strs.isString(n.value)) {
      c.error(Errors.WRONGTYPE);
      return null;
    }
    int oldLen = Strs.length(n.value);
    grown[0] = oldLen < need;
    int newLen = Math.max(oldLen, need);
    if (Strs.writeInPlace(n.value, newLen)) {
      Strs.growable(db, n).growTo(newLen);
    } else {
      db.replace(n, Arrays.copyOf((byte[]) n.value, newLen));
    }
    return n;
  }

  static void setbit(Client c, byte[][] argv) {
    long off = bitOffset(c, argv[2], 0);
    if (off == BAD_OFFSET) {
      return;
    }
    Long on = Numbers.toLong(argv[3]);
    if (on == null || (on & ~1L) != 0) {
      c.error(Errors.BIT_VALUE);
      return;
    }
    Db db = c.db();
    Dict.Node<Object> n = db.node(argv[1]);
    if (n != null && !Strs.isString(n.value)) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    int byteIdx = (int) (off >> 3);
    int mask = 1 << (7 - (int) (off & 7));
    Object old = n == null ? null : n.value;
    int oldLen = Strs.length(old);
    int oldByte = old != null && byteIdx < oldLen ? Strs.byteAt(old, byteIdx) : 0;
    int oldBit = oldByte & mask;
    boolean grows = old == null || byteIdx >= oldLen;
    if (grows || (oldBit != 0) != (on == 1)) {
      byte nb = (byte) (on == 1 ? oldByte | mask : oldByte & ~mask);
      if (n != null && Strs.writeInPlace(old, Math.max(oldLen, byteIdx + 1))) {
        Strs.growable(db, n).setByte(byteIdx, nb); // in place: no copy of the string
      } else {
        byte[] nv = Arrays.copyOf(old == null ? new byte[0] : (byte[]) old,
            Math.max(oldLen, byteIdx + 1));
        nv[byteIdx] = nb;
        if (n == null) {
          db.set(argv[1], nv, false);
        } else {
          db.replace(n, nv);
        }
      }
      c.shard.dirty++;
      db.notify(Notify.STRING, "setbit", argv[1]);
    }
    c.out.integer(oldBit != 0 ? 1 : 0);
  }

  static void getbit(Client c, byte[][] argv) {
    long off = bitOffset(c, argv[2], 0);
    if (off == BAD_OFFSET) {
      return;
    }
    Object v = c.db().get(argv[1]);
    if (Args.notString(v)) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    long byteIdx = off >> 3;
    int bit = 0;
    if (v != null && byteIdx < Strs.length(v)) {
      bit = (Strs.byteAt(v, (int) byteIdx) >> (7 - (int) (off & 7))) & 1;
    }
    c.out.integer(bit);
  }

  /**
   * Resolves a start/end range over a string of {@code len} bytes (or bits when {@code isBit})
   * the way BITCOUNT and BITPOS do: negatives from the end, clamped into the string. Returns
   * {start, end} in the same unit; start &gt; end means empty.
   */
  private static long[] clampRange(long start, long end, long len) {
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
    return new long[] {start, end};
  }

  static void bitcount(Client c, byte[][] argv) {
    Object v = c.db().get(argv[1]);
    if (v == null) {
      c.out.integer(0);
      return;
    }
    if (!Strs.isString(v)) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    int slen = Strs.length(v);
    long startBit;
    long endBit;
    if (argv.length == 4 || argv.length == 5) {
      Long st = Numbers.toLong(argv[2]);
      Long en = st == null ? null : Numbers.toLong(argv[3]);
      if (en == null) {
        c.error(Errors.NOT_INTEGER);
        return;
      }
      if (st < 0 && en < 0 && st > en) {
        c.out.integer(0);
        return;
      }
      boolean isBit = false;
      if (argv.length == 5) {
        if (Args.is(argv[4], "bit")) {
          isBit = true;
        } else if (!Args.is(argv[4], "byte")) {
          c.error(Errors.SYNTAX);
          return;
        }
      }
      long[] r = clampRange(st, en, isBit ? (long) slen << 3 : slen);
      if (r[0] > r[1]) {
        c.out.integer(0);
        return;
      }
      startBit = isBit ? r[0] : r[0] << 3;
      endBit = isBit ? r[1] : (r[1] << 3) + 7;
    } else if (argv.length == 2) {
      if (slen == 0) {
        c.out.integer(0);
        return;
      }
      startBit = 0;
      endBit = ((long) slen << 3) - 1;
    } else {
      c.error(Errors.SYNTAX);
      return;
    }
    c.out.integer(countBits(v, startBit, endBit));
  }

  /** Bits per chunk of a {@link GrowableString}, as a shift. */
  private static final int CHUNK_BITS = GrowableString.CHUNK_SHIFT + 3;

  /** Number of set bits in bits [from, to] (inclusive) of a string, chunk by chunk if grown. */
  private static long countBits(Object v, long from, long to) {
    if (v instanceof byte[] s) {
      return countBits(s, from, to);
    }
    GrowableString g = (GrowableString) v;
    long count = 0;
    for (int k = (int) (from >>> CHUNK_BITS); k <= (int) (to >>> CHUNK_BITS); k++) {
      long base = (long) k << CHUNK_BITS;
      long hi = Math.min(to, base + ((long) g.chunkLength(k) << 3) - 1);
      count += countBits(g.chunk(k), Math.max(from, base) - base, hi - base);
    }
    return count;
  }

  /** First position in bits [from, to] of a string holding {@code bit}, or -1. */
  private static long findBit(Object v, long from, long to, int bit) {
    if (v instanceof byte[] s) {
      return findBit(s, from, to, bit);
    }
    GrowableString g = (GrowableString) v;
    for (int k = (int) (from >>> CHUNK_BITS); k <= (int) (to >>> CHUNK_BITS); k++) {
      long base = (long) k << CHUNK_BITS;
      long hi = Math.min(to, base + ((long) g.chunkLength(k) << 3) - 1);
      long p = findBit(g.chunk(k), Math.max(from, base) - base, hi - base, bit);
      if (p >= 0) {
        return base + p;
      }
    }
    return -1;
  }

  /** Number of set bits in bits [from, to] (inclusive) of {@code s}. */
  private static long countBits(byte[] s, long from, long to) {
    int fb = (int) (from >> 3);
    int tb = (int) (to >> 3);
    int firstMask = 0xFF >> (from & 7);
    int lastMask = (0xFF << (7 - (to & 7))) & 0xFF;
    if (fb == tb) {
      return Integer.bitCount(s[fb] & firstMask & lastMask);
    }
    long count = Integer.bitCount(s[fb] & firstMask) + Integer.bitCount(s[tb] & lastMask);
    int i = fb + 1;
    for (; i + 8 <= tb; i += 8) {
      long w = 0;
      for (int k = 0; k < 8; k++) {
        w = (w << 8) | (s[i + k] & 0xFF);
      }
      count += Long.bitCount(w);
    }
    for (; i < tb; i++) {
      count += Integer.bitCount(s[i] & 0xFF);
    }
    return count;
  }

  static void bitpos(Client c, byte[][] argv) {
    Long bitArg = Numbers.toLong(argv[2]);
    if (bitArg == null) {
      c.error(Errors.NOT_INTEGER);
      return;
    }
    if (bitArg != 0 && bitArg != 1) {
      c.error(Errors.BITPOS_BIT);
      return;
    }
    int bit = (int) (long) bitArg;
    Object v = c.db().get(argv[1]);
    if (v == null) {
      c.out.integer(bit == 1 ? -1 : 0);
      return;
    }
    if (!Strs.isString(v)) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    int slen = Strs.length(v);
    boolean endGiven = false;
    long startBit;
    long endBit;
    if (argv.length >= 4 && argv.length <= 6) {
      Long st = Numbers.toLong(argv[3]);
      if (st == null) {
        c.error(Errors.NOT_INTEGER);
        return;
      }
      boolean isBit = false;
      if (argv.length == 6) {
        if (Args.is(argv[5], "bit")) {
          isBit = true;
        } else if (!Args.is(argv[5], "byte")) {
          c.error(Errors.SYNTAX);
          return;
        }
      }
      long len = isBit ? (long) slen << 3 : slen;
      long en;
      if (argv.length >= 5) {
        Long e = Numbers.toLong(argv[4]);
        if (e == null) {
          c.error(Errors.NOT_INTEGER);
          return;
        }
        en = e;
        endGiven = true;
      } else {
        en = len - 1;
      }
      long[] r = clampRange(st, en, len);
      if (r[0] > r[1]) {
        c.out.integer(-1);
        return;
      }
      startBit = isBit ? r[0] : r[0] << 3;
      endBit = isBit ? r[1] : (r[1] << 3) + 7;
    } else if (argv.length == 3) {
      if (slen == 0) {
        c.out.integer(-1);
        return;
      }
      startBit = 0;
      endBit = ((long) slen << 3) - 1;
    } else {
      c.error(Errors.SYNTAX);
      return;
    }
    long pos = findBit(v, startBit, endBit, bit);
    if (pos < 0) {
      // Looking for a clear bit with no end given: the string continues with zeros.
      pos = bit == 0 && !endGiven ? endBit + 1 : -1;
    }
    c.out.integer(pos);
  }

  /** First position in bits [from, to] of {@code s} holding {@code bit}, or -1. */
  private static long findBit(byte[] s, long from, long to, int bit) {
    int skip = bit == 1 ? 0 : 0xFF; // a byte that cannot contain the bit
    long p = from;
    while (p <= to) {
      int b = s[(int) (p >> 3)] & 0xFF;
      if ((p & 7) == 0 && p + 7 <= to && b == skip) {
        p += 8;
        continue;
      }
      if (((b >> (7 - (p & 7))) & 1) == bit) {
        return p;
      }
      p++;
    }
    return -1;
  }

  static void bitop(Client c, byte[][] argv) {
    byte[] opArg = argv[1];
    int op;
    if (Args.is(opArg, "and")) {
      op = 0;
    } else if (Args.is(opArg, "or")) {
      op = 1;
    } else if (Args.is(opArg, "xor")) {
      op = 2;
    } else if (Args.is(opArg, "not")) {
      op = 3;
    } else {
      c.error(Errors.SYNTAX);
      return;
    }
    if (op == 3 && argv.length != 4) {
      c.error(Errors.BITOP_NOT_SOURCES);
      return;
    }
    Db db = c.db();
    int n = argv.length - 3;
    byte[][] src = new byte[n][];
    int maxLen = 0;
    for (int i = 0; i < n; i++) {
      Object v = db.get(argv[i + 3]);
      if (Args.notString(v)) {
        c.error(Errors.WRONGTYPE);
        return;
      }
      src[i] = v == null ? new byte[0] : Strs.bytes(v);
      maxLen = Math.max(maxLen, src[i].length);
    }
    byte[] dest = argv[2];
    if (maxLen == 0) {
      if (db.delete(dest)) {
        c.shard.dirty++;
        db.notify(Notify.GENERIC, "del", dest);
      }
      c.out.integer(0);
      return;
    }
    byte[] res = new byte[maxLen];
    for (int j = 0; j < maxLen; j++) {
      int out = j < src[0].length ? src[0][j] & 0xFF : 0;
      if (op == 3) {
        out = ~out & 0xFF;
      }
      for (int i = 1; i < n; i++) {
        int b = j < src[i].length ? src[i][j] & 0xFF : 0;
        switch (op) {
          case 0 -> out &= b;
          case 1 -> out |= b;
          default -> out ^= b;
        }
      }
      res[j] = (byte) out;
    }
    db.set(dest, res, false);
    c.shard.dirty++;
    db.notify(Notify.STRING, "set", dest);
    c.out.integer(maxLen);
  }
}
