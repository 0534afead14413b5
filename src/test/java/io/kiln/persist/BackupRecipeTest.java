package io.kiln.persist;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backup recipe of the README, step by step as backup scripts do it: BGSAVE, poll INFO
 * persistence until rdb_bgsave_in_progress:0, copy dump.rdb, stop; restore by dropping the copy
 * into the `dir` of a fresh server and starting it.
 */
class BackupRecipeTest {
  @Test
  void bgsaveCopyAndRestoreIntoAFreshServer(@TempDir Path live, @TempDir Path backups,
      @TempDir Path fresh) throws Exception {
    int n = 10_000;
    try (TestKiln kiln = TestKiln.start("dir", live.toString()); RespClient c = kiln.client()) {
      StringBuilder pipeline = new StringBuilder();
      for (int i = 0; i < n; i++) {
        pipeline.append(SnapshotTest.cmd("SET", "key:" + i, "value:" + i));
      }
      c.sendRaw(pipeline.toString());
      for (int i = 0; i < n; i++) {
        c.readReply();
      }
      assertThat(c.call("BGSAVE")).isEqualTo("+Background saving started\r\n");
      SnapshotTest.waitFor(() -> c.call("INFO", "persistence")
          .contains("rdb_bgsave_in_progress:0"));
      assertThat(c.call("INFO", "persistence")).contains("rdb_last_bgsave_status:ok");
      Files.copy(live.resolve("dump.rdb"), backups.resolve("dump-backup.rdb"));
    }
    Files.copy(backups.resolve("dump-backup.rdb"), fresh.resolve("dump.rdb"),
        StandardCopyOption.REPLACE_EXISTING);
    try (TestKiln restored = TestKiln.start("dir", fresh.toString());
        RespClient c = restored.client()) {
      assertThat(c.call("DBSIZE")).isEqualTo(":" + n + "\r\n");
      assertThat(c.call("GET", "key:1234")).isEqualTo("$10\r\nvalue:1234\r\n");
    }
  }

  /**
   * The AOF as backup scripts copy it: while writes run, under always, a copy of appendonly.aof
   * is loadable (aof-load-truncated cuts a write caught halfway) and holds at least every write
   * acknowledged before the copy began.
   */
  @Test
  void aCopyOfTheAofTakenWhileWritesRunRestores(@TempDir Path live, @TempDir Path fresh)
      throws Exception {
    long ackedBeforeCopy;
    try (TestKiln kiln = TestKiln.start("dir", live.toString(), "appendonly", "yes",
        "appendfsync", "always"); RespClient c = kiln.client(); RespClient w = kiln.client()) {
      java.util.concurrent.atomic.AtomicLong acked = new java.util.concurrent.atomic.AtomicLong();
      java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
      Thread writer = new Thread(() -> {
        while (!stop.get()) {
          w.call("INCR", "counter");
          acked.incrementAndGet();
        }
      });
      writer.start();
      try {
        SnapshotTest.waitFor(() -> acked.get() > 200);
        ackedBeforeCopy = acked.get();
        Files.copy(live.resolve("appendonly.aof"), fresh.resolve("appendonly.aof"));
        c.call("BGREWRITEAOF"); // a rewrite meanwhile changes nothing for the copy taken
      } finally {
        stop.set(true);
        writer.join();
      }
    }
    try (TestKiln restored = TestKiln.start("dir", fresh.toString(), "appendonly", "yes");
        RespClient c = restored.client()) {
      String v = c.call("GET", "counter");
      long got = Long.parseLong(v.substring(v.indexOf('\n') + 1).trim());
      assertThat(got).as("every write acknowledged before the copy").isGreaterThanOrEqualTo(
          ackedBeforeCopy);
    }
  }
}
