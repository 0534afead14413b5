package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.keyspace.Notify;
import io.kiln.keyspace.Shard;
import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HyperLogLog behaviour the differential corpus cannot express: HLLs carried through dump.rdb
 * from Kiln into a real redis-server and back, the change counter (rdb_changes_since_last_save)
 * against Redis's, and the keyspace events raised. Test thread.
 */
class HyperLogLogCommandsTest {
  @TempDir
  Path dir;

  /** Keys: a small sparse HLL, a large dense one, a merge of both, an HLL with a fresh cache. */
  private static void fill(RespClient c) {
    c.call("PFADD", "small", "a", "b", "c", "\u00ff\u0000");
    List<String> args = new ArrayList<>(List.of("PFADD", "big"));
    for (int i = 0; i < 5000; i++) {
      args.add("element-" + i);
    }
    c.call(args.toArray(String[]::new));
    c.call("PFMERGE", "merged", "small", "big");
    c.call("PFADD", "counted", "x", "y");
    c.call("PFCOUNT", "counted");
  }

  private static List<String> observe(RespClient c) {
    List<String> out = new ArrayList<>();
    for (String k : List.of("small", "big", "merged", "counted")) {
      out.add(c.call("GET", k));
      out.add(c.call("PFCOUNT", k));
      out.add(c.call("PFDEBUG", "ENCODING", k));
    }
    out.add(c.call("PFCOUNT", "small", "big", "merged"));
    c.call("PFADD", "small", "d", "e");
    c.call("PFADD", "big", "one", "more");
    out.add(c.call("GET", "small"));
    out.add(c.call("GET", "big"));
    return out;
  }

  @Test
  void hllsWrittenByKilnLoadIntoRedisAndReadTheSame() throws Exception {
    List<String> kilnView;
    try (TestKiln kiln = TestKiln.start("dir", dir.toString(), "enable-debug-command", "yes");
        RespClient c = kiln.client()) {
      fill(c);
      assertThat(c.call("SAVE")).isEqualTo("+OK\r\n");
      kilnView = observe(c);
    }
    try (RealRedis redis = RealRedis.start("--dir", dir.toString());
        RespClient r = redis.client()) {
      assertThat(r.call("DBSIZE")).isEqualTo(":4\r\n");
      assertThat(observe(r)).isEqualTo(kilnView);
    }
  }

  @Test
  void hllsWrittenByRedisLoadIntoKilnAndReadTheSame() throws Exception {
    List<String> redisView;
    try (RealRedis redis = RealRedis.start("--dir", dir.toString());
        RespClient r = redis.client()) {
      fill(r);
      assertThat(r.call("SAVE")).isEqualTo("+OK\r\n");
      redisView = observe(r);
    }
    try (TestKiln kiln = TestKiln.start("dir", dir.toString(), "enable-debug-command", "yes");
        RespClient c = kiln.client()) {
      assertThat(c.call("DBSIZE")).isEqualTo(":4\r\n");
      assertThat(observe(c)).isEqualTo(redisView);
    }
  }

  private static String changes(RespClient c) {
    String info = c.call("INFO", "persistence") + c.call("INFO", "stats");
    StringBuilder out = new StringBuilder();
    for (String field : List.of("rdb_changes_since_last_save:", "keyspace_hits:",
        "keyspace_misses:")) {
      int at = info.indexOf(field);
      out.append(info, at, info.indexOf("\r\n", at)).append(' ');
    }
    return out.toString();
  }

