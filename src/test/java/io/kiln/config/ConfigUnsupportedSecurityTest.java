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
 * Security directives Kiln parses but cannot honour yet (TLS, ACL files, unix sockets) fail
 * closed: any value but the default is refused at startup and by CONFIG SET, while a redis.conf
 * that spells out the defaults still loads. Runs on the test thread.
 */
class ConfigUnsupportedSecurityTest {
  private static final String TLS = "TLS is not supported yet by Kiln";
  private static final String UNIX = "unix sockets are not supported yet by Kiln";

  @TempDir Path tmp;

  /** name -> {a non-default value, the reason it is refused}. */
  private static Map<String, String[]> refused() {
    Map<String, String[]> m = new LinkedHashMap<>();
    m.put("unixsocket", new String[] {"/tmp/kiln.sock", UNIX});
    m.put("unixsocketperm", new String[] {"700", UNIX});
    m.put("tls-port", new String[] {"6380", TLS});
    for (String name : List.of("tls-cert-file", "tls-key-file", "tls-key-file-pass",
        "tls-client-cert-file", "tls-client-key-file", "tls-client-key-file-pass",
        "tls-dh-params-file", "tls-ca-cert-file", "tls-ca-cert-dir")) {
      m.put(name, new String[] {"/etc/kiln/x.pem", TLS});
    }
    m.put("tls-auth-clients", new String[] {"optional", TLS});
    m.put("tls-replication", new String[] {"yes", TLS});
    m.put("tls-cluster", new String[] {"yes", TLS});
    m.put("tls-protocols", new String[] {"TLSv1.2", TLS});
    m.put("tls-ciphers", new String[] {"DEFAULT:!MEDIUM", TLS});
    m.put("tls-ciphersuites", new String[] {"TLS_CHACHA20_POLY1305_SHA256", TLS});
    m.put("tls-prefer-server-ciphers", new String[] {"yes", TLS});
    m.put("tls-session-caching", new String[] {"no", TLS});
    m.put("tls-session-cache-size", new String[] {"5000", TLS});
    m.put("tls-session-cache-timeout", new String[] {"60", TLS});
    return m;
  }

  private String file(String name, String... lines) throws Exception {
    Path path = tmp.resolve(name);
    Files.writeString(path, String.join("\n", lines) + "\n");
    return path.toString();
  }

  @Test
  void everyTlsDirectiveIsCovered() {
    List<String> tls = Directives.all().stream().map(Directive::name)
        .filter(n -> n.startsWith("tls-")).toList();
    assertThat(refused().keySet()).containsAll(tls);
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
    assertThatThrownBy(() -> Config.load(null, List.of("--tls-port", "6380")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'tls-port' bad value '6380': " + TLS);
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
                  + TLS + "\r\n");
        } else { // unixsocket, unixsocketperm are immutable, as in Redis
          assertThat(c.call("CONFIG", "SET", name, e.getValue()[0])).as(name)
              .isEqualTo("-ERR CONFIG SET failed (possibly related to argument '" + name + "') - "
                  + "can't set immutable config\r\n");
        }
      }
      // all-or-nothing: a refused TLS value takes the valid change beside it down too
      assertThat(c.call("CONFIG", "SET", "hz", "20", "tls-port", "6380"))
          .startsWith("-ERR CONFIG SET failed (possibly related to argument 'tls-port')");
      assertThat(c.call("CONFIG", "GET", "hz")).isEqualTo("*2\r\n$2\r\nhz\r\n$2\r\n10\r\n");
      assertThat(c.call("CONFIG", "GET", "tls-port"))
          .isEqualTo("*2\r\n$8\r\ntls-port\r\n$1\r\n0\r\n");
      // the defaults themselves are still accepted
      assertThat(c.call("CONFIG", "SET", "tls-port", "0", "tls-cert-file", "",
          "tls-auth-clients", "yes")).isEqualTo("+OK\r\n");
    }
  }
}
