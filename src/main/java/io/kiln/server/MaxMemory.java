package io.kiln.server;

import io.kiln.config.Config;
import io.kiln.keyspace.Evictor;
import io.kiln.keyspace.Shard;

/**
 * maxmemory, as Redis 7.0's evict.c: before each command (and on a timer while there is work
 * left), when {@link #used} less what Redis does not count for eviction (the AOF buffer) is
 * above maxmemory, keys are evicted by the policy until the excess measured at the start is
 * freed, for at most the time maxmemory-eviction-tenacity allows; then the rest goes on from
 * a task on the event loop, in steps, while commands keep running. When nothing can be evicted
 * (noeviction, no key qualifies) denyoom commands get Redis's OOM error.
 *
 * <p>Used memory is Redis's own arithmetic ({@link io.kiln.keyspace.Footprint}) kept as keys are written, not the
 * JVM's heap: what an operator sizes a cache by, and what the same data would take in Redis.
 *
 * <p>One per shard, owned by its event loop; {@link #used} reads the other shards' published
 * figures and may run on any thread.
 */
final class MaxMemory {
  /**
   * What Redis 7.0.15 counts before the first key (its used_memory_startup, 876,040 bytes
   * measured): the base of Kiln's figure, so that the same data reads the same.
   */
  static final long STARTUP = 876_040;
  /** An idle connection in Redis 7.0 (its CLIENT LIST tot-mem). */
  static final long CLIENT = 1_800;

  enum Result { OK, RUNNING, FAIL }

  private final ShardVerticle home;
  private final Shard shard;
  private volatile long limit;
  private volatile Evictor.Policy policy = Evictor.Policy.NOEVICTION;
  private volatile int samples = 5;
  private volatile int tenacity = 10;
  /** The continuation task is queued (Redis's isEvictionProcRunning). */
  private boolean continuing;
  /** The last pass's outcome was FAIL: Redis's pre_command_oom_state. */
  private boolean failed;
  /** When memory went over the limit and stayed (0: not over), for INFO's eviction times. */
  private long exceededSince;
  private long exceededTotalMicros;

  MaxMemory(ShardVerticle home, Config config) {
    this.home = home;
    this.shard = home.shard();
    java.util.function.Consumer<Config> read = cfg -> {
      limit = cfg.getLong("maxmemory");
      Evictor.Policy p = Evictor.Policy.of(cfg.getString("maxmemory-policy"));
      if (p != policy) {
        home.execute(shard.evictor::clear);
      }
      policy = p;
      samples = cfg.getInt("maxmemory-samples");
      tenacity = cfg.getInt("maxmemory-eviction-tenacity");
      shard.lfu = p.lfu();
      shard.lru = p.lru();
      shard.lfuLogFactor = cfg.getInt("lfu-log-factor");
      shard.lfuDecayTime = cfg.getInt("lfu-decay-time");
    };
    read.accept(config);
    shard.overMaxmemoryWith = more -> {
      long max = limit;
      Server kiln = home.kiln();
      return max != 0 && used(kiln) - kiln.aofStatus().bufferLength + more > max;
    };
    for (String name : java.util.List.of("maxmemory", "maxmemory-policy", "maxmemory-samples",
        "maxmemory-eviction-tenacity", "lfu-log-factor", "lfu-decay-time")) {
      config.onChange(name, read);
    }
    // A lower limit evicts at once, as Redis's CONFIG SET maxmemory: not only at the next command.
    config.onChange("maxmemory", cfg -> home.execute(() -> {
      if (limit != 0) {
        perform();
      }
    }));
  }

  /** Redis's used_memory as Kiln counts it ({@link UsedMemory}). Any thread. */
  static long used(Server kiln) {
    return UsedMemory.of(kiln).total();
  }

  /** True when the last pass found memory over the limit and nothing left to evict. */
  boolean failed() {
    return failed;
  }

  /** Microseconds spent over maxmemory, the current stretch apart: {total, current}. */
  long[] exceededMicros() {
    long current = exceededSince == 0 ? 0 : (System.nanoTime() - exceededSince) / 1000;
    return new long[] {exceededTotalMicros + current, current};
  }

  /** CONFIG RESETSTAT: the eviction times start again, as Redis's resetServerStats. */
  void resetStats() {
    exceededTotalMicros = 0;
    exceededSince = 0;
  }

  /** Redis's performEvictions, before a command: true when memory stays over (FAIL). */
  boolean beforeCommand() {
    if (limit == 0) {
      failed = false;
      return false;
    }
    failed = perform() == Result.FAIL;
    return failed;
  }

  private Result perform() {
    if (shard.datasetFrozen) {
      return Result.OK; // CLIENT PAUSE: no eviction, and no OOM either (Redis's fake EVICT_OK)
    }
    shard.settleMemory();
    Server kiln = home.kiln();
    long over = used(kiln) - kiln.aofStatus().bufferLength - limit;
    Result result;
    if (over <= 0) {
      result = Result.OK;
    } else if (policy == Evictor.Policy.NOEVICTION) {
      result = Result.FAIL;
    } else {
      result = evict(over);
    }
    if (result == Result.OK) {
      if (exceededSince != 0) {
        exceededTotalMicros += (System.nanoTime() - exceededSince) / 1000;
        exceededSince = 0;
      }
    } else if (exceededSince == 0) {
      exceededSince = System.nanoTime();
    }
    return result;
  }

  private Result evict(long toFree) {
    long start = System.nanoTime();
    long budget = timeLimitNanos();
    long freed = 0;
    int keys = 0;
    while (freed < toFree) {
      long f = shard.evictor.evictOne(policy, samples);
      if (f < 0) {
        return Result.FAIL;
      }
      freed += f;
      keys++;
      if (keys % 16 == 0 && System.nanoTime() - start > budget) {
        continueLater();
        break;
      }
    }
    long micros = (System.nanoTime() - start) / 1000;
    home.kiln().latencyMonitor().addIfNeeded("eviction-cycle", micros / 1000,
        home.kiln().config().getLong("latency-monitor-threshold"));
    shard.settleMemory();
    return continuing ? Result.RUNNING : Result.OK;
  }

  /** Redis's evictionTimeLimitUs: 50 µs per step up to 10, then 15% more per step; 100: none. */
  private long timeLimitNanos() {
    int t = tenacity;
    if (t <= 10) {
      return 50_000L * t;
    }
    if (t < 100) {
      return (long) (500_000 * Math.pow(1.15, t - 10.0));
    }
    return Long.MAX_VALUE;
  }

  /** The rest of an eviction that ran out of time, as Redis's evictionTimeProc. */
  private void continueLater() {
    if (continuing) {
      return;
    }
    continuing = true;
    home.execute(() -> {
      continuing = false;
      if (limit != 0) {
        perform();
      }
    });
  }
}
