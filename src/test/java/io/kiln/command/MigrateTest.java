package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * MIGRATE from a real Kiln to a real redis-server 7.0 and to another Kiln: the keys arrive with
 * their TTL, leave here unless COPY, are propagated as DEL, and the target's errors and I/O
 * failures come back in Redis's words. Test thread.
 */
class MigrateTest {
  @Test
  void keysMoveToRedisWithTheirTtlAndTheTargetsErrorsComeBack() throws Exception {
    Assumptions.assumeTrue(RealRedis.installed(), "redis-server not installed");
    try (RealRedis redis = RealRedis.start(); RespClient target = redis.client();
        TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      String port = Integer.toString(redis.port());
      c.call("RPUSH", "l", "x", "y", "z");
      c.call("PEXPIRE", "l", "100000");
      c.call("SET", "s", "v");
      assertThat(c.call("MIGRATE", "127.0.0.1", port, "", "3", "5000", "KEYS", "l", "s", "none"))
          .isEqualTo("+OK\r\n");
      assertThat(c.call("EXISTS", "l", "s")).isEqualTo(":0\r\n");
      target.call("SELECT", "3");
      assertThat(target.call("LRANGE", "l", "0", "-1")).isEqualTo("*3\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n");
      assertThat(Long.parseLong(target.call("PTTL", "l").trim().substring(1))).isBetween(1L, 100000L);
      assertThat(target.call("GET", "s")).isEqualTo("$1\r\nv\r\n");
      // nothing to move; the target refuses a key it has; COPY REPLACE keeps ours
      assertThat(c.call("MIGRATE", "127.0.0.1", port, "s", "3", "5000")).isEqualTo("+NOKEY\r\n");
      c.call("SET", "s", "w");
      assertThat(c.call("MIGRATE", "127.0.0.1", port, "s", "3", "5000")).isEqualTo(
          "-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n");
      assertThat(c.call("MIGRATE", "127.0.0.1", port, "s", "3", "5000", "COPY", "REPLACE"))
          .isEqualTo("+OK\r\n");
      assertThat(c.call("GET", "s")).isEqualTo("$1\r\nw\r\n");
      assertThat(target.call("GET", "s")).isEqualTo("$1\r\nw\r\n");
      assertThat(c.call("MIGRATE", "127.0.0.1", port, "s", "3", "5000", "AUTH2", "u", "p"))
          .isEqualTo("-ERR Target instance replied with error: WRONGPASS invalid username-password"
              + " pair or user is disabled.\r\n");
      assertThat(c.call("MIGRATE", "127.0.0.1", Integer.toString(RealRedis.freePort()), "s", "3",
          "1000")).isEqualTo("-IOERR error or timeout writing to target instance\r\n");
      assertThat(c.call("MIGRATE", "127.0.0.1", port, "s", "3", "5000", "KEYS", "s")).isEqualTo(
          "-ERR When using MIGRATE KEYS option, the key argument must be set to the empty string\r\n");
      assertThat(c.call("GET", "s")).isEqualTo("$1\r\nw\r\n"); // failures leave the key here
      // Redis blocks its server for a transfer inside EXEC or a script; Kiln refuses it there
      c.call("MULTI");
      c.call("MIGRATE", "127.0.0.1", port, "s", "3", "5000");
      assertThat(c.call("EXEC")).isEqualTo(
          "*1\r\n-ERR MIGRATE is not supported inside MULTI/EXEC or a script in Kiln\r\n");
      assertThat(c.call("EVAL", "return redis.pcall('MIGRATE', '127.0.0.1', ARGV[1], 's', 3, 5000)",
          "0", port)).contains("MIGRATE is not supported inside MULTI/EXEC or a script");
      assertThat(c.call("GET", "s")).isEqualTo("$1\r\nw\r\n");
    }
  }

  @Test
  void aMigrationToAnotherKilnIsADelInTheAofAndAuthIsRedacted() throws Exception {
    Path dir = Files.createTempDirectory("kiln-migrate");
    try (TestKiln to = TestKiln.start("requirepass", "secret");
        TestKiln from = TestKiln.start("dir", dir.toString(), "appendonly", "yes",
            "appendfsync", "always");
        RespClient c = from.client(); RespClient mon = from.client()) {
      c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
      c.call("SET", "k", "v");
      assertThat(mon.call("MONITOR")).isEqualTo("+OK\r\n");
      assertThat(c.call("MIGRATE", "127.0.0.1", Integer.toString(to.port()), "k", "0", "5000",
          "AUTH", "secret")).isEqualTo("+OK\r\n");
      assertThat(mon.readReply()).contains("\"MIGRATE\"").contains("\"(redacted)\"")
          .doesNotContain("secret");
      assertThat(c.call("SLOWLOG", "GET", "1")).contains("(redacted)").doesNotContain("secret");
      try (RespClient t = to.client()) {
        t.call("AUTH", "secret");
        assertThat(t.call("GET", "k")).isEqualTo("$1\r\nv\r\n");
      }
      // under appendfsync always the OK came after the DEL was on disk
      String aof = Files.readString(dir.resolve("appendonly.aof"));
      assertThat(aof).contains("*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n").doesNotContain("MIGRATE");
    }
  }

  @Test
  void otherClientsWaitForTheTransferAndASilentTargetTimesOut() throws Exception {
    try (java.net.ServerSocket target = new java.net.ServerSocket(0);
        TestKiln kiln = TestKiln.start(); RespClient c = kiln.client();
        RespClient other = kiln.client()) {
      String port = Integer.toString(target.getLocalPort());
      c.call("SET", "k", "v");
      c.send("MIGRATE", "127.0.0.1", port, "k", "0", "5000");
      try (java.net.Socket s = target.accept()) {
        java.io.InputStream in = s.getInputStream();
        String request = new String(in.readNBytes(38), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(request).startsWith("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*4\r\n$7\r\nRESTORE");
        // a write sent while the transfer runs waits for it, as Redis's MIGRATE blocks its server
        other.send("SET", "k", "new");
        s.getOutputStream().write("+OK\r\n+OK\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(c.readReply()).isEqualTo("+OK\r\n");
      }
      assertThat(other.readReply()).isEqualTo("+OK\r\n");
      // the acknowledged key was deleted before the later SET ran: the new value stays
      assertThat(c.call("GET", "k")).isEqualTo("$3\r\nnew\r\n");
      // a target that accepts and never answers: Redis's read error after the timeout
      c.send("MIGRATE", "127.0.0.1", port, "k", "0", "300");
      try (java.net.Socket s = target.accept()) {
        assertThat(c.readReply()).isEqualTo("-IOERR error or timeout reading to target instance\r\n");
      }
      assertThat(c.call("GET", "k")).isEqualTo("$3\r\nnew\r\n");
      assertThat(c.call("INFO", "commandstats")).contains("cmdstat_migrate:calls=2,")
          .contains("failed_calls=1");
    }
  }
}
