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
  volatile boolean stopped;

  void reply(long latencyNanos, boolean error, String message) {
    recorder.recordValue(Math.max(1, latencyNanos));
    replies.increment();
    if (error) {
      errors.increment();
      if (firstError.get() == null && message != null) {
        firstError.compareAndSet(null, message);
      }
    }
  }

  void fail(String why) {
    failure.compareAndSet(null, why);
  }
}
