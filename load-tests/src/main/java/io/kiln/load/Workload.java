package io.kiln.load;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * What each request is. The spec ({@link Spec}) is immutable and shared; each connection makes its
 * own {@link Generator} (own random), so generators are confined to that connection's event loop.
 */
public final class Workload {
  private Workload() {}

  private static final byte[] KEY = "key:".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] GET = "GET".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SET = "SET".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] INCR = "INCR".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LPUSH = "LPUSH".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LPOP = "LPOP".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] HSET = "HSET".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ZADD = "ZADD".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MSET = "MSET".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PING = "PING".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MULTI = "MULTI".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EXEC = "EXEC".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] FIELD = "field:".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MEMBER = "member:".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LIST = "list:".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] HASH = "hash:".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ZSET = "zset:".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] COUNTER = "counter:".getBytes(StandardCharsets.US_ASCII);

  /** The kinds of workload the generator knows. */
  public enum Kind {
    GET_SET("get-set"), INCR("incr"), LPUSH_LPOP("lpush-lpop"), HSET("hset"), ZADD("zadd"),
    MSET("mset"), PING("ping"),
    /** A transaction: MULTI, INCR of two counters, EXEC (four replies make one request). */
    MULTI("multi"),
    /** Look-aside cache: GET a key; on a miss (null reply) SET it, as the next request sent. */
    CACHE("cache");

    public final String label;

    Kind(String label) {
      this.label = label;
    }

    public static Kind parse(String s) {
      for (Kind k : values()) {
        if (k.label.equalsIgnoreCase(s) || k.name().equalsIgnoreCase(s)) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown --workload " + s + "; one of "
          + Arrays.stream(values()).map(k -> k.label).toList());
    }
  }

  /**
   * @param setWeight,getWeight the set:get ratio for GET_SET (e.g. 1:10)
   * @param msetKeys key/value pairs per MSET
   * @param tags MSET and MULTI: hash tags on the keys of a request (see {@link HashTags})
   */
  public record Spec(Kind kind, int setWeight, int getWeight, KeyChooser keys, int valueSize,
      int msetKeys, HashTags tags) {

    public Spec(Kind kind, int setWeight, int getWeight, KeyChooser keys, int valueSize,
        int msetKeys) {
      this(kind, setWeight, getWeight, keys, valueSize, msetKeys, HashTags.NONE);
    }

    /** Replies that answer one request: four for MULTI, one otherwise. */
    public int repliesPerRequest() {
      return kind == Kind.MULTI ? 4 : 1;
    }

    public Generator generator(long seed) {
      return new Generator(this, new SplittableRandom(seed));
    }

    public String describe() {
      String d = switch (kind) {
        case GET_SET -> "SET:GET " + setWeight + ":" + getWeight;
        case MSET -> "MSET x" + msetKeys + tags.describe;
        case MULTI -> "MULTI/INCR x2/EXEC" + tags.describe;
        case CACHE -> "cache (GET, SET on a miss)";
        default -> kind.label.toUpperCase().replace('-', '/');
      };
      String dist = keys instanceof KeyChooser.Zipfian z ? "zipf " + z.theta() : "uniform";
      return d + ", " + keys.size() + " keys " + dist + ", " + valueSize + " B values";
    }
  }

  /**
   * Hash tags on the keys of an MSET or MULTI request: NONE (plain keys), EACH (each key behind
   * a tag of its own: the keys of a request fall in slots all over, as plain keys do, but are as
   * long as ONE's) or ONE (all behind the first key's tag: one slot, so one shard).
   */
  public enum HashTags {
    NONE(""), EACH(", a tag per key"), ONE(", one tag (one slot)");

    final String describe;

    HashTags(String describe) {
      this.describe = describe;
    }

    public static HashTags parse(String s) {
      for (HashTags t : values()) {
        if (t.name().equalsIgnoreCase(s)) {
          return t;
        }
      }
      throw new IllegalArgumentException("--hash-tags is none, each or one");
    }
  }

  /** Parses "SET:GET" such as "1:10". */
  public static int[] parseRatio(String s) {
    String[] p = s.split(":");
    if (p.length != 2) {
      throw new IllegalArgumentException("--ratio is SET:GET, e.g. 1:10");
    }
    int a = Integer.parseInt(p[0].trim());
    int b = Integer.parseInt(p[1].trim());
    if (a < 0 || b < 0 || a + b == 0) {
      throw new IllegalArgumentException("--ratio weights must be >= 0 and not both 0");
    }
    return new int[] {a, b};
  }

  /** What {@link Generator#reply} saw: not a cache request, a GET hit, a GET miss, a SET. */
  public enum CacheReply { NONE, HIT, MISS, SET }

  /** Appends one request per call to a buffer. Confined to one connection's thread. */
  public static final class Generator {
    private final Spec spec;
    private final SplittableRandom random;
    private final byte[] value;
    private boolean pushNext = true;
    /** CACHE: the requests in flight, in order: key * 2, + 1 for a SET. */
    private final LongRing inFlight = new LongRing();
    /** CACHE: keys whose GET missed, to SET before the next GET. */
    private final LongRing toSet = new LongRing();

    Generator(Spec spec, SplittableRandom random) {
      this.spec = spec;
      this.random = random;
      this.value = new byte[spec.valueSize()];
      for (int i = 0; i < value.length; i++) {
        value[i] = (byte) ('a' + random.nextInt(26));
      }
    }

    /**
     * Accounts for the reply to the oldest request in flight (replies come in order). CACHE only:
     * a null reply to a GET queues a SET of that key, sent as the next request; other kinds
     * return NONE and keep no state.
     */
    public CacheReply reply(boolean isNull, boolean error) {
      if (spec.kind() != Kind.CACHE) {
        return CacheReply.NONE;
      }
      long r = inFlight.poll();
      if ((r & 1) == 1) {
        return CacheReply.SET;
      }
      if (isNull && !error) {
        toSet.add(r >>> 1);
        return CacheReply.MISS;
      }
      return error ? CacheReply.NONE : CacheReply.HIT;
    }

    /** CACHE: requests sent and not answered yet. */
    int inFlight() {
      return inFlight.size();
    }

    /** Replies that answer one request (see {@link Spec#repliesPerRequest}). */
    public int repliesPerRequest() {
      return spec.repliesPerRequest();
    }

    /** Appends the next request to {@code b}. */
    public void next(Buffer b) {
      if (spec.kind() == Kind.CACHE) {
        nextCache(b);
        return;
      }
      long k = spec.keys().next(random);
      switch (spec.kind()) {
        case GET_SET -> {
          int total = spec.setWeight() + spec.getWeight();
          if (random.nextInt(total) < spec.setWeight()) {
            Resp.arrayHeader(b, 3);
            Resp.bulk(b, SET);
            Resp.bulkKey(b, KEY, k);
            Resp.bulk(b, value);
          } else {
            Resp.arrayHeader(b, 2);
            Resp.bulk(b, GET);
            Resp.bulkKey(b, KEY, k);
          }
        }
        case INCR -> {
          Resp.arrayHeader(b, 2);
          Resp.bulk(b, INCR);
          Resp.bulkKey(b, COUNTER, k);
        }
        case LPUSH_LPOP -> {
          if (pushNext) {
            Resp.arrayHeader(b, 3);
            Resp.bulk(b, LPUSH);
            Resp.bulkKey(b, LIST, k);
            Resp.bulk(b, value);
          } else {
            Resp.arrayHeader(b, 2);
            Resp.bulk(b, LPOP);
            Resp.bulkKey(b, LIST, k);
          }
          pushNext = !pushNext;
        }
        case HSET -> {
          Resp.arrayHeader(b, 4);
          Resp.bulk(b, HSET);
          Resp.bulkKey(b, HASH, k % 1000);
          Resp.bulkKey(b, FIELD, k);
          Resp.bulk(b, value);
        }
        case ZADD -> {
          Resp.arrayHeader(b, 4);
          Resp.bulk(b, ZADD);
          Resp.bulkKey(b, ZSET, k % 1000);
          Resp.bulkLong(b, random.nextInt(1_000_000));
          Resp.bulkKey(b, MEMBER, k);
        }
        case MSET -> {
          Resp.arrayHeader(b, 1 + 2 * spec.msetKeys());
          Resp.bulk(b, MSET);
          for (int i = 0; i < spec.msetKeys(); i++) {
            key(b, k, KEY, i == 0 ? k : spec.keys().next(random));
            Resp.bulk(b, value);
          }
        }
        case MULTI -> {
          Resp.arrayHeader(b, 1);
          Resp.bulk(b, MULTI);
          for (long n : new long[] {k, spec.keys().next(random)}) {
            Resp.arrayHeader(b, 2);
            Resp.bulk(b, INCR);
            key(b, k, COUNTER, n);
          }
          Resp.arrayHeader(b, 1);
          Resp.bulk(b, EXEC);
        }
        case PING -> {
          Resp.arrayHeader(b, 1);
          Resp.bulk(b, PING);
        }
        default -> throw new IllegalStateException();
      }
    }

    /** Key {@code n} of a request whose first key is {@code first}, tagged as the spec says. */
    private void key(Buffer b, long first, byte[] prefix, long n) {
      switch (spec.tags()) {
        case NONE -> Resp.bulkKey(b, prefix, n);
        case EACH -> Resp.bulkTaggedKey(b, n, prefix, n);
        case ONE -> Resp.bulkTaggedKey(b, first, prefix, n);
      }
    }

    private void nextCache(Buffer b) {
      if (toSet.size() > 0) {
        long k = toSet.poll();
        inFlight.add(k << 1 | 1);
        Resp.arrayHeader(b, 3);
        Resp.bulk(b, SET);
        Resp.bulkKey(b, KEY, k);
        Resp.bulk(b, value);
      } else {
        long k = spec.keys().next(random);
        inFlight.add(k << 1);
        Resp.arrayHeader(b, 2);
        Resp.bulk(b, GET);
        Resp.bulkKey(b, KEY, k);
      }
    }
  }
}
