package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.support.RealRedis;
import io.kiln.support.SharedKiln;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * A job queue made of Lua scripts, in BullMQ's design (BullMQ itself needs streams, which Kiln
 * lacks so far: see BullMqTest): a job is a hash, waiting jobs a list, the active
 * ones another, delayed and retried-later jobs a sorted set by due time, finished ones sorted
 * sets; a worker takes a job with a script that promotes due delayed jobs, moves one job to
 * active (RPOPLPUSH) and locks it (SET PX with the worker's token), and finishes it with a
 * script that checks the lock, retries (at once or after a backoff) until the job's attempts
 * are spent, and PUBLISHes each step; a job's options come as JSON (cjson) and are kept packed
 * with cmsgpack, as BullMQ keeps them. 1,000 jobs, some delayed, some failing once, some always,
 * processed by 4 workers at once over EVALSHA: every job must end as the same function of its
 * number says, processed exactly once per attempt, on Kiln as on a real redis-server 7.0.
 * Test thread and 4 worker threads, each with a connection of its own, plus a subscriber.
 */
class LuaJobQueueTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();
  private static RealRedis realRedis;

  static final int JOBS = 1_000;
  static final int WORKERS = 4;
  static final int ATTEMPTS = 3;

  /**
   * KEYS: id counter, wait, delayed. ARGV: prefix, name, data, options as JSON ({"attempts":3,
   * "delay":30,"backoff":20}, as BullMQ's client builds them), now ms. The options are kept
   * in the job's hash packed with cmsgpack, as BullMQ keeps them.
   */
  static final String ADD = """
      local opts = cjson.decode(ARGV[4])
      local id = redis.call('INCR', KEYS[1])
      local jobKey = ARGV[1] .. 'job:' .. id
      redis.call('HSET', jobKey, 'name', ARGV[2], 'data', ARGV[3], 'opts', cmsgpack.pack(opts),
        'attemptsMade', 0, 'state', 'waiting')
      local delay = opts.delay or 0
      if delay > 0 then
        redis.call('ZADD', KEYS[3], tonumber(ARGV[5]) + delay, id)
        redis.call('HSET', jobKey, 'state', 'delayed')
      else
        redis.call('LPUSH', KEYS[2], id)
      end
      redis.call('PUBLISH', ARGV[1] .. 'events', 'added ' .. id)
      return id
      """;

  /**
   * KEYS: wait, active, delayed. ARGV: prefix, lock token, lock ms, now ms, worker name.
   * Returns {id, name, data, attemptsMade} or nil when no job waits.
   */
  static final String MOVE_TO_ACTIVE = """
      local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[4], 'LIMIT', 0, 100)
      for _, id in ipairs(due) do
        redis.call('ZREM', KEYS[3], id)
        redis.call('LPUSH', KEYS[1], id)
        redis.call('HSET', ARGV[1] .. 'job:' .. id, 'state', 'waiting')
      end
      local id = redis.call('RPOPLPUSH', KEYS[1], KEYS[2])
      if not id then return nil end
      local jobKey = ARGV[1] .. 'job:' .. id
      redis.call('SET', ARGV[1] .. 'lock:' .. id, ARGV[2], 'PX', ARGV[3])
      redis.call('HSET', jobKey, 'state', 'active', 'processedBy', ARGV[5])
      local job = redis.call('HMGET', jobKey, 'name', 'data', 'attemptsMade')
      return {id, job[1], job[2], tonumber(job[3])}
      """;

  /**
   * KEYS: active, wait, delayed, completed, failed. ARGV: prefix, id, lock token,
   * "completed"|"failed", return value or reason, now ms. Retries as the job's options say.
   * Returns the job's new state; an error when the worker does not hold the job's lock.
   */
  static final String MOVE_TO_FINISHED = """
      local id = ARGV[2]
      local jobKey = ARGV[1] .. 'job:' .. id
      local lockKey = ARGV[1] .. 'lock:' .. id
      if redis.call('GET', lockKey) ~= ARGV[3] then
        return redis.error_reply('LOCKMISMATCH job ' .. id .. ' is not locked by this worker')
      end
      redis.call('DEL', lockKey)
      if redis.call('LREM', KEYS[1], -1, id) ~= 1 then
        return redis.error_reply('NOTACTIVE job ' .. id)
      end
      local made = redis.call('HINCRBY', jobKey, 'attemptsMade', 1)
      local state
      if ARGV[4] == 'completed' then
        state = 'completed'
        redis.call('ZADD', KEYS[4], ARGV[6], id)
        redis.call('HSET', jobKey, 'returnvalue', ARGV[5], 'finishedOn', ARGV[6])
      else
        redis.call('HSET', jobKey, 'failedReason', ARGV[5])
        local opts = cmsgpack.unpack(redis.call('HGET', jobKey, 'opts'))
        if made < opts.attempts then
          local backoff = opts.backoff or 0
          if backoff > 0 then
            state = 'delayed'
            redis.call('ZADD', KEYS[3], tonumber(ARGV[6]) + backoff, id)
          else
            state = 'waiting'
            redis.call('RPUSH', KEYS[2], id)
          end
        else
          state = 'failed'
          redis.call('ZADD', KEYS[5], ARGV[6], id)
          redis.call('HSET', jobKey, 'finishedOn', ARGV[6])
        end
      end
      redis.call('HSET', jobKey, 'state', state)
      redis.call('PUBLISH', ARGV[1] .. 'events', state .. ' ' .. id)
      return state
      """;

  /** KEYS: wait, active, delayed, completed, failed: their sizes (BullMQ's getCounts). */
  static final String COUNTS = """
      return {redis.call('LLEN', KEYS[1]), redis.call('LLEN', KEYS[2]),
        redis.call('ZCARD', KEYS[3]), redis.call('ZCARD', KEYS[4]), redis.call('ZCARD', KEYS[5])}
      """;

  static final String P = "q:";
  static final List<String> ADD_KEYS = List.of(P + "id", P + "wait", P + "delayed");
  static final List<String> ACTIVE_KEYS = List.of(P + "wait", P + "active", P + "delayed");
  static final List<String> FINISH_KEYS =
      List.of(P + "active", P + "wait", P + "delayed", P + "completed", P + "failed");
  static final List<String> COUNT_KEYS =
      List.of(P + "wait", P + "active", P + "delayed", P + "completed", P + "failed");

  @BeforeAll
  static void start() {
    if (RealRedis.installed()) {
      realRedis = RealRedis.start();
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (realRedis != null) {
      realRedis.close();
    }
  }

  /** Job n's delay when added: every 50th waits 30 ms. */
  static long delayOf(int n) {
    return n % 50 == 0 ? 30 : 0;
  }

  /** What processing job n on its attempt {@code made} (from 0) does: null completes it. */
  static String failureOf(int n, int made) {
    if (n % 97 == 0) {
      return "boom " + n;
    }
    if (n % 10 == 3 && made == 0) {
      return "transient " + n;
    }
    return null;
  }

  /** The backoff of job n's retry: every other transient failure waits 20 ms. */
  static long backoffOf(int n) {
    return n % 20 == 3 ? 20 : 0;
  }

  /** Each job's expected end: "state attemptsMade returnvalue-or-reason". */
  static Map<Integer, String> expectedOutcomes() {
    Map<Integer, String> m = new TreeMap<>();
    for (int n = 1; n <= JOBS; n++) {
      int made = 0;
      String reason;
      while ((reason = failureOf(n, made)) != null && made + 1 < ATTEMPTS) {
        made++;
      }
      m.put(n, reason == null ? "completed " + (made + 1) + " " + (long) n * n
          : "failed " + ATTEMPTS + " " + reason);
    }
    return m;
  }

  @Test
  void thousandJobsSameOutcomesAsRedis() throws Exception {
    Map<Integer, String> expected = expectedOutcomes();
    assertThat(expected.values().stream().filter(s -> s.startsWith("failed"))).hasSize(10);
    Result onKiln = runQueue(kiln.port());
    assertThat(onKiln.outcomes).as("Kiln's jobs").isEqualTo(expected);
    assertThat(onKiln.transcript).as("Kiln").containsExactlyElementsOf(expectedTranscript());
    if (realRedis != null) {
      Result onRedis = runQueue(realRedis.port());
      assertThat(onRedis.outcomes).as("redis-server's jobs").isEqualTo(expected);
      assertThat(onRedis.transcript).as("redis-server").isEqualTo(onKiln.transcript);
    }
  }

  private static List<String> expectedTranscript() {
    int attempts = 0;
    for (String s : expectedOutcomes().values()) {
      attempts += Integer.parseInt(s.split(" ")[1]);
    }
    return List.of("added: " + JOBS, "counts at the start: [980, 0, 20, 0, 0]",
        "every attempt processed exactly once: true",
        "counts at the end: [0, 0, 0, 990, 10]", "locks left: 0",
        "events: added=1000 completed=990 failed=10 waiting+delayed=" + (attempts - JOBS),
        "finish by another worker: LOCKMISMATCH job 1001 is not locked by this worker",
        "finish by its worker: completed");
  }

  record Result(Map<Integer, String> outcomes, List<String> transcript) {}

  private static Result runQueue(int port) throws Exception {
    List<String> t = new ArrayList<>();
    try (Jedis admin = new Jedis("127.0.0.1", port, 10_000)) {
      admin.flushAll();
      admin.scriptFlush();
      String add = admin.scriptLoad(ADD);
      String toActive = admin.scriptLoad(MOVE_TO_ACTIVE);
      String toFinished = admin.scriptLoad(MOVE_TO_FINISHED);
      String counts = admin.scriptLoad(COUNTS);

      // the events, as BullMQ's QueueEvents follows them (on a channel here, not a stream)
      Map<String, AtomicInteger> events = new ConcurrentHashMap<>();
      AtomicInteger eventCount = new AtomicInteger();
      CountDownLatch subscribed = new CountDownLatch(1);
      JedisPubSub listener = new JedisPubSub() {
        @Override
        public void onSubscribe(String channel, int subscribedChannels) {
          subscribed.countDown();
        }

        @Override
        public void onMessage(String channel, String message) {
          events.computeIfAbsent(message.split(" ")[0], k -> new AtomicInteger()).incrementAndGet();
          eventCount.incrementAndGet();
        }
      };
      Jedis subscriberConnection = new Jedis("127.0.0.1", port, 10_000);
      Thread subscriber = new Thread(() -> subscriberConnection.subscribe(listener, P + "events"),
          "job-events");
      subscriber.start();
      assertThat(subscribed.await(10, TimeUnit.SECONDS)).isTrue();

      long now = System.currentTimeMillis();
      for (int n = 1; n <= JOBS; n++) {
        String opts = "{\"attempts\":" + ATTEMPTS
            + (delayOf(n) > 0 ? ",\"delay\":" + delayOf(n) : "")
            + (backoffOf(n) > 0 ? ",\"backoff\":" + backoffOf(n) : "") + "}";
        admin.evalsha(add, ADD_KEYS, List.of(P, "job", Integer.toString(n), opts,
            Long.toString(now)));
      }
      t.add("added: " + admin.get(P + "id"));
      t.add("counts at the start: " + admin.evalsha(counts, COUNT_KEYS, List.of()));

      Map<Integer, AtomicInteger> processed = new ConcurrentHashMap<>();
      AtomicInteger finished = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
      List<Future<?>> workers = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      for (int w = 0; w < WORKERS; w++) {
        String name = "worker-" + w;
        workers.add(pool.submit(() -> {
          try (Jedis jedis = new Jedis("127.0.0.1", port, 10_000)) {
            while (finished.get() < JOBS) {
              assertThat(System.nanoTime()).as("the queue drained in time").isLessThan(deadline);
              String token = java.util.UUID.randomUUID().toString();
              List<?> job = (List<?>) jedis.evalsha(toActive, ACTIVE_KEYS, List.of(P, token,
                  "30000", Long.toString(System.currentTimeMillis()), name));
              if (job == null) {
                Thread.sleep(1);
                continue;
              }
              String id = (String) job.get(0);
              int n = Integer.parseInt((String) job.get(2));
              int made = (int) (long) (Long) job.get(3);
              processed.computeIfAbsent(n, k -> new AtomicInteger()).incrementAndGet();
              String failure = failureOf(n, made);
              String state = (String) jedis.evalsha(toFinished, FINISH_KEYS, List.of(P, id, token,
                  failure == null ? "completed" : "failed",
                  failure == null ? Long.toString((long) n * n) : failure,
                  Long.toString(System.currentTimeMillis())));
              if (state.equals("completed") || state.equals("failed")) {
                finished.incrementAndGet();
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> f : workers) {
        f.get(90, TimeUnit.SECONDS);
      }
      pool.shutdown();

      Map<Integer, String> outcomes = new TreeMap<>();
      boolean exactlyOnce = true;
      for (int id = 1; id <= JOBS; id++) {
        List<String> h = admin.hmget(P + "job:" + id, "data", "state", "attemptsMade",
            "returnvalue", "failedReason");
        int n = Integer.parseInt(h.get(0));
        outcomes.put(n, h.get(1) + " " + h.get(2) + " "
            + (h.get(1).equals("completed") ? h.get(3) : h.get(4)));
        AtomicInteger p = processed.get(n);
        exactlyOnce &= p != null && p.get() == Integer.parseInt(h.get(2));
      }
      t.add("every attempt processed exactly once: " + exactlyOnce);
      t.add("counts at the end: " + admin.evalsha(counts, COUNT_KEYS, List.of()));
      t.add("locks left: " + admin.keys(P + "lock:*").size());

      int attempts = 0;
      for (String s : outcomes.values()) {
        attempts += Integer.parseInt(s.split(" ")[1]);
      }
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (eventCount.get() < JOBS + attempts && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      listener.unsubscribe();
      subscriber.join(10_000);
      subscriberConnection.close();
      t.add("events: added=" + count(events, "added") + " completed="
          + count(events, "completed") + " failed=" + count(events, "failed")
          + " waiting+delayed=" + (count(events, "waiting") + count(events, "delayed")));

      // a worker that lost its lock cannot finish the job; its owner can
      long id = (Long) admin.evalsha(add, ADD_KEYS, List.of(P, "job", "7", "{\"attempts\":1}",
          "0"));
      List<?> job = (List<?>) admin.evalsha(toActive, ACTIVE_KEYS, List.of(P, "owner", "30000",
          "0", "w"));
      assertThat(job.get(0)).isEqualTo(Long.toString(id));
      assertThatThrownBy(() -> admin.evalsha(toFinished, FINISH_KEYS, List.of(P,
          Long.toString(id), "intruder", "completed", "x", "0")))
          .isInstanceOf(JedisDataException.class)
          .satisfies(e -> t.add("finish by another worker: " + e.getMessage()));
      t.add("finish by its worker: " + admin.evalsha(toFinished, FINISH_KEYS, List.of(P,
          Long.toString(id), "owner", "completed", "49", "0")));
      return new Result(outcomes, t);
    }
  }

  private static int count(Map<String, AtomicInteger> events, String type) {
    AtomicInteger c = events.get(type);
    return c == null ? 0 : c.get();
  }
}
