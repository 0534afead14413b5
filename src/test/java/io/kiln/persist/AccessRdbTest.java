package io.kiln.persist;

import static io.kiln.persist.LoadSupport.config;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RealRedis;
import io.kiln.support.TestKiln;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.RestoreParams;

/**
 * What an *-lru or *-lfu maxmemory-policy keeps of a key's accesses goes through an RDB file as
 * Redis's does: the file holds each key's idle seconds (IDLE) under an LRU policy and its LFU
 * counter (FREQ) under an LFU one, and the loader restores the one that matches the policy in
 * force. Real redis-server 7.0 writes and reads the other side. LFU decay is off in every server
 * (lfu-decay-time 0), so that a minute turning over does not change a counter under the test.
 */
class AccessRdbTest {
  private static final String[] LFU = {"--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor",
      "0", "--lfu-decay-time", "0"};

  @TempDir
  Path dir;

  @Test
  void lfuCountersRedisSavedAreTheCountersAfterLoading() throws Exception {
    Path redisDir = Files.createDirectories(dir.resolve("redis"));
    Map<String, Long> redisFreqs;
    try (RealRedis redis = RealRedis.start(with(LFU, "--dir", redisDir.toString()));
        Jedis r = new Jedis("127.0.0.1", redis.port())) {
      redisFreqs = touchAndRead(r);
      r.save();
    }
    Files.copy(redisDir.resolve("dump.rdb"), dir.resolve("dump.rdb"));
    try (TestKiln kiln = TestKiln.start(config(dir, kilnDirectives(LFU)));
        Jedis k = new Jedis("127.0.0.1", kiln.port())) {
      assertThat(freqs(k)).isEqualTo(redisFreqs);
    }
  }

  @Test
  void lfuCountersKilnSavesAreReadByRedisAndByKiln() throws Exception {
    Map<String, Long> kilnFreqs;
    try (TestKiln kiln = TestKiln.start(config(dir, kilnDirectives(LFU)));
        Jedis k = new Jedis("127.0.0.1", kiln.port())) {
      kilnFreqs = touchAndRead(k);
      k.save();
    }
    try (TestKiln kiln = TestKiln.start(config(dir, kilnDirectives(LFU)));
        Jedis k = new Jedis("127.0.0.1", kiln.port())) {
      assertThat(freqs(k)).as("Kiln after a restart").isEqualTo(kilnFreqs);
    }
    Path redisDir = Files.createDirectories(dir.resolve("redis"));
    Files.copy(dir.resolve("dump.rdb"), redisDir.resolve("dump.rdb"),
        StandardCopyOption.REPLACE_EXISTING);
    try (RealRedis redis = RealRedis.start(with(LFU, "--dir", redisDir.toString()));
        Jedis r = new Jedis("127.0.0.1", redis.port())) {
      assertThat(freqs(r)).as("redis-server 7.0 loading Kiln's file").isEqualTo(kilnFreqs);
    }
  }

  @Test
  void idleTimesKilnSavesUnderAnLruPolicyAreReadByRedisAndByKiln() throws Exception {
    String[] lru = {"--maxmemory-policy", "allkeys-lru"};
    saveAnOldKey(kilnDirectives(lru));
    try (TestKiln kiln = TestKiln.start(config(dir, kilnDirectives(lru)));
        Jedis k = new Jedis("127.0.0.1", kiln.port())) {
      assertThat(k.objectIdletime("old")).as("Kiln after a restart").isBetween(100_000L, 100_100L);
      assertThat(k.objectIdletime("model")).isLessThan(100L);
    }
    Path redisDir = Files.createDirectories(dir.resolve("redis"));
    Files.copy(dir.resolve("dump.rdb"), redisDir.resolve("dump.rdb"));
    try (RealRedis redis = RealRedis.start(with(lru, "--dir", redisDir.toString()));
        Jedis r = new Jedis("127.0.0.1", redis.port())) {
      assertThat(r.objectIdletime("old")).as("redis-server 7.0 loading Kiln's file")
          .isBetween(100_000L, 100_100L);
      r.restore("older".getBytes(StandardCharsets.UTF_8), 0, r.dump("model"),
          RestoreParams.restoreParams().idleTime(200_000));
      r.save();
    }
    Files.copy(redisDir.resolve("dump.rdb"), dir.resolve("dump.rdb"),
        StandardCopyOption.REPLACE_EXISTING);
    try (TestKiln kiln = TestKiln.start(config(dir, kilnDirectives(lru)));
        Jedis k = new Jedis("127.0.0.1", kiln.port())) {
      assertThat(k.objectIdletime("older")).as("Kiln loading redis-server's IDLE")
          .isBetween(200_000L, 200_100L);
    }
    try (TestKiln kiln = TestKiln.start(config(dir, kilnDirectives(LFU)));
        Jedis k = new Jedis("127.0.0.1", kiln.port())) {
      assertThat(k.objectFreq("older")).as("IDLE under an LFU policy: a new key's counter")
          .isEqualTo(5);
    }
  }

  @Test
  void withoutAnLruOrLfuPolicyTheFileKeepsNoAccesses() throws Exception {
    saveAnOldKey();
    try (TestKiln kiln = TestKiln.start(config(dir));
        Jedis k = new Jedis("127.0.0.1", kiln.port())) {
      assertThat(k.objectIdletime("old")).as("as Redis: a fresh access time").isLessThan(100L);
    }
  }

  /** Kiln with {@code directives}: "model" just set, "old" restored idle for 100,000 s; SAVE. */
  private void saveAnOldKey(String... directives) throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, directives));
        Jedis k = new Jedis("127.0.0.1", kiln.port())) {
      k.set("model", "v");
      k.restore("old".getBytes(StandardCharsets.UTF_8), 0, k.dump("model"),
          RestoreParams.restoreParams().idleTime(100_000));
      assertThat(k.objectIdletime("old")).isGreaterThanOrEqualTo(100_000);
      k.save();
    }
  }

  /** "hot" read 100 times, "warm" 10, "cold" never; their OBJECT FREQ. */
  private static Map<String, Long> touchAndRead(Jedis j) {
    for (String key : new String[] {"hot", "warm", "cold"}) {
      j.set(key, "v");
    }
    for (int i = 0; i < 100; i++) {
      j.get("hot");
      if (i < 10) {
        j.get("warm");
      }
    }
    Map<String, Long> f = freqs(j);
    assertThat(f.get("hot")).isGreaterThan(f.get("warm"));
    assertThat(f.get("warm")).isGreaterThan(f.get("cold"));
    return f;
  }

  private static Map<String, Long> freqs(Jedis j) {
    return Map.of("hot", j.objectFreq("hot"), "warm", j.objectFreq("warm"), "cold",
        j.objectFreq("cold"));
  }

  private static String[] with(String[] a, String... more) {
    String[] out = java.util.Arrays.copyOf(a, a.length + more.length);
    System.arraycopy(more, 0, out, a.length, more.length);
    return out;
  }

  /** Directives as {@link LoadSupport#config} takes them: names without the dashes. */
  private static String[] kilnDirectives(String[] flags) {
    String[] out = flags.clone();
    for (int i = 0; i < out.length; i += 2) {
      out[i] = out[i].substring(2);
    }
    return out;
  }
}
