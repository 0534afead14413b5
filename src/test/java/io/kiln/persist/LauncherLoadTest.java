package io.kiln.persist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher as a subprocess: check-rdb reports and exit codes; a corrupt dump stops startup. */
class LauncherLoadTest {
  @TempDir
  Path dir;

  record Run(int exit, String output) {}

  private static Run launch(String... args) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(io.kiln.support.ProcessLines.mainCommand(args))
        .redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  private Path fixture() throws Exception {
    Path f = dir.resolve("dump.rdb");
    Files.copy(Path.of(getClass().getResource("/rdb/redis-7.0-strings.rdb").toURI()), f,
        StandardCopyOption.REPLACE_EXISTING);
    return f;
  }

  @Test
  void checkRdbReportsASoundFile() throws Exception {
    Path f = fixture();
    Run r = launch("check-rdb", f.toString());
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("[offset 0] Checking RDB file " + f)
        .contains("Checksum OK").contains("\\o/ RDB looks OK! \\o/")
        .contains("[info] 1060 keys read").contains("[info] 50 already expired");
  }

  @Test
  void checkRdbReportsDamageWithItsOffset() throws Exception {
    Path f = fixture();
    byte[] data = Files.readAllBytes(f);
    Files.write(f, java.util.Arrays.copyOf(data, 5000));
    Run r = launch("check-rdb", f.toString());
    assertThat(r.exit()).as(r.output()).isEqualTo(1);
    assertThat(r.output()).contains("--- RDB ERROR DETECTED ---")
        .containsPattern("\\[offset 5000\\] Unexpected EOF reading RDB file at offset 5000");
  }

  @Test
  void checkRdbNeedsOneFile() throws Exception {
    Run r = launch("check-rdb");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.output()).contains("Usage: java -jar kiln.jar check-rdb");
  }

  @Test
  void serverExitsNonZeroOnACorruptDump() throws Exception {
    Path f = fixture();
    byte[] data = Files.readAllBytes(f);
    data[data.length - 1] ^= 1;
    Files.write(f, data);
    Run r = launch("--port", Integer.toString(io.kiln.support.ProcessLines.freePort()), "--bind", "127.0.0.1", "--dir",
        dir.toString(), "--save", "");
    assertThat(r.exit()).as(r.output()).isEqualTo(1);
    assertThat(r.output()).contains("Loading RDB produced by version 7.0.15")
        .contains("Fatal error loading the DB: RDB CRC error")
        .contains("check-rdb " + f).doesNotContain("Ready to accept connections");
    // Redis's lines: the checksums, redis-check-rdb's report, the last word
    assertThat(r.output()).containsPattern("Wrong RDB checksum expected: \\([0-9a-f]+\\) but got "
        + "\\([0-9a-f]+\\)\\. Aborting now\\.")
        .contains("--- RDB ERROR DETECTED ---").contains("[additional info] While doing: check-sum");
    // the last two lines say it all (Redis's test looks for "CRC error" in the last ten)
    String[] lines = r.output().strip().split("\n");
    assertThat(lines[lines.length - 1]).endsWith("Terminating server after rdb file reading failure.");
    assertThat(lines[lines.length - 2]).contains("Fatal error loading the DB: RDB CRC error")
        .contains(" in " + f + ";").contains("move the file aside to start empty");
  }

  @Test
  void emptyKeysAreSkippedAndCountedAsRedisLogsThem() throws Exception {
    // RDB 9: SELECTDB 0, an empty set "s", an empty hash "h", a string "k" = "v", EOF, no CRC
    java.io.ByteArrayOutputStream f = new java.io.ByteArrayOutputStream();
    f.writeBytes("REDIS0009".getBytes(StandardCharsets.US_ASCII));
    f.writeBytes(new byte[] {(byte) 0xFE, 0, 2, 1, 's', 0, 4, 1, 'h', 0, 0, 1, 'k', 1, 'v',
        (byte) 0xFF, 0, 0, 0, 0, 0, 0, 0, 0});
    Files.write(dir.resolve("dump.rdb"), f.toByteArray());
    Path log = dir.resolve("out.log");
    Process p = startReady(log);
    try {
      assertThat(Files.readString(log)).contains("rdbLoadObject skipping empty key: s")
          .contains("rdbLoadObject skipping empty key: h")
          .contains("Done loading RDB, keys loaded: 1, keys expired: 0, empty keys skipped: 2.");
    } finally {
      p.destroy();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void serverLogsTheLoadLikeRedis() throws Exception {
    fixture();
    Path log = dir.resolve("out.log");
    Process p = startReady(log);
    try {
      String out = Files.readString(log);
      assertThat(out).contains("Loading RDB produced by version 7.0.15")
          .containsPattern("RDB age \\d+ seconds")
          .containsPattern("RDB memory usage when created \\d+\\.\\d\\d Mb")
          .contains("Done loading RDB, keys loaded: 1010, keys expired: 50.")
          .containsPattern("DB loaded from disk: \\d+\\.\\d{3} seconds");
      assertThat(out.indexOf("DB loaded from disk"))
          .isLessThan(out.indexOf("Ready to accept connections"));
      // redis-server prints its banner (Redis's test harness waits for "PID:") before loading
      assertThat(out.indexOf("PID: " + p.pid())).isPositive()
          .isLessThan(out.indexOf("Loading RDB produced by"));
    } finally {
      p.destroy();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** Starts a server on the test's dir (its own JVM), logging to {@code log}; waits until ready. */
  private Process startReady(Path log) throws Exception {
    List<String> cmd = io.kiln.support.ProcessLines.mainCommand("--port",
        Integer.toString(io.kiln.support.ProcessLines.freePort()), "--bind", "127.0.0.1", "--dir",
        dir.toString(), "--save", "");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.readString(log).contains("Ready to accept connections")) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        p.destroy();
        throw new AssertionError("server did not start: " + Files.readString(log));
      }
      Thread.onSpinWait();
    }
    return p;
  }
}
