package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.SharedKiln;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * WATCH across connections and over time: a watched key touched by another client's write, by
 * its expiry or by a flush fails the EXEC; untouched, EXEC runs. Test thread.
 */
class TransactionsTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();
  private RespClient a;
  private RespClient b;

  @BeforeEach
  void connect() {
    a = kiln.client();
    b = kiln.client();
    a.call("FLUSHALL");
  }

  private String watchThenExec(Runnable meanwhile) {
    assertThat(a.call("WATCH", "k")).isEqualTo("+OK\r\n");
    meanwhile.run();
    a.call("MULTI");
    a.call("SET", "k", "from-a");
    return a.call("EXEC");
  }

  @Test
  void anUntouchedWatchedKeyLetsExecRun() {
    a.call("SET", "k", "v");
    assertThat(watchThenExec(() -> b.call("SET", "other", "x"))).isEqualTo("*1\r\n+OK\r\n");
  }

  @Test
  void anotherClientsWriteFailsExec() {
    a.call("SET", "k", "v");
    assertThat(watchThenExec(() -> b.call("APPEND", "k", "x"))).isEqualTo("*-1\r\n");
    assertThat(a.call("GET", "k")).isEqualTo("$2\r\nvx\r\n");
  }

  @Test
  void theKeysExpiryFailsExec() {
    a.call("SET", "k", "v", "PX", "30");
    assertThat(watchThenExec(() -> {
      long deadline = System.nanoTime() + 5_000_000_000L;
      // wait until the key is logically expired (no client touches it meanwhile)
      while (System.currentTimeMillis() < Long.parseLong(b.call("PEXPIRETIME", "k")
          .substring(1).trim()) + 1) {
        assertThat(System.nanoTime()).isLessThan(deadline);
        Thread.onSpinWait();
      }
    })).isEqualTo("*-1\r\n");
  }

  @Test
  void aFlushFailsExec() {
    a.call("SET", "k", "v");
    assertThat(watchThenExec(() -> b.call("FLUSHDB"))).isEqualTo("*-1\r\n");
  }

  @Test
  void aQueueTimeErrorAbortsTheWholeTransaction() {
    a.call("MULTI");
    assertThat(a.call("SET", "k")).startsWith("-ERR wrong number of arguments");
    assertThat(a.call("SET", "k", "v")).isEqualTo("+QUEUED\r\n");
    assertThat(a.call("EXEC"))
        .isEqualTo("-EXECABORT Transaction discarded because of previous errors.\r\n");
    assertThat(a.call("EXISTS", "k")).isEqualTo(":0\r\n");
  }

  @Test
  void smoveOfAMemberTheDestinationHasLeavesItsWatchAlone() {
    a.call("SADD", "src", "m", "n");
    a.call("SADD", "k", "m");
    assertThat(a.call("WATCH", "k")).isEqualTo("+OK\r\n");
    a.call("MULTI");
    a.call("SADD", "k", "c");
    assertThat(b.call("SMOVE", "src", "k", "m")).isEqualTo(":1\r\n");
    assertThat(a.call("EXEC")).isEqualTo("*1\r\n:1\r\n");
    assertThat(a.call("WATCH", "k")).isEqualTo("+OK\r\n");
    a.call("MULTI");
    a.call("SCARD", "k");
    assertThat(b.call("SMOVE", "src", "k", "n")).isEqualTo(":1\r\n"); // a new member: it fires
    assertThat(a.call("EXEC")).isEqualTo("*-1\r\n");
  }

  @Test
  void execOfAQueuedWriteIsRefusedOverMaxmemory() {
    a.call("MULTI");
    a.call("SET", "k", "1");
    a.call("GET", "k");
    try {
      assertThat(b.call("CONFIG", "SET", "maxmemory", "1")).isEqualTo("+OK\r\n");
      assertThat(a.call("EXEC")).isEqualTo("-EXECABORT Transaction discarded because of: OOM "
          + "command not allowed when used memory > 'maxmemory'.\r\n");
      assertThat(a.call("MULTI")).isEqualTo("+OK\r\n"); // the transaction is over
      a.call("GET", "k");
      assertThat(a.call("EXEC")).isEqualTo("*1\r\n$-1\r\n"); // reads still run
    } finally {
      b.call("CONFIG", "SET", "maxmemory", "0");
    }
  }
}
