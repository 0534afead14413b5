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
    for (int len : new int[] {21, 100, 300, 9000, 100_000}) {
      byte[] in = new byte[len];
      for (int i = 0; i < len; i++) {
        in[i] = (byte) "abcabcabd".charAt((i + r.nextInt(2) * (i % 97 == 0 ? 1 : 0)) % 9);
      }
      byte[] c = new byte[len];
      int n = Lzf.compress(in, 0, len, c, 0, len - 4);
      assertThat(n).isPositive().isLessThanOrEqualTo(len < 100 ? len - 4 : len / 2);
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
