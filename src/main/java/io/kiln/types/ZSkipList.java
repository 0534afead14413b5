package io.kiln.types;

import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Footprint;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The "skiplist" encoding of a sorted set: a skip list ordered by (score, member bytes) whose
 * forward links carry span counts, so that rank lookups and rank ranges cost O(log n), plus a
 * {@link Dict} from member to skip-list node for O(1) score lookups and ZSCAN. The member array
 * is shared by the dict entry and the node.
 *
 * <p>Owned by the event loop of the shard holding the sorted set; not thread-safe.
 */
final class ZSkipList {
  static final int MAX_LEVEL = 32;

  /**
   * One element. Level 0's link and span are fields (three nodes in four have no other level);
   * levels 1.. live in {@code up} / {@code upSpan}, null for a single-level node. A span is the
   * number of ranks its link crosses.
   */
  static final class Node {
    final byte[] member;
    double score;
    Node prev;
    Node next0;
    int span0;
    final Node[] up;
    final int[] upSpan;

    Node(int level, double score, byte[] member) {
      this.member = member;
      this.score = score;
      this.up = level > 1 ? new Node[level - 1] : null;
      this.upSpan = level > 1 ? new int[level - 1] : null;
    }

    Node next(int i) {
      return i == 0 ? next0 : up[i - 1];
    }

    void next(int i, Node n) {
      if (i == 0) {
        next0 = n;
      } else {
        up[i - 1] = n;
      }
    }

    int span(int i) {
      return i == 0 ? span0 : upSpan[i - 1];
    }

    void span(int i, int v) {
      if (i == 0) {
        span0 = v;
      } else {
        upSpan[i - 1] = v;
      }
    }
  }

  /** Anything that says whether an element lies before a bound; monotone along the order. */
  interface Pred {
    boolean test(double score, byte[] buf, int off, int len);
  }

  final Dict<Node> dict = new Dict<>();
  private final Node header = new Node(MAX_LEVEL, 0, null);
  private int length;
  private int level = 1;

  /**
   * Redis's cost of a skiplist-encoded sorted set past its object header: the zset, skiplist and
   * dict structs, the dict's buckets, the 32-level header node, and per element (estimated from
   * the first {@code samples}, 0: all) its member's sds, its dict entry and its node.
   */
  long memoryUsage(int samples) {
    long sum = 0;
    int seen = 0;
    for (Node n = header.next0; n != null && (samples <= 0 || seen < samples); n = n.next0) {
      int level = n.up == null ? 1 : n.up.length + 1;
      sum += Footprint.sds(n.member.length) + Footprint.DICT_ENTRY
          + Footprint.alloc(24 + 16L * level);
      seen++;
    }
    return 16 + 32 + Footprint.dict(dict.slots()) + Footprint.alloc(24 + 16L * MAX_LEVEL)
        + Footprint.scaled(sum, seen, length);
  }

  int size() {
    return length;
  }

  static int compare(double s1, byte[] m1, double s2, byte[] m2) {
    if (s1 < s2) {
      return -1;
    }
    if (s1 > s2) {
      return 1;
    }
    return Arrays.compareUnsigned(m1, m2);
  }

  private static int randomLevel() {
    int lvl = 1;
    ThreadLocalRandom r = ThreadLocalRandom.current();
    while (lvl < MAX_LEVEL && (r.nextInt() & 0xFFFF) < 0x4000) {
      lvl++;
    }
    return lvl;
  }

  /** Inserts a member known to be absent. */
  Node insert(double score, byte[] member) {
    Node n = insertNode(score, member);
    dict.putNode(member, n);
    return n;
  }

  private Node insertNode(double score, byte[] member) {
    Node[] update = new Node[MAX_LEVEL];
    int[] rank = new int[MAX_LEVEL];
    Node x = header;
    for (int i = level - 1; i >= 0; i--) {
      rank[i] = i == level - 1 ? 0 : rank[i + 1];
      Node nx;
      while ((nx = x.next(i)) != null && compare(nx.score, nx.member, score, member) < 0) {
        rank[i] += x.span(i);
        x = nx;
      }
      update[i] = x;
    }
    int lvl = randomLevel();
    if (lvl > level) {
      for (int i = level; i < lvl; i++) {
        rank[i] = 0;
        update[i] = header;
        header.span(i, length);
      }
      level = lvl;
    }
    Node n = new Node(lvl, score, member);
    for (int i = 0; i < lvl; i++) {
      n.next(i, update[i].next(i));
      update[i].next(i, n);
      n.span(i, update[i].span(i) - (rank[0] - rank[i]));
      update[i].span(i, rank[0] - rank[i] + 1);
    }
    for (int i = lvl; i < level; i++) {
      update[i].span(i, update[i].span(i) + 1);
    }
    n.prev = update[0] == header ? null : update[0];
    if (n.next0 != null) {
      n.next0.prev = n;
    }
    length++;
    return n;
  }

