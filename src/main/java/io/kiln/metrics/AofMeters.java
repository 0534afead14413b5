package io.kiln.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The append-only file's meters: write and fsync latency, fsync count, delayed fsyncs, file size,
 * batch sizes (rewrites: the rewrite issue). The AOF writer records here once per batch, on its
 * own worker thread, never per command on an event loop; Micrometer meters are thread-safe.
 * With metrics off they are no-op meters ({@link #NOOP}).
 */
public final class AofMeters {
  /** Meters that record nothing, for a server without metrics-port. */
  public static final AofMeters NOOP = new AofMeters(new CompositeMeterRegistry());

  private static final Duration[] SLO = {
    Duration.ofNanos(100_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
    Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(50),
    Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2)
  };

  /** Time of one write(2) of a batch to the AOF. */
  public final Timer write;
  /** Time of one fsync of the AOF. */
  public final Timer fsync;
  public final Counter fsyncs;
  /** Fsyncs that found the previous one still running (Redis's aof_delayed_fsync). */
  public final Counter delayedFsyncs;
  /** The AOF's current size in bytes. */
  public final AtomicLong size = new AtomicLong();
  /** Commands per batch the writer receives (one event-loop round of a shard). */
  public final DistributionSummary batchCommands;
  /** Bytes per batch. */
  public final DistributionSummary batchBytes;
  public final Counter rewrites;
  /** Bytes of the rewrite buffer held in memory (the rest spills to a file). */
  public final AtomicLong rewriteBuffer = new AtomicLong();
  public final Timer rewrite;

  public AofMeters(MeterRegistry registry) {
    write = Timer.builder("kiln.aof.write").description("AOF write latency")
        .serviceLevelObjectives(SLO).register(registry);
    fsync = Timer.builder("kiln.aof.fsync").description("AOF fsync latency")
        .serviceLevelObjectives(SLO).register(registry);
    fsyncs = Counter.builder("kiln.aof.fsyncs").description("AOF fsyncs done")
        .register(registry);
    delayedFsyncs = Counter.builder("kiln.aof.delayed.fsyncs")
        .description("AOF fsyncs that waited for the previous one").register(registry);
    Gauge.builder("kiln.aof.size", size, AtomicLong::get).baseUnit("bytes")
        .description("Current AOF size").register(registry);
    batchCommands = DistributionSummary.builder("kiln.aof.batch.commands")
        .description("Commands per AOF batch (one event-loop round)")
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096).register(registry);
    batchBytes = DistributionSummary.builder("kiln.aof.batch.bytes").baseUnit("bytes")
        .description("Bytes per AOF batch").register(registry);
    Gauge.builder("kiln.aof.rewrite.buffer", rewriteBuffer, AtomicLong::get).baseUnit("bytes")
        .description("AOF rewrite buffer bytes in memory").register(registry);
    rewrites = Counter.builder("kiln.aof.rewrites").description("AOF rewrites completed")
        .register(registry);
    rewrite = Timer.builder("kiln.aof.rewrite").description("AOF rewrite duration")
        .register(registry);
  }
}
