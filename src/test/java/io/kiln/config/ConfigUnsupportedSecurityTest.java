package io.kiln.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Security directives Kiln parses but cannot honour (the TLS settings of replication, the
 * cluster bus and DH parameters; TLS without a session cache) fail closed: any value but the
 * default is refused at startup and by CONFIG SET, while a redis.conf that spells out the
 * defaults still loads. The TLS and unix socket directives Kiln implements load with any valid
 * value (TlsTest, UnixSocketTest). Runs on the test thread.
 */
class ConfigUnsupportedSecurityTest {

  @TempDir Path tmp;

  /** name -> {a non-default value, the reason it is refused}. */
  private static Map<String, String[]> refused() {
    Map<String, String[]> m = new LinkedHashMap<>();
    m.put("tls-dh-params-file", new String[] {"/etc/kiln/dh.pem", "tls-dh-params-file is not "
        + "supported by Kiln (the JDK's TLS engine chooses its own Diffie-Hellman groups)"});
    m.put("tls-replication", new String[] {"yes",
        "tls-replication is not supported by Kiln (it has no replication)"});
    m.put("tls-cluster", new String[] {"yes",
        "tls-cluster is not supported by Kiln (it has no cluster bus)"});
    m.put("tls-session-caching", new String[] {"no", "tls-session-caching no is not supported "
        + "by Kiln (the JDK's TLS engine always keeps a session cache)"});
    return m;
  }

  /** The TLS and unix socket directives Kiln implements: name -> a non-default value. */
  private static Map<String, String> implemented() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("unixsocket", "/tmp/kiln.sock");
    m.put("unixsocketperm", "700");
    m.put("tls-port", "6380");
    for (String name : List.of("tls-cert-file", "tls-key-file", "tls-key-file-pass",
        "tls-client-cert-file", "tls-client-key-file", "tls-client-key-file-pass",
        "tls-ca-cert-file", "tls-ca-cert-dir")) {
      m.put(name, "/etc/kiln/x.pem");
    }
    m.put("tls-auth-clients", "optional");
    m.put("tls-protocols", "TLSv1.2");
    m.put("tls-ciphers", "ECDHE-RSA-AES128-GCM-SHA256");
    m.put("tls-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256");
    m.put("tls-prefer-server-ciphers", "yes");
    m.put("tls-session-cache-size", "5000");
    m.put("tls-session-cache-timeout", "60");
    return m;
  }

  private String file(String name, String... lines) throws Exception {
    Path path = tmp.resolve(name);
    Files.writeString(path, String.join("\n", lines) + "\n");
    return path.toString();
  }

  @Test
  void everyTlsDirectiveIsEitherImplementedOrRefused() {
    List<String> tls = Directives.all().stream().map(Directive::name)
        .filter(n -> n.startsWith("tls-")).toList();
    List<String> covered = new java.util.ArrayList<>(refused().keySet());
    covered.addAll(implemented().keySet());
    assertThat(covered).containsAll(tls);
  }

  @Test
  void implementedDirectivesLoadWithNonDefaultValues() throws Exception {
    for (Map.Entry<String, String> e : implemented().entrySet()) {
      String path = file(e.getKey() + ".conf", "port 7000", e.getKey() + " \"" + e.getValue()
          + "\"");
      Config c = Config.load(path, List.of());
      assertThat(c.getString(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
    }
  }

  @Test
  void startupRefusesNonDefaultValuesNamingFileLineAndDirective() throws Exception {
    for (Map.Entry<String, String[]> e : refused().entrySet()) {
      String name = e.getKey();
      String value = e.getValue()[0];
      String path = file(name + ".conf", "port 7000", name + " \"" + value + "\"");
      assertThatThrownBy(() -> Config.load(path, List.of())).as(name)
          .isInstanceOf(ConfigException.class)
          .hasMessage(path + ":2: '" + name + "' bad value '" + value + "': " + e.getValue()[1]);
    }
  }

  @Test
  void commandLineOverridesAreRefusedToo() {
    assertThatThrownBy(() -> Config.load(null, List.of("--tls-cluster", "yes")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'tls-cluster' bad value 'yes': " + refused().get("tls-cluster")[1]);
  }

  @Test
  void spelledOutDefaultsStillLoad() throws Exception {
    Config c = Config.load(file("redis.conf",
        "tls-port 0", "aclfile \"\"", "unixsocket \"\"", "unixsocketperm 0",
        "tls-cert-file \"\"", "tls-key-file \"\"", "tls-ca-cert-file \"\"",
        "tls-auth-clients yes", "tls-replication no", "tls-cluster no",
        "tls-protocols \"\"", "tls-ciphers \"\"", "tls-ciphersuites \"\"",
        "tls-prefer-server-ciphers no", "tls-session-caching yes",
        "tls-session-cache-size 20480", "tls-session-cache-timeout 300"), List.of());
    assertThat(c.getInt("tls-port")).isZero();
    assertThat(c.getString("aclfile")).isEmpty();
    assertThat(c.getString("unixsocket")).isEmpty();
    assertThat(c.getString("tls-auth-clients")).isEqualTo("yes");
  }

  @Test
  void configSetRefusesNonDefaultValuesAndKeepsTheDefault() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      for (Map.Entry<String, String[]> e : refused().entrySet()) {
        String name = e.getKey();
        if (name.startsWith("tls-")) { // mutable in Redis: refused for the value
          assertThat(c.call("CONFIG", "SET", name, e.getValue()[0])).as(name)
              .isEqualTo("-ERR CONFIG SET failed (possibly related to argument '" + name + "') - "
                  + e.getValue()[1] + "\r\n");
        } else { // an immutable one, as in Redis (none today: every refused one is tls-*)
          assertThat(c.call("CONFIG", "SET", name, e.getValue()[0])).as(name)
              .isEqualTo("-ERR CONFIG SET failed (possibly related to argument '" + name + "') - "
                  + "can't set immutable config\r\n");
        }
      }
      // unixsocket and unixsocketperm are immutable, as in Redis
      for (String name : List.of("unixsocket", "unixsocketperm")) {
        assertThat(c.call("CONFIG", "SET", name, implemented().get(name))).as(name)
            .isEqualTo("-ERR CONFIG SET failed (possibly related to argument '" + name + "') - "
                + "can't set immutable config\r\n");
      }
      // all-or-nothing: a refused TLS value takes the valid change beside it down too
      assertThat(c.call("CONFIG", "SET", "hz", "20", "tls-cluster", "yes"))
          .startsWith("-ERR CONFIG SET failed (possibly related to argument 'tls-cluster')");
      // Kiln does not move its listeners at runtime: a new tls-port is refused as a new port
      assertThat(c.call("CONFIG", "SET", "tls-port", "6380"))
          .isEqualTo("-ERR CONFIG SET failed (possibly related to argument 'tls-port') - "
              + "Unable to listen on this port. Check server logs.\r\n");
      assertThat(c.call("CONFIG", "GET", "hz")).isEqualTo("*2\r\n$2\r\nhz\r\n$2\r\n10\r\n");
      assertThat(c.call("CONFIG", "GET", "tls-port"))
          .isEqualTo("*2\r\n$8\r\ntls-port\r\n$1\r\n0\r\n");
      // the defaults themselves are still accepted
      assertThat(c.call("CONFIG", "SET", "tls-port", "0", "tls-cert-file", "",
          "tls-auth-clients", "yes")).isEqualTo("+OK\r\n");
    }
  }
}
