package io.kiln.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoadTest {
  @TempDir Path tmp;

  private String file(String name, String... lines) throws Exception {
    Path path = tmp.resolve(name);
    Files.writeString(path, String.join("\n", lines) + "\n");
    return path.toString();
  }

  private Config load(String... lines) throws Exception {
    return Config.load(file("test.conf", lines), List.of());
  }

  @Test
  void defaultsAreRedis70s() {
    Config c = Config.defaults();
    assertThat(c.getInt("port")).isEqualTo(6379);
    assertThat(c.getString("save")).isEqualTo("3600 1 300 100 60 10000");
    assertThat(c.savePoints()).containsExactly(
        new SavePoint(3600, 1), new SavePoint(300, 100), new SavePoint(60, 10000));
    assertThat(c.bindAddresses()).containsExactly("*", "-::*");
    assertThat(c.getString("dir")).isEqualTo(Path.of("").toAbsolutePath().toString());
    assertThat(c.configFile()).isNull();
  }

  @Test
  void commentsBlankLinesAndCaseInsensitiveNames() throws Exception {
    Config c = load("# a comment with an 'odd quote", "", "   PORT 7001", "  # indented comment");
    assertThat(c.getInt("port")).isEqualTo(7001);
  }

  @Test
  void laterLinesOverrideEarlierOnes() throws Exception {
    assertThat(load("port 7001", "port 7002").getInt("port")).isEqualTo(7002);
  }

  @Test
  void memoryUnits() throws Exception {
    Config c = load("maxmemory 2k", "repl-backlog-size 2KB", "proto-max-bulk-len 3m",
        "client-query-buffer-limit 3Mb", "auto-aof-rewrite-min-size 1g", "active-defrag-ignore-bytes 1gb");
    assertThat(c.getLong("maxmemory")).isEqualTo(2000);
    assertThat(c.getLong("repl-backlog-size")).isEqualTo(2048);
    assertThat(c.getLong("proto-max-bulk-len")).isEqualTo(3_000_000);
    assertThat(c.getLong("client-query-buffer-limit")).isEqualTo(3 * 1024 * 1024);
    assertThat(c.getLong("auto-aof-rewrite-min-size")).isEqualTo(1_000_000_000);
    assertThat(c.getString("active-defrag-ignore-bytes")).isEqualTo("1073741824");
  }

  @Test
  void booleans() throws Exception {
    Config c = load("activedefrag YES", "protected-mode no");
    assertThat(c.getBool("activedefrag")).isTrue();
    assertThat(c.getBool("protected-mode")).isFalse();
  }

  @Test
  void saveLinesAccumulateAndReplaceTheDefaults() throws Exception {
    Config c = load("save 900 1", "save 300 10 60 10000");
    assertThat(c.savePoints()).containsExactly(
        new SavePoint(900, 1), new SavePoint(300, 10), new SavePoint(60, 10000));
    assertThat(c.getString("save")).isEqualTo("900 1 300 10 60 10000");
  }

  @Test
  void emptySaveClearsAllSavePoints() throws Exception {
    assertThat(load("save 900 1", "save \"\"").savePoints()).isEmpty();
  }

  @Test
  void includeReadsAnotherFileInPlace() throws Exception {
    String included = file("extra.conf", "port 7005", "loglevel warning");
    Config c = load("port 7001", "include " + included, "loglevel debug");
    assertThat(c.getInt("port")).isEqualTo(7005);
    assertThat(c.getString("loglevel")).isEqualTo("debug");
  }

  @Test
  void includeWithWildcardReadsMatchingFilesInOrder() throws Exception {
    Files.createDirectory(tmp.resolve("conf.d"));
    Files.writeString(tmp.resolve("conf.d/a.conf"), "port 7001\n");
    Files.writeString(tmp.resolve("conf.d/b.conf"), "port 7002\n");
    assertThat(load("include " + tmp.resolve("conf.d/*.conf")).getInt("port")).isEqualTo(7002);
  }

  @Test
  void aliasesSetTheCanonicalDirective() throws Exception {
    Config c = load("hash-max-ziplist-entries 100", "slaveof 10.0.0.1 6380", "slave-read-only no");
    assertThat(c.getInt("hash-max-listpack-entries")).isEqualTo(100);
    assertThat(c.getString("replicaof")).isEqualTo("10.0.0.1 6380");
    assertThat(c.getBool("replica-read-only")).isFalse();
  }

  @Test
  void unknownDirectiveNamesFileLineAndDirective() throws Exception {
    String path = file("bad.conf", "port 7000", "", "foo bar");
    assertThatThrownBy(() -> Config.load(path, List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage(path + ":3: unknown directive 'foo'");
  }

  @Test
  void badValueNamesFileLineDirectiveAndReason() throws Exception {
    String path = file("bad.conf", "port abc");
    assertThatThrownBy(() -> Config.load(path, List.of()))
        .hasMessage(path + ":1: 'port' bad value 'abc': argument couldn't be parsed into an integer");
  }

  @Test
  void unbalancedQuotesAreReportedWithTheLine() throws Exception {
    String path = file("bad.conf", "requirepass \"abc");
    assertThatThrownBy(() -> Config.load(path, List.of()))
        .hasMessage(path + ":1: unbalanced quotes in configuration line");
  }

  @Test
  void missingFileIsReported() {
    assertThatThrownBy(() -> Config.load("no-such.conf", List.of()))
        .hasMessage("cannot read config file 'no-such.conf': No such file or directory");
  }

  @Test
  void renameCommandIsRefused() throws Exception {
    String path = file("bad.conf", "rename-command FLUSHALL \"\"");
    assertThatThrownBy(() -> Config.load(path, List.of()))
        .hasMessage(path + ":1: 'rename-command' is not supported by Kiln");
  }

  @Test
  void aofWithoutAnRdbPreambleIsAccepted() throws Exception {
    Config c = Config.load(file("preamble.conf", "aof-use-rdb-preamble no"), List.of());
    assertThat(c.getBool("aof-use-rdb-preamble")).isFalse();
  }

  @Test
  void aQuotedMultiWordValueIsSplitAsRedisDoes() throws Exception {
    // how service files and containers pass it: one argument with spaces
    Config c = Config.load(file("q.conf", "save \"900 1 300 10\""),
        List.of("--client-output-buffer-limit", "pubsub 32mb 8mb 60"));
    assertThat(c.getString("save")).isEqualTo("900 1 300 10");
    assertThat(c.getString("client-output-buffer-limit")).contains("pubsub 33554432 8388608 60");
    assertThat(Config.load(null, List.of("--save", "3600 1")).getString("save"))
        .isEqualTo("3600 1");
    assertThat(Config.load(null, List.of("--save", "")).getString("save")).isEmpty();
  }

  @Test
  void aofRewriteCpulistIsRefusedRatherThanIgnored() throws Exception {
    String path = file("cpu.conf", "aof_rewrite_cpulist 1-3");
    assertThatThrownBy(() -> Config.load(path, List.of()))
        .hasMessageContaining("'aof_rewrite_cpulist' bad value '1-3'")
        .hasMessageContaining("use bgsave_cpulist");
    assertThat(Config.load(file("cpu0.conf", "aof_rewrite_cpulist \"\""), List.of())
        .getString("aof_rewrite_cpulist")).isEmpty();
  }

  @Test
  void appendOnlyYesLoads() throws Exception {
    assertThat(Config.load(file("aof.conf", "appendonly yes"), List.of()).getBool("appendonly"))
        .isTrue();
  }

  @Test
  void shardsLoadWithinTheirRange() throws Exception {
    assertThat(Config.load(file("shards.conf", "shards 4"), List.of()).getInt("shards"))
        .isEqualTo(4);
    String path = file("bad.conf", "shards 0");
    assertThatThrownBy(() -> Config.load(path, List.of()))
        .hasMessageStartingWith(path + ":1: 'shards' bad value '0'");
  }

  @Test
  void argvOverridesTheFile() throws Exception {
    Config c = Config.load(file("test.conf", "port 7001", "loglevel debug"),
        List.of("--port", "7000", "--loglevel", "verbose"));
    assertThat(c.getInt("port")).isEqualTo(7000);
    assertThat(c.getString("loglevel")).isEqualTo("verbose");
  }

  @Test
  void argvEmptyArgumentStaysAnArgument() throws Exception {
    Config c = Config.load(null, List.of("--save", "", "--bind", "127.0.0.1", "::1"));
    assertThat(c.savePoints()).isEmpty();
    assertThat(c.bindAddresses()).containsExactly("127.0.0.1", "::1");
  }

  @Test
  void argvErrorsSayCommandLine() {
    assertThatThrownBy(() -> Config.load(null, List.of("--port", "x")))
        .hasMessage("(command line): 'port' bad value 'x': argument couldn't be parsed into an integer");
  }

  @Test
  void configFileIsAbsolute() throws Exception {
    String path = file("test.conf", "port 7001");
    assertThat(Config.load(path, List.of()).configFile())
        .isEqualTo(Path.of(path).toAbsolutePath().toString());
  }

  @Test
  void bundledConfLoads() throws Exception {
    Config c = Config.load("conf/kiln.conf", List.of());
    assertThat(c.bindAddresses()).containsExactly("127.0.0.1", "-::1");
    assertThat(c.getInt("shards")).isEqualTo(1);
    assertThat(c.getString("save")).isEqualTo("3600 1 300 100 60 10000");
  }

  @Test
  void withSetsImmutableDirectivesForTests() throws Exception {
    Config c = Config.defaults().with("databases", "4").with("save", "10", "1");
    assertThat(c.getInt("databases")).isEqualTo(4);
    assertThat(c.savePoints()).containsExactly(new SavePoint(10, 1));
  }
}
