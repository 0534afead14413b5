package io.kiln.types;

/**
 * The geohash behind Redis 7.0's GEO commands, with Redis's numbers so that scores, positions
 * and distances come out bit for bit as Redis computes them.
 *
 * <p>A position is stored as the score of a sorted-set member: a cell of the Web Mercator
 * square (longitude -180..180, latitude -85.05112878..85.05112878) at {@link #STEP_MAX} bits per
 * axis, the two cell indexes interleaved into 52 bits (latitude in the even bits, longitude in
 * the odd ones). A cell at a coarser step {@code s} is the same interleaving over {@code 2s}
 * bits; its members are the scores {@code [bits << (52 - 2s), (bits + 1) << (52 - 2s))}.
 * A search covers its shape with a cell and its eight neighbours at a step chosen from the
 * shape's size ({@link Shape#cells}), then keeps the members inside the shape.
 *
 * <p>Distances are great-circle (haversine) on a sphere of {@link #EARTH_RADIUS_M}, with Java's
 * {@link Math} sine, cosine and arcsine. glibc's (Redis's) round differently in the last bit for
 * a few inputs (about one arcsine in twenty), so a distance may differ from Redis's by an ulp or
 * two: invisible in GEODIST and WITHDIST, which print four decimals, visible in a STOREDIST
 * score read back in full.
 *
 * <p>Static functions and immutable values only; any thread.
 */
public final class GeoHash {
  private GeoHash() {}

  /** Bits per axis of a stored position (26 * 2 = 52 bits, exact in a double score). */
  public static final int STEP_MAX = 26;
  public static final double LON_MIN = -180;
  public static final double LON_MAX = 180;
  public static final double LAT_MIN = -85.05112878;
  public static final double LAT_MAX = 85.05112878;
  /** The mean radius Redis measures with. */
  public static final double EARTH_RADIUS_M = 6372797.560856;
  /** Half the Mercator world's width in metres: the step estimate doubles a radius up to it. */
  private static final double MERCATOR_MAX = 20037726.37;
  private static final double RAD_PER_DEG = Math.PI / 180.0;
  private static final char[] BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz".toCharArray();

  /** The 52-bit score of a position already checked to lie within the ranges above. */
  public static long score(double lon, double lat) {
    return encode(lon, lat, STEP_MAX, LAT_MIN, LAT_MAX);
  }

  /**
   * The cell of {@code step} bits per axis holding (lon, lat), with latitudes spread over
   * {@code [latMin, latMax]}. An offset is truncated to its cell index as C converts a double to
   * an unsigned 32-bit integer; a coordinate at the top of its range gives index {@code 2^step}.
   */
  private static long encode(double lon, double lat, int step, double latMin, double latMax) {
    double cells = (double) (1L << step);
    double latOffset = (lat - latMin) / (latMax - latMin) * cells;
    double lonOffset = (lon - LON_MIN) / (LON_MAX - LON_MIN) * cells;
    return interleave((long) latOffset & 0xFFFFFFFFL, (long) lonOffset & 0xFFFFFFFFL);
  }

  /** Bits of {@code lat} to the even positions, bits of {@code lon} to the odd ones. */
  private static long interleave(long lat, long lon) {
    return spread(lat) | (spread(lon) << 1);
  }

  /** The low 32 bits of {@code v}, each moved to twice its position. */
  private static long spread(long v) {
    v &= 0xFFFFFFFFL;
    v = (v | (v << 16)) & 0x0000FFFF0000FFFFL;
    v = (v | (v << 8)) & 0x00FF00FF00FF00FFL;
    v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0FL;
    v = (v | (v << 2)) & 0x3333333333333333L;
    return (v | (v << 1)) & 0x5555555555555555L;
  }

  /** The inverse of {@link #spread}: the even bits of {@code v}, packed into 32 bits. */
  private static long gather(long v) {
    v &= 0x5555555555555555L;
    v = (v | (v >>> 1)) & 0x3333333333333333L;
    v = (v | (v >>> 2)) & 0x0F0F0F0F0F0F0F0FL;
    v = (v | (v >>> 4)) & 0x00FF00FF00FF00FFL;
    v = (v | (v >>> 8)) & 0x0000FFFF0000FFFFL;
    return (v | (v >>> 16)) & 0x00000000FFFFFFFFL;
  }

