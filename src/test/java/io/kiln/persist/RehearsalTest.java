package io.kiln.persist;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.kiln.config.Config;
import io.kiln.keyspace.Shard;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The startup rehearsal of the snapshot code ({@link Rehearsal}), on a real Kiln: it runs to the
 * end, and nothing a user sees (keys, INFO, LATENCY, files) shows it, not even a BGSAVE that
 * runs beside it.
 */
class RehearsalTest {
  @TempDir
  Path dir;

  /**
   * The temp files of {@code kiln}'s rehearsal still there (none before it starts): other test
   * classes' servers in this JVM rehearse too, into files of their own.
   */
  private static List<Path> rehearsalFiles(TestKiln kiln) throws Exception {
    Rehearsal r = kiln.kiln().rehearsal();
    if (r == null) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return files.filter(f -> f.getFileName().toString().startsWith(r.tempPrefix)).toList();
    }
  }

  private static List<Path> rehearsalFilesUnchecked(TestKiln kiln) {
    try {
      return rehearsalFiles(kiln);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The walk's branch for a table in the middle of growing is rehearsed too. */
  @Test
  void itsKeyspaceHoldsATableCaughtGrowing() {
    Shard shard = Rehearsal.keyspace(Config.defaults());
    assertThat(shard.db(1).table().isRehashing()).isTrue();
    assertThat(shard.db(0).table().isRehashing()).isFalse();
    assertThat(shard.db(1).size()).isGreaterThanOrEqualTo(Rehearsal.KEYS / 2);
    assertThat(shard.db(3).size()).isZero();
  }

  @Test
  void runsAtStartupAndLeavesNoTraceInTheKeyspaceInfoOrFiles() throws Exception {
    try (TestKiln kiln = TestKiln.start("dir", dir.toString(), "latency-monitor-threshold", "1");
        RespClient c = kiln.client()) {
      // fails the test if the rehearsal failed (a write error...) or saved nothing
      assertThat(kiln.awaitRehearsal()).as("keys of its last save").isGreaterThan(30_000);

      assertThat(c.call("DBSIZE")).isEqualTo(":0\r\n");
      for (int db = 1; db < 5; db++) {
        c.call("SELECT", Integer.toString(db));
        assertThat(c.call("DBSIZE")).as("db %d", db).isEqualTo(":0\r\n");
      }
      assertThat(c.call("INFO", "persistence")).contains("rdb_saves:0\r\n",
          "rdb_bgsave_in_progress:0\r\n", "rdb_last_bgsave_status:ok\r\n",
          "rdb_changes_since_last_save:0\r\n");
      assertThat(c.call("INFO", "stats")).contains("total_forks:0\r\n", "latest_fork_usec:0\r\n");
      assertThat(c.call("LATENCY", "HISTORY", "fork")).isEqualTo("*0\r\n");
      try (Stream<Path> files = Files.list(dir)) {
        assertThat(files).as("files in dir").isEmpty();
      }
      assertThat(rehearsalFiles(kiln)).as("the rehearsal's temp file").isEmpty();
    }
  }

  /**
   * A server stopped while a pass of the rehearsal runs (SHUTDOWN NOSAVE right after the start)
   * ends the rehearsal before its writer goes: no batch is sent to a writer no longer there
   * (Vert.x warned "Discarding message since the consumer is not registered" hundreds of times,
   * each request then waiting for its timeout), and the pass's temp file is removed.
   */
  @Test
  void aStopDuringTheRehearsalEndsItBeforeItsWriterGoes() throws Exception {
    Logger eventBus = (Logger) LoggerFactory.getLogger("io.vertx.core.eventbus");
    ListAppender<ILoggingEvent> warnings = new ListAppender<>();
    warnings.start();
    eventBus.addAppender(warnings);
    try {
      TestKiln kiln = TestKiln.start("dir", dir.toString());
      // the rehearsal's writer has a file open: one of its passes runs
      SnapshotTest.waitFor(() -> !rehearsalFilesUnchecked(kiln).isEmpty());
      try (RespClient c = kiln.client()) {
        c.call("SET", "k", "v"); // the server serves clients meanwhile
      }
      kiln.close();

      assertThat(kiln.kiln().rehearsal().future().failed()).as("the rehearsal was stopped")
          .isTrue();
      assertThat(warnings.list).extracting(ILoggingEvent::getFormattedMessage)
          .as("event-bus warnings while the server stopped").isEmpty();
      assertThat(rehearsalFiles(kiln)).as("the rehearsal's temp file").isEmpty();
    } finally {
      eventBus.detachAppender(warnings);
    }
  }

  @Test
  void aBgsaveBesideTheRehearsalWritesTheServersKeysOnly() throws Exception {
    try (TestKiln kiln = TestKiln.start("dir", dir.toString()); RespClient c = kiln.client()) {
      c.call("SET", "mine", "1");
      c.call("SELECT", "2");
      c.call("SET", "also-mine", "2");
      // the rehearsal's writer has a file open: one of its saves runs
      SnapshotTest.waitFor(() -> !rehearsalFilesUnchecked(kiln).isEmpty());
      assertThat(c.call("BGSAVE")).isEqualTo("+Background saving started\r\n");
      assertThat(kiln.kiln().rehearsal().future().isComplete()).as("the rehearsal still runs")
          .isFalse();
      SnapshotTest.waitFor(() -> c.call("INFO", "persistence").contains("rdb_bgsave_in_progress:0"));
      assertThat(c.call("INFO", "persistence")).contains("rdb_last_bgsave_status:ok\r\n",
          "rdb_saves:1\r\n");

      assertThat(SnapshotTest.readStrings(dir.resolve("dump.rdb")))
          .isEqualTo(Map.of("mine", "1", "also-mine", "2"));
      kiln.awaitRehearsal();
      assertThat(rehearsalFiles(kiln)).as("the rehearsal's temp file").isEmpty();
    }
  }
}
