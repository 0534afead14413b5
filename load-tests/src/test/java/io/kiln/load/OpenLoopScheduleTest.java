package io.kiln.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OpenLoopScheduleTest {
  private static final long MS = 1_000_000L;

  @Test
  void requestsFallDueOnAFixedTimeline() {
    OpenLoopSchedule s = new OpenLoopSchedule(1_000 * MS, 1000); // one per ms
    assertThat(s.due(999 * MS)).isZero();
    assertThat(s.due(1_000 * MS)).isEqualTo(1);
    assertThat(s.due(1_010 * MS)).isEqualTo(11);
    assertThat(s.intendedTime(10)).isEqualTo(1_010 * MS);
  }

  @Test
  void aLateSendKeepsItsIntendedTimeSoTheWaitCountsAsLatency() {
    OpenLoopSchedule s = new OpenLoopSchedule(0, 1000);
    // The connection was stalled for 50 ms: nothing was taken until now.
    long now = 50 * MS;
    long due = s.due(now);
    assertThat(due).isEqualTo(51);
    long first = s.take();
    for (int i = 1; i < due; i++) {
      s.take();
    }
    assertThat(first).isZero();
    // Its reply arrives 1 ms after the late send: latency is 51 ms, not 1 ms.
    assertThat(OpenLoopSchedule.latency(first, now + MS)).isEqualTo(51 * MS);
    assertThat(s.due(now)).isZero();
    assertThat(s.take()).isEqualTo(51 * MS);
  }

  @Test
  void fractionalRatesDoNotDrift() {
    OpenLoopSchedule s = new OpenLoopSchedule(0, 3); // every 333.33 ms
    assertThat(s.due(999_999_999L)).isEqualTo(3);
    assertThat(s.due(1_000_000_000L)).isEqualTo(4);
    assertThat(s.intendedTime(3_000)).isEqualTo(1_000_000_000_000L);
  }

  @Test
  void nothingIsSentTwice() {
    OpenLoopSchedule s = new OpenLoopSchedule(0, 1000);
    s.take();
    s.take();
    assertThat(s.due(MS)).isZero();
    assertThat(s.taken()).isEqualTo(2);
  }
}
