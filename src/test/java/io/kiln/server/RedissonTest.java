package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RealRedis;
import io.kiln.support.SharedKiln;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RMap;
import org.redisson.api.RRateLimiter;
import org.redisson.api.RSemaphore;
import org.redisson.api.RateType;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;
import org.redisson.config.Protocol;

/**
 * Redisson 4, unchanged, against a real Server and, where it is installed, a real redis-server 7.0:
 * its locks, maps, rate limiters and semaphores are Lua scripts (SCRIPT LOAD, EVALSHA, EVAL on
 * NOSCRIPT) plus pub/sub for wake-ups, so each scenario's transcript must be the expected one on
 * both servers. Kiln is
 * reached in RESP2 (Redisson's default) and RESP3. Test thread, plus a second thread where a
 * scenario needs one to wait.
 */
class RedissonTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();
  private static RealRedis realRedis;
  private static RedissonClient onKiln;
  private static RedissonClient onKilnResp3;
  private static RedissonClient onRedis;
  /** The scenarios' second threads (the lock's owner, the semaphore's waiter). */
  private static final ExecutorService threads = Executors.newCachedThreadPool();

  @BeforeAll
  static void start() {
    onKiln = client(kiln.port(), Protocol.RESP2);
    onKilnResp3 = client(kiln.port(), Protocol.RESP3);
    if (RealRedis.installed()) {
      realRedis = RealRedis.start();
      onRedis = client(realRedis.port(), Protocol.RESP2);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (RedissonClient c : new RedissonClient[] {onKiln, onKilnResp3, onRedis}) {
      if (c != null) {
        c.shutdown(0, 5, TimeUnit.SECONDS);
      }
    }
    if (realRedis != null) {
      realRedis.close();
    }
    threads.shutdownNow();
  }

  private static RedissonClient client(int port, Protocol protocol) {
    Config config = new Config();
    config.setProtocol(protocol);
    config.setNettyThreads(2);
    config.setThreads(2);
    config.useSingleServer().setAddress("redis://127.0.0.1:" + port)
        .setConnectionMinimumIdleSize(2).setConnectionPoolSize(4)
        .setSubscriptionConnectionMinimumIdleSize(1).setSubscriptionConnectionPoolSize(2)
        .setTimeout(5_000).setRetryAttempts(0);
    return Redisson.create(config);
  }

  /** Runs {@code scenario} on Kiln (RESP2 and RESP3) and Redis: the same transcript. */
  private static void sameOnEveryServer(String name, Scenario scenario, List<String> expected)
      throws Exception {
    assertThat(scenario.run(onKiln, name + ":resp2")).as("Kiln, RESP2").isEqualTo(expected);
    assertThat(scenario.run(onKilnResp3, name + ":resp3")).as("Kiln, RESP3").isEqualTo(expected);
    if (onRedis != null) {
      assertThat(scenario.run(onRedis, name + ":resp2")).as("redis-server").isEqualTo(expected);
    }
  }

  interface Scenario {
    List<String> run(RedissonClient redisson, String name) throws Exception;
  }

  /**
   * RLock from two threads: while the first holds it, tryLock with a timeout fails and lock()
   * waits; the unlock wakes the waiter at once (Redisson's unlock script PUBLISHes on the
   * lock's channel; without that message the waiter would sleep for the lock's 30 s lease).
   */
  @Test
  void lockIsExclusiveAndUnlockWakesTheWaiter() throws Exception {
    sameOnEveryServer("lock", (redisson, name) -> {
      List<String> t = new ArrayList<>();
      RLock lock = redisson.getLock(name);
      CountDownLatch held = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      AtomicLong unlockedAt = new AtomicLong();
      CompletableFuture<Void> owner = CompletableFuture.runAsync(() -> {
        lock.lock();
        held.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        unlockedAt.set(System.nanoTime());
        lock.unlock();
      }, threads);
      assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
      t.add("locked: " + lock.isLocked());
      t.add("held by this thread: " + lock.isHeldByCurrentThread());
      long before = System.nanoTime();
      t.add("tryLock(200 ms): " + lock.tryLock(200, TimeUnit.MILLISECONDS));
      t.add("tryLock waited: "
          + (System.nanoTime() - before >= TimeUnit.MILLISECONDS.toNanos(180)));
      CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS, threads)
          .execute(release::countDown);
      lock.lock(); // waits for the owner's unlock
      long acquiredAt = System.nanoTime();
      t.add("lock() waited for the unlock: " + (unlockedAt.get() != 0
          && acquiredAt - unlockedAt.get() > 0));
      t.add("woken by the unlock's message: "
          + (acquiredAt - unlockedAt.get() < TimeUnit.SECONDS.toNanos(5)));
      owner.get(10, TimeUnit.SECONDS);
      t.add("held by this thread: " + lock.isHeldByCurrentThread());
      t.add("hold count: " + lock.getHoldCount());
      lock.lock(); // reentrant
      t.add("hold count: " + lock.getHoldCount());
      lock.unlock();
      lock.unlock();
      t.add("locked: " + lock.isLocked());
      return t;
    }, List.of("locked: true", "held by this thread: false", "tryLock(200 ms): false",
        "tryLock waited: true", "lock() waited for the unlock: true",
        "woken by the unlock's message: true", "held by this thread: true", "hold count: 1",
        "hold count: 2", "locked: false"));
  }

  @Test
  void mapPutReturnsTheOldValue() throws Exception {
    sameOnEveryServer("map", (redisson, name) -> {
      List<String> t = new ArrayList<>();
      RMap<String, String> map = redisson.getMap(name, StringCodec.INSTANCE);
      t.add("put a=1: " + map.put("a", "1"));
      t.add("put a=2: " + map.put("a", "2"));
      t.add("putIfAbsent a=3: " + map.putIfAbsent("a", "3"));
      t.add("putIfAbsent b=4: " + map.putIfAbsent("b", "4"));
      t.add("replace b=5: " + map.replace("b", "5"));
      t.add("remove a: " + map.remove("a"));
      t.add("fastPut c=6: " + map.fastPut("c", "6"));
      t.add("contents: " + new java.util.TreeMap<>(map.readAllMap()));
      return t;
    }, List.of("put a=1: null", "put a=2: 1", "putIfAbsent a=3: 2", "putIfAbsent b=4: null",
        "replace b=5: 4", "remove a: 2", "fastPut c=6: true", "contents: {b=5, c=6}"));
  }

  @Test
  void semaphoreCountsPermits() throws Exception {
    sameOnEveryServer("semaphore", (redisson, name) -> {
      List<String> t = new ArrayList<>();
      RSemaphore semaphore = redisson.getSemaphore(name);
      t.add("trySetPermits(3): " + semaphore.trySetPermits(3));
      t.add("trySetPermits(5) again: " + semaphore.trySetPermits(5));
      semaphore.acquire(2);
      t.add("available after acquire(2): " + semaphore.availablePermits());
      t.add("tryAcquire(2): " + semaphore.tryAcquire(2));
      t.add("tryAcquire(1): " + semaphore.tryAcquire(1));
      t.add("available: " + semaphore.availablePermits());
      // a blocked acquire on another thread is woken by a release (pub/sub again)
      CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> {
        long before = System.nanoTime();
        try {
          semaphore.acquire(2);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
      }, threads);
      Thread.sleep(200);
      t.add("waiter still waiting: " + !waiter.isDone());
      semaphore.release(3);
      long waited = waiter.get(10, TimeUnit.SECONDS);
      t.add("waiter woken by the release: " + (waited < 5_000));
      t.add("available: " + semaphore.availablePermits());
      semaphore.release(2);
      t.add("available: " + semaphore.availablePermits());
      return t;
    }, List.of("trySetPermits(3): true", "trySetPermits(5) again: false",
        "available after acquire(2): 1", "tryAcquire(2): false", "tryAcquire(1): true",
        "available: 0", "waiter still waiting: true", "waiter woken by the release: true",
        "available: 1", "available: 3"));
  }

  /**
   * RRateLimiter: its scripts keep each grant in a sorted set as
   * {@code struct.pack('Bc0I', ...)}, so this needs Lua's struct library too.
   */
  @Test
  void rateLimiterCountsAcquires() throws Exception {
    sameOnEveryServer("ratelimiter", (redisson, name) -> {
      List<String> t = new ArrayList<>();
      RRateLimiter limiter = redisson.getRateLimiter(name);
      t.add("trySetRate(5 per 10 s): " + limiter.trySetRate(RateType.OVERALL, 5,
          Duration.ofSeconds(10)));
      t.add("trySetRate again: " + limiter.trySetRate(RateType.OVERALL, 9,
          Duration.ofSeconds(10)));
      int granted = 0;
      for (int i = 0; i < 8; i++) {
        if (limiter.tryAcquire()) {
          granted++;
        }
      }
      t.add("granted of 8: " + granted);
      t.add("tryAcquire(1) now: " + limiter.tryAcquire(1));
      t.add("available: " + limiter.availablePermits());
      return t;
    }, List.of("trySetRate(5 per 10 s): true", "trySetRate again: false", "granted of 8: 5",
        "tryAcquire(1) now: false", "available: 0"));
  }
}
