package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.config.Config;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** INFO, CONFIG, SLOWLOG, MONITOR and SHUTDOWN against a real Kiln. */
class ServerCommandsTest {
  @TempDir Path tmp;

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.onSpinWait();
    }
  }

  @Test
  void infoEverythingHasEverySectionAndIdlePersistenceFields() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      String info = c.call("INFO", "everything");
      for (String section : List.of("Server", "Clients", "Memory", "Persistence", "Stats",
          "Replication", "CPU", "Modules", "Commandstats", "Errorstats", "Cluster",
          "Keyspace")) {
        assertThat(info).contains("# " + section + "\r\n");
      }
      assertThat(info).contains("\r\nloading:0\r\n", "\r\nredis_version:7.0.15\r\n",
          "\r\nkiln_version:", "\r\nrole:master\r\n", "\r\nconnected_slaves:0\r\n",
          "\r\nrdb_bgsave_in_progress:0\r\n", "\r\nrdb_last_bgsave_status:ok\r\n",
          "\r\naof_enabled:0\r\n", "\r\ntcp_port:" + kiln.port() + "\r\n",
          "\r\nrun_id:" + kiln.kiln().runId() + "\r\n", "\r\nconnected_clients:1\r\n");
      assertThat(info).containsPattern("\r\nmaster_replid:[0-9a-f]{40}\r\n");
      assertThat(info).containsPattern("\r\nused_memory:[1-9][0-9]*\r\n");
    }
  }

  @Test
  void infoDefaultLeavesOutCommandstats() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      String info = c.call("INFO");
      assertThat(info).contains("# Server\r\n", "# Keyspace\r\n")
          .doesNotContain("# Commandstats");
      assertThat(c.call("INFO", "cluster", "server"))
          .matches("(?s)\\$\\d+\r\n# Server\r\n.*\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n");
    }
  }

  @Test
  void commandstatsCountCallsAndSubcommands() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.call("PING");
      c.call("PING");
      c.call("PING");
      c.call("CONFIG", "GET", "hz");
      c.call("CONFIG", "SET", "hz", "nope");
      String stats = c.call("INFO", "commandstats");
      assertThat(stats).containsPattern(
          "cmdstat_ping:calls=3,usec=\\d+,usec_per_call=\\d+\\.\\d\\d,rejected_calls=0,"
              + "failed_calls=0\r\n");
      assertThat(stats).contains("cmdstat_config|get:calls=1,")
          .containsPattern("cmdstat_config\\|set:calls=1,.*failed_calls=1\r\n");
    }
  }

  @Test
  void keyspaceAndDirtyCountFollowWrites() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.call("SET", "a", "1");
      c.call("SET", "b", "2");
      assertThat(c.call("INFO", "keyspace")).contains("db0:keys=2,expires=0,avg_ttl=0\r\n");
      assertThat(c.call("INFO", "persistence")).contains("rdb_changes_since_last_save:2\r\n");
      c.call("FLUSHALL");
      assertThat(c.call("INFO", "persistence")).contains("rdb_changes_since_last_save:4\r\n");
      assertThat(c.call("INFO", "keyspace")).isEqualTo("$12\r\n# Keyspace\r\n\r\n");
    }
  }

  @Test
  void flushallWithSavePointsSavesAndLeavesNoChangeUnsaved() throws Exception {
    try (TestKiln kiln = TestKiln.start("save", "3600 1 300 100 60 10000");
        RespClient c = kiln.client()) {
      c.call("SET", "key", "value");
      assertThat(c.call("INFO", "persistence")).contains("rdb_changes_since_last_save:1\r\n");
      assertThat(c.call("FLUSHALL")).isEqualTo("+OK\r\n");
      assertThat(c.call("INFO", "persistence")).contains("rdb_changes_since_last_save:0\r\n",
          "rdb_saves:1\r\n");
    }
  }

  @Test
  void infoIsAVerbatimStringUnderResp3() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.call("HELLO", "3");
      assertThat(c.call("INFO", "cluster")).isEqualTo("=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n");
    }
  }

  @Test
  void configResetstatClearsCounters() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.call("NOSUCH");
      assertThat(c.call("INFO", "errorstats")).contains("errorstat_ERR:count=1");
      assertThat(c.call("CONFIG", "RESETSTAT")).isEqualTo("+OK\r\n");
      assertThat(c.call("INFO", "errorstats")).isEqualTo("$14\r\n# Errorstats\r\n\r\n");
      assertThat(c.call("INFO", "stats")).contains("total_commands_processed:2\r\n");
    }
  }

  @Test
  void protoMaxBulkLenAppliesToALiveConnection() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient admin = kiln.client();
        RespClient other = kiln.client()) {
      assertThat(other.call("PING")).isEqualTo("+PONG\r\n");
      assertThat(admin.call("CONFIG", "SET", "proto-max-bulk-len", "1mb")).isEqualTo("+OK\r\n");
      // The setting reaches other connections through their event loop: poll until it has.
      long deadline = System.nanoTime() + 10_000_000_000L;
      String reply;
      RespClient probe = other;
      while (true) {
        probe.sendRaw("*2\r\n$4\r\nECHO\r\n$2000000\r\n");
        reply = probe.readReply();
        if (reply.startsWith("-") || System.nanoTime() > deadline) {
          break;
        }
      }
      assertThat(reply).isEqualTo("-ERR Protocol error: invalid bulk length\r\n");
      assertThat(other.closedByServer()).isTrue();
    }
  }

  @Test
  void configRewriteWritesTheConfigFile() throws Exception {
    Path file = tmp.resolve("kiln.conf");
    Files.writeString(file, "# test\nhz 10\n");
    Config config = Config.load(file.toString(),
        List.of("--port", "0", "--bind", "127.0.0.1", "--save", ""));
    try (TestKiln kiln = TestKiln.start(config); RespClient c = kiln.client()) {
      assertThat(c.call("CONFIG", "SET", "hz", "25")).isEqualTo("+OK\r\n");
      // a pipelined PING must be answered after the rewrite's reply
      c.sendRaw("*2\r\n$6\r\nCONFIG\r\n$7\r\nREWRITE\r\n*1\r\n$4\r\nPING\r\n");
      assertThat(c.readReply()).isEqualTo("+OK\r\n");
      assertThat(c.readReply()).isEqualTo("+PONG\r\n");
      assertThat(Files.readAllLines(file)).contains("# test", "hz 25");
      assertThat(c.call("INFO", "server")).contains("config_file:" + file.toAbsolutePath());
    }
  }

  @Test
  void slowlogRecordsArgumentsAddressAndName() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.call("CLIENT", "SETNAME", "slowpoke");
      c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
      c.call("SET", "k", "v");
      String entry = c.call("SLOWLOG", "GET", "1");
      assertThat(entry).matches("(?s)\\*1\r\n\\*6\r\n:\\d+\r\n:\\d+\r\n:\\d+\r\n"
          + "\\*3\r\n\\$3\r\nSET\r\n\\$1\r\nk\r\n\\$1\r\nv\r\n\\$\\d+\r\n127\\.0\\.0\\.1:\\d+\r\n"
          + "\\$8\r\nslowpoke\r\n");
      assertThat(c.call("SLOWLOG", "RESET")).isEqualTo("+OK\r\n");
      assertThat(c.call("SLOWLOG", "LEN")).isEqualTo(":1\r\n"); // the RESET itself is logged
    }
  }

  @Test
  void aSlowlogEntryKeepsTheValueItLogged() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
      c.call("SET", "k", "old");
      c.call("SET", "k", "new"); // same length: overwrites the stored array in place
      assertThat(c.call("SLOWLOG", "GET", "2")).contains("\r\nk\r\n$3\r\nold\r\n")
          .contains("\r\nk\r\n$3\r\nnew\r\n");
    }
  }

  @Test
  void aBlockedCommandIsLoggedWhenItIsServedNotWhenItBlocks() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client();
        RespClient w = kiln.client()) {
      c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
      w.send("BLPOP", "l", "0");
      await(() -> c.call("INFO", "clients").contains("\r\nblocked_clients:1\r\n"), "BLPOP");
      c.call("MULTI");
      c.call("LPUSH", "l", "foo");
      c.call("SLOWLOG", "RESET");
      c.call("EXEC");
      assertThat(w.readReply()).isEqualTo("*2\r\n$1\r\nl\r\n$3\r\nfoo\r\n");
      // the newest entry is the served BLPOP, as Redis logs it (with its arguments as sent)
      assertThat(c.call("SLOWLOG", "GET", "1"))
          .contains("*3\r\n$5\r\nBLPOP\r\n$1\r\nl\r\n$1\r\n0\r\n");
    }
  }

  @Test
  void debugSleepIsLoggedOnceWithTheTimeItSlept() throws Exception {
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes"); RespClient c = kiln.client()) {
      c.call("CONFIG", "SET", "slowlog-log-slower-than", "100000");
      c.call("CONFIG", "SET", "latency-monitor-threshold", "100");
      c.call("SLOWLOG", "RESET");
      assertThat(c.call("DEBUG", "SLEEP", "0.2")).isEqualTo("+OK\r\n");
      assertThat(c.call("LATENCY", "HISTORY", "command")).matches("(?s)\\*1\r\n\\*2\r\n.*");
      // Redis's sleep holds its server: the entry has the 0.2 s, though Kiln's loop went on
      String entry = c.call("SLOWLOG", "GET", "1");
      assertThat(entry).contains("*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.2\r\n");
      java.util.regex.Matcher m = java.util.regex.Pattern
          .compile("\\*6\r\n:\\d+\r\n:\\d+\r\n:(\\d+)\r\n").matcher(entry);
      assertThat(m.find()).isTrue();
      assertThat(Long.parseLong(m.group(1))).isGreaterThanOrEqualTo(200_000);
      c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
      c.call("SLOWLOG", "RESET");
      c.call("DEBUG", "SLEEP", "0.01");
      // RESET, CONFIG SET... and one DEBUG entry, not one when it starts and one when it ends
      assertThat(c.call("SLOWLOG", "GET", "-1").split("\\$5\r\nDEBUG\r\n", -1)).hasSize(2);
    }
  }

  @Test
  void monitorSeesAnotherClientsCommand() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient mon = kiln.client();
        RespClient c = kiln.client()) {
      assertThat(mon.call("MONITOR")).isEqualTo("+OK\r\n");
      c.call("SELECT", "2");
      c.call("SET", "foo", "a b\n");
      assertThat(mon.readReply()).matches(
          "\\+\\d+\\.\\d{6} \\[2 127\\.0\\.0\\.1:\\d+\\] \"SELECT\" \"2\"\r\n");
      assertThat(mon.readReply()).matches(
          "\\+\\d+\\.\\d{6} \\[2 127\\.0\\.0\\.1:\\d+\\] \"SET\" \"foo\" \"a b\\\\n\"\r\n");
    }
  }

  @Test
  void monitorShowsAScriptBeforeTheCommandsItRunsAndThoseAsLua() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient mon = kiln.client();
        RespClient c = kiln.client()) {
      assertThat(mon.call("MONITOR")).isEqualTo("+OK\r\n");
      c.call("EVAL", "redis.call('set', KEYS[1], ARGV[1])", "1", "foo", "bar");
      assertThat(mon.readReply()).matches("\\+\\d+\\.\\d{6} \\[0 127\\.0\\.0\\.1:\\d+\\] \"EVAL\".*\r\n");
      assertThat(mon.readReply()).endsWith(" [0 lua] \"set\" \"foo\" \"bar\"\r\n");
    }
  }

  @Test
  void monitorAndSlowlogRedactSecrets() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient mon = kiln.client();
        RespClient c = kiln.client()) {
      assertThat(mon.call("MONITOR")).isEqualTo("+OK\r\n");
      c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
      c.call("AUTH", "user", "secret");
      c.call("HELLO", "2", "AUTH", "default", "secret2");
      c.call("CONFIG", "SET", "requirepass", "secret3");
      assertThat(mon.readReply()).endsWith("] \"AUTH\" \"(redacted)\" \"(redacted)\"\r\n");
      assertThat(mon.readReply()).endsWith(
          "] \"HELLO\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\"\r\n");
      String log = c.call("SLOWLOG", "GET", "-1");
      assertThat(log).doesNotContain("secret").contains("(redacted)");
    }
  }

  @Test
  void requirepassAppliesToNewConnections() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient admin = kiln.client()) {
      assertThat(admin.call("CONFIG", "SET", "requirepass", "pw")).isEqualTo("+OK\r\n");
      assertThat(admin.call("PING")).isEqualTo("+PONG\r\n"); // already authenticated
      try (RespClient fresh = kiln.client()) {
        assertThat(fresh.call("PING")).isEqualTo("-NOAUTH Authentication required.\r\n");
        assertThat(fresh.call("AUTH", "pw")).isEqualTo("+OK\r\n");
      }
    }
  }

  @Test
  void maxclientsAppliesToNewConnections() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient admin = kiln.client()) {
      assertThat(admin.call("CONFIG", "SET", "maxclients", "1")).isEqualTo("+OK\r\n");
      try (RespClient extra = kiln.client()) {
        assertThat(extra.readReply()).isEqualTo("-ERR max number of clients reached\r\n");
      }
      assertThat(admin.call("INFO", "stats")).contains("rejected_connections:1\r\n");
    }
  }

  @Test
  void timeIsNow() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      String[] parts = c.call("TIME").split("\r\n");
      long secs = Long.parseLong(parts[2]);
      assertThat(secs).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(5L));
      assertThat(Long.parseLong(parts[4])).isBetween(0L, 999_999L);
    }
  }

  @Test
  void shutdownStopsTheServer() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      int port = kiln.port();
      assertThat(c.call("SHUTDOWN", "ABORT")).isEqualTo("-ERR No shutdown in progress.\r\n");
      c.send("SHUTDOWN", "NOSAVE");
      assertThat(c.closedByServer()).isTrue();
      await(() -> {
        try (Socket s = new Socket("127.0.0.1", port)) {
          return false;
        } catch (java.io.IOException refused) {
          return true;
        }
      }, "the port to close");
    }
  }
}
