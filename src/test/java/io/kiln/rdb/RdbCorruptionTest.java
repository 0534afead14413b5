package io.kiln.rdb;

import static io.kiln.rdb.RdbTestSupport.hash;
import static io.kiln.rdb.RdbTestSupport.list;
import static io.kiln.rdb.RdbTestSupport.set;
import static io.kiln.rdb.RdbTestSupport.str;
import static io.kiln.rdb.RdbTestSupport.write;
import static io.kiln.rdb.RdbTestSupport.zset;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Truncated and bit-flipped files are always refused with an RdbException. */
class RdbCorruptionTest {
  static byte[] small(boolean checksum) {
    return write(new RdbWriter.Options().checksum(checksum), "s", str("hello"),
        "i", str("12345"), "z", str("compress me ".repeat(5)), "l", list("a", "1", "bb"),
        "set", set("1", "2"), "set2", set("x", "y"), "h", hash("f", "v"),
        "zs", zset("m", 1.5, "n", 2));
  }

  @Test
  void everyTruncationIsRefused() {
    byte[] f = small(true);
    for (int n = 0; n < f.length; n++) {
      byte[] cut = Arrays.copyOf(f, n);
      assertThatThrownBy(() -> RdbTestSupport.read(cut)).as("truncated to " + n)
          .isInstanceOf(RdbException.class);
    }
  }

  @Test
  void truncationMessageNamesOffsetAndWhatWasExpected() {
    byte[] f = small(true);
    byte[] cut = Arrays.copyOf(f, f.length - 4);
    assertThatThrownBy(() -> RdbTestSupport.read(cut))
        .hasMessage("Unexpected EOF reading RDB file at offset " + cut.length
            + " (expected 4 more bytes for the CRC-64 checksum)");
  }

  @Test
  void everySingleByteFlipIsRefused() {
    byte[] f = small(true);
    for (int i = 0; i < f.length; i++) {
      for (int mask : new int[] {0x01, 0x80, 0xFF}) {
        byte[] bad = f.clone();
        bad[i] ^= (byte) mask;
        assertThatThrownBy(() -> RdbTestSupport.read(bad)).as("flip at " + i)
            .isInstanceOf(RdbException.class);
      }
    }
  }

  @Test
  void crcMismatchUsesRedisWords() {
    byte[] f = small(true);
    byte[] bad = f.clone();
    bad[12] ^= 1; // inside the "redis-ver" aux name
    assertThatThrownBy(() -> RdbTestSupport.read(bad))
        .hasMessageStartingWith("RDB CRC error: ");
  }

  @Test
  void withoutChecksumFlipsNeverEscapeAsOtherExceptions() {
    byte[] f = small(false);
    for (int i = 0; i < f.length - 8; i++) {
      for (int mask = 1; mask < 256; mask <<= 1) {
        byte[] bad = f.clone();
        bad[i] ^= (byte) mask;
        try {
          RdbTestSupport.Loaded l = RdbTestSupport.read(bad);
          assertThat(l.eof).isTrue();
        } catch (RdbException expected) {
          // refused cleanly
        }
      }
    }
  }
}
