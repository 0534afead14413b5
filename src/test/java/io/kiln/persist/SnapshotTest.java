package io.kiln.persist;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.rdb.RdbReader;
import io.kiln.rdb.RdbValue;
import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SAVE, BGSAVE, LASTSAVE, save rules and the point-in-time guarantee, on a real Kiln. */
class SnapshotTest {
  @TempDir
  Path dir;

  private TestKiln start(String... more) {
    List<String> d = new ArrayList<>(List.of("dir", dir.toString()));
    d.addAll(List.of(more));
    return TestKiln.start(d.toArray(String[]::new));
  }

  @Test
  void bgsaveWritesTheDatasetOfItsStartWhileWritesContinue() throws Exception {
    int n = 20_000;
    // 50 us per key on the worker: the save lasts about a second, long enough to overlap writes.
    try (TestKiln kiln = start("rdb-key-save-delay", "50"); RespClient c = kiln.client()) {
      load(c, n, "before");
      c.call("SET", "doomed", "present-at-start");
      assertThat(c.call("BGSAVE")).isEqualTo("+Background saving started\r\n");
      // Everything below is sent after BGSAVE began: none of it may reach the file. Even keys
      // get a value of the old one's length, which overwrites the stored array in place.
      StringBuilder pipeline = new StringBuilder();
      for (int i = 0; i < n; i++) {
        pipeline.append(cmd("SET", "k" + i, (i % 2 == 0 ? "behind" : "after") + i));
      }
      pipeline.append(cmd("DEL", "doomed")).append(cmd("SET", "born-later", "x"));
      c.sendRaw(pipeline.toString());
      for (int i = 0; i < n + 2; i++) {
        c.readReply();
      }
      assertThat(c.call("INFO", "persistence")).as("the writes overlapped the save")
          .contains("rdb_bgsave_in_progress:1");
      waitFor(() -> c.call("INFO", "persistence").contains("rdb_bgsave_in_progress:0"));
      assertThat(c.call("INFO", "persistence")).contains("rdb_last_bgsave_status:ok");

      Map<String, String> saved = readStrings(dir.resolve("dump.rdb"));
      assertThat(saved).hasSize(n + 1).containsEntry("doomed", "present-at-start")
          .doesNotContainKey("born-later");
      for (int i = 0; i < n; i++) {
        assertThat(saved.get("k" + i)).isEqualTo("before" + i);
      }
      assertThat(c.call("GET", "k7")).isEqualTo("$6\r\nafter7\r\n");
      assertThat(c.call("GET", "k8")).isEqualTo("$7\r\nbehind8\r\n");
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("dump.rdb");
    }
  }

  @Test
  void stringsWrittenAfterTheWalkButBeforeTheWriterIsDoneKeepTheirOldValueInTheFile()
      throws Exception {
    int n = 20_000;
    // 100 us per key on the worker: once the walk has captured every key (by reference), the
    // writer still has the last few batches to go, a window of about a second.
    try (TestKiln kiln = start("rdb-key-save-delay", "100"); RespClient c = kiln.client()) {
      load(c, n, "before");
      assertThat(c.call("BGSAVE")).isEqualTo("+Background saving started\r\n");
      waitFor(() -> c.call("INFO", "persistence").contains("current_save_keys_processed:" + n));
      StringBuilder pipeline = new StringBuilder();
      for (int i = 0; i < n; i++) {
        pipeline.append(cmd("SET", "k" + i, "after_" + i)); // same length: the in-place case
      }
      c.sendRaw(pipeline.toString());
      for (int i = 0; i < n; i++) {
        c.readReply();
      }
      assertThat(c.call("INFO", "persistence")).as("the writes overlapped the writer's tail")
          .contains("rdb_bgsave_in_progress:1");
      waitFor(() -> c.call("INFO", "persistence").contains("rdb_bgsave_in_progress:0"));

      Map<String, String> saved = readStrings(dir.resolve("dump.rdb"));
      for (int i = 0; i < n; i++) {
        assertThat(saved.get("k" + i)).isEqualTo("before" + i);
      }
      assertThat(c.call("GET", "k9")).isEqualTo("$7\r\nafter_9\r\n");
      // After the save, an overwrite of the same length is in place again (no new array): the
      // value still reads back right.
      c.call("SET", "k9", "again_9");
      assertThat(c.call("GET", "k9")).isEqualTo("$7\r\nagain_9\r\n");
    }
  }

