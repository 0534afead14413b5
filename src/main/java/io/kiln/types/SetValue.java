package io.kiln.types;

import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Footprint;
import io.kiln.rdb.RdbValue;
import io.kiln.resp.Numbers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * A set value in Redis 7.0's two encodings. While every member is an integer (in Redis's
 * canonical decimal form) and there are at most {@code set-max-intset-entries} of them, the set
 * is an "intset": one {@code byte[]} of sorted little-endian integers of a common width of 2, 4
 * or 8 bytes, widened when a larger integer arrives; iteration is ascending. Otherwise it
 * converts once and for good to "hashtable": a {@link Dict} whose keys are the members (values
 * unused), with SCAN's guarantee.
 *
 * <p>Members handed in are kept by reference in the table encoding, so callers must not mutate
 * them afterwards. Owned by the event loop of the shard holding it; not thread-safe.
 */
public final class SetValue implements RedisValue {
  private static final byte[] EMPTY = new byte[0];

  /** The intset's integers, sorted; null once converted to a table. */
  private byte[] ints;
  /** Bytes per integer in {@link #ints}: 2, 4 or 8. */
  private byte width;
  /** The hashtable form; null while intset. */
  private Dict<Object> table;

  /** An empty set in the intset encoding (what Redis 7.0 starts SxxxSTORE results with). */
  public SetValue() {
    ints = EMPTY;
    width = 2;
  }

  /** An empty set encoded as Redis 7.0 would create it for its first member {@code first}. */
  public static SetValue forFirst(byte[] first) {
    SetValue s = new SetValue();
    if (Numbers.toLong(first) == null) {
      s.convert();
    }
    return s;
  }

  @Override
  public String typeName() {
    return "set";
  }

  @Override
  public String encoding() {
    return table == null ? "intset" : "hashtable";
  }

  public boolean isIntset() {
    return table == null;
  }

  @Override
  public long freeEffort() {
    return table == null ? 1 : size();
  }

  @Override
  public boolean isEmpty() {
    return size() == 0;
  }

  public int size() {
    return table == null ? ints.length / width : table.size();
  }

  // ---- intset primitives ----

  private static long read(byte[] b, int w, int i) {
    int p = i * w;
    long v = 0;
    for (int k = w - 1; k >= 0; k--) {
      v = v << 8 | (b[p + k] & 0xff);
    }
    // sign-extend from w bytes
    int shift = 64 - 8 * w;
    return v << shift >> shift;
  }

  private static void write(byte[] b, int w, int i, long v) {
    int p = i * w;
    for (int k = 0; k < w; k++) {
      b[p + k] = (byte) v;
      v >>= 8;
    }
  }

