package io.kiln.rdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LzfTest {
  private static byte[] roundTrip(byte[] in) {
    byte[] c = new byte[in.length + in.length / 16 + 64];
    int n = Lzf.compress(in, 0, in.length, c, 0, c.length);
    assertThat(n).isPositive();
    return Lzf.decompress(c, 0, n, in.length);
  }

  private static byte[] compressForRdb(String s) {
    byte[] in = s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    byte[] out = new byte[in.length - 4]; // what Redis offers lzf_compress when saving a string
    int n = Lzf.compress(in, 0, in.length, out, 0, out.length);
    return Arrays.copyOf(out, n);
  }

  private static byte[] bytes(int... b) {
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = (byte) b[i];
    }
    return out;
  }

  /** Outputs read from redis-server 7.0.15's DUMP of the same strings. */
  @Test
  void compressesToTheBytesRedisWrites() {
    // 22 x: two literals, then one match running a byte past liblzf's nominal limit
    assertThat(compressForRdb("x".repeat(22)))
        .isEqualTo(bytes(0x01, 'x', 'x', 0xe0, 0x0a, 0x00, 0x00, 'x'));
    assertThat(compressForRdb("a".repeat(40) + "b1.0000000000000001e+300")).isEqualTo(bytes(
        0x01, 'a', 'a', 0xe0, 0x1d, 0x00, 0x03, 'b', '1', '.', '0', 0xe0, 0x05, 0x00,
        0x05, '1', 'e', '+', '3', '0', '0'));
    // liblzf gives up (Redis then stores the string raw) although 18 bytes would have done
    assertThat(compressForRdb("abcabcabdabcabcabdabca")).isEmpty();
  }

  @Test
  void earlierCallsOnTheThreadDoNotChangeTheOutput() {
    String text = "abcabcabd".repeat(50) + "x".repeat(300) + "hello world ".repeat(20);
    byte[] first = compressForRdb(text);
    Random r = new Random(7);
    for (int i = 0; i < 2000; i++) {
      byte[] noise = new byte[1 + r.nextInt(5000)];
      for (int k = 0; k < noise.length; k++) {
        noise[k] = (byte) "abcx ".charAt(r.nextInt(5));
      }
      Lzf.compress(noise, 0, noise.length, new byte[noise.length * 2 + 16], 0,
          noise.length * 2 + 16);
    }
    assertThat(compressForRdb(text)).isEqualTo(first);
  }

  @Test
  void randomDataRoundTrips() {
    Random r = new Random(42);
    for (int len : new int[] {1, 2, 3, 4, 31, 32, 33, 100, 1000, 70_000}) {
      byte[] in = new byte[len];
      r.nextBytes(in);
      assertThat(roundTrip(in)).isEqualTo(in);
    }
  }

  @Test
  void repetitiveDataRoundTripsAndShrinks() {
    Random r = new Random(1);
    for (int len : new int[] {100, 300, 9000, 100_000}) {
      byte[] in = new byte[len];
      for (int i = 0; i < len; i++) {
        in[i] = (byte) "abcabcabd".charAt((i + r.nextInt(2) * (i % 97 == 0 ? 1 : 0)) % 9);
      }
      byte[] c = new byte[len];
      int n = Lzf.compress(in, 0, len, c, 0, len - 4);
      assertThat(n).isPositive().isLessThanOrEqualTo(len / 2);
      assertThat(Lzf.decompress(c, 0, n, len)).isEqualTo(in);
    }
    byte[] zeros = new byte[5000];
    assertThat(roundTrip(zeros)).isEqualTo(zeros);
  }

  @Test
  void incompressibleDataDoesNotFitInASmallerBuffer() {
    byte[] in = new byte[200];
    new Random(5).nextBytes(in);
    assertThat(Lzf.compress(in, 0, in.length, new byte[196], 0, 196)).isZero();
  }

  @Test
  void corruptInputIsRefused() {
    byte[] in = new byte[2000];
    Arrays.fill(in, (byte) 'x');
    byte[] c = new byte[2000];
    int n = Lzf.compress(in, 0, in.length, c, 0, c.length);
    // truncated
    assertThatThrownBy(() -> Lzf.decompress(c, 0, n - 1, in.length))
        .isInstanceOf(Lzf.LzfException.class);
    // back reference before the start
    assertThatThrownBy(() -> Lzf.decompress(new byte[] {(byte) 0x20, 5}, 0, 2, 10))
        .isInstanceOf(Lzf.LzfException.class).hasMessageContaining("before the start");
    // literal run past input end
    assertThatThrownBy(() -> Lzf.decompress(new byte[] {10, 1, 2}, 0, 3, 11))
        .isInstanceOf(Lzf.LzfException.class);
    // output too small
    assertThatThrownBy(() -> Lzf.decompress(c, 0, n, in.length - 1))
        .isInstanceOf(Lzf.LzfException.class);
    // every single-byte corruption is either refused or changes nothing silently wrong-sized
    Random r = new Random(9);
    for (int i = 0; i < 2000; i++) {
      byte[] bad = Arrays.copyOf(c, n);
      bad[r.nextInt(n)] ^= (byte) (1 + r.nextInt(255));
      try {
        byte[] out = Lzf.decompress(bad, 0, n, in.length);
        assertThat(out).hasSize(in.length);
      } catch (Lzf.LzfException expected) {
        // refused
      }
    }
  }
}
