package io.kiln.persist;

import static io.kiln.persist.LoadSupport.config;
import static io.kiln.persist.LoadSupport.info;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.persist.LoadSupport.Key;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** appendonly yes across restarts: what was acknowledged comes back. Test thread. */
class AofRestartTest {
  @TempDir
  Path dir;

  @Test
  void appendonlyYesKeepsEveryKeyAcrossRestarts() throws Exception {
    // The old trap: dump.rdb was skipped with appendonly yes and overwritten at the next save.
    LoadSupport.write(dir.resolve("dump.rdb"), new Key(0, "from-dump", "1", -1));
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes"));
        RespClient c = kiln.client()) {
      assertThat(c.call("GET", "from-dump")).isEqualTo("$1\r\n1\r\n");
      assertThat(info(c, "aof_enabled")).isEqualTo("1");
      for (int i = 0; i < 1000; i++) {
        c.send("SET", "k:" + i, "v:" + i);
      }
      for (int i = 0; i < 1000; i++) {
        assertThat(c.readReply()).isEqualTo("+OK\r\n");
      }
    }
    assertThat(Files.exists(dir.resolve("appendonly.aof"))).isTrue();
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes"));
        RespClient c = kiln.client()) {
      assertThat(c.call("DBSIZE")).isEqualTo(":1001\r\n");
      assertThat(c.call("GET", "k:999")).isEqualTo("$5\r\nv:999\r\n");
      c.call("SET", "one", "more");
    }
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes"));
        RespClient c = kiln.client()) {
      assertThat(c.call("DBSIZE")).isEqualTo(":1002\r\n");
      assertThat(c.call("GET", "from-dump")).isEqualTo("$1\r\n1\r\n");
    }
  }

  @Test
  void relativeExpiryIsWrittenAsAnAbsoluteTime() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes"));
        RespClient c = kiln.client()) {
      c.call("SET", "k", "v", "EX", "1000");
      c.call("EXPIRE", "k", "2000");
      c.call("INCRBYFLOAT", "f", "1.5");
    }
    String aof = Files.readString(dir.resolve("appendonly.aof"), StandardCharsets.ISO_8859_1);
    assertThat(aof).contains("PXAT").contains("PEXPIREAT").doesNotContain("EX\r\n")
        .doesNotContain("INCRBYFLOAT");
  }

  @Test
  void debugLoadaofReloadsTheFileWithoutWritingItAgain() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "enable-debug-command", "yes"));
        RespClient c = kiln.client()) {
      c.call("RPUSH", "l", "a", "b", "c");
      c.call("SET", "s", "v", "PX", "3600000");
      c.call("INCR", "n");
      String digest = c.call("DEBUG", "DIGEST");
      assertThat(c.call("DEBUG", "LOADAOF")).isEqualTo("+OK\r\n"); // written out first
      assertThat(c.call("DEBUG", "DIGEST")).isEqualTo(digest);
      String size = info(c, "aof_current_size");
      c.call("SET", "after", "1"); // the second load also waits for what came since
      digest = c.call("DEBUG", "DIGEST");
      assertThat(c.call("DEBUG", "LOADAOF")).isEqualTo("+OK\r\n");
      assertThat(c.call("DEBUG", "DIGEST")).isEqualTo(digest);
      assertThat(Long.parseLong(info(c, "aof_current_size"))).as("only SET after was added")
          .isEqualTo(Long.parseLong(size) + "*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n1\r\n".length());
      assertThat(c.call("INCR", "n")).isEqualTo(":2\r\n"); // and writes are recorded after it
    }
    try (TestKiln kiln = TestKiln.start(config(dir, "enable-debug-command", "yes"));
        RespClient c = kiln.client()) {
      // appendonly off: the file left there is loaded all the same, as Redis 7.0 loads it
      assertThat(c.call("DBSIZE")).isEqualTo(":0\r\n");
      assertThat(c.call("DEBUG", "LOADAOF")).isEqualTo("+OK\r\n");
      assertThat(c.call("GET", "n")).isEqualTo("$1\r\n2\r\n");
      assertThat(c.call("DBSIZE")).isEqualTo(":4\r\n");
    }
  }
}
