package io.kiln.persist;

import static io.kiln.persist.SnapshotTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * BGREWRITEAOF with appendonly off writes the AOF all the same, and DEBUG LOADAOF loads it back
 * (tests/unit/other.tcl's "Same dataset digest if saving/reloading as AOF?" and "EXPIRES after a
 * reload"), with either base format; one asked for during a BGSAVE is scheduled and runs after
 * it. Test thread.
 */
class OfflineAofRewriteTest {
  private static boolean rewritten(RespClient c, int count) {
    String info = c.call("INFO", "persistence");
    return info.contains("aof_rewrite_in_progress:0\r\n") && info.contains("aof_rewrite_scheduled:0")
        && info.contains("aof_rewrites:" + count + "\r\n");
  }

  @Test
  void aRewriteWithTheAofOffLoadsBackTheSameDataset() throws Exception {
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes");
        RespClient c = kiln.client()) {
      Path file = Path.of(kiln.kiln().config().getString("dir")).resolve("appendonly.aof");
      assertThat(c.call("DEBUG", "LOADAOF")).startsWith("-ERR"); // no file yet: nothing emptied
      c.call("DEBUG", "POPULATE", "1000");
      c.call("HSET", "h", "f", "v");
      c.call("SET", "x", "10", "EX", "1000");
      assertThat(c.call("DBSIZE")).isEqualTo(":1002\r\n");
      String digest = c.call("DEBUG", "DIGEST");
      int rewrites = 0;
      for (String preamble : new String[] {"no", "yes"}) {
        c.call("CONFIG", "SET", "aof-use-rdb-preamble", preamble);
        assertThat(c.call("BGREWRITEAOF"))
            .isEqualTo("+Background append only file rewriting started\r\n");
        int expected = ++rewrites;
        waitFor(() -> rewritten(c, expected));
        assertThat(file).isRegularFile();
        assertThat(c.call("INFO", "persistence")).contains("aof_enabled:0\r\n");
        c.call("SET", "after", "the rewrite"); // not in the file: the AOF is off
        assertThat(c.call("DEBUG", "LOADAOF")).isEqualTo("+OK\r\n");
        assertThat(c.call("DEBUG", "DIGEST")).as("preamble " + preamble).isEqualTo(digest);
        assertThat(c.call("EXISTS", "after")).isEqualTo(":0\r\n");
        long ttl = Long.parseLong(c.call("TTL", "x").substring(1).trim());
        assertThat(ttl).isBetween(900L, 1000L);
      }
      assertThat(Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1))
          .startsWith("REDIS");
    }
  }

  @Test
  void aRewriteAskedForDuringABgsaveIsScheduled() throws Exception {
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes", "rdb-key-save-delay",
        "20000"); RespClient c = kiln.client()) {
      for (int i = 0; i < 20; i++) {
        c.call("SET", "k" + i, "v");
      }
      assertThat(c.call("BGSAVE")).isEqualTo("+Background saving started\r\n");
      assertThat(c.call("BGREWRITEAOF"))
          .isEqualTo("+Background append only file rewriting scheduled\r\n");
      assertThat(c.call("INFO", "persistence")).contains("aof_rewrite_scheduled:1\r\n");
      waitFor(() -> rewritten(c, 1));
      assertThat(c.call("INFO", "persistence")).contains("rdb_bgsave_in_progress:0\r\n");
      c.call("FLUSHALL");
      assertThat(c.call("DEBUG", "LOADAOF")).isEqualTo("+OK\r\n");
      assertThat(c.call("DBSIZE")).isEqualTo(":20\r\n");
    }
  }
}
