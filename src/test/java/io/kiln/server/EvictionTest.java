package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.support.TestKiln;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.params.RestoreParams;

/**
 * maxmemory's policies on a real Kiln through Jedis: which keys each policy evicts, what it
 * refuses, how used_memory follows the data, and that an eviction is a DEL for the AOF and an
 * "evicted" keyspace event. The keys meant to be evicted first are made old (RESTORE IDLETIME),
 * rare (RESTORE FREQ) or soon to expire, since the LRU clock counts whole seconds. Runs on the
 * test thread; conditions are awaited with deadlines.
 */
class EvictionTest {
  private static final String VALUE = "x".repeat(100);

  private static long info(Jedis j, String section, String field) {
    for (String line : j.info(section).split("\r\n")) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1));
      }
    }
    throw new AssertionError("no " + field + " in INFO " + section);
  }

  private static void fill(Jedis j, String prefix, int n) {
    Pipeline p = j.pipelined();
    for (int i = 0; i < n; i++) {
      p.set(prefix + i, VALUE);
    }
    p.sync();
  }

  /** Restores {@code n} copies of a 100-byte string as prefix0.. with the given params. */
  private static void restore(Jedis j, String prefix, int n, RestoreParams params) {
    j.set("model", VALUE);
    byte[] payload = j.dump("model");
    j.del("model");
    Pipeline p = j.pipelined();
    for (int i = 0; i < n; i++) {
      p.restore((prefix + i).getBytes(StandardCharsets.UTF_8), 0, payload, params);
    }
    p.sync();
  }

  private static int surviving(Jedis j, String prefix, int n) {
    int alive = 0;
    for (int i = 0; i < n; i++) {
      alive += j.exists(prefix + i) ? 1 : 0;
    }
    return alive;
  }

  /** Sets maxmemory to what is used now plus {@code headroom} bytes. */
  private static long capAt(Jedis j, long headroom) {
    long limit = info(j, "memory", "used_memory") + headroom;
    j.configSet("maxmemory", Long.toString(limit));
    return limit;
  }

  @Test
  void usedMemoryFollowsWritesAndDeletes() throws Exception {
    try (TestKiln kiln = TestKiln.start(); Jedis j = new Jedis("127.0.0.1", kiln.port())) {
      long empty = info(j, "memory", "used_memory");
      fill(j, "k", 1000);
      for (int i = 0; i < 500; i++) {
        j.hset("h", "field" + i, VALUE);
      }
      long full = info(j, "memory", "used_memory");
      long usage = j.memoryUsage("k1") * 1000 + j.memoryUsage("h", 0);
      // the keys' own cost plus their table's buckets
      assertThat(full - empty).isBetween(usage, usage + 40_000);
      assertThat(info(j, "memory", "used_memory_dataset"))
          .isLessThan(info(j, "memory", "used_memory") - info(j, "memory", "used_memory_overhead") + 1);
      for (int i = 0; i < 500; i++) {
        j.hdel("h", "field" + i);
      }
      assertThat(j.exists("h")).isFalse();
      j.flushAll();
      assertThat(info(j, "memory", "used_memory_dataset")).isZero();
      // what is left is the server and this connection (counted at each cron)
      assertThat(info(j, "memory", "used_memory")).isBetween(empty - 4000, empty + 4000);
    }
  }

  @Test
  void allkeysLruEvictsTheLongestIdleFirst() throws Exception {
    try (TestKiln kiln = TestKiln.start("maxmemory-policy", "allkeys-lru");
        Jedis j = new Jedis("127.0.0.1", kiln.port())) {
      restore(j, "old", 1000, RestoreParams.restoreParams().idleTime(100_000));
      fill(j, "recent", 1000);
      long limit = capAt(j, 0);
      fill(j, "new", 500);
      assertThat(info(j, "memory", "used_memory")).isLessThanOrEqualTo(limit);
      assertThat(info(j, "stats", "evicted_keys")).isGreaterThanOrEqualTo(500);
      // the pool picks the longest idle of its samples: the old keys go long before the rest
      assertThat(surviving(j, "recent", 1000)).isGreaterThan(900);
      assertThat(surviving(j, "old", 1000)).isLessThan(600);
    }
  }

  @Test
  void allkeysLfuEvictsTheLeastFrequentlyUsedFirst() throws Exception {
    try (TestKiln kiln = TestKiln.start("maxmemory-policy", "allkeys-lfu");
        Jedis j = new Jedis("127.0.0.1", kiln.port())) {
      restore(j, "rare", 1000, RestoreParams.restoreParams().frequency(1));
      restore(j, "hot", 1000, RestoreParams.restoreParams().frequency(200));
      assertThat(j.objectFreq("hot1")).isEqualTo(200);
      long limit = capAt(j, 0);
      fill(j, "new", 500); // new keys start at 5: above the rare ones
      assertThat(info(j, "memory", "used_memory")).isLessThanOrEqualTo(limit);
      // as in Redis, the first eviction finds an empty pool: when its 5 samples are all hot
      // (about 3% of runs) one hot key goes; after that the pool holds colder candidates
      assertThat(surviving(j, "hot", 1000)).isGreaterThanOrEqualTo(995);
      assertThat(surviving(j, "rare", 1000)).isLessThan(600);
    }
  }

  @Test
  void volatileTtlEvictsTheSoonestToExpireAndNeverAKeyWithoutTtl() throws Exception {
    try (TestKiln kiln = TestKiln.start("maxmemory-policy", "volatile-ttl");
        Jedis j = new Jedis("127.0.0.1", kiln.port())) {
      fill(j, "persistent", 500);
      fill(j, "soon", 300);
      fill(j, "late", 300);
      for (int i = 0; i < 300; i++) {
        j.expire("soon" + i, 1000);
        j.expire("late" + i, 100_000);
      }
      capAt(j, 0);
      fill(j, "new", 250);
      assertThat(surviving(j, "persistent", 500)).isEqualTo(500);
      // sampling is approximate, as in Redis: a late key may go now and then, soon ones go first
      int soonEvicted = 300 - surviving(j, "soon", 300);
      int lateEvicted = 300 - surviving(j, "late", 300);
      assertThat(soonEvicted).isGreaterThan(150);
      assertThat(lateEvicted * 10).as("late keys evicted: %d", lateEvicted).isLessThan(soonEvicted);
      // once no key with a TTL is left, writes are refused as under noeviction
      assertThatThrownBy(() -> {
        for (int i = 0; i < 2000; i++) {
          j.set("more" + i, VALUE);
        }
      })
          .hasMessageContaining("OOM command not allowed when used memory > 'maxmemory'.");
      assertThat(surviving(j, "persistent", 500)).isEqualTo(500);
      assertThat(j.get("persistent1")).isEqualTo(VALUE); // reads still work
      assertThat(j.del("persistent1")).isEqualTo(1); // and DEL is not a denyoom command
    }
  }

  @Test
  void configSetMaxmemoryEvictsAtOnceWithoutAnotherCommand() throws Exception {
    try (TestKiln kiln = TestKiln.start("maxmemory-policy", "allkeys-lru",
            "notify-keyspace-events", "Ee");
        Jedis j = new Jedis("127.0.0.1", kiln.port());
        io.kiln.support.RespClient sub = new io.kiln.support.RespClient("127.0.0.1", kiln.port())) {
      j.set("foo", "bar");
      assertThat(sub.call("SUBSCRIBE", "__keyevent@0__:evicted")).contains("subscribe");
      j.configSet("maxmemory", "1");
      // no command follows the CONFIG SET: the key goes with it, as in Redis
      assertThat(sub.readReply()).contains("__keyevent@0__:evicted").contains("foo");
      j.configSet("maxmemory", "0");
    }
  }

  @Test
  void maxmemoryClientsClosesTheCostliestConnectionUnlessNoEvict() throws Exception {
    try (TestKiln kiln = TestKiln.start("maxmemory-clients", "1mb");
        io.kiln.support.RespClient admin = kiln.client();
        io.kiln.support.RespClient kept = kiln.client();
        io.kiln.support.RespClient big = kiln.client()) {
      assertThat(admin.call("CLIENT", "NO-EVICT", "on")).isEqualTo("+OK\r\n");
      assertThat(kept.call("CLIENT", "NO-EVICT", "on")).isEqualTo("+OK\r\n");
      assertThat(kept.call("CLIENT", "INFO")).contains(" flags=e ");
      // a command still arriving: 1.5 MB of a 4 MB value sit in each query buffer
      String head = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4000000\r\n";
      String part = "x".repeat(1_500_000);
      kept.sendRaw(head + part);
      try {
        big.sendRaw(head + part);
      } catch (java.io.UncheckedIOException closedMidSend) {
        // the server may evict it while the 1.5 MB are still on their way: that is the eviction
      }
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!admin.call("INFO", "stats").contains("\r\nevicted_clients:1\r\n")) {
        assertThat(System.nanoTime()).as("evicted_clients:1 in time").isLessThan(deadline);
        Thread.onSpinWait();
      }
      assertThat(big.closedByServer()).isTrue();
      kept.sendRaw("x".repeat(2_500_000) + "\r\n"); // the NO-EVICT one finishes its command
      assertThat(kept.readReply()).isEqualTo("+OK\r\n");
      assertThat(admin.call("STRLEN", "k")).isEqualTo(":4000000\r\n");
      assertThat(admin.call("INFO", "stats")).contains("\r\nevicted_clients:1\r\n");
    }
  }

  @Test
  void noevictionRefusesDenyoomCommandsOnly() throws Exception {
    try (TestKiln kiln = TestKiln.start(); Jedis j = new Jedis("127.0.0.1", kiln.port())) {
      fill(j, "k", 100);
      capAt(j, -1000);
      assertThatThrownBy(() -> j.set("k1", "y"))
          .hasMessage("OOM command not allowed when used memory > 'maxmemory'.");
      assertThat(j.get("k1")).isEqualTo(VALUE);
      assertThat(j.del("k1", "k2", "k3")).isEqualTo(3);
      assertThat(info(j, "stats", "evicted_keys")).isZero();
      j.configSet("maxmemory", "0");
      assertThat(j.set("k1", "y")).isEqualTo("OK");
    }
  }

  @Test
  void anEvictionIsADelInTheAofAndAnEvictedEvent() throws Exception {
    Path dir = Files.createTempDirectory("kiln-evict");
    List<String> events = new CopyOnWriteArrayList<>();
    try (TestKiln kiln = TestKiln.start("dir", dir.toString(), "appendonly", "yes",
            "appendfsync", "always", "maxmemory-policy", "allkeys-random",
            "notify-keyspace-events", "Ee");
        Jedis j = new Jedis("127.0.0.1", kiln.port());
        Jedis sub = new Jedis("127.0.0.1", kiln.port())) {
      JedisPubSub listener = new JedisPubSub() {
        @Override
        public void onMessage(String channel, String message) {
          events.add(message);
        }
      };
      Thread t = new Thread(() -> sub.subscribe(listener, "__keyevent@0__:evicted"));
      t.start();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (j.pubsubNumSub("__keyevent@0__:evicted").get("__keyevent@0__:evicted") == 0) {
        assertThat(System.nanoTime()).as("subscriber ready").isLessThan(deadline);
        Thread.onSpinWait();
      }
      fill(j, "k", 300);
      capAt(j, 0);
      fill(j, "n", 100);
      long evicted = info(j, "stats", "evicted_keys");
      assertThat(evicted).isGreaterThan(50);
      while (events.size() < evicted) {
        assertThat(System.nanoTime()).as("evicted events").isLessThan(deadline);
        Thread.onSpinWait();
      }
      listener.unsubscribe();
      t.join(10_000);
      String aof;
      try (var files = Files.list(dir)) {
        Path file = files.filter(p -> p.getFileName().toString().startsWith("appendonly"))
            .findFirst().orElseThrow();
        aof = Files.readString(file, StandardCharsets.ISO_8859_1);
      }
      for (String key : new ArrayList<>(events).subList(0, 10)) {
        assertThat(j.exists(key)).isFalse();
        assertThat(aof).contains("$3\r\nDEL\r\n$" + key.length() + "\r\n" + key + "\r\n");
      }
    }
  }

  @Test
  void aLowTenacityEvictsInStepsWithoutRefusingWrites() throws Exception {
    try (TestKiln kiln = TestKiln.start("maxmemory-policy", "allkeys-random",
            "maxmemory-eviction-tenacity", "0");
        Jedis j = new Jedis("127.0.0.1", kiln.port())) {
      fill(j, "k", 20_000);
      long used = info(j, "memory", "used_memory");
      long limit = capAt(j, -(used - 1_000_000) / 2); // half of the data must go
      // the first command evicts 16 keys, then the rest goes on between commands
      assertThat(j.set("first", "write")).isEqualTo("OK");
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (info(j, "memory", "used_memory") > limit) {
        assertThat(System.nanoTime()).as("memory back under maxmemory").isLessThan(deadline);
      }
      assertThat(info(j, "stats", "evicted_keys")).isGreaterThan(5_000);
      assertThat(j.dbSize()).isLessThan(15_000);
    }
  }
}
