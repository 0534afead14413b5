package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Notify;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.resp.RespWriter;
import io.kiln.server.Client;
import io.kiln.types.GeoHash;
import io.kiln.types.ZSetValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The geo family (Redis 7.0 semantics). A position is the score of a sorted-set member, its
 * 52-bit geohash ({@link GeoHash}), so every sorted-set command works on a geo key too.
 * GEOADD is a ZADD of those scores: it is notified and recorded as that ZADD. GEOPOS, GEOHASH
 * and GEODIST read scores back; GEORADIUS[_RO], GEORADIUSBYMEMBER[_RO], GEOSEARCH and
 * GEOSEARCHSTORE are one search ({@link #search}) over {@link GeoSearch}, replying or storing.
 * Runs on the event loop of the shard owning the keys.
 */
public final class GeoCommands {
  private GeoCommands() {}

  // What a search command is: where its centre comes from and what it may store.
  private static final int FROM_COORDS = 1; // GEORADIUS: key lon lat radius unit
  private static final int FROM_MEMBER = 1 << 1; // GEORADIUSBYMEMBER: key member radius unit
  private static final int NO_STORE = 1 << 2; // the _RO variants
  private static final int SEARCH = 1 << 3; // GEOSEARCH: FROM... and BY... options
  private static final int SEARCH_STORE = 1 << 4; // GEOSEARCHSTORE: dst src, STOREDIST flag

  static void register(CommandTable t) {
    t.add("geoadd", -5, "write denyoom", 1, 1, 1, GeoCommands::geoadd);
    t.add("geodist", -4, "readonly", 1, 1, 1, GeoCommands::geodist);
    t.add("geohash", -2, "readonly", 1, 1, 1, GeoCommands::geohash);
    t.add("geopos", -2, "readonly", 1, 1, 1, GeoCommands::geopos);
    t.add("georadius", -6, "write denyoom", 1, 1, 1, (c, a) -> search(c, a, 1, FROM_COORDS))
        .keys((argc, argv, base) -> radiusKeys(argc, argv, base, 6));
    t.add("georadiusbymember", -5, "write denyoom", 1, 1, 1,
        (c, a) -> search(c, a, 1, FROM_MEMBER))
        .keys((argc, argv, base) -> radiusKeys(argc, argv, base, 5));
    t.add("georadius_ro", -6, "readonly", 1, 1, 1,
        (c, a) -> search(c, a, 1, FROM_COORDS | NO_STORE));
    t.add("georadiusbymember_ro", -5, "readonly", 1, 1, 1,
        (c, a) -> search(c, a, 1, FROM_MEMBER | NO_STORE));
    t.add("geosearch", -7, "readonly", 1, 1, 1, (c, a) -> search(c, a, 1, SEARCH));
    t.add("geosearchstore", -8, "write denyoom", 1, 2, 1,
        (c, a) -> search(c, a, 2, SEARCH | SEARCH_STORE));
  }

  /**
   * GEORADIUS[BYMEMBER]'s keys as its key specs find them: the source key, then the argument
   * after the first STORE and after the first STOREDIST from position {@code from} on.
   */
  private static List<int[]> radiusKeys(int argc, byte[][] argv, int base, int from) {
    List<int[]> out = new ArrayList<>();
    out.add(new int[] {1, 0});
    String[] keywords = {"store", "storedist"};
    for (int spec = 1; spec <= 2; spec++) {
      for (int i = from; i < argc - 1; i++) {
        if (Args.is(argv[base + i], keywords[spec - 1])) {
          out.add(new int[] {i + 1, spec});
          break;
        }
      }
    }
    return out;
  }

  /** Sentinel: the key holds another type and WRONGTYPE was replied. */
  private static final ZSetValue WRONG = new ZSetValue(false);

  private static ZSetValue read(Client c, byte[] key) {
    return Members.read(c, key, ZSetValue.class, WRONG);
  }

  /** {lon, lat} from two arguments, or null after replying the error. */
  private static double[] lonLat(Client c, byte[] lonArg, byte[] latArg) {
    Double lon = Numbers.toDouble(lonArg);
    Double lat = lon == null ? null : Numbers.toDouble(latArg);
    if (lat == null) {
      c.error(Errors.NOT_FLOAT);
      return null;
    }
    if (lon < GeoHash.LON_MIN || lon > GeoHash.LON_MAX || lat < GeoHash.LAT_MIN
        || lat > GeoHash.LAT_MAX) {
      c.error(Errors.geoInvalidLonLat(lon, lat));
      return null;
    }
    return new double[] {lon, lat};
  }

  /** Metres per unit (m, km, ft, mi, any case), or -1 after replying the error. */
  private static double unit(Client c, byte[] u) {
    if (Args.is(u, "m")) {
      return 1;
    } else if (Args.is(u, "km")) {
      return 1000;
    } else if (Args.is(u, "ft")) {
      return 0.3048;
    } else if (Args.is(u, "mi")) {
      return 1609.34;
    }
    c.error(Errors.GEO_UNIT);
    return -1;
  }

  /**
   * A non-negative length argument, or NaN after replying {@code notNumber} or
   * {@code negative}.
   */
  private static double length(Client c, byte[] arg, String notNumber, String negative) {
    Double d = Numbers.toDouble(arg);
    if (d == null) {
      c.error(notNumber);
      return Double.NaN;
    }
    if (d < 0) {
      c.error(negative);
      return Double.NaN;
    }
    return d;
  }

  // ---- GEOADD ----

  private static final byte[] ZADD = "zadd".getBytes(StandardCharsets.US_ASCII);

  /** GEOADD key [NX|XX] [CH] lon lat member ...: the ZADD of the members' geohash scores. */
  static void geoadd(Client c, byte[][] argv) {
    boolean nx = false;
    boolean xx = false;
    boolean ch = false;
    int first = 2;
    for (; first < argv.length; first++) {
      if (Args.is(argv[first], "nx")) {
        nx = true;
      } else if (Args.is(argv[first], "xx")) {
        xx = true;
      } else if (Args.is(argv[first], "ch")) {
        ch = true;
      } else {
        break;
      }
    }
    int triples = argv.length - first;
    if (triples % 3 != 0 || (nx && xx)) {
      c.error(Errors.SYNTAX);
      return;
    }
    int elements = triples / 3;
    // The ZADD this stands for: the same key and options, then score member pairs.
    byte[][] zadd = new byte[first + 2 * elements][];
    zadd[0] = ZADD;
    System.arraycopy(argv, 1, zadd, 1, first - 1);
    double[] scores = new double[elements];
    for (int j = 0; j < elements; j++) {
      int at = first + 3 * j;
      double[] xy = lonLat(c, argv[at], argv[at + 1]);
      if (xy == null) {
        return;
      }
      long score = GeoHash.score(xy[0], xy[1]);
      scores[j] = score;
      zadd[first + 2 * j] = Long.toString(score).getBytes(StandardCharsets.US_ASCII);
      zadd[first + 2 * j + 1] = argv[at + 2];
    }
    if (elements == 0) {
      c.error(Errors.SYNTAX); // what ZADD answers when only options are left
      return;
    }
    int flags = (nx ? ZSetValue.IN_NX : 0) | (xx ? ZSetValue.IN_XX : 0);
    long dirty = c.shard.dirty;
    ZSetCommands.addGeneric(c, argv[1], flags, ch, scores, zadd, first);
    if (c.shard.dirty != dirty) {
      c.shard.effects.rewrite(c.dbIndex(), zadd);
    }
  }

  // ---- GEOPOS, GEOHASH, GEODIST ----

  static void geopos(Client c, byte[][] argv) {
    ZSetValue z = read(c, argv[1]);
    if (z == WRONG) {
      return;
    }
    RespWriter out = c.out;
    out.array(argv.length - 2);
    for (int i = 2; i < argv.length; i++) {
      double score = z == null ? Double.NaN : z.score(argv[i]);
      if (Double.isNaN(score)) {
        out.nullArray();
        continue;
      }
      double[] xy = GeoHash.decode(score);
      out.array(2);
      out.dbl(Numbers.formatHuman(xy[0]));
      out.dbl(Numbers.formatHuman(xy[1]));
    }
  }

  static void geohash(Client c, byte[][] argv) {
    ZSetValue z = read(c, argv[1]);
    if (z == WRONG) {
      return;
    }
    c.out.array(argv.length - 2);
    for (int i = 2; i < argv.length; i++) {
      double score = z == null ? Double.NaN : z.score(argv[i]);
      if (Double.isNaN(score)) {
        c.out.nullBulk();
      } else {
        c.out.bulk(GeoHash.standardHash(score));
      }
    }
  }

  /** GEODIST key member1 member2 [unit]. */
  static void geodist(Client c, byte[][] argv) {
    double toMetres = 1;
    if (argv.length == 5) {
      toMetres = unit(c, argv[4]);
      if (toMetres < 0) {
        return;
      }
    } else if (argv.length > 5) {
      c.error(Errors.SYNTAX);
      return;
    }
    ZSetValue z = read(c, argv[1]);
    if (z == WRONG) {
      return;
    }
    double s1 = z == null ? Double.NaN : z.score(argv[2]);
    double s2 = z == null ? Double.NaN : z.score(argv[3]);
    if (Double.isNaN(s1) || Double.isNaN(s2)) {
      c.out.nullBulk();
      return;
    }
    double[] a = GeoHash.decode(s1);
    double[] b = GeoHash.decode(s2);
    c.out.bulk(Numbers.formatFixed4(GeoHash.distance(a[0], a[1], b[0], b[1]) / toMetres));
  }

  // ---- the searches ----

  /** A search's options, as parsed. */
  private static final class Query {
    double lon;
    double lat;
    boolean box;
    double radius;
    double width;
    double height;
    double toMetres;
    boolean withDist;
    boolean withHash;
    boolean withCoord;
    boolean fromMember;
    boolean fromLonLat;
    boolean byRadius;
    boolean byBox;
    boolean any;
    /** 0: unsorted, 1: nearest first, -1: farthest first. */
    int order;
    /** COUNT, 0 for none. */
    long count;
    byte[] storeKey;
    boolean storeDist;

    /** Reads "radius unit" at {@code argv[at]}; false after replying the error. */
    boolean circle(Client c, byte[][] argv, int at) {
      radius = length(c, argv[at], Errors.GEO_RADIUS_NOT_NUMBER, Errors.GEO_RADIUS_NEGATIVE);
      if (Double.isNaN(radius)) {
        return false;
      }
      toMetres = unit(c, argv[at + 1]);
      box = false;
      return toMetres > 0;
    }

    /** Reads "width height unit" at {@code argv[at]}; false after replying the error. */
    boolean box(Client c, byte[][] argv, int at) {
      Double w = Numbers.toDouble(argv[at]);
      if (w == null) {
        c.error(Errors.GEO_WIDTH_NOT_NUMBER);
        return false;
      }
      Double h = Numbers.toDouble(argv[at + 1]);
      if (h == null) {
        c.error(Errors.GEO_HEIGHT_NOT_NUMBER);
        return false;
      }
      if (h < 0 || w < 0) {
        c.error(Errors.GEO_BOX_NEGATIVE);
        return false;
      }
      width = w;
      height = h;
      toMetres = unit(c, argv[at + 2]);
      box = true;
      return toMetres > 0;
    }

    /** Centres the search on {@code member}'s position; false after replying the error. */
    boolean centreOn(Client c, ZSetValue z, byte[] member) {
      double score = z.score(member);
      if (Double.isNaN(score)) {
        c.error(Errors.GEO_MEMBER_UNKNOWN);
        return false;
      }
      double[] xy = GeoHash.decode(score);
      lon = xy[0];
      lat = xy[1];
      return true;
    }

    GeoHash.Shape shape() {
      return box ? GeoHash.Shape.box(lon, lat, width, height, toMetres)
          : GeoHash.Shape.circle(lon, lat, radius, toMetres);
    }
  }

  /**
   * Every search command: {@code src} is the source key's index, {@code kind} what the command
   * accepts. Checks run in Redis's order: the source's type, the centre and radius of the
   * GEORADIUS forms, then the options one by one, then the combinations.
   */
  static void search(Client c, byte[][] argv, int src, int kind) {
    ZSetValue z = read(c, argv[src]);
    if (z == WRONG) {
      return;
    }
    Query q = new Query();
    int base;
    if ((kind & FROM_COORDS) != 0) {
      base = 6;
      double[] xy = lonLat(c, argv[2], argv[3]);
      if (xy == null) {
        return;
      }
      q.lon = xy[0];
      q.lat = xy[1];
      if (!q.circle(c, argv, 4)) {
        return;
      }
    } else if ((kind & FROM_MEMBER) != 0) {
      base = 5;
      // without a source the reply is empty whatever the centre: it is not even read
      if (z != null && (!q.centreOn(c, z, argv[2]) || !q.circle(c, argv, 3))) {
        return;
      }
    } else {
      base = (kind & SEARCH_STORE) != 0 ? 3 : 2;
      if ((kind & SEARCH_STORE) != 0) {
        q.storeKey = argv[1];
      }
    }
    if (!options(c, argv, base, kind, z, q)) {
      return;
    }
    if (q.storeKey != null && (q.withDist || q.withHash || q.withCoord)) {
      c.error((kind & SEARCH_STORE) != 0 ? Errors.GEOSEARCHSTORE_WITH_REPLY_OPTIONS
          : Errors.GEO_STORE_WITH_REPLY_OPTIONS);
      return;
    }
    if ((kind & SEARCH) != 0 && !(q.fromMember || q.fromLonLat)) {
      c.error(Errors.geoNeedsFrom(Numbers.ascii(argv[0])));
      return;
    }
    if ((kind & SEARCH) != 0 && !(q.byRadius || q.byBox)) {
      c.error(Errors.geoNeedsBy(Numbers.ascii(argv[0])));
      return;
    }
    if (q.any && q.count == 0) {
      c.error(Errors.GEO_ANY_WITHOUT_COUNT);
      return;
    }
    if (z == null) {
      if (q.storeKey != null) {
        store(c, q, new GeoSearch.Point[0], kind);
      } else {
        c.out.array(0);
      }
      return;
    }
    if (q.count != 0 && q.order == 0 && !q.any) {
      q.order = 1; // the COUNT nearest, unless ANY asked for the first found
    }
    List<GeoSearch.Point> found = GeoSearch.find(z, q.shape(), q.any ? q.count : 0);
    if (found.isEmpty() && q.storeKey == null) {
      c.out.array(0);
      return;
    }
    GeoSearch.Point[] points = found.toArray(new GeoSearch.Point[0]);
    int wanted = q.count == 0 || points.length < q.count ? points.length : (int) q.count;
    if (q.order != 0) {
      GeoSearch.order(points, q.order < 0, wanted);
    }
    GeoSearch.Point[] kept = Arrays.copyOf(points, wanted);
    if (q.storeKey != null) {
      store(c, q, kept, kind);
    } else {
      reply(c, q, kept);
    }
  }

  /** Reads the options from {@code argv[base]} on into {@code q}; false after an error. */
  private static boolean options(Client c, byte[][] argv, int base, int kind, ZSetValue z,
      Query q) {
    boolean search = (kind & SEARCH) != 0;
    boolean mayStore = !search && (kind & NO_STORE) == 0;
    int remaining = argv.length - base;
    for (int i = 0; i < remaining; i++) {
      byte[] a = argv[base + i];
      int at = base + i + 1; // the option's first argument
      if (Args.is(a, "withdist")) {
        q.withDist = true;
      } else if (Args.is(a, "withhash")) {
        q.withHash = true;
      } else if (Args.is(a, "withcoord")) {
        q.withCoord = true;
      } else if (Args.is(a, "any")) {
        q.any = true;
      } else if (Args.is(a, "asc")) {
        q.order = 1;
      } else if (Args.is(a, "desc")) {
        q.order = -1;
      } else if (Args.is(a, "count") && i + 1 < remaining) {
        Long n = Numbers.toLong(argv[at]);
        if (n == null) {
          c.error(Errors.NOT_INTEGER);
          return false;
        }
        if (n <= 0) {
          c.error(Errors.GEO_COUNT_NOT_POSITIVE);
          return false;
        }
        q.count = n;
        i++;
      } else if (mayStore && i + 1 < remaining
          && (Args.is(a, "store") || Args.is(a, "storedist"))) {
        q.storeKey = argv[at];
        q.storeDist = Args.is(a, "storedist");
        i++;
      } else if (search && (kind & SEARCH_STORE) != 0 && Args.is(a, "storedist")) {
        q.storeDist = true;
      } else if (search && !q.fromLonLat && i + 1 < remaining && Args.is(a, "frommember")) {
        if (z != null && !q.centreOn(c, z, argv[at])) {
          return false; // (without a source the search ends empty once the options are read)
        }
        q.fromMember = true;
        i++;
      } else if (search && !q.fromMember && i + 2 < remaining && Args.is(a, "fromlonlat")) {
        double[] xy = lonLat(c, argv[at], argv[at + 1]);
        if (xy == null) {
          return false;
        }
        q.lon = xy[0];
        q.lat = xy[1];
        q.fromLonLat = true;
        i += 2;
      } else if (search && !q.byBox && i + 2 < remaining && Args.is(a, "byradius")) {
        if (!q.circle(c, argv, at)) {
          return false;
        }
        q.byRadius = true;
        i += 2;
      } else if (search && !q.byRadius && i + 3 < remaining && Args.is(a, "bybox")) {
        if (!q.box(c, argv, at)) {
          return false;
        }
        q.byBox = true;
        i += 3;
      } else {
        c.error(Errors.SYNTAX);
        return false;
      }
    }
    return true;
  }

  /** The found points, each with what WITHDIST, WITHHASH and WITHCOORD asked for. */
  private static void reply(Client c, Query q, GeoSearch.Point[] points) {
    RespWriter out = c.out;
    int extras = (q.withDist ? 1 : 0) + (q.withHash ? 1 : 0) + (q.withCoord ? 1 : 0);
    out.array(points.length);
    for (GeoSearch.Point p : points) {
      if (extras > 0) {
        out.array(extras + 1);
      }
      out.bulk(p.member());
      if (q.withDist) {
        out.bulk(Numbers.formatFixed4(p.metres() / q.toMetres));
      }
      if (q.withHash) {
        out.integer((long) p.score());
      }
      if (q.withCoord) {
        out.array(2);
        out.dbl(Numbers.formatHuman(p.lon()));
        out.dbl(Numbers.formatHuman(p.lat()));
      }
    }
  }

  /**
   * STORE / STOREDIST / GEOSEARCHSTORE: the points as a sorted set at the store key, scored by
   * geohash or by distance in the query's unit; no points deletes the key.
   */
  private static void store(Client c, Query q, GeoSearch.Point[] points, int kind) {
    Db db = c.db();
    int n = points.length;
    if (n == 0) {
      if (db.delete(q.storeKey)) {
        c.shard.dirty++;
        db.notify(Notify.GENERIC, "del", q.storeKey);
      }
      c.out.integer(0);
      return;
    }
    double[] score = new double[n];
    Integer[] byScore = new Integer[n];
    for (int i = 0; i < n; i++) {
      score[i] = q.storeDist ? points[i].metres() / q.toMetres : points[i].score();
      byScore[i] = i;
    }
    Arrays.sort(byScore, (x, y) -> score[x] != score[y] ? Double.compare(score[x], score[y])
        : Arrays.compareUnsigned(points[x].member(), points[y].member()));
    byte[][] members = new byte[n][];
    double[] scores = new double[n];
    for (int i = 0; i < n; i++) {
      members[i] = points[byScore[i]].member();
      scores[i] = score[byScore[i]];
    }
    db.set(q.storeKey, ZSetValue.fromSorted(members, scores, n,
        c.kiln.config().getLong("zset-max-listpack-entries"),
        c.kiln.config().getLong("zset-max-listpack-value")), false);
    c.shard.dirty += n;
    db.notify(Notify.ZSET, (kind & SEARCH) != 0 ? "geosearchstore" : "georadiusstore",
        q.storeKey);
    c.out.integer(n);
  }
}
