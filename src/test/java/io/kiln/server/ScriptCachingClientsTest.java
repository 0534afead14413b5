package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RealRedis;
import io.kiln.support.SharedKiln;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * The way applications run scripts through their client: the script is sent once (SCRIPT LOAD
 * or a first EVAL), then run by its SHA1 with EVALSHA, and sent again with EVAL when the server
 * answers NOSCRIPT (after SCRIPT FLUSH or a restart). Spring Data Redis's RedisScript does this
 * by itself (DefaultScriptExecutor, over Lettuce); with Lettuce and Jedis the test does it by
 * hand, as applications without Spring do. Each scenario's transcript must be the expected one
 * on Kiln and on a real redis-server 7.0 where installed. Test thread.
 */
class ScriptCachingClientsTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();
  private static RealRedis realRedis;

  /** A counter with a ceiling: INCRBY up to ARGV[2], else nil; sets a TTL on first use. */
  static final String BOUNDED_INCR = """
      local v = redis.call('GET', KEYS[1])
      local n = tonumber(ARGV[1])
      if v and tonumber(v) + n > tonumber(ARGV[2]) then return false end
      local r = redis.call('INCRBY', KEYS[1], n)
      if r == n then redis.call('EXPIRE', KEYS[1], 3600) end
      return r
      """;

  /** Compare-and-delete, the classic lock release: 1 when the key held ARGV[1]. */
  static final String COMPARE_AND_DELETE = """
      if redis.call('GET', KEYS[1]) == ARGV[1] then
        return redis.call('DEL', KEYS[1])
      end
      return 0
      """;

  /** Every key of KEYS with its value, '(nil)' for a missing one (a nil would end the array). */
  static final String READ_MANY = """
      local out = {}
      for i, k in ipairs(KEYS) do
        out[#out + 1] = k
        out[#out + 1] = redis.call('GET', k) or '(nil)'
      end
      return out
      """;

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

  /** The transcript of {@code scenario} on Kiln, then on Redis: both the expected one. */
  private static void sameOnBoth(IntFunction<List<String>> scenario, List<String> expected) {
    assertThat(scenario.apply(kiln.port())).as("Kiln").isEqualTo(expected);
    if (realRedis != null) {
      assertThat(scenario.apply(realRedis.port())).as("redis-server").isEqualTo(expected);
    }
  }

  @Test
  void springRedisScriptCachesAndFallsBackToEval() {
    sameOnBoth(port -> {
      LettuceConnectionFactory factory =
          new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", port));
      factory.afterPropertiesSet();
      factory.start();
      try {
        StringRedisTemplate redis = new StringRedisTemplate(factory);
        redis.execute((org.springframework.data.redis.core.RedisCallback<Object>) c -> {
          c.serverCommands().flushAll();
          c.scriptingCommands().scriptFlush();
          return null;
        });
        List<String> t = new ArrayList<>();
        RedisScript<Long> incr = RedisScript.of(BOUNDED_INCR, Long.class);
        RedisScript<Long> cad = RedisScript.of(COMPARE_AND_DELETE, Long.class);
        RedisScript<List> many = RedisScript.of(READ_MANY, List.class);
        RedisScript<Boolean> exists = RedisScript.of(
            "return redis.call('EXISTS', KEYS[1]) == 1", Boolean.class);
        RedisScript<String> text = RedisScript.of("return ARGV[1] .. ':' .. #KEYS", String.class);
        List<String> k = List.of("counter");
        // the first run answers NOSCRIPT to Spring's EVALSHA, which then sends EVAL
        t.add("incr 4: " + redis.execute(incr, k, "4", "10"));
        t.add("incr 5: " + redis.execute(incr, k, "5", "10"));
        t.add("incr 5 over the ceiling: " + redis.execute(incr, k, "5", "10"));
        t.add("ttl set: " + (redis.getExpire("counter") > 3500));
        t.add("cached: " + redis.execute((org.springframework.data.redis.core.RedisCallback<
            List<Boolean>>) c -> c.scriptingCommands().scriptExists(incr.getSha1())));
        redis.opsForValue().set("lock", "me");
        t.add("cad other: " + redis.execute(cad, List.of("lock"), "other"));
        t.add("cad me: " + redis.execute(cad, List.of("lock"), "me"));
        t.add("exists lock: " + redis.execute(exists, List.of("lock")));
        t.add("exists counter: " + redis.execute(exists, List.of("counter")));
        t.add("many: " + redis.execute(many, List.of("counter", "lock")));
        t.add("text: " + redis.execute(text, List.of("a", "b"), "x"));
        // SCRIPT FLUSH (as after a restart): the next EVALSHA fails, Spring sends EVAL again
        redis.execute((org.springframework.data.redis.core.RedisCallback<Object>) c -> {
          c.scriptingCommands().scriptFlush();
          return null;
        });
        t.add("after flush, incr 1: " + redis.execute(incr, k, "1", "10"));
        t.add("cached again: " + redis.execute((org.springframework.data.redis.core.RedisCallback<
            List<Boolean>>) c -> c.scriptingCommands().scriptExists(incr.getSha1())));
        return t;
      } finally {
        factory.destroy();
      }
    }, List.of("incr 4: 4", "incr 5: 9", "incr 5 over the ceiling: null", "ttl set: true",
        "cached: [true]", "cad other: 0", "cad me: 1", "exists lock: false",
        "exists counter: true", "many: [counter, 9, lock, (nil)]", "text: x:2",
        "after flush, incr 1: 10", "cached again: [true]"));
  }

  @Test
  void lettuceScriptLoadEvalshaAndNoscriptFallback() {
    sameOnBoth(port -> {
      RedisClient client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1")
          .withPort(port).withTimeout(Duration.ofSeconds(10)).build());
      try (StatefulRedisConnection<String, String> connection = client.connect()) {
        RedisCommands<String, String> redis = connection.sync();
        redis.flushall();
        redis.scriptFlush();
        List<String> t = new ArrayList<>();
        String sha = redis.scriptLoad(BOUNDED_INCR);
        t.add("sha is the digest: " + sha.equals(redis.digest(BOUNDED_INCR)));
        t.add("exists: " + redis.scriptExists(sha, redis.digest("return 1")));
        String[] keys = {"counter"};
        t.add("evalsha 7: " + runCached(redis, sha, keys, "7", "10"));
        t.add("evalsha 7 over: " + runCached(redis, sha, keys, "7", "10"));
        t.add("evalsha_ro: " + redis.evalshaReadOnly(redis.scriptLoad(
            "return redis.call('GET', KEYS[1])"), ScriptOutputType.VALUE, keys));
        redis.scriptFlush();
        t.add("after flush: " + runCached(redis, sha, keys, "1", "10"));
        t.add("exists again: " + redis.scriptExists(sha));
        List<Object> many = redis.eval(READ_MANY, ScriptOutputType.MULTI, "counter", "none");
        t.add("many: " + many);
        return t;
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
      }
    }, List.of("sha is the digest: true", "exists: [true, false]", "evalsha 7: 7",
        "evalsha 7 over: null", "evalsha_ro: 7", "after flush: NOSCRIPT, then EVAL: 8",
        "exists again: [true]", "many: [counter, 8, none, (nil)]"));
  }

  /** EVALSHA, and on NOSCRIPT the script itself by EVAL (which caches it again). */
  private static String runCached(RedisCommands<String, String> redis, String sha, String[] keys,
      String... args) {
    try {
      return String.valueOf((Object) redis.evalsha(sha, ScriptOutputType.INTEGER, keys, args));
    } catch (RedisNoScriptException e) {
      assertThat(e.getMessage()).startsWith("NOSCRIPT No matching script");
      return "NOSCRIPT, then EVAL: " + redis.eval(BOUNDED_INCR, ScriptOutputType.INTEGER, keys,
          args);
    }
  }

  @Test
  void jedisEvalEvalshaAndNoscriptFallback() {
    sameOnBoth(port -> {
      try (Jedis jedis = new Jedis("127.0.0.1", port, 10_000)) {
        jedis.flushAll();
        jedis.scriptFlush();
        List<String> t = new ArrayList<>();
        String sha = jedis.scriptLoad(COMPARE_AND_DELETE);
        jedis.set("lock", "token-1");
        t.add("evalsha other: " + cad(jedis, sha, "lock", "token-2"));
        t.add("evalsha mine: " + cad(jedis, sha, "lock", "token-1"));
        t.add("lock gone: " + !jedis.exists("lock"));
        jedis.set("lock", "token-3");
        jedis.scriptFlush();
        t.add("exists after flush: " + jedis.scriptExists(sha));
        t.add("after flush: " + cad(jedis, sha, "lock", "token-3"));
        t.add("exists: " + jedis.scriptExists(sha));
        t.add("eval table: " + jedis.eval("return {1, 'two', {3}, false, 5, nil, 7}", 0));
        t.add("eval status: " + jedis.eval("return redis.status_reply('FINE')", 0));
        t.add("eval many: " + jedis.eval(READ_MANY, 2, "lock", "gone"));
        try {
          jedis.eval("return redis.error_reply('MYERR custom')", 0);
        } catch (redis.clients.jedis.exceptions.JedisDataException e) {
          t.add("eval error: " + e.getMessage());
        }
        return t;
      }
    }, List.of("evalsha other: 0", "evalsha mine: 1", "lock gone: true",
        "exists after flush: false", "after flush: NOSCRIPT, then EVAL: 1", "exists: true",
        "eval table: [1, two, [3], null, 5]", "eval status: FINE",
        "eval many: [lock, (nil), gone, (nil)]",
        "eval error: MYERR custom"));
  }

  private static String cad(Jedis jedis, String sha, String key, String token) {
    try {
      return String.valueOf(jedis.evalsha(sha, 1, key, token));
    } catch (JedisNoScriptException e) {
      return "NOSCRIPT, then EVAL: " + jedis.eval(COMPARE_AND_DELETE, 1, key, token);
    }
  }
}