  private static int widthFor(long v) {
    if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
      return 2;
    }
    return v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE ? 4 : 8;
  }

  /** Index of {@code v} in the intset, or {@code -(insertion point) - 1}. */
  private int search(long v) {
    int lo = 0;
    int hi = ints.length / width - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long m = read(ints, width, mid);
      if (m < v) {
        lo = mid + 1;
      } else if (m > v) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -(lo + 1);
  }

  private static byte[] text(long v) {
    return Long.toString(v).getBytes(StandardCharsets.US_ASCII);
  }

  // ---- reads ----

  public boolean contains(byte[] member) {
    if (table != null) {
      return table.getNode(member) != null;
    }
    Long v = Numbers.toLong(member);
    return v != null && search(v) >= 0;
  }

  /** Every member; ascending for an intset. */
  public void forEach(Consumer<byte[]> action) {
    if (table != null) {
      table.forEach(n -> action.accept(n.key));
      return;
    }
    int n = size();
    for (int i = 0; i < n; i++) {
      action.accept(text(read(ints, width, i)));
    }
  }

  public List<byte[]> members() {
    List<byte[]> out = new ArrayList<>(size());
    forEach(out::add);
    return out;
  }

  /** A uniformly random member (nearly, for the table), or null when empty. */
  public byte[] random(RandomGenerator rnd) {
    if (table != null) {
      Dict.Node<Object> n = table.fairRandomNode(rnd);
      return n == null ? null : n.key;
    }
    int n = size();
    return n == 0 ? null : text(read(ints, width, rnd.nextInt(n)));
  }

  /** The table, or null while intset (SSCAN over large sets). */
  public Dict<Object> table() {
    return table;
  }

  // ---- writes ----

  /**
   * Adds {@code member}; true when it is new. A non-integer member converts an intset to a
   * table first; an intset that grows past {@code maxIntset} converts after the insert.
   */
  public boolean add(byte[] member, int maxIntset) {
    if (table == null) {
      Long parsed = Numbers.toLong(member);
      if (parsed == null) {
        convert();
      } else {
        long v = parsed;
        int pos = search(v);
        if (pos >= 0) {
          return false;
        }
        pos = -pos - 1;
        int n = size();
        int w = Math.max(width, widthFor(v));
        byte[] b = new byte[(n + 1) * w];
        if (w == width) {
          System.arraycopy(ints, 0, b, 0, pos * w);
          System.arraycopy(ints, pos * w, b, (pos + 1) * w, (n - pos) * w);
        } else {
          for (int i = 0; i < n; i++) {
            write(b, w, i < pos ? i : i + 1, read(ints, width, i));
          }
        }
        write(b, w, pos, v);
        ints = b;
        width = (byte) w;
        if (n + 1 > maxIntset) {
          convert();
        }
        return true;
      }
    }
    int before = table.size();
    table.addNodeIfAbsent(member, null);
    return table.size() != before;
  }

  /** Removes {@code member}; true when it was there. */
  public boolean remove(byte[] member) {
    if (table != null) {
      return table.removeNode(member) != null;
    }
    Long v = Numbers.toLong(member);
    if (v == null) {
      return false;
    }
    int pos = search(v);
    if (pos < 0) {
      return false;
    }
    int n = size();
    byte[] b = new byte[(n - 1) * width];
    System.arraycopy(ints, 0, b, 0, pos * width);
    System.arraycopy(ints, (pos + 1) * width, b, pos * width, (n - pos - 1) * width);
    ints = b;
    return true;
  }

  /** Converts to the table encoding (one way, as in Redis). */
  public void convert() {
    if (table != null) {
      return;
    }
    Dict<Object> t = new Dict<>();
    forEach(m -> t.addNodeIfAbsent(m, null));
    table = t;
    ints = null;
  }

  @Override
  public long memoryUsage(int samples) {
    if (table == null) {
      return Footprint.packed(8 + ints.length); // intset: encoding and length, then the integers
    }
    long[] sum = {0};
    int seen = table.visitFirst(samples,
        n -> sum[0] += Footprint.DICT_ENTRY + Footprint.sds(n.key.length));
    return Footprint.OBJECT + Footprint.dict(table.slots())
        + Footprint.scaled(sum[0], seen, table.size());
  }

  @Override
  public SetValue deepCopy() {
    SetValue s = new SetValue();
    if (table == null) {
      s.ints = ints.clone();
      s.width = width;
    } else {
      Dict<Object> t = new Dict<>();
      table.forEach(n -> t.addNodeIfAbsent(n.key, null));
      s.table = t;
      s.ints = null;
    }
    return s;
  }

  @Override
  public Object capture() {
    return table == null ? deepCopy() : toRdb();
  }

  @Override
  public RdbValue toRdb() {
    return new RdbValue.SetValue(members());
  }

  /** A set loaded from an RDB file, encoded as Redis 7.0 would after loading it. */
  public static SetValue fromRdb(RdbValue.SetValue v, int maxIntset) {
    List<byte[]> ms = v.members();
    SetValue s = new SetValue();
    boolean small = ms.size() <= maxIntset;
    long[] vals = small ? new long[ms.size()] : null;
    for (int i = 0; small && i < ms.size(); i++) {
      Long x = Numbers.toLong(ms.get(i));
      if (x == null) {
        small = false;
      } else {
        vals[i] = x;
      }
    }
    if (!small) {
      s.convert();
      for (byte[] m : ms) {
        s.table.addNodeIfAbsent(m, null);
      }
      return s;
    }
    java.util.Arrays.sort(vals);
    int w = 2;
    for (long x : vals) {
      w = Math.max(w, widthFor(x));
    }
    byte[] b = new byte[vals.length * w];
    int n = 0;
    for (int i = 0; i < vals.length; i++) {
      if (i == 0 || vals[i] != vals[i - 1]) {
        write(b, w, n++, vals[i]);
      }
    }
    s.ints = n == vals.length ? b : java.util.Arrays.copyOf(b, n * w);
    s.width = (byte) w;
    return s;
  }
}
