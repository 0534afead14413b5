package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LATENCY with monitoring on: slow commands become "command" events. (Redis's own check uses
 * DEBUG SLEEP, which Kiln does not have yet: a KEYS over many keys is the slow command here.)
 */
class LatencyCommandsTest {
  @TempDir
  Path dir;

  /** Loads {@code n} keys with pipelined MSETs of 1000 keys each. */
  private static void load(RespClient c, int n) {
    int batches = n / 1000;
    for (int b = 0; b < batches; b++) {
      List<String> args = new ArrayList<>();
      args.add("MSET");
      for (int i = 0; i < 1000; i++) {
        args.add("key:" + b + ":" + i);
        args.add("v");
      }
      c.send(args.toArray(String[]::new));
    }
    for (int b = 0; b < batches; b++) {
      assertThat(c.readReply()).isEqualTo("+OK\r\n");
    }
  }

  /** Runs KEYS * until one run took at least 1 ms (a fast machine may need a few). */
  private static void slowKeys(RespClient c) {
    for (int i = 0; i < 20; i++) {
      c.call("KEYS", "*");
      if (!c.call("LATENCY", "LATEST").equals("*0\r\n")) {
        return;
      }
    }
  }

  @Test
  void slowCommandIsRecordedAsCommandEvent() {
    try (TestKiln kiln = TestKiln.start("latency-monitor-threshold", "1");
        RespClient c = kiln.client()) {
      load(c, 200_000);
      c.call("LATENCY", "RESET");
      slowKeys(c);
      String latest = c.call("LATENCY", "LATEST");
      // *1 *4 $7 command :<unix time> :<latest ms> :<max ms>
      assertThat(latest).matches("(?s)\\*1\r\n\\*4\r\n\\$7\r\ncommand\r\n:\\d{10}\r\n:\\d+\r\n:\\d+\r\n");
      String[] parts = latest.split("\r\n");
      long time = Long.parseLong(parts[4].substring(1));
      assertThat(Math.abs(time - System.currentTimeMillis() / 1000)).isLessThan(60);
      assertThat(Long.parseLong(parts[5].substring(1))).isGreaterThanOrEqualTo(1);
      assertThat(c.call("LATENCY", "HISTORY", "command")).startsWith("*1\r\n*2\r\n:" + parts[4].substring(1));
      assertThat(c.call("LATENCY", "GRAPH", "command")).startsWith("$");
      assertThat(c.call("LATENCY", "DOCTOR")).contains("command");
      assertThat(c.call("LATENCY", "RESET", "command", "fork")).isEqualTo(":1\r\n");
      assertThat(c.call("LATENCY", "LATEST")).isEqualTo("*0\r\n");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void nothingIsRecordedWhileTheThresholdIsZero() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      load(c, 200_000);
      for (int i = 0; i < 3; i++) {
        c.call("KEYS", "*");
      }
      assertThat(c.call("LATENCY", "LATEST")).isEqualTo("*0\r\n");
    }
  }

  @Test
  void histogramCountsCallsPerCommand() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      for (int i = 0; i < 5; i++) {
        c.call("SET", "a", "b");
      }
      String h = c.call("LATENCY", "HISTOGRAM", "set");
      assertThat(h).startsWith("*2\r\n$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:5\r\n$14\r\nhistogram_usec\r\n");
      // the last cumulative count is every call
      assertThat(h).endsWith(":5\r\n");
    }
  }

  @Test
  void latencyTrackingNoStopsLatencystats() throws Exception {
    try (TestKiln kiln = TestKiln.start("latency-tracking", "no"); RespClient c = kiln.client()) {
      c.call("SET", "a", "b");
      assertThat(c.call("INFO", "latencystats")).doesNotContain("latency_percentiles_usec_set");
      c.call("CONFIG", "SET", "latency-tracking", "yes");
      c.call("SET", "a", "b");
      assertThat(c.call("INFO", "latencystats")).contains("latency_percentiles_usec_set:p50=");
    }
  }

  @Test
  void latencystatsFollowsTheConfiguredPercentiles() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.call("CONFIG", "SET", "latency-tracking-info-percentiles", "25 99.99");
      c.call("SET", "a", "b");
      assertThat(c.call("INFO", "latencystats"))
          .containsPattern("latency_percentiles_usec_set:p25=\\d+\\.000,p99\\.99=\\d+\\.000\r\n");
    }
  }
}
