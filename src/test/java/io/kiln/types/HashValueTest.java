package io.kiln.types;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.rdb.RdbValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** HashValue's two encodings on their own: lookups, updates, conversions, RDB forms. */
class HashValueTest {
  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  static String s(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  static Map<String, String> contents(HashValue h) {
    Map<String, String> m = new LinkedHashMap<>();
    h.forEach((f, v) -> m.put(s(f), s(v)));
    return m;
  }

  @Test
  void listpackKeepsInsertionOrderAndUpdatesInPlace() {
    HashValue h = new HashValue();
    assertThat(h.put(b("a"), b("1"), 128, 64)).isTrue();
    assertThat(h.put(b("b"), b("2"), 128, 64)).isTrue();
    assertThat(h.put(b("c"), b("3"), 128, 64)).isTrue();
    assertThat(h.put(b("b"), b("twenty"), 128, 64)).isFalse();
    assertThat(contents(h)).containsExactly(Map.entry("a", "1"), Map.entry("b", "twenty"),
        Map.entry("c", "3"));
    assertThat(h.encoding()).isEqualTo("listpack");
    assertThat(h.size()).isEqualTo(3);
  }

  @Test
  void entriesLongerThan127BytesUseMultiByteLengths() {
    HashValue h = new HashValue();
    String longValue = "v".repeat(20_000);
    String longField = "f".repeat(300);
    h.put(b(longField), b(longValue), 128, 1 << 20);
    h.put(b("short"), b("x"), 128, 1 << 20);
    h.put(b(""), b(""), 128, 1 << 20);
    assertThat(h.encoding()).isEqualTo("listpack");
    assertThat(s(h.get(b(longField)))).isEqualTo(longValue);
    assertThat(s(h.get(b("short")))).isEqualTo("x");
    assertThat(s(h.get(b("")))).isEmpty();
    assertThat(h.remove(b(longField))).isTrue();
    assertThat(contents(h)).containsExactly(Map.entry("short", "x"), Map.entry("", ""));
  }

  @Test
  void removeKeepsTheOthers() {
    HashValue h = new HashValue();
    for (int i = 0; i < 10; i++) {
      h.put(b("f" + i), b("v" + i), 128, 64);
    }
    assertThat(h.remove(b("f5"))).isTrue();
    assertThat(h.remove(b("f5"))).isFalse();
    assertThat(h.remove(b("v4"))).as("values are not fields").isFalse();
    assertThat(h.size()).isEqualTo(9);
    assertThat(h.get(b("f5"))).isNull();
    assertThat(s(h.get(b("f6")))).isEqualTo("v6");
  }

  @Test
  void convertsPastTheEntryLimitAndStaysConverted() {
    HashValue h = new HashValue();
    for (int i = 0; i < 4; i++) {
      h.put(b("f" + i), b("v"), 4, 64);
    }
    assertThat(h.encoding()).isEqualTo("listpack");
    h.put(b("f4"), b("v"), 4, 64);
    assertThat(h.encoding()).isEqualTo("hashtable");
    for (int i = 0; i < 5; i++) {
      h.remove(b("f" + i));
    }
    h.put(b("x"), b("y"), 4, 64);
    assertThat(h.encoding()).isEqualTo("hashtable");
    assertThat(contents(h)).containsExactly(Map.entry("x", "y"));
  }

  @Test
  void convertsOnALongFieldOrValue() {
    HashValue h = new HashValue();
    h.put(b("f"), b("12345678"), 128, 8);
    assertThat(h.encoding()).isEqualTo("listpack");
    h.put(b("g"), b("123456789"), 128, 8);
    assertThat(h.encoding()).isEqualTo("hashtable");
    assertThat(contents(h)).containsOnly(Map.entry("f", "12345678"), Map.entry("g", "123456789"));
  }

  @Test
  void deepCopyIsIndependent() {
    HashValue h = new HashValue();
    h.put(b("a"), b("1"), 128, 64);
    HashValue copy = h.deepCopy();
    copy.put(b("a"), b("2"), 128, 64);
    assertThat(s(h.get(b("a")))).isEqualTo("1");
    h.convert();
    HashValue copy2 = h.deepCopy();
    copy2.remove(b("a"));
    assertThat(h.size()).isEqualTo(1);
  }

  @Test
  void rdbRoundTripKeepsContentAndPicksTheEncoding() {
    HashValue h = new HashValue();
    for (int i = 0; i < 5; i++) {
      h.put(b("f" + i), b("v" + i), 128, 64);
    }
    RdbValue.HashValue r = (RdbValue.HashValue) h.toRdb();
    HashValue small = HashValue.fromRdb(r, 128, 64);
    assertThat(small.encoding()).isEqualTo("listpack");
    assertThat(contents(small)).isEqualTo(contents(h));
    assertThat(HashValue.fromRdb(r, 4, 64).encoding()).isEqualTo("hashtable");
    assertThat(HashValue.fromRdb(r, 128, 1).encoding()).isEqualTo("hashtable");
    assertThat(contents(HashValue.fromRdb(r, 4, 64))).isEqualTo(contents(h));
    List<RdbValue.FieldValue> none = new ArrayList<>();
    assertThat(HashValue.fromRdb(new RdbValue.HashValue(none), 128, 64).size()).isZero();
  }
}
