package io.kiln.command;

import io.kiln.server.Server;
import io.kiln.config.Config;
import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Shard;
import io.kiln.keyspace.Stats;
import io.kiln.persist.PersistenceInfo;
import io.kiln.server.Client;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds the text of INFO: the sections Redis 7.0 prints, in its order and with its field names,
 * filled with Kiln's own numbers. Facts that need file I/O (resident memory, process CPU times,
 * the executable) come from {@link HostFacts}, refreshed on a worker thread and only read here.
 * Stateless apart from that; runs on the event loop of the client asking.
 */
public final class Info {
  private Info() {}

  /** Sections in the order Redis prints them. */
  static final List<String> ORDER = List.of("server", "clients", "memory", "persistence",
      "stats", "replication", "cpu", "modules", "commandstats", "errorstats", "latencystats",
      "cluster", "keyspace");
  static final Set<String> DEFAULT = Set.of("server", "clients", "memory", "persistence",
      "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace");

  /** The sections named by INFO's arguments (none: default; all; everything; default). */
  static Set<String> sections(byte[][] argv, int from) {
    Set<String> out = new TreeSet<>();
    if (argv.length <= from) {
      out.addAll(DEFAULT);
      return out;
    }
    for (int i = from; i < argv.length; i++) {
      String s = new String(argv[i], StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
      switch (s) {
        case "default" -> out.addAll(DEFAULT);
        case "all", "everything" -> out.addAll(ORDER);
        default -> out.add(s);
      }
    }
    return out;
  }

  /** The INFO text for {@code sections}, as seen by client {@code c}. */
  public static String build(Client c, Set<String> sections) {
    StringBuilder sb = new StringBuilder(4096);
    for (String name : ORDER) {
      if (!sections.contains(name)) {
        continue;
      }
      if (sb.length() > 0) {
        sb.append("\r\n");
      }
      switch (name) {
        case "server" -> server(sb, c);
        case "clients" -> clients(sb, c);
        case "memory" -> memory(sb, c);
        case "persistence" -> persistence(sb, c);
        case "stats" -> stats(sb, c);
        case "replication" -> replication(sb, c);
        case "cpu" -> cpu(sb, c);
        case "modules" -> sb.append("# Modules\r\n");
        case "commandstats" -> commandstats(sb, c);
        case "errorstats" -> errorstats(sb, c);
        case "latencystats" -> latencystats(sb, c);
        case "cluster" -> sb.append("# Cluster\r\n").append("cluster_enabled:0\r\n");
        case "keyspace" -> keyspace(sb, c);
        default -> throw new IllegalStateException(name);
      }
    }
    return sb.toString();
  }

  private static void field(StringBuilder sb, String name, Object value) {
    sb.append(name).append(':').append(value).append("\r\n");
  }

  private static void server(StringBuilder sb, Client c) {
    Server k = c.kiln;
    Config cfg = k.config();
    long now = System.currentTimeMillis();
    long uptime = (now - k.startTimeMs()) / 1000;
    Instant t = Instant.now();
    HostFacts h = HostFacts.current;
    sb.append("# Server\r\n");
    field(sb, "redis_version", Server.REDIS_VERSION);
    field(sb, "redis_git_sha1", "00000000");
    field(sb, "redis_git_dirty", 0);
    field(sb, "redis_build_id", "0");
    field(sb, "redis_mode", "standalone");
    field(sb, "os", OS);
    field(sb, "arch_bits", 64);
    field(sb, "monotonic_clock", "POSIX clock_gettime");
    field(sb, "multiplexing_api", c.kiln.vertx().isNativeTransportEnabled() ? "epoll" : "nio");
    field(sb, "atomicvar_api", "c11-builtin");
    field(sb, "gcc_version", "0.0.0");
    field(sb, "process_id", ProcessHandle.current().pid());
    field(sb, "process_supervised", "no");
    field(sb, "run_id", k.runId());
    field(sb, "tcp_port", k.port() != 0 ? k.port() : k.tlsPort()); // Redis: TLS port if no TCP
    field(sb, "server_time_usec", t.getEpochSecond() * 1_000_000 + t.getNano() / 1000);
    field(sb, "uptime_in_seconds", uptime);
    field(sb, "uptime_in_days", uptime / 86400);
    field(sb, "hz", cfg.getInt("hz"));
    field(sb, "configured_hz", cfg.getInt("hz"));
    field(sb, "lru_clock", (now / 1000) & ((1 << 24) - 1));
    field(sb, "executable", h.executable);
    field(sb, "config_file", cfg.configFile() == null ? "" : cfg.configFile());
    // the loops beside the shard's do reads and writes as Redis's I/O threads do
    field(sb, "io_threads_active", k.connectionLoops().isEmpty() ? 0 : 1);
    field(sb, "kiln_version", Server.VERSION);
  }

  private static final String OS = System.getProperty("os.name") + " "
      + System.getProperty("os.version") + " "
      + ("amd64".equals(System.getProperty("os.arch")) ? "x86_64"
          : System.getProperty("os.arch"));

  private static void clients(StringBuilder sb, Client c) {
    long maxQbuf = 0;
    for (Client other : c.home.clients().values()) {
      maxQbuf = Math.max(maxQbuf, other.queryBufferBytes());
    }
    sb.append("# Clients\r\n");
    field(sb, "connected_clients", c.kiln.connectedClients().get());
    field(sb, "cluster_connections", 0);
    field(sb, "maxclients", c.kiln.config().getInt("maxclients"));
    field(sb, "client_recent_max_input_buffer", maxQbuf);
    field(sb, "client_recent_max_output_buffer", c.home.maxOutputBuffer());
    field(sb, "blocked_clients",
        c.home.blocking().blockedClients() + c.home.pause().postponedCount());
    field(sb, "tracking_clients", c.home.tracking().clientCount());
    field(sb, "clients_in_timeout_table", 0);
  }

  /** Highest used_memory seen since start or CONFIG RESETSTAT (any event loop may update). */
  private static final java.util.concurrent.atomic.AtomicLong PEAK =
      new java.util.concurrent.atomic.AtomicLong();

  static void resetPeak() {
    PEAK.set(0);
  }

  /** used_memory_peak after a reading of {@code used}. */
  static long peak(long used) {
    return PEAK.accumulateAndGet(used, Math::max);
  }

  /** The process's RSS (refreshed every second), or the heap reserved before the first read. */
  static long rss() {
    long rss = HostFacts.current.rssBytes;
    return rss > 0 ? rss : Runtime.getRuntime().totalMemory();
  }

  private static void memory(StringBuilder sb, Client c) {
    Runtime rt = Runtime.getRuntime();
    long heapUsed = rt.totalMemory() - rt.freeMemory();
    c.shard.settleMemory();
    io.kiln.server.UsedMemory m = io.kiln.server.UsedMemory.of(c.kiln);
    long used = m.total();
    long peak = peak(used);
    HostFacts h = HostFacts.current;
    long rss = rss();
    long maxmemory = c.kiln.config().getLong("maxmemory");
    long overhead = m.overhead();
    long dataset = m.dataset();
    sb.append("# Memory\r\n");
    field(sb, "used_memory", used);
    field(sb, "used_memory_human", human(used));
    field(sb, "used_memory_rss", rss);
    field(sb, "used_memory_rss_human", human(rss));
    field(sb, "used_memory_peak", peak);
    field(sb, "used_memory_peak_human", human(peak));
    field(sb, "used_memory_peak_perc", pct(used, peak) + "%");
    field(sb, "used_memory_overhead", overhead);
    field(sb, "used_memory_startup", m.startup());
    field(sb, "used_memory_dataset", dataset);
    field(sb, "used_memory_dataset_perc", pct(dataset, used - m.startup()) + "%");
    // the allocator is the JVM's heap: what it holds (garbage included), and what it reserved
    field(sb, "allocator_allocated", heapUsed);
    field(sb, "allocator_active", rt.totalMemory());
    field(sb, "allocator_resident", rss);
    field(sb, "total_system_memory", h.totalSystemMemory);
    field(sb, "total_system_memory_human", human(h.totalSystemMemory));
    io.kiln.server.Scripting scripts = c.home.scripting();
    long lua = scripts.luaMemory();
    long scriptsEval = scripts.cachedBytes();
    long vmFunctions = scripts.functionsMemory();
    field(sb, "used_memory_lua", lua);
    field(sb, "used_memory_vm_eval", lua);
    field(sb, "used_memory_lua_human", human(lua));
    field(sb, "used_memory_scripts_eval", scriptsEval);
    field(sb, "number_of_cached_scripts", scripts.cachedCount());
    field(sb, "number_of_functions", scripts.functions().functionCount());
    field(sb, "number_of_libraries", scripts.functions().libraryCount());
    field(sb, "used_memory_vm_functions", vmFunctions);
    field(sb, "used_memory_vm_total", lua + vmFunctions);
    field(sb, "used_memory_vm_total_human", human(lua + vmFunctions));
    field(sb, "used_memory_functions", 0);
    field(sb, "used_memory_scripts", scriptsEval);
    field(sb, "used_memory_scripts_human", human(scriptsEval));
    field(sb, "maxmemory", maxmemory);
    field(sb, "maxmemory_human", human(maxmemory));
    field(sb, "maxmemory_policy", c.kiln.config().getString("maxmemory-policy"));
    field(sb, "allocator_frag_ratio", ratio(rt.totalMemory(), heapUsed));
    field(sb, "allocator_frag_bytes", rt.totalMemory() - heapUsed);
    field(sb, "allocator_rss_ratio", ratio(rss, rt.totalMemory()));
    field(sb, "allocator_rss_bytes", rss - rt.totalMemory());
    field(sb, "rss_overhead_ratio", "1.00");
    field(sb, "rss_overhead_bytes", 0);
    field(sb, "mem_fragmentation_ratio", ratio(rss, used));
    field(sb, "mem_fragmentation_bytes", rss - used);
    field(sb, "mem_not_counted_for_evict", m.aofBuffer());
    field(sb, "mem_replication_backlog", 0);
    field(sb, "mem_total_replication_buffers", 0);
    field(sb, "mem_clients_slaves", 0);
    field(sb, "mem_clients_normal", m.clients());
    field(sb, "mem_cluster_links", 0);
    field(sb, "mem_aof_buffer", m.aofBuffer());
    field(sb, "mem_allocator", "jvm");
    field(sb, "active_defrag_running", 0);
    field(sb, "lazyfree_pending_objects", 0);
    field(sb, "lazyfreed_objects", c.shard.stats.lazyfreedObjects);
  }

  /** Redis's bytesToHuman: B below 1K, else two decimals and K, M, G, T, P. */
  static String human(long n) {
    if (n < 1024) {
      return n + "B";
    }
    String[] units = {"K", "M", "G", "T", "P"};
    double d = n;
    for (String u : units) {
      d /= 1024;
      if (d < 1024 || u.equals("P")) {
        return fixed(d, 2) + u;
      }
    }
    return n + "B";
  }

  /**
   * {@code v} with {@code decimals} digits after the point: the text {@code String.format} gives
   * for {@code "%.<decimals>f"} (half-up rounding of the shortest decimal form of {@code v}), at a
   * fraction of its cost and without its format parser, which INFO, polled by backup scripts and
   * monitors on the event loop, otherwise ran a dozen times per call.
   */
  static String fixed(double v, int decimals) {
    if (Double.isNaN(v) || Double.isInfinite(v) || Double.compare(v, 0.0) < 0) {
      return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
    return BigDecimal.valueOf(v).setScale(decimals, RoundingMode.HALF_UP).toPlainString();
  }

  private static String pct(long part, long whole) {
    return fixed(whole == 0 ? 0.0 : part * 100.0 / whole, 2);
  }

  private static String ratio(long a, long b) {
    return fixed(b == 0 ? 0.0 : (double) a / b, 2);
  }

  private static void persistence(StringBuilder sb, Client c) {
    sb.append("# Persistence\r\n");
    PersistenceInfo p = c.kiln.persistence();
    field(sb, "loading", p.loading ? 1 : 0);
    field(sb, "async_loading", 0);
    field(sb, "current_cow_peak", 0);
    field(sb, "current_cow_size", 0);
    field(sb, "current_cow_size_age", 0);
    field(sb, "current_fork_perc", p.bgsaveInProgress() && p.currentSaveKeysTotal() > 0
        ? fixed(100.0 * p.currentSaveKeysProcessed() / p.currentSaveKeysTotal(), 2) : "0.00");
    field(sb, "current_save_keys_processed", p.currentSaveKeysProcessed());
    field(sb, "current_save_keys_total", p.currentSaveKeysTotal());
    field(sb, "rdb_changes_since_last_save", c.shard.dirty);
    field(sb, "rdb_bgsave_in_progress", p.bgsaveInProgress() ? 1 : 0);
    field(sb, "rdb_last_save_time", p.lastSaveSec);
    field(sb, "rdb_last_bgsave_status", p.lastBgsaveOk ? "ok" : "err");
    field(sb, "rdb_last_bgsave_time_sec", p.lastBgsaveTimeSec);
    field(sb, "rdb_current_bgsave_time_sec", p.bgsaveInProgress()
        ? (System.currentTimeMillis() - p.bgsaveStartMs) / 1000 : -1);
    field(sb, "rdb_saves", p.saves);
    field(sb, "rdb_last_cow_size", 0);
    field(sb, "rdb_last_load_keys_expired", p.lastLoadKeysExpired);
    field(sb, "rdb_last_load_keys_loaded", p.lastLoadKeysLoaded);
    io.kiln.persist.Aof.Status aof = c.kiln.aofStatus();
    field(sb, "aof_enabled", aof.enabled ? 1 : 0);
    field(sb, "aof_rewrite_in_progress", p.aofRewriteStartMs >= 0 ? 1 : 0);
    field(sb, "aof_rewrite_scheduled", p.aofRewriteScheduled ? 1 : 0);
    field(sb, "aof_last_rewrite_time_sec", p.aofLastRewriteTimeSec);
    field(sb, "aof_current_rewrite_time_sec", p.aofRewriteStartMs >= 0
        ? (System.currentTimeMillis() - p.aofRewriteStartMs) / 1000 : -1);
    field(sb, "aof_last_bgrewrite_status", p.aofLastRewriteOk ? "ok" : "err");
    field(sb, "aof_rewrites", p.aofRewrites);
    field(sb, "aof_rewrites_consecutive_failures", p.aofRewritesConsecutiveFailures);
    // as this shard knows it: INFO and the MISCONF gate agree
    field(sb, "aof_last_write_status", c.home.aofWriteError() == null ? "ok" : "err");
    field(sb, "aof_last_cow_size", 0);
    field(sb, "module_fork_in_progress", 0);
    field(sb, "module_fork_last_cow_size", 0);
    if (aof.enabled) {
      field(sb, "aof_current_size", aof.currentSize);
      field(sb, "aof_base_size", aof.baseSize);
      field(sb, "aof_pending_rewrite", 0);
      field(sb, "aof_buffer_length", aof.bufferLength);
      field(sb, "aof_pending_bio_fsync", aof.fsyncPending ? 1 : 0);
      field(sb, "aof_delayed_fsync", aof.delayedFsync);
    }
    if (p.loading) {
      long elapsed = System.currentTimeMillis() / 1000 - p.loadingStartSec;
      long eta = elapsed == 0 ? 1
          : elapsed * (p.loadingTotalBytes - p.loadingLoadedBytes) / (p.loadingLoadedBytes + 1);
      field(sb, "loading_start_time", p.loadingStartSec);
      field(sb, "loading_total_bytes", p.loadingTotalBytes);
      field(sb, "loading_rdb_used_mem", p.loadingRdbUsedMem);
      field(sb, "loading_loaded_bytes", p.loadingLoadedBytes);
      field(sb, "loading_loaded_perc",
          fixed((double) p.loadingLoadedBytes / (p.loadingTotalBytes + 1) * 100, 2));
      field(sb, "loading_eta_seconds", eta);
    }
  }

  private static void stats(StringBuilder sb, Client c) {
    Stats s = c.shard.stats;
    Rates r = c.home.rates();
    sb.append("# Stats\r\n");
    field(sb, "total_connections_received", s.connectionsReceived);
    field(sb, "total_commands_processed", s.commandsProcessed);
    field(sb, "instantaneous_ops_per_sec", r.opsPerSec());
    field(sb, "total_net_input_bytes", s.netInputBytes);
    field(sb, "total_net_output_bytes", s.netOutputBytes);
    field(sb, "total_net_repl_input_bytes", 0);
    field(sb, "total_net_repl_output_bytes", 0);
    field(sb, "instantaneous_input_kbps", fixed(r.inputKbps(), 2));
    field(sb, "instantaneous_output_kbps", fixed(r.outputKbps(), 2));
    field(sb, "instantaneous_input_repl_kbps", "0.00");
    field(sb, "instantaneous_output_repl_kbps", "0.00");
    field(sb, "rejected_connections", s.rejectedConnections);
    field(sb, "sync_full", 0);
    field(sb, "sync_partial_ok", 0);
    field(sb, "sync_partial_err", 0);
    field(sb, "expired_keys", s.expiredKeys);
    field(sb, "expired_stale_perc", fixed(s.expiredStalePercNumerator / 100.0, 2));
    field(sb, "expired_time_cap_reached_count", s.expiredTimeCapReachedCount);
    field(sb, "expire_cycle_cpu_milliseconds", s.expireCycleCpuMillis);
    field(sb, "evicted_keys", s.evictedKeys);
    field(sb, "evicted_clients", c.home.evictedClients());
    long[] exceeded = c.home.evictionExceededMicros();
    field(sb, "total_eviction_exceeded_time", exceeded[0] / 1000);
    field(sb, "current_eviction_exceeded_time", exceeded[1] / 1000);
    field(sb, "keyspace_hits", s.keyspaceHits);
    field(sb, "keyspace_misses", s.keyspaceMisses);
    field(sb, "pubsub_channels", c.home.pubsub().channelCount());
    field(sb, "pubsub_patterns", c.home.pubsub().patternCount());
    field(sb, "pubsubshard_channels", c.home.pubsub().shardChannelCount());
    field(sb, "latest_fork_usec", c.kiln.persistence().latestForkUsec);
    field(sb, "total_forks", c.kiln.persistence().totalForks);
    field(sb, "migrate_cached_sockets", 0);
    field(sb, "slave_expires_tracked_keys", 0);
    field(sb, "active_defrag_hits", 0);
    field(sb, "active_defrag_misses", 0);
    field(sb, "active_defrag_key_hits", 0);
    field(sb, "active_defrag_key_misses", 0);
    field(sb, "total_active_defrag_time", 0);
    field(sb, "current_active_defrag_time", 0);
    field(sb, "tracking_total_keys", c.home.tracking().totalKeys());
    field(sb, "tracking_total_items", c.home.tracking().totalItems());
    field(sb, "tracking_total_prefixes", c.home.tracking().totalPrefixes());
    field(sb, "unexpected_error_replies", s.unexpectedErrorReplies);
    field(sb, "total_error_replies", s.totalErrorReplies);
    field(sb, "dump_payload_sanitizations", s.dumpPayloadSanitizations);
    field(sb, "total_reads_processed", r.reads);
    field(sb, "total_writes_processed", r.writes);
    field(sb, "io_threaded_reads_processed", r.threadedReads);
    field(sb, "io_threaded_writes_processed", r.threadedWrites);
    field(sb, "reply_buffer_shrinks", 0);
    field(sb, "reply_buffer_expands", 0);
  }

  private static void replication(StringBuilder sb, Client c) {
    sb.append("# Replication\r\n");
    field(sb, "role", "master");
    field(sb, "connected_slaves", 0);
    field(sb, "master_failover_state", "no-failover");
    field(sb, "master_replid", replId(c.kiln));
    field(sb, "master_replid2", "0000000000000000000000000000000000000000");
    field(sb, "master_repl_offset", 0);
    field(sb, "second_repl_offset", -1);
    field(sb, "repl_backlog_active", 0);
    field(sb, "repl_backlog_size", c.kiln.config().getLong("repl-backlog-size"));
    field(sb, "repl_backlog_first_byte_offset", 0);
    field(sb, "repl_backlog_histlen", 0);
  }

  /** A replication id of 40 hex digits, stable for the server's lifetime, unlike its run id. */
  static String replId(Server k) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-1")
          .digest(("replid:" + k.runId()).getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static volatile boolean warm;

  /** Loads the classes INFO needs on a worker, so the first INFO does not stall a loop. */
  static void warmUp() {
    if (warm) {
      return;
    }
    THREADS.isCurrentThreadCpuTimeSupported();
    human(123456);
    secs(1.5);
    try {
      MessageDigest.getInstance("SHA-1").digest(new byte[1]);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    warm = true;
  }

  private static void cpu(StringBuilder sb, Client c) {
    HostFacts h = HostFacts.current;
    double mainCpu = 0;
    double mainUser = 0;
    if (THREADS.isCurrentThreadCpuTimeSupported()) {
      mainCpu = THREADS.getCurrentThreadCpuTime() / 1e9;
      mainUser = THREADS.getCurrentThreadUserTime() / 1e9;
    }
    sb.append("# CPU\r\n");
    field(sb, "used_cpu_sys", secs(h.cpuSysSec));
    field(sb, "used_cpu_user", secs(h.cpuUserSec));
    field(sb, "used_cpu_sys_children", "0.000000");
    field(sb, "used_cpu_user_children", "0.000000");
    field(sb, "used_cpu_sys_main_thread", secs(Math.max(0, mainCpu - mainUser)));
    field(sb, "used_cpu_user_main_thread", secs(mainUser));
  }

  private static String secs(double s) {
    return fixed(s, 6);
  }

  private static void commandstats(StringBuilder sb, Client c) {
    sb.append("# Commandstats\r\n");
    Stats s = c.shard.stats;
    for (CommandSpec spec : c.kiln.commands().allWithSubcommands()) {
      Stats.CommandStat cs = s.commandIfCounted(spec.id);
      if (cs == null || (cs.calls == 0 && cs.failedCalls == 0 && cs.rejectedCalls == 0)) {
        continue;
      }
      sb.append("cmdstat_").append(spec.fullName()).append(":calls=").append(cs.calls)
          .append(",usec=").append(cs.micros).append(",usec_per_call=")
          .append(fixed(cs.calls == 0 ? 0.0 : (double) cs.micros / cs.calls, 2))
          .append(",rejected_calls=").append(cs.rejectedCalls)
          .append(",failed_calls=").append(cs.failedCalls).append("\r\n");
    }
  }

  private static void errorstats(StringBuilder sb, Client c) {
    sb.append("# Errorstats\r\n");
    c.shard.stats.errors.forEach((prefix, count) ->
        sb.append("errorstat_").append(prefix).append(":count=").append(count[0])
            .append("\r\n"));
  }

  private static void latencystats(StringBuilder sb, Client c) {
    sb.append("# Latencystats\r\n");
    String[] words = c.kiln.config().getString("latency-tracking-info-percentiles").split(" ");
    List<Double> percentiles = new java.util.ArrayList<>();
    List<String> labels = new java.util.ArrayList<>();
    for (String w : words) {
      if (!w.isEmpty()) {
        double p = Double.parseDouble(w);
        percentiles.add(p);
        labels.add("p" + new java.math.BigDecimal(w).stripTrailingZeros().toPlainString());
      }
    }
    Latency latency = c.home.latency();
    for (CommandSpec spec : c.kiln.commands().allWithSubcommands()) {
      long[] h = latency.histogram(spec.id);
      if (h == null) {
        continue;
      }
      sb.append("latency_percentiles_usec_").append(spec.fullName()).append(':');
      for (int i = 0; i < percentiles.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        sb.append(labels.get(i)).append('=')
            .append(fixed((double) Latency.valueAt(h, percentiles.get(i)), 3));
      }
      sb.append("\r\n");
    }
  }

  /**
   * Per-command latency histograms for INFO latencystats: log-linear buckets (exact below 128
   * microseconds, then 64 sub-buckets per power of two, about 1.5% precision), as Redis keeps
   * an HdrHistogram per command. Owned by one shard's event loop.
   */
  public static final class Latency {
    private static final int BUCKETS = 128 + 57 * 64;
    private final java.util.Map<Integer, long[]> histograms = new java.util.HashMap<>();

    public void record(int commandId, long micros) {
      long[] h = histograms.computeIfAbsent(commandId, k -> new long[BUCKETS + 1]);
      h[bucket(Math.max(0, micros))]++;
      h[BUCKETS]++; // total count in the last slot
    }

    long[] histogram(int commandId) {
      return histograms.get(commandId);
    }

    public void reset() {
      histograms.clear();
    }

    static int bucket(long v) {
      if (v < 128) {
        return (int) v;
      }
      int m = 63 - Long.numberOfLeadingZeros(v);
      int sub = (int) ((v >>> (m - 6)) & 63);
      return 128 + (m - 7) * 64 + sub;
    }

    /** The highest value of a bucket (HdrHistogram reports the bucket's upper equivalent). */
    static long upper(int bucket) {
      if (bucket < 128) {
        return bucket;
      }
      int m = (bucket - 128) / 64 + 7;
      long sub = (bucket - 128) % 64;
      long low = (1L << m) | (sub << (m - 6));
      return low + (1L << (m - 6)) - 1;
    }

    static long valueAt(long[] h, double percentile) {
      long total = h[BUCKETS];
      long want = Math.max(1, (long) Math.ceil(percentile / 100.0 * total));
      long seen = 0;
      for (int i = 0; i < BUCKETS; i++) {
        seen += h[i];
        if (seen >= want) {
          return upper(i);
        }
      }
      return 0;
    }
  }

  private static void keyspace(StringBuilder sb, Client c) {
    sb.append("# Keyspace\r\n");
    Shard shard = c.shard;
    for (int i = 0; i < shard.databases(); i++) {
      Db db = shard.db(i);
      if (db.size() == 0) {
        continue;
      }
      sb.append("db").append(i).append(":keys=").append(db.size()).append(",expires=")
          .append(db.expiresSize()).append(",avg_ttl=").append(avgTtl(db, shard.now()))
          .append("\r\n");
    }
  }

  /** An estimate from a few random keys, as Redis's own figure is an estimate. */
  private static long avgTtl(Db db, long now) {
    if (db.expiresSize() == 0) {
      return 0;
    }
    long sum = 0;
    int n = 0;
    for (int i = 0; i < 32 && db.size() > 0; i++) {
      Dict.Node<Object> node = db.randomNode();
      if (node != null && node.expireAt > now) {
        sum += node.expireAt - now;
        n++;
      }
    }
    return n == 0 ? 0 : sum / n;
  }

  /**
   * Facts about the process that take file reads to learn (/proc): refreshed by
   * {@link #refresh} on a worker thread every second, read by INFO from any event loop through
   * the volatile {@link #current}. Immutable.
   */
  public static final class HostFacts {
    static volatile HostFacts current = new HostFacts(0, 0, 0, 0, "");

    final long rssBytes;
    final double cpuUserSec;
    final double cpuSysSec;
    final long totalSystemMemory;
    final String executable;

    HostFacts(long rssBytes, double cpuUserSec, double cpuSysSec, long totalSystemMemory,
        String executable) {
      this.rssBytes = rssBytes;
      this.cpuUserSec = cpuUserSec;
      this.cpuSysSec = cpuSysSec;
      this.totalSystemMemory = totalSystemMemory;
      this.executable = executable;
    }

    /** BLOCKING (reads /proc): run on a worker thread only. */
    public static void refresh() {
      warmUp();
      long rss = 0;
      double user = 0;
      double sys = 0;
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("VmRSS:")) {
            rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
          }
        }
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // after the command name: state is field 3; utime and stime are fields 14 and 15
        user = Long.parseLong(f[11]) / 100.0;
        sys = Long.parseLong(f[12]) / 100.0;
      } catch (Exception e) {
        // not Linux: fall back to what the JVM knows
        java.lang.management.OperatingSystemMXBean os =
            ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
          user = sun.getProcessCpuTime() / 1e9;
        }
      }
      long total = 0;
      if (ManagementFactory.getOperatingSystemMXBean()
          instanceof com.sun.management.OperatingSystemMXBean sun) {
        total = sun.getTotalMemorySize();
      }
      String exe = ProcessHandle.current().info().command().orElse("");
      current = new HostFacts(rss, user, sys, total, exe);
    }
  }

