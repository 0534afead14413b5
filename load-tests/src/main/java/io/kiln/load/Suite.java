package io.kiln.load;

import io.kiln.load.Scenarios.Probe;
import io.kiln.load.Scenarios.Scenario;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Runs scenarios: against servers it starts itself (the side-by-side suite: Kiln and
 * redis-server with the same directives, one fresh server per scenario) or against one running
 * server. Runs on the main thread plus one short-lived trigger thread per BGSAVE/BGREWRITEAOF
 * scenario; the load itself runs on the Vert.x event loops of {@link LoadRun}.
 */
public final class Suite {
  /** One line of the result table. */
  public static final class Row {
    public final String scenario;
    public final String title;
    public final String server;
    public String status = "ok"; // ok | not supported | failed
    public String note = "";
    public LoadRun.Result result;
    public double readySeconds = -1;
    public long keys;
    public String describe = "";
    /** Cache scenarios: what the server reported (null otherwise). */
    public CacheMeasure.Stats cache;

    Row(Scenario s, String server) {
      this.scenario = s.name();
      this.title = s.title();
      this.server = server;
    }

    public boolean ok() {
      return status.equals("ok");
    }

    /** ops/s of the row, or keys loaded per second for the restart scenario. */
    public double opsPerSecond() {
      if (readySeconds > 0) {
        return keys / readySeconds;
      }
      return result == null ? 0 : result.opsPerSecond();
    }
  }

  /** Suite-wide settings. */
  static final class Settings {
    LoadOptions load = new LoadOptions();
    long preloadKeys = 1_000_000;
    double openRate = 50_000;
    double triggerAfter = 2;
    boolean quick;
    /**
     * Cache scenarios: keyspace (0: the factor times the keys that fit); warm-up until this many
     * times the keys that fit were evicted, at least 5 s, at most cacheWarmup seconds.
     */
    long cacheKeys;
    double cacheTurnovers = 1;
    double cacheWarmup = 90;
  }

  private final Settings settings;
  private final PrintStream out;
  /** Cache scenario -> keyspace, fixed by the first server that runs it so both use the same. */
  private final java.util.Map<String, Long> cacheKeyspaces = new java.util.HashMap<>();

  Suite(Settings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
  }

