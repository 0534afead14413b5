package io.kiln.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigRewriteTest {
  @TempDir Path tmp;

  private Path write(String... lines) throws Exception {
    Path file = tmp.resolve("kiln.conf");
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  @Test
  void replacesInPlaceKeepsCommentsAndAppendsNewDirectives() throws Exception {
    Path file = write("# My server", "timeout 5", "", "# memory", "maxmemory 100mb",
        "save 900 1", "save 300 10");
    Config c = Config.load(file.toString(), List.of());
    c.set(List.of("timeout", "7", "maxmemory-policy", "allkeys-lru", "save", "60 5"));
    c.rewrite();
    assertThat(Files.readAllLines(file)).containsExactly(
        "# My server", "timeout 7", "", "# memory", "maxmemory 100mb", "save 60 5", "",
        ConfigRewriter.SIGNATURE,
        "dir " + ConfigRewriter.repr(Path.of("").toAbsolutePath().toString()),
        "maxmemory-policy allkeys-lru",
        "latency-tracking-info-percentiles 50 99 99.9");
  }

  @Test
  void rewrittenFileLoadsBackTheSameValues() throws Exception {
    Path file = write("port 7001", "requirepass \"pa ss\"");
    Config c = Config.load(file.toString(), List.of());
    c.set(List.of("notify-keyspace-events", "Kx", "client-output-buffer-limit",
        "normal 1mb 2mb 60 pubsub 32mb 8mb 60", "save", ""));
    c.rewrite();
    Config again = Config.load(file.toString(), List.of());
    assertThat(again.get(List.of("*"))).isEqualTo(c.get(List.of("*")));
  }

  @Test
  void dropsLinesOfDirectivesNowUnsetKeepsThoseAtDefault() throws Exception {
    Path file = write("maxclients 50", "requirepass secret", "port 7001");
    Config c = Config.load(file.toString(), List.of());
    c.set(List.of("maxclients", "10000", "requirepass", ""));
    c.rewrite();
    assertThat(Files.readAllLines(file)).startsWith("maxclients 10000", "", "port 7001");
  }

  @Test
  void keepsLinesItDoesNotRewrite() throws Exception {
    Path other = tmp.resolve("other.conf");
    Files.writeString(other, "timeout 5\n");
    Path file = write("include " + other, "port 7001");
    Config.load(file.toString(), List.of()).rewrite();
    assertThat(Files.readAllLines(file)).startsWith("include " + other, "port 7001");
  }

  @Test
  void withoutAConfigFileRewriteFails() {
    assertThatThrownBy(() -> Config.defaults().rewrite())
        .isInstanceOf(ConfigException.class)
        .hasMessage("ERR The server is running without a config file");
  }
}
