package io.kiln.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The look-aside cache workload, its null-reply detection, and the cache scenario's helpers. */
class CacheWorkloadTest {

  private static String next(Workload.Generator g) {
    Buffer b = Buffer.buffer();
    g.next(b);
    return b.toString(StandardCharsets.US_ASCII);
  }

  private static String key(String request) {
    int i = request.indexOf("key:");
    return request.substring(i, i + 16);
  }

  @Test
  void aMissIsFollowedBySettingThatKeyAndAHitIsNot() {
    Workload.Spec spec = new Workload.Spec(Workload.Kind.CACHE, 1, 1,
        new KeyChooser.Uniform(1_000_000), 5, 1);
    Workload.Generator g = spec.generator(3);
    String a = next(g);
    String b = next(g);
    assertThat(a).startsWith("*2\r\n$3\r\nGET\r\n$16\r\nkey:");
    assertThat(b).startsWith("*2\r\n$3\r\nGET\r\n");
    assertThat(g.inFlight()).isEqualTo(2);
    // a misses, b hits: the next request sets a's key, the one after is a GET again
    assertThat(g.reply(true, false)).isEqualTo(Workload.CacheReply.MISS);
    assertThat(g.reply(false, false)).isEqualTo(Workload.CacheReply.HIT);
    String c = next(g);
    assertThat(c).matches("\\*3\r\n\\$3\r\nSET\r\n\\$16\r\nkey:\\d{12}\r\n\\$5\r\n[a-z]{5}\r\n");
    assertThat(key(c)).isEqualTo(key(a));
    assertThat(next(g)).startsWith("*2\r\n$3\r\nGET\r\n");
    assertThat(g.reply(false, false)).isEqualTo(Workload.CacheReply.SET);
    // an error reply to a GET is neither a hit nor a miss, and sets nothing
    assertThat(g.reply(false, true)).isEqualTo(Workload.CacheReply.NONE);
    assertThat(next(g)).startsWith("*2\r\n$3\r\nGET\r\n");
    assertThat(g.inFlight()).isEqualTo(1);
  }

  @Test
  void otherWorkloadsKeepNoCacheState() {
    Workload.Spec spec = new Workload.Spec(Workload.Kind.GET_SET, 1, 1, new KeyChooser.Uniform(10), 5, 1);
    Workload.Generator g = spec.generator(3);
    next(g);
    assertThat(g.reply(true, false)).isEqualTo(Workload.CacheReply.NONE);
    assertThat(g.inFlight()).isZero();
    assertThat(Workload.Kind.parse("cache")).isEqualTo(Workload.Kind.CACHE);
  }

  @Test
  void scannerFlagsTopLevelNullsOnlyWhateverTheSplit() {
    String replies = "$-1\r\n$3\r\nabc\r\n*-1\r\n_\r\n*1\r\n$-1\r\n-ERR x\r\n$0\r\n\r\n:-1\r\n";
    List<Boolean> expected = List.of(true, false, true, true, false, false, false, false);
    byte[] b = replies.getBytes(StandardCharsets.US_ASCII);
    for (int cut = 0; cut < b.length; cut++) {
      List<Boolean> nulls = new ArrayList<>();
      ReplyScanner[] s = new ReplyScanner[1];
      s[0] = new ReplyScanner((error, message) -> nulls.add(s[0].replyNull()));
      s[0].feed(b, 0, cut);
      s[0].feed(b, cut, b.length - cut);
      assertThat(nulls).as("split at %d", cut).isEqualTo(expected);
    }
  }

  @Test
  void errorKindIsTheFirstWord() {
    assertThat(RunState.errorKind("OOM command not allowed when used memory > 'maxmemory'."))
        .isEqualTo("OOM");
    assertThat(RunState.errorKind("ERR")).isEqualTo("ERR");
    assertThat(RunState.errorKind(null)).isEqualTo("?");
    RunState r = new RunState();
    r.reply(1, true, "OOM no");
    r.reply(1, true, "OOM no");
    r.reply(1, true, "ERR x");
    r.reply(1, false, null);
    assertThat(r.errorKindCounts()).containsExactly(java.util.Map.entry("ERR", 1L),
        java.util.Map.entry("OOM", 2L));
  }

  @Test
  void readsKilobytesFromProcStatus(@TempDir Path dir) throws Exception {
    Path status = dir.resolve("status");
    Files.writeString(status, "Name:\tjava\nVmHWM:\t  523456 kB\nVmRSS:\t  412345 kB\n");
    assertThat(CacheMeasure.statusKb(status, "VmRSS")).isEqualTo(412_345);
    assertThat(CacheMeasure.statusKb(status, "VmHWM")).isEqualTo(523_456);
    assertThat(CacheMeasure.statusKb(status, "VmSwap")).isEqualTo(-1);
    assertThat(CacheMeasure.statusKb(dir.resolve("gone"), "VmRSS")).isEqualTo(-1);
    // this JVM's own resident set
    long self = CacheMeasure.statusKb(Path.of("/proc/self/status"), "VmRSS");
    assertThat(self).isGreaterThan(1000);
  }

