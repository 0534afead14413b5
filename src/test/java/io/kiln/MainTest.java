package io.kiln;

import io.kiln.server.Server;
import static io.kiln.support.ProcessLines.awaitLine;
import static io.kiln.support.ProcessLines.freePort;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.ProcessLines;
import io.kiln.support.RespClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real launcher in a child JVM ({@code java -cp <test classpath> io.kiln.Main ...}), checked
 * the way an operator sees it: exit codes and what it prints. The test thread drives the child;
 * one reader thread per child copies its output into a queue.
 */
class MainTest {
  private static final long DEADLINE_S = ProcessLines.DEADLINE_S;
  @TempDir Path dir;
  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void killLeftovers() throws Exception {
    ProcessLines.destroyAll(started);
  }

  /** A child launcher with stdout and stderr merged, its lines fed to {@code lines}. */
  private Process launch(BlockingQueue<String> lines, String... args) throws IOException {
    return launch(List.of(), lines, args);
  }

  /** The same, run through {@code prefix} (a shell that sets a ulimit first, say). */
  private Process launch(List<String> prefix, BlockingQueue<String> lines, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(io.kiln.support.ProcessLines.mainCommand(args));
    return ProcessLines.start(new ProcessBuilder(cmd), started, lines, "main-test-reader");
  }

