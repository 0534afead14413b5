package io.kiln.resp;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Number parsing and formatting with Redis's exact rules: strict integers (string2ll), doubles
 * (strtod without surrounding spaces), C's {@code %.17g}, and the x87 80-bit {@code long double}
 * arithmetic of INCRBYFLOAT, emulated exactly so results print digit for digit as Redis's do.
 * Stateless; any thread.
 */
public final class Numbers {
  private Numbers() {}

  /** Marker for "not a valid integer" from {@link #parseLong}. */
  public static final long NOT_A_LONG = Long.MIN_VALUE + 1;

  private static final byte[] NOT_A_LONG_TEXT =
      Long.toString(NOT_A_LONG).getBytes(StandardCharsets.US_ASCII);

  /**
   * Redis's string2ll: optional '-', no '+', no spaces, no leading zeros, at most 20 chars, in
   * range. Returns {@link #NOT_A_LONG} when invalid (that exact value is also refused as input:
   * "-9223372036854775807" is the only casualty and is handled by {@link #isLong}).
   */
  public static long parseLong(byte[] s) {
    int n = s.length;
    if (n == 0 || n > 20) {
      return NOT_A_LONG;
    }
    if (n == 1 && s[0] == '0') {
      return 0;
    }
    int i = 0;
    boolean neg = false;
    if (s[0] == '-') {
      neg = true;
      i = 1;
      if (n == 1) {
        return NOT_A_LONG;
      }
    }
    if (s[i] < '1' || s[i] > '9') {
      return NOT_A_LONG;
    }
    long v = 0;
    for (; i < n; i++) {
      int d = s[i] - '0';
      if (d < 0 || d > 9) {
        return NOT_A_LONG;
      }
      // accumulate negatively so Long.MIN_VALUE is representable
      if (v < (Long.MIN_VALUE + d) / 10) {
        return NOT_A_LONG;
      }
      v = v * 10 - d;
    }
    if (!neg) {
      if (v == Long.MIN_VALUE) {
        return NOT_A_LONG;
      }
      return -v;
    }
    return v;
  }

  /** True when {@code s} is a valid string2ll integer. */
  public static boolean isLong(byte[] s) {
    return parseLong(s) != NOT_A_LONG || Arrays.equals(s, NOT_A_LONG_TEXT);
  }

  /** Integer value of {@code s}, or null when it is not one (Redis's string2ll). */
  public static Long toLong(byte[] s) {
    long v = parseLong(s);
    if (v == NOT_A_LONG) {
      return Arrays.equals(s, NOT_A_LONG_TEXT) ? NOT_A_LONG : null;
    }
    return v;
  }

