package io.kiln.command;

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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sorted sets on a real Kiln, for what the differential corpus cannot express: snapshots taken
 * while sorted sets change in place, files read by redis-server and by Kiln after a restart, and
 * a complete ZSCAN walk of the skiplist encoding.
 */
class ZSetCommandsTest {
  @TempDir
  Path dir;

  private TestKiln start(String... more) {
    List<String> d = new ArrayList<>(List.of("dir", dir.toString()));
    d.addAll(List.of(more));
    return TestKiln.start(d.toArray(String[]::new));
  }

  private static String cmd(String... args) {
    StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
    for (String a : args) {
      sb.append('$').append(a.getBytes(StandardCharsets.ISO_8859_1).length).append("\r\n")
          .append(a).append("\r\n");
    }
    return sb.toString();
  }

  private static void pipeline(RespClient c, List<String[]> commands) {
    StringBuilder sb = new StringBuilder();
    for (String[] a : commands) {
      sb.append(cmd(a));
    }
    c.sendRaw(sb.toString());
    for (int i = 0; i < commands.size(); i++) {
      c.readReply();
    }
  }

  /** A small (listpack) and a large (skiplist) set with awkward scores. */
  private static void populate(RespClient c) {
    c.call("ZADD", "small", "1", "a", "2.5", "b", "-0", "c", "1e20", "d", "0.1", "e", "inf", "f",
        "-inf", "g");
    List<String> big = new ArrayList<>(List.of("ZADD", "big"));
    for (int i = 0; i < 500; i++) {
      big.add(i % 7 == 0 ? "-0" : Double.toString(i * 1.25 - 100));
      big.add("member:" + i);
    }
    c.call(big.toArray(String[]::new));
    c.call("ZADD", "long", "3", "x".repeat(100), "4", "y");
  }

  private static final String[] KEYS = {"small", "big", "long"};

  private static Map<String, String> describe(RespClient c) {
    Map<String, String> out = new HashMap<>();
    for (String k : KEYS) {
      out.put(k, c.call("ZRANGE", k, "0", "-1", "WITHSCORES") + c.call("OBJECT", "ENCODING", k)
          + c.call("ZSCORE", k, "member:7"));
    }
    return out;
  }