  /**
   * The corners of a cell as {lonMin, lonMax, latMin, latMax}. Indexes are read as unsigned
   * 32-bit numbers and the upper edge's {@code index + 1} wraps as C's does.
   */
  static double[] area(long bits, int step) {
    long lat = gather(bits);
    long lon = gather(bits >>> 1);
    double cells = (double) (1L << step);
    double latScale = LAT_MAX - LAT_MIN;
    double lonScale = LON_MAX - LON_MIN;
    return new double[] {
      LON_MIN + (lon * 1.0 / cells) * lonScale,
      LON_MIN + (((lon + 1) & 0xFFFFFFFFL) * 1.0 / cells) * lonScale,
      LAT_MIN + (lat * 1.0 / cells) * latScale,
      LAT_MIN + (((lat + 1) & 0xFFFFFFFFL) * 1.0 / cells) * latScale
    };
  }

  /**
   * The position a score stands for, {lon, lat}: the centre of its cell, clamped to the ranges.
   * Any double decodes (a sorted set may hold scores GEOADD never wrote): it is first converted
   * to an unsigned 64-bit integer as x86-64 code compiled from C converts one.
   */
  public static double[] decode(double score) {
    double[] a = area(toUnsigned64(score), STEP_MAX);
    double lon = Math.max(LON_MIN, Math.min(LON_MAX, (a[0] + a[1]) / 2));
    double lat = Math.max(LAT_MIN, Math.min(LAT_MAX, (a[2] + a[3]) / 2));
    return new double[] {lon, lat};
  }

  /** C's {@code (uint64_t) d} on x86-64: truncation, with the indefinite value out of range. */
  static long toUnsigned64(double d) {
    final double twoTo63 = 9.223372036854775808E18;
    if (d < twoTo63) {
      return truncate(d);
    }
    return truncate(d - twoTo63) ^ Long.MIN_VALUE;
  }

  /** cvttsd2si: truncation toward zero, 0x8000000000000000 for NaN and out-of-range values. */
  private static long truncate(double d) {
    if (Double.isNaN(d) || d >= 9.223372036854775808E18 || d < -9.223372036854775808E18) {
      return Long.MIN_VALUE;
    }
    return (long) d;
  }

  /** The standard 11-character geohash of a score (latitudes over -90..90; the last is '0'). */
  public static String standardHash(double score) {
    double[] xy = decode(score);
    long bits = encode(xy[0], xy[1], STEP_MAX, -90, 90);
    char[] out = new char[11];
    for (int i = 0; i < 10; i++) {
      out[i] = BASE32[(int) ((bits >>> (52 - (i + 1) * 5)) & 0x1f)];
    }
    out[10] = BASE32[0]; // 52 bits fill ten characters; the eleventh is zero by convention
    return new String(out);
  }

  // ---- distances ----

  private static double toRad(double deg) {
    return deg * RAD_PER_DEG;
  }

  private static double toDeg(double rad) {
    return rad / RAD_PER_DEG;
  }

  /** Metres between two latitudes along a meridian. */
  static double latitudeDistance(double lat1, double lat2) {
    return EARTH_RADIUS_M * Math.abs(toRad(lat2) - toRad(lat1));
  }

  /** Great-circle metres between (lon1, lat1) and (lon2, lat2). */
  public static double distance(double lon1, double lat1, double lon2, double lat2) {
    double halfDLon = Math.sin((toRad(lon2) - toRad(lon1)) / 2);
    if (halfDLon == 0.0) {
      return latitudeDistance(lat1, lat2); // same meridian: no trigonometry needed
    }
    double lat1r = toRad(lat1);
    double lat2r = toRad(lat2);
    double halfDLat = Math.sin((lat2r - lat1r) / 2);
    double h = halfDLat * halfDLat + Math.cos(lat1r) * Math.cos(lat2r) * halfDLon * halfDLon;
    return 2.0 * EARTH_RADIUS_M * Math.asin(Math.sqrt(h));
  }

  // ---- search shapes ----

