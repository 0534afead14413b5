package io.kiln.persist;

import static io.kiln.persist.LoadSupport.config;
import static io.kiln.persist.LoadSupport.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.rdb.Crc64;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sanitize-dump-payload when data is loaded rather than restored by a client: yes checks the
 * dump file in full; no and clients leave it to what reading it needs, as Redis skips deep
 * sanitization while loading; a RESTORE replayed from the AOF is not a client's.
 */
class SanitizeOnLoadTest {
  @TempDir Path dir;

  /** {a: 1, b: 2} as Redis 7.0 writes a small hash: a listpack. */
  private static final String LISTPACK = "11000000040081610201018162020201ff";
  /** The same with its first entry's back-length 3 instead of 2: only deep checks see it. */
  private static final String BAD_BACK_LENGTH = LISTPACK.replaceFirst("8161020101", "8161030101");

  /** An RDB 10 file holding hash "h" = {@code listpack} (type 16), without a checksum. */
  private static byte[] rdb(String listpack) {
    byte[] lp = HexFormat.of().parseHex(listpack);
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.writeBytes("REDIS0010".getBytes(StandardCharsets.US_ASCII));
    f.writeBytes(new byte[] {(byte) 0xFE, 0, 16, 1, 'h', (byte) lp.length});
    f.writeBytes(lp);
    f.writeBytes(new byte[] {(byte) 0xFF, 0, 0, 0, 0, 0, 0, 0, 0});
    return f.toByteArray();
  }

  @Test
  void yesChecksTheDumpFileInFull() throws Exception {
    Files.write(dir.resolve("dump.rdb"), rdb(BAD_BACK_LENGTH));
    assertThatThrownBy(() -> TestKiln.start(config(dir, "sanitize-dump-payload", "yes")))
        .satisfies(e -> assertThat(failure(e))
            .startsWith("Fatal error loading the DB: Hash listpack integrity check failed for "
                + "key 'h' at offset 32: listpack entry at 6 has a bad back-length")
            .contains("move the file aside to start empty"));
  }

  @Test
  void noAndClientsLoadWhatReadsAndCountNoSanitization() throws Exception {
    Files.write(dir.resolve("dump.rdb"), rdb(BAD_BACK_LENGTH));
    for (String mode : new String[] {"no", "clients"}) {
      try (TestKiln kiln = TestKiln.start(config(dir, "sanitize-dump-payload", mode));
          RespClient c = kiln.client()) {
        assertThat(c.call("HGETALL", "h")).as(mode)
            .isEqualTo("*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
        assertThat(c.call("INFO", "stats")).contains("dump_payload_sanitizations:0\r\n");
      }
    }
  }

  @Test
  void aSoundFileLoadedUnderYesCountsItsSanitizations() throws Exception {
    Files.write(dir.resolve("dump.rdb"), rdb(LISTPACK));
    try (TestKiln kiln = TestKiln.start(config(dir, "sanitize-dump-payload", "yes"));
        RespClient c = kiln.client()) {
      assertThat(c.call("HLEN", "h")).isEqualTo(":2\r\n");
      assertThat(c.call("INFO", "stats")).contains("dump_payload_sanitizations:1\r\n");
    }
  }

  /**
   * Writes an AOF of RESTORE h (the damaged listpack, with a right CRC) then SET after 1;
   * returns that payload.
   */
  private byte[] aofWithARestore() throws Exception {
    byte[] lp = HexFormat.of().parseHex(BAD_BACK_LENGTH);
    ByteArrayOutputStream p = new ByteArrayOutputStream();
    p.write(16);
    p.write(lp.length);
    p.writeBytes(lp);
    p.writeBytes(new byte[] {10, 0});
    byte[] body = p.toByteArray();
    long crc = Crc64.update(0, body, 0, body.length);
    for (int i = 0; i < 8; i++) {
      p.write((int) (crc >>> (8 * i)));
    }
    byte[] payload = p.toByteArray();
    ByteArrayOutputStream aof = new ByteArrayOutputStream();
    aof.writeBytes(("*4\r\n$7\r\nRESTORE\r\n$1\r\nh\r\n$1\r\n0\r\n$" + payload.length + "\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    aof.writeBytes(payload);
    aof.writeBytes("\r\n*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n1\r\n"
        .getBytes(StandardCharsets.US_ASCII));
    Files.write(dir.resolve("appendonly.aof"), aof.toByteArray());
    return payload;
  }

  @Test
  void aRestoreReplayedFromTheAofIsNotAClients() throws Exception {
    byte[] payload = aofWithARestore();
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "sanitize-dump-payload", "clients")); RespClient c = kiln.client()) {
      assertThat(c.call("EXISTS", "h", "after")).isEqualTo(":2\r\n");
      // the same payload from a client is checked in full
      assertThat(c.call(java.util.List.of("RESTORE".getBytes(StandardCharsets.US_ASCII),
          new byte[] {'h', '2'}, new byte[] {'0'}, payload)))
          .isEqualTo("-ERR Bad data format\r\n");
    }
  }

  @Test
  void underYesTheReplayedRestoreIsRefusedAndTheLoadGoesOn() throws Exception {
    aofWithARestore();
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "sanitize-dump-payload", "yes")); RespClient c = kiln.client()) {
      // as Redis: a command that fails while the AOF is replayed is not fatal
      assertThat(c.call("EXISTS", "h", "after")).isEqualTo(":1\r\n");
      assertThat(c.call("GET", "after")).isEqualTo("$1\r\n1\r\n");
    }
  }
}
