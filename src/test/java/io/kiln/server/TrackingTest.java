package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.keyspace.Shard;
import io.kiln.support.RespClient;
import io.kiln.support.SharedKiln;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.support.caching.CacheAccessor;
import io.lettuce.core.support.caching.CacheFrontend;
import io.lettuce.core.support.caching.ClientSideCaching;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Client-side caching (CLIENT TRACKING) on a real Kiln, with real clients: Lettuce's
 * ClientSideCaching over RESP3, a Lettuce RESP2 subscriber of {@code __redis__:invalidate} that a
 * tracking connection redirects to, and raw connections that check the exact bytes of the
 * invalidation pushes and messages. Runs on the test thread.
 */
class TrackingTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();
  private RespClient admin;

  @BeforeEach
  void clean() {
    admin = kiln.client();
    admin.call("FLUSHALL");
    // connections of the previous test turn tracking off as they close: wait for that
    waitFor(() -> info("tracking_clients").equals("0"), "no client tracks");
  }

  @AfterEach
  void close() {
    admin.close();
  }

  @Test
  void lettuceCacheServesReadsLocallyUntilAnotherClientWritesTheKey() throws Exception {
    RedisClient lettuce = RedisClient.create();
    lettuce.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP3).build());
    RedisURI uri = RedisURI.create("127.0.0.1", kiln.port());
    try (StatefulRedisConnection<String, String> cached = lettuce.connect(uri);
        StatefulRedisConnection<String, String> writer = lettuce.connect(uri)) {
      Map<String, String> local = new ConcurrentHashMap<>();
      CacheFrontend<String, String> frontend = ClientSideCaching.enable(
          CacheAccessor.forMap(local), cached, TrackingArgs.Builder.enabled());
      writer.sync().set("user:1", "ada");

      assertThat(frontend.get("user:1")).isEqualTo("ada");
      assertThat(local).containsEntry("user:1", "ada");
      String hits = info("keyspace_hits");
      assertThat(frontend.get("user:1")).as("served from the local cache").isEqualTo("ada");
      assertThat(info("keyspace_hits")).as("the second read never reached the server")
          .isEqualTo(hits);

      writer.sync().set("user:1", "grace");
      waitFor(() -> !local.containsKey("user:1"), "Lettuce's cache drops the invalidated key");
      assertThat(frontend.get("user:1")).isEqualTo("grace");
      frontend.close();
    } finally {
      lettuce.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
  }

  @Test
  void lettuceResp2SubscriberHearsTheInvalidationsRedirectedToIt() throws Exception {
    RedisClient lettuce = RedisClient.create(RedisURI.create("127.0.0.1", kiln.port()));
    lettuce.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP2).build());
    try (StatefulRedisPubSubConnection<String, String> sub = lettuce.connectPubSub();
        StatefulRedisConnection<String, String> tracked = lettuce.connect();
        StatefulRedisConnection<String, String> writer = lettuce.connect()) {
      BlockingQueue<String> heard = new LinkedBlockingQueue<>();
      sub.addListener(new RedisPubSubAdapter<>() {
        @Override
        public void message(String channel, String message) {
          heard.add(channel + " " + message);
        }
      });
      long subId = sub.sync().clientId();
      sub.sync().subscribe("__redis__:invalidate");
      tracked.sync().clientTracking(TrackingArgs.Builder.enabled().redirect(subId));
      writer.sync().set("price", "10");
      assertThat(tracked.sync().get("price")).isEqualTo("10");
      writer.sync().set("price", "11");
      assertThat(heard.poll(10, TimeUnit.SECONDS)).isEqualTo("__redis__:invalidate price");
    } finally {
      lettuce.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
  }

  @Test
  void resp2ClientRedirectsInvalidationsToAConnectionSubscribedToTheChannel() {
    try (RespClient sub = kiln.client(); RespClient tracked = kiln.client();
        RespClient writer = kiln.client()) {
      String subId = id(sub);
      sub.call("SUBSCRIBE", "__redis__:invalidate");
      assertThat(tracked.call("CLIENT", "TRACKING", "on", "REDIRECT", subId)).isEqualTo("+OK\r\n");
      assertThat(tracked.call("CLIENT", "GETREDIR")).isEqualTo(":" + subId + "\r\n");
      writer.call("SET", "a", "1");
      writer.call("SET", "b", "1");
      tracked.call("GET", "a");
      writer.call("INCR", "b"); // b was never read through the tracking connection
      writer.call("INCR", "a");
      assertThat(sub.readReply()).isEqualTo(message2("a"));
      tracked.call("GET", "a");
      writer.call("FLUSHALL");
      assertThat(sub.readReply()).as("a flush: a null for every key")
          .isEqualTo("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n");
      assertThat(tracked.call("PING")).as("nothing for the RESP2 tracking connection itself")
          .isEqualTo("+PONG\r\n");
    }
  }

  @Test
  void pushForTheClientsOwnWriteFollowsItsReplyAndEndsTheTransactionFirst() {
    try (RespClient c = resp3()) {
      c.call("CLIENT", "TRACKING", "on");
      c.call("MSET", "a", "1", "b", "2");
      c.call("GET", "a");
      assertThat(c.call("INCR", "a")).isEqualTo(":2\r\n");
      assertThat(c.readReply()).isEqualTo(push3("a"));

      c.call("GET", "a");
      c.call("MULTI");
      c.call("INCR", "a");
      c.call("GET", "b");
      assertThat(c.call("EXEC")).isEqualTo("*2\r\n:3\r\n$1\r\n2\r\n");
      assertThat(c.readReply()).isEqualTo(push3("a"));
      assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
    }
  }

  @Test
  void noloopLeavesOutTheClientsOwnWrites() {
    try (RespClient c = resp3(); RespClient writer = kiln.client()) {
      c.call("CLIENT", "TRACKING", "on", "NOLOOP");
      c.call("MGET", "mine", "theirs");
      c.call("SET", "mine", "1");
      writer.call("SET", "theirs", "1");
      assertThat(c.call("PING")).as("only the other client's write").isEqualTo(push3("theirs"));
      assertThat(c.readReply()).isEqualTo("+PONG\r\n");
    }
  }

  @Test
  void bcastSendsEachPrefixItsKeysChangedInOneTurn() {
    try (RespClient c = resp3(); RespClient writer = kiln.client()) {
      c.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "order:");
      writer.call("MSET", "user:2", "b", "user:1", "a", "order:9", "x", "other:1", "y");
      // one message per prefix, keys in byte order; nothing for other:1
      String first = c.readReply();
      String second = c.readReply();
      assertThat(java.util.List.of(first, second))
          .containsExactlyInAnyOrder(push3("order:9"), push3("user:1", "user:2"));
      assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
      assertThat(info("tracking_total_prefixes")).isEqualTo("2");
      assertThat(c.call("CLIENT", "TRACKINGINFO")).isEqualTo("%3\r\n$5\r\nflags\r\n~2\r\n"
          + "$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*2\r\n"
          + "$6\r\norder:\r\n$5\r\nuser:\r\n");
    }
  }

  @Test
  void optinTracksOnlyAfterCachingYesAndOptoutSkipsAfterCachingNo() {
    try (RespClient c = resp3(); RespClient writer = kiln.client()) {
      c.call("CLIENT", "TRACKING", "on", "OPTIN");
      c.call("GET", "plain");
      assertThat(c.call("CLIENT", "CACHING", "yes")).isEqualTo("+OK\r\n");
      c.call("GET", "chosen");
      c.call("GET", "after"); // CACHING YES covered the one command only
      writer.call("MSET", "plain", "1", "chosen", "1", "after", "1");
      assertThat(c.call("PING")).isEqualTo(push3("chosen"));
      assertThat(c.readReply()).isEqualTo("+PONG\r\n");

      c.call("CLIENT", "TRACKING", "off");
      c.call("CLIENT", "TRACKING", "on", "OPTOUT");
      c.call("CLIENT", "CACHING", "no");
      c.call("GET", "skipped");
      c.call("GET", "kept");
      writer.call("MSET", "skipped", "2", "kept", "2");
      assertThat(c.call("PING")).isEqualTo(push3("kept"));
      assertThat(c.readReply()).isEqualTo("+PONG\r\n");
    }
  }

  @Test
  void expiredAndEvictedKeysAreInvalidated() {
    try (RespClient c = resp3()) {
      c.call("CLIENT", "TRACKING", "on");
      admin.call("SET", "short", "v", "PX", "300");
      admin.call("SET", "victim", "v");
      c.call("MGET", "short", "victim");
      assertThat(c.readReply()).as("active expiry").isEqualTo(push3("short"));

      admin.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random");
      try {
        admin.call("CONFIG", "SET", "maxmemory", "1");
        admin.call("PING"); // evicts before it runs
        assertThat(c.readReply()).as("eviction").isEqualTo(push3("victim"));
      } finally {
        admin.call("CONFIG", "SET", "maxmemory", "0");
        admin.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
      }
    }
  }

  @Test
  void trackingTableOverItsLimitInvalidatesKeysUntilUnderIt() {
    try (RespClient c = resp3()) {
      c.call("CLIENT", "TRACKING", "on");
      c.call("MGET", "k1", "k2", "k3");
      assertThat(info("tracking_total_keys")).isEqualTo("3");
      assertThat(info("tracking_total_items")).isEqualTo("3");
      try {
        admin.call("CONFIG", "SET", "tracking-table-max-keys", "1");
        java.util.Set<String> told = new java.util.HashSet<>();
        told.add(c.readReply());
        told.add(c.readReply());
        assertThat(told).hasSize(2).isSubsetOf(push3("k1"), push3("k2"), push3("k3"));
        assertThat(info("tracking_total_keys")).isEqualTo("1");
      } finally {
        admin.call("CONFIG", "SET", "tracking-table-max-keys", "1000000");
      }
    }
  }

  @Test
  void redirectionToAClientThatLeftIsReportedBroken() {
    try (RespClient c = resp3()) {
      RespClient gone = kiln.client();
      String goneId = id(gone);
      c.call("CLIENT", "TRACKING", "on", "REDIRECT", goneId);
      c.call("GET", "k");
      gone.close();
      waitFor(() -> !admin.call("CLIENT", "LIST").contains("id=" + goneId + " "),
          "the redirection's client is gone");
      admin.call("SET", "k", "1");
      assertThat(c.readReply()).isEqualTo(">2\r\n$21\r\ntracking-redir-broken\r\n:" + goneId
          + "\r\n");
      assertThat(c.call("CLIENT", "INFO")).contains(" flags=tR ").contains(" redir=" + goneId + " ");
    }
  }

  @Test
  void clientListShowsTrackingAndResetOrDisconnectTurnsItOff() {
    try (RespClient c = kiln.client(); RespClient b = kiln.client()) {
      assertThat(c.call("CLIENT", "INFO")).contains(" flags=N ").contains(" redir=-1 ");
      c.call("CLIENT", "TRACKING", "on", "BCAST");
      assertThat(c.call("CLIENT", "INFO")).contains(" flags=tB ").contains(" redir=0 ");
      b.call("CLIENT", "TRACKING", "on");
      assertThat(info("tracking_clients")).isEqualTo("2");
      assertThat(c.call("RESET")).isEqualTo("+RESET\r\n");
      assertThat(c.call("CLIENT", "TRACKINGINFO")).isEqualTo(
          "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n");
      assertThat(info("tracking_clients")).isEqualTo("1");
      assertThat(info("tracking_total_prefixes")).isEqualTo("0");
    }
    waitFor(() -> info("tracking_clients").equals("0"), "a closed connection stops tracking");
  }

  @Test
  void swapdbInvalidatesEveryKeyAsAFlushDoes() {
    try (RespClient c = resp3()) {
      c.call("CLIENT", "TRACKING", "on");
      admin.call("SET", "k", "db0");
      c.call("GET", "k");
      admin.call("SWAPDB", "0", "1");
      assertThat(c.readReply()).isEqualTo(">2\r\n$10\r\ninvalidate\r\n_\r\n");
      assertThat(info("tracking_total_keys")).isEqualTo("0");
    }
  }

  @Test
  void aFlushNullIsTheTrackersAsInRedisButNeverResp3IntoAResp2Connection() {
    try (RespClient resp3Dest = resp3(); RespClient resp2Tracker = kiln.client();
        RespClient resp2Sub = kiln.client(); RespClient resp3Tracker = resp3()) {
      String subId = id(resp2Sub);
      resp2Sub.call("SUBSCRIBE", "__redis__:invalidate");
      resp2Tracker.call("CLIENT", "TRACKING", "on", "REDIRECT", id(resp3Dest));
      resp3Tracker.call("CLIENT", "TRACKING", "on", "REDIRECT", subId);
      admin.call("FLUSHALL");
      assertThat(resp3Dest.readReply()).as("a RESP2 tracker's null, as Redis 7.0 sends it")
          .isEqualTo(">2\r\n$10\r\ninvalidate\r\n$-1\r\n");
      assertThat(resp2Sub.readReply()).as("RESP2's null where Redis 7.0 writes RESP3's")
          .isEqualTo("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n");
    }
  }

  @Test
  void theKeyspaceHookIsInstalledOnlyWhileSomeClientTracks() throws Exception {
    assertThat(trackerInstalled()).isFalse();
    try (RespClient c = kiln.client()) {
      c.call("CLIENT", "TRACKING", "on");
      assertThat(trackerInstalled()).isTrue();
      c.call("CLIENT", "TRACKING", "off");
      assertThat(trackerInstalled()).as("the write path back to one null check").isFalse();
    }
  }

  // ---- helpers ----

  /** Whether the shard's keyspace calls client-side caching on writes, read on its event loop. */
  private static boolean trackerInstalled() throws Exception {
    ShardVerticle shard = kiln.kiln().shards().get(0);
    CompletableFuture<Boolean> installed = new CompletableFuture<>();
    shard.execute(() -> {
      Shard s = shard.shard();
      installed.complete(s.tracker != null);
    });
    return installed.get(5, TimeUnit.SECONDS);
  }

  private static String id(RespClient c) {
    return c.call("CLIENT", "ID").substring(1).strip();
  }

  private static RespClient resp3() {
    RespClient c = kiln.client();
    c.call("HELLO", "3");
    return c;
  }

  /** The RESP3 push {@code >2 invalidate [keys]}. */
  private static String push3(String... keys) {
    return ">2\r\n$10\r\ninvalidate\r\n" + array(keys);
  }

  /** The RESP2 message of {@code __redis__:invalidate} for {@code keys}. */
  private static String message2(String... keys) {
    return "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n" + array(keys);
  }

  private static String array(String... keys) {
    StringBuilder sb = new StringBuilder("*").append(keys.length).append("\r\n");
    for (String k : keys) {
      sb.append('$').append(k.getBytes(StandardCharsets.ISO_8859_1).length).append("\r\n")
          .append(k).append("\r\n");
    }
    return sb.toString();
  }

  /** One field of INFO, through a connection of its own. */
  private static String info(String field) {
    try (RespClient c = kiln.client()) {
      for (String line : c.call("INFO", "everything").split("\r\n")) {
        if (line.startsWith(field + ":")) {
          return line.substring(field.length() + 1);
        }
      }
    }
    throw new AssertionError("INFO has no " + field);
  }

  /** Polls {@code condition} every 5 ms until it holds, failing after 10 s. */
  private static void waitFor(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 10 s for: " + what).isLessThan(deadline);
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }
}
