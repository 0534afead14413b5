package io.kiln.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KeyChooserTest {
  private static final int DRAWS = 1_000_000;

  private static long[] histogram(KeyChooser k, int buckets) {
    SplittableRandom r = new SplittableRandom(42);
    long[] counts = new long[buckets];
    for (int i = 0; i < DRAWS; i++) {
      long v = k.next(r);
      assertThat(v).isBetween(0L, k.size() - 1);
      if (v < buckets) {
        counts[(int) v]++;
      }
    }
    return counts;
  }

  @Test
  void zipfianStaysInRangeAndFavoursLowRanks() {
    KeyChooser.Zipfian z = new KeyChooser.Zipfian(10_000, 0.99);
    long[] c = histogram(z, 10_000);
    assertThat(c[0]).isGreaterThan(c[1]);
    assertThat(c[1]).isGreaterThan(c[10]);
    assertThat(c[10]).isGreaterThan(c[1000]);
  }

  @Test
  void zipfianHeadFrequenciesMatchTheDistribution() {
    KeyChooser.Zipfian z = new KeyChooser.Zipfian(10_000, 0.99);
    long[] c = histogram(z, 10_000);
    // Gray et al.'s method is exact for the two hottest ranks and approximates the tail.
    for (int i = 0; i < 2; i++) {
      assertThat((double) c[i]).as("rank %d", i).isCloseTo(z.probability(i) * DRAWS,
          org.assertj.core.data.Percentage.withPercentage(3));
    }
    double expectedTop100 = 0;
    long top100 = 0;
    for (int i = 0; i < 100; i++) {
      expectedTop100 += z.probability(i) * DRAWS;
      top100 += c[i];
    }
    assertThat((double) top100).isCloseTo(expectedTop100, org.assertj.core.data.Percentage.withPercentage(10));
  }

  @Test
  void uniformIsFlat() {
    long[] c = histogram(new KeyChooser.Uniform(10), 10);
    for (long n : c) {
      assertThat((double) n).isCloseTo(DRAWS / 10.0, org.assertj.core.data.Percentage.withPercentage(3));
    }
  }

  @Test
  void parsesSpecs() {
    assertThat(KeyChooser.parse("uniform", 5)).isInstanceOf(KeyChooser.Uniform.class);
    assertThat(((KeyChooser.Zipfian) KeyChooser.parse("zipf:0.5", 5)).theta()).isEqualTo(0.5);
    assertThatThrownBy(() -> KeyChooser.parse("zipf:1.0", 5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KeyChooser.parse("pareto", 5)).isInstanceOf(IllegalArgumentException.class);
  }
}
