package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.SharedKiln;
import io.kiln.support.TestKiln;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Misbehaving clients get Redis's exact error or are dropped, while a well-behaved client keeps
 * being served. Runs on the test thread.
 */
class RobustnessTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln("client-query-buffer-limit", "1mb");

  /** The other client is served correctly. */
  private static void bystanderIsServed(RespClient other, String tag) {
    assertThat(other.call("PING")).isEqualTo("+PONG\r\n");
    assertThat(other.call("SET", "bystander", tag)).isEqualTo("+OK\r\n");
    assertThat(other.call("GET", "bystander")).isEqualTo("$" + tag.length() + "\r\n" + tag + "\r\n");
  }

  @Test
  void garbageGetsAnErrorAndTheConnectionCloses() {
    try (RespClient bad = kiln.client(); RespClient good = kiln.client()) {
      bad.sendRaw("*1\r\n\u0001\u0002garbage\r\n");
      assertThat(bad.readReply()).isEqualTo("-ERR Protocol error: expected '$', got '\u0001'\r\n");
      assertThat(bad.closedByServer()).isTrue();
      bystanderIsServed(good, "after-garbage");
    }
  }

  @Test
  void aNewlineInAProtocolErrorIsSentAsASpace() {
    try (RespClient bad = kiln.client()) {
      bad.sendRaw("*1\r\r\n$4\r\nPING\r\n");
      assertThat(bad.readReply()).isEqualTo("-ERR Protocol error: expected '$', got ' '\r\n");
      assertThat(bad.closedByServer()).isTrue();
    }
  }

  @Test
  void binaryGarbageInlineIsAnUnknownCommandNotACrash() {
    try (RespClient bad = kiln.client(); RespClient good = kiln.client()) {
      bad.sendRaw("\u00ff\u00fe\u0001x\r\n");
      assertThat(bad.readReply()).startsWith("-ERR unknown command");
      assertThat(bad.call("PING")).isEqualTo("+PONG\r\n");
      bystanderIsServed(good, "after-binary");
    }
  }

  @Test
  void twoGigabyteBulkLengthIsRefused() {
    try (RespClient bad = kiln.client(); RespClient good = kiln.client()) {
      bad.sendRaw("*2\r\n$3\r\nGET\r\n$2147483648\r\n");
      assertThat(bad.readReply()).isEqualTo("-ERR Protocol error: invalid bulk length\r\n");
      assertThat(bad.closedByServer()).isTrue();
      bystanderIsServed(good, "after-2gb");
    }
  }

  @Test
  void hugeMultibulkCountCostsNothingUntilSent() {
    try (RespClient bad = kiln.client(); RespClient good = kiln.client()) {
      bad.sendRaw("*1048576\r\n");
      bystanderIsServed(good, "mbulk-1");
      for (int i = 0; i < 5; i++) {
        bad.sendRaw("$3\r\nabc\r\n");
        bystanderIsServed(good, "mbulk-" + i);
      }
      bad.close();
      bystanderIsServed(good, "mbulk-closed");
    }
  }

  @Test
  void halfAFrameThenSilenceDoesNotDisturbOthers() {
    try (RespClient bad = kiln.client(); RespClient good = kiln.client()) {
      bad.sendRaw("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc");
      bystanderIsServed(good, "half-frame");
      // the half frame completes later and runs
      bad.sendRaw("defghij\r\n");
      assertThat(bad.readReply()).isEqualTo("+OK\r\n");
      assertThat(good.call("GET", "k")).isEqualTo("$10\r\nabcdefghij\r\n");
    }
  }

  @Test
  void queryBufferLimitClosesTheClient() {
    try (RespClient bad = kiln.client(); RespClient good = kiln.client()) {
      bad.sendRaw("*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$2097152\r\n");
      byte[] chunk = new byte[64 * 1024];
      boolean closed = false;
      try {
        for (int i = 0; i < 24 && !closed; i++) { // 1.5 MB of a 2 MB bulk
          bad.sendRaw(chunk);
        }
      } catch (RuntimeException writeFailed) {
        closed = true; // the server closed while we were still writing
      }
      assertThat(closed || bad.closedByServer()).isTrue();
      bystanderIsServed(good, "after-qbuf");
      assertThat(good.call("EXISTS", "q")).isEqualTo(":0\r\n");
    }
  }

  @Test
  void authGating() throws Exception {
    try (TestKiln secured = TestKiln.start("requirepass", "s3cret");
        RespClient c = secured.client()) {
      assertThat(c.call("GET", "k")).isEqualTo("-NOAUTH Authentication required.\r\n");
      assertThat(c.call("AUTH", "wrong"))
          .isEqualTo("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
      assertThat(c.call("AUTH", "s3cret")).isEqualTo("+OK\r\n");
      assertThat(c.call("SET", "k", "v")).isEqualTo("+OK\r\n");
      // after AUTH the normal limits apply: 11 arguments are fine
      assertThat(c.call("MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5"))
          .isEqualTo("+OK\r\n");
    }
  }

  @Test
  void unauthenticatedMultibulkLimit() throws Exception {
    try (TestKiln secured = TestKiln.start("requirepass", "s3cret");
        RespClient c = secured.client(); RespClient d = secured.client()) {
      c.sendRaw("*11\r\n");
      assertThat(c.readReply())
          .isEqualTo("-ERR Protocol error: unauthenticated multibulk length\r\n");
      assertThat(c.closedByServer()).isTrue();
      d.sendRaw("*2\r\n$4\r\nAUTH\r\n$16385\r\n");
      assertThat(d.readReply()).isEqualTo("-ERR Protocol error: unauthenticated bulk length\r\n");
      assertThat(d.closedByServer()).isTrue();
    }
  }

  @Test
  void announcingHugeBulksDoesNotReserveTheirMemory() {
    // 16 clients each announce a bulk just under proto-max-bulk-len (512 MB) and send nothing:
    // 8 GB if reserved up front, more than the test JVM's heap
    List<RespClient> bad = new ArrayList<>();
    try (RespClient good = kiln.client()) {
      for (int i = 0; i < 16; i++) {
        RespClient c = kiln.client();
        bad.add(c);
        c.sendRaw("*2\r\n$3\r\nGET\r\n$536870000\r\n");
        bystanderIsServed(good, "announce-" + i);
      }
      for (RespClient c : bad) {
        c.sendRaw("abc");
      }
      bystanderIsServed(good, "announced");
    } finally {
      bad.forEach(RespClient::close);
    }
  }
}
