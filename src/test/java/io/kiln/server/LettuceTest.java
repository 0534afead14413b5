package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.support.SharedKiln;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Lettuce 7, unchanged, against a real Kiln: it opens every connection with HELLO 3, so this runs
 * Kiln in RESP3. Runs on the test thread (Lettuce's own threads do the I/O).
 */
class LettuceTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();
  private static RedisClient client;
  private static RedisURI uri;
  private StatefulRedisConnection<String, String> connection;
  private RedisCommands<String, String> redis;

  @BeforeAll
  static void start() {
    client = RedisClient.create();
    uri = RedisURI.builder().withHost("127.0.0.1").withPort(kiln.port())
        .withTimeout(Duration.ofSeconds(10)).build();
    // RESP3 forced: the HELLO 3 handshake must succeed (no silent fallback to RESP2)
    client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP3).build());
  }

  @AfterAll
  static void stop() throws Exception {
    client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
  }

  @BeforeEach
  void connect() {
    connection = client.connect(uri);
    redis = connection.sync();
    redis.flushall();
  }

  @AfterEach
  void disconnect() {
    connection.close();
  }

  @Test
  void pingAndEcho() {
    assertThat(redis.ping()).isEqualTo("PONG");
    assertThat(redis.echo("hello")).isEqualTo("hello");
  }

  @Test
  void connectsWithResp2Too() {
    RedisClient resp2 = RedisClient.create(RedisURI.create("127.0.0.1", kiln.port()));
    resp2.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP2).build());
    try (StatefulRedisConnection<String, String> c = resp2.connect()) {
      c.sync().set("k", "v");
      assertThat(c.sync().get("k")).isEqualTo("v");
    } finally {
      resp2.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
  }

  @Test
  void setGet() {
    assertThat(redis.set("k", "v")).isEqualTo("OK");
    assertThat(redis.get("k")).isEqualTo("v");
    assertThat(redis.get("missing")).isNull();
    assertThat(redis.exists("k", "missing")).isEqualTo(1);
    assertThat(redis.del("k")).isEqualTo(1);
    assertThat(redis.dbsize()).isZero();
  }

  @Test
  void incrDecr() {
    assertThat(redis.incr("n")).isEqualTo(1);
    assertThat(redis.decr("n")).isZero();
    redis.set("s", "x");
    assertThatThrownBy(() -> redis.incr("s")).isInstanceOf(RedisCommandExecutionException.class)
        .hasMessage("ERR value is not an integer or out of range");
  }

  @Test
  void msetMget() {
    assertThat(redis.mset(Map.of("a", "1", "b", "2"))).isEqualTo("OK");
    List<String> values = new ArrayList<>();
    redis.mget("a", "b", "c").forEach(kv -> values.add(kv.getValueOrElse(null)));
    assertThat(values).containsExactly("1", "2", null);
  }

  @Test
  void multiExec() {
    assertThat(redis.multi()).isEqualTo("OK");
    redis.set("k", "v");
    redis.incr("n");
    redis.get("k");
    TransactionResult result = redis.exec();
    assertThat(result.wasDiscarded()).isFalse();
    assertThat(result.<String>get(0)).isEqualTo("OK");
    assertThat(result.<Long>get(1)).isEqualTo(1L);
    assertThat(result.<String>get(2)).isEqualTo("v");
  }

  @Test
  void watchedKeyChangedDiscardsExec() {
    redis.watch("w");
    try (StatefulRedisConnection<String, String> other = client.connect(uri)) {
      other.sync().set("w", "changed");
    }
    redis.multi();
    redis.set("w", "mine");
    assertThat(redis.exec().wasDiscarded()).isTrue();
    assertThat(redis.get("w")).isEqualTo("changed");
  }

  @Test
  void pipelining10kCommands() throws Exception {
    RedisAsyncCommands<String, String> async = connection.async();
    connection.setAutoFlushCommands(false);
    List<RedisFuture<Long>> incrs = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      async.set("k" + i, "v" + i);
      incrs.add(async.incr("counter"));
    }
    connection.flushCommands();
    assertThat(LettuceFutures.awaitAll(30, TimeUnit.SECONDS, incrs.toArray(new RedisFuture[0])))
        .isTrue();
    for (int i = 0; i < incrs.size(); i++) {
      assertThat(incrs.get(i).get()).isEqualTo(i + 1L);
    }
    connection.setAutoFlushCommands(true);
    assertThat(redis.dbsize()).isEqualTo(5_001);
  }

  @Test
  void select() {
    redis.set("k", "db0");
    assertThat(redis.select(2)).isEqualTo("OK");
    assertThat(redis.get("k")).isNull();
    redis.select(0);
    assertThat(redis.get("k")).isEqualTo("db0");
  }

  @Test
  void binaryValues() {
    try (StatefulRedisConnection<byte[], byte[]> bin = client.connect(ByteArrayCodec.INSTANCE, uri)) {
      byte[] key = {0, '\r', '\n', (byte) 0xff};
      byte[] value = new byte[256];
      for (int i = 0; i < value.length; i++) {
        value[i] = (byte) i;
      }
      bin.sync().set(key, value);
      assertThat(bin.sync().get(key)).isEqualTo(value);
    }
  }

  @Test
  void clientNameAndId() {
    assertThat(redis.clientSetname("lettuce-test")).isEqualTo("OK");
    assertThat(redis.clientGetname()).isEqualTo("lettuce-test");
    assertThat(redis.clientId()).isPositive();
  }
}
