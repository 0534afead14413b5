package io.kiln.types;

import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Footprint;
import io.kiln.rdb.RdbValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * A hash value in one of Redis's two encodings. Small hashes are "listpack": one {@code byte[]}
 * holding field, value, field, value... each entry prefixed by its length as an unsigned LEB128
 * varint, searched linearly, new fields appended at the end (so iteration is insertion order, as
 * in Redis's listpack). When a hash grows past {@code hash-max-listpack-entries} fields, or a
 * field or value longer than {@code hash-max-listpack-value} bytes is stored, it converts once
 * and for good to "hashtable": a {@link Dict} from field to value (with SCAN's guarantee).
 *
 * <p>Fields and values handed in are kept by reference when the table encoding is used, so
 * callers must not mutate them afterwards. Owned by the event loop of the shard holding it; not
 * thread-safe.
 */
public final class HashValue implements RedisValue {
  private static final byte[] EMPTY = new byte[0];

  /** The listpack form; null once converted to a table. */
  private byte[] lp;
  /** Fields held in {@link #lp}. */
  private int count;
  /** The hashtable form; null while listpack. */
  private Dict<byte[]> table;

  public HashValue() {
    this.lp = EMPTY;
  }

  private HashValue(byte[] lp, int count, Dict<byte[]> table) {
    this.lp = lp;
    this.count = count;
    this.table = table;
  }

  @Override
  public String typeName() {
    return "hash";
  }

  @Override
  public String encoding() {
    return table == null ? "listpack" : "hashtable";
  }

  public boolean isListpack() {
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
    return table == null ? count : table.size();
  }

  // ---- varint-prefixed entries ----

  private static int varLen(int n) {
    return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
  }

  private static int putVar(byte[] b, int pos, int n) {
    while (n >= 0x80) {
      b[pos++] = (byte) (n | 0x80);
      n >>>= 7;
    }
    b[pos++] = (byte) n;
    return pos;
  }

  /** Reads the varint at {@code pos}: returns {@code length << 32 | positionAfterPrefix}. */
  private static long getVar(byte[] b, int pos) {
    int n = 0;
    int shift = 0;
    while (true) {
      int x = b[pos++];
      n |= (x & 0x7f) << shift;
      if (x >= 0) {
        return (long) n << 32 | pos;
      }
      shift += 7;
    }
  }

  /** Offset of the entry for {@code field} in the listpack, or -1. */
  private int find(byte[] field) {
    byte[] b = lp;
    int pos = 0;
    while (pos < b.length) {
      long v = getVar(b, pos);
      int len = (int) (v >>> 32);
      int start = (int) v;
      if (len == field.length
          && Arrays.equals(b, start, start + len, field, 0, len)) {
        return pos;
      }
      pos = skip(b, start + len); // skip the value
    }
    return -1;
  }

  /** Position after the entry starting at {@code pos}. */
  private static int skip(byte[] b, int pos) {
    long v = getVar(b, pos);
    return (int) v + (int) (v >>> 32);
  }

  private static byte[] entryAt(byte[] b, int pos) {
    long v = getVar(b, pos);
    int start = (int) v;
    return Arrays.copyOfRange(b, start, start + (int) (v >>> 32));
  }

  // ---- reads ----

  /** The value of {@code field}, or null. */
  public byte[] get(byte[] field) {
    if (table != null) {
      return table.get(field);
    }
    int p = find(field);
    return p < 0 ? null : entryAt(lp, skip(lp, p));
  }

  public boolean contains(byte[] field) {
    return table != null ? table.getNode(field) != null : find(field) >= 0;
  }

  /** Every field and value, in the encoding's order. */
  public void forEach(BiConsumer<byte[], byte[]> action) {
    if (table != null) {
      table.forEach(n -> action.accept(n.key, n.value));
      return;
    }
    byte[] b = lp;
    int pos = 0;
    while (pos < b.length) {
      int vpos = skip(b, pos);
      int next = skip(b, vpos);
      action.accept(entryAt(b, pos), entryAt(b, vpos));
      pos = next;
    }
  }

  /** Fields and values as parallel arrays (listpack order); for random picks on small hashes. */
  public byte[][][] entries() {
    int n = size();
    byte[][] fs = new byte[n][];
    byte[][] vs = new byte[n][];
    int[] i = {0};
    forEach((f, v) -> {
      fs[i[0]] = f;
      vs[i[0]] = v;
      i[0]++;
    });
    return new byte[][][] {fs, vs};
  }

  /** The table, or null while listpack (random picks and SCAN over large hashes). */
  public Dict<byte[]> table() {
    return table;
  }

  // ---- writes ----

  /**
   * Sets {@code field} to {@code value}; true when the field is new. Converts to a table first
   * when the value or field is too long for the listpack, and after the insert when the hash has
   * more than {@code maxEntries} fields.
   */
  public boolean put(byte[] field, byte[] value, int maxEntries, int maxValue) {
    if (table == null && (field.length > maxValue || value.length > maxValue)) {
      convert();
    }
    if (table != null) {
      int before = table.size();
      table.putNode(field, value);
      return table.size() != before;
    }
    int p = find(field);
    if (p >= 0) {
      int vpos = skip(lp, p);
      int end = skip(lp, vpos);
      int newLen = varLen(value.length) + value.length;
      byte[] b = new byte[lp.length - (end - vpos) + newLen];
      System.arraycopy(lp, 0, b, 0, vpos);
      int w = putVar(b, vpos, value.length);
      System.arraycopy(value, 0, b, w, value.length);
      System.arraycopy(lp, end, b, w + value.length, lp.length - end);
      lp = b;
      return false;
    }
    int add = varLen(field.length) + field.length + varLen(value.length) + value.length;
    byte[] b = Arrays.copyOf(lp, lp.length + add);
    int w = putVar(b, lp.length, field.length);
    System.arraycopy(field, 0, b, w, field.length);
    w = putVar(b, w + field.length, value.length);
    System.arraycopy(value, 0, b, w, value.length);
    lp = b;
    count++;
    if (count > maxEntries) {
      convert();
    }
    return true;
  }

  /** Removes {@code field}; true when it was there. */
  public boolean remove(byte[] field) {
    if (table != null) {
      return table.removeNode(field) != null;
    }
    int p = find(field);
    if (p < 0) {
      return false;
    }
    int end = skip(lp, skip(lp, p));
    byte[] b = new byte[lp.length - (end - p)];
    System.arraycopy(lp, 0, b, 0, p);
    System.arraycopy(lp, end, b, p, lp.length - end);
    lp = b;
    count--;
    return true;
  }

  /** Converts to the table encoding (one way, as in Redis). */
  public void convert() {
    if (table != null) {
      return;
    }
    Dict<byte[]> t = new Dict<>();
    forEach(t::putNode);
    table = t;
    lp = null;
    count = 0;
  }

  @Override
  public long memoryUsage(int samples) {
    if (table == null) {
      // Redis's listpack: a 7-byte frame, and a back-length byte per field and per value
      return Footprint.packed(lp.length + 2L * count + 7);
    }
    long[] sum = {0};
    int seen = table.visitFirst(samples, n -> sum[0] += Footprint.DICT_ENTRY
        + Footprint.sds(n.key.length) + Footprint.sds(n.value.length));
    return Footprint.OBJECT + Footprint.dict(table.slots())
        + Footprint.scaled(sum[0], seen, table.size());
  }

  @Override
  public HashValue deepCopy() {
    if (table == null) {
      return new HashValue(lp.clone(), count, null);
    }
    Dict<byte[]> t = new Dict<>();
    table.forEach(n -> t.putNode(n.key, n.value));
    return new HashValue(null, 0, t);
  }

  @Override
  public Object capture() {
    return table == null ? deepCopy() : toRdb();
  }

  @Override
  public RdbValue toRdb() {
    List<RdbValue.FieldValue> es = new ArrayList<>(size());
    forEach((f, v) -> es.add(new RdbValue.FieldValue(f, v)));
    return new RdbValue.HashValue(es);
  }

  /**
   * A hash loaded from an RDB file, encoded as Redis would after loading it: listpack while
   * within both limits.
   */
  public static HashValue fromRdb(RdbValue.HashValue v, int maxEntries, int maxValue) {
    List<RdbValue.FieldValue> es = v.entries();
    boolean small = es.size() <= maxEntries;
    int bytes = 0;
    for (int i = 0; small && i < es.size(); i++) {
      byte[] f = es.get(i).field();
      byte[] x = es.get(i).value();
      small = f.length <= maxValue && x.length <= maxValue;
      bytes += varLen(f.length) + f.length + varLen(x.length) + x.length;
    }
    if (!small) {
      Dict<byte[]> t = new Dict<>();
      for (RdbValue.FieldValue fv : es) {
        t.putNode(fv.field(), fv.value());
      }
      return new HashValue(null, 0, t);
    }
    // An RDB hash has no duplicate fields: pack it in one pass.
    byte[] b = new byte[bytes];
    int w = 0;
    for (RdbValue.FieldValue fv : es) {
      w = putVar(b, w, fv.field().length);
      System.arraycopy(fv.field(), 0, b, w, fv.field().length);
      w = putVar(b, w + fv.field().length, fv.value().length);
      System.arraycopy(fv.value(), 0, b, w, fv.value().length);
      w += fv.value().length;
    }
    return new HashValue(b, es.size(), null);
  }

  /** A size directive clamped to int (larger limits are unreachable anyway). */
  public static int limit(io.kiln.config.Config config, String name) {
    return (int) Math.min(Integer.MAX_VALUE, config.getLong(name));
  }
}
