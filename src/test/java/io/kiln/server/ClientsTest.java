package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.support.SharedKiln;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisDataException;

/** Jedis 8, unchanged, against a real Kiln. Runs on the test thread. */
class ClientsTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();
  private Jedis jedis;

  @BeforeEach
  void connect() {
    jedis = new Jedis("127.0.0.1", kiln.port());
    jedis.flushAll();
  }

  @org.junit.jupiter.api.AfterEach
  void disconnect() {
    jedis.close();
  }

  @Test
  void ping() {
    assertThat(jedis.ping()).isEqualTo("PONG");
    assertThat(jedis.echo("hello")).isEqualTo("hello");
  }

  @Test
  void setGet() {
    assertThat(jedis.set("k", "v")).isEqualTo("OK");
    assertThat(jedis.get("k")).isEqualTo("v");
    assertThat(jedis.get("missing")).isNull();
    assertThat(jedis.exists("k")).isTrue();
    assertThat(jedis.del("k")).isEqualTo(1);
    assertThat(jedis.dbSize()).isZero();
  }

  @Test
  void incrDecr() {
    assertThat(jedis.incr("n")).isEqualTo(1);
    assertThat(jedis.incr("n")).isEqualTo(2);
    assertThat(jedis.decr("n")).isEqualTo(1);
    jedis.set("s", "abc");
    assertThatThrownBy(() -> jedis.incr("s")).isInstanceOf(JedisDataException.class)
        .hasMessage("ERR value is not an integer or out of range");
  }

  @Test
  void msetMget() {
    assertThat(jedis.mset("a", "1", "b", "2")).isEqualTo("OK");
    assertThat(jedis.mget("a", "b", "c")).containsExactly("1", "2", null);
  }

  @Test
  void multiExec() {
    Transaction t = jedis.multi();
    Response<String> set = t.set("k", "v");
    Response<Long> incr = t.incr("n");
    Response<String> get = t.get("k");
    List<Object> results = t.exec();
    assertThat(results).hasSize(3);
    assertThat(set.get()).isEqualTo("OK");
    assertThat(incr.get()).isEqualTo(1L);
    assertThat(get.get()).isEqualTo("v");
  }

  @Test
  void watchedKeyChangedAbortsExec() {
    jedis.watch("w");
    try (Jedis other = new Jedis("127.0.0.1", kiln.port())) {
      other.set("w", "changed");
    }
    Transaction t = jedis.multi();
    t.set("w", "mine");
    assertThat(t.exec()).isNull();
    assertThat(jedis.get("w")).isEqualTo("changed");
  }

  @Test
  void discard() {
    Transaction t = jedis.multi();
    t.set("k", "v");
    assertThat(t.discard()).isEqualTo("OK");
    assertThat(jedis.exists("k")).isFalse();
  }

  @Test
  void pipelining10kCommands() {
    Pipeline p = jedis.pipelined();
    List<Response<Long>> incrs = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      p.set("k" + i, "v" + i);
      incrs.add(p.incr("counter"));
    }
    Response<String> last = p.get("k9999");
    p.sync();
    for (int i = 0; i < incrs.size(); i++) {
      assertThat(incrs.get(i).get()).isEqualTo(i + 1L);
    }
    assertThat(last.get()).isEqualTo("v9999");
    assertThat(jedis.dbSize()).isEqualTo(10_001);
  }

  @Test
  void selectKeepsDatabasesApart() {
    jedis.set("k", "db0");
    assertThat(jedis.select(3)).isEqualTo("OK");
    assertThat(jedis.get("k")).isNull();
    jedis.set("k", "db3");
    jedis.select(0);
    assertThat(jedis.get("k")).isEqualTo("db0");
    assertThatThrownBy(() -> jedis.select(16)).isInstanceOf(JedisDataException.class)
        .hasMessage("ERR DB index is out of range");
  }

  @Test
  void binaryValues() {
    byte[] key = {0, 1, '\r', '\n', (byte) 0xff};
    byte[] value = new byte[256];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) i;
    }
    jedis.set(key, value);
    assertThat(jedis.get(key)).isEqualTo(value);
    assertThat(jedis.mget(key, new byte[] {9})).containsExactly(value, null);
  }

  @Test
  void largeValue() {
    String big = "x".repeat(5 * 1024 * 1024);
    jedis.set("big", big);
    assertThat(jedis.get("big")).isEqualTo(big);
  }

  @Test
  void clientNameAndId() {
    assertThat(jedis.clientSetname("jedis-test")).isEqualTo("OK");
    assertThat(jedis.clientGetname()).isEqualTo("jedis-test");
    assertThat(jedis.clientId()).isPositive();
  }

  @Test
  void unknownCommandIsAnError() {
    assertThatThrownBy(() -> jedis.sendCommand(() -> "NOSUCHCMD".getBytes(), "a"))
        .isInstanceOf(JedisDataException.class)
        .hasMessage("ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' ");
  }
}
