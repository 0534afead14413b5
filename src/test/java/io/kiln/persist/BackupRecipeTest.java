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
}
