package io.kiln.load;

import java.util.List;

/**
 * The scenarios of the side-by-side suite, as data. Immutable.
 */
public final class Scenarios {
  private Scenarios() {}

  /** What must be checked on a server before a scenario can mean anything there. */
  public enum Probe {
    /** Nothing to check. */
    NONE,
    /** INFO persistence must report aof_enabled:1. */
    AOF,
    /** BGSAVE must be accepted (tried on the empty dataset, then awaited). */
    BGSAVE,
    /** SAVE must be accepted (tried on the empty dataset). */
    SAVE
  }

  /**
   * @param directives redis.conf directives given to both servers on the command line
   * @param preload SET this many keys (scaled by the suite's --preload-keys) before the load
   * @param trigger command sent 2 s into the measured window (BGSAVE, BGREWRITEAOF) or null
   * @param restart measure a restart with the preloaded dataset instead of running load
   * @param workload,ratio,rate,dist overrides of the suite's default load (null/0: default)
   * @param quickRun short run (commands that may not exist yet)
   * @param pipeline requests in flight per connection (0: the suite's default)
   * @param cache a maxmemory cache scenario: fill until the first eviction, size the keyspace
   *     from that, warm up, and read hit ratio, evictions, used_memory and RSS from the server
   */
  public record Scenario(String name, String title, List<String> directives, Probe probe,
      boolean preload, String trigger, boolean restart, String workload, String ratio,
      double rate, String dist, boolean quickRun, int pipeline, boolean cache) {

    Scenario(String name, String title, List<String> directives, Probe probe, boolean preload,
        String trigger, boolean restart, String workload, String ratio, double rate, String dist,
        boolean quickRun, int pipeline) {
      this(name, title, directives, probe, preload, trigger, restart, workload, ratio, rate, dist,
          quickRun, pipeline, false);
    }

    Scenario(String name, String title, List<String> directives, Probe probe, boolean preload,
        String trigger, boolean restart, String workload, String ratio, double rate, String dist,
        boolean quickRun) {
      this(name, title, directives, probe, preload, trigger, restart, workload, ratio, rate, dist,
          quickRun, 0);
    }

    public boolean timeline() {
      return trigger != null;
    }
  }

  private static final List<String> NO_PERSIST = List.of("--save", "", "--appendonly", "no");

  private static Scenario load(String name, String title, List<String> directives, Probe probe) {
    return new Scenario(name, title, directives, probe, false, null, false, null, "1:1", 0, null, false);
  }

  private static Scenario command(String workload) {
    return new Scenario("cmd-" + workload, workload.toUpperCase().replace('-', '/')
        + " (closed loop, short)", NO_PERSIST, Probe.NONE, false, null, false, workload, null, 0,
        null, true);
  }

  /** The maxmemory of the cache scenarios. */
  public static final String CACHE_MAXMEMORY = "100mb";

  /** Keyspace of a cache scenario, as a multiple of the keys that fit in maxmemory. */
  public static final int CACHE_KEYSPACE_FACTOR = 5;

  private static Scenario cache(String name, String policy) {
    return new Scenario(name, "look-aside cache (GET, SET on a miss), zipfian keys (theta 0.99) "
        + "over " + CACHE_KEYSPACE_FACTOR + "x the keys that fit, maxmemory " + CACHE_MAXMEMORY
        + " " + policy, List.of("--save", "", "--appendonly", "no", "--maxmemory",
            CACHE_MAXMEMORY, "--maxmemory-policy", policy), Probe.NONE, false, null, false,
        "cache", null, 0, "zipf:0.99", false, 0, true);
  }

  public static final List<Scenario> ALL = List.of(
      load("no-persistence", "SET:GET 1:1, no persistence", NO_PERSIST, Probe.NONE),
      new Scenario("no-persistence-p1", "SET:GET 1:1, no persistence, 50 connections without "
          + "pipelining", NO_PERSIST, Probe.NONE, false, null, false, null, "1:1", 0, null, false,
          1),
      load("aof-everysec", "SET:GET 1:1, AOF appendfsync everysec",
          List.of("--save", "", "--appendonly", "yes", "--appendfsync", "everysec"), Probe.AOF),
      load("aof-always", "SET:GET 1:1, AOF appendfsync always",
          List.of("--save", "", "--appendonly", "yes", "--appendfsync", "always"), Probe.AOF),
      new Scenario("bgsave", "SET:GET 1:1 over a preloaded dataset while BGSAVE runs", NO_PERSIST,
          Probe.BGSAVE, true, "BGSAVE", false, null, "1:1", 0, null, false),
      // no automatic rewrite: the preload grows the file past auto-aof-rewrite-min-size, and a
      // rewrite it started would refuse the scenario's own ("already in progress")
      new Scenario("bgrewriteaof", "SET:GET 1:1 over a preloaded dataset while BGREWRITEAOF runs",
          List.of("--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
              "--auto-aof-rewrite-percentage", "0"), Probe.AOF,
          true, "BGREWRITEAOF", false, null, "1:1", 0, null, false),
      new Scenario("restart", "restart: time to load the preloaded dataset (RDB) and answer PING",
          NO_PERSIST, Probe.SAVE, true, null, true, null, null, 0, null, false),
      new Scenario("open-loop", "SET:GET 1:10, open loop at a fixed rate (latency from intended time)",
          NO_PERSIST, Probe.NONE, false, null, false, null, "1:10", -1, null, false),
      new Scenario("open-loop-overload", "SET:GET 1:10, open loop at 1,000,000 ops/s: beyond "
          + "either server, so the queueing that closed loop hides shows in the latency",
          NO_PERSIST, Probe.NONE, false, null, false, null, "1:10", 1_000_000, null, false),
      new Scenario("zipf", "SET:GET 1:10, zipfian keys (theta 0.99)", NO_PERSIST, Probe.NONE, false,
          null, false, null, "1:10", 0, "zipf:0.99", false),
      command("incr"),
      command("lpush-lpop"),
      command("hset"),
      command("zadd"),
      command("mset"),
      cache("cache-lru", "allkeys-lru"),
      cache("cache-lfu", "allkeys-lfu"));

  public static final List<String> NAMES = ALL.stream().map(Scenario::name).toList();

  /** What the suite runs without --scenarios: all but the cache scenarios (minutes each). */
  public static final List<Scenario> DEFAULT = ALL.stream().filter(s -> !s.cache()).toList();

  public static Scenario byName(String name) {
    return ALL.stream().filter(s -> s.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown scenario " + name + "; one of " + NAMES));
  }
}
