package io.kiln.load;

/**
 * The fixed send timeline of one open-loop connection, as wrk2 does it: request {@code i} is
 * intended to go out at {@code start + i * interval}, whatever happened to the requests before
 * it. A request that leaves late (the connection was behind, or its in-flight window was full)
 * still carries its intended time, and its latency is measured from that time, so a server
 * stall shows in the histogram as the wait it caused for every request scheduled during it (no
 * coordinated omission).
 *
 * <p>Owned by one connection, so by its event loop thread. Times are {@link System#nanoTime()}
 * values, passed in so tests can drive the clock.
 */
public final class OpenLoopSchedule {
  private final long startNanos;
  private final double intervalNanos;
  private long taken;

  /**
   * @param startNanos intended send time of the first request
   * @param ratePerSecond requests per second on this timeline (may be fractional)
   */
  public OpenLoopSchedule(long startNanos, double ratePerSecond) {
    if (!(ratePerSecond > 0)) {
      throw new IllegalArgumentException("rate must be > 0");
    }
    this.startNanos = startNanos;
    this.intervalNanos = 1e9 / ratePerSecond;
  }

  /** The intended send time of request {@code i} (0-based). */
  public long intendedTime(long i) {
    return startNanos + (long) (i * intervalNanos);
  }

  /** How many requests are due at {@code now} and not yet taken. */
  public long due(long now) {
    if (now < startNanos) {
      return 0;
    }
    long upTo = (long) Math.floor((now - startNanos) / intervalNanos) + 1;
    return Math.max(0, upTo - taken);
  }

  /** Takes the next request off the timeline and returns its intended send time. */
  public long take() {
    return intendedTime(taken++);
  }

  /** Requests taken so far. */
  public long taken() {
    return taken;
  }

  /** The latency of a request from its intended send time to the arrival of its reply. */
  public static long latency(long intendedNanos, long replyNanos) {
    return replyNanos - intendedNanos;
  }
}
