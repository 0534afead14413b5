package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * INFO errorstats and commandstats' failed_calls as Redis 7.0 counts them (tests/unit/info.tcl):
 * an error is charged to the innermost command that replied it (a queued command, not its EXEC;
 * nothing to CONFIG RESETSTAT, which lowers the count), and a blocked command that ends in an
 * error (CLIENT UNBLOCK, a BLMOVE served to a destination of another type) fails. Test thread.
 */
class ErrorStatsTest {
  private static String field(RespClient c, String section, String name) {
    return c.infoField(section, name);
  }

  private static String cmdstat(RespClient c, String cmd) {
    String line = field(c, "commandstats", "cmdstat_" + cmd);
    return line.replaceAll("usec=\\d+,usec_per_call=[0-9.]+,", "");
  }

  private static void waitFor(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within the deadline").isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  @Test
  void aFailedQueuedCommandFailsItselfNotItsExec() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.call("CONFIG", "RESETSTAT");
      c.call("MULTI");
      c.call("SET", "a", "b");
      c.call("AUTH", "a");
      assertThat(c.call("EXEC")).startsWith("*2\r\n+OK\r\n-ERR AUTH");
      assertThat(field(c, "errorstats", "errorstat_ERR")).isEqualTo("count=1");
      assertThat(cmdstat(c, "set")).isEqualTo("calls=1,rejected_calls=0,failed_calls=0");
      assertThat(cmdstat(c, "auth")).isEqualTo("calls=1,rejected_calls=0,failed_calls=1");
      assertThat(cmdstat(c, "exec")).isEqualTo("calls=1,rejected_calls=0,failed_calls=0");
      assertThat(field(c, "stats", "total_error_replies")).isEqualTo("1");
      // EXEC's own error is EXEC's
      assertThat(c.call("EXEC")).isEqualTo("-ERR EXEC without MULTI\r\n");
      assertThat(cmdstat(c, "exec")).isEqualTo("calls=2,rejected_calls=0,failed_calls=1");
      assertThat(field(c, "errorstats", "errorstat_ERR")).isEqualTo("count=2");
      assertThat(field(c, "stats", "total_error_replies")).isEqualTo("2");
    }
  }

  @Test
  void configResetstatAfterErrorsIsNotAFailedCall() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.call("NOSUCHCOMMAND");
      c.call("GET");
      assertThat(c.call("CONFIG", "RESETSTAT")).isEqualTo("+OK\r\n");
      assertThat(cmdstat(c, "config|resetstat")).isEqualTo("calls=1,rejected_calls=0,failed_calls=0");
      assertThat(field(c, "stats", "total_error_replies")).isEqualTo("0");
    }
  }

  @Test
  void aBlockedCommandThatEndsInAnErrorFails() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client();
        RespClient blocked = kiln.client()) {
      String id = blocked.call("CLIENT", "ID").replaceAll("[^0-9]", "");
      c.call("CONFIG", "RESETSTAT");
      blocked.send("BLPOP", "list1{t}", "0");
      waitFor(() -> field(c, "clients", "blocked_clients").equals("1"));
      assertThat(c.call("CLIENT", "UNBLOCK", id, "ERROR")).isEqualTo(":1\r\n");
      assertThat(blocked.readReply())
          .isEqualTo("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
      assertThat(field(c, "errorstats", "errorstat_UNBLOCKED")).isEqualTo("count=1");
      assertThat(cmdstat(c, "blpop")).isEqualTo("calls=1,rejected_calls=0,failed_calls=1");
      assertThat(field(c, "stats", "total_error_replies")).isEqualTo("1");

      // served normally: not failed, and its latency is tracked once it ends
      blocked.send("BLPOP", "list1{t}", "0");
      waitFor(() -> field(c, "clients", "blocked_clients").equals("1"));
      c.call("LPUSH", "list1{t}", "a");
      assertThat(blocked.readReply()).isEqualTo("*2\r\n$8\r\nlist1{t}\r\n$1\r\na\r\n");
      assertThat(cmdstat(c, "blpop")).isEqualTo("calls=2,rejected_calls=0,failed_calls=1");
      assertThat(field(c, "latencystats", "latency_percentiles_usec_blpop"))
          .matches("p50=[0-9.]+,p99=[0-9.]+,p99\\.9=[0-9.]+");

      // served into a destination of another type: WRONGTYPE, a failed call
      c.call("SET", "dst", "string");
      blocked.send("BLMOVE", "src", "dst", "LEFT", "LEFT", "0");
      waitFor(() -> field(c, "clients", "blocked_clients").equals("1"));
      c.call("RPUSH", "src", "a");
      assertThat(blocked.readReply()).startsWith("-WRONGTYPE");
      assertThat(cmdstat(c, "blmove")).isEqualTo("calls=1,rejected_calls=0,failed_calls=1");
      assertThat(field(c, "errorstats", "errorstat_WRONGTYPE")).isEqualTo("count=1");
    }
  }
}