  static int main(List<String> args) throws Exception {
    Settings st = new Settings();
    st.load.ratio = "1:1";
    Main.parseRunOptions(args, st.load);
    boolean quiet = Main.flag(args, "--quiet");
    st.load.progress = !quiet;
    String kilnJar = Main.option(args, "--kiln-jar", null);
    String redisExe = Main.option(args, "--redis-server", which("redis-server"));
    String outDir = Main.option(args, "--out", "results/"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    int portBase = Integer.parseInt(Main.option(args, "--port-base", "7470"));
    String only = Main.option(args, "--scenarios", null);
    String servers = Main.option(args, "--servers", "kiln,redis");
    st.preloadKeys = Long.parseLong(Main.option(args, "--preload-keys", "1000000"));
    st.openRate = Double.parseDouble(Main.option(args, "--open-rate", "50000"));
    st.quick = Main.flag(args, "--quick");
    cacheOptions(args, st);
    String note = Main.option(args, "--machine-note", "");
    String kilnJavaOpts = Main.option(args, "--kiln-java-opts",
        System.getenv().getOrDefault("KILN_JAVA_OPTS", ""));
    if (st.quick) {
      st.load.warmupSeconds = Math.min(st.load.warmupSeconds, 1);
      st.load.durationSeconds = Math.min(st.load.durationSeconds, 3);
      st.preloadKeys = Math.min(st.preloadKeys, 100_000);
      st.triggerAfter = 1;
    }
    if (!args.isEmpty()) {
      throw new IllegalArgumentException("unknown options " + args);
    }
    List<Scenario> scenarios = only == null ? Scenarios.DEFAULT
        : Arrays.stream(only.split(",")).map(String::trim).map(Scenarios::byName).toList();
    List<ServerProcess.Kind> kinds = new ArrayList<>();
    for (String s : servers.split(",")) {
      switch (s.trim()) {
        case "kiln" -> {
          if (kilnJar == null || !Files.isRegularFile(Path.of(kilnJar))) {
            throw new IllegalArgumentException("--kiln-jar PATH is required (Kiln's target/kiln.jar), got " + kilnJar);
          }
          kinds.add(ServerProcess.kiln(kilnJar, kilnJavaOpts));
        }
        case "redis" -> {
          if (redisExe == null || !Files.isExecutable(Path.of(redisExe))) {
            System.out.println("redis-server not found (install Debian's redis-server, or pass "
                + "--redis-server PATH): the Redis rows are skipped.");
          } else {
            kinds.add(ServerProcess.redis(redisExe));
          }
        }
        default -> throw new IllegalArgumentException("--servers takes kiln and/or redis");
      }
    }
    Path dir = Path.of(outDir);
    Files.createDirectories(dir);
    int[] ports = new int[kinds.size()];
    int p = portBase;
    for (int i = 0; i < kinds.size(); i++) {
      while (!ServerProcess.portFree(p)) {
        p++;
        if (p >= portBase + 20) {
          throw new IOException("no free port in " + portBase + ".." + (portBase + 19));
        }
      }
      ports[i] = p++;
    }
    Suite suite = new Suite(st, System.out);
    long t0 = System.nanoTime();
    List<Row> rows = new ArrayList<>();
    for (Scenario s : scenarios) {
      for (int i = 0; i < kinds.size(); i++) {
        ServerProcess.Kind k = kinds.get(i);
        System.out.printf("%n== %s on %s (port %d): %s%n", s.name(), k.name(), ports[i], s.title());
        Row row = suite.runManaged(s, k, ports[i], dir.resolve("data").resolve(s.name() + "-" + k.name()));
        System.out.println("-> " + Report.line(row));
        rows.add(row);
      }
    }
    double total = (System.nanoTime() - t0) / 1e9;
    String header = String.format("Kiln load suite, %s, %d cores, Java %s, %s; took %.0f s%s",
        LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME).substring(0, 19),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        st.load.loopDescription(), total, note.isEmpty() ? "" : "; " + note);
    Report.writeAll(dir, header, rows, settings(st));
    System.out.println();
    System.out.println(header);
    System.out.println(Report.table(rows));
    System.out.print(Report.cacheTable(rows));
    System.out.println("report: " + dir.resolve("report.html").toAbsolutePath());
    for (int i = 0; i < kinds.size(); i++) {
      deleteTree(dir.resolve("data"));
    }
    return rows.stream().anyMatch(r -> r.status.equals("failed")) ? 1 : 0;
  }

  private static void cacheOptions(List<String> args, Settings st) {
    st.cacheKeys = Long.parseLong(Main.option(args, "--cache-keys", "0"));
    st.cacheWarmup = Double.parseDouble(Main.option(args, "--cache-warmup", "90"));
    st.cacheTurnovers = Double.parseDouble(Main.option(args, "--cache-turnovers", "1"));
  }

  private static String settings(Settings st) {
    return String.format("default load: %s; %s; warm-up %.0f s, measured %.0f s; preload %,d keys; "
        + "open loop %,.0f ops/s", st.load.spec().describe(), st.load.loopDescription(),
        st.load.warmupSeconds, st.load.durationSeconds, st.preloadKeys, st.openRate);
  }

  /** {@code scenario NAME [run options]} against a server that is already running. */
  static int scenarioAgainstRunning(List<String> args) throws Exception {
    if (args.isEmpty()) {
      throw new IllegalArgumentException("scenario needs a NAME: one of " + Scenarios.NAMES);
    }
    Scenario s = Scenarios.byName(args.remove(0));
    Settings st = new Settings();
    st.load.ratio = "1:1";
    Main.parseRunOptions(args, st.load);
    st.load.progress = !Main.flag(args, "--quiet");
    st.preloadKeys = Long.parseLong(Main.option(args, "--preload-keys", "1000000"));
    st.openRate = Double.parseDouble(Main.option(args, "--open-rate", "50000"));
    cacheOptions(args, st);
    if (!args.isEmpty()) {
      throw new IllegalArgumentException("unknown options " + args);
    }
    if (s.restart()) {
      System.out.println("the restart scenario needs to start the server itself: use the suite mode");
      return 2;
    }
    System.out.println("note: the scenario's directives " + s.directives()
        + " are not applied to a running server");
    Row row = new Suite(st, System.out).runOn(s, st.load.host + ":" + st.load.port,
        st.load.host, st.load.port, null);
    System.out.println(Report.line(row));
    return row.status.equals("failed") ? 1 : 0;
  }

