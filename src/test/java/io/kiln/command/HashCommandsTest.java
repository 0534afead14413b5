package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hash behaviour the differential corpus cannot express: random picks, full HSCAN iterations of
 * the hashtable encoding, WATCH, change counting, and the RDB round trip through SAVE into Kiln
 * and into a real redis-server.
 */
class HashCommandsTest {
  @TempDir
  Path dir;

  /** The bulk strings of a flat array/set/map reply, in order. */
  static List<String> strings(String raw) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < raw.length()) {
      int eol = raw.indexOf("\r\n", i);
      String line = raw.substring(i, eol);
      i = eol + 2;
      if (line.charAt(0) == '$') {
        int n = Integer.parseInt(line.substring(1));
        if (n >= 0) {
          out.add(raw.substring(i, i + n));
          i += n + 2;
        }
      }
    }
    return out;
  }

  static Map<String, String> pairs(List<String> flat) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      m.put(flat.get(i), flat.get(i + 1));
    }
    return m;
  }

  private TestKiln start(String... more) {
    List<String> d = new ArrayList<>(List.of("dir", dir.toString()));
    d.addAll(List.of(more));
    return TestKiln.start(d.toArray(String[]::new));
  }

  @Test
  void hscanOfAHashtableVisitsEveryFieldInSeveralCalls() throws Exception {
    try (TestKiln kiln = start(); RespClient c = kiln.client()) {
      for (int i = 0; i < 2000; i++) {
        c.call("HSET", "h", "f" + i, "v" + i);
      }
      assertThat(c.call("OBJECT", "ENCODING", "h")).contains("hashtable");
      Map<String, String> seen = new HashMap<>();
      String cursor = "0";
      int calls = 0;
      do {
        List<String> reply = strings(c.call("HSCAN", "h", cursor, "COUNT", "50"));
        cursor = reply.get(0);
        seen.putAll(pairs(reply.subList(1, reply.size())));
        calls++;
      } while (!cursor.equals("0"));
      assertThat(calls).isGreaterThan(10);
      assertThat(seen).hasSize(2000);
      for (int i = 0; i < 2000; i++) {
        assertThat(seen.get("f" + i)).isEqualTo("v" + i);
      }
    }
  }

  @Test
  void hrandfieldPicksDistinctFieldsForAPositiveCountAndRepeatsForANegativeOne() throws Exception {
    try (TestKiln kiln = start(); RespClient c = kiln.client()) {
      for (String enc : List.of("small", "big")) {
        int n = enc.equals("small") ? 20 : 300;
        for (int i = 0; i < n; i++) {
          c.call("HSET", enc, "f" + i, "v" + i);
        }
        Set<String> everSeen = new HashSet<>();
        for (int round = 0; round < 200; round++) {
          List<String> picks = strings(c.call("HRANDFIELD", enc, "5", "WITHVALUES"));
          Map<String, String> m = pairs(picks);
          assertThat(m).as("distinct").hasSize(5);
          m.forEach((f, v) -> assertThat(v).isEqualTo("v" + f.substring(1)));
          everSeen.addAll(m.keySet());
        }
        assertThat(everSeen.size()).as(enc + " coverage").isGreaterThan(n / 2);
        List<String> many = strings(c.call("HRANDFIELD", enc, "-1000"));
        assertThat(many).hasSize(1000);
        assertThat(new HashSet<>(many).size()).isLessThanOrEqualTo(n);
        assertThat(many).allMatch(f -> Integer.parseInt(f.substring(1)) < n);
      }
    }
  }

  @Test
  void writesFireWatchButAnHsetnxOnAnExistingFieldDoesNot() throws Exception {
    try (TestKiln kiln = start(); RespClient c = kiln.client(); RespClient other = kiln.client()) {
      c.call("HSET", "h", "a", "1");
      c.call("WATCH", "h");
      other.call("HSETNX", "h", "a", "2");
      c.call("MULTI");
      c.call("HGET", "h", "a");
      assertThat(c.call("EXEC")).isEqualTo("*1\r\n$1\r\n1\r\n");
      c.call("WATCH", "h");
      other.call("HINCRBY", "h", "a", "5");
      c.call("MULTI");
      c.call("HGET", "h", "a");
      assertThat(c.call("EXEC")).isEqualTo("*-1\r\n");
      c.call("WATCH", "h");
      other.call("HDEL", "h", "a");
      c.call("MULTI");
      c.call("EXISTS", "h");
      assertThat(c.call("EXEC")).isEqualTo("*-1\r\n");
    }
  }

  @Test
  void changesAreCountedPerFieldAsRedisDoes() throws Exception {
    try (TestKiln kiln = start(); RespClient c = kiln.client()) {
      long before = changes(c);
      c.call("HSET", "h", "a", "1", "b", "2", "a", "3");
      assertThat(changes(c) - before).isEqualTo(3);
      c.call("HDEL", "h", "a", "b", "zz");
      assertThat(changes(c) - before).isEqualTo(5);
    }
  }

  static long changes(RespClient c) {
    for (String line : c.call("INFO", "persistence").split("\r\n")) {
      if (line.startsWith("rdb_changes_since_last_save:")) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1));
      }
    }
    throw new AssertionError("no rdb_changes_since_last_save");
  }

  /** Fills both encodings, with binary content and a TTL. */
  static void fill(RespClient c) {
    c.call("HSET", "small", "a", "1", "b", "two", "bin\u0000\u00ff", "\u0000");
    for (int i = 0; i < 1000; i++) {
      c.call("HSET", "big", "field:" + i, Integer.toString(i * 31));
    }
    c.call("HSET", "longval", "f", "x".repeat(100));
    c.call("HSET", "ttl", "f", "v");
    c.call("PEXPIRE", "ttl", "3600000");
  }

  static void check(RespClient c) {
    assertThat(c.call("OBJECT", "ENCODING", "small")).contains("listpack");
    assertThat(strings(c.call("HGETALL", "small")))
        .containsExactly("a", "1", "b", "two", "bin\u0000\u00ff", "\u0000");
    assertThat(c.call("OBJECT", "ENCODING", "big")).contains("hashtable");
    Map<String, String> big = pairs(strings(c.call("HGETALL", "big")));
    assertThat(big).hasSize(1000);
    for (int i = 0; i < 1000; i++) {
      assertThat(big.get("field:" + i)).isEqualTo(Integer.toString(i * 31));
    }
    assertThat(c.call("OBJECT", "ENCODING", "longval")).contains("hashtable");
    assertThat(c.call("HSTRLEN", "longval", "f")).isEqualTo(":100\r\n");
    assertThat(c.call("PTTL", "ttl")).startsWith(":").isNotEqualTo(":-1\r\n");
  }

  @Test
  void hashesSurviveSaveAndReloadInKilnAndLoadIntoRealRedis() throws Exception {
    try (TestKiln kiln = start(); RespClient c = kiln.client()) {
      fill(c);
      check(c);
      assertThat(c.call("SAVE")).isEqualTo("+OK\r\n");
    }
    try (TestKiln kiln = start(); RespClient c = kiln.client()) {
      check(c);
    }
    try (RealRedis redis = RealRedis.start("--dir", dir.toString());
        RespClient r = redis.client()) {
      check(r);
    }
  }
}
