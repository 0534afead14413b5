package io.kiln.types;

import io.kiln.keyspace.Footprint;
import io.kiln.rdb.RdbValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A list, stored the way Redis's quicklist stores it: a sequence of packed nodes, each one byte
 * array holding up to list-max-listpack-size worth of entries (by default 8 KB). An entry is a
 * length header, the element's bytes and the same length mirrored after them, so a node is
 * walked from either end (a listpack's backlen). A node keeps free room at both ends, so pushes
 * and pops at either end of the list cost no copying in the common case.
 *
 * <p>Memory: a small list is one object, a one-slot node array and one node with a single byte
 * array of about (element bytes + 2) per element, comparable with Redis's listpack.
 * list-compress-depth is accepted by the configuration and ignored (nodes are never compressed).
 *
 * <p>Redis 7.0 reports every list as "quicklist" (the listpack encoding of small lists came in
 * 7.2), so {@link #encoding} does too.
 *
 * <p>Owned by the event loop of the shard holding it; not thread-safe.
 */
public final class ListValue implements RedisValue {
  /** Node sizes for list-max-listpack-size -1..-5. */
  private static final int[] FILL_BYTES = {4096, 8192, 16384, 32768, 65536};
  /** Redis's SIZE_SAFETY_LIMIT: a node bounded by count is also bounded by this many bytes. */
  private static final int SIZE_SAFETY_LIMIT = 8192;

  /** Nodes in a ring: node i is ring[(first + i) % ring.length]. */
  private Node[] ring;
  private int first;
  private int nodes;
  private long size;
  /** list-max-listpack-size when the list was created (Redis keeps it in the quicklist too). */
  private final int fill;

  /** One packed node: entries live in data[start, end). */
  static final class Node {
    byte[] data;
    int start;
    int end;
    int count;
    /** Holds one element at or over the packed threshold (Redis's plain node): takes no other. */
    boolean plain;

    Node(int capacity, int start) {
      data = new byte[capacity];
      this.start = start;
      this.end = start;
    }

    int bytes() {
      return end - start;
    }
  }

  public ListValue(int fill) {
    this.fill = fill;
    this.ring = new Node[1];
  }

  @Override
  public String typeName() {
    return "list";
  }

  @Override
  public String encoding() {
    return "quicklist";
  }

  public long size() {
    return size;
  }

  @Override
  public long freeEffort() {
    return nodes;
  }

  @Override
  public boolean isEmpty() {
    return size == 0;
  }

  // ---- entry encoding ----

  static int headerSize(int len) {
    return len < 0x80 ? 1 : len < 0x4000 ? 2 : 5;
  }

  static int entrySize(int len) {
    return len + 2 * headerSize(len);
  }

  /** Writes an entry at {@code pos}; returns the position after it. */
  static int writeEntry(byte[] d, int pos, byte[] v) {
    int len = v.length;
    int h = headerSize(len);
    writeHeader(d, pos, len, h);
    System.arraycopy(v, 0, d, pos + h, len);
    int back = pos + h + len;
    // The mirrored trailer: its last byte is the header's first byte.
    switch (h) {
      case 1 -> d[back] = (byte) len;
      case 2 -> {
        d[back] = (byte) len;
        d[back + 1] = (byte) (0x80 | (len >>> 8));
      }
      default -> {
        d[back] = (byte) len;
        d[back + 1] = (byte) (len >>> 8);
        d[back + 2] = (byte) (len >>> 16);
        d[back + 3] = (byte) (len >>> 24);
        d[back + 4] = (byte) 0xC0;
      }
    }
    return back + h;
  }

  private static void writeHeader(byte[] d, int pos, int len, int h) {
    switch (h) {
      case 1 -> d[pos] = (byte) len;
      case 2 -> {
        d[pos] = (byte) (0x80 | (len >>> 8));
        d[pos + 1] = (byte) len;
      }
      default -> {
        d[pos] = (byte) 0xC0;
        d[pos + 1] = (byte) (len >>> 24);
        d[pos + 2] = (byte) (len >>> 16);
        d[pos + 3] = (byte) (len >>> 8);
        d[pos + 4] = (byte) len;
      }
    }
  }

  /** Length of the entry starting at {@code pos}. */
  static int lenAt(byte[] d, int pos) {
    int b0 = d[pos] & 0xFF;
    if (b0 < 0x80) {
      return b0;
    }
    if (b0 < 0xC0) {
      return (b0 & 0x3F) << 8 | (d[pos + 1] & 0xFF);
    }
    return (d[pos + 1] & 0xFF) << 24 | (d[pos + 2] & 0xFF) << 16 | (d[pos + 3] & 0xFF) << 8
        | (d[pos + 4] & 0xFF);
  }

  /** Length of the entry ending just before {@code end}. */
  static int lenBefore(byte[] d, int end) {
    int b0 = d[end - 1] & 0xFF;
    if (b0 < 0x80) {
      return b0;
    }
    if (b0 < 0xC0) {
      return (b0 & 0x3F) << 8 | (d[end - 2] & 0xFF);
    }
    return (d[end - 2] & 0xFF) << 24 | (d[end - 3] & 0xFF) << 16 | (d[end - 4] & 0xFF) << 8
        | (d[end - 5] & 0xFF);
  }

  /** Start of the entry ending just before {@code end}. */
  static int entryStartBefore(byte[] d, int end) {
    return end - entrySize(lenBefore(d, end));
  }

  static byte[] valueAt(byte[] d, int pos) {
    int len = lenAt(d, pos);
    int h = headerSize(len);
    return Arrays.copyOfRange(d, pos + h, pos + h + len);
  }

  static boolean equalsAt(byte[] d, int pos, byte[] v) {
    int len = lenAt(d, pos);
    if (len != v.length) {
      return false;
    }
    int h = headerSize(len);
    return Arrays.equals(d, pos + h, pos + h + len, v, 0, len);
  }

  // ---- nodes ----

  private Node node(int i) {
    return ring[(first + i) % ring.length];
  }

  private void growRing() {
    Node[] bigger = new Node[Math.max(2, ring.length * 2)];
    for (int i = 0; i < nodes; i++) {
      bigger[i] = node(i);
    }
    ring = bigger;
    first = 0;
  }

  private void insertNode(int at, Node n) {
    if (nodes == ring.length) {
      growRing();
    }
    if (at == 0) {
      first = (first - 1 + ring.length) % ring.length;
      ring[first] = n;
    } else {
      for (int i = nodes; i > at; i--) {
        ring[(first + i) % ring.length] = node(i - 1);
      }
      ring[(first + at) % ring.length] = n;
    }
    nodes++;
  }

  private void removeNode(int at) {
    if (at == 0) {
      ring[first] = null;
      first = (first + 1) % ring.length;
    } else {
      for (int i = at; i < nodes - 1; i++) {
        ring[(first + i) % ring.length] = node(i + 1);
      }
      ring[(first + nodes - 1) % ring.length] = null;
    }
    nodes--;
    if (nodes == 0) {
      first = 0;
    }
  }

  /** Redis's packed_threshold: an element this large gets a node of its own (a "plain" node). */
  private static volatile long packedThreshold = 1L << 30;

  /**
   * DEBUG QUICKLIST-PACKED-THRESHOLD: 0 restores the default of 1 GB; false (nothing set) for
   * a size at or near 4 GB, as Redis refuses. Any event loop; read by every list's pushes.
   */
  public static boolean setPackedThreshold(long size) {
    if (size > (1L << 32) - (1 << 20)) {
      return false;
    }
    packedThreshold = size == 0 ? 1L << 30 : size;
    return true;
  }

  /**
   * True when a node may take one more entry of {@code add} bytes, an element of {@code len}
   * (Redis's fill rules).
   */
  private boolean allows(Node n, int add, int len) {
    if (len >= packedThreshold || n.plain) {
      return false; // a large element is alone in its node, and its node takes no other
    }
    long newBytes = (long) n.bytes() + add;
    if (fill >= 0) {
      return n.count < Math.max(1, fill) && newBytes <= SIZE_SAFETY_LIMIT;
    }
    int idx = Math.min(-fill, FILL_BYTES.length) - 1;
    return newBytes <= FILL_BYTES[idx];
  }

  /** Room for {@code need} more bytes at the end of a node. */
  private static void ensureTail(Node n, int need) {
    if (n.data.length - n.end >= need) {
      return;
    }
    int used = n.bytes();
    int cap = used + need;
    cap += Math.min(cap >>> 2, 2048);
    byte[] d = new byte[cap];
    System.arraycopy(n.data, n.start, d, 0, used);
    n.data = d;
    n.start = 0;
    n.end = used;
  }

  /** Room for {@code need} more bytes at the start of a node. */
  private static void ensureHead(Node n, int need) {
    if (n.start >= need) {
      return;
    }
    int used = n.bytes();
    int cap = used + need;
    int extra = Math.min(cap >>> 2, 2048);
    byte[] d = new byte[cap + extra];
    int newStart = need + extra;
    System.arraycopy(n.data, n.start, d, newStart, used);
    n.data = d;
    n.start = newStart;
    n.end = newStart + used;
  }

  // ---- end operations ----

  public void pushTail(byte[] v) {
    int es = entrySize(v.length);
    Node n = nodes == 0 ? null : node(nodes - 1);
    if (n == null || !allows(n, es, v.length)) {
      n = new Node(es, 0);
      n.plain = v.length >= packedThreshold;
      insertNode(nodes, n);
    }
    ensureTail(n, es);
    n.end = writeEntry(n.data, n.end, v);
    n.count++;
    size++;
  }

  public void pushHead(byte[] v) {
    int es = entrySize(v.length);
    Node n = nodes == 0 ? null : node(0);
    if (n == null || !allows(n, es, v.length)) {
      n = new Node(es, es);
      n.plain = v.length >= packedThreshold;
      insertNode(0, n);
    }
    ensureHead(n, es);
    n.start -= es;
    writeEntry(n.data, n.start, v);
    n.count++;
    size++;
  }

  public void push(byte[] v, boolean head) {
    if (head) {
      pushHead(v);
    } else {
      pushTail(v);
    }
  }

  /** Removes and returns the head; null when empty. */
  public byte[] popHead() {
    if (size == 0) {
      return null;
    }
    Node n = node(0);
    byte[] v = valueAt(n.data, n.start);
    n.start += entrySize(v.length);
    n.count--;
    size--;
    if (n.count == 0) {
      removeNode(0);
    } else {
      maybeShrink(n);
    }
    return v;
  }

  /** Removes and returns the tail; null when empty. */
  public byte[] popTail() {
    if (size == 0) {
      return null;
    }
    Node n = node(nodes - 1);
    int s = entryStartBefore(n.data, n.end);
    byte[] v = valueAt(n.data, s);
    n.end = s;
    n.count--;
    size--;
    if (n.count == 0) {
      removeNode(nodes - 1);
    } else {
      maybeShrink(n);
    }
    return v;
  }

  public byte[] pop(boolean head) {
    return head ? popHead() : popTail();
  }

  /** Gives back memory when a node's array is mostly empty. */
  private static void maybeShrink(Node n) {
    int used = n.bytes();
    if (n.data.length > 256 && used < n.data.length / 4) {
      n.data = Arrays.copyOfRange(n.data, n.start, n.end);
      n.start = 0;
      n.end = used;
    }
  }

  // ---- positional access ----

  /** A position: node index and byte offset of an entry in it. */
  private long locate(long index) {
    // Walk from the nearer end, as quicklist does.
    if (index < size / 2) {
      long acc = 0;
      for (int i = 0; i < nodes; i++) {
        Node n = node(i);
        if (index < acc + n.count) {
          int pos = n.start;
          for (long k = acc; k < index; k++) {
            pos += entrySize(lenAt(n.data, pos));
          }
          return (long) i << 32 | pos;
        }
        acc += n.count;
      }
    } else {
      long acc = size;
      for (int i = nodes - 1; i >= 0; i--) {
        Node n = node(i);
        acc -= n.count;
        if (index >= acc) {
          int pos = n.end;
          for (long k = acc + n.count; k > index; k--) {
            pos = entryStartBefore(n.data, pos);
          }
          return (long) i << 32 | pos;
        }
      }
    }
    throw new IndexOutOfBoundsException(Long.toString(index));
  }

  /** The element at a 0-based index in [0, size). */
  public byte[] get(long index) {
    long loc = locate(index);
    return valueAt(node((int) (loc >>> 32)).data, (int) loc);
  }

  /** Replaces the element at a 0-based index in [0, size). */
  public void set(long index, byte[] v) {
    long loc = locate(index);
    int ni = (int) (loc >>> 32);
    Node n = node(ni);
    int pos = (int) loc;
    int oldSize = entrySize(lenAt(n.data, pos));
    int newSize = entrySize(v.length);
    if (oldSize == newSize) {
      writeEntry(n.data, pos, v);
      return;
    }
    List<byte[]> entries = decode(n);
    int k = 0;
    for (int p = n.start; p != pos; p += entrySize(lenAt(n.data, p))) {
      k++;
    }
    entries.set(k, v);
    replaceNode(ni, entries);
  }

  /** Every element of a node, in order. */
  private static List<byte[]> decode(Node n) {
    List<byte[]> out = new ArrayList<>(n.count);
    for (int p = n.start; p < n.end; ) {
      byte[] v = valueAt(n.data, p);
      out.add(v);
      p += entrySize(v.length);
    }
    return out;
  }

  /** Replaces node {@code ni} by nodes packed from {@code entries} (splitting when too big). */
  private void replaceNode(int ni, List<byte[]> entries) {
    removeNode(ni);
    int at = ni;
    Node cur = null;
    for (byte[] v : entries) {
      int es = entrySize(v.length);
      if (cur == null || !allows(cur, es, v.length)) {
        cur = new Node(es, 0);
        cur.plain = v.length >= packedThreshold;
        insertNode(at++, cur);
      }
      ensureTail(cur, es);
      cur.end = writeEntry(cur.data, cur.end, v);
      cur.count++;
    }
  }

  /** Visits the elements with indexes in [from, to] (0-based, in range), head to tail. */
  public void forRange(long from, long to, java.util.function.Consumer<byte[]> visitor) {
    if (from > to) {
      return;
    }
    long loc = locate(from);
    int ni = (int) (loc >>> 32);
    int pos = (int) loc;
    long left = to - from + 1;
    while (left > 0) {
      Node n = node(ni);
      while (pos < n.end && left > 0) {
        int len = lenAt(n.data, pos);
        int h = headerSize(len);
        visitor.accept(Arrays.copyOfRange(n.data, pos + h, pos + h + len));
        pos += len + 2 * h;
        left--;
      }
      ni++;
      if (ni < nodes) {
        pos = node(ni).start;
      }
    }
  }

  /**
   * LPOS's search: visits indexes of elements equal to {@code v}, from the head when
   * {@code forward}, else from the tail, looking at no more than {@code maxlen} elements
   * (0: all); the visitor returns false to stop.
   */
  public void find(byte[] v, boolean forward, long maxlen,
      java.util.function.LongPredicate visitor) {
    long seen = 0;
    if (forward) {
      long idx = 0;
      for (int i = 0; i < nodes; i++) {
        Node n = node(i);
        for (int p = n.start; p < n.end; p += entrySize(lenAt(n.data, p))) {
          if (maxlen != 0 && seen++ >= maxlen) {
            return;
          }
          if (equalsAt(n.data, p, v) && !visitor.test(idx)) {
            return;
          }
          idx++;
        }
      }
    } else {
      long idx = size - 1;
      for (int i = nodes - 1; i >= 0; i--) {
        Node n = node(i);
        for (int p = n.end; p > n.start; ) {
          p = entryStartBefore(n.data, p);
          if (maxlen != 0 && seen++ >= maxlen) {
            return;
          }
          if (equalsAt(n.data, p, v) && !visitor.test(idx)) {
            return;
          }
          idx--;
        }
      }
    }
  }

  /**
   * LINSERT: inserts {@code v} before or after the first element equal to {@code pivot} (from
   * the head); false when the pivot is absent.
   */
  public boolean insert(byte[] pivot, byte[] v, boolean after) {
    for (int i = 0; i < nodes; i++) {
      Node n = node(i);
      int k = 0;
      for (int p = n.start; p < n.end; p += entrySize(lenAt(n.data, p)), k++) {
        if (equalsAt(n.data, p, pivot)) {
          List<byte[]> entries = decode(n);
          entries.add(after ? k + 1 : k, v);
          replaceNode(i, entries);
          size++;
          return true;
        }
      }
    }
    return false;
  }

  /**
   * LREM: removes up to |count| elements equal to {@code v} (from the head when count > 0, from
   * the tail when < 0, all when 0); returns how many were removed.
   */
  public long remove(byte[] v, long count) {
    // LLONG_MIN stays negative when Redis negates it: no limit then.
    long limit = count == 0 || count == Long.MIN_VALUE ? Long.MAX_VALUE : Math.abs(count);
    long removed = 0;
    if (count >= 0) {
      for (int i = 0; i < nodes && removed < limit; ) {
        Node n = node(i);
        List<byte[]> kept = null;
        int k = 0;
        for (int p = n.start; p < n.end; p += entrySize(lenAt(n.data, p)), k++) {
          if (removed < limit && equalsAt(n.data, p, v)) {
            if (kept == null) {
              kept = decode(n).subList(0, k);
              kept = new ArrayList<>(kept);
            }
            removed++;
          } else if (kept != null) {
            kept.add(valueAt(n.data, p));
          }
        }
        i = rebuilt(i, kept);
      }
    } else {
      for (int i = nodes - 1; i >= 0 && removed < limit; i--) {
        Node n = node(i);
        List<byte[]> entries = decode(n);
        boolean changed = false;
        for (int k = entries.size() - 1; k >= 0 && removed < limit; k--) {
          if (Arrays.equals(entries.get(k), v)) {
            entries.remove(k);
            removed++;
            changed = true;
          }
        }
        if (changed) {
          rebuilt(i, entries);
        }
      }
    }
    size -= removed;
    return removed;
  }

  /** Replaces node i by {@code kept} (null: unchanged); returns the index of the next node. */
  private int rebuilt(int i, List<byte[]> kept) {
    if (kept == null) {
      return i + 1;
    }
    if (kept.isEmpty()) {
      removeNode(i);
      return i;
    }
    int before = nodes;
    replaceNode(i, kept);
    return i + 1 + (nodes - before);
  }

  /** LTRIM: removes {@code head} elements from the head and {@code tail} from the tail. */
  public void trim(long head, long tail) {
    if (head + tail >= size) {
      ring = new Node[1];
      first = 0;
      nodes = 0;
      size = 0;
      return;
    }
    while (head > 0) {
      Node n = node(0);
      if (n.count <= head) {
        head -= n.count;
        size -= n.count;
        removeNode(0);
        continue;
      }
      for (; head > 0; head--) {
        n.start += entrySize(lenAt(n.data, n.start));
        n.count--;
        size--;
      }
      maybeShrink(n);
    }
    while (tail > 0) {
      Node n = node(nodes - 1);
      if (n.count <= tail) {
        tail -= n.count;
        size -= n.count;
        removeNode(nodes - 1);
        continue;
      }
      for (; tail > 0; tail--) {
        n.end = entryStartBefore(n.data, n.end);
        n.count--;
        size--;
      }
      maybeShrink(n);
    }
  }

  /** Every element, head first. */
  public List<byte[]> toList() {
    List<byte[]> out = new ArrayList<>((int) Math.min(size, 1 << 20));
    for (int i = 0; i < nodes; i++) {
      out.addAll(decode(node(i)));
    }
    return out;
  }

  /** Number of nodes (tests, DEBUG). */
  public int nodeCount() {
    return nodes;
  }

  @Override
  public long memoryUsage(int samples) {
    // Redis's quicklist: its struct, then per node a quicklistNode and a listpack (a 7-byte
    // frame around entries laid out much as here), estimated from the first nodes
    long sum = 0;
    int seen = 0;
    for (; seen < nodes && (samples <= 0 || seen < samples); seen++) {
      sum += 40 + Footprint.alloc(ring[(first + seen) % ring.length].bytes() + 7L);
    }
    return Footprint.OBJECT + 40 + Footprint.scaled(sum, seen, nodes);
  }

  @Override
  public ListValue deepCopy() {
    ListValue c = new ListValue(fill);
    c.ring = new Node[ring.length];
    for (int i = 0; i < nodes; i++) {
      Node n = node(i);
      Node m = new Node(0, 0);
      m.data = Arrays.copyOfRange(n.data, n.start, n.end);
      m.start = 0;
      m.end = m.data.length;
      m.count = n.count;
      m.plain = n.plain;
      c.ring[i] = m;
    }
    c.nodes = nodes;
    c.size = size;
    return c;
  }

  /** Packed nodes copy as arrays: cheaper than one array per element, whatever the length. */
  @Override
  public Object capture() {
    return deepCopy();
  }

  @Override
  public RdbValue toRdb() {
    return new RdbValue.ListValue(toList());
  }

  /** A list of the RDB form's elements, packed with {@code fill}. */
  public static ListValue fromRdb(RdbValue.ListValue v, int fill) {
    ListValue l = new ListValue(fill);
    for (byte[] e : v.elements()) {
      l.pushTail(e);
    }
    return l;
  }
}
