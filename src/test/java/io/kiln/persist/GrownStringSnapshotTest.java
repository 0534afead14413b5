package io.kiln.persist;

import static io.kiln.persist.LoadSupport.config;
import static io.kiln.persist.SnapshotTest.cmd;
import static io.kiln.persist.SnapshotTest.readStrings;
import static io.kiln.persist.SnapshotTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Strings written in place (APPEND, SETRANGE, SETBIT past 512 bytes: GrowableString) and the
 * snapshot's point in time: a save running while they change writes their bytes of its start,
 * whether a write came before the walk reached them or after (the view shares their chunks); the
 * AOF and its rewrite give them back. On a real Kiln. Test thread.
 */
class GrownStringSnapshotTest {
  @TempDir
  Path dir;

  /** 2.5 MiB over ten chunks, built by 40 APPENDs of 64 KiB. */
  private static String grow(RespClient c, String key) {
    StringBuilder all = new StringBuilder();
    StringBuilder pipeline = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      String part = String.valueOf((char) ('a' + i % 26)).repeat(64 * 1024);
      all.append(part);
      pipeline.append(cmd("APPEND", key, part));
    }
    c.sendRaw(pipeline.toString());
    for (int i = 0; i < 40; i++) {
      c.readReply();
    }
    return all.toString();
  }

  private static void filler(RespClient c, int n) {
    StringBuilder pipeline = new StringBuilder();
    for (int i = 0; i < n; i++) {
      pipeline.append(cmd("SET", "f" + i, "v" + i));
    }
    c.sendRaw(pipeline.toString());
    for (int i = 0; i < n; i++) {
      c.readReply();
    }
  }

  /** The writes a test makes while the save runs, applied to the expected strings too. */
  private static void writeDuring(RespClient c, StringBuilder big, StringBuilder mid) {
    StringBuilder pipeline = new StringBuilder();
    pipeline.append(cmd("SETRANGE", "big", "0", "HEAD")); // in place in the first chunk
    big.replace(0, 4, "HEAD");
    pipeline.append(cmd("SETRANGE", "big", "1048570", "ACROSS-THE-EDGE")); // two chunks
    big.replace(1048570, 1048585, "ACROSS-THE-EDGE");
    for (int i = 0; i < 100; i++) {
      pipeline.append(cmd("APPEND", "big", "tail" + i)); // into the shared last chunk
      big.append("tail").append(i);
    }
    pipeline.append(cmd("SETRANGE", "big", String.valueOf(big.length()), "x".repeat(2_000_000)));
    big.append("x".repeat(2_000_000)); // new chunks
    pipeline.append(cmd("SETRANGE", "mid", "10", "MID")); // a one-chunk grown string
    mid.replace(10, 13, "MID");
    pipeline.append(cmd("APPEND", "mid", "+end"));
    mid.append("+end");
    c.sendRaw(pipeline.toString());
    for (int i = 0; i < 105; i++) {
      assertThat(c.readReply()).doesNotStartWith("-");
    }
  }

  private void saveWhileWriting(boolean afterTheWalk) throws Exception {
    int n = 10_000;
    // 100 us per key on the writer: the save lasts about a second
    try (TestKiln kiln = TestKiln.start("dir", dir.toString(), "rdb-key-save-delay", "100");
        RespClient c = kiln.client()) {
      kiln.awaitRehearsal(); // its made-up saves are not to overlap the big writes here
      filler(c, n);
      String bigBefore = grow(c, "big");
      c.call("SET", "mid", "m".repeat(600));
      c.call("APPEND", "mid", "0123456789");
      String midBefore = "m".repeat(600) + "0123456789";
      c.call("SETBIT", "bits", "9000", "1");
      c.call("SETBIT", "bits", "9001", "1");
      assertThat(c.call("OBJECT", "ENCODING", "big")).isEqualTo("$3\r\nraw\r\n");

      assertThat(c.call("BGSAVE")).isEqualTo("+Background saving started\r\n");
      if (afterTheWalk) {
        // every key captured (the grown strings as views): the writer still has a second to go
        waitFor(() -> c.call("INFO", "persistence")
            .contains("current_save_keys_processed:" + (n + 3)));
      }
      StringBuilder big = new StringBuilder(bigBefore);
      StringBuilder mid = new StringBuilder(midBefore);
      writeDuring(c, big, mid);
      assertThat(c.call("SETBIT", "bits", "9000", "0")).isEqualTo(":1\r\n");
      assertThat(c.call("INFO", "persistence")).as("the writes overlapped the save")
          .contains("rdb_bgsave_in_progress:1");
      waitFor(() -> c.call("INFO", "persistence").contains("rdb_bgsave_in_progress:0"));
      assertThat(c.call("INFO", "persistence")).contains("rdb_last_bgsave_status:ok");

      Map<String, String> saved = readStrings(dir.resolve("dump.rdb"));
      assertThat(saved.get("big")).as("big as at the save's start").isEqualTo(bigBefore);
      assertThat(saved.get("mid")).isEqualTo(midBefore);
      byte[] bits = saved.get("bits").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
      assertThat(bits).hasSize(1126);
      assertThat(bits[1125]).isEqualTo((byte) 0xC0);

      // the live values have every write
      assertThat(c.call("STRLEN", "big")).isEqualTo(":" + big.length() + "\r\n");
      assertThat(c.call("GET", "big")).isEqualTo("$" + big.length() + "\r\n" + big + "\r\n");
      assertThat(c.call("GET", "mid")).isEqualTo("$" + mid.length() + "\r\n" + mid + "\r\n");
      assertThat(c.call("GETBIT", "bits", "9000")).isEqualTo(":0\r\n");

      // after the save a write below the old length goes in place again, and reads back right
      c.call("SETRANGE", "big", "5", "after");
      big.replace(5, 10, "after");
      assertThat(c.call("GETRANGE", "big", "0", "15"))
          .isEqualTo("$16\r\n" + big.substring(0, 16) + "\r\n");

      // and what the next save writes is the value now
      assertThat(c.call("SAVE")).isEqualTo("+OK\r\n");
      assertThat(readStrings(dir.resolve("dump.rdb")).get("big")).isEqualTo(big.toString());
    }
  }

  @Test
  void aBgsaveKeepsGrownStringsAsAtItsStartWhenWrittenBeforeTheWalkReachesThem()
      throws Exception {
    saveWhileWriting(false);
  }

  @Test
  void aBgsaveKeepsGrownStringsAsAtItsStartWhenWrittenAfterTheWalkCapturedThem()
      throws Exception {
    saveWhileWriting(true);
  }

  @Test
  void debugReloadKeepsAGrownString() throws Exception {
    try (TestKiln kiln = TestKiln.start("dir", dir.toString(), "enable-debug-command", "yes");
        RespClient c = kiln.client()) {
      kiln.awaitRehearsal(); // its made-up saves are not to overlap the big writes here
      String big = grow(c, "big");
      c.call("SETBIT", "big", "30000000", "1"); // byte 3750000, past a gap of zeros
      String digest = c.call("DEBUG", "DIGEST");
      String head = c.call("GETRANGE", "big", "0", "99");
      assertThat(c.call("DEBUG", "RELOAD")).isEqualTo("+OK\r\n");
      assertThat(c.call("DEBUG", "DIGEST")).isEqualTo(digest);
      assertThat(c.call("GETRANGE", "big", "0", "99")).isEqualTo(head);
      assertThat(big.length()).isLessThan(2_700_000);
      assertThat(c.call("STRLEN", "big")).isEqualTo(":3750001\r\n");
      assertThat(c.call("BITCOUNT", "big", "2700000", "-1", "BYTE")).isEqualTo(":1\r\n");
      // loaded back as an array, it grows in place again
      c.call("APPEND", "big", "more");
      assertThat(c.call("GETRANGE", "big", "-4", "-1")).isEqualTo("$4\r\nmore\r\n");
    }
  }

  @Test
  void theAofAndItsRewriteGiveGrownStringsBack() throws Exception {
    String big;
    String digest;
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "aof-use-rdb-preamble", "no", "enable-debug-command", "yes"));
        RespClient c = kiln.client()) {
      kiln.awaitRehearsal(); // its made-up saves are not to overlap the big writes here
      big = grow(c, "big");
      c.call("SETRANGE", "big", "1048575", "EDGE");
      big = big.substring(0, 1048575) + "EDGE" + big.substring(1048579);
      c.call("SETBIT", "bits", "10000", "1");
      c.call("BITFIELD", "bits", "SET", "u32", "9990", "123456789");
      digest = c.call("DEBUG", "DIGEST");
      // the rewrite's base writes the grown strings as SET commands; then more appends follow
      assertThat(c.call("BGREWRITEAOF")).startsWith("+Background append only file rewriting");
      for (int i = 0; i < 50; i++) {
        c.call("APPEND", "big", "after" + i);
        big += "after" + i;
      }
      waitFor(() -> c.call("INFO", "persistence").contains("aof_rewrite_in_progress:0"));
      assertThat(c.call("INFO", "persistence")).contains("aof_last_bgrewrite_status:ok");
      assertThat(c.call("GET", "big")).isEqualTo("$" + big.length() + "\r\n" + big + "\r\n");
      digest = c.call("DEBUG", "DIGEST");
    }
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "enable-debug-command", "yes"));
        RespClient c = kiln.client()) {
      kiln.awaitRehearsal(); // its made-up saves are not to overlap the big writes here
      assertThat(c.call("GET", "big")).isEqualTo("$" + big.length() + "\r\n" + big + "\r\n");
      assertThat(c.call("DEBUG", "DIGEST")).isEqualTo(digest);
    }
  }
}