  private void unlink(Node x, Node[] update) {
    for (int i = 0; i < level; i++) {
      if (update[i].next(i) == x) {
        update[i].span(i, update[i].span(i) + x.span(i) - 1);
        update[i].next(i, x.next(i));
      } else {
        update[i].span(i, update[i].span(i) - 1);
      }
    }
    if (x.next0 != null) {
      x.next0.prev = x.prev;
    }
    while (level > 1 && header.next(level - 1) == null) {
      level--;
    }
    length--;
  }

  private Node[] findUpdate(double score, byte[] member) {
    Node[] update = new Node[MAX_LEVEL];
    Node x = header;
    for (int i = level - 1; i >= 0; i--) {
      Node nx;
      while ((nx = x.next(i)) != null && compare(nx.score, nx.member, score, member) < 0) {
        x = nx;
      }
      update[i] = x;
    }
    return update;
  }

  /** Removes {@code member}; false if absent. */
  boolean remove(byte[] member) {
    Dict.Node<Node> dn = dict.removeNode(member);
    if (dn == null) {
      return false;
    }
    Node n = dn.value;
    Node[] update = findUpdate(n.score, n.member);
    unlink(n, update);
    return true;
  }

  /** Changes the score of an existing node, moving it if its place changes. */
  void updateScore(Dict.Node<Node> dn, double newScore) {
    Node x = dn.value;
    if ((x.prev == null || x.prev.score < newScore)
        && (x.next0 == null || x.next0.score > newScore)) {
      x.score = newScore;
      return;
    }
    Node[] update = findUpdate(x.score, x.member);
    unlink(x, update);
    dn.value = insertNode(newScore, x.member);
  }

  /** 0-based rank of a member, or -1. */
  long rank(byte[] member) {
    Dict.Node<Node> dn = dict.getNode(member);
    if (dn == null) {
      return -1;
    }
    Node t = dn.value;
    long r = 0;
    Node x = header;
    for (int i = level - 1; i >= 0; i--) {
      Node nx;
      while ((nx = x.next(i)) != null && compare(nx.score, nx.member, t.score, t.member) <= 0) {
        r += x.span(i);
        x = nx;
      }
      if (x == t) {
        return r - 1;
      }
    }
    return -1;
  }

  /** How many leading elements satisfy {@code p} (which holds for a prefix of the order). */
  int countWhile(Pred p) {
    int r = 0;
    Node x = header;
    for (int i = level - 1; i >= 0; i--) {
      Node nx;
      while ((nx = x.next(i)) != null && p.test(nx.score, nx.member, 0, nx.member.length)) {
        r += x.span(i);
        x = nx;
      }
    }
    return r;
  }

  /** The node at 0-based {@code rank} (which must be in range). */
  Node byRank(int rank) {
    int target = rank + 1;
    int traversed = 0;
    Node x = header;
    for (int i = level - 1; i >= 0; i--) {
      while (x.next(i) != null && traversed + x.span(i) <= target) {
        traversed += x.span(i);
        x = x.next(i);
      }
      if (traversed == target) {
        return x;
      }
    }
    return null;
  }

  /** Removes the elements of 0-based ranks lo..hi inclusive; returns how many. */
  int removeRange(int lo, int hi) {
    Node[] update = new Node[MAX_LEVEL];
    int traversed = 0;
    Node x = header;
    for (int i = level - 1; i >= 0; i--) {
      while (x.next(i) != null && traversed + x.span(i) <= lo) {
        traversed += x.span(i);
        x = x.next(i);
      }
      update[i] = x;
    }
    x = x.next0;
    int count = hi - lo + 1;
    int removed = 0;
    while (x != null && removed < count) {
      Node next = x.next0;
      unlink(x, update);
      dict.removeNode(x.member);
      removed++;
      x = next;
    }
    dict.tryShrink();
    return removed;
  }
}
