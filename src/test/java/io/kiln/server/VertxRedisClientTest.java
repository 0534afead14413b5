package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.support.SharedKiln;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * vertx-redis-client 5, unchanged, against a real Kiln (the client has its own Vert.x instance).
 * The test thread waits on the client's futures.
 */
class VertxRedisClientTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();
  private static Vertx vertx;
  private static Redis redis;
  private RedisConnection conn;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    redis = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString("redis://127.0.0.1:" + kiln.port()).setMaxPoolWaiting(100).setMaxWaitingHandlers(20_000));
  }

  @AfterAll
  static void stop() throws Exception {
    await(redis.close());
    await(vertx.close());
  }

  @BeforeEach
  void connect() throws Exception {
    conn = await(redis.connect());
    send(Command.FLUSHALL);
  }

  @AfterEach
  void disconnect() throws Exception {
    await(conn.close());
  }

  private static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }

  private Response send(Command cmd, Object... args) throws Exception {
    Request r = Request.cmd(cmd);
    for (Object a : args) {
      if (a instanceof byte[] b) {
        r.arg(Buffer.buffer(b));
      } else {
        r.arg(a.toString());
      }
    }
    return await(conn.send(r));
  }

  @Test
  void ping() throws Exception {
    assertThat(send(Command.PING).toString()).isEqualTo("PONG");
    assertThat(send(Command.ECHO, "hi").toString()).isEqualTo("hi");
  }

  @Test
  void setGet() throws Exception {
    assertThat(send(Command.SET, "k", "v").toString()).isEqualTo("OK");
    assertThat(send(Command.GET, "k").toString()).isEqualTo("v");
    assertThat(send(Command.GET, "missing")).isNull();
    assertThat(send(Command.EXISTS, "k").toInteger()).isEqualTo(1);
    assertThat(send(Command.DEL, "k").toInteger()).isEqualTo(1);
    assertThat(send(Command.DBSIZE).toLong()).isZero();
  }

  @Test
  void incr() throws Exception {
    assertThat(send(Command.INCR, "n").toLong()).isEqualTo(1);
    assertThat(send(Command.DECR, "n").toLong()).isZero();
    send(Command.SET, "s", "x");
    assertThatThrownBy(() -> send(Command.INCR, "s"))
        .hasMessage("ERR value is not an integer or out of range");
  }

  @Test
  void msetMget() throws Exception {
    send(Command.MSET, "a", "1", "b", "2");
    Response r = send(Command.MGET, "a", "b", "c");
    assertThat(r.size()).isEqualTo(3);
    assertThat(r.get(0).toString()).isEqualTo("1");
    assertThat(r.get(1).toString()).isEqualTo("2");
    assertThat(r.get(2)).isNull();
  }

  @Test
  void multiExec() throws Exception {
    assertThat(send(Command.MULTI).toString()).isEqualTo("OK");
    assertThat(send(Command.SET, "k", "v").toString()).isEqualTo("QUEUED");
    assertThat(send(Command.INCR, "n").toString()).isEqualTo("QUEUED");
    Response exec = send(Command.EXEC);
    assertThat(exec.size()).isEqualTo(2);
    assertThat(exec.get(0).toString()).isEqualTo("OK");
    assertThat(exec.get(1).toLong()).isEqualTo(1);
  }

  @Test
  void pipelining10kCommands() throws Exception {
    List<Request> batch = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      batch.add(i % 2 == 0 ? Request.cmd(Command.SET).arg("k" + i).arg("v" + i)
          : Request.cmd(Command.INCR).arg("counter"));
    }
    List<Response> replies = await(conn.batch(batch));
    assertThat(replies).hasSize(10_000);
    for (int i = 1; i < 10_000; i += 2) {
      assertThat(replies.get(i).toLong()).isEqualTo((i + 1) / 2);
    }
    // and the same many requests sent without waiting, one future each
    List<Future<Response>> futures = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      futures.add(conn.send(Request.cmd(Command.INCR).arg("c2")));
    }
    for (int i = 0; i < futures.size(); i++) {
      assertThat(await(futures.get(i)).toLong()).isEqualTo(i + 1L);
    }
  }

  @Test
  void select() throws Exception {
    send(Command.SET, "k", "db0");
    assertThat(send(Command.SELECT, 5).toString()).isEqualTo("OK");
    assertThat(send(Command.GET, "k")).isNull();
    send(Command.SELECT, 0);
    assertThat(send(Command.GET, "k").toString()).isEqualTo("db0");
  }

  @Test
  void binaryValues() throws Exception {
    byte[] key = {0, '\r', '\n', (byte) 0xff};
    byte[] value = new byte[256];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) i;
    }
    send(Command.SET, key, value);
    assertThat(send(Command.GET, key).toBuffer().getBytes()).isEqualTo(value);
  }

  @Test
  void clientName() throws Exception {
    assertThat(send(Command.CLIENT, "SETNAME", "vertx").toString()).isEqualTo("OK");
    assertThat(send(Command.CLIENT, "GETNAME").toString()).isEqualTo("vertx");
    assertThat(send(Command.CLIENT, "ID").toLong()).isPositive();
  }
}
