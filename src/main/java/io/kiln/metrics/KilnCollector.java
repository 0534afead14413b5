package io.kiln.metrics;

import io.kiln.server.Server;
import io.kiln.command.CommandSpec;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Kiln's own meters (kiln_*), built at scrape time from the latest {@link ShardSample}s: commands
 * by name with their latency histograms, errors, keys per database, clients, memory and the
 * snapshot facts. Nothing is recorded per command for it: the shards' own INFO counters and
 * latency histograms are its source.
 *
 * <p>Called by the Prometheus registry on the metrics server's event loop, right after
 * {@link #update} stored samples fresh from every shard.
 */
final class KilnCollector implements MultiCollector {
  private final Server kiln;
  private volatile List<ShardSample> samples = List.of();
  private final double[] bounds;

  KilnCollector(Server kiln) {
    this.kiln = kiln;
    int n = ShardSample.MAX_EXP - ShardSample.MIN_EXP + 1;
    bounds = new double[n + 1];
    for (int i = 0; i < n; i++) {
      bounds[i] = (1L << (ShardSample.MIN_EXP + i)) / 1e6;
    }
    bounds[n] = Double.POSITIVE_INFINITY;
  }

  void update(List<ShardSample> fresh) {
    samples = fresh;
  }

  @Override
  public MetricSnapshots collect() {
    List<ShardSample> all = samples;
    List<MetricSnapshot> out = new ArrayList<>();
    commands(all, out);

    Map<String, Long> errors = new LinkedHashMap<>();
    for (ShardSample s : all) {
      s.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
    }
    CounterSnapshot.Builder err = CounterSnapshot.builder().name("kiln_errors")
        .help("Error replies by error prefix (INFO errorstats)");
    errors.forEach((k, v) -> err.dataPoint(counter(v, "prefix", k)));
    out.add(err.build());

    int dbs = kiln.config().getInt("databases");
    long[] keys = new long[dbs];
    long[] expires = new long[dbs];
    for (ShardSample s : all) {
      for (int i = 0; i < Math.min(dbs, s.keys.length); i++) {
        keys[i] += s.keys[i];
        expires[i] += s.expires[i];
      }
    }
    GaugeSnapshot.Builder k = GaugeSnapshot.builder().name("kiln_keys").help("Keys per database");
    GaugeSnapshot.Builder e = GaugeSnapshot.builder().name("kiln_keys_with_expiry")
        .help("Keys with a time to live per database");
    for (int i = 0; i < dbs; i++) {
      k.dataPoint(gauge(keys[i], "db", Integer.toString(i)));
      e.dataPoint(gauge(expires[i], "db", Integer.toString(i)));
    }
    out.add(k.build());
    out.add(e.build());

    out.add(gauge("kiln_connected_clients", "Client connections",
        kiln.connectedClients().get()));
    Runtime rt = Runtime.getRuntime();
    out.add(gauge("kiln_used_memory_bytes", "Heap in use (INFO used_memory)",
        rt.totalMemory() - rt.freeMemory()));
    out.add(counter("kiln_expired_keys", "Keys removed because their time to live passed",
        sum(all, s -> s.expiredKeys)));
    // Kiln has no eviction yet (maxmemory policies): registered so dashboards exist.
    out.add(counter("kiln_evicted_keys", "Keys evicted by maxmemory", 0));
    out.add(counter("kiln_keyspace_hits", "Successful key lookups", sum(all, s -> s.keyspaceHits)));
    out.add(counter("kiln_keyspace_misses", "Failed key lookups",
        sum(all, s -> s.keyspaceMisses)));
    out.add(counter("kiln_commands_processed", "Commands run",
        sum(all, s -> s.commandsProcessed)));
    out.add(counter("kiln_connections_received", "Connections accepted",
        sum(all, s -> s.connectionsReceived)));
    out.add(counter("kiln_rejected_connections", "Connections refused (maxclients)",
        sum(all, s -> s.rejectedConnections)));
    out.add(counter("kiln_net_input_bytes", "Bytes read from clients",
        sum(all, s -> s.netInputBytes)));
    out.add(counter("kiln_net_output_bytes", "Bytes written to clients",
        sum(all, s -> s.netOutputBytes)));
    out.add(gauge("kiln_rdb_changes_since_last_save", "Changes since the last successful save",
        sum(all, s -> s.dirty)));
    persistence(all, out);
    return new MetricSnapshots(out);
  }

  private void commands(List<ShardSample> all, List<MetricSnapshot> out) {
    CounterSnapshot.Builder calls = CounterSnapshot.builder().name("kiln_commands")
        .help("Calls per command (INFO commandstats calls)");
    CounterSnapshot.Builder failed = CounterSnapshot.builder().name("kiln_command_failed_calls")
        .help("Calls per command that replied an error");
    CounterSnapshot.Builder rejected = CounterSnapshot.builder()
        .name("kiln_command_rejected_calls")
        .help("Calls per command refused before running (arity, auth, MISCONF...)");
    HistogramSnapshot.Builder duration = HistogramSnapshot.builder()
        .name("kiln_command_duration_seconds")
        .help("Command run time; buckets come from the latency-tracking histograms "
            + "(only +Inf while latency-tracking is off)");
    for (CommandSpec spec : kiln.commands().allWithSubcommands()) {
      int id = spec.id;
      long n = 0;
      long micros = 0;
      long f = 0;
      long r = 0;
      long[] b = null;
      boolean complete = true;
      for (ShardSample s : all) {
        if (id >= s.calls.length) {
          continue;
        }
        n += s.calls[id];
        micros += s.micros[id];
        f += s.failed[id];
        r += s.rejected[id];
        long[] sb = s.buckets[id];
        if (s.calls[id] > 0) {
          if (sb == null || total(sb) != s.calls[id]) {
            complete = false;
          } else if (b == null) {
            b = sb.clone();
          } else {
            for (int i = 0; i < b.length; i++) {
              b[i] += sb[i];
            }
          }
        }
      }
      String name = spec.fullName();
      if (r > 0) {
        rejected.dataPoint(counter(r, "command", name));
      }
      if (n == 0) {
        continue;
      }
      calls.dataPoint(counter(n, "command", name));
      failed.dataPoint(counter(f, "command", name));
      if (!complete || b == null) {
        // latency-tracking was off for some calls: only the count is known
        b = new long[bounds.length];
        b[bounds.length - 1] = n;
      }
      duration.dataPoint(HistogramDataPointSnapshot.builder()
          .labels(Labels.of("command", name))
          .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, b))
          .sum(micros / 1e6).build());
    }
    out.add(calls.build());
    out.add(failed.build());
    out.add(rejected.build());
    out.add(duration.build());
  }

  private static void persistence(List<ShardSample> all, List<MetricSnapshot> out) {
    ShardSample.Persistence p = null;
    for (ShardSample s : all) {
      if (s.persistence != null) {
        p = s.persistence;
      }
    }
    if (p == null) {
      return;
    }
    out.add(counter("kiln_snapshots", "RDB snapshots saved", p.saves()));
    out.add(counter("kiln_snapshot_failures", "RDB snapshots that failed", p.failures()));
    out.add(gauge("kiln_last_save_status", "1 when the last snapshot succeeded, else 0",
        p.lastSaveOk() ? 1 : 0));
    out.add(gauge("kiln_last_save_timestamp_seconds", "Unix time of the last successful save",
        p.lastSaveSec()));
    out.add(gauge("kiln_snapshot_in_progress", "1 while a background save runs",
        p.inProgress() ? 1 : 0));
    out.add(gauge("kiln_last_snapshot_duration_seconds", "Duration of the last snapshot",
        p.lastDurationMs() / 1000.0));
    out.add(gauge("kiln_last_snapshot_bytes", "Size of the last saved RDB file", p.lastBytes()));
    out.add(gauge("kiln_last_snapshot_keys", "Keys in the last saved RDB file", p.lastKeys()));
    out.add(gauge("kiln_last_snapshot_keys_per_second", "Keys written per second by the last snapshot",
        p.lastKeys() * 1000.0 / Math.max(1, p.lastDurationMs())));
    out.add(gauge("kiln_last_snapshot_start_pause_seconds",
        "The last snapshot's start pause (Redis's fork time)", p.latestForkUsec() / 1e6));
    out.add(counter("kiln_snapshot_starts", "Snapshots started (Redis's total_forks)", p.forks()));
  }

  private static long total(long[] b) {
    long t = 0;
    for (long v : b) {
      t += v;
    }
    return t;
  }

  private static long sum(List<ShardSample> all, java.util.function.ToLongFunction<ShardSample> f) {
    long t = 0;
    for (ShardSample s : all) {
      t += f.applyAsLong(s);
    }
    return t;
  }

  private static CounterDataPointSnapshot counter(double v, String label, String value) {
    return CounterDataPointSnapshot.builder().labels(Labels.of(label, value)).value(v).build();
  }

  private static GaugeDataPointSnapshot gauge(double v, String label, String value) {
    return GaugeDataPointSnapshot.builder().labels(Labels.of(label, value)).value(v).build();
  }

  private static CounterSnapshot counter(String name, String help, double v) {
    return CounterSnapshot.builder().name(name).help(help)
        .dataPoint(CounterDataPointSnapshot.builder().value(v).build()).build();
  }

  private static GaugeSnapshot gauge(String name, String help, double v) {
    return GaugeSnapshot.builder().name(name).help(help)
        .dataPoint(GaugeDataPointSnapshot.builder().value(v).build()).build();
  }
}
