package io.kiln;

import static io.kiln.support.ProcessLines.awaitLine;
import static io.kiln.support.ProcessLines.freePort;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.ProcessLines;
import io.kiln.support.RespClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM, SIGINT and SHUTDOWN as Redis 7.0 runs them (tests/unit/shutdown.tcl's cases): a
 * signal's shutdown is carried out by the periodic job, so DEBUG PAUSE-CRON holds it and
 * SHUTDOWN ABORT cancels it; a second SIGINT exits at once and removes the temp RDB; a final save
 * that fails keeps the server up, without MISCONF. Kiln runs as a child JVM; the test thread
 * drives it, one reader thread copies its output.
 */
class ShutdownTest {
  private static final long DEADLINE_S = ProcessLines.DEADLINE_S;
  @TempDir Path dir;
  private final List<Process> started = new ArrayList<>();
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> seen = new ArrayList<>();

  @AfterEach
  void killLeftovers() throws Exception {
    ProcessLines.destroyAll(started);
  }

  private Process launch(int port, String... more) throws Exception {
    List<String> args = new ArrayList<>(List.of("--port", Integer.toString(port), "--bind",
        "127.0.0.1", "--dir", dir.toString(), "--enable-debug-command", "yes"));
    args.addAll(List.of(more));
    ProcessBuilder pb = new ProcessBuilder(ProcessLines.mainCommand(args.toArray(String[]::new)));
    pb.environment().put("KILN_NO_RELAUNCH", "1");
    Process p = ProcessLines.start(pb, started, lines, "shutdown-test-reader");
    awaitLine(lines, seen, "Ready to accept connections");
    return p;
  }

  private static void signal(Process p, String sig) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start();
    assertThat(kill.waitFor(DEADLINE_S, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).isZero();
  }

  private static void waitFor(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_S);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within the deadline").isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  @Test
  void shutdownAbortCancelsASigtermThatThePausedCronHasNotCarriedOut() throws Exception {
    int port = freePort();
    Process p = launch(port, "--save", "", "--hz", "100");
    try (RespClient c = new RespClient("127.0.0.1", port)) {
      assertThat(c.call("SHUTDOWN", "ABORT")).isEqualTo("-ERR No shutdown in progress.\r\n");
      assertThat(c.call("DEBUG", "PAUSE-CRON", "1")).isEqualTo("+OK\r\n");
      signal(p, "TERM");
      awaitLine(lines, seen, "Received SIGTERM scheduling shutdown...");
      assertThat(c.call("SHUTDOWN", "ABORT")).isEqualTo("+OK\r\n");
      awaitLine(lines, seen, "Shutdown manually aborted.");
      assertThat(c.call("SHUTDOWN", "ABORT")).isEqualTo("-ERR No shutdown in progress.\r\n");
      assertThat(c.call("SET", "short", "v", "PX", "1")).isEqualTo("+OK\r\n");
      assertThat(c.call("DEBUG", "PAUSE-CRON", "0")).isEqualTo("+OK\r\n");
      // the cron runs again (its active expiry removes the key): the cancelled request is not
      // carried out by it
      waitFor(() -> info(c, "expired_keys").equals("1"));
      assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
      assertThat(p.isAlive()).isTrue();
    }
    signal(p, "TERM"); // not paused: the cron carries it out
    assertThat(p.waitFor(DEADLINE_S, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    awaitLine(lines, seen, "ready to exit, bye bye");
  }

  /**
   * True when this process (and so the child it starts) ignores SIGINT: a background job of a
   * shell without job control does. The JVM then leaves SIGINT ignored and will not handle it
   * (HotSpot installs no handler for an ignored shutdown signal; Redis's sigaction would).
   */
  private static boolean sigintIgnored() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("SigIgn:")) {
        return (Long.parseLong(line.substring(7).trim(), 16) & (1L << 1)) != 0;
      }
    }
    return false;
  }

  @Test
  void aSecondSigintExitsAtOnceAndRemovesTheTempRdbOfTheFinalSave() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeFalse(sigintIgnored(),
        "SIGINT is ignored by the process that started the tests (a background job)");
    int port = freePort();
    Process p = launch(port, "--save", "900 1");
    Path temp = dir.resolve("temp-" + p.pid() + ".rdb");
    try (RespClient c = new RespClient("127.0.0.1", port)) {
      for (int i = 0; i < 20; i++) {
        c.call("SET", Integer.toString(i), Integer.toString(i));
      }
      c.call("CONFIG", "SET", "rdb-key-save-delay", "100000"); // 2 s for the 20 keys
    }
    signal(p, "INT");
    waitFor(() -> Files.exists(temp));
    signal(p, "INT");
    assertThat(p.waitFor(DEADLINE_S, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(1);
    awaitLine(lines, seen, "You insist... exiting now.");
    assertThat(temp).doesNotExist();
    assertThat(dir.resolve("dump.rdb")).doesNotExist();
  }

  @Test
  void aFinalSaveThatFailsKeepsTheServerUpWithoutMisconf() throws Exception {
    int port = freePort();
    Process p = launch(port, "--save", "900 1");
    Files.createDirectory(dir.resolve("dump.rdb")); // the rename into place fails
    try (RespClient c = new RespClient("127.0.0.1", port)) {
      c.call("SET", "k", "v");
      signal(p, "TERM");
      awaitLine(lines, seen, "Error trying to save the DB, can't exit.");
      awaitLine(lines, seen, "Errors trying to shut down the server. Check the logs for more information.");
      assertThat(c.call("SHUTDOWN")).isEqualTo("-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
      // a failed foreground save does not mark the last bgsave failed: PING and writes still go
      assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
      assertThat(c.call("SET", "k2", "v")).isEqualTo("+OK\r\n");
      assertThat(info(c, "rdb_last_bgsave_status")).isEqualTo("ok");
      // a SHUTDOWN that fails takes a pending signal's request with it (Redis's cancelShutdown)
      assertThat(c.call("DEBUG", "PAUSE-CRON", "1")).isEqualTo("+OK\r\n");
      signal(p, "TERM");
      awaitLine(lines, seen, "Received SIGTERM scheduling shutdown...");
      assertThat(c.call("SHUTDOWN")).isEqualTo("-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
      assertThat(c.call("SHUTDOWN", "ABORT")).isEqualTo("-ERR No shutdown in progress.\r\n");
      assertThat(c.call("DEBUG", "PAUSE-CRON", "0")).isEqualTo("+OK\r\n");
      c.send("SHUTDOWN", "NOSAVE");
    }
    assertThat(p.waitFor(DEADLINE_S, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    awaitLine(lines, seen, "ready to exit, bye bye");
  }

  @Test
  void shutdownOnSigtermNosaveSkipsTheFinalSave() throws Exception {
    int port = freePort();
    Process p = launch(port, "--save", "900 1", "--shutdown-on-sigterm", "nosave");
    try (RespClient c = new RespClient("127.0.0.1", port)) {
      assertThat(c.call("SET", "k", "v")).isEqualTo("+OK\r\n");
    }
    signal(p, "TERM");
    assertThat(p.waitFor(DEADLINE_S, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    awaitLine(lines, seen, "ready to exit, bye bye");
    assertThat(String.join("\n", seen)).doesNotContain("Saving the final RDB snapshot");
    assertThat(dir.resolve("dump.rdb")).doesNotExist();
  }

  private static String info(RespClient c, String field) {
    String info = c.call("INFO", "everything");
    int at = info.indexOf("\r\n" + field + ":");
    assertThat(at).as(field).isNotNegative();
    int start = at + field.length() + 3;
    return info.substring(start, info.indexOf("\r\n", start));
  }
}
