package io.kiln.load;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * One load run: starts a private Vert.x, opens the connections, samples the recorder every 100 ms
 * (discarding the warm-up), prints a progress line once a second, and stops by itself on the
 * duration, the request count or the hard limit. {@link #execute} blocks the calling (main or
 * scenario) thread, never an event loop.
 */
public final class LoadRun {
  /** One 100 ms sample. Times are seconds from the start of the measured window. */
  public record Interval(double t, long count, double p50Ms, double p99Ms, double maxMs) {}

  /** Something that happened during the measured window (a BGSAVE starting, say). */
  public record Event(double t, String label) {}

  /** The outcome of a run. */
  public static final class Result {
    public final Histogram histogram;
    public final List<Interval> intervals;
    public final List<Event> events = Collections.synchronizedList(new ArrayList<>());
    public long replies;
    public long errors;
    /** Error replies of the measured window by first word (OOM, ERR, ...). */
    public java.util.Map<String, Long> errorKinds = new java.util.TreeMap<>();
    /** Workload cache, measured window: GET hits and misses and SETs as the client saw them. */
    public long hits;
    public long misses;
    public long sets;
    public String firstError;
    public String failure;
    public double measuredSeconds;

    Result(Histogram histogram, List<Interval> intervals) {
      this.histogram = histogram;
      this.intervals = intervals;
    }

    public double opsPerSecond() {
      return measuredSeconds > 0 ? replies / measuredSeconds : 0;
    }

    /** Latency at {@code percentile} in milliseconds. */
    public double ms(double percentile) {
      return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1e6;
    }

    /** Hits / (hits + misses) seen by the client, or NaN without GETs. */
    public double clientHitRatio() {
      return hits + misses == 0 ? Double.NaN : (double) hits / (hits + misses);
    }

    public double maxMs() {
      return histogram.getTotalCount() == 0 ? 0 : histogram.getMaxValue() / 1e6;
    }
  }

  private final LoadOptions options;
  private final PrintStream out;
  private volatile long measureStartNanos = -1;
  private volatile boolean abort;
  private volatile boolean endWarmup;
  private final Result result = new Result(new Histogram(3), new ArrayList<>());

  public LoadRun(LoadOptions options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /** System.nanoTime() at which the measured window began, or -1 while warming up. */
  public long measureStartNanos() {
    return measureStartNanos;
  }

  /** Records an event at the current offset into the measured window. */
  public void event(String label) {
    long start = measureStartNanos;
    double t = start < 0 ? 0 : (System.nanoTime() - start) / 1e9;
    result.events.add(new Event(t, label));
  }

  /**
   * Ends the warm-up at the next 100 ms sample, before {@code warmupSeconds} (from another
   * thread); the measured window then lasts {@code durationSeconds} from there.
   */
  public void endWarmup() {
    endWarmup = true;
  }

  /** Ends the run early (from another thread). */
  public void abort() {
    abort = true;
  }

  public Result execute() throws InterruptedException {
    RunState run = new RunState();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(options.threads)
        .setPreferNativeTransport(true).setBlockedThreadCheckInterval(10_000));
    try {
      return drive(vertx, run);
    } finally {
      run.stopped = true;
      try {
        vertx.close().await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        out.println("  (vert.x close: " + e.getMessage() + ")");
      }
    }
  }

