package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import io.kiln.support.SharedKiln;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What scripts leave in the server's statistics, as redis-server 7.0.15 has it. Errors, in INFO
 * errorstats and commandstats' failed_calls: a script whose reply is an error counts that error
 * once (an error raised from redis.call was already counted for the command that answered it)
 * and is a failed EVAL; an error a script caught with redis.pcall counts for the command that
 * answered it but does not fail the EVAL. Time: a script's whole run counts in commandstats'
 * usec and goes to the SLOWLOG. Found while running Redisson and BullMQ against Kiln (their
 * dashboards read these); the Kiln halves are disabled until Kiln counts so. Test thread.
 */
class ScriptStatsTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();

  /** Each case: a label and the command; run after CONFIG RESETSTAT on a key "str" = "abc". */
  static final String[][] CASES = {
      {"runtime error", "EVAL", "return nosuch.x", "0"},
      {"unknown command from a script", "EVAL", "return redis.call('nosuchcmd')", "0"},
      {"error_reply", "EVAL", "return redis.error_reply('MY err')", "0"},
      {"error table", "EVAL", "return {err='XYZ bad'}", "0"},
      {"redis.call error raised", "EVAL", "return redis.call('incr', KEYS[1])", "1", "str"},
      {"redis.pcall error returned", "EVAL", "return redis.pcall('incr', KEYS[1])", "1", "str"},
      {"redis.pcall error swallowed", "EVAL", "redis.pcall('incr', KEYS[1]) return 1", "1",
          "str"},
      {"NOSCRIPT", "EVALSHA", "0000000000000000000000000000000000000000", "0"},
  };

  /** redis-server 7.0.15's counts for each case (errorstats, then failed_calls of each). */
  static final List<String> REDIS = List.of(
      "runtime error: errorstat_ERR:count=1 | eval failed=1",
      "unknown command from a script: errorstat_ERR:count=1 | eval failed=1",
      "error_reply: errorstat_MY:count=1 | eval failed=1",
      "error table: errorstat_XYZ:count=1 | eval failed=1",
      "redis.call error raised: errorstat_ERR:count=1 | incr failed=1 | eval failed=1",
      "redis.pcall error returned: errorstat_ERR:count=1 | incr failed=1 | eval failed=1",
      "redis.pcall error swallowed: errorstat_ERR:count=1 | incr failed=1 | eval failed=0",
      "NOSCRIPT: errorstat_NOSCRIPT:count=1 | evalsha failed=1");

  @Test
  void errorsCountedAsRedisCounts() {
    assertThat(counts(kiln.port())).isEqualTo(REDIS);
  }

  @Test
  void redisCountsErrorsSo() throws Exception {
    try (RealRedis redis = RealRedis.start()) {
      assertThat(counts(redis.port())).isEqualTo(REDIS);
    }
  }

  /** A CPU-bound script of some 50-200 ms (many of Kiln's 2 ms slices). */
  static final String LONG = "local s = 0 for i = 1, 8000000 do s = s + i % 7 end return s";

  @Test
  void longScriptTimedWhole() {
    assertThat(timing(kiln.port())).isEqualTo(List.of("usec covers the run: true",
        "in the slowlog: true"));
  }

  @Test
  void redisTimesLongScriptsWhole() throws Exception {
    try (RealRedis redis = RealRedis.start()) {
      assertThat(timing(redis.port())).isEqualTo(List.of("usec covers the run: true",
          "in the slowlog: true"));
    }
  }

  private static List<String> timing(int port) {
    try (RespClient c = new RespClient("127.0.0.1", port)) {
      c.call("EVAL", LONG, "0"); // compiled, warm
      c.call("CONFIG", "RESETSTAT");
      c.call("SLOWLOG", "RESET");
      c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
      long t0 = System.nanoTime();
      c.call("EVAL", LONG, "0");
      long wallMicros = (System.nanoTime() - t0) / 1000;
      String stats = c.call("INFO", "commandstats");
      int at = stats.indexOf("cmdstat_eval:calls=1,usec=") + 26;
      long usec = Long.parseLong(stats.substring(at, stats.indexOf(',', at)));
      String slowlog = c.call("SLOWLOG", "GET", "1");
      return List.of("usec covers the run: " + (usec >= wallMicros / 2 && wallMicros > 20_000),
          "in the slowlog: " + slowlog.contains(LONG));
    }
  }

  private static List<String> counts(int port) {
    List<String> out = new ArrayList<>();
    try (RespClient c = new RespClient("127.0.0.1", port)) {
      for (String[] k : CASES) {
        c.call("FLUSHALL");
        c.call("SET", "str", "abc");
        c.call("CONFIG", "RESETSTAT");
        c.call(java.util.Arrays.copyOfRange(k, 1, k.length));
        StringBuilder sb = new StringBuilder(k[0]).append(":");
        for (String line : c.call("INFO", "errorstats").split("\r\n")) {
          if (line.startsWith("errorstat_")) {
            sb.append(' ').append(line);
          }
        }
        String stats = c.call("INFO", "commandstats");
        for (String cmd : List.of("incr", "eval", "evalsha")) {
          int at = stats.indexOf("cmdstat_" + cmd + ":");
          if (at >= 0) {
            String line = stats.substring(at, stats.indexOf("\r\n", at));
            sb.append(" | ").append(cmd).append(" failed=")
                .append(line.substring(line.indexOf("failed_calls=") + 13));
          }
        }
        out.add(sb.toString());
      }
    }
    return out;
  }
}
