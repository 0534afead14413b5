package io.kiln;

import io.kiln.server.Server;
import static io.kiln.support.ProcessLines.awaitLine;
import static io.kiln.support.ProcessLines.freePort;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.ProcessLines;
import io.kiln.support.RespClient;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar} on a real jar: the launcher starts the server in a child JVM with the options
 * of jvm.options, and SIGTERM to the launcher stops that server cleanly. The jar is built here
 * from the compiled classes (its manifest's Class-Path names the dependencies), so the test runs
 * the current code whether or not {@code mvn package} ran. The test thread drives the
 * processes; one reader thread per launcher copies its output into a queue.
 */
class LauncherTest {
  private static final long DEADLINE_S = ProcessLines.DEADLINE_S;
  @TempDir static Path jarDir;
  private static Path jar;
  @TempDir Path dir;
  private final List<Process> started = new ArrayList<>();

  @BeforeAll
  static void buildJar() throws IOException {
    Path classes = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().getPath());
    String deps = Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(e -> e.endsWith(".jar")).map(e -> Path.of(e).toUri().toString())
        .collect(Collectors.joining(" "));
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Main.class.getName());
    m.getMainAttributes().put(Attributes.Name.CLASS_PATH, deps);
    jar = jarDir.resolve("kiln.jar");
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream j = new JarOutputStream(out, m);
        Stream<Path> files = Files.walk(classes)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        j.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
        Files.copy(f, j);
        j.closeEntry();
      }
    }
  }

  @AfterEach
  void killLeftovers() throws Exception {
    ProcessLines.destroyAll(started);
  }

  private Process launch(BlockingQueue<String> lines, Map<String, String> env, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove(Launcher.CHILD_ENV);
    pb.environment().remove(Launcher.NO_RELAUNCH_ENV);
    pb.environment().remove(Launcher.EXTRA_OPTS_ENV);
    pb.environment().putAll(env);
    Process p = pb.start();
    started.add(p);
    io.kiln.support.ProcessLines.pump(p, lines, "launcher-test-reader");
    return p;
  }



  private static long serverPid(int port) {
    try (RespClient c = new RespClient("127.0.0.1", port)) {
      return c.call("INFO", "server").lines().filter(l -> l.startsWith("process_id:"))
          .mapToLong(l -> Long.parseLong(l.substring("process_id:".length()).strip()))
          .findFirst().orElseThrow();
    }
  }

  @Test
  void childGetsTheOptionsBesideTheConfigAndStopsOnSigterm() throws Exception {
    int port = freePort();
    Path conf = dir.resolve("kiln.conf");
    Files.writeString(conf, "port " + port + "\nbind 127.0.0.1\nsave \"\"\ndir " + dir + "\n");
    Files.writeString(dir.resolve("jvm.options"), """
        # test options
        -Xmx192m
        -Dkiln.test.marker=yes
        maxmemory: -Dkiln.test.withmaxmemory=yes
        !maxmemory: -Dkiln.test.nomaxmemory=yes
        -XX:NoSuchOptionAnywhere=1
        """);
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    List<String> seen = new ArrayList<>();
    Process launcher = launch(lines, Map.of(), conf.toString());
    String opts = awaitLine(lines, seen, "JVM options from ");
    assertThat(opts).contains("JVM options from " + dir.resolve("jvm.options") + ": ")
        .contains("-Xmx192m -Dkiln.test.marker=yes -Dkiln.test.nomaxmemory=yes")
        .doesNotContain("withmaxmemory").doesNotContain("NoSuchOption");
    awaitLine(lines, seen, "Ready to accept connections");
    assertThat(String.join("\n", seen)).contains("Ignoring JVM option -XX:NoSuchOptionAnywhere=1");

    long child = serverPid(port);
    assertThat(child).isNotEqualTo(launcher.pid());
    ProcessHandle handle = ProcessHandle.of(child).orElseThrow();
    assertThat(handle.parent().map(ProcessHandle::pid)).contains(launcher.pid());
    assertThat(handle.info().arguments().map(List::of).orElse(List.of()))
        .contains("-Xmx192m", "-Dkiln.test.marker=yes");

    // SIGTERM to the launcher only. Through the ProcessHandle: Process.destroy() also closes our
    // end of its stdout, and the goodbye lines would be lost.
    assertThat(launcher.toHandle().destroy()).isTrue();
    assertThat(launcher.waitFor(DEADLINE_S, TimeUnit.SECONDS)).as("launcher exits").isTrue();
    assertThat(launcher.exitValue()).isZero();
    assertThat(handle.onExit().get(DEADLINE_S, TimeUnit.SECONDS).isAlive()).isFalse();
    awaitLine(lines, seen, "Redis is now ready to exit, bye bye...");
    assertThat(String.join("\n", seen)).contains("Received SIGTERM scheduling shutdown...")
        .doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void maxmemorySizesTheHeapAndTheBundledOptionsApply() throws Exception {
    int port = freePort();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    List<String> seen = new ArrayList<>();
    // No config file: the options come from conf/jvm.options of the working directory.
    Process launcher = launch(lines, Map.of(Launcher.EXTRA_OPTS_ENV, "-Dkiln.test.extra=1"),
        "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--dir",
        dir.toString(), "--maxmemory", "100mb");
    String opts = awaitLine(lines, seen, "JVM options from ");
    assertThat(opts).contains("-Xms356m -Xmx356m").contains("-XX:MaxGCPauseMillis=5")
        .contains("-XX:+AlwaysPreTouch").doesNotContain("-Xms8m")
        .endsWith("-Dkiln.test.extra=1");
    awaitLine(lines, seen, "Ready to accept connections");
    assertThat(serverPid(port)).isNotEqualTo(launcher.pid());
    assertThat(launcher.toHandle().destroy()).isTrue();
    assertThat(launcher.waitFor(DEADLINE_S, TimeUnit.SECONDS)).isTrue();
    assertThat(launcher.exitValue()).isZero();
  }

  /**
   * The heap a load grew is handed back without waiting for an idle server: G1's periodic
   * collection is switched off here, so only HeapFollower's concurrent cycle can shrink it
   * (without it the committed heap stays at 2-4 GB, 5-10 times what is in use, after this load).
   */
  @Test
  void heapGivesBackALoadsOvershootWithoutIdling() throws Exception {
    int port = freePort();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    List<String> seen = new ArrayList<>();
    Process launcher = launch(lines, Map.of(Launcher.EXTRA_OPTS_ENV, "-XX:G1PeriodicGCInterval=0"),
        "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--dir",
        dir.toString(), "--enable-debug-command", "yes");
    awaitLine(lines, seen, "Ready to accept connections");
    try (RespClient c = new RespClient("127.0.0.1", port).timeout(60_000)) {
      assertThat(c.call("DEBUG", "POPULATE", "2000000", "key", "32")).isEqualTo("+OK\r\n");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_S);
      long active;
      long allocated;
      do {
        String info = c.call("INFO", "memory");
        active = infoField(info, "allocator_active");
        allocated = infoField(info, "allocator_allocated");
        if (2 * active <= 3 * allocated) {
          break;
        }
        Thread.sleep(200); // polling for the condition, not a wait for time to pass
      } while (System.nanoTime() < deadline);
      assertThat(2 * active).as("heap committed vs in use, x2/3").isLessThanOrEqualTo(3 * allocated);
    }
    assertThat(launcher.toHandle().destroy()).isTrue();
    assertThat(launcher.waitFor(DEADLINE_S, TimeUnit.SECONDS)).isTrue();
  }

  private static long infoField(String info, String name) {
    return info.lines().filter(l -> l.startsWith(name + ":"))
        .mapToLong(l -> Long.parseLong(l.substring(name.length() + 1).strip()))
        .findFirst().orElseThrow();
  }

  @Test
  void optOutRunsTheServerInTheLaunchersJvm() throws Exception {
    int port = freePort();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    List<String> seen = new ArrayList<>();
    Process launcher = launch(lines, Map.of(Launcher.NO_RELAUNCH_ENV, "1"),
        "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "");
    awaitLine(lines, seen, "Ready to accept connections");
    assertThat(serverPid(port)).isEqualTo(launcher.pid());
    assertThat(String.join("\n", seen)).doesNotContain("JVM options from");
    assertThat(launcher.toHandle().destroy()).isTrue();
    assertThat(launcher.waitFor(DEADLINE_S, TimeUnit.SECONDS)).isTrue();
    assertThat(launcher.exitValue()).isZero();
  }

  @Test
  void versionDoesNotRelaunch() throws Exception {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Process p = launch(lines, Map.of(), "--version");
    assertThat(p.waitFor(DEADLINE_S, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    assertThat(awaitLine(lines, new ArrayList<>(), "Kiln server v=")).contains(Server.VERSION);
  }

  @Test
  void conditionsSelectLines() {
    String text = "# c\n-Xss1m\n\nmaxmemory: -Da=1\n!maxmemory: -Db=1\nmaxmemory,thp: -Dc=1\n"
        + "!thp: -Dd=1\n";
    assertThat(Launcher.parse(text, true, true)).containsExactly("-Xss1m", "-Da=1", "-Dc=1");
    assertThat(Launcher.parse(text, false, false)).containsExactly("-Xss1m", "-Db=1", "-Dd=1");
    assertThat(Launcher.heapFor(100L << 20)).isEqualTo(356L << 20);
    assertThat(Launcher.heapFor(4L << 30)).isEqualTo(6L << 30);
  }
}
