package io.kiln.load;

import java.util.SplittableRandom;

/**
 * Picks key indexes in {@code [0, n)}. Implementations are immutable and shared between
 * connections; the randomness comes from the caller's own {@link SplittableRandom}, so any
 * thread may call {@link #next}.
 */
public interface KeyChooser {
  long next(SplittableRandom random);

  long size();

  /** "uniform" or "zipf" / "zipf:THETA" (0 &lt; THETA &lt; 1, default 0.99). */
  static KeyChooser parse(String spec, long n) {
    if (spec.equals("uniform")) {
      return new Uniform(n);
    }
    if (spec.equals("zipf") || spec.equals("zipfian")) {
      return new Zipfian(n, 0.99);
    }
    if (spec.startsWith("zipf:") || spec.startsWith("zipfian:")) {
      return new Zipfian(n, Double.parseDouble(spec.substring(spec.indexOf(':') + 1)));
    }
    throw new IllegalArgumentException("--dist must be uniform, zipf or zipf:THETA, not " + spec);
  }

  /** Every key equally likely. */
  record Uniform(long size) implements KeyChooser {
    @Override
    public long next(SplittableRandom random) {
      return random.nextLong(size);
    }
  }

  /**
   * Zipfian ranks (rank 0 the most frequent), after Gray et al., "Quickly generating
   * billion-record synthetic databases" (the generator YCSB uses): P(rank i) is proportional to
   * 1/(i+1)^theta. Setup sums the zeta series once (O(n)); each draw is O(1).
   */
  final class Zipfian implements KeyChooser {
    private final long n;
    private final double theta;
    private final double zetaN;
    private final double alpha;
    private final double eta;
    private final double halfPowTheta;

    public Zipfian(long n, double theta) {
      if (!(theta > 0 && theta < 1)) {
        throw new IllegalArgumentException("zipf theta must be in (0, 1), got " + theta);
      }
      if (n < 2) {
        throw new IllegalArgumentException("zipf needs at least 2 keys");
      }
      this.n = n;
      this.theta = theta;
      this.zetaN = zeta(n, theta);
      double zeta2 = zeta(2, theta);
      this.alpha = 1.0 / (1.0 - theta);
      this.eta = (1 - Math.pow(2.0 / n, 1 - theta)) / (1 - zeta2 / zetaN);
      this.halfPowTheta = 1 + Math.pow(0.5, theta);
    }

    static double zeta(long n, double theta) {
      double sum = 0;
      for (long i = 1; i <= n; i++) {
        sum += 1.0 / Math.pow(i, theta);
      }
      return sum;
    }

    /** The exact probability of rank {@code i}, for tests. */
    public double probability(long i) {
      return 1.0 / Math.pow(i + 1, theta) / zetaN;
    }

    @Override
    public long next(SplittableRandom random) {
      double u = random.nextDouble();
      double uz = u * zetaN;
      if (uz < 1.0) {
        return 0;
      }
      if (uz < halfPowTheta) {
        return 1;
      }
      long r = (long) (n * Math.pow(eta * u - eta + 1, alpha));
      return Math.min(Math.max(r, 0), n - 1);
    }

    @Override
    public long size() {
      return n;
    }

    public double theta() {
      return theta;
    }
  }
}