  /** Runs the launcher to completion; returns its exit code and output lines. */
  private Result run(String... args) throws Exception {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Process p = launch(lines, args);
    assertThat(p.waitFor(DEADLINE_S, TimeUnit.SECONDS)).as("launcher exits").isTrue();
    // the reader may still be draining the pipe: wait for EOF's effect with a deadline
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    List<String> out = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      String l = lines.poll(100, TimeUnit.MILLISECONDS);
      if (l != null) {
        out.add(l);
      } else if (!p.isAlive()) {
        break;
      }
    }
    return new Result(p.exitValue(), out);
  }

  record Result(int code, List<String> lines) {
    String text() {
      return String.join("\n", lines);
    }
  }



  @Test
  void versionExitsZero() throws Exception {
    Result r = run("--version");
    assertThat(r.code()).isZero();
    assertThat(r.text()).contains("Kiln server v=" + Server.VERSION)
        .contains("redis_version=" + Server.REDIS_VERSION);
  }

  @Test
  void helpExitsZero() throws Exception {
    Result r = run("--help");
    assertThat(r.code()).isZero();
    assertThat(r.text()).contains("Usage:").contains("--version");
  }

  @Test
  void unknownDirectiveFailsWithOneLineNamingFileLineAndDirective() throws Exception {
    Path conf = dir.resolve("bad.conf");
    Files.writeString(conf, "port 0\n# a comment\nbogus-directive yes\n");
    Result r = run(conf.toString());
    assertThat(r.code()).isNotZero();
    List<String> errors = r.lines().stream().filter(l -> l.contains("bogus-directive")).toList();
    assertThat(errors).hasSize(1);
    assertThat(errors.get(0)).contains(conf.toString()).contains(":3").contains("FATAL");
  }

  @Test
  void unreadableConfigFails() throws Exception {
    Path conf = dir.resolve("secret.conf");
    Files.writeString(conf, "port 0\n");
    Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("---------"));
    org.junit.jupiter.api.Assumptions.assumeFalse(Files.isReadable(conf),
        "running as root: every file is readable");
    Result r = run(conf.toString());
    assertThat(r.code()).isNotZero();
    assertThat(r.text()).contains(conf.toString()).contains("FATAL");
  }

  @Test
  void aDirectoryAsConfigFails() throws Exception {
    // unreadable even for root
    Result r = run(dir.toString());
    assertThat(r.code()).isNotZero();
    assertThat(r.text()).contains(dir.toString()).contains("FATAL");
  }

  @Test
  void missingConfigFails() throws Exception {
    Path conf = dir.resolve("nope.conf");
    Result r = run(conf.toString());
    assertThat(r.code()).isNotZero();
    assertThat(r.text()).contains(conf.toString()).contains("FATAL");
  }

  @Test
  void refusedTlsDirectiveInTheConfigFileFailsNamingFileLineAndDirective() throws Exception {
    Path conf = dir.resolve("tls.conf");
    Files.writeString(conf, "port 7000\ntls-port 0\ntls-replication yes\n");
    Result r = run(conf.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.text()).contains("FATAL").contains(conf + ":3: 'tls-replication'")
        .contains("tls-replication is not supported by Kiln (it has no replication)");
  }

  @Test
  void portZeroListensNowhereAndExitsLikeRedis() throws Exception {
    // redis-server with port 0 and no TLS port or unix socket refuses to start
    Result r = run("--port", "0", "--bind", "127.0.0.1", "--save", "");
    assertThat(r.code()).as(r.text()).isEqualTo(1);
    assertThat(r.text()).contains("Configured to not listen anywhere, exiting.")
        .doesNotContain("Ready to accept connections");
  }

  @Test
  void portInUseFailsWithAClearLine() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      Result r = run("--port", Integer.toString(taken.getLocalPort()), "--bind", "127.0.0.1",
          "--save", "");
      assertThat(r.code()).isNotZero();
      assertThat(r.text()).contains("Address already in use")
          .contains("Failed listening on port " + taken.getLocalPort());
    }
  }

  @Test
  void startsServesAndStopsCleanlyOnSigterm() throws Exception {
    int port = freePort();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    List<String> seen = new ArrayList<>();
    Process p = launch(lines, "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "");
    assertThat(awaitLine(lines, seen, "PID: ")).contains("PID: " + p.pid());
    awaitLine(lines, seen, "Ready to accept connections");
    try (RespClient c = new RespClient("127.0.0.1", port)) {
      assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
    }
    // SIGTERM. Through the ProcessHandle: Process.destroy() also closes our end of the child's
    // stdout, and the goodbye lines would be lost.
    assertThat(p.toHandle().destroy()).isTrue();
    assertThat(p.waitFor(DEADLINE_S, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).isZero();
    awaitLine(lines, seen, "bye bye");
  }

  @Test
  void aLowOpenFilesLimitLowersMaxclientsAndTheRestGetTheMaxClientsError() throws Exception {
    int port = freePort();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    List<String> seen = new ArrayList<>();
    Process p = launch(List.of("bash", "-c", "ulimit -n 256 && exec \"$0\" \"$@\""), lines,
        "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "");
    String reduced = awaitLine(lines, seen, "maxclients has been reduced to ");
    assertThat(reduced).contains("Current maximum open files is 256.");
    int allowed = Integer.parseInt(reduced.replaceAll(".*reduced to (\\d+) .*", "$1"));
    assertThat(allowed).isBetween(1, 256 - 32);
    awaitLine(lines, seen, "Ready to accept connections");
    List<RespClient> clients = new ArrayList<>();
    try {
      RespClient admin = new RespClient("127.0.0.1", port);
      clients.add(admin);
      assertThat(admin.call("CONFIG", "GET", "maxclients")).endsWith("\r\n" + allowed + "\r\n");
      assertThat(admin.call("CONFIG", "SET", "maxclients", "100000")).isEqualTo(
          "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating "
              + "system is not able to handle the specified number of clients, try with "
              + allowed + "\r\n");
      for (int i = 1; i < allowed; i++) { // up to the limit: served
        RespClient c = new RespClient("127.0.0.1", port);
        clients.add(c);
        assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
      }
      for (int i = 0; i < 5; i++) { // past it: Redis's error, not silence
        RespClient c = new RespClient("127.0.0.1", port);
        clients.add(c);
        assertThat(c.readReply()).isEqualTo("-ERR max number of clients reached\r\n");
      }
    } finally {
      clients.forEach(RespClient::close);
    }
    assertThat(String.join("\n", seen)).doesNotContain("Too many open files");
  }

  @Test
  void failedSavesAndAShutdownLogInRedisWordsWithoutJavaInternals() throws Exception {
    int port = freePort();
    Path gone = Files.createDirectory(dir.resolve("gone"));
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    List<String> seen = new ArrayList<>();
    Process p = launch(lines, "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--dir", gone.toString());
    awaitLine(lines, seen, "Ready to accept connections");
    Files.delete(gone); // the disk goes away under the server
    try (RespClient c = new RespClient("127.0.0.1", port)) {
      assertThat(c.call("SET", "k", "v")).isEqualTo("+OK\r\n");
      assertThat(c.call("BGSAVE")).isEqualTo("+Background saving started\r\n");
      awaitLine(lines, seen, "Background saving error");
      assertThat(c.call("SAVE")).startsWith("-ERR");
      c.send("SHUTDOWN", "NOSAVE");
    }
    assertThat(p.waitFor(DEADLINE_S, TimeUnit.SECONDS)).isTrue();
    awaitLine(lines, seen, "bye bye");
    String log = String.join("\n", seen);
    assertThat(log).contains("Failed opening the temp RDB file")
        .contains("for saving: No such file or directory")
        .doesNotContain("Exception").doesNotContain("io.vertx").doesNotContain("io.netty")
        .doesNotContain("Cannot invoke").doesNotContain("\tat ");
  }

  @Test
  void aFailingAofAndRewriteLogInRedisWordsWithoutJavaInternals() throws Exception {
    int port = freePort();
    Path gone = Files.createDirectory(dir.resolve("aof-gone"));
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    List<String> seen = new ArrayList<>();
    Process p = launch(lines, "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--dir", gone.toString(), "--appendonly", "yes", "--appendfsync", "always");
    awaitLine(lines, seen, "Ready to accept connections");
    try (RespClient c = new RespClient("127.0.0.1", port)) {
      assertThat(c.call("SET", "k", "v")).isEqualTo("+OK\r\n");
      // the directory goes away: the rewrite cannot create its temp file
      Files.walk(gone).sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      assertThat(c.call("BGREWRITEAOF")).startsWith("+");
      awaitLine(lines, seen, "Background AOF rewrite failed");
      c.send("SHUTDOWN", "NOSAVE");
    }
    assertThat(p.waitFor(DEADLINE_S, TimeUnit.SECONDS)).isTrue();
    String log = String.join("\n", seen) + "\n" + String.join("\n", lines);
    assertThat(log).doesNotContain("Exception").doesNotContain("io.vertx")
        .doesNotContain("io.netty").doesNotContain("Cannot invoke").doesNotContain("\tat ")
        .doesNotContain("java.");
  }
}
