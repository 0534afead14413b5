package io.kiln;

import static io.kiln.support.ProcessLines.awaitLine;
import static io.kiln.support.ProcessLines.freePort;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.ProcessLines;
import io.kiln.support.RespClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the log says about damaged data and internal errors, read as Redis's own tests read it
 * (the server's log file, right after the reply), from the real launcher in a child JVM: why a
 * RESTORE payload was refused, and the bug report of a failed internal assertion, with and
 * without use-exit-on-panic. The test thread drives the child; a reader thread copies its
 * output into a queue.
 */
class CorruptionLogTest {
  @TempDir Path dir;
  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void killLeftovers() throws Exception {
    ProcessLines.destroyAll(started);
  }

  private Process launch(BlockingQueue<String> lines, String... args) throws IOException {
    return ProcessLines.start(new ProcessBuilder(ProcessLines.mainCommand(args)), started, lines,
        "corruption-log-reader");
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String restore(RespClient c, String key, String hex) {
    return c.call(List.of(b("RESTORE"), b(key), b("0"), HexFormat.of().parseHex(hex)));
  }

  @Test
  void aRefusedRestoreIsExplainedInTheLogBeforeItsReply() throws Exception {
    int port = freePort();
    Path log = dir.resolve("kiln.log");
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Process p = launch(lines, "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save",
        "", "--dir", dir.toString(), "--logfile", log.toString(), "--loglevel", "verbose",
        "--enable-debug-command", "yes");
    try (RespClient c = connect(p, port, log)) {
      c.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1");
      // each payload, then the words Redis's tests look for in the log
      String[][] cases = {
          // hash listpack whose field "a\0" comes twice: deep, then shallow
          {"yes", "101717000000040082610003826200038261000382640003ff0a00c0cfa687e5a7c5be",
              "Hash listpack integrity check failed for key 'k1'"},
          {"no", "101717000000040082610003826200038261000382640003ff0a00c0cfa687e5a7c5be",
              "Hash listpack with dup elements for key 'k2'"},
          // zset ziplist whose tail offset points nowhere
          {"no", "0c151500000011000000040000016103f202016203f3ff0a000000000000000000",
              "Zset ziplist integrity check failed for key 'k3'"},
          // an empty zipmap
          {"no", "090200ff0900c0f1b8674c16ace3", "Zipmap integrity check failed for key 'k4'"},
      };
      for (int i = 0; i < cases.length; i++) {
        c.call("CONFIG", "SET", "sanitize-dump-payload", cases[i][0]);
        assertThat(restore(c, "k" + (i + 1), cases[i][1])).isEqualTo("-ERR Bad data format\r\n");
        // read at once, as verify_log_message does: the line is there before the reply
        assertThat(Files.readString(log)).as(cases[i][2]).contains("Bad RESTORE payload: "
            + cases[i][2]);
      }
    }
  }

  @Test
  void anInternalErrorIsReportedAndTheServerGoesOn() throws Exception {
    int port = freePort();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    List<String> seen = new ArrayList<>();
    Process p = launch(lines, "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--dir", dir.toString(), "--enable-debug-command", "yes");
    awaitLine(lines, seen, "Ready to accept connections");
    try (RespClient failing = new RespClient("127.0.0.1", port);
        RespClient other = new RespClient("127.0.0.1", port)) {
      failing.send("DEBUG", "ASSERT");
      awaitLine(lines, seen, "=== KILN BUG REPORT START");
      awaitLine(lines, seen, "=== ASSERTION FAILED ===");
      assertThat(awaitLine(lines, seen, "==> ")).contains("'1 == 2' is not true (DEBUG ASSERT)");
      awaitLine(lines, seen, "------ STACK TRACE ------");
      awaitLine(lines, seen, "=== KILN BUG REPORT END");
      assertThat(other.call("PING")).isEqualTo("+PONG\r\n");
      assertThat(p.isAlive()).isTrue();
    }
  }

  @Test
  void useExitOnPanicExitsAfterTheReport() throws Exception {
    int port = freePort();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    List<String> seen = new ArrayList<>();
    Process p = launch(lines, "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--dir", dir.toString(), "--enable-debug-command", "yes",
        "--use-exit-on-panic", "yes", "--crash-log-enabled", "no");
    awaitLine(lines, seen, "Ready to accept connections");
    try (RespClient c = new RespClient("127.0.0.1", port)) {
      assertThat(c.call("CONFIG", "GET", "use-exit-on-panic"))
          .isEqualTo("*2\r\n$17\r\nuse-exit-on-panic\r\n$3\r\nyes\r\n");
      assertThat(c.call("CONFIG", "GET", "*panic*")).isEqualTo("*0\r\n"); // hidden
      c.send("DEBUG", "ASSERT");
      assertThat(p.waitFor(ProcessLines.DEADLINE_S, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(p.exitValue()).isEqualTo(1);
    awaitLine(lines, seen, "=== ASSERTION FAILED ===");
    awaitLine(lines, seen, "Exiting after an internal error (use-exit-on-panic yes)");
    assertThat(seen).noneMatch(l -> l.contains("STACK TRACE")); // crash-log-enabled no
  }

  /** A client once the log file says the server is ready. */
  private static RespClient connect(Process p, int port, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ProcessLines.DEADLINE_S);
    while (!Files.exists(log) || !Files.readString(log).contains("Ready to accept connections")) {
      assertThat(p.isAlive()).as("server running").isTrue();
      assertThat(System.nanoTime()).as("server ready in time").isLessThan(deadline);
      Thread.onSpinWait();
    }
    return new RespClient("127.0.0.1", port);
  }
}
