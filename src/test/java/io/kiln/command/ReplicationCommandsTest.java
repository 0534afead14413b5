package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.resp.Errors;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * redis-cli --rdb and --functions-rdb against Kiln (tests/integration/redis-cli.tcl's "Dumping an
 * RDB"): REPLCONF rdb-only 1 then SYNC sends a point-in-time RDB that DEBUG RELOAD NOSAVE loads
 * back, the whole dataset or only the functions; a SYNC that would start replication is refused.
 * Test thread; redis-cli runs as a child process (skipped where it is not installed).
 */
class ReplicationCommandsTest {
  private static final String CLI = "/usr/bin/redis-cli";
  private static final String LIB1 = "#!lua name=lib1\nredis.register_function('func1', "
      + "function() return 123 end)";
  private static final String OTHER = "#!lua name=other\nredis.register_function('other', "
      + "function() return 456 end)";

  private static String cli(int port, String... args) throws Exception {
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(CLI, "-p",
        Integer.toString(port)));
    cmd.addAll(java.util.List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  private static void dumpAndReload(boolean functionsOnly) throws Exception {
    Assumptions.assumeTrue(new File(CLI).canExecute(), "redis-cli is not installed");
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes");
        RespClient c = kiln.client()) {
      Path dir = Path.of(kiln.kiln().config().getString("dir"));
      assertThat(c.call("DEBUG", "POPULATE", "1000", "key", "100")).isEqualTo("+OK\r\n");
      c.call("SET", "ttl", "v", "EX", "1000");
      assertThat(c.call("FUNCTION", "LOAD", LIB1)).isEqualTo("$4\r\nlib1\r\n");
      String digest = c.call("DEBUG", "DIGEST");
      Path file = dir.resolve("cli.rdb");
      String out = cli(kiln.port(), functionsOnly ? "--functions-rdb" : "--rdb", file.toString());
      assertThat(out).contains("Transfer finished with success");
      assertThat(file).isRegularFile();
      try (var files = Files.list(dir)) {
        assertThat(files.filter(f -> f.getFileName().toString().startsWith("temp-")))
            .as("the temp file of the SYNC is gone").isEmpty();
      }
      Files.move(file, dir.resolve("dump.rdb"), StandardCopyOption.REPLACE_EXISTING);
      c.call("SET", "should-not-exist", "1");
      c.call("FUNCTION", "LOAD", OTHER);
      assertThat(c.call("DEBUG", "RELOAD", "NOSAVE")).isEqualTo("+OK\r\n");
      assertThat(c.call("GET", "should-not-exist")).isEqualTo("$-1\r\n");
      String libs = c.call("FUNCTION", "LIST");
      assertThat(libs).contains("lib1").doesNotContain("other");
      if (functionsOnly) {
        assertThat(c.call("DBSIZE")).isEqualTo(":0\r\n");
      } else {
        assertThat(c.call("DBSIZE")).isEqualTo(":1001\r\n");
        assertThat(c.call("DEBUG", "DIGEST")).isEqualTo(digest);
        assertThat(c.call("TTL", "ttl")).matches(":\\d+\r\n").isNotEqualTo(":-1\r\n");
      }
    }
  }

  @Test
  void redisCliRdbDumpsTheDatasetThatDebugReloadNosaveLoadsBack() throws Exception {
    dumpAndReload(false);
  }

  @Test
  void redisCliFunctionsRdbDumpsOnlyTheFunctions() throws Exception {
    dumpAndReload(true);
  }

  @Test
  void syncWithoutRdbOnlyIsRefusedAndReloadOptionsAreChecked() throws Exception {
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes");
        RespClient c = kiln.client()) {
      assertThat(c.call("SYNC")).isEqualTo("-" + Errors.SYNC_NOT_RDB_ONLY + "\r\n");
      assertThat(c.call("REPLCONF", "rdb-only", "1")).isEqualTo("+OK\r\n");
      assertThat(c.call("REPLCONF", "rdb-only", "0")).isEqualTo("+OK\r\n");
      assertThat(c.call("SYNC")).isEqualTo("-" + Errors.SYNC_NOT_RDB_ONLY + "\r\n");
      assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
      assertThat(c.call("DEBUG", "RELOAD", "MERGE")).isEqualTo(
          "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n");
    }
  }
}
