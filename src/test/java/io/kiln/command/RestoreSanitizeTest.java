package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RESTORE of damaged payloads under sanitize-dump-payload and DEBUG
 * SET-SKIP-CHECKSUM-VALIDATION: what each mode checks, what is always refused, and INFO's count
 * of deep validations. The payloads are Redis 7.0's DUMP output with one field changed (the
 * differential corpus dump.txt compares the replies with a real redis-server).
 */
class RestoreSanitizeTest {
  /** HSET h a 1 b 2 as Redis 7.0 dumps it: a listpack. */
  private static final String HASH = "101111000000040081610201018162020201ff0a003e40636c8f5d769a";
  /** SADD s 5 3 9: an intset. */
  private static final String INTSET = "0b0e02000000030000000300050009000a00ac541f799974e26f";
  /** RPUSH l x y: a quicklist of one listpack node. */
  private static final String LIST = "1201020d0d0000000200817802817902ff0a007e975b568d1afa6f";

  private static byte[] hex(String h) {
    return HexFormat.of().parseHex(h);
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** HASH with its first entry's back-length 3 instead of 2. */
  private static byte[] hashBadBackLength() {
    return hex(HASH.replaceFirst("8161020101", "8161030101"));
  }

  /** HASH whose header counts 5 entries (it holds 4). */
  private static byte[] hashBadCount() {
    return hex(HASH.replaceFirst("11000000040081", "11000000050081"));
  }

  /** INTSET stored 5, 3, 9. */
  private static byte[] intsetUnsorted() {
    return hex(INTSET.replaceFirst("030005000900", "050003000900"));
  }

  /** LIST with its first entry's back-length 3 instead of 2. */
  private static byte[] listBadBackLength() {
    return hex(LIST.replaceFirst("8178028179", "8178038179"));
  }

  private static String restore(RespClient c, String key, byte[] payload) {
    List<byte[]> args = new ArrayList<>(List.of(b("RESTORE"), b(key), b("0"), payload));
    return c.call(args);
  }

  private static long sanitizations(RespClient c) {
    for (String line : c.call("INFO", "stats").split("\r\n")) {
      if (line.startsWith("dump_payload_sanitizations:")) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1));
      }
    }
    throw new AssertionError("no dump_payload_sanitizations in INFO");
  }

  @Test
  void shallowLeavesRedundantFieldsUncheckedAndKilnRebuildsTheValue() throws Exception {
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes");
        RespClient c = kiln.client()) {
      c.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1");
      assertThat(c.call("CONFIG", "GET", "sanitize-dump-payload")).contains("no");
      assertThat(restore(c, "h1", hashBadBackLength())).isEqualTo("+OK\r\n");
      assertThat(restore(c, "h2", hashBadCount())).isEqualTo("+OK\r\n");
      assertThat(restore(c, "s1", intsetUnsorted())).isEqualTo("+OK\r\n");
      assertThat(restore(c, "l1", listBadBackLength())).isEqualTo("+OK\r\n");
      assertThat(c.call("HGETALL", "h1")).isEqualTo("*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
      assertThat(c.call("HLEN", "h2")).isEqualTo(":2\r\n");
      assertThat(c.call("SMEMBERS", "s1")).isEqualTo("*3\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\n9\r\n");
      assertThat(c.call("LRANGE", "l1", "0", "-1")).isEqualTo("*2\r\n$1\r\nx\r\n$1\r\ny\r\n");
      // what is rebuilt dumps as a sound payload, which deep sanitization accepts
      c.call("CONFIG", "SET", "sanitize-dump-payload", "yes");
      String dumped = c.call("DUMP", "h1");
      byte[] payload = b(dumped.substring(dumped.indexOf("\r\n") + 2, dumped.length() - 2));
      assertThat(restore(c, "h3", payload)).isEqualTo("+OK\r\n");
    }
  }

  @Test
  void yesAndClientsCheckListpacksAndIntsetsInFull() throws Exception {
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes");
        RespClient c = kiln.client()) {
      c.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1");
      for (String mode : List.of("yes", "clients")) {
        c.call("CONFIG", "SET", "sanitize-dump-payload", mode);
        long before = sanitizations(c);
        assertThat(restore(c, "h1", hashBadBackLength())).as(mode).isEqualTo("-ERR Bad data format\r\n");
        assertThat(restore(c, "h2", hashBadCount())).as(mode).isEqualTo("-ERR Bad data format\r\n");
        assertThat(restore(c, "s1", intsetUnsorted())).as(mode).isEqualTo("-ERR Bad data format\r\n");
        assertThat(restore(c, "l1", listBadBackLength())).as(mode).isEqualTo("-ERR Bad data format\r\n");
        assertThat(c.call("EXISTS", "h1", "h2", "s1", "l1")).isEqualTo(":0\r\n");
        // one deep validation per blob, refused or not, as Redis counts them
        assertThat(sanitizations(c)).as(mode).isEqualTo(before + 4);
        assertThat(restore(c, "ok", hex(HASH))).isEqualTo("+OK\r\n");
        assertThat(sanitizations(c)).as(mode).isEqualTo(before + 5);
        c.call("DEL", "ok");
      }
      c.call("CONFIG", "SET", "sanitize-dump-payload", "no");
      long before = sanitizations(c);
      assertThat(restore(c, "ok", hex(HASH))).isEqualTo("+OK\r\n");
      assertThat(sanitizations(c)).isEqualTo(before);
    }
  }

  @Test
  void clientsModeTrustsAUserWithSkipSanitizePayload() throws Exception {
    try (TestKiln kiln = TestKiln.start("sanitize-dump-payload", "clients");
        RespClient c = kiln.client()) {
      c.call("ACL", "SETUSER", "trusted", "on", "nopass", "+@all", "~*", "skip-sanitize-payload");
      long before = sanitizations(c);
      assertThat(restore(c, "a", hex(HASH))).isEqualTo("+OK\r\n");
      assertThat(sanitizations(c)).as("the default user's RESTORE").isEqualTo(before + 1);
      assertThat(c.call("AUTH", "trusted", "x")).isEqualTo("+OK\r\n");
      assertThat(restore(c, "b", hex(HASH))).isEqualTo("+OK\r\n");
      assertThat(sanitizations(c)).as("the trusted user's RESTORE").isEqualTo(before + 1);
    }
  }

  @Test
  void whatKilnCannotHoldIsRefusedInEveryMode() throws Exception {
    // a listpack hash with field "a" twice; an empty intset; an empty zipmap; a quicklist
    // node of no bytes; a listpack entry running past the end
    byte[] dupHash = hex("10171700000004008261000382620003826100038264000" + "3ff0a00c0cfa687e5a7c5be");
    byte[] emptyIntset = hex("0b0802000000000000000a00" + "0000000000000000");
    byte[] emptyZipmap = hex("090200ff09" + "00c0f1b8674c16ace3");
    byte[] emptyNode = hex("120101000a008fc6c0571c0ab33c");
    byte[] pastEnd = hex("1015150000000600f0010001010182" + "5f3103020102" + "01ff0a0094210afa06529f44");
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes");
        RespClient c = kiln.client()) {
      c.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1");
      for (String mode : List.of("no", "yes", "clients")) {
        c.call("CONFIG", "SET", "sanitize-dump-payload", mode);
        for (byte[] p : List.of(dupHash, emptyIntset, emptyZipmap, emptyNode, pastEnd)) {
          assertThat(restore(c, "k", p)).as(mode + " " + HexFormat.of().formatHex(p))
              .isEqualTo("-ERR Bad data format\r\n");
        }
        assertThat(c.call("DBSIZE")).isEqualTo(":0\r\n");
      }
    }
  }

  @Test
  void skipChecksumValidationAcceptsAWrongCrcButNotANewerVersion() throws Exception {
    byte[] wrongCrc = hex(HASH);
    wrongCrc[wrongCrc.length - 1] ^= 1;
    byte[] newer = hex(HASH);
    newer[newer.length - 10] = 11; // RDB version 11
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes");
        RespClient c = kiln.client()) {
      String wrong = "-ERR DUMP payload version or checksum are wrong\r\n";
      assertThat(restore(c, "h", wrongCrc)).isEqualTo(wrong);
      assertThat(c.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1")).isEqualTo("+OK\r\n");
      assertThat(restore(c, "h", wrongCrc)).isEqualTo("+OK\r\n");
      assertThat(restore(c, "v", newer)).isEqualTo(wrong);
      assertThat(c.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0")).isEqualTo("+OK\r\n");
      assertThat(restore(c, "h2", wrongCrc)).isEqualTo(wrong);
    }
  }

  @Test
  void aRefusalInsideMultiAnswersInItsPlace() throws Exception {
    try (TestKiln kiln = TestKiln.start("enable-debug-command", "yes", "sanitize-dump-payload",
        "yes", "loglevel", "verbose"); RespClient c = kiln.client()) {
      c.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1");
      c.call("MULTI");
      restore(c, "h1", hashBadBackLength());
      c.call("SET", "after", "1");
      assertThat(c.call("EXEC")).isEqualTo("*2\r\n-ERR Bad data format\r\n+OK\r\n");
    }
  }
}
