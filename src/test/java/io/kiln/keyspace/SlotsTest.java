package io.kiln.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Key slots as the Redis Cluster specification defines them (expected values from CLUSTER
 * KEYSLOT on a real Redis). Runs on the test thread.
 */
class SlotsTest {

  private static int slot(String key) {
    return Slots.slot(key.getBytes(StandardCharsets.ISO_8859_1));
  }

  @Test
  void crc16XmodemCheckValue() {
    byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
    assertThat(Slots.crc16(check, 0, check.length)).isEqualTo(0x31C3);
  }

  @Test
  void knownSlots() {
    assertThat(slot("foo")).isEqualTo(12182);
    assertThat(slot("bar")).isEqualTo(5061);
    assertThat(slot("")).isEqualTo(0);
    assertThat(slot("user1000")).isEqualTo(3443);
    assertThat(slot("foo{}{bar}")).isEqualTo(8363);
    assertThat(slot("{}")).isEqualTo(15257);
    assertThat(slot("foo{{bar}}zap")).isEqualTo(4015);
    assertThat(slot("{user1000}.following")).isEqualTo(3443);
  }

  @Test
  void hashTagsShareASlot() {
    assertThat(slot("{user1000}.following")).isEqualTo(slot("{user1000}.followers"))
        .isEqualTo(slot("user1000"));
  }

  @Test
  void emptyTagHashesTheWholeKey() {
    // "{}" has no tag content: the whole key is hashed
    assertThat(slot("foo{}{bar}")).isNotEqualTo(slot("bar"));
    byte[] k = "foo{}{bar}".getBytes(StandardCharsets.US_ASCII);
    assertThat(slot("foo{}{bar}")).isEqualTo(Slots.crc16(k, 0, k.length) & 16383);
    assertThat(slot("{}")).isEqualTo(Slots.crc16(new byte[] {'{', '}'}, 0, 2) & 16383);
  }

  @Test
  void onlyTheFirstTagCounts() {
    assertThat(slot("foo{{bar}}zap")).isEqualTo(slot("{bar"));
    assertThat(slot("foo{bar}{zap}")).isEqualTo(slot("bar"));
    assertThat(slot("{bar")).isNotEqualTo(slot("bar")); // unclosed: the whole key
  }

  @Test
  void binaryKeys() {
    assertThat(slot("\u00ff\u0000{\u0080}")).isEqualTo(slot("\u0080"));
    assertThat(slot("x")).isBetween(0, 16383);
  }
}