  @Test
  void hitRatioIsOverTheWindow() {
    CacheMeasure.Stats st = new CacheMeasure.Stats();
    st.start = new long[] {100, 50, 7};
    st.end = new long[] {400, 150, 27};
    assertThat(st.hitRatio()).isEqualTo(0.75);
    assertThat(st.evicted()).isEqualTo(20);
  }

  /**
   * End to end against a fake cache that keeps only even keys (a SET of an odd key is accepted
   * and dropped): uniform keys give a hit ratio near 1/2 once every even key was set, and the
   * server checks that every SET it gets is of a key whose GET missed on that connection and was
   * not set since (the look-aside pattern).
   */
  @Test
  void runsAgainstAFakeCache() throws Exception {
    Vertx vertx = Vertx.vertx();
    Set<String> store = ConcurrentHashMap.newKeySet();
    AtomicLong serverHits = new AtomicLong();
    AtomicLong serverMisses = new AtomicLong();
    AtomicReference<String> violation = new AtomicReference<>();
    try {
      NetServer server = vertx.createNetServer().connectHandler(socket -> {
        socket.exceptionHandler(e -> { });
        StringBuilder in = new StringBuilder();
        // a multiset: two GETs of one key in flight on a connection both miss, both SET it
        java.util.Map<String, Integer> missed = new java.util.HashMap<>();
        socket.handler(buf -> {
          in.append(buf.toString(StandardCharsets.ISO_8859_1));
          StringBuilder out = new StringBuilder();
          List<String> cmd;
          while ((cmd = parse(in)) != null) {
            String k = cmd.get(1);
            if (cmd.get(0).equals("GET")) {
              if (store.contains(k)) {
                serverHits.incrementAndGet();
                out.append("$1\r\nv\r\n");
              } else {
                serverMisses.incrementAndGet();
                missed.merge(k, 1, Integer::sum);
                out.append("$-1\r\n");
              }
            } else {
              Integer c = missed.get(k);
              if (c == null) {
                violation.compareAndSet(null, "SET " + k + " without a GET miss before it");
              } else if (c == 1) {
                missed.remove(k);
              } else {
                missed.put(k, c - 1);
              }
              if ((Long.parseLong(k.substring(4)) & 1) == 0) {
                store.add(k);
              }
              out.append("+OK\r\n");
            }
          }
          socket.write(Buffer.buffer(out.toString()));
        });
      }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
      LoadOptions o = new LoadOptions();
      o.port = server.actualPort();
      o.clients = 4;
      o.pipeline = 8;
      o.workload = "cache";
      o.keys = 200;
      o.warmupSeconds = 0.5;
      o.durationSeconds = 0.8;
      o.progress = false;
      LoadRun.Result r = new LoadRun(o, new PrintStream(OutputStream.nullOutputStream())).execute();
      assertThat(r.failure).isNull();
      assertThat(violation.get()).isNull();
      assertThat(r.errors).isZero();
      assertThat(r.hits + r.misses).isGreaterThan(1000);
      assertThat(r.clientHitRatio()).isBetween(0.45, 0.55);
      // one SET per miss, give or take the requests in flight at either end of the window
      assertThat(Math.abs(r.sets - r.misses)).isLessThanOrEqualTo(o.clients * o.pipeline);
      assertThat(serverHits.get() + serverMisses.get()).isGreaterThanOrEqualTo(r.hits + r.misses);

      // a warm-up ended from outside: the window starts at the next sample and lasts its duration
      o.warmupSeconds = 60;
      o.durationSeconds = 0.5;
      LoadRun early = new LoadRun(o, new PrintStream(OutputStream.nullOutputStream()));
      early.endWarmup();
      long t0 = System.nanoTime();
      LoadRun.Result e = early.execute();
      assertThat(e.failure).isNull();
      assertThat(early.measureStartNanos() - t0).isLessThan(5_000_000_000L);
      assertThat(e.measuredSeconds).isBetween(0.4, 1.5);
      assertThat(e.hits + e.misses).isPositive();
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** Takes one complete RESP array of bulk strings off the front of {@code in}, or null. */
  private static List<String> parse(StringBuilder in) {
    if (in.length() == 0 || in.charAt(0) != '*') {
      return null;
    }
    int eol = in.indexOf("\r\n");
    if (eol < 0) {
      return null;
    }
    int n = Integer.parseInt(in.substring(1, eol));
    int pos = eol + 2;
    ArrayDeque<String> parts = new ArrayDeque<>();
    for (int i = 0; i < n; i++) {
      int e = in.indexOf("\r\n", pos);
      if (e < 0) {
        return null;
      }
      int len = Integer.parseInt(in.substring(pos + 1, e));
      if (in.length() < e + 2 + len + 2) {
        return null;
      }
      parts.add(in.substring(e + 2, e + 2 + len));
      pos = e + 2 + len + 2;
    }
    in.delete(0, pos);
    return new ArrayList<>(parts);
  }
}
