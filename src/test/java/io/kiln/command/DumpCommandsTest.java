package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DUMP/RESTORE beyond the byte-for-byte corpus: long compressible values (whose LZF bytes differ
 * from liblzf's) round-trip, payloads made by the real redis-server restore in Kiln and Kiln's in
 * redis-server, and payloads of types Kiln cannot hold yet are refused.
 */
class DumpCommandsTest {

  private static List<String> values() {
    List<String> v = new ArrayList<>();
    v.add("a".repeat(21));
    v.add("abc".repeat(1000));
    v.add("x".repeat(100_000));
    StringBuilder mixed = new StringBuilder();
    for (int i = 0; i < 5000; i++) {
      mixed.append("field-").append(i % 37).append(':').append((char) (i % 256));
    }
    v.add(mixed.toString());
    v.add("12345");
    v.add("");
    return v;
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** The payload of a raw bulk reply "$n\r\n...\r\n". */
  private static byte[] payload(String reply) {
    assertThat(reply).startsWith("$");
    int nl = reply.indexOf("\r\n");
    int n = Integer.parseInt(reply.substring(1, nl));
    return b(reply.substring(nl + 2, nl + 2 + n));
  }

  private static String bulk(String v) {
    return "$" + v.length() + "\r\n" + v + "\r\n";
  }

  @Test
  void longCompressibleValuesRoundTrip() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      int i = 0;
      for (String v : values()) {
        String key = "k" + i++;
        c.call(List.of(b("SET"), b(key), b(v)));
        byte[] p = payload(c.call("DUMP", key));
        if (v.length() > 20 && v.chars().distinct().count() < 300) {
          assertThat(p.length).as("compressed payload of %s", key).isLessThan(v.length());
        }
        assertThat(c.call(List.of(b("RESTORE"), b(key + "-copy"), b("0"), p))).isEqualTo("+OK\r\n");
        assertThat(c.call("GET", key + "-copy")).isEqualTo(bulk(v));
      }
    }
  }

  @Test
  void rdbcompressionNoDumpsRaw() throws Exception {
    try (TestKiln kiln = TestKiln.start("rdbcompression", "no"); RespClient c = kiln.client()) {
      c.call("SET", "k", "x".repeat(1000));
      assertThat(payload(c.call("DUMP", "k")).length).isEqualTo(1 + 2 + 1000 + 10);
    }
  }

  @Test
  void payloadsCrossBetweenRedisAndKiln() throws Exception {
    try (RealRedis redis = RealRedis.start(); RespClient r = redis.client();
        TestKiln kiln = TestKiln.start(); RespClient k = kiln.client()) {
      int i = 0;
      for (String v : values()) {
        String key = "k" + i++;
        r.call(List.of(b("SET"), b(key), b(v)));
        k.call(List.of(b("SET"), b(key), b(v)));
        byte[] theirs = payload(r.call("DUMP", key));
        byte[] ours = payload(k.call("DUMP", key));
        assertThat(k.call(List.of(b("RESTORE"), b("from-redis"), b("0"), theirs, b("REPLACE"))))
            .isEqualTo("+OK\r\n");
        assertThat(k.call("GET", "from-redis")).as(key).isEqualTo(bulk(v));
        assertThat(r.call(List.of(b("RESTORE"), b("from-kiln"), b("0"), ours, b("REPLACE"))))
            .isEqualTo("+OK\r\n");
        assertThat(r.call("GET", "from-kiln")).as(key).isEqualTo(bulk(v));
      }
    }
  }

  @Test
  void payloadsOfEveryTypeFromRealRedisRestore() throws Exception {
    try (RealRedis redis = RealRedis.start(); RespClient r = redis.client();
        TestKiln kiln = TestKiln.start(); RespClient k = kiln.client()) {
      r.call("RPUSH", "l", "a", "b");
      r.call("SADD", "s", "a");
      r.call("HSET", "h", "f", "v");
      r.call("ZADD", "z", "1", "m");
      for (String key : List.of("l", "s", "h", "z")) {
        byte[] p = payload(r.call("DUMP", key));
        String type = r.call("TYPE", key);
        assertThat(k.call(List.of(b("RESTORE"), b(key), b("0"), p))).isEqualTo("+OK\r\n");
        assertThat(k.call("TYPE", key)).isEqualTo(type);
      }
      assertThat(k.call("LRANGE", "l", "0", "-1")).isEqualTo(r.call("LRANGE", "l", "0", "-1"));
      assertThat(k.call("SMEMBERS", "s")).isEqualTo(r.call("SMEMBERS", "s"));
      assertThat(k.call("HGETALL", "h")).isEqualTo(r.call("HGETALL", "h"));
    }
  }

  @Test
  void restoreTtlSetsTheExpiry() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.call("SET", "src", "v");
      byte[] p = payload(c.call("DUMP", "src"));
      long before = System.currentTimeMillis();
      assertThat(c.call(List.of(b("RESTORE"), b("t"), b("60000"), p))).isEqualTo("+OK\r\n");
      long after = System.currentTimeMillis();
      assertThat(c.call(List.of(b("RESTORE"), b("a"), b("4102444800000"), p, b("ABSTTL"))))
          .isEqualTo("+OK\r\n");
      java.util.concurrent.CompletableFuture<long[]> f = new java.util.concurrent.CompletableFuture<>();
      kiln.kiln().shards().get(0).context().runOnContext(v -> f.complete(new long[] {
          kiln.kiln().shards().get(0).shard().db(0).expireAt(b("t")),
          kiln.kiln().shards().get(0).shard().db(0).expireAt(b("a"))}));
      long[] at = f.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(at[0]).isBetween(before + 60000, after + 60000);
      assertThat(at[1]).isEqualTo(4102444800000L);
    }
  }

  @Test
  void restoreCountsAsOneChange() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.call("SET", "src", "v");
      byte[] p = payload(c.call("DUMP", "src"));
      long before = dirty(c);
      c.call(List.of(b("RESTORE"), b("x"), b("0"), p));
      c.call(List.of(b("RESTORE"), b("x"), b("0"), p, b("REPLACE")));
      assertThat(dirty(c) - before).isEqualTo(2);
    }
  }

  private static long dirty(RespClient c) {
    for (String line : c.call("INFO", "persistence").split("\r\n")) {
      if (line.startsWith("rdb_changes_since_last_save:")) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1));
      }
    }
    throw new AssertionError("no rdb_changes_since_last_save");
  }
}
