package io.kiln.types;

import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Footprint;
import io.kiln.rdb.RdbValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A sorted set, in one of Redis's two encodings:
 * <ul>
 *   <li>"listpack": small sets live in ONE exactly-sized byte array of entries sorted by (score,
 *       member), each {@code varint(len) member score}; a score that is an integer of less than
 *       52 bits is a zig-zag varint shifted left once (even), any other score is the byte 1 then
 *       the 8 bytes of the double. Every operation is a linear scan, as in Redis's listpack.
 *       Like Redis (which stores the score as text) -0 becomes 0 here.</li>
 *   <li>"skiplist": a {@link ZSkipList} (skip list with spans plus a member dict).</li>
 * </ul>
 * Conversion is one-way, when an element count or member length passes
 * zset-max-listpack-entries / zset-max-listpack-value.
 *
 * <p>Every read and range operation is expressed by rank: a score or lex bound becomes a rank
 * through {@link #countWhile}, in O(log n) for the skip list.
 *
 * <p>Owned by the event loop of the shard holding it; not thread-safe.
 */
public final class ZSetValue implements RedisValue {
  // ZADD input flags
  public static final int IN_INCR = 1;
  public static final int IN_NX = 2;
  public static final int IN_XX = 4;
  public static final int IN_GT = 8;
  public static final int IN_LT = 16;
  // add() results
  public static final int OUT_NOP = 1;
  public static final int OUT_NAN = 2;
  public static final int OUT_ADDED = 4;
  public static final int OUT_UPDATED = 8;

  /** Receives one element: the member is {@code buf[off..off+len)}. */
  public interface Visitor {
    void visit(byte[] buf, int off, int len, double score);
  }

  /** A test over elements that holds for a prefix of the order (see {@link #countWhile}). */
  public interface Pred extends ZSkipList.Pred {}

  private static final byte[] EMPTY = new byte[0];

  /** The listpack encoding, or null once converted. */
  private byte[] lp;
  private int lpCount;
  private ZSkipList sl;

  /** An empty sorted set in the listpack encoding (or skiplist when {@code skiplist}). */
  public ZSetValue(boolean skiplist) {
    if (skiplist) {
      sl = new ZSkipList();
    } else {
      lp = EMPTY;
    }
  }

  @Override
  public String typeName() {
    return "zset";
  }

  @Override
  public String encoding() {
    return lp != null ? "listpack" : "skiplist";
  }

  public boolean isListpack() {
    return lp != null;
  }

  @Override
  public long freeEffort() {
    return lp != null ? 1 : size();
  }

  @Override
  public boolean isEmpty() {
    return size() == 0;
  }

  public int size() {
    return lp != null ? lpCount : sl.size();
  }

  // ---- listpack primitives ----

  private static final double INT_LIMIT = 4503599627370496.0; // 2^52

  private static boolean isSmallInt(double d) {
    return d > -INT_LIMIT && d < INT_LIMIT && d == (long) d;
  }

  private static int varintLen(long v) {
    int n = 1;
    while ((v & ~0x7FL) != 0) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  private static int putVarint(byte[] b, int pos, long v) {
    while ((v & ~0x7FL) != 0) {
      b[pos++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    b[pos++] = (byte) v;
    return pos;
  }

  private static long scoreCode(double d) {
    if (isSmallInt(d)) {
      long v = (long) d;
      return ((v << 1) ^ (v >> 63)) << 1;
    }
    return 1;
  }

  private static int entryLen(byte[] member, double score) {
    long code = scoreCode(score);
    return varintLen(member.length) + member.length + (code == 1 ? 9 : varintLen(code));
  }

  private static int putEntry(byte[] b, int pos, byte[] member, double score) {
    pos = putVarint(b, pos, member.length);
    System.arraycopy(member, 0, b, pos, member.length);
    pos += member.length;
    long code = scoreCode(score);
    pos = putVarint(b, pos, code);
    if (code == 1) {
      long bits = Double.doubleToRawLongBits(score);
      for (int i = 7; i >= 0; i--) {
        b[pos++] = (byte) (bits >>> (i * 8));
      }
    }
    return pos;
  }

  /** A reading position in the listpack: after {@link #next}, the entry's fields. */
  private static final class Cur {
    final byte[] b;
    int pos;
    int start;
    int off;
    int len;
    double score;

    Cur(byte[] b) {
      this.b = b;
    }

    private long varint() {
      long v = 0;
      int shift = 0;
      while (true) {
        byte x = b[pos++];
        v |= (long) (x & 0x7F) << shift;
        if (x >= 0) {
          return v;
        }
        shift += 7;
      }
    }

    boolean next() {
      if (pos >= b.length) {
        return false;
      }
      start = pos;
      len = (int) varint();
      off = pos;
      pos += len;
      long code = varint();
      if (code == 1) {
        long bits = 0;
        for (int i = 0; i < 8; i++) {
          bits = bits << 8 | (b[pos++] & 0xFF);
        }
        score = Double.longBitsToDouble(bits);
      } else {
        long zz = code >>> 1;
        score = (double) ((zz >>> 1) ^ -(zz & 1));
      }
      return true;
    }

    boolean memberIs(byte[] m) {
      return len == m.length && Arrays.equals(b, off, off + len, m, 0, len);
    }

    int compareTo(double s, byte[] m) {
      if (score < s) {
        return -1;
      }
      if (score > s) {
        return 1;
      }
      return Arrays.compareUnsigned(b, off, off + len, m, 0, m.length);
    }
  }

  /** The cursor positioned on {@code member}, or null. */
  private Cur lpFind(byte[] member) {
    Cur c = new Cur(lp);
    while (c.next()) {
      if (c.memberIs(member)) {
        return c;
      }
    }
    return null;
  }

  private void lpInsert(double score, byte[] member) {
    Cur c = new Cur(lp);
    int at = lp.length;
    while (c.next()) {
      if (c.compareTo(score, member) > 0) {
        at = c.start;
        break;
      }
    }
    int n = entryLen(member, score);
    byte[] b = new byte[lp.length + n];
    System.arraycopy(lp, 0, b, 0, at);
    putEntry(b, at, member, score);
    System.arraycopy(lp, at, b, at + n, lp.length - at);
    lp = b;
    lpCount++;
  }

  private void lpDelete(int from, int to, int entries) {
    byte[] b = new byte[lp.length - (to - from)];
    System.arraycopy(lp, 0, b, 0, from);
    System.arraycopy(lp, to, b, from, lp.length - to);
    lp = b;
    lpCount -= entries;
  }

  private void convert() {
    ZSkipList s = new ZSkipList();
    Cur c = new Cur(lp);
    while (c.next()) {
      s.insert(c.score, Arrays.copyOfRange(c.b, c.off, c.off + c.len));
    }
    sl = s;
    lp = null;
    lpCount = 0;
  }

  /** Converts to the skiplist encoding if the thresholds are exceeded (after bulk builds). */
  public void convertIfNeeded(long maxEntries, long maxValue) {
    if (lp != null && (lpCount > maxEntries || maxMemberLen() > maxValue)) {
      convert();
    }
  }

  private int maxMemberLen() {
    int max = 0;
    Cur c = new Cur(lp);
    while (c.next()) {
      max = Math.max(max, c.len);
    }
    return max;
  }

  // ---- element operations ----

  /** The score of {@code member}, or NaN when absent (NaN is never stored). */
  public double score(byte[] member) {
    if (lp != null) {
      Cur c = lpFind(member);
      return c == null ? Double.NaN : c.score;
    }
    Dict.Node<ZSkipList.Node> n = sl.dict.getNode(member);
    return n == null ? Double.NaN : n.value.score;
  }

  /**
   * ZADD's core: adds or updates {@code member} under the IN_* flags. Returns OUT_* flags;
   * {@code newScore[0]} receives the resulting score when not OUT_NOP. The caller keeps
   * the member array (it is stored without a copy).
   */
  public int add(double score, byte[] member, int in, double[] newScore, long maxEntries,
      long maxValue) {
    boolean incr = (in & IN_INCR) != 0;
    double cur;
    Cur lc = null;
    Dict.Node<ZSkipList.Node> dn = null;
    if (lp != null) {
      lc = lpFind(member);
      cur = lc == null ? Double.NaN : lc.score;
    } else {
      dn = sl.dict.getNode(member);
      cur = dn == null ? Double.NaN : dn.value.score;
    }
    if (!Double.isNaN(cur)) {
      if ((in & IN_NX) != 0) {
        return OUT_NOP;
      }
      if (incr) {
        score += cur;
        if (Double.isNaN(score)) {
          return OUT_NAN;
        }
      }
      if (((in & IN_LT) != 0 && score >= cur) || ((in & IN_GT) != 0 && score <= cur)) {
        return OUT_NOP;
      }
      newScore[0] = score;
      if (score == cur) {
        return 0;
      }
      if (lp != null) {
        lpDelete(lc.start, lc.pos, 1);
        lpInsert(score, member);
      } else {
        sl.updateScore(dn, score);
      }
      return OUT_UPDATED;
    }
    if ((in & IN_XX) != 0) {
      return OUT_NOP;
    }
    newScore[0] = score;
    if (lp != null && (lpCount + 1 > maxEntries || member.length > maxValue)) {
      convert();
    }
    if (lp != null) {
      lpInsert(score, member);
    } else {
      sl.insert(score, member);
    }
    return OUT_ADDED;
  }

  public boolean remove(byte[] member) {
    if (lp != null) {
      Cur c = lpFind(member);
      if (c == null) {
        return false;
      }
      lpDelete(c.start, c.pos, 1);
      return true;
    }
    boolean removed = sl.remove(member);
    if (removed) {
      sl.dict.tryShrink();
    }
    return removed;
  }

  /** 0-based ascending rank of {@code member}, or -1. */
  public long rank(byte[] member) {
    if (lp != null) {
      Cur c = new Cur(lp);
      long r = 0;
      while (c.next()) {
        if (c.memberIs(member)) {
          return r;
        }
        r++;
      }
      return -1;
    }
    return sl.rank(member);
  }

  /** How many leading elements (in ascending order) satisfy {@code p}. */
  public int countWhile(Pred p) {
    if (lp != null) {
      Cur c = new Cur(lp);
      int n = 0;
      while (c.next() && p.test(c.score, c.b, c.off, c.len)) {
        n++;
      }
      return n;
    }
    return sl.countWhile(p);
  }

  /**
   * How many elements from rank {@code start} on satisfy {@code p}, scanning from there (a
   * listpack) or by descent (a skip list; the same for any monotone test).
   */
  public int countWhileFrom(int start, Pred p) {
    if (lp != null) {
      Cur c = new Cur(lp);
      int r = 0;
      int n = 0;
      while (c.next()) {
        if (r++ < start) {
          continue;
        }
        if (!p.test(c.score, c.b, c.off, c.len)) {
          break;
        }
        n++;
      }
      return start + n;
    }
    return Math.max(start, sl.countWhile(p));
  }

  /**
   * Visits ascending ranks {@code lo..hi} (inclusive, both in range), from hi down to lo when
   * {@code rev}.
   */
  public void range(int lo, int hi, boolean rev, Visitor v) {
    if (lo > hi) {
      return;
    }
    if (lp != null) {
      Cur c = new Cur(lp);
      int r = 0;
      if (!rev) {
        while (r <= hi && c.next()) {
          if (r >= lo) {
            v.visit(c.b, c.off, c.len, c.score);
          }
          r++;
        }
        return;
      }
      int[] starts = new int[hi - lo + 1];
      while (r <= hi && c.next()) {
        if (r >= lo) {
          starts[r - lo] = c.start;
        }
        r++;
      }
      for (int i = starts.length - 1; i >= 0; i--) {
        c.pos = starts[i];
        c.next();
        v.visit(c.b, c.off, c.len, c.score);
      }
      return;
    }
    ZSkipList.Node n = sl.byRank(rev ? hi : lo);
    for (int i = hi - lo; i >= 0 && n != null; i--) {
      v.visit(n.member, 0, n.member.length, n.score);
      n = rev ? n.prev : n.next0;
    }
  }

  /** Removes ascending ranks lo..hi (inclusive, in range); returns how many. */
  public int removeRange(int lo, int hi) {
    if (lo > hi) {
      return 0;
    }
    if (lp != null) {
      Cur c = new Cur(lp);
      int r = 0;
      int from = -1;
      int to = -1;
      while (r <= hi && c.next()) {
        if (r == lo) {
          from = c.start;
        }
        to = c.pos;
        r++;
      }
      lpDelete(from, to, hi - lo + 1);
      return hi - lo + 1;
    }
    return sl.removeRange(lo, hi);
  }

  /** Every element in ascending order. */
  public void forEach(Visitor v) {
    range(0, size() - 1, false, v);
  }

  /**
   * ZSCAN: visits the elements of a few dict buckets from {@code cursor} and returns the next
   * cursor; a listpack is visited whole and the cursor is 0, as in Redis.
   */
  public long scan(long cursor, Visitor v) {
    if (lp != null) {
      forEach(v);
      return 0;
    }
    return sl.dict.scan(cursor, n -> v.visit(n.key, 0, n.key.length, n.value.score));
  }

  // ---- RedisValue ----

  @Override
  public long memoryUsage(int samples) {
    if (sl == null) {
      // Redis's listpack: a 7-byte frame, a back-length byte per member and per score
      return Footprint.packed(lp.length + 2L * lpCount + 7);
    }
    return Footprint.OBJECT + sl.memoryUsage(samples);
  }

  @Override
  public ZSetValue deepCopy() {
    ZSetValue copy = new ZSetValue(lp == null);
    if (lp != null) {
      copy.lp = lp; // never changed in place: every write allocates a new array
      copy.lpCount = lpCount;
    } else {
      forEach((b, off, len, s) -> copy.sl.insert(s, Arrays.copyOfRange(b, off, off + len)));
    }
    return copy;
  }

  @Override
  public Object capture() {
    return lp != null ? deepCopy() : toRdb();
  }

  @Override
  public RdbValue toRdb() {
    List<RdbValue.ScoredMember> es = new ArrayList<>(size());
    forEach((b, off, len, s) -> es.add(new RdbValue.ScoredMember(
        lp != null ? Arrays.copyOfRange(b, off, off + len) : b, s)));
    return new RdbValue.ZSetValue(es);
  }

  /**
   * A sorted set of {@code n} distinct members already in (score, member) order, in the
   * encoding Redis would choose for a result of that size.
   */
  public static ZSetValue fromSorted(byte[][] members, double[] scores, int n, long maxEntries,
      long maxValue) {
    boolean big = n > maxEntries;
    int bytes = 0;
    for (int i = 0; i < n && !big; i++) {
      big = members[i].length > maxValue;
      bytes += entryLen(members[i], scores[i]);
    }
    ZSetValue z = new ZSetValue(big);
    if (big) {
      for (int i = 0; i < n; i++) {
        z.sl.insert(scores[i], members[i]);
      }
      return z;
    }
    byte[] b = new byte[bytes];
    int pos = 0;
    for (int i = 0; i < n; i++) {
      pos = putEntry(b, pos, members[i], scores[i]);
    }
    z.lp = b;
    z.lpCount = n;
    return z;
  }

  /** The value an RDB entry describes, encoded as Redis would for these thresholds. */
  public static ZSetValue fromRdb(RdbValue.ZSetValue v, long maxEntries, long maxValue) {
    List<RdbValue.ScoredMember> es = v.entries();
    boolean big = es.size() > maxEntries;
    for (int i = 0; i < es.size() && !big; i++) {
      big = es.get(i).member().length > maxValue;
    }
    ZSetValue z = new ZSetValue(big);
    double[] out = new double[1];
    for (RdbValue.ScoredMember sm : es) {
      z.add(sm.score(), sm.member(), 0, out, maxEntries, maxValue);
    }
    return z;
  }
}
