package io.kiln.command;

import io.kiln.metrics.LatencyMonitor;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import io.kiln.server.ShardVerticle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR / HISTOGRAM / HELP over the server's
 * {@link LatencyMonitor} (events over `latency-monitor-threshold`) and the shards' per-command
 * latency histograms (INFO latencystats). Also the histogram reductions the metrics endpoint
 * uses. Handlers run on the client's shard event loop.
 */
public final class LatencyCommands {
  private LatencyCommands() {
  }

  static final String[] HELP = {
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the"
        + " specified command names.",
    "    If no commands are specified then all histograms are replied.",
    "HELP",
    "    Prints this help.",
  };

  static void register(CommandTable t) {
    CommandSpec latency = t.container("latency", -2, "");
    String flags = "admin noscript loading stale";
    t.sub(latency, "latest", 2, flags, 0, 0, 0, LatencyCommands::latest);
    t.sub(latency, "history", 3, flags, 0, 0, 0, LatencyCommands::history);
    t.sub(latency, "reset", -2, flags, 0, 0, 0, LatencyCommands::reset);
    t.sub(latency, "graph", 3, flags, 0, 0, 0, LatencyCommands::graph);
    t.sub(latency, "doctor", 2, flags, 0, 0, 0, LatencyCommands::doctor);
    t.sub(latency, "histogram", -2, flags, 0, 0, 0, LatencyCommands::histogram);
    t.sub(latency, "help", 2, "loading stale", 0, 0, 0,
        (c, a) -> ServerCommands.help(c, HELP));
  }

  private static LatencyMonitor monitor(Client c) {
    return c.kiln.latencyMonitor();
  }

  static void latest(Client c, byte[][] argv) {
    Map<String, LatencyMonitor.Series> events = monitor(c).events();
    c.out.array(events.size());
    events.forEach((name, s) -> {
      c.out.array(4);
      c.out.bulk(name);
      c.out.integer(s.latestTime());
      c.out.integer(s.latestLatency());
      c.out.integer(s.max());
    });
  }

  static void history(Client c, byte[][] argv) {
    LatencyMonitor.Series s = monitor(c).series(Numbers.ascii(argv[2]));
    if (s == null) {
      c.out.array(0);
      return;
    }
    List<long[]> samples = s.history();
    c.out.array(samples.size());
    for (long[] sample : samples) {
      c.out.array(2);
      c.out.integer(sample[0]);
      c.out.integer(sample[1]);
    }
  }

  static void reset(Client c, byte[][] argv) {
    LatencyMonitor m = monitor(c);
    if (argv.length == 2) {
      c.out.integer(m.resetAll());
      return;
    }
    int n = 0;
    for (int i = 2; i < argv.length; i++) {
      if (m.reset(Numbers.ascii(argv[i]))) {
        n++;
      }
    }
    c.out.integer(n);
  }

  /** A plain text chart of an event's samples (Kiln's own layout, not Redis's). */
  static void graph(Client c, byte[][] argv) {
    String event = Numbers.ascii(argv[2]);
    LatencyMonitor.Series s = monitor(c).series(event);
    if (s == null) {
      c.error(String.format(Errors.LATENCY_NO_SAMPLES, event));
      return;
    }
    List<long[]> samples = s.history();
    long high = 0;
    long low = Long.MAX_VALUE;
    for (long[] x : samples) {
      high = Math.max(high, x[1]);
      low = Math.min(low, x[1]);
    }
    long now = System.currentTimeMillis() / 1000;
    StringBuilder sb = new StringBuilder();
    sb.append(event).append(" - high ").append(high).append(" ms, low ").append(low)
        .append(" ms (all time high ").append(s.max()).append(" ms)\n");
    sb.append("-".repeat(60)).append('\n');
    for (long[] x : samples) {
      int bar = high == 0 ? 0 : (int) Math.max(1, x[1] * 40 / high);
      sb.append(String.format(Locale.ROOT, "%8s ago %s %d ms%n", age(now - x[0]),
          "#".repeat(bar), x[1]));
    }
    c.out.verbatim(sb.toString());
  }

  private static String age(long sec) {
    if (sec < 60) {
      return sec + "s";
    }
    if (sec < 3600) {
      return sec / 60 + "m";
    }
    return sec / 3600 + "h";
  }

