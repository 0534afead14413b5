package io.kiln;

import io.kiln.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;

/**
 * Gives {@code java -jar kiln.jar} the JVM settings the load tests found best without the user
 * typing them: the launcher re-executes the same java binary on the same jar and arguments, with
 * the options of {@code jvm.options} (one per line, {@code #} comments, Elasticsearch/Kafka
 * style), in a child JVM that inherits stdin, stdout and stderr. The launcher then only waits:
 * it forwards SIGTERM and SIGINT to the child and exits with the child's exit code. The child
 * is marked with {@link #CHILD_ENV} in its environment, so it never relaunches itself, and shuts
 * down cleanly if the launcher disappears.
 *
 * <p>No relaunch when the JVM already has options of its own (the user chose them), when
 * {@code KILN_NO_RELAUNCH=1}, or when Main was not loaded from a jar (tests and embedding run
 * the classes directory). {@code KILN_JAVA_OPTS} adds options after the file's (so they win).
 *
 * <p>Runs on the JVM's main thread before the server exists; the forwarding handlers run on the
 * JVM's signal thread.
 */
final class Launcher {
  /** Set in the child's environment: "this JVM was started by the launcher". */
  static final String CHILD_ENV = "KILN_LAUNCHED_BY";
  /** Set in the child's environment: where its options came from (for the startup log line). */
  static final String SOURCE_ENV = "KILN_JVM_OPTIONS_SOURCE";
  static final String NO_RELAUNCH_ENV = "KILN_NO_RELAUNCH";
  static final String EXTRA_OPTS_ENV = "KILN_JAVA_OPTS";
  static final String OPTIONS_FILE = "jvm.options";
  static final String THP_FILE = "/sys/kernel/mm/transparent_hugepage/enabled";
  /** Conditions a line of jvm.options may start with ("maxmemory,thp: -XX:..."). */
  static final Set<String> CONDITIONS = Set.of("maxmemory", "!maxmemory", "thp", "!thp");

  private Launcher() {}

  /** What the launcher decided: the options and where they came from. */
  record Options(List<String> options, String source) {}

  /**
   * Runs the server in a child JVM when this JVM should relaunch; returns its exit code, or -1
   * when the caller should run the server in this JVM.
   */
  static int maybeRelaunch(String[] args, String configFile, Config config, Logger log) {
    Map<String, String> env = System.getenv();
    if (env.containsKey(CHILD_ENV) || "1".equals(env.get(NO_RELAUNCH_ENV))
        || !ManagementFactory.getRuntimeMXBean().getInputArguments().isEmpty()) {
      return -1;
    }
    Path jar = ownJar();
    if (jar == null) {
      return -1;
    }
    Options chosen;
    try {
      chosen = options(configFile, jar, config.getLong("maxmemory"), hugePagesAllowed(), log);
    } catch (IOException | IllegalArgumentException e) {
      log.warn("Could not read {}: {}; starting with the JVM's defaults", OPTIONS_FILE,
          e.getMessage());
      return -1;
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBinary());
    cmd.addAll(chosen.options());
    cmd.add("-cp");
    cmd.add(jar.toString());
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
    pb.environment().put(CHILD_ENV, Long.toString(ProcessHandle.current().pid()));
    pb.environment().put(SOURCE_ENV, chosen.source());
    Process child;
    try {
      child = pb.start();
    } catch (IOException e) {
      log.warn("Could not start the server JVM ({}); starting with the JVM's defaults",
          e.getMessage());
      return -1;
    }
    forwardSignals(child);
    // From here the launcher only waits: a collection of its small heap lets the JVM uncommit
    // what reading the config touched (measured: RSS 64 -> 54 MB while the server runs).
    System.gc();
    while (true) {
      try {
        return child.waitFor();
      } catch (InterruptedException e) {
        // keep waiting: the child decides when the server is gone
      }
    }
  }

