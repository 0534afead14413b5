package io.kiln.script;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.config.Config;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How scripts run beside other clients: atomically, in slices that keep the event loop serving
 * (-BUSY past busy-reply-threshold, SCRIPT KILL, UNKILLABLE), with their effects in the AOF as
 * one transaction. Replies as Redis's (the differential corpus checks the texts). Test thread.
 */
class ScriptingTest {
  @TempDir
  Path dir;

  /** A loop that runs about {@code seconds} of server time (TIME from the script). */
  private static String busyFor(double seconds) {
    return "local t = redis.call('time') local t0 = t[1] * 1e6 + t[2] "
        + "repeat t = redis.call('time') until t[1] * 1e6 + t[2] - t0 >= " + (long) (seconds * 1e6);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(5); // polls the server, not a stand-in for synchronization
    }
  }

  @Test
  void aLongReadOnlyScriptAnswersBusyThenIsKilledAndTheServerGoesOn() throws Exception {
    try (TestKiln kiln = TestKiln.start("busy-reply-threshold", "50");
        RespClient runner = kiln.client(); RespClient other = kiln.client()) {
      runner.send("EVAL", "while true do end", "0");
      runner.send("PING"); // pipelined behind the script: answered after it
      await(() -> other.call("PING").startsWith("-BUSY"), "the script is busy");
      assertThat(other.call("GET", "x")).isEqualTo("-BUSY Redis is busy running a script. "
          + "You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n");
      assertThat(other.call("SCRIPT", "KILL")).isEqualTo("+OK\r\n");
      assertThat(runner.readReply()).startsWith("-ERR Script killed by user with SCRIPT KILL...");
      assertThat(runner.readReply()).isEqualTo("+PONG\r\n");
      assertThat(other.call("PING")).isEqualTo("+PONG\r\n");
    }
  }

  @Test
  void pcallInALoopCannotSwallowTheKill() throws Exception {
    try (TestKiln kiln = TestKiln.start("busy-reply-threshold", "50");
        RespClient runner = kiln.client(); RespClient other = kiln.client()) {
      runner.send("EVAL", "local f = function() while 1 do redis.call('ping') end end "
          + "while 1 do pcall(f) end", "0");
      await(() -> other.call("PING").startsWith("-BUSY"), "the script is busy");
      assertThat(other.call("SCRIPT", "KILL")).isEqualTo("+OK\r\n");
      assertThat(runner.readReply()).contains("killed by user");
      assertThat(other.call("SCRIPT", "KILL"))
          .isEqualTo("-NOTBUSY No scripts in execution right now.\r\n");
    }
  }

  @Test
  void aScriptThatWroteCannotBeKilledAndEndsWhole() throws Exception {
    try (TestKiln kiln = TestKiln.start("busy-reply-threshold", "50");
        RespClient runner = kiln.client(); RespClient other = kiln.client()) {
      runner.send("EVAL", "redis.call('set', 'x', '1') " + busyFor(0.6)
          + " redis.call('set', 'x', '2') return 'done'", "0");
      await(() -> other.call("PING").startsWith("-BUSY"), "the script is busy");
      assertThat(other.call("SCRIPT", "KILL")).startsWith("-UNKILLABLE Sorry the script already "
          + "executed write commands against the dataset.");
      assertThat(runner.readReply()).isEqualTo("$4\r\ndone\r\n");
      assertThat(other.call("GET", "x")).isEqualTo("$1\r\n2\r\n");
    }
  }

  @Test
  void otherClientsWaitForTheWholeScriptBeforeTheThreshold() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient runner = kiln.client();
        RespClient other = kiln.client()) {
      runner.send("EVAL", "redis.call('set', 'x', 'first') " + busyFor(0.3)
          + " redis.call('set', 'x', 'last') return 1", "0");
      // whenever this GET runs, it runs before the script or after all of it
      String seen = other.call("GET", "x");
      assertThat(seen).isIn("$-1\r\n", "$4\r\nlast\r\n");
      assertThat(runner.readReply()).isEqualTo(":1\r\n");
      assertThat(other.call("GET", "x")).isEqualTo("$4\r\nlast\r\n");
    }
  }

  @Test
  void aFiveSecondScriptLeavesTheEventLoopFree() throws Exception {
    // TestKiln fails the test on any blocked-thread warning of Vert.x
    try (TestKiln kiln = TestKiln.start(); RespClient runner = kiln.client().timeout(15_000)) {
      long t0 = System.nanoTime();
      assertThat(runner.call("EVAL", busyFor(5) + " return 'ok'", "0"))
          .isEqualTo("$2\r\nok\r\n");
      assertThat(System.nanoTime() - t0).isGreaterThan(4_900_000_000L);
    }
  }

  @Test
  void whatAScriptPublishesAndPushesReachesOtherClientsAfterIt() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient runner = kiln.client();
        RespClient subscriber = kiln.client(); RespClient popper = kiln.client()) {
      subscriber.call("SUBSCRIBE", "ch");
      popper.send("BLPOP", "q", "0");
      await(() -> runner.call("INFO", "clients").contains("blocked_clients:1\r\n"), "BLPOP waits");
      assertThat(runner.call("EVAL", "redis.call('publish', 'ch', 'm1') "
          + "redis.call('rpush', 'q', 'a', 'b') return redis.call('llen', 'q')", "0"))
          .as("the pop waits for the end of the script").isEqualTo(":2\r\n");
      assertThat(subscriber.readReply())
          .isEqualTo("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nm1\r\n");
      assertThat(popper.readReply()).isEqualTo("*2\r\n$1\r\nq\r\n$1\r\na\r\n");
    }
  }

  @Test
  void scriptEffectsReplayFromTheAofAsOneTransaction() throws Exception {
    Config config = Config.defaults().with("port", "0").with("bind", "127.0.0.1")
        .with("save", "").with("dir", dir.toString()).with("appendonly", "yes");
    try (TestKiln kiln = TestKiln.start(config); RespClient c = kiln.client()) {
      assertThat(c.call("EVAL", "redis.call('set', KEYS[1], ARGV[1]) "
          + "redis.call('incrby', 'n', 5) redis.call('expire', KEYS[1], 100) "
          + "return redis.call('spop', 'noset')", "1", "k", "v")).isEqualTo("$-1\r\n");
      assertThat(c.call("EVAL", "redis.set_repl(redis.REPL_NONE) redis.call('set', 'ghost', 1) "
          + "redis.set_repl(redis.REPL_ALL) redis.call('set', 'kept', 1)", "0")).isEqualTo("$-1\r\n");
      assertThat(c.call("EVAL", "redis.call('select', 3) redis.call('set', 'in3', 'x')", "0"))
          .isEqualTo("$-1\r\n");
      assertThat(c.call("SCRIPT", "LOAD", "return redis.call('incr', 'n')")).startsWith("$40");
      assertThat(c.call("EVALSHA", LuaEngine.sha1hex("return redis.call('incr', 'n')"
          .getBytes()), "0")).isEqualTo(":6\r\n");
    }
    String aof = Files.readString(dir.resolve("appendonly.aof"),
        java.nio.charset.StandardCharsets.ISO_8859_1);
    assertThat(aof).contains("*1\r\n$5\r\nMULTI\r\n").contains("*1\r\n$4\r\nEXEC\r\n")
        .doesNotContain("EVAL").doesNotContain("ghost").contains("kept");
    try (TestKiln kiln = TestKiln.start(config); RespClient c = kiln.client()) {
      assertThat(c.call("GET", "k")).isEqualTo("$1\r\nv\r\n");
      assertThat(c.call("GET", "n")).isEqualTo("$1\r\n6\r\n");
      assertThat(Long.parseLong(c.call("TTL", "k").substring(1).trim())).isBetween(90L, 100L);
      assertThat(c.call("EXISTS", "ghost", "kept")).isEqualTo(":1\r\n");
      c.call("SELECT", "3");
      assertThat(c.call("GET", "in3")).isEqualTo("$1\r\nx\r\n");
    }
  }

  @Test
  void infoCountsCachedScriptsAndScriptFlushFreesThem() throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      c.call("SCRIPT", "LOAD", "return 1");
      c.call("EVAL", "return 2", "0");
      String info = c.call("INFO", "memory");
      assertThat(info).contains("number_of_cached_scripts:2\r\n")
          .doesNotContain("used_memory_lua:0\r\n").doesNotContain("used_memory_scripts:0\r\n");
      assertThat(c.call("SCRIPT", "FLUSH")).isEqualTo("+OK\r\n");
      assertThat(c.call("INFO", "memory")).contains("number_of_cached_scripts:0\r\n")
          .contains("used_memory_scripts_eval:0\r\n");
      assertThat(c.call("EVALSHA", LuaEngine.sha1hex("return 1".getBytes()), "0"))
          .startsWith("-NOSCRIPT");
    }
  }

  @Test
  void anExecRefusedWhileAScriptIsBusyDiscardsTheTransaction() throws Exception {
    try (TestKiln kiln = TestKiln.start("busy-reply-threshold", "50");
        RespClient runner = kiln.client(); RespClient tx = kiln.client();
        RespClient admin = kiln.client()) {
      tx.call("SET", "xx", "1");
      tx.call("MULTI");
      tx.call("INCR", "xx");
      runner.send("EVAL", "while true do end", "0");
      await(() -> admin.call("PING").startsWith("-BUSY"), "the script is busy");
      assertThat(tx.call("EXEC")).isEqualTo("-EXECABORT Transaction discarded because of: BUSY "
          + "Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n");
      assertThat(admin.call("SCRIPT", "KILL")).isEqualTo("+OK\r\n");
      assertThat(runner.readReply()).contains("killed by user");
      assertThat(tx.call("PING", "asdf")).as("no longer in MULTI").isEqualTo("$4\r\nasdf\r\n");
      assertThat(tx.call("GET", "xx")).isEqualTo("$1\r\n1\r\n");
    }
  }
}
