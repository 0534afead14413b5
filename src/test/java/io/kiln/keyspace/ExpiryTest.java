package io.kiln.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.SharedKiln;
import io.kiln.support.TestKiln;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * Expiry over time: the active cycle in {@link Shard} removes keys nobody touches, lookups
 * remove due keys lazily, and TTLs count down. Runs against a real Kiln from the test thread.
 */
class ExpiryTest {
  /** One server for the class (each start is costly); every test begins on an empty keyspace. */
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();

  @BeforeEach
  void flush() {
    try (Jedis j = jedis()) {
      j.flushAll();
    }
  }

  private static Jedis jedis() {
    return new Jedis("127.0.0.1", kiln.port());
  }

  /** Polls {@code condition} until it holds or {@code millis} pass. */
  private static boolean eventually(long millis, BooleanSupplier condition) {
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      LockSupport.parkNanos(5_000_000);
    }
    return condition.getAsBoolean();
  }

  /** Waits until the local clock (which the server shares) is past {@code epochMs}. */
  private static void clockPast(long epochMs) {
    assertThat(eventually(5_000, () -> System.currentTimeMillis() > epochMs)).isTrue();
  }

  @Test
  void activeExpiryRemovesUntouchedKeys() throws Exception {
    try (Jedis j = jedis()) {
      Pipeline p = j.pipelined();
      for (int i = 0; i < 1000; i++) {
        p.set("k" + i, "v");
        p.pexpire("k" + i, 50);
      }
      List<Object> replies = p.syncAndReturnAll();
      // Each PEXPIRE answered 1: the key existed when its TTL was set (it may already be gone).
      for (int i = 0; i < 1000; i++) {
        assertThat(replies.get(2 * i + 1)).isEqualTo(1L);
      }
      // Only DBSIZE from here on: it never expires keys itself, so only the cron can empty the db.
      assertThat(eventually(10_000, () -> j.dbSize() == 0))
          .as("active expiry emptied the database").isTrue();
    }
  }

  @Test
  void activeExpiryLeavesKeysWithoutTtlOrWithLongTtl() throws Exception {
    try (Jedis j = jedis()) {
      Pipeline p = j.pipelined();
      for (int i = 0; i < 200; i++) {
        p.set("short" + i, "v");
        p.pexpire("short" + i, 30);
        p.set("long" + i, "v");
        p.expire("long" + i, 1000);
        p.set("plain" + i, "v");
      }
      p.sync();
      // Random sampling stops a round once <= 10% of a sample is stale, so the last few short
      // keys among many long ones go slowly (about 5 s here): allow for a loaded machine.
      assertThat(eventually(30_000, () -> j.dbSize() == 400))
          .as("every short-lived key expired, dbsize %d", j.dbSize()).isTrue();
      assertThat(j.exists("long0", "plain0", "long199", "plain199")).isEqualTo(4);
    }
  }

  @Test
  void expireScanFindsFewDueKeysAmongManyWithinOneSweep() {
    // Db.expireScan (Redis 7's cursor walk over the TTL index) on its own, on the test thread:
    // 50 due keys hidden among 3000 live ones with a TTL are all gone after one sweep.
    Shard shard = new Shard(0, 1);
    Db db = shard.db(0);
    long future = System.currentTimeMillis() + 3_600_000;
    for (int i = 0; i < 3000; i++) {
      db.set(("live" + i).getBytes(), "v".getBytes(), future);
    }
    for (int i = 0; i < 50; i++) {
      db.set(("due" + i).getBytes(), "v".getBytes(), 1L);
    }
    long now = System.currentTimeMillis();
    long expired = 0;
    // 3050 entries in at most 8192 buckets: a round looks at >= 20 entries or 400 buckets.
    for (int round = 0; round < 3050 / 20 + 8192 / 400 + 2; round++) {
      long r = db.expireScan(Shard.EXPIRE_SAMPLES, now);
      expired += r >>> 32;
      assertThat((int) r).isPositive();
    }
    assertThat(expired).isEqualTo(50);
    assertThat(db.size()).isEqualTo(3000);
    assertThat(db.expiresSize()).isEqualTo(3000);
    assertThat(shard.stats.expiredKeys).isEqualTo(50);
  }

  @Test
  void lookupExpiresDueKeyLazily() throws Exception {
    // hz 1: the active cycle runs once a second, so a key that is due is normally still in the
    // table when the next command arrives; DBSIZE counts it without expiring it, GET removes it.
    // If the cycle happens to run in between, try again: one clean observation is the proof.
    try (TestKiln kiln = TestKiln.start("hz", "1");
        Jedis j = new Jedis("127.0.0.1", kiln.port())) {
      boolean sawLazy = false;
      for (int attempt = 0; attempt < 5 && !sawLazy; attempt++) {
        long at = System.currentTimeMillis() + 20;
        j.set("lazy", "v");
        assertThat(j.pexpireAt("lazy", at)).isEqualTo(1);
        clockPast(at + 2);
        if (j.dbSize() != 1) {
          continue;
        }
        assertThat(j.get("lazy")).isNull();
        assertThat(j.dbSize()).isZero();
        sawLazy = true;
      }
      assertThat(sawLazy).as("a due key was removed by the lookup itself").isTrue();
    }
  }

  @Test
  void pexpireatInThePastDeletesAtOnce() throws Exception {
    try (Jedis j = jedis()) {
      j.set("old", "v");
      assertThat(j.pexpireAt("old", System.currentTimeMillis() - 1000)).isEqualTo(1);
      assertThat(j.get("old")).isNull();
      assertThat(j.exists("old")).isFalse();
      assertThat(j.dbSize()).isZero();
    }
  }

  @Test
  void ttlCountsDown() throws Exception {
    try (Jedis j = jedis()) {
      j.set("t", "v");
      j.pexpire("t", 10_000);
      long first = j.pttl("t");
      assertThat(first).isBetween(9_000L, 10_000L);
      assertThat(eventually(5_000, () -> j.pttl("t") < first - 50)).isTrue();
      assertThat(j.ttl("t")).isBetween(9L, 10L);
    }
  }

  @Test
  void keyExpiresAtItsTime() throws Exception {
    try (Jedis j = jedis()) {
      j.set("soon", "v");
      j.pexpire("soon", 100);
      assertThat(j.exists("soon")).isTrue();
      assertThat(eventually(5_000, () -> !j.exists("soon"))).isTrue();
      assertThat(j.ttl("soon")).isEqualTo(-2);
    }
  }
}