  /** SIGTERM and SIGINT reach the child as the same signal; the launcher itself stays. */
  @SuppressWarnings("restriction")
  private static void forwardSignals(Process child) {
    for (String name : List.of("TERM", "INT")) {
      sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
        try {
          new ProcessBuilder("kill", "-" + name, Long.toString(child.pid())).inheritIO().start();
        } catch (IOException e) {
          child.destroy(); // SIGTERM: the child shuts down the same way
        }
      });
    }
  }

  /** The jar Main was loaded from, or null when it came from a directory. */
  static Path ownJar() {
    try {
      var source = Main.class.getProtectionDomain().getCodeSource();
      if (source == null) {
        return null;
      }
      Path p = Path.of(source.getLocation().toURI());
      return Files.isRegularFile(p) && p.toString().endsWith(".jar") ? p.toAbsolutePath() : null;
    } catch (Exception e) {
      return null;
    }
  }

  private static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** Transparent huge pages can be asked for: the kernel says [madvise] or [always]. */
  static boolean hugePagesAllowed() {
    try {
      String s = Files.readString(Path.of(THP_FILE));
      return s.contains("[madvise]") || s.contains("[always]");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * The options for the child: jvm.options beside the config file, else conf/jvm.options beside
   * the jar's directory (target/../conf) or in the working directory, else the copy inside the
   * jar; then the heap size when maxmemory is set; then KILN_JAVA_OPTS.
   */
  static Options options(String configFile, Path jar, long maxmemory, boolean thp, Logger log)
      throws IOException {
    List<Path> candidates = new ArrayList<>();
    if (configFile != null) {
      Path dir = Path.of(configFile).toAbsolutePath().getParent();
      if (dir != null) {
        candidates.add(dir.resolve(OPTIONS_FILE));
      }
    }
    if (jar != null && jar.getParent() != null && jar.getParent().getParent() != null) {
      candidates.add(jar.getParent().getParent().resolve("conf").resolve(OPTIONS_FILE));
    }
    candidates.add(Path.of("conf", OPTIONS_FILE));
    String text = null;
    String source = null;
    for (Path p : candidates) {
      if (Files.isRegularFile(p)) {
        text = Files.readString(p, StandardCharsets.UTF_8);
        Path abs = p.toAbsolutePath().normalize();
        Path cwd = Path.of("").toAbsolutePath();
        source = (abs.startsWith(cwd) ? cwd.relativize(abs) : abs).toString();
        break;
      }
    }
    if (text == null) {
      try (InputStream in = Launcher.class.getResourceAsStream("/" + OPTIONS_FILE)) {
        if (in == null) {
          throw new IOException("no " + OPTIONS_FILE + " found");
        }
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        source = "the jar's " + OPTIONS_FILE;
      }
    }
    List<String> opts = new ArrayList<>();
    for (String o : parse(text, maxmemory > 0, thp)) {
      if (knownOption(o)) {
        opts.add(o);
      } else {
        log.warn("Ignoring JVM option {} from {}: this JVM does not know it", o, source);
      }
    }
    if (maxmemory > 0 && opts.stream().noneMatch(o -> o.startsWith("-Xmx") || o.startsWith("-Xms")
        || o.startsWith("-XX:MaxHeapSize=") || o.startsWith("-XX:InitialHeapSize="))) {
      String heap = "-Xmx" + (heapFor(maxmemory) >> 20) + "m";
      opts.add(0, "-Xms" + (heapFor(maxmemory) >> 20) + "m");
      opts.add(1, heap);
    }
    String extra = System.getenv(EXTRA_OPTS_ENV);
    if (extra != null && !extra.isBlank()) {
      opts.addAll(List.of(extra.strip().split("\\s+")));
      source += " and " + EXTRA_OPTS_ENV;
    }
    return new Options(opts, source);
  }

  /**
   * The fixed heap for a maxmemory: maxmemory counts the data as Redis would hold it, which the
   * JVM holds in about as much heap (measured per key: 78 bytes of heap against Redis's 109 of
   * RSS for small strings), so the heap needs room beyond it for G1 to work in: the young
   * generation, the 10% G1ReservePercent kept free for evacuation, and a snapshot's working
   * memory. Half of maxmemory again, at least 256 MB.
   */
  static long heapFor(long maxmemory) {
    return maxmemory + Math.max(maxmemory / 2, 256L << 20);
  }

  /**
   * The options of a jvm.options text that apply: blank lines and {@code #} comments skipped; a
   * line "COND[,COND...]: OPTION" applies only when every condition holds (maxmemory: the
   * maxmemory directive is set; thp: the kernel allows transparent huge pages; ! negates).
   */
  static List<String> parse(String text, boolean maxmemory, boolean thp) {
    List<String> out = new ArrayList<>();
    for (String raw : text.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      if (!line.startsWith("-") && colon > 0) {
        boolean applies = true;
        for (String c : line.substring(0, colon).split(",")) {
          String cond = c.strip().toLowerCase(Locale.ROOT);
          if (!CONDITIONS.contains(cond)) {
            throw new IllegalArgumentException("unknown condition '" + cond + "' in " + line);
          }
          boolean holds = cond.endsWith("maxmemory") ? maxmemory : thp;
          applies &= cond.startsWith("!") != holds;
        }
        if (!applies) {
          continue;
        }
        line = line.substring(colon + 1).strip();
      }
      out.add(line);
    }
    return out;
  }

  /** False for a -XX option this JVM does not have (an older Java 17 lacks some). */
  static boolean knownOption(String option) {
    if (!option.startsWith("-XX:")) {
      return true;
    }
    String name = option.substring(4);
    if (name.startsWith("+") || name.startsWith("-")) {
      name = name.substring(1);
    }
    int eq = name.indexOf('=');
    if (eq >= 0) {
      name = name.substring(0, eq);
    }
    try {
      ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
          .getVMOption(name);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