  Row runManaged(Scenario s, ServerProcess.Kind kind, int port, Path dataDir) {
    ServerProcess sp = new ServerProcess(kind, port, dataDir, s.directives());
    try {
      deleteTree(dataDir);
      double ready = sp.start(60);
      out.printf("   %s ready in %.2f s%n", kind.name(), ready);
      return runOn(s, kind.name(), "127.0.0.1", port, sp);
    } catch (Exception e) {
      Row row = new Row(s, kind.name());
      row.status = "failed";
      row.note = e.toString();
      return row;
    } finally {
      try {
        sp.stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Runs one scenario on a server at host:port; {@code sp} (may be null) allows restarts. */
  Row runOn(Scenario s, String server, String host, int port, ServerProcess sp) {
    Row row = new Row(s, server);
    try {
      String unsupported = probe(s.probe(), host, port);
      if (unsupported != null) {
        row.status = "not supported";
        row.note = "not supported by this server yet (" + unsupported + ")";
        return row;
      }
      LoadOptions o = options(s);
      o.host = host;
      o.port = port;
      row.describe = s.restart()
          ? String.format("preload %,d keys (%d B values), SAVE, SIGTERM, start again on the same "
              + "directory, time to the first PONG", settings.preloadKeys, o.valueSize)
          : o.spec().describe() + "; " + o.loopDescription();
      if (s.preload()) {
        try (ControlClient c = new ControlClient(host, port, 5000)) {
          long t = System.nanoTime();
          long errors = c.preload(settings.preloadKeys, o.valueSize, 1000);
          out.printf("   preloaded %,d keys in %.2f s (%d errors)%n", settings.preloadKeys,
              (System.nanoTime() - t) / 1e9, errors);
          if (errors > 0) {
            throw new IOException("preload got " + errors + " error replies");
          }
        }
      }
      if (s.restart()) {
        return restart(row, host, port, sp);
      }
      o.label = server + " " + s.name();
      if (s.cache()) {
        return cache(row, s, o);
      }
      LoadRun run = new LoadRun(o, out);
      Thread trigger = null;
      String[] triggerError = new String[1];
      if (s.trigger() != null) {
        trigger = new Thread(() -> trigger(s.trigger(), host, port, run, triggerError), "trigger");
        trigger.setDaemon(true);
        trigger.start();
      }
      row.result = run.execute();
      if (trigger != null) {
        trigger.join(30_000);
      }
      if (row.result.failure != null) {
        row.status = "failed";
        row.note = row.result.failure;
      } else if (triggerError[0] != null) {
        row.status = triggerError[0].contains("unknown command") ? "not supported" : "failed";
        row.note = (row.status.equals("not supported") ? "not supported by this server yet (" : "(")
            + s.trigger() + ": " + shortError(triggerError[0]) + ")";
      }
      if (!row.result.events.isEmpty()) {
        StringBuilder ev = new StringBuilder();
        for (LoadRun.Event e : new ArrayList<>(row.result.events)) {
          ev.append(ev.length() == 0 ? "" : ", ").append(String.format(java.util.Locale.ROOT,
              "%s at %.1f s", e.label(), e.t()));
        }
        if (row.result.events.stream().noneMatch(e -> e.label().endsWith("done"))) {
          ev.append(", not finished when the run ended");
        }
        row.note = (row.note.isEmpty() ? "" : row.note + "; ") + ev;
      }
      if (row.result.errors > 0) {
        row.note = (row.note.isEmpty() ? "" : row.note + "; ") + String.format("%,d error replies",
            row.result.errors) + (row.result.firstError != null ? ", e.g. " + shortError(row.result.firstError) : "");
      }
      return row;
    } catch (Exception e) {
      row.status = "failed";
      row.note = e.toString();
      return row;
    }
  }

  private LoadOptions options(Scenario s) {
    LoadOptions o = settings.load.copy();
    if (s.workload() != null) {
      o.workload = s.workload();
    }
    if (s.ratio() != null) {
      o.ratio = s.ratio();
    }
    if (s.dist() != null) {
      o.dist = s.dist();
    }
    if (s.rate() < 0) {
      o.rate = settings.openRate;
    } else if (s.rate() > 0) {
      o.rate = s.rate();
    }
    if (s.pipeline() > 0) {
      o.pipeline = s.pipeline();
    }
    if (s.preload()) {
      o.keys = settings.preloadKeys;
    }
    if (s.quickRun()) {
      o.warmupSeconds = Math.min(o.warmupSeconds, settings.quick ? 0.5 : 2);
      o.durationSeconds = Math.min(o.durationSeconds, settings.quick ? 1.5 : 3);
    }
    return o;
  }

  /**
   * A cache scenario on a server: fill until the first eviction (how many keys fit), fix the
   * keyspace, run the cache workload (warm-up, then the measured window) while sampling the
   * server's RSS, and read hits, misses and evictions over the measured window from INFO.
   */
  private Row cache(Row row, Scenario s, LoadOptions o) throws Exception {
    CacheMeasure.Stats st = new CacheMeasure.Stats();
    row.cache = st;
    try (ControlClient c = new ControlClient(o.host, o.port, 5000)) {
      // Kiln's launcher runs the server in a child JVM: the server's own pid is in INFO
      st.pid = CacheMeasure.infoLong(c.call("INFO", "server"), "process_id");
      try (CacheMeasure.RssSampler rss = new CacheMeasure.RssSampler(st.pid)) {
        CacheMeasure.fill(c, st, o.valueSize, 1000, 100_000_000L);
        out.printf("   %,d keys fit (first eviction after %.1f s, used_memory %.1f MB, %d errors)%n",
            st.fitKeys, st.fillSeconds, st.usedMemoryAtFit / 1048576.0, st.fillErrors);
        long keys = settings.cacheKeys > 0 ? settings.cacheKeys : cacheKeyspaces.computeIfAbsent(
            s.name(), n -> Math.round(st.fitKeys * (double) Scenarios.CACHE_KEYSPACE_FACTOR / 1000) * 1000);
        st.keyspace = keys;
        o.keys = keys;
        o.warmupSeconds = settings.quick ? Math.min(settings.cacheWarmup, 3) : settings.cacheWarmup;
        row.describe = String.format(Locale.ROOT, "%s; %s; warm-up until %.1fx the keys that fit "
            + "were evicted (5 to %.0f s)", o.spec().describe(), o.loopDescription(),
            settings.cacheTurnovers, o.warmupSeconds);
        LoadRun run = new LoadRun(o, out);
        String[] error = new String[1];
        Thread snap = CacheMeasure.warmUpThenSnapshot(o.host, o.port, run, st,
            settings.cacheTurnovers, settings.quick ? 1 : 5, error);
        row.result = run.execute();
        snap.join(10_000);
        if (error[0] != null || st.start == null) {
          throw new IOException("INFO stats at the start of the window: " + error[0]);
        }
        st.end = CacheMeasure.stats(c);
        st.usedMemoryEnd = CacheMeasure.infoLong(c.call("INFO", "memory"), "used_memory");
        Object n = c.call("DBSIZE");
        st.dbsizeEnd = n instanceof Long l ? l : -1;
        st.hwmKb = rss.hwmKb();
        rss.close();
        st.peakRssKb = rss.peakKb();
        st.rssSamples = rss.samples();
      }
    }
    if (row.result.failure != null) {
      row.status = "failed";
      row.note = row.result.failure;
      return row;
    }
    row.note = st.summary() + String.format(Locale.ROOT, "; client hit ratio %.4f",
        row.result.clientHitRatio());
    if (row.result.errors > 0) {
      row.note += String.format("; %,d error replies %s, e.g. %s", row.result.errors,
          row.result.errorKinds, shortError(String.valueOf(row.result.firstError)));
    }
    return row;
  }

  /** Returns null when the server supports what the scenario needs, else why not. */
  private String probe(Probe probe, String host, int port) throws IOException, InterruptedException {
    if (probe == Probe.NONE) {
      return null;
    }
    try (ControlClient c = new ControlClient(host, port, 5000)) {
      switch (probe) {
        case AOF -> {
          Object info = c.call("INFO", "persistence");
          if (info instanceof ControlClient.Err e) {
            return "INFO persistence: " + shortError(e.message());
          }
          String on = ControlClient.infoField(info, "aof_enabled");
          if (!"1".equals(on)) {
            return "INFO persistence reports aof_enabled:" + on;
          }
          // appendonly yes at startup starts a rewrite of its own: let it end first, or the
          // scenario's BGREWRITEAOF is refused as "already in progress".
          waitIdle(c, "aof_rewrite_in_progress", 30);
          return null;
        }
        case BGSAVE -> {
          Object r = c.call("BGSAVE");
          if (r instanceof ControlClient.Err e) {
            return "BGSAVE: " + shortError(e.message());
          }
          waitIdle(c, "rdb_bgsave_in_progress", 30);
          return null;
        }
        case SAVE -> {
          Object r = c.call("SAVE");
          return r instanceof ControlClient.Err e ? "SAVE: " + shortError(e.message()) : null;
        }
        default -> {
          return null;
        }
      }
    }
  }

  /** Polls INFO persistence until every named field reads 0. */
  private static boolean waitIdle(ControlClient c, String fields, double seconds)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    while (System.nanoTime() < deadline) {
      Object info = c.call("INFO", "persistence");
      if (info instanceof ControlClient.Err) {
        return false;
      }
      boolean idle = true;
      for (String f : fields.split(",")) {
        idle &= "0".equals(ControlClient.infoField(info, f));
      }
      if (idle) {
        return true;
      }
      Thread.sleep(50);
    }
    return false;
  }

  /** The trigger thread: sends the command into the measured window and marks start and end. */
  private void trigger(String command, String host, int port, LoadRun run, String[] error) {
    try {
      while (run.measureStartNanos() < 0) {
        Thread.sleep(10);
      }
      long at = run.measureStartNanos() + (long) (settings.triggerAfter * 1e9);
      long wait = at - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      try (ControlClient c = new ControlClient(host, port, 5000)) {
        run.event(command + " sent");
        Object r = c.call(command);
        if (r instanceof ControlClient.Err e) {
          error[0] = e.message();
          run.event(command + " refused");
          run.abort();
          return;
        }
        String fields = command.equals("BGSAVE") ? "rdb_bgsave_in_progress"
            : "aof_rewrite_in_progress,aof_rewrite_scheduled";
        if (waitIdle(c, fields, settings.load.durationSeconds + 20)) {
          run.event(command + " done");
        }
      }
    } catch (Exception e) {
      error[0] = e.toString();
    }
  }

  private Row restart(Row row, String host, int port, ServerProcess sp) throws Exception {
    if (sp == null) {
      throw new IllegalStateException("restart needs a managed server");
    }
    try (ControlClient c = new ControlClient(host, port, 5000)) {
      long t = System.nanoTime();
      Object r = c.call("SAVE");
      if (r instanceof ControlClient.Err e) {
        row.status = "not supported";
        row.note = "not supported by this server yet (SAVE: " + shortError(e.message()) + ")";
        return row;
      }
      out.printf("   SAVE took %.2f s%n", (System.nanoTime() - t) / 1e9);
    }
    sp.stop();
    row.readySeconds = sp.start(180);
    try (ControlClient c = new ControlClient(host, port, 5000)) {
      Object n = c.call("DBSIZE");
      row.keys = n instanceof Long l ? l : 0;
      row.note = String.format("%,d keys back, PING answered %.2f s after process start", row.keys,
          row.readySeconds);
      if (row.keys != settings.preloadKeys) {
        row.status = "failed";
        row.note += String.format(" (expected %,d keys)", settings.preloadKeys);
      }
    }
    return row;
  }

  /** An error line without the echoed arguments of "unknown command" errors. */
  static String shortError(String e) {
    int i = e.indexOf(", with args");
    return i > 0 ? e.substring(0, i) : e;
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }

  static String which(String exe) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path p = Path.of(d, exe);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return null;
  }
}
