package io.kiln.rdb;

import static io.kiln.rdb.RdbTestSupport.b;
import static io.kiln.rdb.RdbTestSupport.canon;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The writer's files and DUMP payloads against the real redis-check-rdb and redis-server. */
class RdbRealRedisTest {
  @TempDir
  Path tmp;

  private Path writeAll(boolean compression) throws Exception {
    Path file = tmp.resolve("dump.rdb");
    try (OutputStream out = Files.newOutputStream(file)) {
      RdbWriter w = new RdbWriter(out, new RdbWriter.Options().compression(compression));
      w.writeHeader();
      w.writeStandardAux(System.currentTimeMillis() / 1000, 123456);
      Map<String, RdbValue> all = RdbRoundTripTest.allTypes();
      w.writeSelectDb(0);
      w.writeResizeDb(all.size(), 1);
      for (Map.Entry<String, RdbValue> e : all.entrySet()) {
        long exp = e.getKey().equals("s-short") ? 4102444800000L : -1;
        w.writeKey(b(e.getKey()), e.getValue(), exp, 10, -1);
      }
      w.writeSelectDb(3);
      w.writeResizeDb(1, 0);
      w.writeKey(b("in-db3"), RdbTestSupport.str("three"), -1);
      w.writeEof();
    }
    return file;
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void redisCheckRdbAcceptsTheWritersFiles(boolean compression) throws Exception {
    Assumptions.assumeTrue(new File("/usr/bin/redis-check-rdb").canExecute(),
        "redis-check-rdb is not installed (apt-get install redis-tools): check skipped");
    Path file = writeAll(compression);
    Process p = new ProcessBuilder("/usr/bin/redis-check-rdb", file.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("Checksum OK").contains("RDB looks OK")
        .contains("[info] " + (RdbRoundTripTest.allTypes().size() + 1) + " keys read");
  }

  @Test
  void redisServerLoadsTheWritersFile() throws Exception {
    Path file = writeAll(true);
    try (RealRedis r = RealRedis.start("--dir", tmp.toString(), "--dbfilename", "dump.rdb");
        RespClient c = r.client()) {
      assertThat(c.call("DBSIZE")).isEqualTo(":" + RdbRoundTripTest.allTypes().size() + "\r\n");
      assertThat(c.call("GET", "s-int32")).isEqualTo("$11\r\n-2000000000\r\n");
      assertThat(c.call("STRLEN", "s-big")).isEqualTo(":90000\r\n");
      assertThat(c.call("GET", "s-long-repetitive")).isEqualTo("$300\r\n" + "abc".repeat(100)
          + "\r\n");
      assertThat(c.call("PEXPIRETIME", "s-short")).isEqualTo(":4102444800000\r\n");
      assertThat(c.call("LLEN", "l-big")).isEqualTo(":5001\r\n");
      assertThat(c.call("LINDEX", "l-big", "4321")).isEqualTo("$12\r\nelement-4321\r\n");
      assertThat(c.call("LRANGE", "l-small", "0", "-1")).isEqualTo(
          "*7\r\n$1\r\na\r\n$1\r\n1\r\n$5\r\n-5000\r\n$6\r\n100000\r\n"
              + "$19\r\n9223372036854775807\r\n$0\r\n\r\n$2\r\nzz\r\n");
      assertThat(c.call("OBJECT", "ENCODING", "set-intset")).isEqualTo("$6\r\nintset\r\n");
      assertThat(c.call("SISMEMBER", "set-intset64", "-9223372036854775808"))
          .isEqualTo(":1\r\n");
      assertThat(c.call("SCARD", "set-many-ints")).isEqualTo(":600\r\n");
      assertThat(c.call("OBJECT", "ENCODING", "h-small")).isEqualTo("$8\r\nlistpack\r\n");
      assertThat(c.call("HGET", "h-big", "field599")).isEqualTo("$8\r\nvalue599\r\n");
      assertThat(c.call("OBJECT", "ENCODING", "z-small")).isEqualTo("$8\r\nlistpack\r\n");
      assertThat(c.call("ZRANGE", "z-small", "0", "2")).isEqualTo(
          "*3\r\n$1\r\nf\r\n$1\r\nc\r\n$1\r\ng\r\n");
      assertThat(c.call("ZSCORE", "z-small", "d")).isEqualTo("$23\r\n1.0000000000000001e+300\r\n");
      assertThat(c.call("ZSCORE", "z-big", "m299")).isEqualTo("$18\r\n99.666666666666671\r\n");
      assertThat(c.call("OBJECT", "ENCODING", "z-big")).isEqualTo("$8\r\nskiplist\r\n");
      c.call("SELECT", "3");
      assertThat(c.call("GET", "in-db3")).isEqualTo("$5\r\nthree\r\n");
    }
  }

  @Test
  void dumpPayloadsAreInterchangeableWithRedis() throws Exception {
    try (RealRedis r = RealRedis.start(); RespClient c = r.client()) {
      for (Map.Entry<String, RdbValue> e : RdbRoundTripTest.allTypes().entrySet()) {
        byte[] ours = Dump.serialize(e.getValue(), new RdbWriter.Options());
        String reply = c.call(List.of(b("RESTORE"), b(e.getKey()), b("0"), ours));
        assertThat(reply).as(e.getKey()).isEqualTo("+OK\r\n");
        String dumped = c.call("DUMP", e.getKey());
        byte[] theirs = bulk(dumped);
        assertThat(canon(Dump.restore(theirs))).as(e.getKey()).isEqualTo(canon(e.getValue()));
        if (BYTE_EXACT.contains(e.getKey())) {
          // Redis re-dumps these byte for byte as we wrote them (LZF output and hash table
          // order may differ elsewhere)
          assertThat(theirs).as(e.getKey()).isEqualTo(ours);
        }
      }
    }
  }

  private static final java.util.Set<String> BYTE_EXACT = java.util.Set.of("s-int8",
      "s-int16", "s-int32", "s-bigint", "s-notcanon", "s-minus0", "s-empty", "s-short",
      "l-small", "set-intset", "h-small", "z-small", "z-big");

  private static byte[] bulk(String reply) {
    int crlf = reply.indexOf("\r\n");
    int n = Integer.parseInt(reply.substring(1, crlf));
    return reply.substring(crlf + 2, crlf + 2 + n).getBytes(StandardCharsets.ISO_8859_1);
  }
}
