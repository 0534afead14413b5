package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import org.junit.jupiter.api.Test;

/**
 * INFO latencystats and the slowlog measure a command that ends later by its whole time: DEBUG
 * SLEEP (which holds only its caller in Kiln, the whole server in Redis) counts the sleep, as
 * tests/unit/info.tcl's "latencystats: measure latency" and the slowlog tests expect. Test
 * thread.
 */
class LatencyStatsTest {
  private static String field(RespClient c, String section, String name) {
    return c.infoField(section, name);
  }

  @Test
  void debugSleepIsMeasuredByItsWholeSleep() throws Exception {
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes"); RespClient c = kiln.client()) {
      c.call("CONFIG", "RESETSTAT");
      c.call("CONFIG", "SET", "latency-tracking", "yes");
      c.call("CONFIG", "SET", "latency-tracking-info-percentiles", "50.0");
      c.call("CONFIG", "SET", "slowlog-log-slower-than", "40000");
      c.call("SLOWLOG", "RESET");
      assertThat(c.call("DEBUG", "SLEEP", "0.05")).isEqualTo("+OK\r\n");
      c.call("SET", "k", "v");
      String debug = field(c, "latencystats", "latency_percentiles_usec_debug");
      assertThat(debug).matches("p50=[0-9]+\\.[0-9]{3}");
      assertThat(Double.parseDouble(debug.substring(4))).isGreaterThanOrEqualTo(50000);
      assertThat(field(c, "latencystats", "latency_percentiles_usec_set")).startsWith("p50=");
      String stat = field(c, "commandstats", "cmdstat_debug");
      long usec = Long.parseLong(stat.replaceAll("calls=1,usec=(\\d+),.*", "$1"));
      assertThat(usec).isGreaterThanOrEqualTo(50000);
      // one slowlog entry: the sleep, logged once when it ended
      assertThat(c.call("SLOWLOG", "LEN")).isEqualTo(":1\r\n");
      assertThat(c.call("SLOWLOG", "GET")).contains("$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n");
      c.call("CONFIG", "RESETSTAT");
      assertThat(field(c, "latencystats", "latency_percentiles_usec_debug")).isEmpty();
    }
  }

  @Test
  void latencyTrackingOffRecordsNothing() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.call("CONFIG", "SET", "latency-tracking", "no");
      c.call("CONFIG", "RESETSTAT");
      c.call("SET", "a", "b");
      assertThat(field(c, "latencystats", "latency_percentiles_usec_set")).isEmpty();
      c.call("CONFIG", "SET", "latency-tracking", "yes");
      c.call("SET", "a", "b");
      assertThat(field(c, "latencystats", "latency_percentiles_usec_set"))
          .matches("p50=[0-9.]+,p99=[0-9.]+,p99\\.9=[0-9.]+");
    }
  }
}
