package io.kiln;

import io.kiln.server.Server;
import io.kiln.config.Config;
import io.kiln.config.ConfigException;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The launcher, used like redis-server: {@code java -jar kiln.jar [CONFIG-FILE] [--directive
 * value ...]}. Runs on the JVM's main thread, then hands over to the server's event loops;
 * signal handlers run on the JVM's signal thread.
 */
public final class Main {
  private Main() {}

  /**
   * A data store's memory should follow its data. G1 keeps up to 70% of the heap free after a
   * collection by default, so RSS stays near the high-water mark long after keys are gone; unless
   * the command line says otherwise, Kiln lets it keep at most 10% free (at least 5%), so a full
   * or concurrent collection hands the rest back to the OS. Ignored by collectors that size the
   * heap their own way (ZGC).
   */
  static void heapTracksData(Logger log) {
    var vm = java.lang.management.ManagementFactory.getPlatformMXBean(
        com.sun.management.HotSpotDiagnosticMXBean.class);
    try {
      // Min before max: the JVM refuses a maximum below the current minimum.
      for (String[] flag : new String[][] {{"MinHeapFreeRatio", "5"}, {"MaxHeapFreeRatio", "10"}}) {
        if (vm.getVMOption(flag[0]).getOrigin() == com.sun.management.VMOption.Origin.DEFAULT) {
          vm.setVMOption(flag[0], flag[1]);
        }
      }
    } catch (IllegalArgumentException e) {
      log.warn("Could not bound the heap's free share ({}); RSS may stay above the data",
          e.getMessage());
    }
  }

