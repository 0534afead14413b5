package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * INFO's fixed-point numbers read as {@code String.format("%.Nf")} wrote them (the text clients
 * and tests already parse), including the halfway cases. Test thread.
 */
class InfoFormatTest {
  @Test
  void fixedPointTextIsStringFormatsText() {
    double[] edges = {0.0, -0.0, 0.005, 0.015, 0.125, 1.005, 2.675, 9.995, 99.995, 0.0000005,
        1e-7, 123456.789, 1e7, 1.5e21, 1023.999, 4.4e9 / 1024 / 1024 / 1024, -1.005,
        Double.NaN, Double.POSITIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE};
    SplittableRandom random = new SplittableRandom(42);
    for (int decimals : new int[] {2, 3, 6}) {
      for (double v : edges) {
        assertSame(v, decimals);
      }
      for (int i = 0; i < 20_000; i++) {
        // ratios and sizes as INFO computes them, and values on a halfway point
        assertSame(random.nextLong(1, 1L << 40) / (double) random.nextLong(1, 1L << 20), decimals);
        assertSame(random.nextInt(1_000_000) / 1000.0 + 0.0005, decimals);
        assertSame(random.nextDouble() * 100, decimals);
      }
    }
    assertThat(Info.human(4_404_019_200L)).isEqualTo("4.10G");
    assertThat(Info.human(1023)).isEqualTo("1023B");
  }

  private static void assertSame(double v, int decimals) {
    assertThat(Info.fixed(v, decimals)).as("%s with %d decimals", v, decimals)
        .isEqualTo(String.format(Locale.ROOT, "%." + decimals + "f", v));
  }
}
