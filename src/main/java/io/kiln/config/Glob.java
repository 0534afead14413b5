package io.kiln.config;

import java.util.Locale;

/**
 * Case-insensitive glob matching with Redis's stringmatch rules: {@code *}, {@code ?},
 * {@code [abc]}, {@code [^a-z]} and backslash escapes.
 *
 * <p>Threads: stateless; called from any event-loop thread serving CONFIG GET.
 */
final class Glob {
  private Glob() {}

  static boolean matches(String pattern, String text) {
    return match(pattern.toLowerCase(Locale.ROOT), 0, text.toLowerCase(Locale.ROOT), 0);
  }

  private static boolean match(String pat, int p, String str, int s) {
    while (p < pat.length()) {
      char c = pat.charAt(p);
      switch (c) {
        case '*' -> {
          while (p + 1 < pat.length() && pat.charAt(p + 1) == '*') {
            p++;
          }
          if (p + 1 == pat.length()) {
            return true;
          }
          for (int i = s; i <= str.length(); i++) {
            if (match(pat, p + 1, str, i)) {
              return true;
            }
          }
          return false;
        }
        case '?' -> {
          if (s >= str.length()) {
            return false;
          }
          s++;
        }
        case '[' -> {
          if (s >= str.length()) {
            return false;
          }
          p++;
          boolean not = p < pat.length() && pat.charAt(p) == '^';
          if (not) {
            p++;
          }
          boolean found = false;
          char ch = str.charAt(s);
          while (p < pat.length() && pat.charAt(p) != ']') {
            if (pat.charAt(p) == '\\' && p + 1 < pat.length()) {
              p++;
              found |= pat.charAt(p) == ch;
            } else if (p + 2 < pat.length() && pat.charAt(p + 1) == '-') {
              char lo = (char) Math.min(pat.charAt(p), pat.charAt(p + 2));
              char hi = (char) Math.max(pat.charAt(p), pat.charAt(p + 2));
              found |= ch >= lo && ch <= hi;
              p += 2;
            } else {
              found |= pat.charAt(p) == ch;
            }
            p++;
          }
          if (found == not) {
            return false;
          }
          s++;
        }
        case '\\' -> {
          if (p + 1 < pat.length()) {
            p++;
          }
          if (s >= str.length() || pat.charAt(p) != str.charAt(s)) {
            return false;
          }
          s++;
        }
        default -> {
          if (s >= str.length() || c != str.charAt(s)) {
            return false;
          }
          s++;
        }
      }
      p++;
    }
    return s == str.length();
  }
}