  public static void main(String[] args) {
    // Before any logger exists: the log pattern prints the pid like Redis does.
    System.setProperty("PID", Long.toString(ProcessHandle.current().pid()));
    if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-v"))) {
      System.out.println("Kiln server v=" + Server.VERSION + " redis_version=" + Server.REDIS_VERSION
          + " java=" + System.getProperty("java.version") + " bits=64");
      return;
    }
    if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.print(usage());
      return;
    }
    if (args.length > 0 && args[0].equals("check-rdb")) {
      if (args.length != 2) {
        System.err.println("Usage: java -jar kiln.jar check-rdb <rdb-file-name>");
        System.exit(1);
        return;
      }
      System.exit(io.kiln.rdb.RdbCheck.run(args[1], System.out));
      return;
    }
    if (args.length > 0 && args[0].equals("check-aof")) {
      System.exit(io.kiln.aof.AofCheck.run(Arrays.copyOfRange(args, 1, args.length), System.out,
          System.in));
      return;
    }
    String file = args.length > 0 && !args[0].startsWith("--") ? args[0] : null;
    List<String> overrides = Arrays.asList(args).subList(file == null ? 0 : 1, args.length);
    Config config;
    try {
      config = Config.load(file, overrides);
    } catch (ConfigException e) {
      System.err.println("*** FATAL CONFIG FILE ERROR (Kiln " + Server.VERSION + ") *** "
          + e.getMessage());
      System.exit(1);
      return;
    }
    Logging.configure(config);
    Logger log = LoggerFactory.getLogger(Main.class);
    int relaunched = Launcher.maybeRelaunch(args, file, config, log);
    if (relaunched >= 0) {
      Logging.flush();
      System.exit(relaunched);
      return;
    }
    log.info("oO0OoO0OoO0Oo Kiln is starting oO0OoO0OoO0Oo");
    log.info("Kiln version={}, redis_version={}, bits=64, pid={}, just started", Server.VERSION,
        Server.REDIS_VERSION, ProcessHandle.current().pid());
    List<String> jvmArgs = java.lang.management.ManagementFactory.getRuntimeMXBean()
        .getInputArguments();
    String source = System.getenv(Launcher.SOURCE_ENV);
    if (source != null || !jvmArgs.isEmpty()) {
      log.info("JVM options from {}: {}", source != null ? source : "the command line",
          String.join(" ", jvmArgs));
    }
    log.info(file == null ? "No config file specified, using the default config."
        : "Configuration loaded");
    if (config.getInt("port") == 0 && config.getInt("tls-port") == 0
        && config.getString("unixsocket").isEmpty()) {
      // As redis-server: port 0 turns TCP off, so nothing would listen. Kiln.start's "port 0 =
      // any free port" is for tests and embedding only.
      log.warn("Configured to not listen anywhere, exiting.");
      Logging.flush();
      System.exit(1);
      return;
    }
    heapTracksData(log);
    HeapFollower.startIfUseful();
    Kiln.start(config, listening -> {
      // Redis names the TLS port when plain TCP is off
      log.info("Running mode=standalone, port={}.",
          listening.port() != 0 ? listening.port() : listening.tlsPort());
      log.info("PID: {}", ProcessHandle.current().pid());
      log.info("Server initialized");
    }).onComplete(ar -> {
      if (ar.failed() && ar.cause() instanceof io.kiln.persist.LoadFailure) {
        Logging.flush(); // the loader has logged why: those lines must reach the log
        System.exit(1);
        return;
      }
      if (ar.failed() && ar.cause() instanceof io.kiln.server.TlsContext.Failure) {
        log.warn("Failed to configure TLS. Check logs for more info.");
        Logging.flush();
        System.exit(1);
        return;
      }
      if (ar.failed() && ar.cause() instanceof io.kiln.server.Listeners.Failure f) {
        f.lines().forEach(line -> log.warn("{}", line));
        Logging.flush();
        System.exit(1);
        return;
      }
      if (ar.failed()) {
        log.error("{}", ar.cause().getMessage());
        log.error("Failed listening on port {} (TCP), aborting.", config.getInt("port"));
        Logging.flush();
        System.exit(1);
        return;
      }
      Server kiln = ar.result();
      kiln.onShutdown(() -> System.exit(0));
      kiln.onFatal(() -> {
        Logging.flush();
        Runtime.getRuntime().halt(1); // no shutdown hook: nothing more is saved or written
      });
      installSignalHandlers(kiln, log);
      if (kiln.port() != 0 || kiln.tlsPort() != 0) {
        log.info("Ready to accept connections");
      }
      String unixsocket = config.getString("unixsocket");
      if (!unixsocket.isEmpty()) {
        log.info("The server is now ready to accept connections at {}", unixsocket);
      }
    });
  }

  /**
   * SIGTERM and SIGINT request a clean shutdown, as Redis does: the periodic job carries it out
   * ({@link io.kiln.server.SignalShutdown}: SHUTDOWN ABORT may cancel it first; a second SIGINT
   * exits at once). A server started by the launcher also shuts down when the launcher is gone
   * (killed with SIGKILL, say).
   */
  @SuppressWarnings("restriction")
  private static void installSignalHandlers(Server kiln, Logger log) {
    for (String name : List.of("TERM", "INT")) {
      sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> kiln.signalShutdown().signalled(name));
    }
    String launcher = System.getenv(Launcher.CHILD_ENV);
    if (launcher != null) {
      ProcessHandle.current().parent().filter(p -> Long.toString(p.pid()).equals(launcher))
          .ifPresent(p -> p.onExit().thenRun(() -> {
            log.warn("The launcher (pid {}) is gone, scheduling shutdown...", launcher);
            kiln.onEventLoop(() -> kiln.shutdown(null, false));
          }));
    }
  }

  static String usage() {
    return """
        Usage: java -jar kiln.jar [/path/to/kiln.conf] [options]
               java -jar kiln.jar -v or --version
               java -jar kiln.jar -h or --help
               java -jar kiln.jar check-rdb <rdb-file-name>
               java -jar kiln.jar check-aof [--fix [--yes]] <file.aof>

        Examples:
               java -jar kiln.jar (run the server with default config)
               java -jar kiln.jar conf/kiln.conf
               java -jar kiln.jar --port 7777
               java -jar kiln.jar conf/kiln.conf --loglevel verbose --save ""

        Options after the config file override its directives, as redis-server's do.
        """;
  }
}
