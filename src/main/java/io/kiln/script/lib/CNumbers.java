package io.kiln.script.lib;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * C's number text as glibc writes and reads it: {@code printf("%.Ng")} and {@code strtod}, which
 * cjson uses for JSON numbers. Both are exact: the decimal value of the double rounded half to
 * even (as glibc does), and the correctly rounded double of the text read.
 */
final class CNumbers {
  private CNumbers() {}

  /** {@code printf("%.<precision>g", d)}: "0.1", "1e+300", "-0", "inf", "-nan". */
  static String g(double d, int precision) {
    boolean negative = (Double.doubleToRawLongBits(d) & Long.MIN_VALUE) != 0;
    if (Double.isNaN(d)) {
      return negative ? "-nan" : "nan";
    }
    if (Double.isInfinite(d)) {
      return negative ? "-inf" : "inf";
    }
    if (d == 0) {
      return negative ? "-0" : "0";
    }
    int p = Math.max(precision, 1);
    BigDecimal r = new BigDecimal(Math.abs(d)).round(new MathContext(p, RoundingMode.HALF_EVEN));
    int exponent = r.precision() - r.scale() - 1;
    StringBuilder out = new StringBuilder(24);
    if (negative) {
      out.append('-');
    }
    if (exponent < -4 || exponent >= p) {
      String digits = r.unscaledValue().toString();
      int end = digits.length();
      while (end > 1 && digits.charAt(end - 1) == '0') {
        end--;
      }
      out.append(digits.charAt(0));
      if (end > 1) {
        out.append('.').append(digits, 1, end);
      }
      out.append('e').append(exponent < 0 ? '-' : '+');
      int e = Math.abs(exponent);
      if (e < 10) {
        out.append('0');
      }
      out.append(e);
    } else {
      String plain = r.toPlainString();
      if (plain.indexOf('.') >= 0) {
        int end = plain.length();
        while (plain.charAt(end - 1) == '0') {
          end--;
        }
        if (plain.charAt(end - 1) == '.') {
          end--;
        }
        plain = plain.substring(0, end);
      }
      out.append(plain);
    }
    return out.toString();
  }

  /** The end of the number {@link #strtod} read last (the start when it read none). */
  static final class Parsed {
    double value;
    int end;
  }

  /**
   * glibc's {@code strtod} over {@code s} from {@code start} (bytes past the end read as 0):
   * optional sign, then decimal (digits, '.', exponent), hexadecimal ("0x", 'p' exponent),
   * "inf", "infinity" or "nan" ("nan(...)"), any case. Sets the value and where reading stopped.
   */
  static void strtod(byte[] s, int start, Parsed out) {
    int i = start;
    while (isSpace(at(s, i))) {
      i++;
    }
    boolean negative = false;
    if (at(s, i) == '+' || at(s, i) == '-') {
      negative = at(s, i) == '-';
      i++;
    }
    out.value = 0;
    out.end = start;
    if (matches(s, i, "inf")) {
      out.end = matches(s, i, "infinity") ? i + 8 : i + 3;
      out.value = negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      return;
    }
    if (matches(s, i, "nan")) {
      int j = i + 3;
      if (at(s, j) == '(') {
        int k = j + 1;
        while (Character.isLetterOrDigit(at(s, k)) && at(s, k) < 128 || at(s, k) == '_') {
          k++;
        }
        if (at(s, k) == ')') {
          j = k + 1;
        }
      }
      out.end = j;
      out.value = Double.longBitsToDouble(negative ? 0xfff8000000000000L : 0x7ff8000000000000L);
      return;
    }
    if (at(s, i) == '0' && (at(s, i + 1) | 0x20) == 'x'
        && (hex(at(s, i + 2)) >= 0 || at(s, i + 2) == '.' && hex(at(s, i + 3)) >= 0)) {
      int j = i + 2;
      StringBuilder mant = new StringBuilder("0x");
      while (hex(at(s, j)) >= 0) {
        mant.append((char) at(s, j++));
      }
      if (at(s, j) == '.') {
        mant.append('.');
        j++;
        while (hex(at(s, j)) >= 0) {
          mant.append((char) at(s, j++));
        }
      }
      String exp = "p0";
      if ((at(s, j) | 0x20) == 'p') {
        int k = j + 1;
        if (at(s, k) == '+' || at(s, k) == '-') {
          k++;
        }
        if (isDigit(at(s, k))) {
          while (isDigit(at(s, k))) {
            k++;
          }
          exp = new String(s, j, k - j, java.nio.charset.StandardCharsets.ISO_8859_1);
          j = k;
        }
      }
      double v = parseHex(mant + exp);
      out.value = negative ? -v : v;
      out.end = j;
      return;
    }
    int j = i;
    int digits = 0;
    while (isDigit(at(s, j))) {
      j++;
      digits++;
    }
    if (at(s, j) == '.') {
      j++;
      while (isDigit(at(s, j))) {
        j++;
        digits++;
      }
    }
    if (digits == 0) {
      return; // no number
    }
    if ((at(s, j) | 0x20) == 'e') {
      int k = j + 1;
      if (at(s, k) == '+' || at(s, k) == '-') {
        k++;
      }
      if (isDigit(at(s, k))) {
        while (isDigit(at(s, k))) {
          k++;
        }
        j = k;
      }
    }
    String text = new String(s, i, j - i, java.nio.charset.StandardCharsets.ISO_8859_1);
    double v = parseDecimal(text);
    out.value = negative ? -v : v;
    out.end = j;
  }

  private static double parseDecimal(String text) {
    // Java reads a huge exponent as infinity or zero, as strtod does; a mantissa like "5." or
    // ".5" is valid for both
    return Double.parseDouble(text);
  }

  private static double parseHex(String text) {
    // "0x1.8p3": Java's hexadecimal floating-point literal, exponent mandatory (p0 added above);
    // an exponent too long for Java is clamped (the value is infinity or zero either way)
    int p = text.indexOf('p') >= 0 ? text.indexOf('p') : text.indexOf('P');
    String e = text.substring(p + 1);
    String digits = e.replaceFirst("^[+-]", "");
    if (digits.length() > 9) {
      text = text.substring(0, p + 1) + (e.startsWith("-") ? "-" : "") + "999999999";
    }
    return Double.parseDouble(text);
  }

  private static int at(byte[] s, int i) {
    return i < s.length ? s[i] & 0xff : 0;
  }

  private static boolean matches(byte[] s, int i, String word) {
    for (int k = 0; k < word.length(); k++) {
      if ((at(s, i + k) | 0x20) != word.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isSpace(int c) {
    return c == ' ' || c >= '\t' && c <= '\r';
  }

  private static int hex(int c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  }
}
