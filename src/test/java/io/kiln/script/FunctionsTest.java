package io.kiln.script;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.config.Config;
import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Functions beside other clients and on disk, what the differential corpus (functions.txt)
 * cannot show: a long function answers -BUSY for FUNCTION KILL and is killed (the same
 * scenario run on redis-server 7.0 gives the same replies), a slow library load keeps the event
 * loop free, libraries in dump.rdb (point in time, DEBUG RELOAD, a restart) and in the AOF
 * (commands, rewrites with and without the RDB preamble), Redis 7.0's files and DUMP payloads
 * with functions both ways. Test thread.
 */
class FunctionsTest {
  @TempDir
  Path dir;

  static final String LIB = "#!lua name=mylib\n"
      + "redis.register_function('incrby2', function(keys, args) "
      + "return redis.call('incrby', keys[1], 2) end)\n"
      + "redis.register_function{function_name='get', callback=function(keys) "
      + "return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads'}";
  static final String LIB2 = "#!lua name=second\n"
      + "redis.register_function('hello', function(keys, args) return 'hello ' .. args[1] end)";
  static final String LIB3 = "#!lua name=third\n"
      + "redis.register_function('three', function() return 3 end)";

  /** A function that runs about {@code seconds} of server time (TIME from the script). */
  static final String SLOW = "#!lua name=slow\n"
      + "local function busy(s) local t = redis.call('time') local t0 = t[1] * 1e6 + t[2] "
      + "repeat t = redis.call('time') until t[1] * 1e6 + t[2] - t0 >= s * 1e6 end\n"
      + "redis.register_function('loop', function() while true do end end)\n"
      + "redis.register_function('wslow', function(keys) redis.call('set', keys[1], 'first') "
      + "busy(0.6) redis.call('set', keys[1], 'last') return 'done' end)";

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(5); // polls the server, not a stand-in for synchronization
    }
  }

  private Config config(Path d, String... directives) throws Exception {
    Files.createDirectories(d);
    Config c = Config.defaults().with("port", "0").with("bind", "127.0.0.1").with("save", "")
        .with("dir", d.toString()).with("enable-debug-command", "yes");
    for (int i = 0; i + 1 < directives.length; i += 2) {
      c.with(directives[i], directives[i + 1]);
    }
    return c;
  }

  private static RealRedis redis(Path d, String... more) throws Exception {
    Files.createDirectories(d);
    List<String> args = new ArrayList<>(List.of("--dir", d.toString()));
    args.addAll(List.of(more));
    return RealRedis.start(args.toArray(new String[0]));
  }

  /** The bytes of a bulk reply. */
  private static byte[] bulk(String reply) {
    assertThat(reply).startsWith("$");
    int nl = reply.indexOf("\r\n");
    int len = Integer.parseInt(reply.substring(1, nl));
    return reply.substring(nl + 2, nl + 2 + len).getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * What FUNCTION LIST ... WITHCODE says of a library's code (its functions are listed in
   * Redis's hash order, which changes from run to run).
   */
  private static String code(String list) {
    int at = list.indexOf("library_code\r\n");
    assertThat(at).as(list).isPositive();
    return list.substring(at);
  }

  private static String call(RespClient c, String cmd, String sub, byte[] arg) {
    return c.call(List.of(cmd.getBytes(StandardCharsets.US_ASCII),
        sub.getBytes(StandardCharsets.US_ASCII), arg));
  }

  private static void awaitInfo(RespClient c, String section, String field)
      throws InterruptedException {
    await(() -> c.call("INFO", section).contains(field), field);
  }

  // ---- beside other clients ----

  /** The busy scenario, on Kiln or Redis: every reply the other client and the runner get. */
  private static List<String> busyScenario(int port) throws Exception {
    List<String> out = new ArrayList<>();
    try (RespClient runner = new RespClient("127.0.0.1", port).timeout(15_000);
        RespClient other = new RespClient("127.0.0.1", port)) {
      out.add(other.call("FUNCTION", "LOAD", SLOW));
      // a function that only reads: FUNCTION KILL stops it, SCRIPT KILL cannot
      runner.send("FCALL", "loop", "0");
      await(() -> other.call("PING").startsWith("-BUSY"), "the function is busy");
      out.add(other.call("GET", "x"));
      out.add(other.call("SCRIPT", "KILL"));
      out.add(other.call("FUNCTION", "STATS").replaceAll(":\\d+\r\n\\$7\r\nengines",
          ":<ms>\r\n\\$7\r\nengines"));
      out.add(other.call("FUNCTION", "KILL"));
      out.add(runner.readReply());
      out.add(other.call("FUNCTION", "KILL"));
      out.add(other.call("FUNCTION", "STATS"));
      // an EVAL script: FUNCTION KILL and FUNCTION STATS answer -BUSY for SCRIPT KILL
      runner.send("EVAL", "while true do end", "0");
      await(() -> other.call("PING").startsWith("-BUSY"), "the script is busy");
      out.add(other.call("FUNCTION", "KILL"));
      out.add(other.call("FUNCTION", "STATS"));
      out.add(other.call("SCRIPT", "KILL"));
      out.add(runner.readReply());
      // a function that wrote cannot be killed and ends whole
      runner.send("FCALL", "wslow", "1", "k");
      await(() -> other.call("PING").startsWith("-BUSY"), "the writing function is busy");
      out.add(other.call("FUNCTION", "KILL"));
      out.add(runner.readReply());
      out.add(other.call("GET", "k"));
      out.add(other.call("FUNCTION", "DELETE", "slow"));
    }
    return out;
  }

  @Test
  void aLongFunctionAnswersBusyForFunctionKillAndIsKilledAsInRedis() throws Exception {
    List<String> kiln;
    try (TestKiln k = TestKiln.start("busy-reply-threshold", "50")) {
      kiln = busyScenario(k.port());
    }
    assertThat(kiln.get(1)).isEqualTo("-BUSY Redis is busy running a script. You can only "
        + "call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n");
    assertThat(kiln.get(5)).startsWith("-ERR Script killed by user with SCRIPT KILL... "
        + "script: loop, on @user_function:");
    Assumptions.assumeTrue(RealRedis.installed(), "redis-server is not installed: compared "
        + "with Kiln's own expectations only");
    List<String> real;
    try (RealRedis r = RealRedis.start("--busy-reply-threshold", "50")) {
      real = busyScenario(r.port());
    }
    assertThat(kiln).isEqualTo(real);
  }

  @Test
  void aSlowLibraryLoadKeepsTheEventLoopFreeAndNeverAnswersBusy() throws Exception {
    // TestKiln fails the test on any blocked-thread warning of Vert.x
    try (TestKiln kiln = TestKiln.start("busy-reply-threshold", "10");
        RespClient loader = kiln.client().timeout(15_000); RespClient other = kiln.client()) {
      long t0 = System.nanoTime();
      loader.send("FUNCTION", "LOAD", "#!lua name=endless\nlocal a = 0 while true do a = a + 1 end");
      Thread.sleep(100);
      assertThat(other.call("PING")).as("served after the load, never -BUSY")
          .isEqualTo("+PONG\r\n");
      assertThat(loader.readReply())
          .isEqualTo("-ERR Error registering functions: ERR FUNCTION LOAD timeout\r\n");
      assertThat(System.nanoTime() - t0).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(500));
      assertThat(other.call("FUNCTION", "LOAD", LIB)).isEqualTo("$5\r\nmylib\r\n");
      assertThat(other.call("FCALL", "incrby2", "1", "n")).isEqualTo(":2\r\n");
    }
  }

  // ---- dump.rdb ----

  @Test
  void functionsAreSavedAtTheirPointInTimeAndLoadedBack() throws Exception {
    Path d = dir.resolve("kiln");
    Config config = config(d);
    String listed;
    try (TestKiln kiln = TestKiln.start(config); RespClient c = kiln.client()) {
      assertThat(c.call("FUNCTION", "LOAD", LIB)).isEqualTo("$5\r\nmylib\r\n");
      assertThat(c.call("FCALL", "incrby2", "1", "k")).isEqualTo(":2\r\n");
      listed = c.call("FUNCTION", "LIST", "WITHCODE");
      assertThat(c.call("SAVE")).isEqualTo("+OK\r\n");
      assertThat(c.call("DEBUG", "RELOAD")).isEqualTo("+OK\r\n");
      assertThat(c.call("FUNCTION", "LIST", "WITHCODE")).isEqualTo(listed);
      assertThat(c.call("FCALL_RO", "get", "1", "k")).isEqualTo("$1\r\n2\r\n");
    }
    byte[] file = Files.readAllBytes(d.resolve("dump.rdb"));
    assertThat(new String(file, StandardCharsets.ISO_8859_1)).contains("#!lua name=mylib");
    try (TestKiln kiln = TestKiln.start(config); RespClient c = kiln.client()) {
      assertThat(c.call("FUNCTION", "LIST", "WITHCODE")).isEqualTo(listed);
      assertThat(c.call("FCALL", "incrby2", "1", "k")).isEqualTo(":4\r\n");
      // a BGSAVE holds the libraries of its start, whatever comes after
      for (int i = 0; i < 40; i++) {
        c.call("SET", "key" + i, "v");
      }
      c.call("CONFIG", "SET", "rdb-key-save-delay", "20000");
      assertThat(c.call("BGSAVE")).isEqualTo("+Background saving started\r\n");
      assertThat(c.call("FUNCTION", "LOAD", LIB2)).isEqualTo("$6\r\nsecond\r\n");
      assertThat(c.call("FUNCTION", "DELETE", "mylib")).isEqualTo("+OK\r\n");
      awaitInfo(c, "persistence", "rdb_bgsave_in_progress:0");
      assertThat(c.call("INFO", "persistence")).contains("rdb_last_bgsave_status:ok");
    }
    try (TestKiln kiln = TestKiln.start(config); RespClient c = kiln.client()) {
      assertThat(c.call("FUNCTION", "LIST", "WITHCODE")).isEqualTo(listed);
      assertThat(c.call("FCALL", "hello", "0", "x")).isEqualTo("-ERR Function not found\r\n");
      assertThat(c.call("DBSIZE")).isEqualTo(":41\r\n");
    }
  }

  @Test
  void aRedisDumpWithFunctionsLoadsIntoKilnAndKilnsIntoRedis() throws Exception {
    Assumptions.assumeTrue(RealRedis.installed(), "redis-server is not installed: skipped");
    Path r = dir.resolve("redis");
    String listed;
    try (RealRedis redis = redis(r); RespClient c = redis.client()) {
      c.call("FUNCTION", "LOAD", LIB);
      c.call("FUNCTION", "LOAD", LIB2);
      c.call("SET", "k", "7");
      listed = code(c.call("FUNCTION", "LIST", "LIBRARYNAME", "mylib", "WITHCODE"));
      assertThat(c.call("SAVE")).isEqualTo("+OK\r\n");
    }
    Path k = dir.resolve("kiln");
    Files.createDirectories(k);
    Files.copy(r.resolve("dump.rdb"), k.resolve("dump.rdb"));
    try (TestKiln kiln = TestKiln.start(config(k)); RespClient c = kiln.client()) {
      assertThat(code(c.call("FUNCTION", "LIST", "LIBRARYNAME", "mylib", "WITHCODE")))
          .isEqualTo(listed);
      assertThat(c.call("FCALL", "incrby2", "1", "k")).isEqualTo(":9\r\n");
      assertThat(c.call("FCALL", "hello", "0", "you")).isEqualTo("$9\r\nhello you\r\n");
      assertThat(c.call("FUNCTION", "LOAD", LIB3)).isEqualTo("$5\r\nthird\r\n");
      assertThat(c.call("SAVE")).isEqualTo("+OK\r\n");
    }
    Path check = Path.of("/usr/bin/redis-check-rdb");
    if (Files.isExecutable(check)) {
      Process p = new ProcessBuilder(check.toString(), k.resolve("dump.rdb").toString())
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(out).isZero();
      assertThat(out).contains("Checksum OK").contains("RDB looks OK");
    }
    Path r2 = dir.resolve("redis2");
    Files.createDirectories(r2);
    Files.copy(k.resolve("dump.rdb"), r2.resolve("dump.rdb"));
    try (RealRedis redis = redis(r2); RespClient c = redis.client()) {
      assertThat(code(c.call("FUNCTION", "LIST", "LIBRARYNAME", "mylib", "WITHCODE")))
          .isEqualTo(listed);
      assertThat(c.call("FCALL", "three", "0")).isEqualTo(":3\r\n");
      assertThat(c.call("FCALL", "incrby2", "1", "k")).isEqualTo(":11\r\n");
      assertThat(c.call("FUNCTION", "STATS")).contains("libraries_count\r\n:3\r\n");
    }
  }

  @Test
  void dumpPayloadsGoBothWaysWithRedis() throws Exception {
    Assumptions.assumeTrue(RealRedis.installed(), "redis-server is not installed: skipped");
    try (RealRedis redis = RealRedis.start(); RespClient r = redis.client();
        TestKiln kiln = TestKiln.start(); RespClient k = kiln.client()) {
      r.call("FUNCTION", "LOAD", LIB);
      byte[] fromRedis = bulk(r.call("FUNCTION", "DUMP"));
      assertThat(call(k, "FUNCTION", "RESTORE", fromRedis)).isEqualTo("+OK\r\n");
      assertThat(k.call("FCALL", "incrby2", "1", "n")).isEqualTo(":2\r\n");
      assertThat(bulk(k.call("FUNCTION", "DUMP"))).as("the same payload").isEqualTo(fromRedis);
      k.call("FUNCTION", "LOAD", LIB2);
      k.call("FUNCTION", "DELETE", "mylib");
      byte[] fromKiln = bulk(k.call("FUNCTION", "DUMP"));
      assertThat(call(r, "FUNCTION", "RESTORE", fromKiln)).isEqualTo("+OK\r\n");
      assertThat(r.call("FCALL", "hello", "0", "redis")).isEqualTo("$11\r\nhello redis\r\n");
      assertThat(call(r, "FUNCTION", "RESTORE", fromKiln))
          .isEqualTo("-ERR Library second already exists\r\n");
    }
  }

  // ---- the AOF ----

  /** redis-check-aof accepts {@code file} (skipped where it is not installed). */
  private static void checkAof(Path file) throws Exception {
    Path check = Path.of("/usr/bin/redis-check-aof");
    if (!Files.isExecutable(check)) {
      return;
    }
    Process p = new ProcessBuilder(check.toString(), file.toString()).redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(out).as("redis-check-aof").contains("is valid");
    assertThat(p.exitValue()).as(out).isZero();
  }

  /** FUNCTION LIST WITHCODE and the keys of a server, to compare two of them. */
  private static String state(RespClient c) {
    return c.call("FUNCTION", "LIST", "WITHCODE") + c.call("FUNCTION", "STATS")
        + c.call("MGET", "k", "n");
  }

  @Test
  void functionChangesAreInTheAofReplayedAndRewritten() throws Exception {
    Path d = dir.resolve("kiln");
    Config config = config(d, "appendonly", "yes");
    String expected;
    byte[] payload;
    try (TestKiln kiln = TestKiln.start(config); RespClient c = kiln.client()) {
      c.call("FUNCTION", "LOAD", LIB3);
      payload = bulk(c.call("FUNCTION", "DUMP"));
      c.call("FUNCTION", "FLUSH");
      assertThat(c.call("FUNCTION", "LOAD", LIB)).isEqualTo("$5\r\nmylib\r\n");
      assertThat(c.call("FCALL", "incrby2", "1", "k")).isEqualTo(":2\r\n");
      assertThat(c.call("FCALL_RO", "get", "1", "k")).isEqualTo("$1\r\n2\r\n");
      assertThat(c.call("FUNCTION", "LOAD", LIB2)).isEqualTo("$6\r\nsecond\r\n");
      assertThat(c.call("FUNCTION", "DELETE", "second")).isEqualTo("+OK\r\n");
      assertThat(call(c, "FUNCTION", "RESTORE", payload)).isEqualTo("+OK\r\n");
      assertThat(c.call("FUNCTION", "LOAD", "REPLACE", LIB.replace("keys[1], 2", "keys[1], 5")))
          .isEqualTo("$5\r\nmylib\r\n");
      assertThat(c.call("FCALL", "incrby2", "1", "k")).isEqualTo(":7\r\n");
      expected = state(c);
    }
    String aof = Files.readString(d.resolve("appendonly.aof"), StandardCharsets.ISO_8859_1);
    assertThat(aof).contains("$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n").contains("$6\r\nDELETE\r\n")
        .contains("$7\r\nRESTORE\r\n").contains("$5\r\nFLUSH\r\n")
        .contains("*1\r\n$5\r\nMULTI\r\n").doesNotContain("FCALL");
    checkAof(d.resolve("appendonly.aof"));
    Function<String, String> restartAndCompare = what -> {
      try (TestKiln kiln = TestKiln.start(config); RespClient c = kiln.client()) {
        assertThat(state(c)).as(what).isEqualTo(expected);
        return c.call("PING");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    };
    restartAndCompare.apply("the AOF replayed");
    for (String preamble : List.of("yes", "no")) {
      try (TestKiln kiln = TestKiln.start(config); RespClient c = kiln.client()) {
        c.call("CONFIG", "SET", "aof-use-rdb-preamble", preamble);
        assertThat(c.call("BGREWRITEAOF")).startsWith("+Background append only file");
        awaitInfo(c, "persistence", "aof_rewrite_in_progress:0");
        await(() -> !c.call("INFO", "persistence").contains("aof_rewrite_scheduled:1"),
            "no rewrite scheduled");
        assertThat(c.call("INFO", "persistence")).contains("aof_last_bgrewrite_status:ok");
      }
      byte[] file = Files.readAllBytes(d.resolve("appendonly.aof"));
      String text = new String(file, StandardCharsets.ISO_8859_1);
      if (preamble.equals("yes")) {
        assertThat(text).startsWith("REDIS").contains("\u00f5");
      } else {
        assertThat(text).startsWith("*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$");
      }
      checkAof(d.resolve("appendonly.aof"));
      restartAndCompare.apply("the AOF rewritten with aof-use-rdb-preamble " + preamble);
      if (RealRedis.installed()) {
        Path r = dir.resolve("redis-" + preamble);
        Files.createDirectories(r);
        Files.copy(d.resolve("appendonly.aof"), r.resolve("appendonly.aof"),
            StandardCopyOption.REPLACE_EXISTING);
        try (RealRedis redis = redis(r, "--appendonly", "yes", "--appendfilename",
            "appendonly.aof"); RespClient c = redis.client()) {
          assertThat(c.call("FUNCTION", "LIST", "LIBRARYNAME", "mylib", "WITHCODE"))
              .contains("keys[1], 5");
          assertThat(c.call("FCALL", "incrby2", "1", "k")).isEqualTo(":12\r\n");
          assertThat(c.call("FCALL", "three", "0")).isEqualTo(":3\r\n");
        }
      }
    }
    try (TestKiln kiln = TestKiln.start(config); RespClient c = kiln.client()) {
      assertThat(c.call("FUNCTION", "FLUSH")).isEqualTo("+OK\r\n");
    }
    try (TestKiln kiln = TestKiln.start(config); RespClient c = kiln.client()) {
      assertThat(c.call("FUNCTION", "LIST")).isEqualTo("*0\r\n");
      assertThat(c.call("GET", "k")).isEqualTo("$1\r\n7\r\n");
    }
  }
}
