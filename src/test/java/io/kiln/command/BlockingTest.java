package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.resp.Errors;
import io.kiln.support.RespClient;
import io.kiln.support.SharedKiln;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The blocking list commands across connections: wake-up order, timeouts, MULTI, CLIENT
 * UNBLOCK, disconnects, keys changing type while clients wait, and many idle blocked clients.
 * Test thread; conditions are polled with a deadline.
 */
class BlockingTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln("maxclients", "20000");

  @BeforeEach
  void flush() {
    try (RespClient c = kiln.client()) {
      c.call("FLUSHALL");
      waitFor(() -> blocked(c) == 0);
    }
  }

  static long blocked(RespClient c) {
    String info = c.call("INFO", "clients");
    int i = info.indexOf("blocked_clients:");
    return Long.parseLong(info.substring(i + 16, info.indexOf('\r', i)));
  }

  static void waitFor(BooleanSupplier condition) {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 10 s").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  static String pair(String key, String value) {
    return "*2\r\n$" + key.length() + "\r\n" + key + "\r\n$" + value.length() + "\r\n" + value
        + "\r\n";
  }

  @Test
  void blpopIsServedByALaterPush() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      w.send("BLPOP", "k", "0");
      waitFor(() -> blocked(p) == 1);
      assertThat(p.call("RPUSH", "k", "v")).isEqualTo(":1\r\n");
      assertThat(w.readReply()).isEqualTo(pair("k", "v"));
      assertThat(p.call("EXISTS", "k")).isEqualTo(":0\r\n");
      assertThat(blocked(p)).isZero();
    }
  }

  @Test
  void swapdbServesAClientWaitingOnAKeyTheOtherDatabaseHolds() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      p.call("FLUSHALL");
      p.call("SELECT", "1");
      p.call("RPUSH", "k", "hello");
      w.send("BRPOP", "k", "0"); // on db 0, where k does not exist
      waitFor(() -> blocked(p) == 1);
      assertThat(p.call("SWAPDB", "1", "0")).isEqualTo("+OK\r\n");
      assertThat(w.readReply()).isEqualTo(pair("k", "hello"));
      assertThat(blocked(p)).isZero();
    }
  }

  @Test
  void clientsAreServedInArrivalOrder() {
    try (RespClient a = kiln.client(); RespClient b = kiln.client(); RespClient c = kiln.client();
        RespClient p = kiln.client()) {
      a.send("BLPOP", "k", "0");
      waitFor(() -> blocked(p) == 1);
      b.send("BRPOP", "other", "k", "0");
      waitFor(() -> blocked(p) == 2);
      c.send("BLPOP", "k", "0");
      waitFor(() -> blocked(p) == 3);
      assertThat(p.call("RPUSH", "k", "1", "2")).isEqualTo(":2\r\n");
      assertThat(a.readReply()).isEqualTo(pair("k", "1"));
      assertThat(b.readReply()).isEqualTo(pair("k", "2"));
      assertThat(blocked(p)).isEqualTo(1);
      p.call("RPUSH", "k", "3");
      assertThat(c.readReply()).isEqualTo(pair("k", "3"));
    }
  }

  @Test
  void timeoutRepliesNullAndLeavesTheRegistry() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      long t0 = System.nanoTime();
      assertThat(w.call("BLPOP", "k", "0.2")).isEqualTo("*-1\r\n");
      assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(190_000_000L);
      assertThat(w.call("BLMOVE", "k", "d", "LEFT", "RIGHT", "0.05")).isEqualTo("$-1\r\n");
      assertThat(w.call("BLMPOP", "0.05", "1", "k", "LEFT")).isEqualTo("*-1\r\n");
      w.call("HELLO", "3");
      assertThat(w.call("BRPOPLPUSH", "k", "d", "0.05")).isEqualTo("_\r\n");
      assertThat(blocked(p)).isZero();
      // The timer was the only wake-up: a later push stays in the list.
      p.call("RPUSH", "k", "v");
      assertThat(p.call("LLEN", "k")).isEqualTo(":1\r\n");
    }
  }

  @Test
  void pushesInsideMultiWakeOnlyAfterExec() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      w.send("BLPOP", "k", "0");
      waitFor(() -> blocked(p) == 1);
      p.call("MULTI");
      p.call("RPUSH", "k", "a");
      p.call("LPOP", "k");
      p.call("RPUSH", "k", "b");
      assertThat(p.call("EXEC")).isEqualTo("*3\r\n:1\r\n$1\r\na\r\n:1\r\n");
      assertThat(w.readReply()).isEqualTo(pair("k", "b"));
    }
  }

  @Test
  void keyTurnedIntoAnotherTypeKeepsClientsBlocked() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      w.send("BLPOP", "k", "0");
      waitFor(() -> blocked(p) == 1);
      p.call("SET", "k", "string");
      assertThat(blocked(p)).isEqualTo(1);
      p.call("DEL", "k");
      p.call("RPUSH", "tmp", "v");
      assertThat(p.call("RENAME", "tmp", "k")).isEqualTo("+OK\r\n");
      assertThat(w.readReply()).isEqualTo(pair("k", "v"));
    }
  }

  @Test
  void blmoveFeedsAClientBlockedOnTheDestination() {
    try (RespClient m = kiln.client(); RespClient d = kiln.client(); RespClient p = kiln.client()) {
      m.send("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0");
      waitFor(() -> blocked(p) == 1);
      d.send("BRPOP", "dst", "0");
      waitFor(() -> blocked(p) == 2);
      p.call("RPUSH", "src", "x");
      assertThat(m.readReply()).isEqualTo("$1\r\nx\r\n");
      assertThat(d.readReply()).isEqualTo(pair("dst", "x"));
      assertThat(p.call("EXISTS", "src", "dst")).isEqualTo(":0\r\n");
    }
  }

  @Test
  void blmoveToAKeyOfAnotherTypeGetsWrongTypeAndTheElementStays() {
    try (RespClient m = kiln.client(); RespClient p = kiln.client()) {
      p.call("SET", "dst", "string");
      m.send("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0");
      waitFor(() -> blocked(p) == 1);
      p.call("RPUSH", "src", "x");
      assertThat(m.readReply()).isEqualTo("-" + Errors.WRONGTYPE + "\r\n");
      assertThat(p.call("LRANGE", "src", "0", "-1")).isEqualTo("*1\r\n$1\r\nx\r\n");
    }
  }

  @Test
  void blmpopIsServedWithACount() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      w.send("BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2");
      waitFor(() -> blocked(p) == 1);
      p.call("RPUSH", "b", "1", "2", "3");
      assertThat(w.readReply()).isEqualTo("*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n");
      assertThat(p.call("LRANGE", "b", "0", "-1")).isEqualTo("*1\r\n$1\r\n1\r\n");
    }
  }

  @Test
  void clientUnblockWithTimeoutOrError() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      String id = w.call("CLIENT", "ID").substring(1).trim();
      assertThat(p.call("CLIENT", "UNBLOCK", id)).isEqualTo(":0\r\n");
      w.send("BLPOP", "k", "0");
      waitFor(() -> blocked(p) == 1);
      assertThat(p.call("CLIENT", "LIST", "ID", id)).contains(" flags=b ");
      assertThat(p.call("CLIENT", "UNBLOCK", id)).isEqualTo(":1\r\n");
      assertThat(w.readReply()).isEqualTo("*-1\r\n");
      w.send("BRPOPLPUSH", "k", "d", "0");
      waitFor(() -> blocked(p) == 1);
      assertThat(p.call("CLIENT", "UNBLOCK", id, "ERROR")).isEqualTo(":1\r\n");
      assertThat(w.readReply()).isEqualTo("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
      assertThat(p.call("CLIENT", "UNBLOCK", id, "FOO"))
          .isEqualTo("-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n");
      assertThat(p.call("CLIENT", "UNBLOCK", "x"))
          .isEqualTo("-ERR value is not an integer or out of range\r\n");
      assertThat(w.call("PING")).isEqualTo("+PONG\r\n");
    }
  }

  @Test
  void disconnectedClientLeavesTheRegistry() {
    try (RespClient p = kiln.client()) {
      RespClient w = kiln.client();
      w.send("BLPOP", "k", "0");
      waitFor(() -> blocked(p) == 1);
      w.close();
      waitFor(() -> blocked(p) == 0);
      p.call("RPUSH", "k", "v");
      assertThat(p.call("LLEN", "k")).isEqualTo(":1\r\n");
    }
  }

  @Test
  void pipelinedCommandsAfterABlockedOneWaitForIt() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      w.sendRaw("*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n");
      waitFor(() -> blocked(p) == 1);
      p.call("LPUSH", "k", "v");
      assertThat(w.readReply()).isEqualTo(pair("k", "v"));
      assertThat(w.readReply()).isEqualTo("+PONG\r\n");
    }
  }

  @Test
  void blockingCommandInsideMultiAnswersAtOnce() {
    try (RespClient w = kiln.client()) {
      w.call("MULTI");
      w.call("BLPOP", "k", "0");
      w.call("BLMOVE", "k", "d", "LEFT", "LEFT", "0");
      assertThat(w.call("EXEC")).isEqualTo("*2\r\n*-1\r\n$-1\r\n");
    }
  }

  /**
   * Thousands of idle blocked clients stay blocked while a pipelining writer on another
   * connection is served in full, and a push to one waited key wakes exactly that client. (The
   * writer's throughput with and without 10K blocked clients is a benchmark figure, measured
   * with redis-benchmark, not asserted here. 4000 clients: the test JVM holds both ends of every
   * socket.)
   */
  @Test
  void manyIdleBlockedClientsStayBlockedWhileAWriterIsServed() throws Exception {
    int n = 4000;
    try (RespClient p = kiln.client()) {
      List<SocketChannel> idle = new ArrayList<>(n);
      try {
        for (int i = 0; i < n; i++) {
          SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", kiln.port()));
          String key = "wait:" + i;
          ch.write(ByteBuffer.wrap(("*3\r\n$5\r\nBLPOP\r\n$" + key.length() + "\r\n" + key
              + "\r\n$1\r\n0\r\n").getBytes(StandardCharsets.US_ASCII)));
          idle.add(ch);
        }
        waitFor(() -> blocked(p) == n);
        StringBuilder batch = new StringBuilder();
        for (int i = 0; i < 10_000; i++) {
          batch.append("*3\r\n$5\r\nRPUSH\r\n$3\r\nw:").append(i % 10).append("\r\n$1\r\nv\r\n");
        }
        p.sendRaw(batch.toString());
        for (int i = 0; i < 10_000; i++) {
          assertThat(p.readReply()).isEqualTo(":" + (i / 10 + 1) + "\r\n");
        }
        assertThat(blocked(p)).isEqualTo(n);
        p.call("RPUSH", "wait:17", "x");
        waitFor(() -> blocked(p) == n - 1);
      } finally {
        for (SocketChannel ch : idle) {
          ch.close();
        }
      }
      waitFor(() -> blocked(p) == 0);
      p.call("DEL", "w:0", "w:1", "w:2", "w:3", "w:4", "w:5", "w:6", "w:7", "w:8", "w:9");
    }
  }
}
