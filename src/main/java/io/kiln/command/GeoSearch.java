package io.kiln.command;

import io.kiln.types.GeoHash;
import io.kiln.types.ZSetValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The search behind GEORADIUS*, GEOSEARCH and GEOSEARCHSTORE: the members of a sorted set
 * inside a {@link GeoHash.Shape}, found cell by cell in Redis's order, then ordered by distance
 * the way Redis orders them, ties included (a stable sort when every result is wanted, Redis's
 * partial quicksort when COUNT keeps fewer). Static; runs on the event loop of the shard that
 * owns the sorted set, inside the command's handler.
 */
final class GeoSearch {
  private GeoSearch() {}

  /** A member found: its decoded position, its score and its distance from the centre. */
  record Point(byte[] member, double lon, double lat, double metres, double score) {}

  /**
   * The members inside {@code shape}, in the order the cells and then the scores list them;
   * with {@code limit} > 0 (COUNT ... ANY) the scan stops once that many were found.
   */
  static List<Point> find(ZSetValue z, GeoHash.Shape shape, long limit) {
    long[][] cells = shape.cells();
    List<Point> out = new ArrayList<>();
    int lastScanned = 0; // as in Redis, the centre (0) never counts as the cell scanned last
    for (int i = 0; i < cells.length; i++) {
      long bits = cells[i][0];
      int step = (int) cells[i][1];
      if (bits == 0 && step == 0) {
        continue; // a neighbour the shape cannot reach
      }
      if (lastScanned != 0 && bits == cells[lastScanned][0] && step == cells[lastScanned][1]) {
        continue; // huge shapes: a neighbour can repeat the one before
      }
      if (limit > 0 && out.size() >= limit) {
        break;
      }
      int shift = 52 - 2 * step;
      scan(z, (double) (bits << shift), (double) ((bits + 1) << shift), shape, out, limit);
      lastScanned = i;
    }
    return out;
  }

  /** Adds the members with scores in [min, max) that lie inside the shape. */
  private static void scan(ZSetValue z, double min, double max, GeoHash.Shape shape,
      List<Point> out, long limit) {
    int lo = z.countWhile((s, b, o, l) -> s < min);
    int end = z.countWhileFrom(lo, (s, b, o, l) -> s < max);
    z.range(lo, end - 1, false, (b, o, l, s) -> {
      if (limit > 0 && out.size() >= limit) {
        return;
      }
      double[] xy = GeoHash.decode(s);
      double metres = shape.metresIfInside(xy[0], xy[1]);
      if (!(metres < 0)) { // NaN (an antipode's rounding) is inside, as in Redis
        out.add(new Point(Arrays.copyOfRange(b, o, o + l), xy[0], xy[1], metres, s));
      }
    });
  }

  /** By distance, ascending: equal distances compare equal, so a stable sort keeps scan order. */
  private static final Comparator<Point> NEAREST = (a, b) ->
      a.metres() > b.metres() ? 1 : a.metres() == b.metres() ? 0 : -1;

  /**
   * Puts the {@code wanted} nearest (or farthest) points first, in order: the whole array by a
   * stable sort when every point is wanted, else by a partial quicksort that leaves ties where
   * Redis's leaves them.
   */
  static void order(Point[] points, boolean farthestFirst, int wanted) {
    Comparator<Point> cmp = farthestFirst ? (a, b) -> -NEAREST.compare(a, b) : NEAREST;
    if (wanted == points.length) {
      Arrays.sort(points, cmp);
    } else {
      partialSort(points, 0, points.length, cmp, wanted - 1);
    }
  }

  /**
   * Bentley and McIlroy's quicksort (median of three, or of three medians of three above 40
   * elements; equal keys gathered at both ends, then swapped to the middle), which recurses
   * only into parts that hold a position in [0, last]. {@code a[base, base + n)} is the part.
   */
  private static void partialSort(Point[] a, int base, int n, Comparator<Point> cmp, int last) {
    while (true) {
      if (n < 7) {
        for (int m = base + 1; m < base + n; m++) {
          for (int l = m; l > base && cmp.compare(a[l - 1], a[l]) > 0; l--) {
            swap(a, l, l - 1);
          }
        }
        return;
      }
      int pivot = base + n / 2;
      if (n > 7) {
        int lo = base;
        int hi = base + n - 1;
        if (n > 40) {
          int d = n / 8;
          lo = median(a, cmp, lo, lo + d, lo + 2 * d);
          pivot = median(a, cmp, pivot - d, pivot, pivot + d);
          hi = median(a, cmp, hi - 2 * d, hi - d, hi);
        }
        pivot = median(a, cmp, lo, pivot, hi);
      }
      swap(a, base, pivot);
      // a[base]: the pivot; [base+1, lessFrom): equal; [lessFrom, i): less;
      // (j, greaterTo]: greater; (greaterTo, end): equal
      int lessFrom = base + 1;
      int i = lessFrom;
      int j = base + n - 1;
      int greaterTo = j;
      while (true) {
        int r;
        while (i <= j && (r = cmp.compare(a[i], a[base])) <= 0) {
          if (r == 0) {
            swap(a, lessFrom++, i);
          }
          i++;
        }
        while (i <= j && (r = cmp.compare(a[j], a[base])) >= 0) {
          if (r == 0) {
            swap(a, j, greaterTo--);
          }
          j--;
        }
        if (i > j) {
          break;
        }
        swap(a, i++, j--);
      }
      int end = base + n;
      int k = Math.min(lessFrom - base, i - lessFrom);
      swapBlocks(a, base, i - k, k);
      k = Math.min(greaterTo - j, end - greaterTo - 1);
      swapBlocks(a, i, end - k, k);
      int less = i - lessFrom;
      if (less > 1 && base <= last) {
        partialSort(a, base, less, cmp, last);
      }
      int greater = greaterTo - j;
      if (greater <= 1 || end - greater > last) {
        return;
      }
      base = end - greater; // the greater part: iterate instead of recursing
      n = greater;
    }
  }

  private static int median(Point[] a, Comparator<Point> cmp, int x, int y, int z) {
    if (cmp.compare(a[x], a[y]) < 0) {
      return cmp.compare(a[y], a[z]) < 0 ? y : cmp.compare(a[x], a[z]) < 0 ? z : x;
    }
    return cmp.compare(a[y], a[z]) > 0 ? y : cmp.compare(a[x], a[z]) < 0 ? x : z;
  }

  private static void swap(Point[] a, int x, int y) {
    Point t = a[x];
    a[x] = a[y];
    a[y] = t;
  }

  private static void swapBlocks(Point[] a, int x, int y, int n) {
    for (int k = 0; k < n; k++) {
      swap(a, x + k, y + k);
    }
  }
}
