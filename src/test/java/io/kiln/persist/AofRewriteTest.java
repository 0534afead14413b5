package io.kiln.persist;

import static io.kiln.persist.AofTestSupport.await;
import static io.kiln.persist.LoadSupport.config;
import static io.kiln.persist.LoadSupport.info;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.aof.AofCheck;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * BGREWRITEAOF: a new file from a capture plus the rewrite buffer, renamed over the live one;
 * every write lands once. Test thread.
 */
class AofRewriteTest {
  @TempDir
  Path dir;

  /** The first bytes of a base written as commands: the SELECT of its first key's database. */
  static final String COMMANDS = "*2\r\n$6\r\nSELECT\r\n";

  @ParameterizedTest
  @ValueSource(strings = {"yes", "no"})
  void aRewriteShrinksTheFileAndKeepsTheData(String preamble) throws Exception {
    String digest;
    Path aof = dir.resolve("appendonly.aof");
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "aof-use-rdb-preamble", preamble, "enable-debug-command", "yes"));
        RespClient c = kiln.client()) {
      for (int i = 0; i < 500; i++) {
        c.send("INCR", "n");
        c.send("RPUSH", "l", "e" + i);
      }
      for (int i = 0; i < 1000; i++) {
        c.readReply();
      }
      c.call("SET", "ttl", "v", "EX", "3600");
      c.call("SELECT", "3");
      c.call("SET", "in3", "x");
      c.call("DEBUG", "LOADAOF"); // everything written out: the size to compare with
      long before = Files.size(aof);
      assertThat(c.call("BGREWRITEAOF"))
          .isEqualTo("+Background append only file rewriting started\r\n");
      await(() -> info(c, "aof_rewrites").equals("1"), "the rewrite");
      assertThat(info(c, "aof_rewrite_in_progress")).isEqualTo("0");
      assertThat(info(c, "aof_last_bgrewrite_status")).isEqualTo("ok");
      assertThat(Files.size(aof)).isLessThan(before / 4);
      String text = Files.readString(aof, StandardCharsets.ISO_8859_1);
      if (preamble.equals("yes")) {
        assertThat(text).as("an RDB preamble").startsWith("REDIS");
      } else {
        // as Redis's rewriteAppendOnlyFileRio: the 500 elements in RPUSHes of 64 at most
        assertThat(text).as("commands").startsWith(COMMANDS + "$1\r\n0\r\n");
        assertThat(count(text, "*66\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$2\r\ne0\r\n$2\r\ne1\r\n"))
            .isEqualTo(1);
        assertThat(count(text, "*66\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n")).isEqualTo(7);
        assertThat(count(text, "*54\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$4\r\ne448\r\n"))
            .isEqualTo(1);
        assertThat(text).contains("*3\r\n$3\r\nSET\r\n$1\r\nn\r\n$3\r\n500\r\n")
            .contains("*3\r\n$9\r\nPEXPIREAT\r\n$3\r\nttl\r\n")
            .contains(COMMANDS + "$1\r\n3\r\n*3\r\n$3\r\nSET\r\n$3\r\nin3\r\n$1\r\nx\r\n");
      }
      assertThat(c.call("SET", "after", "1")).isEqualTo("+OK\r\n"); // appended to the new file
      digest = c.call("DEBUG", "DIGEST");
    }
    assertThat(checkAof(aof)).contains("is valid");
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "enable-debug-command", "yes")); RespClient c = kiln.client()) {
      assertThat(c.call("DEBUG", "DIGEST")).isEqualTo(digest);
      assertThat(c.call("GET", "n")).isEqualTo("$3\r\n500\r\n");
    }
  }

  @Test
  void writesDuringTheRewriteLandExactlyOnce() throws Exception {
    writeDuringARewrite(false);
  }

  @Test
  void aRewriteBufferPastItsBoundSpillsToAFileAndIsReplayedWhole() throws Exception {
    System.setProperty("kiln.aof.rewriteBufferMemory", "512");
    try {
      writeDuringARewrite(true);
    } finally {
      System.clearProperty("kiln.aof.rewriteBufferMemory");
    }
  }

  private void writeDuringARewrite(boolean spills) throws Exception {
    long acked = 0;
    boolean spilled = false;
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "rdb-key-save-delay", "200")); RespClient c = kiln.client()) {
      for (int i = 0; i < 2000; i++) {
        c.send("SET", "k" + i, "v");
      }
      for (int i = 0; i < 2000; i++) {
        c.readReply();
      }
      // a write just before and just after the cut, in one packet with the command
      c.send("INCR", "c");
      c.send("BGREWRITEAOF");
      c.send("INCR", "c");
      assertThat(c.readReply()).isEqualTo(":1\r\n");
      assertThat(c.readReply()).startsWith("+Background append only file rewriting started");
      assertThat(c.readReply()).isEqualTo(":2\r\n");
      acked = 2;
      // the walk takes ~0.4 s (200 us per key): writes meanwhile go to the buffer too
      while (info(c, "aof_rewrite_in_progress").equals("1")) {
        assertThat(c.call("INCR", "c")).isEqualTo(":" + (acked + 1) + "\r\n");
        acked++;
        try (var files = Files.list(dir)) {
          spilled |= files.anyMatch(f -> f.getFileName().toString().startsWith("temp-rewriteaof-buf"));
        }
      }
      assertThat(spilled).as("the buffer spilled to a file").isEqualTo(spills);
      assertThat(acked).as("writes made during the rewrite").isGreaterThan(10);
      assertThat(info(c, "aof_rewrites")).isEqualTo("1");
      assertThat(c.call("INCR", "c")).isEqualTo(":" + (acked + 1) + "\r\n");
      acked++;
    }
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes"));
        RespClient c = kiln.client()) {
      assertThat(c.call("GET", "c")).isEqualTo("$" + Long.toString(acked).length() + "\r\n"
          + acked + "\r\n");
      assertThat(c.call("DBSIZE")).isEqualTo(":2001\r\n");
    }
  }

  @Test
  void aRewriteAndASnapshotWaitForEachOther() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "rdb-key-save-delay", "500")); RespClient c = kiln.client()) {
      for (int i = 0; i < 1000; i++) {
        c.send("SET", "k" + i, "v");
      }
      for (int i = 0; i < 1000; i++) {
        c.readReply();
      }
      c.call("BGREWRITEAOF");
      assertThat(c.call("BGREWRITEAOF"))
          .isEqualTo("-ERR Background append only file rewriting already in progress\r\n");
      assertThat(c.call("BGSAVE")).startsWith("-ERR An AOF log rewriting in progress");
      assertThat(c.call("BGSAVE", "SCHEDULE")).isEqualTo("+Background saving scheduled\r\n");
      await(() -> info(c, "rdb_saves").equals("1"), "the scheduled BGSAVE after the rewrite");
      assertThat(info(c, "aof_rewrites")).isEqualTo("1");

      c.call("BGSAVE");
      assertThat(c.call("BGREWRITEAOF"))
          .isEqualTo("+Background append only file rewriting scheduled\r\n");
      assertThat(info(c, "aof_rewrite_scheduled")).isEqualTo("1");
      await(() -> info(c, "aof_rewrites").equals("2"), "the scheduled rewrite after the BGSAVE");
    }
  }

  @Test
  void afterARewriteEveryAcknowledgedWriteIsStillFsyncedUnderAlways() throws Exception {
    java.util.concurrent.atomic.AtomicInteger fsyncs = new java.util.concurrent.atomic.AtomicInteger();
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes", "appendfsync", "always"));
        RespClient c = kiln.client()) {
      for (int i = 0; i < 300; i++) {
        c.call("INCR", "n"); // a file larger than the rewritten one will be
      }
      c.call("BGREWRITEAOF");
      await(() -> info(c, "aof_rewrites").equals("1"), "the rewrite");
      AofWriter.faults = new AofWriter.Faults() {
        @Override
        public void beforeFsync() {
          fsyncs.incrementAndGet();
        }
      };
      for (int i = 0; i < 5; i++) {
        assertThat(c.call("INCR", "n")).isEqualTo(":" + (301 + i) + "\r\n");
        assertThat(fsyncs.get()).as("fsyncs before the reply to write %d", i).isGreaterThan(i);
      }
    } finally {
      AofWriter.faults = AofWriter.NO_FAULTS;
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"yes", "no"})
  void theFileIsRewrittenWhenItDoubledPastTheMinimumSize(String preamble) throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "aof-use-rdb-preamble", preamble, "auto-aof-rewrite-percentage", "100",
        "auto-aof-rewrite-min-size", "20kb"));
        RespClient c = kiln.client()) {
      for (int i = 0; i < 1000; i++) {
        c.send("INCR", "n"); // ~30 KB of commands for one small key
      }
      for (int i = 0; i < 1000; i++) {
        c.readReply();
      }
      await(() -> info(c, "aof_rewrites").equals("1"), "the automatic rewrite");
      assertThat(Long.parseLong(info(c, "aof_current_size"))).isLessThan(20 * 1024);
      assertThat(info(c, "aof_base_size")).isEqualTo(info(c, "aof_current_size"));
      assertThat(c.call("GET", "n")).isEqualTo("$4\r\n1000\r\n");
      String text = Files.readString(dir.resolve("appendonly.aof"), StandardCharsets.ISO_8859_1);
      if (preamble.equals("yes")) {
        assertThat(text).startsWith("REDIS");
      } else {
        assertThat(text).startsWith(COMMANDS + "$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nn\r\n");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"yes", "no"})
  void configSetAppendonlySwitchesTheFileOnFromARewriteAndOff(String preamble) throws Exception {
    Path aof = dir.resolve("appendonly.aof");
    long acked = 0;
    try (TestKiln kiln = TestKiln.start(config(dir, "rdb-key-save-delay", "100",
        "aof-use-rdb-preamble", preamble)); RespClient c = kiln.client()) {
      for (int i = 0; i < 1000; i++) {
        c.send("SET", "k" + i, "v");
      }
      for (int i = 0; i < 1000; i++) {
        c.readReply();
      }
      assertThat(c.call("CONFIG", "SET", "appendonly", "yes")).isEqualTo("+OK\r\n");
      while (!info(c, "aof_rewrites").equals("1")) { // writes meanwhile reach the new file
        assertThat(c.call("INCR", "c")).isEqualTo(":" + (++acked) + "\r\n");
        assertThat(info(c, "aof_enabled")).isEqualTo("1");
      }
      assertThat(acked).as("writes while the first file was written").isPositive();
      assertThat(new String(Files.readAllBytes(aof), 0, 5, StandardCharsets.US_ASCII))
          .isEqualTo(preamble.equals("yes") ? "REDIS" : COMMANDS.substring(0, 5));
      assertThat(c.call("INCR", "c")).isEqualTo(":" + (++acked) + "\r\n");

      assertThat(c.call("CONFIG", "SET", "appendonly", "no")).isEqualTo("+OK\r\n");
      await(() -> info(c, "aof_enabled").equals("0"), "the AOF switched off");
      long size = Files.size(aof);
      c.call("SET", "not-in-the-file", "1");
      assertThat(Files.size(aof)).as("nothing written after the switch-off").isEqualTo(size);
    }
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes"));
        RespClient c = kiln.client()) {
      assertThat(c.call("DBSIZE")).isEqualTo(":1001\r\n");
      assertThat(c.call("GET", "c")).isEqualTo(
          "$" + Long.toString(acked).length() + "\r\n" + acked + "\r\n"); // each write once
      assertThat(c.call("GET", "not-in-the-file")).isEqualTo("$-1\r\n");
    }
  }

  @Test
  void configSetAofUseRdbPreambleTakesEffectAtTheNextRewrite() throws Exception {
    Path aof = dir.resolve("appendonly.aof");
    String digest;
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "enable-debug-command", "yes")); RespClient c = kiln.client()) {
      c.call("RPUSH", "l", "a", "b");
      c.call("SET", "s", "v", "EX", "3600");
      c.call("BGREWRITEAOF");
      await(() -> info(c, "aof_rewrites").equals("1"), "the first rewrite");
      assertThat(Files.readString(aof, StandardCharsets.ISO_8859_1)).startsWith("REDIS");

      assertThat(c.call("CONFIG", "SET", "aof-use-rdb-preamble", "no")).isEqualTo("+OK\r\n");
      assertThat(c.call("CONFIG", "GET", "aof-use-rdb-preamble"))
          .isEqualTo("*2\r\n$20\r\naof-use-rdb-preamble\r\n$2\r\nno\r\n");
      c.call("SADD", "t", "x");
      assertThat(Files.readString(aof, StandardCharsets.ISO_8859_1)).as("until the next rewrite")
          .startsWith("REDIS");
      c.call("BGREWRITEAOF");
      await(() -> info(c, "aof_rewrites").equals("2"), "the second rewrite");
      assertThat(Files.readString(aof, StandardCharsets.ISO_8859_1)).startsWith(COMMANDS)
          .contains("*4\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\na\r\n$1\r\nb\r\n")
          .contains("*3\r\n$4\r\nSADD\r\n$1\r\nt\r\n$1\r\nx\r\n");
      c.call("SET", "after", "1");
      digest = c.call("DEBUG", "DIGEST");
    }
    assertThat(checkAof(aof)).contains("is valid");
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "enable-debug-command", "yes")); RespClient c = kiln.client()) {
      assertThat(c.call("DEBUG", "DIGEST")).isEqualTo(digest);
    }
  }

  @Test
  void aBaseOfCommandsStartsWithATimestampWhenAnnotationsAreOn() throws Exception {
    Path aof = dir.resolve("appendonly.aof");
    long before = System.currentTimeMillis() / 1000;
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "aof-use-rdb-preamble", "no", "aof-timestamp-enabled", "yes"));
        RespClient c = kiln.client()) {
      c.call("SET", "k", "v");
      c.call("BGREWRITEAOF");
      await(() -> info(c, "aof_rewrites").equals("1"), "the rewrite");
      String text = Files.readString(aof, StandardCharsets.ISO_8859_1);
      assertThat(text).startsWith("#TS:");
      long ts = Long.parseLong(text.substring(4, text.indexOf("\r\n")));
      assertThat(ts).isBetween(before, System.currentTimeMillis() / 1000);
      assertThat(text.substring(text.indexOf("\r\n") + 2)).startsWith(COMMANDS);
    }
    assertThat(checkAof(aof)).contains("is valid");
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes"));
        RespClient c = kiln.client()) {
      assertThat(c.call("GET", "k")).isEqualTo("$1\r\nv\r\n");
    }
  }

  @Test
  void aDumpLoadedAtStartupBecomesABaseOfCommandsWithoutAPreamble() throws Exception {
    long expireAt = System.currentTimeMillis() + 3_600_000;
    LoadSupport.write(dir.resolve("dump.rdb"), new LoadSupport.Key(0, "a", "1", -1),
        new LoadSupport.Key(4, "b", "2", expireAt));
    Path aof = dir.resolve("appendonly.aof");
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "aof-use-rdb-preamble", "no")); RespClient c = kiln.client()) {
      assertThat(Files.readString(aof, StandardCharsets.ISO_8859_1)).isEqualTo(COMMANDS
          + "$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
          + COMMANDS + "$1\r\n4\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"
          + "*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nb\r\n$13\r\n" + expireAt + "\r\n");
      c.call("SET", "c", "3");
    }
    Files.delete(dir.resolve("dump.rdb")); // the AOF alone
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes"));
        RespClient c = kiln.client()) {
      assertThat(c.call("GET", "a")).isEqualTo("$1\r\n1\r\n");
      assertThat(c.call("GET", "c")).isEqualTo("$1\r\n3\r\n");
      c.call("SELECT", "4");
      assertThat(c.call("PEXPIRETIME", "b")).isEqualTo(":" + expireAt + "\r\n");
    }
  }

  @Test
  void noAppendfsyncOnRewriteSkipsTheFsyncsWhileARewriteRuns() throws Exception {
    java.util.concurrent.atomic.AtomicInteger fsyncs = new java.util.concurrent.atomic.AtomicInteger();
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes", "appendfsync", "always",
        "no-appendfsync-on-rewrite", "yes", "rdb-key-save-delay", "500"));
        RespClient c = kiln.client()) {
      for (int i = 0; i < 1000; i++) {
        c.send("SET", "k" + i, "v");
      }
      for (int i = 0; i < 1000; i++) {
        c.readReply();
      }
      AofWriter.faults = new AofWriter.Faults() {
        @Override
        public void beforeFsync() {
          fsyncs.incrementAndGet();
        }
      };
      c.call("BGREWRITEAOF");
      int writes = 0;
      while (info(c, "aof_rewrite_in_progress").equals("1") && writes < 50) {
        assertThat(c.call("INCR", "c")).isEqualTo(":" + (++writes) + "\r\n");
      }
      assertThat(writes).isEqualTo(50); // all acknowledged during the rewrite
      assertThat(fsyncs.get()).as("fsyncs during the rewrite").isZero();
      await(() -> info(c, "aof_rewrites").equals("1"), "the rewrite");
      int before = fsyncs.get();
      c.call("INCR", "c");
      assertThat(fsyncs.get()).as("fsyncs again after it").isGreaterThan(before);
    } finally {
      AofWriter.faults = AofWriter.NO_FAULTS;
    }
  }

  @Test
  void checkAofTruncateToTimestampBringsTheDataBackAsItWasThen() throws Exception {
    Path aof = dir.resolve("appendonly.aof");
    long before;
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "aof-timestamp-enabled", "yes")); RespClient c = kiln.client()) {
      c.call("SET", "early", "1");
      before = System.currentTimeMillis() / 1000;
      long next = before + 1;
      await(() -> System.currentTimeMillis() / 1000 >= next, "the next second");
      c.call("SET", "late", "2");
    }
    String text = Files.readString(aof, StandardCharsets.ISO_8859_1);
    assertThat(text).contains("#TS:");
    assertThat(checkAof(aof)).contains("is valid"); // annotations are part of the format
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int rc = AofCheck.run(new String[] {"--truncate-to-timestamp", Long.toString(before),
        aof.toString()}, new PrintStream(out, true), new ByteArrayInputStream(new byte[0]));
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("Successfully truncated AOF " + aof + " to timestamp " + before);
    assertThat(rc).isZero();
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes"));
        RespClient c = kiln.client()) {
      assertThat(c.call("GET", "early")).isEqualTo("$1\r\n1\r\n");
      assertThat(c.call("GET", "late")).as("written after the timestamp").isEqualTo("$-1\r\n");
    }
  }

  @Test
  void aStopDuringARewriteKeepsTheLiveFileAndNoTempFileSurvivesARestart() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "rdb-key-save-delay", "1000")); RespClient c = kiln.client()) {
      for (int i = 0; i < 1000; i++) {
        c.send("SET", "k" + i, "v");
      }
      for (int i = 0; i < 1000; i++) {
        c.readReply();
      }
      assertThat(c.call("BGREWRITEAOF")).startsWith("+Background append only file rewriting");
      assertThat(c.call("SET", "during", "1")).isEqualTo("+OK\r\n");
      assertThat(info(c, "aof_rewrite_in_progress")).isEqualTo("1"); // the walk takes ~1 s
    } // stopped in the middle of the rewrite
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes"));
        RespClient c = kiln.client()) {
      assertThat(c.call("DBSIZE")).isEqualTo(":1001\r\n");
      try (var files = Files.list(dir)) {
        assertThat(files.map(f -> f.getFileName().toString()))
            .as("no temp file survives a restart").noneMatch(n -> n.startsWith("temp-"));
      }
    }
  }

  private static int count(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }

  /** Kiln's check-aof (it agrees with redis-check-aof: AofCheckTest). */
  private static String checkAof(Path file) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    AofCheck.run(new String[] {file.toString()}, new PrintStream(out, true),
        new ByteArrayInputStream(new byte[0]));
    return out.toString(StandardCharsets.UTF_8);
  }
}
