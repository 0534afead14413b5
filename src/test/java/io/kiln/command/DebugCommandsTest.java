package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kiln.resp.Errors;
import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * DEBUG behaviour the differential corpus cannot express: timing, several connections, the
 * enable-debug-command gate, OBJECT's fields beside the address (against a real redis-server). Test thread, against a real Kiln.
 */
class DebugCommandsTest {
  private static final String NOT_ALLOWED = "-" + Errors.DEBUG_NOT_ALLOWED + "\r\n";
  private static final String ZEROS = "+0000000000000000000000000000000000000000\r\n";

  @Test
  void sleepPausesOnlyTheCallingClient() throws Exception {
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes");
        RespClient sleeper = kiln.client(); RespClient other = kiln.client()) {
      long t0 = System.nanoTime();
      // Pipelined: the PING after the sleep must wait for it, on this connection only.
      sleeper.send("DEBUG", "SLEEP", "1");
      sleeper.send("PING");
      assertThat(other.call("PING")).isEqualTo("+PONG\r\n");
      assertThat(other.call("SET", "k", "v")).isEqualTo("+OK\r\n");
      // The other client was answered while the sleeper still waits for its reply.
      assertThat(sleeper.pendingBytes()).as("sleeper's reply not sent yet").isZero();
      assertThat(sleeper.readReply()).isEqualTo("+OK\r\n");
      long sleptMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(sleptMillis).isGreaterThanOrEqualTo(950);
      assertThat(sleeper.readReply()).isEqualTo("+PONG\r\n");
      assertThat(sleeper.call("GET", "k")).isEqualTo("$1\r\nv\r\n");
    }
  }

  @Test
  void populateCreatesKeysWithoutStallingOtherClients() throws Exception {
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes");
        RespClient a = kiln.client(); RespClient b = kiln.client()) {
      assertThat(a.call("DEBUG", "POPULATE", "100000")).isEqualTo("+OK\r\n");
      assertThat(a.call("DBSIZE")).isEqualTo(":100000\r\n");
      assertThat(a.call("GET", "key:99999")).isEqualTo("$11\r\nvalue:99999\r\n");
      assertThat(a.call("GET", "key:100000")).isEqualTo("$-1\r\n");

      // POPULATE works in slices: another client is answered while it is still running (the
      // blocked-thread guard, checked when the server stops, fails any slice that stalls).
      a.send("DEBUG", "POPULATE", "1000000", "big");
      assertThat(b.call("PING")).isEqualTo("+PONG\r\n");
      assertThat(a.pendingBytes()).as("POPULATE still running when PING was answered").isZero();
      assertThat(a.readReply()).isEqualTo("+OK\r\n");
      assertThat(a.call("DBSIZE")).isEqualTo(":1100000\r\n");
      assertThat(a.call("GET", "big:999999")).isEqualTo("$12\r\nvalue:999999\r\n");
    }
  }

  @Test
  void digestChangesOnWritesAndIsStableOtherwise() throws Exception {
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes");
        RespClient c = kiln.client()) {
      assertThat(c.call("DEBUG", "DIGEST")).isEqualTo(ZEROS);
      c.call("SET", "a", "1");
      c.call("SET", "b", "2");
      String ab = c.call("DEBUG", "DIGEST");
      assertThat(ab).isNotEqualTo(ZEROS).matches("\\+[0-9a-f]{40}\r\n");
      assertThat(c.call("GET", "a")).isEqualTo("$1\r\n1\r\n");
      assertThat(c.call("DEBUG", "DIGEST")).as("reads change nothing").isEqualTo(ab);
      c.call("SET", "a", "2");
      String changed = c.call("DEBUG", "DIGEST");
      assertThat(changed).isNotEqualTo(ab);
      c.call("SET", "a", "1");
      assertThat(c.call("DEBUG", "DIGEST")).as("same data, same digest").isEqualTo(ab);
      // Insertion order does not matter.
      c.call("FLUSHALL");
      c.call("SET", "b", "2");
      c.call("SET", "a", "1");
      assertThat(c.call("DEBUG", "DIGEST")).isEqualTo(ab);
      // The same data in another database digests differently.
      c.call("FLUSHALL");
      c.call("SELECT", "1");
      c.call("SET", "a", "1");
      c.call("SET", "b", "2");
      assertThat(c.call("DEBUG", "DIGEST")).isNotEqualTo(ab);
    }
  }

  @Test
  void debugIsRefusedByDefault() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      assertThat(c.call("DEBUG", "DIGEST")).isEqualTo(NOT_ALLOWED);
      assertThat(c.call("DEBUG")).isEqualTo(
          "-ERR wrong number of arguments for 'debug' command\r\n");
      c.call("MULTI");
      assertThat(c.call("DEBUG", "DIGEST")).isEqualTo(NOT_ALLOWED);
      assertThat(c.call("EXEC")).startsWith("-EXECABORT");
    }
  }

  @Test
  void localAllowsLoopbackConnections() throws Exception {
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "local");
        RespClient c = kiln.client()) {
      assertThat(c.call("DEBUG", "DIGEST")).isEqualTo(ZEROS);
    }
  }

  @Test
  void setActiveExpireZeroKeepsExpiredKeysUntilTouched() throws Exception {
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes", "hz", "100");
        RespClient c = kiln.client()) {
      assertThat(c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")).isEqualTo("+OK\r\n");
      assumeTrue(c.call("SET", "probe", "v", "PX", "100000").equals("+OK\r\n"),
          "SET ... PX is not served yet");
      c.call("DEL", "probe");
      for (int i = 0; i < 50; i++) {
        c.call("SET", "k" + i, "v", "PX", "20");
      }
      // Well past the TTL, with 100 cron runs a second, nothing reclaims them.
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400);
      while (System.nanoTime() < deadline) {
        assertThat(c.call("DBSIZE")).isEqualTo(":50\r\n");
      }
      assertThat(c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")).isEqualTo("+OK\r\n");
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      String size = c.call("DBSIZE");
      while (!size.equals(":0\r\n") && System.nanoTime() < deadline) {
        size = c.call("DBSIZE");
      }
      assertThat(size).isEqualTo(":0\r\n");
    }
  }

  /** "encoding:E serializedlength:N" of a DEBUG OBJECT reply (its address and LRU vary). */
  private static String encodingAndLength(String reply) {
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("encoding:\\S+ serializedlength:\\d+").matcher(reply);
    assertThat(m.find()).as(reply).isTrue();
    return m.group();
  }

  @Test
  void objectReportsTheEncodingAndSerializedLengthRedisDoes() throws Exception {
    List<List<String>> writes = new ArrayList<>();
    writes.add(List.of("SET", "int", "-12345"));
    writes.add(List.of("SET", "embstr", "hello"));
    writes.add(List.of("SET", "compressed", "abc".repeat(1000))); // LZF, as rdbcompression says
    writes.add(List.of("SET", "digits", "9".repeat(30)));
    writes.add(List.of("SET", "noise", "Kq9#xZ2!mW7@pL4$vN8%rT1^yB6&cH3*"));
    List<String> big = new ArrayList<>(List.of("RPUSH", "biglist"));
    for (int i = 0; i < 600; i++) {
      big.add("v" + i);
    }
    writes.add(big);
    writes.add(List.of("RPUSH", "list", "a", "b", "1", "x".repeat(100)));
    writes.add(List.of("SADD", "intset", "1", "2", "3"));
    writes.add(List.of("SADD", "set", "a", "b"));
    writes.add(List.of("HSET", "hash", "a", "1", "b", "2"));
    writes.add(List.of("HSET", "hashtable", "f", "y".repeat(100)));
    writes.add(List.of("ZADD", "zset", "1", "a", "2.5", "b"));
    writes.add(List.of("ZADD", "skiplist", "1", "q".repeat(100)));
    try (RealRedis redis = RealRedis.start("--enable-debug-command", "yes");
        RespClient r = redis.client();
        TestKiln kiln = TestKiln.start("enable-debug-command", "yes");
        RespClient k = kiln.client()) {
      for (String compression : List.of("yes", "no")) {
        for (RespClient c : List.of(r, k)) {
          c.call("FLUSHALL");
          c.call("CONFIG", "SET", "rdbcompression", compression);
          for (List<String> w : writes) {
            c.call(w.toArray(new String[0]));
          }
        }
        for (List<String> w : writes) {
          String key = w.get(1);
          assertThat(encodingAndLength(k.call("DEBUG", "OBJECT", key)))
              .as("%s with rdbcompression %s", key, compression)
              .isEqualTo(encodingAndLength(r.call("DEBUG", "OBJECT", key)));
        }
      }
    }
  }
}
