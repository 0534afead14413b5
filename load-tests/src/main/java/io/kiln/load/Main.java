package io.kiln.load;

import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Command line: {@code run} (one load run against a running server), {@code scenario} (one
 * scenario against a running server) and {@code suite} (start Kiln and redis-server, run every
 * scenario against both, write the report). Runs on the main thread.
 */
public final class Main {
  private Main() {}

  static final String USAGE = """
      kiln-load: pipelined RESP load generator (Vert.x, HdrHistogram)

        java -jar kiln-load.jar run [options]        one run against a running server
        java -jar kiln-load.jar scenario NAME [options]
                                                     one scenario against a running server
        java -jar kiln-load.jar suite --kiln-jar PATH [--redis-server PATH] [suite options]
                                                     start both servers, run every scenario on each

      run options (defaults in brackets):
        --host H [127.0.0.1]   --port P [6379]
        --clients N [50]       --pipeline P [16]   (closed loop: P requests in flight per connection)
        --rate R [0]           open loop at R requests/s in total, latency from the intended send
                               time; --pipeline caps the requests in flight per connection
        --workload W [get-set] get-set | incr | lpush-lpop | hset | zadd | mset | multi | ping | cache
                               (cache: GET a key, and SET it, as the next request, when the GET
                               finds nothing, as a look-aside cache does)
        --ratio S:G [1:10]     SET:GET mix of get-set
        --keys N [100000]      key space size
        --dist D [uniform]     uniform | zipf | zipf:THETA (0<THETA<1, zipf = 0.99)
        --value-size B [100]   --mset-keys N [10]
        --hash-tags T [none]   mset, multi (MULTI, INCR of two counters, EXEC): none | each (every
                               key behind a tag of its own: slots all over) | one (a request's
                               keys behind one tag: one slot, one shard; as long as each's)
        --warmup S [3]         seconds excluded from the histogram
        --duration S [10]      measured seconds, or
        --requests N           measured replies to stop after (hard stop --max-seconds [120])
        --threads T [1]        event loops of the generator
        --hgrm FILE            write the percentile distribution (HdrHistogram .hgrm, ms)
        --quiet                no progress lines

      scenario names: %s
      suite options: --out DIR [results/<timestamp>]  --port-base P [7470]  --scenarios a,b,...
        --servers kiln,redis  --quick (short runs, small preload)  --preload-keys N [1000000]
        --open-rate R [50000]  --kiln-java-opts "..." [$KILN_JAVA_OPTS]  --machine-note TEXT
        cache-* scenarios (not run unless named): --cache-keys N [5x the keys that fit]
        --cache-turnovers X [1] (warm up until X times the keys that fit were evicted)
        --cache-warmup S [90] (the most warm-up seconds)
        plus any run option above as the default load
      """;

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      System.out.printf(USAGE, String.join(", ", Scenarios.NAMES));
      return;
    }
    String mode = args[0];
    List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
    int code;
    try {
      code = switch (mode) {
        case "run" -> runOnce(rest);
        case "scenario" -> Suite.scenarioAgainstRunning(rest);
        case "suite" -> Suite.main(rest);
        default -> {
          System.err.println("unknown mode " + mode + " (run | scenario | suite); --help for usage");
          yield 2;
        }
      };
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      code = 2;
    }
    System.exit(code);
  }

  /** Parses run options out of {@code args}, leaving unknown ones in the list. */
  static LoadOptions parseRunOptions(List<String> args, LoadOptions o) {
    List<String> left = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String v = i + 1 < args.size() ? args.get(i + 1) : null;
      boolean used = true;
      switch (a) {
        case "--host" -> o.host = need(a, v);
        case "--port" -> o.port = Integer.parseInt(need(a, v));
        case "--clients", "-c" -> o.clients = Integer.parseInt(need(a, v));
        case "--pipeline", "-P" -> o.pipeline = Integer.parseInt(need(a, v));
        case "--rate" -> o.rate = Double.parseDouble(need(a, v));
        case "--workload" -> o.workload = need(a, v);
        case "--ratio" -> o.ratio = need(a, v);
        case "--keys" -> o.keys = Long.parseLong(need(a, v));
        case "--dist" -> o.dist = need(a, v);
        case "--value-size" -> o.valueSize = Integer.parseInt(need(a, v));
        case "--mset-keys" -> o.msetKeys = Integer.parseInt(need(a, v));
        case "--hash-tags" -> o.hashTags = need(a, v);
        case "--warmup" -> o.warmupSeconds = Double.parseDouble(need(a, v));
        case "--duration" -> o.durationSeconds = Double.parseDouble(need(a, v));
        case "--requests" -> o.requests = Long.parseLong(need(a, v));
        case "--max-seconds" -> o.maxSeconds = Double.parseDouble(need(a, v));
        case "--threads" -> o.threads = Integer.parseInt(need(a, v));
        case "--quiet" -> {
          o.progress = false;
          used = false;
          left.add(a);
        }
        default -> {
          used = false;
          left.add(a);
        }
      }
      if (used && !a.equals("--quiet")) {
        i++;
      }
    }
    args.clear();
    args.addAll(left);
    if (o.clients < 1 || o.pipeline < 1 || o.valueSize < 0 || o.keys < 1 || o.threads < 1) {
      throw new IllegalArgumentException("--clients, --pipeline, --keys and --threads must be >= 1");
    }
    o.spec(); // validates workload, ratio and distribution
    return o;
  }

  static String need(String opt, String v) {
    if (v == null) {
      throw new IllegalArgumentException(opt + " needs a value");
    }
    return v;
  }

  static String option(List<String> args, String name, String dflt) {
    int i = args.indexOf(name);
    if (i < 0) {
      return dflt;
    }
    String v = need(name, i + 1 < args.size() ? args.get(i + 1) : null);
    args.remove(i);
    args.remove(i);
    return v;
  }

  static boolean flag(List<String> args, String name) {
    return args.remove(name);
  }

  private static int runOnce(List<String> args) throws Exception {
    LoadOptions o = parseRunOptions(args, new LoadOptions());
    String hgrm = option(args, "--hgrm", null);
    flag(args, "--quiet");
    if (!args.isEmpty()) {
      throw new IllegalArgumentException("unknown options " + args);
    }
    o.label = o.host + ":" + o.port;
    System.out.println("kiln-load: " + o.spec().describe() + "; " + o.loopDescription()
        + "; warm-up " + o.warmupSeconds + " s, "
        + (o.requests > 0 ? o.requests + " requests" : o.durationSeconds + " s measured"));
    LoadRun.Result r = new LoadRun(o, System.out).execute();
    if (r.failure != null) {
      System.out.println("run failed: " + r.failure);
    }
    System.out.printf("ops/s %,.0f  replies %,d  errors %,d  p50 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms%n",
        r.opsPerSecond(), r.replies, r.errors, r.ms(50), r.ms(99), r.ms(99.9), r.maxMs());
    if (r.hits + r.misses > 0) {
      System.out.printf("cache: GET hits %,d  misses %,d  hit ratio %.4f  SETs %,d%n", r.hits,
          r.misses, r.clientHitRatio(), r.sets);
    }
    if (!r.errorKinds.isEmpty()) {
      System.out.println("errors by kind: " + r.errorKinds);
    }
    if (r.firstError != null) {
      System.out.println("first error reply: " + r.firstError);
    }
    if (hgrm != null) {
      Path p = Path.of(hgrm);
      if (p.getParent() != null) {
        Files.createDirectories(p.getParent());
      }
      try (PrintStream ps = new PrintStream(new FileOutputStream(p.toFile()))) {
        r.histogram.outputPercentileDistribution(ps, 1e6);
      }
      System.out.println("percentile distribution (ms) written to " + p);
    }
    return r.failure == null ? 0 : 1;
  }
}
