package io.kiln.metrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The latency monitor behind LATENCY LATEST / HISTORY / RESET / DOCTOR / GRAPH: per event
 * ("command", "fast-command", "fork", Kiln's own "event-loop" for stalls of an event loop, and
 * later the AOF's "aof-write", "aof-fsync-always"...)
 * a ring of the last {@link #SAMPLES} per-second samples plus the all-time maximum, as Redis keeps
 * them. A sample is taken only when an event lasted at least {@code latency-monitor-threshold}
 * milliseconds; events in the same second keep the worst one.
 *
 * <p>One per server, owned by the event loop of the persistence shard (shard 0; Kiln runs one
 * shard today, and every recorder runs there). Not thread-safe.
 */
public final class LatencyMonitor {
  /** Samples kept per event (Redis's LATENCY_TS_LEN). */
  public static final int SAMPLES = 160;

  /** One event's time series: a ring of (unix second, ms) samples. */
  public static final class Series {
    final long[] times = new long[SAMPLES];
    final long[] latencies = new long[SAMPLES];
    int next;
    long max;

    /** The newest sample's index. */
    int last() {
      return (next + SAMPLES - 1) % SAMPLES;
    }

    public long latestTime() {
      return times[last()];
    }

    public long latestLatency() {
      return latencies[last()];
    }

    public long max() {
      return max;
    }

    /** The samples, oldest first, each {unix seconds, milliseconds}. */
    public List<long[]> history() {
      List<long[]> out = new java.util.ArrayList<>();
      for (int j = 0; j < SAMPLES; j++) {
        int i = (next + j) % SAMPLES;
        if (times[i] != 0) {
          out.add(new long[] {times[i], latencies[i]});
        }
      }
      return out;
    }
  }

  private final Map<String, Series> events = new LinkedHashMap<>();

  /** Records {@code ms} for {@code event} when monitoring is on and it reaches the threshold. */
  public void addIfNeeded(String event, long ms, long thresholdMs) {
    if (thresholdMs > 0 && ms >= thresholdMs) {
      add(event, ms, System.currentTimeMillis() / 1000);
    }
  }

  /** Records a sample unconditionally at {@code nowSec}. */
  public void add(String event, long ms, long nowSec) {
    Series s = events.computeIfAbsent(event, k -> new Series());
    if (ms > s.max) {
      s.max = ms;
    }
    int prev = s.last();
    if (s.times[prev] == nowSec) {
      if (ms > s.latencies[prev]) {
        s.latencies[prev] = ms;
      }
      return;
    }
    s.times[s.next] = nowSec;
    s.latencies[s.next] = ms;
    s.next = (s.next + 1) % SAMPLES;
  }

  public Map<String, Series> events() {
    return events;
  }

  public Series series(String event) {
    return events.get(event);
  }

  /** Forgets one event; true if it had samples. */
  public boolean reset(String event) {
    return events.remove(event) != null;
  }

  /** Forgets every event; returns how many there were. */
  public int resetAll() {
    int n = events.size();
    events.clear();
    return n;
  }
}
