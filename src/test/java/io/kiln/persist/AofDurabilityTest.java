package io.kiln.persist;

import static io.kiln.persist.AofTestSupport.await;
import static io.kiln.persist.AofTestSupport.clientLine;
import static io.kiln.persist.LoadSupport.config;
import static io.kiln.persist.LoadSupport.info;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.persist.AofTestSupport.HeldFsync;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What appendfsync always releases while an fsync runs, and what a failing disk does, with the
 * AOF writer's test seam ({@link AofWriter#faults}) holding fsyncs and failing writes. Runs on the
 * test thread; the seam's hooks run on the writer's threads.
 */
class AofDurabilityTest {
  @TempDir
  Path dir;

  @AfterEach
  void noFaults() {
    AofWriter.faults = AofWriter.NO_FAULTS;
  }

  @Test
  void alwaysHoldsOnlyTheRepliesThatReflectOrFollowAnUnsyncedWrite() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes", "appendfsync", "always"));
        RespClient writer = kiln.client(); RespClient reader = kiln.client();
        RespClient bystander = kiln.client()) {
      assertThat(writer.call("SET", "untouched", "u")).isEqualTo("+OK\r\n"); // synced: replied
      writer.call("CLIENT", "SETNAME", "writer");
      reader.call("CLIENT", "SETNAME", "reader");
      HeldFsync held = new HeldFsync();
      AofWriter.faults = held;

      writer.send("SET", "k", "v");
      assertThat(held.entered.await(10, TimeUnit.SECONDS)).as("the fsync started").isTrue();
      writer.send("PING"); // queued behind its own unsynced write
      reader.send("GET", "k"); // reads the unsynced write
      // A read of a key untouched since the last fsync is answered while the fsync runs.
      assertThat(bystander.call("GET", "untouched")).isEqualTo("$1\r\nu\r\n");
      await(() -> clientLine(bystander, "reader").contains("cmd=get")
          && !clientLine(bystander, "reader").contains("omem=0 ")
          && clientLine(bystander, "writer").contains("cmd=ping"), "both commands ran");
      assertThat(writer.pendingBytes()).as("the writer's replies wait for the fsync").isZero();
      assertThat(reader.pendingBytes()).as("the reader's reply waits for the fsync").isZero();

      held.release.countDown();
      assertThat(writer.readReply()).isEqualTo("+OK\r\n");
      assertThat(writer.readReply()).isEqualTo("+PONG\r\n");
      assertThat(reader.readReply()).isEqualTo("$1\r\nv\r\n");
    }
  }

  @Test
  void aFailedWriteRefusesWritesWithMisconfUntilTheDiskRecovers() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "appendfsync", "everysec")); RespClient c = kiln.client()) {
      AofWriter.faults = new AofWriter.Faults() {
        @Override
        public void beforeWrite(long offset, long bytes) throws IOException {
          throw new IOException("No space left on device");
        }
      };
      assertThat(c.call("SET", "a", "1")).isEqualTo("+OK\r\n"); // everysec: answered at once
      await(() -> info(c, "aof_last_write_status").equals("err"), "the write error reported");
      assertThat(c.call("SET", "b", "2"))
          .isEqualTo("-MISCONF Errors writing to the AOF file: No space left on device\r\n");
      assertThat(c.call("GET", "a")).as("reads keep working").isEqualTo("$1\r\n1\r\n");

      AofWriter.faults = AofWriter.NO_FAULTS; // the disk has room again: the retry writes
      await(() -> info(c, "aof_last_write_status").equals("ok"), "the retry succeeded");
      assertThat(c.call("SET", "b", "2")).isEqualTo("+OK\r\n");
    }
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes"));
        RespClient c = kiln.client()) {
      assertThat(c.call("MGET", "a", "b")).isEqualTo("*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    }
  }

  @Test
  void underAlwaysAWriteTheDiskRefusedIsNotAcknowledged() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes", "appendfsync", "always"));
        RespClient c = kiln.client(); RespClient other = kiln.client()) {
      AofWriter.faults = new AofWriter.Faults() {
        @Override
        public void beforeWrite(long offset, long bytes) throws IOException {
          throw new IOException("Input/output error");
        }
      };
      c.send("SET", "a", "1");
      await(() -> info(other, "aof_last_write_status").equals("err"), "the write error reported");
      assertThat(c.pendingBytes()).as("no acknowledgement of a write not in the file").isZero();
      assertThat(other.call("SET", "b", "2"))
          .isEqualTo("-MISCONF Errors writing to the AOF file: Input/output error\r\n");
      AofWriter.faults = AofWriter.NO_FAULTS;
      assertThat(c.readReply()).isEqualTo("+OK\r\n"); // once the retry wrote and fsynced it
    }
  }

  @Test
  void everysecWritesAnywayAfterTwoSecondsBehindASlowFsync() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "appendfsync", "everysec")); RespClient c = kiln.client()) {
      HeldFsync held = new HeldFsync();
      AofWriter.faults = held;
      c.call("SET", "first", "1"); // written; the fsync a second later hangs
      assertThat(held.entered.await(10, TimeUnit.SECONDS)).as("the fsync started").isTrue();
      assertThat(info(c, "aof_pending_bio_fsync")).isEqualTo("1");
      long size = Long.parseLong(info(c, "aof_current_size"));
      assertThat(c.call("SET", "second", "2")).isEqualTo("+OK\r\n"); // answered at once
      // held back while the fsync runs, then written anyway after 2 s, and counted
      await(() -> Long.parseLong(info(c, "aof_current_size")) > size, "the postponed write");
      assertThat(info(c, "aof_delayed_fsync")).isEqualTo("1");
      assertThat(info(c, "aof_pending_bio_fsync")).as("the fsync still runs").isEqualTo("1");
      held.release.countDown();
      await(() -> info(c, "aof_pending_bio_fsync").equals("0"), "the fsync ended");
    }
  }

  @Test
  void appendfsyncSwitchesAtRuntime() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes", "appendfsync", "no"));
        RespClient c = kiln.client()) {
      for (String policy : new String[] {"always", "everysec", "no", "always"}) {
        assertThat(c.call("CONFIG", "SET", "appendfsync", policy)).isEqualTo("+OK\r\n");
        assertThat(c.call("SET", "k:" + policy, "v")).isEqualTo("+OK\r\n");
      }
      assertThat(c.call("CONFIG", "GET", "appendfsync"))
          .isEqualTo("*2\r\n$11\r\nappendfsync\r\n$6\r\nalways\r\n");
    }
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes"));
        RespClient c = kiln.client()) {
      assertThat(c.call("DBSIZE")).isEqualTo(":3\r\n");
    }
  }
}
