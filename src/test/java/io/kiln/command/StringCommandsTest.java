package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.keyspace.Db;
import io.kiln.server.ShardVerticle;
import io.kiln.support.RespClient;
import io.kiln.support.SharedKiln;
import io.kiln.support.TestKiln;
import io.vertx.core.Context;
import io.vertx.core.VerticleBase;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * String and bitmap behaviour the differential corpus cannot express: expiry as time passes,
 * the TTL each write keeps or clears (read from the keyspace on its event loop), and WRONGTYPE
 * replies against a non-string value placed directly in the keyspace.
 */
class StringCommandsTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();
  private RespClient c;

  @BeforeEach
  void connect() {
    c = kiln.client();
    c.call("FLUSHALL");
  }

  @AfterEach
  void disconnect() {
    c.close();
  }

  // ---- access to the keyspace, on the shard's event loop ----

  private static <T> T onShard(Function<Db, T> action) throws Exception {
    ShardVerticle v = kiln.kiln().shards().get(0);
    Field f = VerticleBase.class.getDeclaredField("context");
    f.setAccessible(true);
    Context ctx = (Context) f.get(v);
    CompletableFuture<T> result = new CompletableFuture<>();
    ctx.runOnContext(x -> {
      try {
        result.complete(action.apply(v.shard().db(0)));
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    });
    return result.get(10, TimeUnit.SECONDS);
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** The key's absolute expiry in ms, 0 for none, -2 when absent. */
  private static long expireAt(String key) throws Exception {
    return onShard(db -> db.expireAt(b(key)));
  }

  /** Milliseconds to live, as PTTL would say. */
  private static long pttl(String key) throws Exception {
    long at = expireAt(key);
    return at <= 0 ? at == 0 ? -1 : -2 : at - System.currentTimeMillis();
  }

  private static String bulk(String s) {
    return "$" + s.length() + "\r\n" + s + "\r\n";
  }

  /** Polls GET until the key is gone; returns when it was first seen gone. */
  private long awaitGone(String key, long deadlineMs) {
    long deadline = System.currentTimeMillis() + deadlineMs;
    while (System.currentTimeMillis() < deadline) {
      if (c.call("GET", key).equals("$-1\r\n")) {
        return System.currentTimeMillis();
      }
      Thread.onSpinWait();
    }
    throw new AssertionError(key + " did not expire within " + deadlineMs + " ms");
  }

  // ---- expiry ----

  @Test
  void setExGivesTtlWithinRange() throws Exception {
    assertThat(c.call("SET", "k", "v", "EX", "100")).isEqualTo("+OK\r\n");
    assertThat(pttl("k")).isBetween(99_000L, 100_000L);
  }

  @Test
  void setPxAtGivesThatExactExpiry() throws Exception {
    c.call("SET", "k", "v", "PXAT", "99999999999123");
    assertThat(expireAt("k")).isEqualTo(99999999999123L);
    c.call("SET", "k", "v", "EXAT", "99999999999");
    assertThat(expireAt("k")).isEqualTo(99999999999000L);
  }

  @Test
  void setPxKeyVanishesAfterItsTime() {
    long before = System.currentTimeMillis();
    assertThat(c.call("SET", "k", "v", "PX", "300")).isEqualTo("+OK\r\n");
    long gone = awaitGone("k", 5_000);
    assertThat(gone - before).isGreaterThanOrEqualTo(300);
  }

  @Test
  void setexKeyVanishesAfterItsTime() {
    long before = System.currentTimeMillis();
    assertThat(c.call("PSETEX", "k", "300", "v")).isEqualTo("+OK\r\n");
    long gone = awaitGone("k", 5_000);
    assertThat(gone - before).isGreaterThanOrEqualTo(300);
  }

  @Test
  void setWithPastExpiryRepliesOkAndKeyIsGone() throws Exception {
    assertThat(c.call("SET", "k", "v", "EXAT", "1")).isEqualTo("+OK\r\n");
    assertThat(c.call("GET", "k")).isEqualTo("$-1\r\n");
    assertThat(c.call("EXISTS", "k")).isEqualTo(":0\r\n");
  }

  @Test
  void plainSetClearsTtl() throws Exception {
    c.call("SET", "k", "v", "EX", "100");
    c.call("SET", "k", "v2");
    assertThat(expireAt("k")).isZero();
  }

  @Test
  void setKeepTtlKeepsTtl() throws Exception {
    c.call("SET", "k", "v", "PXAT", "99999999999123");
    assertThat(c.call("SET", "k", "v2", "KEEPTTL")).isEqualTo("+OK\r\n");
    assertThat(expireAt("k")).isEqualTo(99999999999123L);
    assertThat(c.call("GET", "k")).isEqualTo(bulk("v2"));
  }

  @Test
  void getexPersistRemovesTtl() throws Exception {
    c.call("SET", "k", "v", "EX", "100");
    assertThat(c.call("GETEX", "k", "PERSIST")).isEqualTo(bulk("v"));
    assertThat(expireAt("k")).isZero();
  }

  @Test
  void getexPersistKeyOutlivesItsOldTtl() {
    c.call("SET", "k", "v", "PX", "200");
    c.call("GETEX", "k", "PERSIST");
    c.call("SET", "witness", "v", "PX", "200");
    awaitGone("witness", 5_000);
    assertThat(c.call("GET", "k")).isEqualTo(bulk("v"));
  }

  @Test
  void getexExSetsTtl() throws Exception {
    c.call("SET", "k", "v");
    assertThat(c.call("GETEX", "k", "EX", "50")).isEqualTo(bulk("v"));
    assertThat(pttl("k")).isBetween(49_000L, 50_000L);
  }

  @Test
  void getexWithoutOptionsKeepsTtl() throws Exception {
    c.call("SET", "k", "v", "PXAT", "99999999999123");
    c.call("GETEX", "k");
    assertThat(expireAt("k")).isEqualTo(99999999999123L);
  }

  @Test
  void getexPastExatDeletesKey() throws Exception {
    c.call("SET", "k", "v");
    assertThat(c.call("GETEX", "k", "EXAT", "1")).isEqualTo(bulk("v"));
    assertThat(expireAt("k")).isEqualTo(-2);
  }

  @Test
  void modifyingWritesKeepTtl() throws Exception {
    c.call("SET", "k", "1", "PXAT", "99999999999123");
    c.call("INCR", "k");
    c.call("INCRBYFLOAT", "k", "1.5");
    c.call("APPEND", "k", "0");
    c.call("SETRANGE", "k", "0", "9");
    c.call("SETBIT", "k", "100", "1");
    c.call("BITFIELD", "k", "SET", "u8", "0", "1");
    assertThat(expireAt("k")).isEqualTo(99999999999123L);
  }

  @Test
  void getsetAndMsetClearTtl() throws Exception {
    c.call("SET", "a", "1", "EX", "100");
    c.call("SET", "b", "1", "EX", "100");
    c.call("GETSET", "a", "2");
    c.call("MSET", "b", "2");
    assertThat(expireAt("a")).isZero();
    assertThat(expireAt("b")).isZero();
  }

  @Test
  void bitopDestinationLosesTtl() throws Exception {
    c.call("SET", "d", "x", "EX", "100");
    c.call("SET", "s", "abc");
    c.call("BITOP", "NOT", "d", "s");
    assertThat(expireAt("d")).isZero();
  }

  @Test
  void incrOnExpiredKeyStartsFromZero() {
    c.call("SET", "k", "41", "PX", "100");
    awaitGone("k", 5_000);
    assertThat(c.call("INCR", "k")).isEqualTo(":1\r\n");
  }

  // ---- WRONGTYPE against a non-string value ----

  @Test
  void everyCommandRefusesANonStringValue() throws Exception {
    onShard(db -> {
      db.set(b("h"), new Object(), false);
      return null;
    });
    String wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    String[][] cmds = {
      {"GET", "h"}, {"SET", "h", "v", "GET"}, {"GETSET", "h", "v"}, {"GETDEL", "h"},
      {"GETEX", "h"}, {"GETEX", "h", "PERSIST"}, {"APPEND", "h", "x"}, {"STRLEN", "h"},
      {"GETRANGE", "h", "0", "1"}, {"SUBSTR", "h", "0", "1"}, {"SETRANGE", "h", "0", "x"},
      {"INCR", "h"}, {"DECR", "h"}, {"INCRBY", "h", "1"}, {"DECRBY", "h", "1"},
      {"INCRBYFLOAT", "h", "1"}, {"SETBIT", "h", "0", "1"}, {"GETBIT", "h", "0"},
      {"BITCOUNT", "h"}, {"BITPOS", "h", "1"}, {"BITOP", "AND", "d", "h"},
      {"BITFIELD", "h", "GET", "u8", "0"}, {"BITFIELD", "h", "SET", "u8", "0", "1"},
      {"BITFIELD_RO", "h", "GET", "u8", "0"},
    };
    for (String[] cmd : cmds) {
      assertThat(c.call(cmd)).as(String.join(" ", cmd)).isEqualTo(wrongType);
    }
    assertThat(c.call("LCS", "h", "x")).isEqualTo(
        "-ERR The specified keys must contain string values\r\n");
    assertThat(c.call("MGET", "h", "nokey")).isEqualTo("*2\r\n$-1\r\n$-1\r\n");
    assertThat(c.call("SETNX", "h", "v")).isEqualTo(":0\r\n");
    assertThat(c.call("MSETNX", "h", "v")).isEqualTo(":0\r\n");
    assertThat(c.call("SET", "h", "v", "NX")).isEqualTo("$-1\r\n");
    // SET without GET and MSET replace the value whatever its type
    assertThat(c.call("SET", "h", "v")).isEqualTo("+OK\r\n");
    assertThat(c.call("GET", "h")).isEqualTo(bulk("v"));
  }

  @Test
  void wrongTypeSetGetLeavesValueAlone() throws Exception {
    Object marker = new Object();
    onShard(db -> {
      db.set(b("h"), marker, false);
      return null;
    });
    c.call("SET", "h", "v", "GET");
    Object stored = onShard(db -> db.get(b("h")));
    assertThat(stored).isSameAs(marker);
  }

  // ---- proto-max-bulk-len bounds every string a command builds ----

  @Test
  void stringSizeLimitFollowsProtoMaxBulkLen() throws Exception {
    try (TestKiln small = TestKiln.start("proto-max-bulk-len", "1mb");
        RespClient s = small.client()) {
      String tooBig = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
      String badOffset = "-ERR bit offset is not an integer or out of range\r\n";
      assertThat(s.call("SETRANGE", "k", "1048576", "a")).isEqualTo(tooBig);
      assertThat(s.call("SETRANGE", "k", "1048575", "a")).isEqualTo(":1048576\r\n");
      assertThat(s.call("APPEND", "k", "b")).isEqualTo(tooBig);
      assertThat(s.call("SETBIT", "k", "8388608", "1")).isEqualTo(badOffset);
      assertThat(s.call("GETBIT", "k", "8388608")).isEqualTo(badOffset);
      assertThat(s.call("SETBIT", "k", "8388607", "1")).isEqualTo(":1\r\n");
      assertThat(s.call("BITFIELD", "k", "GET", "u8", "8388608")).isEqualTo(badOffset);
      // the offset is checked, not the field's last bit: this one grows the string by a byte
      assertThat(s.call("BITFIELD", "k", "SET", "u8", "8388601", "1")).isEqualTo("*1\r\n:194\r\n");
      assertThat(s.call("STRLEN", "k")).isEqualTo(":1048577\r\n");
      String a600 = "a".repeat(600);
      s.call("MSET", "x", a600, "y", a600);
      assertThat(s.call("LCS", "x", "y", "LEN")).isEqualTo(
          "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n");
    }
  }

  /**
   * Extreme exponents make exact long-double arithmetic expensive if done naively: these run on
   * the event loop, and the blocked-thread guard (checked when the server stops) fails the class
   * if any of them stalls it.
   */
  @Test
  void extremeExponentsDoNotStallTheEventLoop() {
    for (int i = 0; i < 20; i++) {
      c.call("SET", "f", "0");
      assertThat(c.call("INCRBYFLOAT", "f", "3.6e-4951")).isEqualTo("$1\r\n0\r\n");
      assertThat(c.call("INCRBYFLOAT", "f", "0x1p-16440")).startsWith("$");
      assertThat(c.call("INCRBYFLOAT", "f", "1.1e4932")).startsWith("$");
    }
  }

  private long changes() {
    return c.call("INFO", "persistence").lines()
        .filter(l -> l.startsWith("rdb_changes_since_last_save:"))
        .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).strip()))
        .findFirst().orElseThrow();
  }

  @Test
  void setbitAndBitfieldCountAChangeOnlyWhenTheBitsMove() {
    long start = changes();
    c.call("SETBIT", "a", "0", "0");
    c.call("BITFIELD", "b", "SET", "i5", "0", "0");
    assertThat(changes()).isEqualTo(start + 2); // created: a change each
    c.call("SETBIT", "a", "0", "0");
    c.call("BITFIELD", "b", "SET", "i5", "0", "0");
    assertThat(changes()).isEqualTo(start + 2); // nothing moved
    c.call("BITFIELD", "b", "SET", "i5", "0", "1");
    c.call("BITFIELD", "b", "SET", "i5", "0", "1");
    c.call("BITFIELD", "b", "INCRBY", "u2", "1", "0"); // adds nothing
    assertThat(changes()).isEqualTo(start + 3);
    c.call("BITFIELD", "b", "SET", "u8", "16", "0"); // grows the string: a change
    assertThat(changes()).isEqualTo(start + 4);
  }
}
