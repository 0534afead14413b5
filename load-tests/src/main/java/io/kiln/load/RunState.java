package io.kiln.load;

import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * What the connections of one run share: the latency {@link Recorder} (wait-free for many
 * writers), counters and the stop flag. Written by the event loop threads, read by the main
 * thread that samples intervals.
 */
final class RunState {
  final Recorder recorder = new Recorder(3);
  final LongAdder replies = new LongAdder();
  final LongAdder errors = new LongAdder();
  final AtomicReference<String> firstError = new AtomicReference<>();
  final AtomicReference<String> failure = new AtomicReference<>();
  final LongAdder connected = new LongAdder();
  /** Workload cache: GET hits and misses, and SETs, as the client saw them. */
  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder sets = new LongAdder();
  /** Error replies by their first word (OOM, ERR, ...). */
  final java.util.concurrent.ConcurrentHashMap<String, LongAdder> errorKinds =
      new java.util.concurrent.ConcurrentHashMap<>();
  volatile boolean stopped;

  void reply(long latencyNanos, boolean error, String message) {
    recorder.recordValue(Math.max(1, latencyNanos));
    replies.increment();
    if (error) {
      errors.increment();
      errorKinds.computeIfAbsent(errorKind(message), k -> new LongAdder()).increment();
      if (firstError.get() == null && message != null) {
        firstError.compareAndSet(null, message);
      }
    }
  }

  /** The first word of an error reply ("OOM", "ERR"), or "?" when there is none. */
  static String errorKind(String message) {
    if (message == null || message.isBlank()) {
      return "?";
    }
    String m = message.strip();
    int sp = m.indexOf(' ');
    return sp < 0 ? m : m.substring(0, sp);
  }

  /** A copy of the error counts by kind. */
  java.util.Map<String, Long> errorKindCounts() {
    java.util.Map<String, Long> m = new java.util.TreeMap<>();
    errorKinds.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  void fail(String why) {
    failure.compareAndSet(null, why);
  }
}
