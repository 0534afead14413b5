package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.SharedKiln;
import io.kiln.support.TestKiln;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The generic family beyond what the differential corpus can express: the glob matcher on its
 * own, SCAN's guarantee under concurrent writes, WATCH interplay, access times and the orders
 * of multi-key replies. Test thread.
 */
class KeyCommandsTest {
  /** One server for the class (each start is costly); every test begins on an empty keyspace. */
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();

  @BeforeEach
  void flush() {
    try (Jedis j = jedis()) {
      j.flushAll();
    }
  }

  private static Jedis jedis() {
    return new Jedis("127.0.0.1", kiln.port());
  }

  private static boolean glob(String pattern, String s) {
    return Glob.matches(pattern.getBytes(StandardCharsets.ISO_8859_1),
        s.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static boolean eventually(long millis, BooleanSupplier condition) {
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      LockSupport.parkNanos(10_000_000);
    }
    return condition.getAsBoolean();
  }

  // ---- Glob ----

  @Test
  void globStarsAndQuestionMarks() {
    assertThat(glob("*", "anything")).isTrue();
    assertThat(glob("h*o", "hello")).isTrue();
    assertThat(glob("h*o", "hellx")).isFalse();
    assertThat(glob("h?llo", "hallo")).isTrue();
    assertThat(glob("h?llo", "hllo")).isFalse();
    assertThat(glob("*a*b*c", "xxaxxbxxc")).isTrue();
    assertThat(glob("*a*b*c", "xxaxxcxxb")).isFalse();
    assertThat(glob("a*", "a")).isTrue();
    assertThat(glob("a**", "a")).isTrue();
    assertThat(glob("Hello", "hello")).as("case-sensitive").isFalse();
  }

  @Test
  void globEmptyStringMatchesOnlyEmptyPattern() {
    assertThat(glob("", "")).isTrue();
    assertThat(glob("*", "")).isFalse();
    assertThat(glob("**", "")).isFalse();
    assertThat(glob("", "a")).isFalse();
  }

  @Test
  void globClasses() {
    assertThat(glob("h[ae]llo", "hello")).isTrue();
    assertThat(glob("h[ae]llo", "hillo")).isFalse();
    assertThat(glob("h[^e]llo", "hello")).isFalse();
    assertThat(glob("h[^e]llo", "hallo")).isTrue();
    assertThat(glob("h[a-f]llo", "hello")).isTrue();
    assertThat(glob("h[f-a]llo", "hello")).as("reversed range").isTrue();
    assertThat(glob("h[a-d]llo", "hello")).isFalse();
    assertThat(glob("a[-]b", "a-b")).isTrue();
    // 'x-]' is the range ']'..'x', so the class is unterminated and swallows the "b" too
    assertThat(glob("a[x-]b", "a]")).isTrue();
    assertThat(glob("a[x-]b", "a]b")).isFalse();
    assertThat(glob("a[\\]]b", "a]b")).isTrue();
    assertThat(glob("a[abc", "ab")).as("unterminated class ends the pattern").isTrue();
    assertThat(glob("a[", "a")).isFalse();
    assertThat(glob("a[]b", "ab")).isFalse();
  }

  @Test
  void globEscapes() {
    assertThat(glob("a\\*b", "a*b")).isTrue();
    assertThat(glob("a\\*b", "axb")).isFalse();
    assertThat(glob("a\\?", "a?")).isTrue();
    assertThat(glob("a\\", "a\\")).as("trailing backslash is literal").isTrue();
    assertThat(glob("\\a", "a")).isTrue();
  }

  @Test
  void globHighBytesCompareSigned() {
    // As in C with signed char: 0xe9 is negative, so it lies outside a..0xef but inside 0xe0..0xef.
    assertThat(glob("x[\u00e0-\u00ef]y", "x\u00e9y")).isTrue();
    assertThat(glob("x[a-\u00ef]y", "x\u00e9y")).isFalse();
    assertThat(glob("x[\u00ef-a]y", "xby")).isFalse();
    assertThat(glob("x[\u00ef-a]y", "x\u00f0y")).isTrue();
  }

  @Test
  void globNocaseMode() {
    byte[] hello = "HeLLo".getBytes(StandardCharsets.US_ASCII);
    assertThat(Glob.matches("hello".getBytes(), hello, true)).isTrue();
    assertThat(Glob.matches("hello".getBytes(), hello, false)).isFalse();
    assertThat(Glob.matches("h[a-z]llo".getBytes(), hello, true)).isTrue();
    assertThat(Glob.matches("H[A-Z]LLO".getBytes(), hello, true)).isTrue();
    // bounds are ordered before lowering: [Z-a] becomes z..a, which holds nothing
    assertThat(Glob.matches("h[Z-a]llo".getBytes(), "hzllo".getBytes(), true)).isFalse();
    // an escaped byte inside a class still compares exactly
    assertThat(Glob.matches("h[\\E]llo".getBytes(), "hello".getBytes(), true)).isFalse();
    assertThat(Glob.matches("h\\Ello".getBytes(), "hello".getBytes(), true)).isTrue();
  }

  @Test
  void globAgreesWithRedisOnRandomPatterns() throws Exception {
    // Random patterns and keys over the bytes that matter to the matcher, checked against a
    // real redis-server's KEYS with a one-key database (skipped where it is not installed).
    String alphabet = "aab-^[]\\**??\u00e9"; // weighted toward wildcards so many cases match
    java.util.Random rnd = new java.util.Random(42);
    try (io.kiln.support.RealRedis redis = io.kiln.support.RealRedis.start();
        io.kiln.support.RespClient r = redis.client()) {
      int cases = 0;
      int matched = 0;
      for (int batch = 0; batch < 40; batch++) {
        List<String[]> pairs = new java.util.ArrayList<>();
        for (int i = 0; i < 150; i++) {
          String pattern = randomString(rnd, alphabet, 1 + rnd.nextInt(7));
          String key = i % 2 == 0 ? randomString(rnd, "ab-^[]\\\u00e9", rnd.nextInt(6))
              : keyLike(rnd, pattern);
          if (pattern.equals("*")) {
            continue;
          }
          pairs.add(new String[] {pattern, key});
          r.send("SET", key, "v");
          r.send("KEYS", pattern);
          r.send("DEL", key);
        }
        for (String[] pair : pairs) {
          r.readReply();
          boolean redisMatch = !r.readReply().equals("*0\r\n");
          r.readReply();
          assertThat(glob(pair[0], pair[1]))
              .as("pattern '%s' key '%s'", pair[0], pair[1]).isEqualTo(redisMatch);
          cases++;
          matched += redisMatch ? 1 : 0;
        }
      }
      assertThat(cases).isGreaterThan(5000);
      assertThat(matched).as("the sample holds matches too").isGreaterThan(1000);
    }
  }

  /** A key shaped by {@code pattern} (wildcards filled in at random), so many cases match. */
  private static String keyLike(java.util.Random rnd, String pattern) {
    StringBuilder b = new StringBuilder();
    for (char ch : pattern.toCharArray()) {
      switch (ch) {
        case '*' -> b.append(randomString(rnd, "ab", rnd.nextInt(3)));
        case '?' -> b.append(randomString(rnd, "ab-", 1));
        default -> b.append(ch);
      }
    }
    return b.toString();
  }

  private static String randomString(java.util.Random rnd, String alphabet, int len) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < len; i++) {
      b.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
    }
    return b.toString();
  }

  /**
   * A pattern of thousands of stars against a long key must not stall the event loop (a naive
   * backtracking matcher takes exponential time): KEYS runs it there, and the blocked-thread
   * guard fails the class when the server stops if it stalled.
   */
  @Test
  void globWithManyStarsDoesNotStallTheEventLoop() {
    try (Jedis j = jedis()) {
      j.set("a".repeat(20000) + "b", "v");
      assertThat(j.keys("*a".repeat(5000) + "*c")).isEmpty();
      assertThat(j.keys("*a".repeat(5000) + "*b")).hasSize(1);
    }
  }

  // ---- SCAN cursor parsing ----

  @Test
  void cursorParsingFollowsStrtoul() {
    assertThat(KeyCommands.parseCursor("0".getBytes())).isEqualTo(0L);
    assertThat(KeyCommands.parseCursor("".getBytes())).isEqualTo(0L);
    assertThat(KeyCommands.parseCursor("+7".getBytes())).isEqualTo(7L);
    assertThat(KeyCommands.parseCursor("-1".getBytes())).isEqualTo(-1L);
    assertThat(KeyCommands.parseCursor("18446744073709551615".getBytes())).isEqualTo(-1L);
    assertThat(KeyCommands.parseCursor("18446744073709551616".getBytes())).isNull();
    assertThat(KeyCommands.parseCursor("99999999999999999999".getBytes())).isNull();
    assertThat(KeyCommands.parseCursor(" 1".getBytes())).isNull();
    assertThat(KeyCommands.parseCursor("1 ".getBytes())).isNull();
    assertThat(KeyCommands.parseCursor("-".getBytes())).isNull();
  }

  // ---- SCAN's guarantee ----

  @Test
  void scanVisitsEveryKeyPresentThroughoutDespiteConcurrentWrites() throws Exception {
    try (Jedis j = jedis(); Jedis writer = jedis()) {
      Set<String> originals = new HashSet<>();
      Pipeline p = j.pipelined();
      for (int i = 0; i < 10_000; i++) {
        String k = "orig:" + i;
        originals.add(k);
        p.set(k, "v");
      }
      p.sync();
      Set<String> seen = new HashSet<>();
      String cursor = ScanParams.SCAN_POINTER_START;
      int round = 0;
      int added = 0;
      do {
        ScanResult<String> r = j.scan(cursor, new ScanParams().count(100));
        seen.addAll(r.getResult());
        cursor = r.getCursor();
        // Grow the table (forcing rehashes) and remove some of the added keys as we go.
        Pipeline w = writer.pipelined();
        for (int i = 0; i < 600; i++) {
          w.set("extra:" + added++, "v");
        }
        if (round % 3 == 2) {
          for (int i = added - 600; i < added - 300; i++) {
            w.del("extra:" + i);
          }
        }
        w.sync();
        round++;
      } while (!cursor.equals("0") && round < 100_000);
      assertThat(cursor).isEqualTo("0");
      Set<String> missing = new HashSet<>(originals);
      missing.removeAll(seen);
      assertThat(missing).as("original keys SCAN never returned").isEmpty();
    }
  }

  @Test
  void scanWithMatchAndTypeFilters() throws Exception {
    try (Jedis j = jedis()) {
      for (int i = 0; i < 500; i++) {
        j.set("user:" + i, "v");
        j.set("item:" + i, "v");
      }
      Set<String> seen = new HashSet<>();
      String cursor = "0";
      do {
        ScanResult<String> r = j.scan(cursor, new ScanParams().match("user:*").count(50),
            "string");
        seen.addAll(r.getResult());
        cursor = r.getCursor();
      } while (!cursor.equals("0"));
      assertThat(seen).hasSize(500).allMatch(k -> k.startsWith("user:"));
    }
  }

  @Test
  void keysReturnsEveryMatchingLiveKey() throws Exception {
    try (Jedis j = jedis()) {
      for (int i = 0; i < 100; i++) {
        j.set("a" + i, "v");
        j.set("b" + i, "v");
      }
      j.pexpireAt("a0", 1); // deleted at once
      assertThat(j.keys("a*")).hasSize(99).allMatch(k -> k.startsWith("a"));
      assertThat(j.keys("*")).hasSize(199);
      assertThat(j.keys("b[0-4]")).containsExactlyInAnyOrder("b0", "b1", "b2", "b3", "b4");
    }
  }

  @Test
  void randomkeyReturnsExistingKeys() throws Exception {
    try (Jedis j = jedis()) {
      for (int i = 0; i < 20; i++) {
        j.set("r" + i, "v");
      }
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < 500; i++) {
        String k = j.randomKey();
        assertThat(k).startsWith("r");
        seen.add(k);
      }
      assertThat(seen.size()).as("RANDOMKEY spreads over the keys").isGreaterThan(10);
    }
  }

  // ---- WATCH interplay ----

  private static List<Object> watchThenWrite(Jedis j, Jedis other, String key, String... write) {
    j.watch(key);
    other.sendCommand(() -> write[0].getBytes(StandardCharsets.US_ASCII),
        java.util.Arrays.copyOfRange(write, 1, write.length));
    Transaction t = j.multi();
    t.get(key);
    return t.exec();
  }

  /** Redis 7.0's multi.tcl "SWAPDB does not touch ... stale key" cases, with active expiry off. */
  @Test
  void swapdbBringingAnExpiredKeyWhereNoneWasDoesNotFailExec() throws Exception {
    try (TestKiln k = TestKiln.start("enable-debug-command", "yes"); RespClient c = k.client()) {
      c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
      c.call("SET", "x", "foo", "PX", "1");
      c.call("DEBUG", "SLEEP", "0.01"); // x expires unread: it stays in the table, stale
      c.call("SELECT", "1");
      c.call("WATCH", "x");
      c.call("SWAPDB", "0", "1"); // no key replaced by an expired one: no change
      c.call("MULTI");
      c.call("PING");
      assertThat(c.call("EXEC")).isEqualTo("*1\r\n+PONG\r\n");
      // the swapped-in stale key expired away by active expiry: still no change for the watch
      c.call("SELECT", "0");
      c.call("SET", "z", "foo", "PX", "1");
      c.call("DEBUG", "SLEEP", "0.01");
      c.call("SELECT", "1");
      c.call("WATCH", "z");
      c.call("SWAPDB", "0", "1");
      c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!c.call("EXISTS", "z").equals(":0\r\n")
          || c.call("INFO", "stats").contains("\r\nexpired_keys:0\r\n")) {
        assertThat(System.nanoTime()).as("active expiry deletes z").isLessThan(deadline);
        Thread.onSpinWait();
      }
      c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
      c.call("MULTI");
      c.call("PING");
      assertThat(c.call("EXEC")).isEqualTo("*1\r\n+PONG\r\n");
      // a live key swapped in still fails it
      c.call("SELECT", "0");
      c.call("SET", "y", "live");
      c.call("SELECT", "1");
      c.call("WATCH", "y");
      c.call("SWAPDB", "0", "1");
      c.call("MULTI");
      c.call("PING");
      assertThat(c.call("EXEC")).isEqualTo("*-1\r\n");
    }
  }

  @Test
  void renameFailsWatchersOfBothKeys() throws Exception {
    try (Jedis j = jedis(); Jedis other = jedis()) {
      j.set("src", "1");
      assertThat(watchThenWrite(j, other, "src", "RENAME", "src", "dst")).isNull();
      assertThat(watchThenWrite(j, other, "dst", "RENAME", "dst", "src")).isNull();
    }
  }

  @Test
  void moveFailsWatchersInTheTargetDb() throws Exception {
    try (Jedis j = jedis(); Jedis other = jedis()) {
      j.select(1);
      other.set("m", "1");
      assertThat(watchThenWrite(j, other, "m", "MOVE", "m", "1")).isNull();
      assertThat(j.get("m")).isEqualTo("1");
    }
  }

  @Test
  void swapdbFailsWatchersOfKeysInEitherDb() throws Exception {
    try (Jedis j = jedis(); Jedis other = jedis()) {
      other.select(1);
      other.set("w", "in db1");
      // j watches "w" in db 0, where it does not exist yet; the swap brings it in.
      assertThat(watchThenWrite(j, other, "w", "SWAPDB", "0", "1")).isNull();
      assertThat(j.get("w")).isEqualTo("in db1");
    }
  }

  @Test
  void expireAndPersistFailWatchers() throws Exception {
    try (Jedis j = jedis(); Jedis other = jedis()) {
      j.set("e", "1");
      assertThat(watchThenWrite(j, other, "e", "EXPIRE", "e", "100")).isNull();
      assertThat(watchThenWrite(j, other, "e", "PERSIST", "e")).isNull();
      // a no-op does not: PERSIST on a key without TTL
      assertThat(watchThenWrite(j, other, "e", "PERSIST", "e")).containsExactly("1");
    }
  }

  // ---- access time ----

  @Test
  void idletimeGrowsAndAccessResetsIt() throws Exception {
    try (Jedis j = jedis()) {
      j.set("idle", "v");
      assertThat(j.objectIdletime("idle")).isLessThanOrEqualTo(1L);
      assertThat(eventually(5_000, () -> j.objectIdletime("idle") >= 2))
          .as("OBJECT IDLETIME does not itself count as access").isTrue();
      assertThat(j.touch("idle")).isEqualTo(1);
      assertThat(j.objectIdletime("idle")).isZero();
    }
  }

  @Test
  void writeLookupsCountAsAccessButReadOnlyProbesDoNot() throws Exception {
    try (Jedis j = jedis()) {
      for (String k : List.of("probe", "ren", "mov", "cpy", "exp", "per")) {
        j.set(k, "v");
      }
      j.expire("per", 1000);
      assertThat(eventually(5_000, () -> j.objectIdletime("probe") >= 2)).isTrue();
      // TYPE, EXISTS, TTL and OBJECT look without touching (Redis's LOOKUP_NOTOUCH)
      j.type("probe");
      j.exists("probe");
      j.ttl("probe");
      assertThat(j.objectIdletime("probe")).isGreaterThanOrEqualTo(2L);
      // write lookups touch: RENAME and MOVE carry the refreshed object along
      j.rename("ren", "ren2");
      assertThat(j.objectIdletime("ren2")).isZero();
      j.move("mov", 1);
      j.select(1);
      assertThat(j.objectIdletime("mov")).isZero();
      j.select(0);
      j.copy("cpy", "cpy2", false);
      assertThat(j.objectIdletime("cpy")).isZero();
      assertThat(j.objectIdletime("cpy2")).isZero();
      j.expire("exp", 100);
      assertThat(j.objectIdletime("exp")).isZero();
      j.persist("per");
      assertThat(j.objectIdletime("per")).isZero();
    }
  }

  @Test
  void aCopyKeepsItsValueWhenTheSourceIsOverwrittenInPlace() {
    try (Jedis j = jedis()) {
      j.set("src", "abc");
      j.copy("src", "dst", false);
      j.set("src", "xyz"); // same length: overwrites the source's array in place
      j.incr("n");
      j.copy("n", "m", false);
      j.incr("n");
      assertThat(j.get("dst")).isEqualTo("abc");
      assertThat(j.get("m")).isEqualTo("1");
      assertThat(j.get("n")).isEqualTo("2");
    }
  }

  @Test
  void renameKeepsValueAndTtl() throws Exception {
    try (Jedis j = jedis()) {
      j.set("x", "v");
      j.pexpireAt("x", 4102444800000L);
      j.rename("x", "y");
      assertThat(j.pexpireTime("y")).isEqualTo(4102444800000L);
      assertThat(j.get("y")).isEqualTo("v");
      assertThat(j.exists("x")).isFalse();
    }
  }

  @Test
  void objectFreqUnderLfuPolicy() throws Exception {
    try (Jedis j = jedis()) {
      j.set("f", "v");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> j.objectFreq("f"))
          .hasMessageContaining("An LFU maxmemory policy is not selected");
    }
    try (TestKiln lfu = TestKiln.start("maxmemory-policy", "allkeys-lfu");
        Jedis j = new Jedis("127.0.0.1", lfu.port())) {
      j.set("f", "v");
      assertThat(j.objectFreq("f")).isNotNegative();
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> j.objectIdletime("f"))
          .hasMessageContaining("An LFU maxmemory policy is selected");
    }
  }


  // ---- lazy free ----

  private static long lazyfreed(Jedis j) {
    for (String line : j.info("memory").split("\r\n")) {
      if (line.startsWith("lazyfreed_objects:")) {
        return Long.parseLong(line.substring("lazyfreed_objects:".length()));
      }
    }
    throw new AssertionError("no lazyfreed_objects in INFO memory");
  }

  /** Values as redis-server 7.0 counted them in the same sequence (session 16). */
  @Test
  void lazyfreedObjectsCountsWhatRedisHandsToItsLazyFreer() {
    try (Jedis j = jedis()) {
      j.configResetStat();
      try {
        for (int i = 0; i < 100; i++) {
          j.sadd("big", "m" + i); // a hashtable of 100: above the threshold of 64
        }
        j.sadd("small", "1", "2", "3"); // an intset: effort 1
        j.sadd("big2", "a");
        for (int i = 0; i < 100; i++) {
          j.sadd("big2", "m" + i);
        }
        assertThat(j.del("big2")).isEqualTo(1); // DEL frees at once in Redis: not counted
        assertThat(j.unlink("big", "small")).isEqualTo(2);
        assertThat(lazyfreed(j)).isEqualTo(1);
        j.mset("a", "1", "b", "2");
        j.flushAll(redis.clients.jedis.args.FlushMode.ASYNC); // every key of the async flush
        assertThat(lazyfreed(j)).isEqualTo(3);
        j.configResetStat();
        assertThat(lazyfreed(j)).isZero();
        j.configSet("lazyfree-lazy-user-del", "yes");
        for (int i = 0; i < 600; i++) {
          j.hset("h", "f" + i, "v"); // past hash-max-listpack-entries: a hashtable
        }
        assertThat(j.del("h")).isEqualTo(1); // DEL behaves as UNLINK now
        j.configSet("lazyfree-lazy-user-flush", "yes");
        j.mset("a", "1", "b", "2");
        j.flushDB(); // no option: async under lazyfree-lazy-user-flush
        assertThat(lazyfreed(j)).isEqualTo(3);
        j.mset("a", "1", "b", "2");
        j.flushDB(redis.clients.jedis.args.FlushMode.SYNC);
        assertThat(lazyfreed(j)).isEqualTo(3);
      } finally {
        j.configSet("lazyfree-lazy-user-del", "no");
        j.configSet("lazyfree-lazy-user-flush", "no");
      }
    }
  }
}
