package io.kiln;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.support.RespClient;
import io.kiln.support.SharedKiln;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Pub/sub across connections: message shapes (RESP2 arrays, RESP3 pushes), the subscribed-mode
 * rules, subscriptions dropped by RESET and disconnect, introspection, keyspace events from
 * expiry, and the pubsub output buffer limit cutting off a subscriber that never reads.
 */
class PubSubTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();

  private static RespClient client() {
    return new RespClient("127.0.0.1", kiln.port());
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      Thread.onSpinWait();
    }
  }

  @Test
  void clientReplyOffDoesNotSilenceSubscribeConfirmations() {
    // as Redis: the confirmations are pushes (RESP3) or sent as such (RESP2) in every reply mode
    try (RespClient sub = client(); RespClient pub = client()) {
      sub.send("CLIENT", "REPLY", "OFF");
      assertEquals("*3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:1\r\n", sub.call("PSUBSCRIBE", "*"));
      pub.call("PUBLISH", "ch", "m");
      assertEquals("*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$2\r\nch\r\n$1\r\nm\r\n",
          sub.readReply());
      assertEquals("*3\r\n$12\r\npunsubscribe\r\n$1\r\n*\r\n:0\r\n",
          sub.call("PUNSUBSCRIBE", "*"));
    }
  }

  @Test
  void subscriberReceivesPublishedMessageAsResp2Array() {
    try (RespClient sub = client(); RespClient pub = client()) {
      assertEquals("*3\r\n$9\r\nsubscribe\r\n$3\r\nch1\r\n:1\r\n", sub.call("SUBSCRIBE", "ch1"));
      assertEquals(":1\r\n", pub.call("PUBLISH", "ch1", "hello"));
      assertEquals("*3\r\n$7\r\nmessage\r\n$3\r\nch1\r\n$5\r\nhello\r\n", sub.readReply());
      assertEquals(":0\r\n", pub.call("PUBLISH", "other", "x"));
    }
  }

  @Test
  void patternSubscriberReceivesPmessage() {
    try (RespClient sub = client(); RespClient pub = client()) {
      assertEquals("*3\r\n$10\r\npsubscribe\r\n$4\r\nn*s*\r\n:1\r\n",
          sub.call("PSUBSCRIBE", "n*s*"));
      assertEquals(":1\r\n", pub.call("PUBLISH", "news", "m"));
      assertEquals("*4\r\n$8\r\npmessage\r\n$4\r\nn*s*\r\n$4\r\nnews\r\n$1\r\nm\r\n",
          sub.readReply());
    }
  }

  @Test
  void shardChannelSubscriberReceivesSmessage() {
    try (RespClient sub = client(); RespClient pub = client()) {
      assertEquals("*3\r\n$10\r\nssubscribe\r\n$2\r\nsc\r\n:1\r\n", sub.call("SSUBSCRIBE", "sc"));
      assertEquals(":0\r\n", pub.call("PUBLISH", "sc", "not-a-shard-message"));
      assertEquals(":1\r\n", pub.call("SPUBLISH", "sc", "m"));
      assertEquals("*3\r\n$8\r\nsmessage\r\n$2\r\nsc\r\n$1\r\nm\r\n", sub.readReply());
    }
  }

  @Test
  void resp3SubscriberGetsPushMessagesAndMayRunAnyCommand() {
    try (RespClient sub = client(); RespClient pub = client()) {
      sub.call("HELLO", "3");
      assertEquals(">3\r\n$9\r\nsubscribe\r\n$2\r\nr3\r\n:1\r\n", sub.call("SUBSCRIBE", "r3"));
      assertEquals("_\r\n", sub.call("GET", "nothing-here"));
      assertEquals("+PONG\r\n", sub.call("PING"));
      pub.call("PUBLISH", "r3", "m");
      assertEquals(">3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$1\r\nm\r\n", sub.readReply());
    }
  }

  @Test
  void lettuceResp3SubscriberReceivesMessages() throws Exception {
    RedisClient lettuce = RedisClient.create();
    lettuce.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP3).build());
    RedisURI uri = RedisURI.builder().withHost("127.0.0.1").withPort(kiln.port())
        .withTimeout(Duration.ofSeconds(10)).build();
    try (StatefulRedisPubSubConnection<String, String> conn = lettuce.connectPubSub(uri);
        RespClient pub = client()) {
      BlockingQueue<String> got = new LinkedBlockingQueue<>();
      conn.addListener(new RedisPubSubAdapter<>() {
        @Override
        public void message(String channel, String message) {
          got.add(channel + "=" + message);
        }

        @Override
        public void message(String pattern, String channel, String message) {
          got.add(pattern + ":" + channel + "=" + message);
        }
      });
      conn.sync().subscribe("lc");
      conn.sync().psubscribe("l*");
      assertEquals(2, Long.parseLong(pub.call("PUBLISH", "lc", "hi").substring(1).trim()));
      assertEquals(List.of("lc=hi", "l*:lc=hi"),
          List.of(got.poll(10, TimeUnit.SECONDS), got.poll(10, TimeUnit.SECONDS)));
    } finally {
      lettuce.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
  }

  @Test
  void resp2SubscribedModeRefusesOtherCommands() {
    try (RespClient sub = client()) {
      sub.call("SUBSCRIBE", "x");
      assertEquals("-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
          + "QUIT / RESET are allowed in this context\r\n", sub.call("GET", "k"));
      assertEquals("-ERR Can't execute 'client|list': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
          + "PING / QUIT / RESET are allowed in this context\r\n", sub.call("CLIENT", "LIST"));
      assertEquals("*2\r\n$4\r\npong\r\n$0\r\n\r\n", sub.call("PING"));
      assertEquals("*2\r\n$4\r\npong\r\n$2\r\nhi\r\n", sub.call("PING", "hi"));
    }
  }

  @Test
  void unsubscribeWithoutChannelsRepliesNilWhenNoneSubscribed() {
    try (RespClient c = client()) {
      assertEquals("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n", c.call("UNSUBSCRIBE"));
      assertEquals("*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n", c.call("PUNSUBSCRIBE"));
      assertEquals("+PONG\r\n", c.call("PING"));
    }
  }

  @Test
  void unsubscribeAllRepliesPerChannelAndLeavesSubscribedMode() {
    try (RespClient c = client()) {
      c.call("SUBSCRIBE", "u1", "u2");
      assertTrue(c.readReply().endsWith(":2\r\n"));
      c.send("UNSUBSCRIBE");
      String first = c.readReply();
      String second = c.readReply();
      assertTrue(first.endsWith(":1\r\n") && second.endsWith(":0\r\n"), first + second);
      assertEquals("+PONG\r\n", c.call("PING"));
    }
  }

  @Test
  void subscribeInsideMultiIsAllowed() {
    try (RespClient c = client()) {
      c.call("MULTI");
      assertEquals("+QUEUED\r\n", c.call("SUBSCRIBE", "mx"));
      assertEquals("*1\r\n*3\r\n$9\r\nsubscribe\r\n$2\r\nmx\r\n:1\r\n", c.call("EXEC"));
      assertEquals("*2\r\n$4\r\npong\r\n$0\r\n\r\n", c.call("PING"));
    }
  }

  @Test
  void resetDropsSubscriptions() {
    try (RespClient c = client(); RespClient other = client()) {
      c.call("SUBSCRIBE", "rs");
      c.call("PSUBSCRIBE", "rs*");
      assertEquals("+RESET\r\n", c.call("RESET"));
      assertEquals("*2\r\n$2\r\nrs\r\n:0\r\n", other.call("PUBSUB", "NUMSUB", "rs"));
      assertEquals(":0\r\n", other.call("PUBLISH", "rs", "m"));
      assertEquals("$-1\r\n", c.call("GET", "nothing-here"));
    }
  }

  @Test
  void disconnectDropsSubscriptions() {
    try (RespClient other = client()) {
      RespClient c = client();
      c.call("SUBSCRIBE", "gone");
      assertEquals("*2\r\n$4\r\ngone\r\n:1\r\n", other.call("PUBSUB", "NUMSUB", "gone"));
      c.close();
      await(() -> other.call("PUBSUB", "NUMSUB", "gone").endsWith(":0\r\n"), "unsubscribe");
    }
  }

  @Test
  void introspectionCountsChannelsPatternsAndClients() {
    try (RespClient c = client(); RespClient other = client()) {
      c.call("SUBSCRIBE", "i1", "i2");
      c.readReply();
      c.call("PSUBSCRIBE", "ip*");
      c.call("SSUBSCRIBE", "is");
      assertEquals("*1\r\n$2\r\ni1\r\n", other.call("PUBSUB", "CHANNELS", "i1"));
      assertEquals("*1\r\n$2\r\nis\r\n", other.call("PUBSUB", "SHARDCHANNELS", "i*"));
      assertTrue(other.call("PUBSUB", "NUMPAT").startsWith(":"));
      String list = other.call("CLIENT", "LIST");
      assertTrue(list.contains("flags=P db=0 sub=2 psub=1 ssub=1"), list);
      String info = other.call("INFO", "stats");
      assertTrue(info.contains("pubsub_patterns:") && !info.contains("pubsub_channels:0\r\n"),
          info);
    }
  }

  @Test
  void keyspaceEventsReachSubscribersOnActiveExpiry() {
    try (RespClient c = client(); RespClient sub = client()) {
      c.call("CONFIG", "SET", "notify-keyspace-events", "Ex");
      try {
        sub.call("SUBSCRIBE", "__keyevent@0__:expired");
        c.call("SET", "soon", "v", "PX", "30");
        // nobody touches the key: only the active expiry cycle can find it
        assertEquals("*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:expired\r\n$4\r\nsoon\r\n",
            sub.readReply());
      } finally {
        c.call("CONFIG", "SET", "notify-keyspace-events", "");
      }
    }
  }

  @Test
  void configSetOfKeyspaceEventsAppliesToTheNextCommand() {
    try (RespClient c = client(); RespClient sub = client()) {
      sub.call("PSUBSCRIBE", "__keyspace@0__:*");
      c.send("CONFIG", "SET", "notify-keyspace-events", "K$");
      c.send("SET", "kv", "1");
      c.send("CONFIG", "SET", "notify-keyspace-events", "");
      c.readReply();
      c.readReply();
      c.readReply();
      assertEquals("*4\r\n$8\r\npmessage\r\n$16\r\n__keyspace@0__:*\r\n$17\r\n__keyspace@0__:kv"
          + "\r\n$3\r\nset\r\n", sub.readReply());
    }
  }

  @Test
  void slowSubscriberIsDisconnectedOverTheHardLimitAndPublisherCarriesOn() throws Exception {
    try (RespClient pub = client()) {
      assertEquals("+OK\r\n",
          pub.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 2mb 0 0"));
      try (Socket slow = new Socket()) {
        slow.setReceiveBufferSize(4096); // small window: the server's queue fills up fast
        slow.connect(new InetSocketAddress("127.0.0.1", kiln.port()));
        OutputStream out = slow.getOutputStream();
        out.write(RespClient.encode(List.of("SUBSCRIBE".getBytes(), "big".getBytes())));
        out.flush();
        await(() -> pub.call("PUBSUB", "NUMSUB", "big").endsWith(":1\r\n"), "subscription");
        String payload = "x".repeat(256 * 1024);
        int published = 0;
        // Never read: the subscriber must be cut off long before 200 MB are queued for it.
        while (pub.call("PUBSUB", "NUMSUB", "big").endsWith(":1\r\n")) {
          assertTrue(published < 800, "slow subscriber was never disconnected");
          pub.call("PUBLISH", "big", payload);
          published++;
        }
        assertEquals(":0\r\n", pub.call("PUBLISH", "big", "after"));
        assertEquals("+PONG\r\n", pub.call("PING"));
        InputStream in = slow.getInputStream();
        slow.setSoTimeout(10_000);
        byte[] buf = new byte[65536];
        long drained = 0;
        int n;
        try {
          while ((n = in.read(buf)) >= 0) {
            drained += n;
          }
        } catch (java.net.SocketException reset) {
          // a reset is also the server hanging up
        }
        assertTrue(drained < (long) published * payload.length(), "everything was delivered");
      }
    } finally {
      try (RespClient c = client()) {
        c.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60");
      }
    }
  }

  @Test
  void normalClassHardLimitClosesAClientWhoseReplyIsTooBig() {
    try (RespClient admin = client(); RespClient c = client()) {
      admin.call("SET", "bigvalue", "z".repeat(2_000_000));
      admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0");
      try {
        assertEquals("+PONG\r\n", c.call("PING"));
        c.send("GET", "bigvalue");
        assertTrue(c.closedByServer(), "the client got its oversized reply");
        assertEquals("+PONG\r\n", admin.call("PING"));
      } finally {
        admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0");
        admin.call("DEL", "bigvalue");
      }
    }
  }

  @Test
  void slowSubscriberIsDisconnectedAfterSoftLimitSeconds() throws Exception {
    try (RespClient pub = client()) {
      pub.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 512kb 1");
      try (Socket slow = new Socket()) {
        slow.setReceiveBufferSize(4096);
        slow.connect(new InetSocketAddress("127.0.0.1", kiln.port()));
        slow.getOutputStream().write(
            RespClient.encode(List.of("SUBSCRIBE".getBytes(), "soft".getBytes())));
        await(() -> pub.call("PUBSUB", "NUMSUB", "soft").endsWith(":1\r\n"), "subscription");
        String payload = "y".repeat(64 * 1024);
        long t0 = System.nanoTime();
        // Over the soft limit once; the cron notices when its seconds have run out.
        for (int i = 0; i < 300 && pub.call("PUBSUB", "NUMSUB", "soft").endsWith(":1\r\n"); i++) {
          pub.call("PUBLISH", "soft", payload);
        }
        await(() -> pub.call("PUBSUB", "NUMSUB", "soft").endsWith(":0\r\n"), "soft limit");
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(900),
            "cut off before the soft limit's seconds ran out");
      }
    } finally {
      try (RespClient c = client()) {
        c.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60");
      }
    }
  }
}
