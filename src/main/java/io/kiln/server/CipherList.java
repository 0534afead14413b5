package io.kiln.server;

import io.netty.handler.ssl.CipherSuiteConverter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * tls-ciphers, OpenSSL's cipher-list syntax, mapped onto the JDK's TLS 1.2 suites for the part of
 * it that maps one to one: elements separated by ':' (or ',' or ' '), each a cipher name
 * (OpenSSL's, "ECDHE-RSA-AES128-GCM-SHA256", or IANA's, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
 * DEFAULT (the JDK's default suites), ALL (every suite it supports but the unencrypted ones), or
 * a class of suites (aNULL, eNULL, MD5, RC4, DES, 3DES, EXPORT, SHA1, SHA256, SHA384, AES,
 * AESGCM, CHACHA20, ECDHE, DHE, ECDSA, DSS, PSK, SRP, CAMELLIA), classes joined by '+' meaning
 * all of them; prefixed with '-' (removed), '!' (removed for good) or '+' (moved to the end), as
 * in OpenSSL. Anything else (HIGH, MEDIUM, @STRENGTH, a name the JDK lacks...) is refused rather
 * than approximated: an operator's narrowing must never silently widen.
 *
 * <p>Threads: stateless; any thread.
 */
final class CipherList {
  /** Classes by OpenSSL's keyword, as predicates on IANA names. */
  private static final Map<String, Predicate<String>> CLASSES = Map.ofEntries(
      Map.entry("anull", s -> s.contains("_anon_")),
      Map.entry("enull", s -> s.contains("_WITH_NULL_")),
      Map.entry("null", s -> s.contains("_WITH_NULL_")),
      Map.entry("md5", s -> s.endsWith("_MD5")),
      Map.entry("rc4", s -> s.contains("_RC4_")),
      Map.entry("des", s -> s.contains("_DES_") || s.contains("_DES40_")),
      Map.entry("3des", s -> s.contains("3DES")),
      Map.entry("export", s -> s.contains("EXPORT")),
      Map.entry("sha1", s -> s.endsWith("_SHA")),
      Map.entry("sha", s -> s.endsWith("_SHA")),
      Map.entry("sha256", s -> s.endsWith("_SHA256")),
      Map.entry("sha384", s -> s.endsWith("_SHA384")),
      Map.entry("aes", s -> s.contains("_AES_")),
      Map.entry("aesgcm", s -> s.contains("_AES_") && s.contains("_GCM_")),
      Map.entry("chacha20", s -> s.contains("CHACHA20")),
      Map.entry("ecdhe", s -> s.startsWith("TLS_ECDHE_")),
      Map.entry("eecdh", s -> s.startsWith("TLS_ECDHE_")),
      Map.entry("dhe", s -> s.startsWith("TLS_DHE_")),
      Map.entry("edh", s -> s.startsWith("TLS_DHE_")),
      Map.entry("ecdsa", s -> s.contains("_ECDSA_")),
      Map.entry("dss", s -> s.contains("_DSS_")),
      Map.entry("psk", s -> s.contains("PSK")),
      Map.entry("srp", s -> s.contains("SRP")),
      Map.entry("camellia", s -> s.contains("CAMELLIA")));

  private CipherList() {}

  /**
   * The suites {@code spec} selects, in order, from the TLS 1.2 suites {@code supported} and
   * {@code defaults} (the JDK's, in its order).
   *
   * @throws IllegalArgumentException naming the element that is not understood
   */
  static List<String> parse(String spec, List<String> supported, List<String> defaults) {
    List<String> out = new ArrayList<>();
    Set<String> killed = new HashSet<>();
    for (String element : spec.split("[:, ]+")) {
      if (element.isEmpty()) {
        continue;
      }
      char op = element.charAt(0);
      String what = (op == '-' || op == '!' || op == '+') ? element.substring(1) : element;
      Set<String> matched = select(what, supported, defaults);
      switch (op) {
        case '-' -> out.removeAll(matched);
        case '!' -> {
          out.removeAll(matched);
          killed.addAll(matched);
        }
        case '+' -> {
          List<String> moved = out.stream().filter(matched::contains).toList();
          out.removeAll(moved);
          out.addAll(moved);
        }
        default -> matched.stream().filter(s -> !killed.contains(s) && !out.contains(s))
            .forEach(out::add);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no cipher selected");
    }
    return out;
  }

  private static Set<String> select(String what, List<String> supported, List<String> defaults) {
    String key = what.toLowerCase(Locale.ROOT);
    if (key.equals("default")) {
      return new LinkedHashSet<>(defaults);
    }
    if (key.equals("all")) {
      Set<String> all = new LinkedHashSet<>(defaults);
      supported.stream().filter(s -> !CLASSES.get("enull").test(s)).forEach(all::add);
      return all;
    }
    if (supported.contains(what)) {
      return Set.of(what);
    }
    String java = CipherSuiteConverter.toJava(what, "TLS");
    if (java != null && supported.contains(java)) {
      return Set.of(java);
    }
    // one class, or several joined by '+': the suites in all of them
    Predicate<String> all = s -> true;
    for (String part : key.split("\\+")) {
      Predicate<String> p = CLASSES.get(part);
      if (p == null) {
        throw new IllegalArgumentException(what);
      }
      all = all.and(p);
    }
    Set<String> out = new LinkedHashSet<>();
    supported.stream().filter(all).forEach(out::add);
    return out;
  }
}
