package io.kiln.persist;

import static io.kiln.persist.AofTestSupport.await;
import static io.kiln.persist.LoadSupport.config;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.persist.AofTestSupport.HeldFsync;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WAITAOF (Redis 7.2's): answered once the connection's writes so far are fsynced, with
 * [local, replicas]; what each fsync policy gives it, and its errors. The writer's test seam
 * holds fsyncs to show the wait. Runs on the test thread.
 */
class AofWaitTest {
  private static final String LOCAL = "*2\r\n:1\r\n:0\r\n";
  private static final String NONE = "*2\r\n:0\r\n:0\r\n";

  @TempDir
  Path dir;

  @AfterEach
  void noFaults() {
    AofWriter.faults = AofWriter.NO_FAULTS;
  }

  @Test
  void everysecAnswersOnceTheNextFsyncCoversTheWrite() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "appendfsync", "everysec")); RespClient c = kiln.client();
        RespClient admin = kiln.client()) {
      assertThat(c.call("WAITAOF", "1", "0", "0")).as("nothing written yet").isEqualTo(LOCAL);
      HeldFsync held = new HeldFsync();
      AofWriter.faults = held;
      c.call("INCR", "foo");
      c.send("WAITAOF", "1", "0", "0");
      assertThat(held.entered.await(10, TimeUnit.SECONDS)).as("the fsync started").isTrue();
      await(() -> admin.call("INFO", "clients").contains("blocked_clients:1\r\n"), "WAITAOF blocked");
      assertThat(c.pendingBytes()).as("no answer before the fsync").isZero();
      held.release.countDown();
      assertThat(c.readReply()).isEqualTo(LOCAL);
      assertThat(c.call("GET", "foo")).as("the client goes on").isEqualTo("$1\r\n1\r\n");
    }
  }

  @Test
  void alwaysAnswersAtOnceAfterTheWritesReply() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes", "appendfsync", "always"));
        RespClient c = kiln.client()) {
      assertThat(c.call("INCR", "foo")).isEqualTo(":1\r\n");
      assertThat(c.call("WAITAOF", "1", "0", "0")).isEqualTo(LOCAL);
    }
  }

  @Test
  void underAppendfsyncNoTheWaitEndsAtTheTimeoutWithZero() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes", "appendfsync", "no"));
        RespClient c = kiln.client()) {
      c.call("INCR", "foo");
      long t0 = System.nanoTime();
      assertThat(c.call("WAITAOF", "1", "0", "50")).isEqualTo(NONE);
      assertThat(System.nanoTime() - t0).as("it waited for the timeout")
          .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(40));
      // switched to everysec, the next fsync covers it
      c.call("CONFIG", "SET", "appendfsync", "everysec");
      c.call("INCR", "foo");
      assertThat(c.call("WAITAOF", "1", "0", "0")).isEqualTo(LOCAL);
    }
  }

  @Test
  void replicasThatDoNotExistAreWaitedForUntilTheTimeout() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes", "appendfsync", "always"));
        RespClient c = kiln.client()) {
      c.call("INCR", "foo");
      assertThat(c.call("WAITAOF", "1", "1", "30")).isEqualTo(LOCAL);
      assertThat(c.call("WAITAOF", "0", "0", "0")).isEqualTo(LOCAL);
    }
  }

  @Test
  void aWaiterGetsAnErrorWhenTheAofIsSwitchedOff() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes", "appendfsync", "no"));
        RespClient c = kiln.client(); RespClient admin = kiln.client()) {
      c.call("INCR", "foo");
      c.send("WAITAOF", "1", "0", "0");
      await(() -> admin.call("INFO", "clients").contains("blocked_clients:1\r\n"), "WAITAOF blocked");
      assertThat(admin.call("CONFIG", "SET", "appendonly", "no")).isEqualTo("+OK\r\n");
      assertThat(c.readReply()).isEqualTo("-ERR WAITAOF cannot be used when numlocal is set but "
          + "appendonly is disabled.\r\n");
      assertThat(c.call("WAITAOF", "1", "0", "0")).startsWith("-ERR WAITAOF cannot be used");
      assertThat(c.call("WAITAOF", "0", "0", "0")).isEqualTo(NONE);
    }
  }

  @Test
  void insideMultiItAnswersAtOnce() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes", "appendfsync", "no"));
        RespClient c = kiln.client()) {
      c.call("MULTI");
      c.call("INCR", "foo");
      c.call("WAITAOF", "1", "0", "0");
      assertThat(c.call("EXEC")).isEqualTo("*2\r\n:1\r\n" + NONE);
    }
  }

  @Test
  void argumentErrorsAreRedisOnes() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes"));
        RespClient c = kiln.client()) {
      assertThat(c.call("WAITAOF", "-1", "0", "0"))
          .isEqualTo("-ERR value is out of range, must be positive\r\n");
      assertThat(c.call("WAITAOF", "x", "0", "0"))
          .isEqualTo("-ERR value is not an integer or out of range\r\n");
      assertThat(c.call("WAITAOF", "1", "0", "-1")).isEqualTo("-ERR timeout is negative\r\n");
      assertThat(c.call("WAITAOF", "1", "0", "x"))
          .isEqualTo("-ERR timeout is not an integer or out of range\r\n");
      assertThat(c.call("WAITAOF", "1", "0"))
          .isEqualTo("-ERR wrong number of arguments for 'waitaof' command\r\n");
    }
  }
}