  @Test
  void collectionsChangedDuringABgsaveAreSavedAsTheyWereAtItsStart() throws Exception {
    int n = 20_000;
    int m = 200;
    // A compact collection is captured as a private copy that the worker unpacks later: a
    // change after its capture must not reach the file, nor one made before the walk reached it.
    try (TestKiln kiln = start("rdb-key-save-delay", "50"); RespClient c = kiln.client()) {
      load(c, n, "v");
      StringBuilder setup = new StringBuilder();
      for (int i = 0; i < m; i++) {
        setup.append(cmd("HSET", "h" + i, "f", "old")).append(cmd("SADD", "s" + i, "1", "2"))
            .append(cmd("ZADD", "z" + i, "1", "a")).append(cmd("RPUSH", "l" + i, "a", "b"));
      }
      c.sendRaw(setup.toString());
      for (int i = 0; i < 4 * m; i++) {
        c.readReply();
      }
      assertThat(c.call("OBJECT", "ENCODING", "h0")).isEqualTo("$8\r\nlistpack\r\n");
      assertThat(c.call("OBJECT", "ENCODING", "s0")).isEqualTo("$6\r\nintset\r\n");
      assertThat(c.call("OBJECT", "ENCODING", "z0")).isEqualTo("$8\r\nlistpack\r\n");
      assertThat(c.call("BGSAVE")).isEqualTo("+Background saving started\r\n");
      StringBuilder writes = new StringBuilder();
      for (int i = 0; i < m; i++) {
        writes.append(cmd("HSET", "h" + i, "f", "new")).append(cmd("SADD", "s" + i, "3"))
            .append(cmd("ZADD", "z" + i, "2", "b")).append(cmd("RPUSH", "l" + i, "c"));
      }
      c.sendRaw(writes.toString());
      for (int i = 0; i < 4 * m; i++) {
        c.readReply();
      }
      assertThat(c.call("INFO", "persistence")).as("the writes overlapped the save")
          .contains("rdb_bgsave_in_progress:1");
      waitFor(() -> c.call("INFO", "persistence").contains("rdb_bgsave_in_progress:0"));

      Map<String, String> saved = new HashMap<>();
      try (InputStream in = new BufferedInputStream(Files.newInputStream(dir.resolve("dump.rdb")))) {
        new RdbReader(in).read(e -> saved.put(new String(e.key(), StandardCharsets.ISO_8859_1),
            describe(e.value())));
      }
      for (int i = 0; i < m; i++) {
        assertThat(saved).containsEntry("h" + i, "f=old").containsEntry("s" + i, "1,2")
            .containsEntry("z" + i, "a=1.0").containsEntry("l" + i, "a,b");
      }
    }
  }

  private static String describe(RdbValue v) {
    java.util.function.Function<byte[], String> s = b -> new String(b, StandardCharsets.ISO_8859_1);
    if (v instanceof RdbValue.HashValue h) {
      return String.join(",", h.entries().stream().map(e -> s.apply(e.field()) + "="
          + s.apply(e.value())).sorted().toList());
    } else if (v instanceof RdbValue.SetValue set) {
      return String.join(",", set.members().stream().map(s).sorted().toList());
    } else if (v instanceof RdbValue.ZSetValue z) {
      return String.join(",", z.entries().stream().map(e -> s.apply(e.member()) + "="
          + e.score()).toList());
    } else if (v instanceof RdbValue.ListValue l) {
      return String.join(",", l.elements().stream().map(s).toList());
    }
    return s.apply(((RdbValue.Str) v).value());
  }