  /**
   * What a search covers: a circle of {@code radius} or a {@code width} x {@code height} box
   * around (lon, lat), in a unit of {@code toMetres} metres.
   */
  public record Shape(double lon, double lat, boolean box, double radius, double width,
      double height, double toMetres) {

    public static Shape circle(double lon, double lat, double radius, double toMetres) {
      return new Shape(lon, lat, false, radius, 0, 0, toMetres);
    }

    public static Shape box(double lon, double lat, double width, double height,
        double toMetres) {
      return new Shape(lon, lat, true, 0, width, height, toMetres);
    }

    /**
     * The distance in metres from the centre to (plon, plat) when the point is inside the
     * shape, else -1. A box is judged by the latitude distance, then by the distance along the
     * point's parallel, as Redis does. (A NaN distance, from rounding at an antipode, counts as
     * inside, as it does in Redis.)
     */
    public double metresIfInside(double plon, double plat) {
      if (!box) {
        double d = distance(lon, lat, plon, plat);
        return d > radius * toMetres ? -1 : d;
      }
      double widthM = width * toMetres;
      double heightM = height * toMetres;
      if (latitudeDistance(plat, lat) > heightM / 2) {
        return -1;
      }
      if (distance(plon, plat, lon, plat) > widthM / 2) {
        return -1;
      }
      return distance(lon, lat, plon, plat);
    }

    /** {minLon, minLat, maxLon, maxLat}: wider at the parallel farther from the equator. */
    double[] bounds() {
      double h = toMetres * (box ? height / 2 : radius);
      double w = toMetres * (box ? width / 2 : radius);
      double latDelta = toDeg(h / EARTH_RADIUS_M);
      double lonDeltaTop = toDeg(w / EARTH_RADIUS_M / Math.cos(toRad(lat + latDelta)));
      double lonDeltaBottom = toDeg(w / EARTH_RADIUS_M / Math.cos(toRad(lat - latDelta)));
      double lonDelta = lat < 0 ? lonDeltaBottom : lonDeltaTop;
      return new double[] {lon - lonDelta, lat - latDelta, lon + lonDelta, lat + latDelta};
    }

    /**
     * The cells to scan, as {bits, step} pairs in Redis's order (centre, N, S, E, W, NE, NW, SE,
     * SW); a neighbour that cannot hold a point of the shape is {0, 0}. The step is the
     * estimate for the shape's radius (half the diagonal of a box), one coarser when a
     * neighbour would not reach the bounding box's edge.
     */
    public long[][] cells() {
      double[] b = bounds();
      double reach = box ? Math.sqrt((width / 2) * (width / 2) + (height / 2) * (height / 2))
          : radius;
      reach *= toMetres;
      int step = estimateStep(reach, lat);
      long[][] cells = around(encode(lon, lat, step, LAT_MIN, LAT_MAX), step);
      boolean tooFine = area(cells[1][0], step)[3] < b[3] // north's top below the box's
          || area(cells[2][0], step)[2] > b[1]
          || area(cells[3][0], step)[1] < b[2]
          || area(cells[4][0], step)[0] > b[0];
      if (step > 1 && tooFine) {
        step--;
        cells = around(encode(lon, lat, step, LAT_MIN, LAT_MAX), step);
      }
      if (step >= 2) {
        double[] centre = area(cells[0][0], step);
        if (centre[2] < b[1]) { // the centre cell reaches below the box: nothing further south
          clear(cells, 2, 7, 8);
        }
        if (centre[3] > b[3]) {
          clear(cells, 1, 5, 6);
        }
        if (centre[0] < b[0]) {
          clear(cells, 4, 6, 8);
        }
        if (centre[1] > b[2]) {
          clear(cells, 3, 5, 7);
        }
      }
      return cells;
    }
  }

  private static void clear(long[][] cells, int... which) {
    for (int i : which) {
      cells[i][0] = 0;
      cells[i][1] = 0;
    }
  }

  /** The bits per axis for a search reaching {@code metres} around latitude {@code lat}. */
  static int estimateStep(double metres, double lat) {
    if (metres == 0) {
      return STEP_MAX;
    }
    int step = 1;
    while (metres < MERCATOR_MAX) {
      metres *= 2;
      step++;
    }
    step -= 2; // a little coarser, so that most shapes fit the nine cells
    if (lat > 66 || lat < -66) { // meridians converge: coarser again toward the poles
      step--;
      if (lat > 80 || lat < -80) {
        step--;
      }
    }
    return Math.max(1, Math.min(STEP_MAX, step));
  }

  /**
   * A cell and its eight neighbours. A moved index wraps at the edges of the index space; the
   * axis a neighbour does not move along keeps the cell's bits as they are.
   */
  private static long[][] around(long bits, int step) {
    long lat = gather(bits);
    long lon = gather(bits >>> 1);
    long mask = (1L << step) - 1;
    long[][] out = new long[9][];
    for (int i = 0; i < 9; i++) {
      int dLon = MOVES[i][0];
      int dLat = MOVES[i][1];
      long lonBits = dLon == 0 ? bits & ODD : spread((lon + dLon) & mask) << 1;
      long latBits = dLat == 0 ? bits & EVEN : spread((lat + dLat) & mask);
      out[i] = new long[] {lonBits | latBits, step};
    }
    return out;
  }

  private static final long EVEN = 0x5555555555555555L;
  private static final long ODD = 0xAAAAAAAAAAAAAAAAL;
  /** {longitude, latitude} moves of the centre, N, S, E, W, NE, NW, SE, SW. */
  private static final int[][] MOVES = {{0, 0}, {0, 1}, {0, -1}, {1, 0}, {-1, 0}, {1, 1},
    {-1, 1}, {1, -1}, {-1, -1}};
}