  /** A short report in Kiln's own words: the events seen and what usually causes them. */
  static void doctor(Client c, byte[][] argv) {
    long threshold = c.kiln.config().getLong("latency-monitor-threshold");
    Map<String, LatencyMonitor.Series> events = monitor(c).events();
    StringBuilder sb = new StringBuilder();
    if (threshold == 0 && events.isEmpty()) {
      sb.append("Latency monitoring is off. Turn it on with "
          + "CONFIG SET latency-monitor-threshold <milliseconds>.\n");
    } else if (events.isEmpty()) {
      sb.append("No event took longer than ").append(threshold)
          .append(" ms since the server started or since LATENCY RESET. Nothing to report.\n");
    } else {
      sb.append("Latency report (events over ").append(threshold).append(" ms):\n\n");
      int i = 1;
      for (Map.Entry<String, LatencyMonitor.Series> e : events.entrySet()) {
        List<long[]> samples = e.getValue().history();
        long sum = 0;
        for (long[] x : samples) {
          sum += x[1];
        }
        sb.append(i++).append(". ").append(e.getKey()).append(": ").append(samples.size())
            .append(" latency spikes (average ").append(samples.isEmpty() ? 0 : sum / samples.size())
            .append(" ms, worst ever ").append(e.getValue().max()).append(" ms).\n");
      }
      sb.append("\nAdvice:\n");
      if (events.containsKey("command") || events.containsKey("fast-command")) {
        sb.append("- Slow commands: see SLOWLOG GET and INFO commandstats; avoid O(N) commands "
            + "such as KEYS on large keyspaces.\n");
      }
      if (events.containsKey("fork")) {
        sb.append("- Snapshot start pauses: Kiln snapshots without fork; a long start pause "
            + "points at many databases or a busy machine.\n");
      }
      if (events.containsKey(ShardVerticle.STALL_EVENT)) {
        sb.append("- Event loop stalls: a slow command, a long pipeline batch, a garbage "
            + "collector pause (run with -Xlog:gc) or the OS giving the event loop's core to "
            + "another thread.\n");
      }
      sb.append("- Check the machine for CPU contention and swapping.\n");
    }
    c.out.verbatim(sb.toString());
  }

  /** Per command: calls and a cumulative histogram over power-of-two microsecond bounds. */
  static void histogram(Client c, byte[][] argv) {
    List<CommandSpec> specs = new ArrayList<>();
    CommandTable table = c.kiln.commands();
    if (argv.length == 2) {
      for (CommandSpec s : table.allWithSubcommands()) {
        if (c.home.latency().histogram(s.id) != null) {
          specs.add(s);
        }
      }
    } else {
      for (int i = 2; i < argv.length; i++) {
        String name = Numbers.ascii(argv[i]).toLowerCase(Locale.ROOT);
        for (CommandSpec s : table.allWithSubcommands()) {
          boolean match = s.fullName().equals(name) || (s.parent != null
              && s.parent.name.equals(name));
          if (match && c.home.latency().histogram(s.id) != null) {
            specs.add(s);
          }
        }
      }
    }
    c.out.map(specs.size());
    for (CommandSpec s : specs) {
      long[] h = c.home.latency().histogram(s.id);
      c.out.bulk(s.fullName());
      c.out.map(2);
      c.out.bulk("calls");
      c.out.integer(h[h.length - 1]);
      c.out.bulk("histogram_usec");
      long[] counts = powerOfTwoCounts(h, 0, 40);
      List<long[]> steps = new ArrayList<>();
      long cumulative = 0;
      for (int k = 0; k < counts.length - 1; k++) {
        if (counts[k] > 0) {
          cumulative += counts[k];
          steps.add(new long[] {1L << k, cumulative});
        }
      }
      c.out.map(steps.size());
      for (long[] st : steps) {
        c.out.integer(st[0]);
        c.out.integer(st[1]);
      }
    }
  }

  /**
   * The latency histogram of command {@code commandId} on {@code shard} reduced to counts (not
   * cumulative) of values below 2^minExp, 2^(minExp+1) ... 2^maxExp microseconds, then the rest;
   * null when it has none. Call on that shard's event loop.
   */
  public static long[] powerOfTwoCounts(ShardVerticle shard, int commandId, int minExp,
      int maxExp) {
    long[] h = shard.latency().histogram(commandId);
    return h == null ? null : powerOfTwoCounts(h, minExp, maxExp);
  }

  static long[] powerOfTwoCounts(long[] h, int minExp, int maxExp) {
    int n = maxExp - minExp + 1;
    long[] out = new long[n + 1];
    int buckets = h.length - 1; // the last slot holds the total
    int from = 0;
    for (int k = 0; k < n; k++) {
      int to = Math.min(buckets, Info.Latency.bucket(1L << (minExp + k)));
      long sum = 0;
      for (int i = from; i < to; i++) {
        sum += h[i];
      }
      out[k] = sum;
      from = Math.max(from, to);
    }
    long rest = 0;
    for (int i = from; i < buckets; i++) {
      rest += h[i];
    }
    out[n] = rest;
    return out;
  }
}
