package io.kiln.types;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.rdb.RdbValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** SetValue's intset and hashtable encodings on their own. */
class SetValueTest {
  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  static List<String> members(SetValue s) {
    List<String> out = new ArrayList<>();
    s.forEach(m -> out.add(new String(m, StandardCharsets.ISO_8859_1)));
    return out;
  }

  @Test
  void intsetStaysSortedAcrossWidthUpgrades() {
    SetValue s = new SetValue();
    long[] values = {5, -3, 40000, Long.MIN_VALUE, 7, -70000, 5_000_000_000L, Long.MAX_VALUE,
        Short.MIN_VALUE, Integer.MAX_VALUE, 0};
    for (long v : values) {
      assertThat(s.add(b(Long.toString(v)), 512)).isTrue();
    }
    assertThat(s.add(b("7"), 512)).isFalse();
    assertThat(s.encoding()).isEqualTo("intset");
    List<String> expected = new ArrayList<>();
    java.util.Arrays.stream(values).sorted().forEach(v -> expected.add(Long.toString(v)));
    assertThat(members(s)).isEqualTo(expected);
    for (long v : values) {
      assertThat(s.contains(b(Long.toString(v)))).isTrue();
    }
    assertThat(s.contains(b("6"))).isFalse();
    assertThat(s.contains(b("07"))).as("not canonical").isFalse();
  }

  @Test
  void randomAddsAndRemovesMatchATreeSet() {
    SplittableRandom rnd = new SplittableRandom(42);
    SetValue s = new SetValue();
    TreeSet<Long> model = new TreeSet<>();
    for (int i = 0; i < 5000; i++) {
      long v = switch (rnd.nextInt(3)) {
        case 0 -> rnd.nextInt(100) - 50;
        case 1 -> rnd.nextInt(200_000) - 100_000;
        default -> rnd.nextLong() >> rnd.nextInt(40);
      };
      if (rnd.nextBoolean()) {
        assertThat(s.add(b(Long.toString(v)), 100_000)).isEqualTo(model.add(v));
      } else {
        assertThat(s.remove(b(Long.toString(v)))).isEqualTo(model.remove(v));
      }
      assertThat(s.size()).isEqualTo(model.size());
    }
    List<String> expected = new ArrayList<>();
    model.forEach(v -> expected.add(Long.toString(v)));
    assertThat(members(s)).isEqualTo(expected);
  }

  @Test
  void nonIntegersAndSizeConvertToHashtable() {
    SetValue s = SetValue.forFirst(b("1"));
    assertThat(s.encoding()).isEqualTo("intset");
    s.add(b("1"), 512);
    s.add(b("x"), 512);
    assertThat(s.encoding()).isEqualTo("hashtable");
    assertThat(new TreeSet<>(members(s))).containsExactly("1", "x");
    assertThat(SetValue.forFirst(b("a")).encoding()).isEqualTo("hashtable");
    assertThat(SetValue.forFirst(b("01")).encoding()).isEqualTo("hashtable");
    SetValue big = new SetValue();
    for (int i = 0; i < 4; i++) {
      big.add(b(Integer.toString(i)), 4);
    }
    assertThat(big.encoding()).isEqualTo("intset");
    big.add(b("4"), 4);
    assertThat(big.encoding()).isEqualTo("hashtable");
    assertThat(big.size()).isEqualTo(5);
  }

  @Test
  void randomMemberIsAMember() {
    SetValue s = new SetValue();
    for (int i = 0; i < 10; i++) {
      s.add(b(Integer.toString(i * 3)), 512);
    }
    SplittableRandom rnd = new SplittableRandom(1);
    for (int i = 0; i < 100; i++) {
      assertThat(s.contains(s.random(rnd))).isTrue();
    }
  }

  @Test
  void rdbFormsRoundTrip() {
    List<byte[]> ms = List.of(b("3"), b("-1"), b("100000"), b("3"));
    SetValue s = SetValue.fromRdb(new RdbValue.SetValue(ms), 512);
    assertThat(s.encoding()).isEqualTo("intset");
    assertThat(members(s)).containsExactly("-1", "3", "100000");
    SetValue t = SetValue.fromRdb(new RdbValue.SetValue(List.of(b("a"), b("1"))), 512);
    assertThat(t.encoding()).isEqualTo("hashtable");
    assertThat(SetValue.fromRdb(new RdbValue.SetValue(ms), 2).encoding()).isEqualTo("hashtable");
    RdbValue.SetValue back = (RdbValue.SetValue) s.toRdb();
    assertThat(back.members()).hasSize(3);
    SetValue copy = s.deepCopy();
    copy.remove(b("3"));
    assertThat(s.size()).isEqualTo(3);
  }
}