  @Test
  void kilnsFileLoadsIntoRealRedisWithTheSameSortedSets() throws Exception {
    Map<String, String> before;
    try (TestKiln kiln = start(); RespClient c = kiln.client()) {
      populate(c);
      before = describe(c);
      assertThat(c.call("SAVE")).isEqualTo("+OK\r\n");
    }
    try (RealRedis redis = RealRedis.start("--dir", dir.toString());
        RespClient r = redis.client()) {
      Map<String, String> after = describe(r);
      // redis-server loads a small set saved as a skiplist into a listpack, like Kiln does
      assertThat(after).isEqualTo(before);
    }
    Process check = new ProcessBuilder("redis-check-rdb", dir.resolve("dump.rdb").toString())
        .redirectErrorStream(true).start();
    String report = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.waitFor()).as(report).isZero();
  }

  @Test
  void aRestartedKilnLoadsItsSortedSets() throws Exception {
    Map<String, String> before;
    try (TestKiln kiln = start(); RespClient c = kiln.client()) {
      populate(c);
      before = describe(c);
      assertThat(c.call("SAVE")).isEqualTo("+OK\r\n");
    }
    try (TestKiln kiln = start(); RespClient c = kiln.client()) {
      assertThat(describe(c)).isEqualTo(before);
    }
  }

  @Test
  void realRedisFileLoadsIntoKiln() throws Exception {
    Map<String, String> before;
    try (RealRedis redis = RealRedis.start("--dir", dir.toString());
        RespClient r = redis.client()) {
      populate(r);
      before = describe(r);
      assertThat(r.call("SAVE")).isEqualTo("+OK\r\n");
    }
    try (TestKiln kiln = start(); RespClient c = kiln.client()) {
      assertThat(describe(c)).isEqualTo(before);
    }
  }

  @Test
  void bgsaveWritesSortedSetsAsTheyWereWhenItStarted() throws Exception {
    int n = 20_000;
    try (TestKiln kiln = start("rdb-key-save-delay", "50"); RespClient c = kiln.client()) {
      List<String[]> load = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        load.add(new String[] {"ZADD", "z" + i, "1", "a", "2", "b"});
      }
      pipeline(c, load);
      populate(c);
      assertThat(c.call("BGSAVE")).isEqualTo("+Background saving started\r\n");
      List<String[]> writes = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        writes.add(new String[] {"ZADD", "z" + i, "5", "a", "3", "c"});
        writes.add(new String[] {"ZREM", "z" + i, "b"});
      }
      writes.add(new String[] {"ZREMRANGEBYRANK", "big", "0", "99"});
      writes.add(new String[] {"ZINCRBY", "big", "1000", "member:499"});
      writes.add(new String[] {"ZPOPMIN", "small", "3"});
      writes.add(new String[] {"DEL", "long"});
      pipeline(c, writes);
      assertThat(c.call("INFO", "persistence")).as("the writes overlapped the save")
          .contains("rdb_bgsave_in_progress:1");
      waitFor(() -> c.call("INFO", "persistence").contains("rdb_bgsave_in_progress:0"));
      assertThat(c.call("INFO", "persistence")).contains("rdb_last_bgsave_status:ok");

      Map<String, List<RdbValue.ScoredMember>> saved = readZSets(dir.resolve("dump.rdb"));
      assertThat(saved).hasSize(n + 3);
      for (int i = 0; i < n; i += 97) {
        List<RdbValue.ScoredMember> z = saved.get("z" + i);
        assertThat(z).extracting(m -> new String(m.member(), StandardCharsets.ISO_8859_1))
            .containsExactlyInAnyOrder("a", "b");
        assertThat(z).extracting(RdbValue.ScoredMember::score).containsExactlyInAnyOrder(1.0, 2.0);
      }
      assertThat(saved.get("big")).hasSize(500);
      assertThat(saved.get("small")).hasSize(7);
      assertThat(saved.get("long")).hasSize(2);
      assertThat(c.call("ZCARD", "big")).isEqualTo(":400\r\n");
      assertThat(c.call("ZRANGE", "z7", "0", "-1", "WITHSCORES"))
          .isEqualTo("*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\na\r\n$1\r\n5\r\n");
    }
  }

  @Test
  void zscanOfASkiplistVisitsEveryMemberAndStopsAtCursorZero() {
    try (TestKiln kiln = start(); RespClient c = kiln.client()) {
      List<String[]> load = new ArrayList<>();
      for (int i = 0; i < 5000; i++) {
        load.add(new String[] {"ZADD", "s", Integer.toString(i), "m" + i});
      }
      pipeline(c, load);
      assertThat(c.call("OBJECT", "ENCODING", "s")).isEqualTo("$8\r\nskiplist\r\n");
      Set<String> seen = new HashSet<>();
      String cursor = "0";
      int calls = 0;
      do {
        String reply = c.call("ZSCAN", "s", cursor, "COUNT", "50");
        String[] lines = reply.split("\r\n");
        cursor = lines[2];
        // lines: *2, $n, cursor, *2k, then ($len, member, $len, score) pairs
        for (int i = 5; i + 2 < lines.length; i += 4) {
          String member = lines[i];
          String score = lines[i + 2];
          assertThat(member).isEqualTo("m" + score);
          seen.add(member);
        }
        calls++;
      } while (!cursor.equals("0"));
      assertThat(seen).hasSize(5000);
      assertThat(calls).isGreaterThan(10);
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  private static Map<String, List<RdbValue.ScoredMember>> readZSets(Path file) throws Exception {
    Map<String, List<RdbValue.ScoredMember>> out = new HashMap<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      new RdbReader(in).read(e -> out.put(new String(e.key(), StandardCharsets.ISO_8859_1),
          ((RdbValue.ZSetValue) e.value()).entries()));
    }
    return out;
  }

  private static void waitFor(BooleanSupplier condition) {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 20 s").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }
}
