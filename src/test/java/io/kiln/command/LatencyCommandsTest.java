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

  /** Runs KEYS * until {@code event} has a sample (a fast machine may need a few runs). */
  private static void slowKeys(RespClient c, String event) {
    for (int i = 0; i < 20; i++) {
      c.call("KEYS", "*");
      if (!c.call("LATENCY", "HISTORY", event).equals("*0\r\n")) {
        return;
      }
    }
  }

  @Test
  void slowCommandIsRecordedAsCommandEvent() {
    try (TestKiln kiln = TestKiln.start("latency-monitor-threshold", "1");
        RespClient c = kiln.client()) {
      load(c, 50_000);
      c.call("LATENCY", "RESET");
      slowKeys(c, "command");
      String latest = c.call("LATENCY", "LATEST");
      // *4 $7 command :<unix time> :<latest ms> :<max ms> (and the event loop's own stalls,
      // "event-loop", which a slow command causes too)
      java.util.regex.Matcher m = java.util.regex.Pattern.compile(
          "\\*4\r\n\\$7\r\ncommand\r\n:(\\d{10})\r\n:(\\d+)\r\n:\\d+\r\n").matcher(latest);
      assertThat(m.find()).as(latest).isTrue();
      long time = Long.parseLong(m.group(1));
      assertThat(Math.abs(time - System.currentTimeMillis() / 1000)).isLessThan(60);
      assertThat(Long.parseLong(m.group(2))).isGreaterThanOrEqualTo(1);
      assertThat(c.call("LATENCY", "HISTORY", "command")).startsWith("*1\r\n*2\r\n:" + time);
      assertThat(c.call("LATENCY", "GRAPH", "command")).startsWith("$");
      assertThat(c.call("LATENCY", "DOCTOR")).contains("command");
      assertThat(c.call("LATENCY", "RESET", "command", "fork")).isEqualTo(":1\r\n");
      assertThat(c.call("LATENCY", "LATEST")).doesNotContain("command");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aStalledEventLoopIsRecordedAsEventLoopEvent() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      load(c, 50_000);
      c.call("CONFIG", "SET", "latency-monitor-threshold", "1"); // the probe starts within 0.1 s
      slowKeys(c, "event-loop");
      String history = c.call("LATENCY", "HISTORY", "event-loop");
      assertThat(history).matches("(?s)\\*\\d+\r\n\\*2\r\n:\\d{10}\r\n:\\d+\r\n.*");
      c.call("CONFIG", "SET", "latency-monitor-threshold", "0");
      c.call("LATENCY", "RESET");
      c.call("KEYS", "*");
      assertThat(c.call("LATENCY", "LATEST")).isEqualTo("*0\r\n");
    }
  }

  @Test
  void nothingIsRecordedWhileTheThresholdIsZero() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      load(c, 50_000);
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