  /**
   * Instantaneous rates as Redis samples them: every 100 ms, over the last 16 samples. Owned by
   * one shard's event loop (sampled from its cron, read by INFO on the same loop).
   */
  public static final class Rates {
    private static final int SAMPLES = 16;
    private final long[] ops = new long[SAMPLES];
    private final long[] in = new long[SAMPLES];
    private final long[] outBytes = new long[SAMPLES];
    private int idx;
    private long lastMs;
    private long lastOps;
    private long lastIn;
    private long lastOut;
    /** Socket reads and writes (INFO total_reads_processed / total_writes_processed). */
    public long reads;
    public long writes;
    /** Of those, the ones a connection loop did (INFO io_threaded_*_processed). */
    public long threadedReads;
    public long threadedWrites;

    /** Called from the shard's cron; records a sample when 100 ms have passed. */
    public void sample(Stats s) {
      long now = System.currentTimeMillis();
      if (lastMs == 0) {
        lastMs = now;
        lastOps = s.commandsProcessed;
        lastIn = s.netInputBytes;
        lastOut = s.netOutputBytes;
        return;
      }
      long dt = now - lastMs;
      if (dt < 100) {
        return;
      }
      ops[idx] = Math.max(0, s.commandsProcessed - lastOps) * 1000 / dt;
      in[idx] = Math.max(0, s.netInputBytes - lastIn) * 1000 / dt;
      outBytes[idx] = Math.max(0, s.netOutputBytes - lastOut) * 1000 / dt;
      idx = (idx + 1) % SAMPLES;
      lastMs = now;
      lastOps = s.commandsProcessed;
      lastIn = s.netInputBytes;
      lastOut = s.netOutputBytes;
    }

    long opsPerSec() {
      return avg(ops);
    }

    double inputKbps() {
      return avg(in) / 1024.0;
    }

    double outputKbps() {
      return avg(outBytes) / 1024.0;
    }

    private static long avg(long[] a) {
      long sum = 0;
      for (long v : a) {
        sum += v;
      }
      return sum / a.length;
    }
  }
}
