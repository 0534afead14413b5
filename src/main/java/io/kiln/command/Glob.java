package io.kiln.command;

/**
 * Redis's glob-style pattern matching (its stringmatchlen), case-sensitive, as KEYS, SCAN MATCH
 * and the other pattern commands use it: {@code *} any run of bytes, {@code ?} one byte,
 * {@code [abc]} / {@code [^abc]} / {@code [a-z]} classes (bounds may come in either order and
 * compare as signed bytes, as in C), and {@code \} escaping the next byte, inside classes too.
 *
 * <p>Corner cases follow Redis exactly: an unterminated class ends at the end of the pattern, a
 * trailing {@code \} is a literal backslash, and an empty string matches only an empty pattern
 * (callers special-case the lone {@code *}, as Redis does). Matching is iterative (backtracking
 * only to the last star), so a pattern with many stars cannot exhaust the stack or take
 * exponential time. Stateless; any thread.
 */
public final class Glob {
  private Glob() {}

  /** True when {@code pattern} matches the whole of {@code s}, case-sensitively. */
  public static boolean matches(byte[] pattern, byte[] s) {
    return matches(pattern, s, false);
  }

  /**
   * True when {@code pattern} matches the whole of {@code s}; with {@code nocase}, ASCII letters
   * compare without case (as Redis's nocase mode: both sides and range bounds lowered).
   */
  public static boolean matches(byte[] pattern, byte[] s, boolean nocase) {
    int plen = pattern.length;
    int slen = s.length;
    if (slen == 0) {
      return plen == 0;
    }
    int pi = 0;
    int si = 0;
    int starP = -1; // pattern index just after the last star seen
    int starS = -1; // string index that star's expansion currently ends at
    while (si < slen) {
      if (pi < plen && pattern[pi] == '*') {
        while (pi < plen && pattern[pi] == '*') {
          pi++;
        }
        if (pi == plen) {
          return true;
        }
        starP = pi;
        starS = si;
        continue;
      }
      if (pi < plen) {
        int next = matchOne(pattern, pi, s[si], nocase);
        if (next >= 0) {
          pi = next;
          si++;
          continue;
        }
      }
      if (starP < 0) {
        return false;
      }
      starS++;
      si = starS;
      pi = starP;
    }
    while (pi < plen && pattern[pi] == '*') {
      pi++;
    }
    return pi == plen;
  }

  /**
   * Matches the single-byte token at {@code pi} (not a star) against {@code c}: the index of the
   * next token on success, -1 on mismatch.
   */
  private static int matchOne(byte[] p, int pi, byte sc, boolean nocase) {
    int c = nocase ? lower(sc) : sc;
    int plen = p.length;
    switch (p[pi]) {
      case '?':
        return pi + 1;
      case '[': {
        int j = pi + 1;
        boolean not = j < plen && p[j] == '^';
        if (not) {
          j++;
        }
        boolean match = false;
        while (true) {
          if (j < plen && p[j] == '\\' && plen - j >= 2) {
            j++;
            if (p[j] == sc) {
              match = true;
            }
          } else if (j < plen && p[j] == ']') {
            break;
          } else if (j >= plen) {
            j--; // unterminated: the class ends with the pattern
            break;
          } else if (plen - j >= 3 && p[j + 1] == '-') {
            int start = p[j];
            int end = p[j + 2];
            if (start > end) {
              int t = start;
              start = end;
              end = t;
            }
            if (nocase) { // Redis lowers the bounds after ordering them
              start = lower((byte) start);
              end = lower((byte) end);
            }
            j += 2;
            if (c >= start && c <= end) {
              match = true;
            }
          } else if ((nocase ? lower(p[j]) : p[j]) == c) {
            match = true;
          }
          j++;
        }
        if (not) {
          match = !match;
        }
        return match ? j + 1 : -1;
      }
      case '\\':
        if (plen - pi >= 2) {
          pi++;
        }
        return (nocase ? lower(p[pi]) : p[pi]) == c ? pi + 1 : -1;
      default:
        return (nocase ? lower(p[pi]) : p[pi]) == c ? pi + 1 : -1;
    }
  }

  /** C's tolower in the C locale, on a signed byte. */
  private static int lower(byte b) {
    return b >= 'A' && b <= 'Z' ? b + 32 : b;
  }
}
