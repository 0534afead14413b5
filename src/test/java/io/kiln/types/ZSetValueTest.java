package io.kiln.types;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.rdb.RdbValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** ZSetValue against a plain sorted-list model, in both encodings and across conversion. */
class ZSetValueTest {
  private record E(String m, double s) {}

  private static int cmp(E a, E b) {
    if (a.s < b.s) {
      return -1;
    }
    if (a.s > b.s) {
      return 1;
    }
    return Arrays.compareUnsigned(a.m.getBytes(StandardCharsets.ISO_8859_1),
        b.m.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static List<E> model(Map<String, Double> m) {
    List<E> out = new ArrayList<>();
    m.forEach((k, v) -> out.add(new E(k, v)));
    out.sort(ZSetValueTest::cmp);
    return out;
  }

  private static List<E> contents(ZSetValue z, int lo, int hi, boolean rev) {
    List<E> out = new ArrayList<>();
    z.range(lo, hi, rev, (b, o, l, s) ->
        out.add(new E(new String(b, o, l, StandardCharsets.ISO_8859_1), s)));
    return out;
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** maxEntries: Long.MAX_VALUE keeps a listpack, 0 starts as skiplist, 16 converts midway. */
  @ParameterizedTest
  @ValueSource(longs = {Long.MAX_VALUE, 0, 16})
  void randomOperationsMatchTheModel(long maxEntries) {
    Random rnd = new Random(42 + maxEntries);
    ZSetValue z = new ZSetValue(maxEntries == 0);
    Map<String, Double> m = new HashMap<>();
    double[] out = new double[1];
    double[] scores = {-1e300, -2.5, -0.0, 0, 1, 1, 2, 3.25, 1e20, 0.1,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 4503599627370495.0, 123456789};
    for (int step = 0; step < 20_000; step++) {
      String member = "m" + rnd.nextInt(60) + (rnd.nextInt(10) == 0 ? "x".repeat(20) : "");
      int op = rnd.nextInt(10);
      if (op < 5) {
        double s = scores[rnd.nextInt(scores.length)];
        int r = z.add(s, b(member), 0, out, maxEntries, 64);
        Double old = m.put(member, s);
        assertThat(r).isEqualTo(old == null ? ZSetValue.OUT_ADDED
            : old == s ? 0 : ZSetValue.OUT_UPDATED);
        if (old != null && old == s) {
          m.put(member, old); // an equal score (0 vs -0) is not an update
        }
      } else if (op < 7) {
        assertThat(z.remove(b(member))).isEqualTo(m.remove(member) != null);
      } else if (op < 8 && z.size() > 0) {
        int lo = rnd.nextInt(z.size());
        int hi = Math.min(z.size() - 1, lo + rnd.nextInt(4));
        List<E> expected = model(m);
        assertThat(z.removeRange(lo, hi)).isEqualTo(hi - lo + 1);
        for (E e : expected.subList(lo, hi + 1)) {
          m.remove(e.m);
        }
      } else {
        List<E> expected = model(m);
        int rank = -1;
        for (int i = 0; i < expected.size(); i++) {
          if (expected.get(i).m.equals(member)) {
            rank = i;
          }
        }
        assertThat(z.rank(b(member))).isEqualTo(rank);
        double bound = scores[rnd.nextInt(scores.length)];
        long below = expected.stream().filter(e -> e.s < bound).count();
        assertThat(z.countWhile((s, bb, o, l) -> s < bound)).isEqualTo((int) below);
        Double sc = m.get(member);
        double got = z.score(b(member));
        if (sc == null) {
          assertThat(got).isNaN();
        } else {
          assertThat(got == sc).as(got + " == " + sc).isTrue(); // a listpack stores -0 as 0
        }
      }
      assertThat(z.size()).isEqualTo(m.size());
      if (step % 500 == 0 || step == 19_999) {
        List<E> expected = model(m);
        assertThat(contents(z, 0, z.size() - 1, false)).usingElementComparator(
            ZSetValueTest::cmp).containsExactlyElementsOf(expected);
        List<E> reversed = new ArrayList<>(expected);
        java.util.Collections.reverse(reversed);
        assertThat(contents(z, 0, z.size() - 1, true)).usingElementComparator(
            ZSetValueTest::cmp).containsExactlyElementsOf(reversed);
      }
    }
    if (maxEntries == 16) {
      assertThat(z.encoding()).isEqualTo("skiplist");
    } else {
      assertThat(z.encoding()).isEqualTo(maxEntries == 0 ? "skiplist" : "listpack");
    }
  }

  @Test
  void conversionHappensOnceEntriesOrValueLengthExceedTheLimits() {
    double[] out = new double[1];
    ZSetValue z = new ZSetValue(false);
    for (int i = 0; i < 3; i++) {
      z.add(i, b("m" + i), 0, out, 3, 64);
    }
    assertThat(z.encoding()).isEqualTo("listpack");
    z.add(9, b("m9"), 0, out, 3, 64);
    assertThat(z.encoding()).isEqualTo("skiplist");
    z.remove(b("m9"));
    z.remove(b("m1"));
    assertThat(z.encoding()).isEqualTo("skiplist"); // one-way
    ZSetValue w = new ZSetValue(false);
    w.add(1, b("x".repeat(64)), 0, out, 128, 64);
    assertThat(w.encoding()).isEqualTo("listpack");
    w.add(1, b("y".repeat(65)), 0, out, 128, 64);
    assertThat(w.encoding()).isEqualTo("skiplist");
  }

  @Test
  void listpackTurnsNegativeZeroIntoZeroAsRedisDoesButSkiplistKeepsIt() {
    double[] out = new double[1];
    ZSetValue lp = new ZSetValue(false);
    lp.add(-0.0, b("a"), 0, out, 128, 64);
    assertThat(1 / lp.score(b("a"))).isPositive();
    ZSetValue sl = new ZSetValue(true);
    sl.add(-0.0, b("a"), 0, out, 128, 64);
    assertThat(1 / sl.score(b("a"))).isNegative();
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void deepCopyIsIndependentAndRdbRoundTripKeepsContent(boolean skiplist) {
    double[] out = new double[1];
    ZSetValue z = new ZSetValue(skiplist);
    for (int i = 0; i < 50; i++) {
      z.add(i * 0.5, b("member" + i), 0, out, 128, 64);
    }
    ZSetValue copy = z.deepCopy();
    z.remove(b("member3"));
    z.add(1000, b("member4"), 0, out, 128, 64);
    assertThat(copy.size()).isEqualTo(50);
    assertThat(copy.score(b("member4"))).isEqualTo(2.0);
    assertThat(copy.encoding()).isEqualTo(z.encoding());
    RdbValue.ZSetValue rdb = (RdbValue.ZSetValue) copy.toRdb();
    assertThat(rdb.entries()).hasSize(50);
    ZSetValue back = ZSetValue.fromRdb(rdb, 128, 64);
    assertThat(back.encoding()).isEqualTo("listpack");
    assertThat(contents(back, 0, 49, false)).usingElementComparator(ZSetValueTest::cmp)
        .containsExactlyElementsOf(contents(copy, 0, 49, false));
    assertThat(ZSetValue.fromRdb(rdb, 10, 64).encoding()).isEqualTo("skiplist");
  }

  @Test
  void skiplistRankQueriesOnALargeSetAreExact() {
    double[] out = new double[1];
    ZSetValue z = new ZSetValue(true);
    int n = 200_000;
    for (int i = n - 1; i >= 0; i--) {
      z.add(i, b("k" + i), 0, out, 128, 64);
    }
    for (int i = 0; i < n; i += 997) {
      assertThat(z.rank(b("k" + i))).isEqualTo(i);
      int bound = i;
      assertThat(z.countWhile((s, bb, o, l) -> s < bound)).isEqualTo(i);
      List<E> one = contents(z, i, i, false);
      assertThat(one).containsExactly(new E("k" + i, i));
    }
    assertThat(z.removeRange(1000, 1999)).isEqualTo(1000);
    assertThat(z.size()).isEqualTo(n - 1000);
    assertThat(z.rank(b("k2000"))).isEqualTo(1000);
    assertThat(Double.isNaN(z.score(b("k1500")))).isTrue();
  }
}