  @Test
  void saveBlocksOnlyUntilTheFileIsDurableAndResetsTheChangeCount() throws Exception {
    try (TestKiln kiln = start(); RespClient c = kiln.client()) {
      c.call("SET", "a", "1");
      c.call("SET", "b", "2");
      assertThat(c.call("INFO", "persistence")).contains("rdb_changes_since_last_save:2");
      assertThat(c.call("SAVE")).isEqualTo("+OK\r\n");
      assertThat(c.call("INFO", "persistence")).contains("rdb_changes_since_last_save:0",
          "rdb_saves:1");
      assertThat(readStrings(dir.resolve("dump.rdb"))).containsEntry("a", "1")
          .containsEntry("b", "2");
      long lastsave = Long.parseLong(c.call("LASTSAVE").substring(1).trim());
      assertThat(lastsave).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(5L));
    }
  }

  @Test
  void aBgsaveAfterAnAbandonedOneDoesNotWaitForItsQueuedKeys() throws Exception {
    // a second per key: the abandoned save's writer would sleep for its keys one by one
    try (TestKiln kiln = start("rdb-key-save-delay", "1000000", "enable-protected-configs", "yes");
        RespClient c = kiln.client()) {
      c.call("CONFIG", "SET", "rdb-key-save-delay", "0");
      c.call("SET", "before", "1");
      assertThat(c.call("SAVE")).isEqualTo("+OK\r\n");
      byte[] good = Files.readAllBytes(dir.resolve("dump.rdb"));
      c.call("CONFIG", "SET", "rdb-key-save-delay", "1000000");
      load(c, 60, "v"); // one batch: the walk ends (Finish queued) while the writer sleeps
      assertThat(c.call("BGSAVE")).isEqualTo("+Background saving started\r\n");
      assertThat(c.call("FLUSHALL")).isEqualTo("+OK\r\n");
      c.call("CONFIG", "SET", "rdb-key-save-delay", "0");
      assertThat(c.call("CONFIG", "SET", "dbfilename", "second.rdb")).isEqualTo("+OK\r\n");
      waitFor(() -> c.call("BGSAVE").startsWith("+Background saving started"));
      // Redis's test (integration/rdb "bgsave resets the change counter") gives it 5 s
      waitFor(() -> c.call("INFO", "persistence").contains("rdb_bgsave_in_progress:0"));
      assertThat(c.call("INFO", "persistence")).contains("rdb_changes_since_last_save:0")
          .contains("rdb_last_bgsave_status:ok");
      // the writer handled the abandoned save's Finish before this one: the last good file stays
      assertThat(Files.readAllBytes(dir.resolve("dump.rdb"))).isEqualTo(good);
    }
  }

  @Test
  void aSecondBgsaveIsRefusedWhileOneRuns() throws Exception {
    try (TestKiln kiln = start("rdb-key-save-delay", "1000"); RespClient c = kiln.client()) {
      load(c, 2000, "v");
      assertThat(c.call("BGSAVE")).isEqualTo("+Background saving started\r\n");
      assertThat(c.call("BGSAVE")).isEqualTo("-ERR Background save already in progress\r\n");
      assertThat(c.call("SAVE")).isEqualTo("-ERR Background save already in progress\r\n");
      assertThat(c.call("BGSAVE", "NOW")).isEqualTo("-ERR syntax error\r\n");
      // FLUSHALL abandons the running save (as Redis kills its child) without marking an error.
      assertThat(c.call("FLUSHALL")).isEqualTo("+OK\r\n");
      waitFor(() -> c.call("INFO", "persistence").contains("rdb_bgsave_in_progress:0"));
      assertThat(c.call("INFO", "persistence")).contains("rdb_last_bgsave_status:ok");
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.filter(p -> p.getFileName().toString().startsWith("temp-"))).isEmpty();
    }
  }

  @Test
  void aSaveRuleStartsABackgroundSave() throws Exception {
    try (TestKiln kiln = start("save", "1 2"); RespClient c = kiln.client()) {
      c.call("SET", "a", "1");
      c.call("SET", "b", "2");
      waitFor(() -> c.call("INFO", "persistence").contains("rdb_saves:1"));
      assertThat(readStrings(dir.resolve("dump.rdb"))).containsOnlyKeys("a", "b");
    }
  }

  @Test
  void aFailedSaveTurnsWritesIntoMisconfUntilASaveSucceeds() throws Exception {
    try (TestKiln kiln = start("save", "3600 1"); RespClient c = kiln.client()) {
      // A directory where the file should go makes the final rename fail.
      Files.createDirectory(dir.resolve("dump.rdb"));
      c.call("SET", "a", "1");
      assertThat(c.call("BGSAVE")).isEqualTo("+Background saving started\r\n");
      waitFor(() -> c.call("INFO", "persistence").contains("rdb_last_bgsave_status:err"));
      assertThat(c.call("SET", "b", "2")).startsWith("-MISCONF Redis is configured to save RDB");
      assertThat(c.call("GET", "a")).isEqualTo("$1\r\n1\r\n");
      Files.delete(dir.resolve("dump.rdb"));
      assertThat(c.call("SAVE")).isEqualTo("+OK\r\n");
      assertThat(c.call("SET", "b", "2")).isEqualTo("+OK\r\n");
    }
  }

  @Test
  void shutdownSavesWhenSavePointsAreSet() throws Exception {
    TestKiln kiln = start("save", "3600 1");
    try (RespClient c = kiln.client()) {
      c.call("SET", "kept", "yes");
      c.sendRaw(cmd("SHUTDOWN"));
      assertThat(c.closedByServer()).isTrue();
    }
    kiln.close();
    assertThat(readStrings(dir.resolve("dump.rdb"))).containsEntry("kept", "yes");
  }

  @Test
  void kilnsFileLoadsIntoRealRedis() throws Exception {
    try (TestKiln kiln = start(); RespClient c = kiln.client()) {
      load(c, 1000, "value-");
      c.call("SET", "long", "x".repeat(5000));
      c.call("SET", "num", "12345");
      c.call("PEXPIREAT", "num", Long.toString(System.currentTimeMillis() + 3_600_000));
      c.call("SELECT", "3");
      c.call("SET", "in-db3", "three");
      assertThat(c.call("SAVE")).isEqualTo("+OK\r\n");
    }
    try (RealRedis redis = RealRedis.start("--dir", dir.toString());
        RespClient r = redis.client()) {
      assertThat(r.call("DBSIZE")).isEqualTo(":1002\r\n");
      assertThat(r.call("GET", "k999")).isEqualTo("$9\r\nvalue-999\r\n");
      assertThat(r.call("STRLEN", "long")).isEqualTo(":5000\r\n");
      assertThat(Long.parseLong(r.call("TTL", "num").substring(1).trim())).isBetween(3500L, 3600L);
      r.call("SELECT", "3");
      assertThat(r.call("GET", "in-db3")).isEqualTo("$5\r\nthree\r\n");
    }
    Process check = new ProcessBuilder("redis-check-rdb", dir.resolve("dump.rdb").toString())
        .redirectErrorStream(true).start();
    String report = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.waitFor()).as(report).isZero();
    assertThat(report).contains("RDB looks OK");
  }

  @Test
  void debugReloadKeepsTheDatasetAndItsDigest() throws Exception {
    try (TestKiln kiln = start("enable-debug-command", "yes"); RespClient c = kiln.client()) {
      // DEBUG DIGEST walks everything in one event-loop task, as Redis does: keep it small.
      load(c, 500, "v");
      c.call("PEXPIREAT", "k1", Long.toString(System.currentTimeMillis() + 3_600_000));
      c.call("SELECT", "2");
      c.call("SET", "other", "db");
      String digest = c.call("DEBUG", "DIGEST");
      assertThat(digest).isNotEqualTo("+0000000000000000000000000000000000000000\r\n");
      assertThat(c.call("DEBUG", "RELOAD")).isEqualTo("+OK\r\n");
      assertThat(c.call("DEBUG", "DIGEST")).isEqualTo(digest);
      assertThat(c.call("GET", "other")).isEqualTo("$2\r\ndb\r\n");
      c.call("SELECT", "0");
      assertThat(c.call("DBSIZE")).isEqualTo(":500\r\n");
      assertThat(c.call("PTTL", "k1")).doesNotStartWith(":-");
      assertThat(c.call("INFO", "persistence")).contains("rdb_last_load_keys_loaded:501");
    }
  }

  // ---- helpers ----

  private static void load(RespClient c, int n, String prefix) {
    StringBuilder pipeline = new StringBuilder();
    for (int i = 0; i < n; i++) {
      pipeline.append(cmd("SET", "k" + i, prefix + i));
    }
    c.sendRaw(pipeline.toString());
    for (int i = 0; i < n; i++) {
      c.readReply();
    }
  }

  static String cmd(String... args) {
    StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
    for (String a : args) {
      sb.append('$').append(a.getBytes(StandardCharsets.ISO_8859_1).length).append("\r\n")
          .append(a).append("\r\n");
    }
    return sb.toString();
  }

  static Map<String, String> readStrings(Path file) throws Exception {
    Map<String, String> out = new HashMap<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      new RdbReader(in).read(e -> out.put(new String(e.key(), StandardCharsets.ISO_8859_1),
          new String(((RdbValue.Str) e.value()).value(), StandardCharsets.ISO_8859_1)));
    }
    return out;
  }

  static void waitFor(BooleanSupplier condition) {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 20 s").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }
}
