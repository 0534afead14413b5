package io.kiln.command;

import static io.kiln.command.HashCommandsTest.strings;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Set behaviour the differential corpus cannot express: random picks and pops, full SSCAN
 * iterations of the hashtable encoding, WATCH on SMOVE, and the RDB round trip through SAVE into
 * Kiln and into a real redis-server.
 */
class SetCommandsTest {
  @TempDir
  Path dir;

  private TestKiln start(String... more) {
    List<String> d = new ArrayList<>(List.of("dir", dir.toString()));
    d.addAll(List.of(more));
    return TestKiln.start(d.toArray(String[]::new));
  }

  @Test
  void sscanOfAHashtableVisitsEveryMemberInSeveralCalls() throws Exception {
    try (TestKiln kiln = start(); RespClient c = kiln.client()) {
      for (int i = 0; i < 2000; i++) {
        c.call("SADD", "s", "m" + i);
      }
      Set<String> seen = new HashSet<>();
      String cursor = "0";
      int calls = 0;
      do {
        List<String> reply = strings(c.call("SSCAN", "s", cursor, "COUNT", "50"));
        cursor = reply.get(0);
        seen.addAll(reply.subList(1, reply.size()));
        calls++;
      } while (!cursor.equals("0"));
      assertThat(calls).isGreaterThan(10);
      assertThat(seen).hasSize(2000);
    }
  }

  @Test
  void spopWithACountRemovesExactlyTheMembersItReturns() throws Exception {
    try (TestKiln kiln = start(); RespClient c = kiln.client()) {
      for (String key : List.of("ints", "strs")) {
        Set<String> all = new TreeSet<>();
        for (int i = 0; i < 100; i++) {
          String m = key.equals("ints") ? Integer.toString(i) : "m" + i;
          all.add(m);
          c.call("SADD", key, m);
        }
        List<String> popped = strings(c.call("SPOP", key, "30"));
        assertThat(popped).hasSize(30).doesNotHaveDuplicates();
        assertThat(all).containsAll(popped);
        Set<String> left = new HashSet<>(strings(c.call("SMEMBERS", key)));
        assertThat(left).hasSize(70).doesNotContainAnyElementsOf(popped);
        String one = strings(c.call("SPOP", key)).get(0);
        assertThat(left).contains(one);
        assertThat(c.call("SISMEMBER", key, one)).isEqualTo(":0\r\n");
      }
    }
  }

  @Test
  void srandmemberPicksDistinctMembersForAPositiveCountAndRepeatsForANegativeOne()
      throws Exception {
    try (TestKiln kiln = start(); RespClient c = kiln.client()) {
      for (String key : List.of("ints", "strs")) {
        for (int i = 0; i < 50; i++) {
          c.call("SADD", key, key.equals("ints") ? Integer.toString(i) : "m" + i);
        }
        Set<String> everSeen = new HashSet<>();
        for (int round = 0; round < 100; round++) {
          List<String> picks = strings(c.call("SRANDMEMBER", key, "5"));
          assertThat(picks).hasSize(5).doesNotHaveDuplicates();
          everSeen.addAll(picks);
        }
        assertThat(everSeen.size()).isGreaterThan(25);
        List<String> many = strings(c.call("SRANDMEMBER", key, "-500"));
        assertThat(many).hasSize(500);
        assertThat(new HashSet<>(many).size()).isLessThanOrEqualTo(50);
        assertThat(c.call("SCARD", key)).isEqualTo(":50\r\n");
      }
    }
  }

  @Test
  void smoveFiresWatchOnBothKeys() throws Exception {
    try (TestKiln kiln = start(); RespClient c = kiln.client(); RespClient other = kiln.client()) {
      for (String watched : List.of("src", "dst")) {
        c.call("DEL", "src", "dst");
        c.call("SADD", "src", "a", "b");
        c.call("WATCH", watched);
        other.call("SMOVE", "src", "dst", "a");
        c.call("MULTI");
        c.call("PING");
        assertThat(c.call("EXEC")).as(watched).isEqualTo("*-1\r\n");
      }
      c.call("WATCH", "src");
      other.call("SMOVE", "src", "dst", "nope");
      c.call("MULTI");
      c.call("PING");
      assertThat(c.call("EXEC")).isEqualTo("*1\r\n+PONG\r\n");
    }
  }

  static void fill(RespClient c) {
    c.call("SADD", "ints", "5", "-3", "70000", "9223372036854775807", "0");
    c.call("SADD", "strs", "a", "b\u0000\u00ff", "1");
    for (int i = 0; i < 600; i++) {
      c.call("SADD", "manyints", Integer.toString(i * 3));
    }
  }

  static void check(RespClient c) {
    assertThat(c.call("OBJECT", "ENCODING", "ints")).contains("intset");
    assertThat(strings(c.call("SMEMBERS", "ints")))
        .containsExactly("-3", "0", "5", "70000", "9223372036854775807");
    assertThat(c.call("OBJECT", "ENCODING", "strs")).contains("hashtable");
    assertThat(new TreeSet<>(strings(c.call("SMEMBERS", "strs"))))
        .containsExactly("1", "a", "b\u0000\u00ff");
    assertThat(c.call("OBJECT", "ENCODING", "manyints")).contains("hashtable");
    Set<String> many = new HashSet<>(strings(c.call("SMEMBERS", "manyints")));
    assertThat(many).hasSize(600).contains("0", "1797");
  }

  @Test
  void setsSurviveSaveAndReloadInKilnAndLoadIntoRealRedis() throws Exception {
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
