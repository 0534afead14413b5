package io.kiln.command;

import static io.kiln.command.BlockingTest.blocked;
import static io.kiln.command.BlockingTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.SharedKiln;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CLIENT PAUSE and UNPAUSE over real connections: what a WRITE and an ALL pause hold, what they
 * let through, how a pause ends, and that held commands run in order. Test thread; conditions
 * are polled with a deadline (a held command shows in INFO blocked_clients).
 */
class ClientPauseTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln("enable-debug-command", "yes");

  @BeforeEach
  void flush() {
    try (RespClient c = kiln.client()) {
      c.call("CLIENT", "UNPAUSE");
      c.call("FLUSHALL");
      waitFor(() -> blocked(c) == 0);
    }
  }

  @AfterEach
  void unpause() {
    try (RespClient c = kiln.client()) {
      c.call("CLIENT", "UNPAUSE");
    }
  }

  @Test
  void writePauseLetsReadsThroughAndHoldsWritesUntilUnpause() {
    try (RespClient p = kiln.client(); RespClient w = kiln.client()) {
      p.call("SET", "k", "old");
      assertThat(p.call("CLIENT", "PAUSE", "60000", "WRITE")).isEqualTo("+OK\r\n");
      w.send("SET", "k", "new");
      waitFor(() -> blocked(p) == 1);
      assertThat(p.call("GET", "k")).isEqualTo("$3\r\nold\r\n");
      assertThat(p.call("CLIENT", "LIST")).contains("flags=b ").contains("cmd=set ");
      assertThat(p.call("CLIENT", "UNPAUSE")).isEqualTo("+OK\r\n");
      assertThat(w.readReply()).isEqualTo("+OK\r\n");
      assertThat(p.call("GET", "k")).isEqualTo("$3\r\nnew\r\n");
      assertThat(blocked(p)).isZero();
    }
  }

  @Test
  void writePauseHoldsMayReplicateCommandsAndWritingScriptsButNotReadOnlyOnes() {
    try (RespClient p = kiln.client(); RespClient a = kiln.client();
        RespClient b = kiln.client(); RespClient c = kiln.client()) {
      p.call("PFADD", "h", "x");
      p.call("CLIENT", "PAUSE", "60000", "WRITE");
      assertThat(p.call("EVAL", "#!lua flags=no-writes\nreturn 7", "0")).isEqualTo(":7\r\n");
      a.send("PUBLISH", "ch", "m");
      b.send("PFCOUNT", "h");
      c.send("EVAL", "return 1", "0");
      waitFor(() -> blocked(p) == 3);
      p.call("CLIENT", "UNPAUSE");
      assertThat(a.readReply()).isEqualTo(":0\r\n");
      assertThat(b.readReply()).isEqualTo(":1\r\n");
      assertThat(c.readReply()).isEqualTo(":1\r\n");
    }
  }

  @Test
  void heldCommandsRunInArrivalOrderAndEachClientsPipelineInOrder() {
    try (RespClient p = kiln.client(); RespClient a = kiln.client(); RespClient b = kiln.client();
        RespClient c = kiln.client()) {
      p.call("CLIENT", "PAUSE", "60000", "WRITE");
      a.send("SET", "k", "1");
      waitFor(() -> blocked(p) == 1);
      b.send("SET", "k", "2");
      waitFor(() -> blocked(p) == 2);
      c.send("APPEND", "k", "3");
      c.send("GET", "k");
      c.send("INCR", "n");
      waitFor(() -> blocked(p) == 3);
      p.call("CLIENT", "UNPAUSE");
      assertThat(a.readReply()).isEqualTo("+OK\r\n");
      assertThat(b.readReply()).isEqualTo("+OK\r\n");
      assertThat(c.readReply()).isEqualTo(":2\r\n");
      assertThat(c.readReply()).isEqualTo("$2\r\n23\r\n");
      assertThat(c.readReply()).isEqualTo(":1\r\n");
    }
  }

  @Test
  void allPauseHoldsReadsUntilItsTimeoutEnds() {
    try (RespClient p = kiln.client(); RespClient r = kiln.client()) {
      p.call("SET", "k", "v");
      long t0 = System.nanoTime();
      assertThat(p.call("CLIENT", "PAUSE", "300", "ALL")).isEqualTo("+OK\r\n");
      assertThat(r.call("GET", "k")).isEqualTo("$1\r\nv\r\n");
      assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(250);
    }
  }

  @Test
  void aLaterPauseKeepsTheLongerDeadlineAndTheStricterKind() {
    try (RespClient p = kiln.client(); RespClient r = kiln.client(); RespClient w = kiln.client()) {
      long t0 = System.nanoTime();
      p.call("CLIENT", "PAUSE", "400", "WRITE");
      p.call("CLIENT", "PAUSE", "50", "ALL"); // ALL now, until the 400 ms of the first
      assertThat(r.call("PING")).isEqualTo("+PONG\r\n");
      assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(350);

      p.call("CLIENT", "PAUSE", "60000", "WRITE");
      p.call("CLIENT", "PAUSE", "10", "WRITE"); // does not shorten it
      w.send("SET", "k", "v");
      waitFor(() -> blocked(p) == 1);
      assertThat(p.call("DEBUG", "SLEEP", "0.1")).isEqualTo("+OK\r\n"); // past the 10 ms
      assertThat(blocked(p)).isEqualTo(1);
      p.call("CLIENT", "UNPAUSE");
      assertThat(w.readReply()).isEqualTo("+OK\r\n");
    }
  }

  @Test
  void errorsAreAnsweredAtOnceDuringAPause() {
    try (RespClient p = kiln.client()) {
      p.call("CLIENT", "PAUSE", "60000", "WRITE");
      assertThat(p.call("SET", "k")).isEqualTo(
          "-ERR wrong number of arguments for 'set' command\r\n");
      assertThat(p.call("NOSUCH")).startsWith("-ERR unknown command 'NOSUCH'");
      assertThat(p.call("CLIENT", "PAUSE", "x")).isEqualTo(
          "-ERR timeout is not an integer or out of range\r\n");
      assertThat(p.call("CLIENT", "PAUSE", "-1")).isEqualTo("-ERR timeout is negative\r\n");
      assertThat(p.call("CLIENT", "PAUSE", "10", "READ")).isEqualTo(
          "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n");
      assertThat(blocked(p)).isZero();
    }
  }

  @Test
  void keysPastTheirTtlReadAsMissingButAreNotDeletedWhilePaused() {
    try (RespClient p = kiln.client()) {
      long expiredBefore = stat(p, "expired_keys");
      p.call("SET", "e", "v", "PX", "20");
      p.call("CLIENT", "PAUSE", "60000", "WRITE");
      waitFor(() -> p.call("GET", "e").equals("$-1\r\n"));
      assertThat(p.call("PTTL", "e")).isEqualTo(":-2\r\n");
      assertThat(p.call("DBSIZE")).isEqualTo(":1\r\n"); // still there
      assertThat(stat(p, "expired_keys")).isEqualTo(expiredBefore);
      p.call("CLIENT", "UNPAUSE");
      assertThat(p.call("GET", "e")).isEqualTo("$-1\r\n");
      assertThat(stat(p, "expired_keys")).isEqualTo(expiredBefore + 1);
      assertThat(p.call("DBSIZE")).isEqualTo(":0\r\n");
    }
  }

  @Test
  void aPauseSetInsideMultiTakesEffectAfterTheTransaction() {
    try (RespClient p = kiln.client(); RespClient w = kiln.client()) {
      p.call("MULTI");
      p.call("SET", "a", "1");
      p.call("CLIENT", "PAUSE", "60000", "WRITE");
      p.call("SET", "b", "2");
      assertThat(p.call("EXEC")).isEqualTo("*3\r\n+OK\r\n+OK\r\n+OK\r\n");
      assertThat(p.call("MGET", "a", "b")).isEqualTo("*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
      w.send("SET", "c", "3");
      waitFor(() -> blocked(p) == 1);
      assertThat(p.call("EXISTS", "c")).isEqualTo(":0\r\n");
      p.call("CLIENT", "UNPAUSE");
      assertThat(w.readReply()).isEqualTo("+OK\r\n");
    }
  }

  @Test
  void execOfAWritingTransactionIsHeldAndOfAReadingOneIsNot() {
    try (RespClient p = kiln.client(); RespClient w = kiln.client()) {
      p.call("SET", "k", "v");
      w.call("MULTI");
      w.call("SET", "k", "w");
      p.call("CLIENT", "PAUSE", "60000", "WRITE");
      p.call("MULTI");
      p.call("GET", "k");
      assertThat(p.call("EXEC")).isEqualTo("*1\r\n$1\r\nv\r\n");
      w.send("EXEC");
      waitFor(() -> blocked(p) == 1);
      p.call("CLIENT", "UNPAUSE");
      assertThat(w.readReply()).isEqualTo("*1\r\n+OK\r\n");
    }
  }

  @Test
  void clientUnblockLeavesAHeldCommandHeld() {
    try (RespClient p = kiln.client(); RespClient w = kiln.client()) {
      String id = w.call("CLIENT", "ID").substring(1).trim();
      p.call("CLIENT", "PAUSE", "60000", "WRITE");
      w.send("SET", "k", "v");
      waitFor(() -> blocked(p) == 1);
      assertThat(p.call("CLIENT", "UNBLOCK", id, "ERROR")).isEqualTo(":0\r\n");
      assertThat(blocked(p)).isEqualTo(1);
      assertThat(p.call("EXISTS", "k")).isEqualTo(":0\r\n");
      p.call("CLIENT", "UNPAUSE");
      assertThat(w.readReply()).isEqualTo("+OK\r\n");
    }
  }

  @Test
  void aHeldClientThatDisconnectsIsForgotten() {
    try (RespClient p = kiln.client()) {
      p.call("CLIENT", "PAUSE", "60000", "WRITE");
      try (RespClient w = kiln.client()) {
        w.send("SET", "gone", "v");
        waitFor(() -> blocked(p) == 1);
      }
      waitFor(() -> blocked(p) == 0);
      p.call("CLIENT", "UNPAUSE");
      assertThat(p.call("EXISTS", "gone")).isEqualTo(":0\r\n");
    }
  }

  private static long stat(RespClient c, String field) {
    String info = c.call("INFO", "stats");
    int i = info.indexOf(field + ":");
    return Long.parseLong(info.substring(i + field.length() + 1, info.indexOf('\r', i)));
  }
}
