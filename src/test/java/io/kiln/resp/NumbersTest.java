package io.kiln.resp;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Redis's number rules: string2ll, strtod as Redis uses it, C's %.17g (expected values printed by
 * a C program with glibc's printf on the double strtod reads), and the long double arithmetic of
 * INCRBYFLOAT (expected values are real redis-server 7.0.15 replies). Runs on the test thread.
 */
class NumbersTest {

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static Long lng(String s) {
    return Numbers.toLong(b(s));
  }

  // ---- parseLong (string2ll) ----

  @Test
  void parseLongAcceptsCanonicalIntegers() {
    assertThat(lng("0")).isEqualTo(0L);
    assertThat(lng("1")).isEqualTo(1L);
    assertThat(lng("-1")).isEqualTo(-1L);
    assertThat(lng("1234567890")).isEqualTo(1234567890L);
    assertThat(lng("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
    assertThat(lng("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
    assertThat(lng("-9223372036854775807")).isEqualTo(-9223372036854775807L);
    assertThat(Numbers.isLong(b("-9223372036854775807"))).isTrue();
  }

  @Test
  void parseLongRefusesWhatString2llRefuses() {
    for (String bad : new String[] {"", "-", "+1", "01", "-0", "00", " 1", "1 ", "1.0", "1e3",
        "0x10", "9223372036854775808", "-9223372036854775809", "123456789012345678901",
        "99999999999999999999", "1a", "--1", "\u00001"}) {
      assertThat(lng(bad)).as("[%s]", bad).isNull();
      assertThat(Numbers.isLong(b(bad))).as("[%s]", bad).isFalse();
    }
  }

  // ---- toDouble (strtod as Redis uses it) ----

  @Test
  void toDoubleAcceptsStrtodNumbers() {
    assertThat(Numbers.toDouble(b("1.5"))).isEqualTo(1.5);
    assertThat(Numbers.toDouble(b("+1"))).isEqualTo(1.0);
    assertThat(Numbers.toDouble(b(".5"))).isEqualTo(0.5);
    assertThat(Numbers.toDouble(b("5."))).isEqualTo(5.0);
    assertThat(Numbers.toDouble(b("00012"))).isEqualTo(12.0);
    assertThat(Numbers.toDouble(b("-.5e-3"))).isEqualTo(-0.0005);
    assertThat(Numbers.toDouble(b("4e-320"))).isEqualTo(4e-320); // subnormal is fine
    assertThat(Numbers.toDouble(b("inf"))).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(Numbers.toDouble(b("+inf"))).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(Numbers.toDouble(b("-inf"))).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(Numbers.toDouble(b("INF"))).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(Numbers.toDouble(b("infinity"))).isEqualTo(Double.POSITIVE_INFINITY);
  }

  @Test
  void toDoubleRefusesWhatRedisRefuses() {
    for (String bad : new String[] {"", " 1", "1 ", "nan", "NaN", "-nan", "1e", "1e+", "1_0",
        "abc", "1,5", ".", "e5", "--1"}) {
      assertThat(Numbers.toDouble(b(bad))).as("[%s]", bad).isNull();
    }
  }

  @Test
  void toDoubleRefusesOverflowAndUnderflowToZero() {
    // strtod sets ERANGE; Redis refuses HUGE_VAL and a result flushed to zero
    for (String bad : new String[] {"1e400", "-1e400", "1e5000", "1e-400"}) {
      assertThat(Numbers.toDouble(b(bad))).as("[%s]", bad).isNull();
    }
  }

  @Test
  void toDoubleAcceptsHexLikeStrtod() {
    assertThat(Numbers.toDouble(b("0x10"))).isEqualTo(16.0);
    assertThat(Numbers.toDouble(b("0x1p3"))).isEqualTo(8.0);
    assertThat(Numbers.toDouble(b("-0X.8"))).isEqualTo(-0.5);
  }

  // ---- formatG17 against glibc printf("%.17g") ----

  private static final String[][] G17 = {
        {"0.1", "0.10000000000000001"},
        {"0.2", "0.20000000000000001"},
        {"0.3", "0.29999999999999999"},
        {"1e17", "1e+17"},
        {"1e16", "10000000000000000"},
        {"9999999999999998", "9999999999999998"},
        {"1e-5", "1.0000000000000001e-05"},
        {"1e-4", "0.0001"},
        {"0.0001234", "0.00012339999999999999"},
        {"123456789012345678", "1.2345678901234568e+17"},
        {"-0.0", "-0"},
        {"3.0", "3"},
        {"2.5", "2.5"},
        {"1.5", "1.5"},
        {"100", "100"},
        {"1e21", "1e+21"},
        {"1e22", "1e+22"},
        {"1e100", "1e+100"},
        {"1e-300", "1e-300"},
        {"4.9e-324", "4.9406564584124654e-324"},
        {"2.2250738585072014e-308", "2.2250738585072014e-308"},
        {"1.7976931348623157e308", "1.7976931348623157e+308"},
        {"-1.5", "-1.5"},
        {"3.14159265358979", "3.14159265358979"},
        {"2.718281828459045", "2.7182818284590451"},
        {"0.5", "0.5"},
        {"1e15", "1000000000000000"},
        {"123.456", "123.456"},
        {"-123.456", "-123.456"},
        {"1e-7", "9.9999999999999995e-08"},
        {"5e-5", "5.0000000000000002e-05"},
        {"99999999999999999", "1e+17"},
        {"12345678901234567", "12345678901234568"},
        {"1.0000000000000002", "1.0000000000000002"},
        {"6.02214076e23", "6.0221407599999999e+23"},
        {"-1e-10", "-1e-10"},
        {"1234567.891", "1234567.8910000001"},
        {"0.000099999999999999", "9.9999999999999002e-05"},
        {"42", "42"},
        {"-42", "-42"},
        {"65536", "65536"},
        {"1e5", "100000"},
        {"7.0e-10", "6.9999999999999996e-10"},
        {"9007199254740993", "9007199254740992"},
        {"0.30000000000000004", "0.30000000000000004"},
        {"1.005", "1.0049999999999999"},
        {"8.5", "8.5"},
        {"1e300", "1.0000000000000001e+300"},
        {"0.00001", "1.0000000000000001e-05"},
        {"12345678.9", "12345678.9"},
        {"1e-320", "9.9998886718268301e-321"},
        {"1/3", "0.33333333333333331"},
  };

  @Test
  void formatG17MatchesCPrintf() {
    for (String[] c : G17) {
      double d = c[0].equals("1/3") ? 1.0 / 3 : Double.parseDouble(c[0]);
      assertThat(Numbers.formatG17(d)).as(c[0]).isEqualTo(c[1]);
    }
  }

  @Test
  void formatG17SpecialValues() {
    assertThat(Numbers.formatG17(Double.POSITIVE_INFINITY)).isEqualTo("inf");
    assertThat(Numbers.formatG17(Double.NEGATIVE_INFINITY)).isEqualTo("-inf");
    assertThat(Numbers.formatG17(0.0)).isEqualTo("0");
    assertThat(Numbers.formatG17(-0.0)).isEqualTo("-0");
  }

  // ---- long double emulation against real INCRBYFLOAT results ----

  /** {initial value, increment, redis-server 7.0.15's reply to SET x a; INCRBYFLOAT x b}. */
  private static final String[][] INCRBYFLOAT = {
        {"10.5", "0.1", "10.6"},
        {"0", "0.1", "0.1"},
        {"0.1", "0.2", "0.3"},
        {"5.0e3", "2.0e2", "5200"},
        {"1", "1e-17", "1.00000000000000001"},
        {"3", "-3", "0"},
        {"-0", "0", "0"},
        {"1.5", "-1.5", "0"},
        {"10", "-5.5", "4.5"},
        {"1e17", "1", "100000000000000001"},
        {"123456789012345678", "1", "123456789012345679"},
        {"0.3", "-0.1", "0.2"},
        {"1.23456789012345678", "0", "1.23456789012345678"},
        {"0", "1e-20", "0"},
        {"100", "1e-5", "100.00001"},
        {"9223372036854775807", "1", "9223372036854775808"},
        {"-1e10", "3.3", "-9999999996.70000000018626451"},
        {"0.1", "0.7", "0.8"},
        {"2.5", "2.5", "5"},
        {"17179869184", "0.1", "17179869184.09999999962747097"},
        {"1", "0.333333333333333333", "1.33333333333333333"},
        {"1000000", "-0.0000001", "999999.99999989999997752"},
        {"1", "0x10", "17"},
        {"5", ".5", "5.5"},
        {"5.5", "5.", "10.5"},
  };

  private static String incrbyfloat(String a, String b) {
    BigDecimal x = Numbers.parseLongDouble(b(a));
    BigDecimal y = Numbers.parseLongDouble(b(b));
    assertThat(x).as("value %s", a).isNotNull();
    assertThat(y).as("increment %s", b).isNotNull();
    BigDecimal r = Numbers.addLongDouble(x, y);
    assertThat(r).as("%s + %s", a, b).isNotNull();
    return Numbers.formatLongDouble(r);
  }

  @Test
  void incrbyfloatMatchesRedis() {
    for (String[] c : INCRBYFLOAT) {
      assertThat(incrbyfloat(c[0], c[1])).as("%s + %s", c[0], c[1]).isEqualTo(c[2]);
    }
  }

  @Test
  void incrbyfloatOfAHugeIncrementPrintsEveryDigit() {
    assertThat(incrbyfloat("1", "1e400")).isEqualTo(
        "10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880");
  }

  @Test
  void longDoubleRefusesInvalidAndOutOfRange() {
    for (String bad : new String[] {"", " 1", "1 ", "abc", "nan", "inf", "-inf", "1e5000",
        "1e-5000", "1e-4951"}) {
      assertThat(Numbers.parseLongDouble(b(bad))).as("[%s]", bad).isNull();
    }
    // the largest long double plus itself overflows
    BigDecimal big = Numbers.parseLongDouble(b("1.1e4932"));
    assertThat(big).isNotNull();
    assertThat(Numbers.addLongDouble(big, big)).isNull();
  }

  @Test
  void longDoubleKeepsSubnormals() {
    // 3.6e-4951 is a long double subnormal: accepted, and prints as 0
    assertThat(incrbyfloat("0", "3.6e-4951")).isEqualTo("0");
  }

  @Test
  void formatLongDouble() {
    assertThat(Numbers.formatLongDouble(new BigDecimal("0"))).isEqualTo("0");
    assertThat(Numbers.formatLongDouble(new BigDecimal("-0.000000000000000001"))).isEqualTo("0");
    assertThat(Numbers.formatLongDouble(new BigDecimal("3.50"))).isEqualTo("3.5");
    assertThat(Numbers.formatLongDouble(new BigDecimal("100"))).isEqualTo("100");
    assertThat(Numbers.formatLongDouble(new BigDecimal("1E+3"))).isEqualTo("1000");
    assertThat(Numbers.formatLongDouble(new BigDecimal("0.000000000000000016"))).isEqualTo("0.00000000000000002");
    assertThat(Numbers.formatLongDouble(new BigDecimal("-2.25"))).isEqualTo("-2.25");
  }

  @Test
  void pow2IsExact() {
    assertThat(Numbers.pow2(-3)).isEqualByComparingTo("0.125");
    assertThat(Numbers.pow2(10)).isEqualByComparingTo("1024");
    assertThat(Numbers.pow2(-1).multiply(Numbers.pow2(1))).isEqualByComparingTo("1");
  }
}