  private Result drive(Vertx vertx, RunState run) throws InterruptedException {
    long openLoopStart = System.nanoTime() + 300_000_000L;
    int threads = Math.max(1, Math.min(options.threads, options.clients));
    List<String> deployments = new ArrayList<>();
    int per = options.clients / threads;
    int extra = options.clients % threads;
    int next = 0;
    for (int t = 0; t < threads; t++) {
      int n = per + (t < extra ? 1 : 0);
      LoadVerticle v = new LoadVerticle(options, run, next, n, openLoopStart);
      next += n;
      try {
        deployments.add(vertx.deployVerticle(v, new DeploymentOptions()).await(15, TimeUnit.SECONDS));
      } catch (Exception e) {
        String why = run.failure.get() != null ? run.failure.get() : String.valueOf(e.getMessage());
        result.failure = why;
        return result;
      }
    }
    long start = System.nanoTime();
    long warmupEnd = start + (long) (options.warmupSeconds * 1e9);
    long hardEnd = options.requests > 0
        ? start + (long) (options.maxSeconds * 1e9)
        : warmupEnd + (long) (options.durationSeconds * 1e9);
    long nextSample = start + 100_000_000L;
    long nextProgress = start + 1_000_000_000L;
    long lastProgressReplies = 0;
    long lastProgressTime = start;
    long errorsAtWarmupEnd = 0;
    long[] cacheAtWarmupEnd = new long[3];
    java.util.Map<String, Long> kindsAtWarmupEnd = java.util.Map.of();
    Histogram interval = null;
    boolean measuring = false;
    while (true) {
      long now = System.nanoTime();
      long wait = Math.min(nextSample, hardEnd) - now;
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      now = System.nanoTime();
      boolean last = now >= hardEnd || abort || run.failure.get() != null;
      interval = run.recorder.getIntervalHistogram(interval);
      if (!measuring && (now >= warmupEnd || endWarmup)) {
        measuring = true;
        measureStartNanos = now;
        if (now < warmupEnd && options.requests == 0) {
          hardEnd = now + (long) (options.durationSeconds * 1e9);
          last = abort || run.failure.get() != null;
        }
        errorsAtWarmupEnd = run.errors.sum();
        cacheAtWarmupEnd = new long[] {run.hits.sum(), run.misses.sum(), run.sets.sum()};
        kindsAtWarmupEnd = run.errorKindCounts();
        // this sample belongs to the warm-up: dropped
      } else if (measuring) {
        result.histogram.add(interval);
        double t = (now - measureStartNanos) / 1e9;
        result.intervals.add(new Interval(t, interval.getTotalCount(),
            interval.getTotalCount() == 0 ? 0 : interval.getValueAtPercentile(50) / 1e6,
            interval.getTotalCount() == 0 ? 0 : interval.getValueAtPercentile(99) / 1e6,
            interval.getTotalCount() == 0 ? 0 : interval.getMaxValue() / 1e6));
        // Count mode stops at the first 100 ms sample at or past the count.
        last |= options.requests > 0 && result.histogram.getTotalCount() >= options.requests;
      }
      if (options.progress && now >= nextProgress) {
        long replies = run.replies.sum();
        out.printf("  [%s] %5.1fs %s %,10.0f ops/s (last 1s) %,10.0f ops/s avg  errors %,d%n",
            options.label, (now - start) / 1e9, measuring ? "measuring" : "warm-up  ",
            (replies - lastProgressReplies) / ((now - lastProgressTime) / 1e9),
            replies / ((now - start) / 1e9), run.errors.sum());
        lastProgressReplies = replies;
        lastProgressTime = now;
        nextProgress += 1_000_000_000L;
      }
      if (last) {
        run.stopped = true;
        result.measuredSeconds = measuring ? (now - measureStartNanos) / 1e9 : 0;
        break;
      }
      nextSample += 100_000_000L;
    }
    result.replies = result.histogram.getTotalCount();
    result.errors = run.errors.sum() - errorsAtWarmupEnd;
    result.hits = run.hits.sum() - cacheAtWarmupEnd[0];
    result.misses = run.misses.sum() - cacheAtWarmupEnd[1];
    result.sets = run.sets.sum() - cacheAtWarmupEnd[2];
    for (var e : run.errorKindCounts().entrySet()) {
      long n = e.getValue() - kindsAtWarmupEnd.getOrDefault(e.getKey(), 0L);
      if (n > 0) {
        result.errorKinds.put(e.getKey(), n);
      }
    }
    result.firstError = run.firstError.get();
    result.failure = run.failure.get();
    for (String id : deployments) {
      try {
        vertx.undeploy(id).await(5, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // closing anyway
      }
    }
    return result;
  }
}