  /**
   * Every PF command's effect on the change counter and the keyspace hit/miss counters, step by
   * step, as redis-server counts them.
   */
  @Test
  void changesAreCountedAsRedisCountsThem() throws Exception {
    String[][] steps = {
        {"PFADD", "h", "a", "b", "c"}, {"PFADD", "h", "a"}, {"PFADD", "h"}, {"PFADD", "e"},
        {"PFCOUNT", "h"}, {"PFCOUNT", "h"}, {"PFCOUNT", "h", "e"}, {"PFMERGE", "m", "h", "e"},
        {"PFMERGE", "m"}, {"PFDEBUG", "ENCODING", "m"}, {"PFDEBUG", "GETREG", "m"},
        {"PFDEBUG", "GETREG", "m"}, {"PFDEBUG", "TODENSE", "h"}, {"PFDEBUG", "TODENSE", "h"},
        {"PFADD", "h", "d", "e", "f", "g"}, {"SET", "s", "x"}, {"PFADD", "s", "a"},
        {"PFCOUNT", "nokey"}, {"PFMERGE", "n"}};
    List<String> expected = new ArrayList<>();
    try (RealRedis redis = RealRedis.start("--enable-debug-command", "yes");
        RespClient r = redis.client()) {
      for (String[] step : steps) {
        r.call(step);
        expected.add(String.join(" ", step) + " -> " + changes(r));
      }
    }
    List<String> actual = new ArrayList<>();
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes");
        RespClient c = kiln.client()) {
      for (String[] step : steps) {
        c.call(step);
        actual.add(String.join(" ", step) + " -> " + changes(c));
      }
    }
    assertThat(actual).isEqualTo(expected);
  }

  @Test
  void pfaddAnnouncesChangesAndPfmergeAnnouncesAPfadd() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      Queue<String> events = new ConcurrentLinkedQueue<>();
      CountDownLatch installed = new CountDownLatch(1);
      kiln.kiln().onEventLoop(() -> {
        Shard shard = kiln.kiln().shards().get(0).shard();
        shard.notifyFlags = Notify.KEYEVENT | Notify.STRING;
        shard.notifySink = (type, event, key, db) ->
            events.add((type == Notify.STRING ? "$ " : type + " ") + event + " " + new String(key));
        installed.countDown();
      });
      assertThat(installed.await(10, TimeUnit.SECONDS)).isTrue();
      c.call("PFADD", "h", "a", "b");
      c.call("PFADD", "h", "a");
      c.call("PFCOUNT", "h");
      c.call("PFMERGE", "m", "h");
      c.call("SET", "s", "x");
      c.call("PFADD", "s", "a");
      c.call("PFADD", "e");
      c.call("PING");
      // other families' events (SET's) are theirs to test
      assertThat(events.stream().filter(e -> e.contains("pf")))
          .containsExactly("$ pfadd h", "$ pfadd m", "$ pfadd e");
    }
  }

  /**
   * Random PFADD / PFMERGE / PFCOUNT / DEL and hll-sparse-max-bytes changes over a few keys: after
   * every step the reply and every key's bytes equal redis-server's (fixed seed, reproducible).
   */
  @Test
  void randomOperationsLeaveTheSameBytesAsRedis() throws Exception {
    try (RealRedis redis = RealRedis.start(); RespClient r = redis.client();
        TestKiln kiln = TestKiln.start(); RespClient k = kiln.client()) {
      Random rnd = new Random(20240607);
      String[] keys = {"a", "b", "c", "d"};
      int[] sparseMax = {0, 40, 100, 300, 1000, 3000, 20000};
      List<String> diffs = new ArrayList<>();
      for (int step = 0; step < 1500 && diffs.size() < 5; step++) {
        List<byte[]> cmd = new ArrayList<>();
        int op = rnd.nextInt(20);
        if (op < 12) {
          cmd.add(bytes("PFADD"));
          cmd.add(bytes(keys[rnd.nextInt(keys.length)]));
          int n = rnd.nextInt(op < 2 ? 400 : 30);
          for (int i = 0; i < n; i++) {
            byte[] e = new byte[rnd.nextInt(20)];
            rnd.nextBytes(e);
            cmd.add(e);
          }
        } else if (op < 18) {
          cmd.add(bytes(op < 15 ? "PFMERGE" : "PFCOUNT"));
          for (int i = 1 + rnd.nextInt(3); i > 0; i--) {
            cmd.add(bytes(keys[rnd.nextInt(keys.length)]));
          }
        } else if (op < 19) {
          for (String w : List.of("CONFIG", "SET", "hll-sparse-max-bytes",
              Integer.toString(sparseMax[rnd.nextInt(sparseMax.length)]))) {
            cmd.add(bytes(w));
          }
        } else {
          cmd.add(bytes("DEL"));
          cmd.add(bytes(keys[rnd.nextInt(keys.length)]));
        }
        String expected = r.call(cmd);
        if (!expected.equals(k.call(cmd))) {
          diffs.add("step " + step + ": reply to " + new String(cmd.get(0)));
        }
        for (String key : keys) {
          if (!r.call("GET", key).equals(k.call("GET", key))) {
            diffs.add("step " + step + ": value of " + key + " after " + new String(cmd.get(0)));
          }
        }
      }
      assertThat(diffs).isEmpty();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
