package io.kiln.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The latency monitor's sampling rules (Redis's): one sample per second, a 160-sample ring. */
class LatencyMonitorTest {
  @Test
  void samplesInOneSecondKeepTheWorst() {
    LatencyMonitor m = new LatencyMonitor();
    m.add("fork", 5, 1000);
    m.add("fork", 9, 1000);
    m.add("fork", 3, 1000);
    assertThat(m.series("fork").history()).containsExactly(new long[] {1000, 9});
    assertThat(m.series("fork").max()).isEqualTo(9);
  }

  @Test
  void theRingKeepsTheLast160SamplesOldestFirst() {
    LatencyMonitor m = new LatencyMonitor();
    for (int i = 1; i <= 200; i++) {
      m.add("command", i, 1000 + i);
    }
    LatencyMonitor.Series s = m.series("command");
    assertThat(s.history()).hasSize(160);
    assertThat(s.history().get(0)).containsExactly(1041, 41);
    assertThat(s.latestTime()).isEqualTo(1200);
    assertThat(s.latestLatency()).isEqualTo(200);
    assertThat(s.max()).isEqualTo(200);
  }

  @Test
  void belowTheThresholdOrWithItOffNothingIsRecorded() {
    LatencyMonitor m = new LatencyMonitor();
    m.addIfNeeded("command", 4, 5);
    m.addIfNeeded("command", 100, 0);
    assertThat(m.events()).isEmpty();
    m.addIfNeeded("command", 5, 5);
    assertThat(m.events()).containsKey("command");
  }

  @Test
  void resetCountsTheEventsItRemoved() {
    LatencyMonitor m = new LatencyMonitor();
    m.add("a", 1, 1);
    m.add("b", 1, 1);
    assertThat(m.reset("a")).isTrue();
    assertThat(m.reset("a")).isFalse();
    assertThat(m.resetAll()).isEqualTo(1);
  }
}