  /**
   * A double the way Redis reads one (strtod on the whole string): no leading or trailing space,
   * "inf"/"-inf"/"infinity" accepted, NaN refused. Returns null when invalid.
   */
  public static Double toDouble(byte[] s) {
    if (s.length == 0 || s.length > 5000) {
      return null;
    }
    String str = ascii(s);
    if (Character.isWhitespace(str.charAt(0)) || Character.isWhitespace(str.charAt(str.length() - 1))) {
      return null;
    }
    String lower = str.toLowerCase(java.util.Locale.ROOT);
    String unsigned = lower.startsWith("+") || lower.startsWith("-") ? lower.substring(1) : lower;
    if (unsigned.equals("inf") || unsigned.equals("infinity")) {
      return lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    BigDecimal hex = parseHex(unsigned);
    if (hex != null) {
      double v = hex.doubleValue();
      if (Double.isInfinite(v) || (v == 0 && hex.signum() != 0)) {
        return null; // strtod's ERANGE: Redis refuses overflow and underflow to zero
      }
      return lower.startsWith("-") ? -v : v;
    }
    if (!isDecimalFloat(unsigned)) {
      return null;
    }
    double v;
    try {
      v = Double.parseDouble(str);
    } catch (NumberFormatException e) {
      return null;
    }
    // strtod's ERANGE: Redis refuses overflow (HUGE_VAL) and underflow to zero
    if (Double.isInfinite(v) || (v == 0 && hasNonZeroDigit(unsigned))) {
      return null;
    }
    return v;
  }

  /** True when the significand (before any exponent) has a non-zero digit. */
  private static boolean hasNonZeroDigit(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 'e' || c == 'p') {
        return false;
      }
      if (c >= '1' && c <= '9' || c >= 'a' && c <= 'f') {
        return true;
      }
    }
    return false;
  }

  /**
   * The exact value of a strtod hexadecimal float (unsigned, lower case: 0xHH[.HH][p[+-]DD]),
   * or null when {@code s} is not one. Exponents beyond any long double are clamped so the
   * callers' range checks see an overflow or an underflow.
   */
  private static BigDecimal parseHex(String s) {
    if (!s.startsWith("0x")) {
      return null;
    }
    int i = 2;
    int n = s.length();
    BigInteger mant = BigInteger.ZERO;
    int digits = 0;
    int fraction = 0;
    boolean dot = false;
    for (; i < n; i++) {
      char c = s.charAt(i);
      int d = Character.digit(c, 16);
      if (d >= 0) {
        mant = mant.shiftLeft(4).add(BigInteger.valueOf(d));
        digits++;
        if (dot) {
          fraction++;
        }
      } else if (c == '.' && !dot) {
        dot = true;
      } else {
        break;
      }
    }
    if (digits == 0) {
      return null;
    }
    long exp = 0;
    if (i < n && s.charAt(i) == 'p') {
      i++;
      boolean neg = false;
      if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
        neg = s.charAt(i) == '-';
        i++;
      }
      int start = i;
      while (i < n && Character.isDigit(s.charAt(i))) {
        exp = Math.min(exp * 10 + (s.charAt(i) - '0'), 1_000_000);
        i++;
      }
      if (i == start) {
        return null;
      }
      exp = neg ? -exp : exp;
    }
    if (i != n) {
      return null;
    }
    if (mant.signum() == 0) {
      return BigDecimal.ZERO;
    }
    long e = Math.max(-20_000, Math.min(20_000, exp - 4L * fraction));
    return new BigDecimal(mant).multiply(pow2((int) e));
  }

  /** digits[.digits][e[+-]digits] or .digits...: the subset of strtod's syntax Java parses alike. */
  private static boolean isDecimalFloat(String s) {
    int i = 0;
    int n = s.length();
    int digits = 0;
    while (i < n && Character.isDigit(s.charAt(i))) {
      i++;
      digits++;
    }
    if (i < n && s.charAt(i) == '.') {
      i++;
      while (i < n && Character.isDigit(s.charAt(i))) {
        i++;
        digits++;
      }
    }
    if (digits == 0) {
      return false;
    }
    if (i < n && s.charAt(i) == 'e') {
      i++;
      if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
        i++;
      }
      int exp = 0;
      while (i < n && Character.isDigit(s.charAt(i))) {
        i++;
        exp++;
      }
      if (exp == 0) {
        return false;
      }
    }
    return i == n;
  }

  /** C's printf("%.17g", d) for a finite double. */
  public static String formatG17(double d) {
    if (Double.isNaN(d)) {
      return "nan";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0" : "0";
    }
    if (d == (long) d && Math.abs(d) < 1e15) {
      return Long.toString((long) d); // fast path: %.17g prints such integers whole
    }
    BigDecimal bd = new BigDecimal(d).round(new MathContext(17, RoundingMode.HALF_EVEN));
    int exp = bd.precision() - bd.scale() - 1;
    if (exp < -4 || exp >= 17) {
      String digits = bd.unscaledValue().abs().toString();
      digits = stripZeros(digits.charAt(0) + "." + digits.substring(1));
      String sign = d < 0 ? "-" : "";
      String es = Math.abs(exp) < 10 ? "0" + Math.abs(exp) : Integer.toString(Math.abs(exp));
      return sign + digits + "e" + (exp < 0 ? "-" : "+") + es;
    }
    String plain = bd.setScale(Math.max(0, 16 - exp), RoundingMode.HALF_EVEN).toPlainString();
    return stripZeros(plain);
  }

  /** Removes trailing fraction zeros and a trailing '.', as %g and Redis's human mode do. */
  private static String stripZeros(String s) {
    if (s.indexOf('.') < 0) {
      return s;
    }
    int end = s.length();
    while (s.charAt(end - 1) == '0') {
      end--;
    }
    if (s.charAt(end - 1) == '.') {
      end--;
    }
    return s.substring(0, end);
  }

  // ---- x87 long double emulation (INCRBYFLOAT, HINCRBYFLOAT) ----

  /** Largest finite long double, about 1.19e4932. */
  private static final BigDecimal LD_MAX = new BigDecimal("1.18973149535723176502e4932");
  /** Half the smallest long double subnormal (2^-16446): at or below it strtold gives zero. */
  private static final BigDecimal LD_HALF_MIN_SUBNORMAL = pow2(-16446);

  /**
   * Exactly 2^e. Negative powers are built as 5^-e / 10^-e: BigDecimal.divide by a huge power of
   * two takes hundreds of milliseconds, far too long for an event loop.
   */
  static BigDecimal pow2(int e) {
    return e >= 0 ? new BigDecimal(BigInteger.ONE.shiftLeft(e))
        : new BigDecimal(BigInteger.valueOf(5).pow(-e), -e);
  }

  /**
   * Parses {@code s} as strtold would into an exact value rounded to a 64-bit mantissa. Returns
   * null when not a valid number (spaces, garbage, NaN, out of range); infinities are returned as
   * null too, since every caller refuses them.
   */
  public static BigDecimal parseLongDouble(byte[] s) {
    if (s.length == 0 || s.length > 5000) {
      return null;
    }
    String str = ascii(s);
    if (Character.isWhitespace(str.charAt(0))) {
      return null;
    }
    String lower = str.toLowerCase(java.util.Locale.ROOT);
    String unsigned = lower.startsWith("+") || lower.startsWith("-") ? lower.substring(1) : lower;
    BigDecimal exact = parseHex(unsigned);
    if (exact != null) {
      exact = lower.startsWith("-") ? exact.negate() : exact;
    } else {
      if (!isDecimalFloat(unsigned)) {
        return null;
      }
      try {
        exact = new BigDecimal(str.startsWith("+") ? str.substring(1) : str);
      } catch (NumberFormatException | ArithmeticException e) {
        return null;
      }
    }
    if (exact.abs().compareTo(LD_MAX) > 0) {
      return null;
    }
    if (exact.signum() != 0 && exact.abs().compareTo(LD_HALF_MIN_SUBNORMAL) <= 0) {
      return null; // strtold underflows to zero (ERANGE): Redis refuses it
    }
    return roundToLongDouble(exact);
  }

  /** a + b in long double arithmetic; null when the result overflows to infinity. */
  public static BigDecimal addLongDouble(BigDecimal a, BigDecimal b) {
    BigDecimal r = roundToLongDouble(a.add(b));
    return r.abs().compareTo(LD_MAX) > 0 ? null : r;
  }

  /** Rounds an exact value to the nearest long double (64-bit mantissa, ties to even). */
  static BigDecimal roundToLongDouble(BigDecimal x) {
    if (x.signum() == 0) {
      return BigDecimal.ZERO;
    }
    BigInteger num = x.unscaledValue().abs();
    BigInteger den = BigInteger.ONE;
    if (x.scale() > 0) {
      den = BigInteger.TEN.pow(x.scale());
    } else {
      num = num.multiply(BigInteger.TEN.pow(-x.scale()));
    }
    // Find e with 2^63 <= num / (den * 2^e) < 2^64.
    int e = num.bitLength() - den.bitLength() - 64;
    BigInteger q;
    BigInteger r;
    BigInteger d;
    while (true) {
      BigInteger n = e >= 0 ? num : num.shiftLeft(-e);
      d = e >= 0 ? den.shiftLeft(e) : den;
      BigInteger[] qr = n.divideAndRemainder(d);
      q = qr[0];
      r = qr[1];
      if (q.bitLength() > 64) {
        e++;
      } else if (q.bitLength() < 64) {
        e--;
      } else {
        break;
      }
    }
    int cmp = r.shiftLeft(1).compareTo(d);
    if (cmp > 0 || (cmp == 0 && q.testBit(0))) {
      q = q.add(BigInteger.ONE);
    }
    BigDecimal m = new BigDecimal(q);
    BigDecimal v = m.multiply(pow2(e));
    return x.signum() < 0 ? v.negate() : v;
  }

  /** Redis's human long double format: "%.17Lf" with trailing zeros and '.' removed, "-0" as "0". */
  public static String formatLongDouble(BigDecimal v) {
    String s = stripZeros(v.setScale(17, RoundingMode.HALF_EVEN).toPlainString());
    return s.equals("-0") ? "0" : s;
  }

  /** {@link #formatLongDouble} of a double (exact in a long double): GEOPOS's coordinates. */
  public static String formatHuman(double d) {
    return formatLongDouble(new BigDecimal(d));
  }

  /**
   * C's {@code printf("%f", d)}: the exact value rounded to six decimals (ties to even), the
   * sign kept for negative values that round to zero, "inf"/"-inf" for infinities.
   */
  public static String formatF6(double d) {
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    if (Double.isNaN(d)) {
      return Double.doubleToRawLongBits(d) < 0 ? "-nan" : "nan";
    }
    String s = new BigDecimal(d).setScale(6, RoundingMode.HALF_EVEN).toPlainString();
    boolean negative = Double.doubleToRawLongBits(d) < 0;
    return negative && !s.startsWith("-") ? "-" + s : s;
  }

  /**
   * Redis's fixed-point distance (fixedpoint_d2string with 4 digits): {@code d * 10000} rounded
   * to an integer as llrint does on x86-64 (ties to even; NaN and out-of-range values give
   * the most negative long), printed with four decimals; exactly zero prints "0.0000".
   */
  public static String formatFixed4(double d) {
    if (d == 0) {
      return "0.0000";
    }
    double scaled = Math.rint(d * 10000.0);
    long v = Double.isNaN(scaled) || Math.abs(scaled) >= 9.223372036854775808E18
        ? Long.MIN_VALUE : (long) scaled;
    String digits = v < 0 ? Long.toUnsignedString(-v) : Long.toString(v);
    StringBuilder sb = new StringBuilder(v < 0 ? "-" : "");
    for (int i = digits.length(); i < 5; i++) {
      sb.append('0');
    }
    sb.append(digits);
    sb.insert(sb.length() - 4, '.');
    return sb.toString();
  }

  public static String ascii(byte[] s) {
    return new String(s, StandardCharsets.ISO_8859_1);
  }
}
