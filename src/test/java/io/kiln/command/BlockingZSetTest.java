package io.kiln.command;

import static io.kiln.command.BlockingTest.blocked;
import static io.kiln.command.BlockingTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.SharedKiln;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * BZPOPMIN, BZPOPMAX and BZMPOP across connections: wake-up by a write from another client,
 * timeouts, arrival order, MULTI, CLIENT UNBLOCK, keys deleted or changing type while clients
 * wait, and list and sorted-set waiters sharing a key. Test thread; conditions are polled with
 * a deadline.
 */
class BlockingZSetTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();

  @BeforeEach
  void flush() {
    try (RespClient c = kiln.client()) {
      c.call("FLUSHALL");
      waitFor(() -> blocked(c) == 0);
    }
  }

  static String bulk(String s) {
    return "$" + s.length() + "\r\n" + s + "\r\n";
  }

  static String triple(String key, String member, String score) {
    return "*3\r\n" + bulk(key) + bulk(member) + bulk(score);
  }

  @Test
  void bzpopminIsServedByALaterZadd() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      w.send("BZPOPMIN", "a", "z", "0");
      waitFor(() -> blocked(p) == 1);
      assertThat(p.call("ZADD", "z", "2", "two", "1", "one")).isEqualTo(":2\r\n");
      assertThat(w.readReply()).isEqualTo(triple("z", "one", "1"));
      assertThat(p.call("ZRANGE", "z", "0", "-1")).isEqualTo("*1\r\n" + bulk("two"));
      assertThat(blocked(p)).isZero();
    }
  }

  @Test
  void bzpopmaxIsServedByZunionstore() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      w.send("BZPOPMAX", "z", "0");
      waitFor(() -> blocked(p) == 1);
      p.call("ZADD", "src", "1", "a", "5", "b");
      assertThat(blocked(p)).isEqualTo(1);
      assertThat(p.call("ZUNIONSTORE", "z", "1", "src")).isEqualTo(":2\r\n");
      assertThat(w.readReply()).isEqualTo(triple("z", "b", "5"));
      assertThat(p.call("ZRANGE", "z", "0", "-1")).isEqualTo("*1\r\n" + bulk("a"));
    }
  }

  @Test
  void repliesInResp3CarryADoubleScore() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      w.call("HELLO", "3");
      w.send("BZPOPMAX", "z", "0");
      waitFor(() -> blocked(p) == 1);
      p.call("ZINCRBY", "z", "2.5", "m");
      assertThat(w.readReply()).isEqualTo("*3\r\n" + bulk("z") + bulk("m") + ",2.5\r\n");
      w.send("BZMPOP", "0", "1", "z", "MIN");
      waitFor(() -> blocked(p) == 1);
      p.call("ZUNIONSTORE", "z", "1", "src");
      assertThat(blocked(p)).isEqualTo(1);
      p.call("ZADD", "src", "1", "a", "5", "b");
      p.call("ZUNIONSTORE", "z", "1", "src");
      assertThat(w.readReply())
          .isEqualTo("*2\r\n" + bulk("z") + "*1\r\n*2\r\n" + bulk("a") + ",1\r\n");
    }
  }

  @Test
  void clientsAreServedInArrivalOrder() {
    try (RespClient a = kiln.client(); RespClient b = kiln.client(); RespClient c = kiln.client();
        RespClient p = kiln.client()) {
      a.send("BZPOPMIN", "z", "0");
      waitFor(() -> blocked(p) == 1);
      b.send("BZMPOP", "0", "2", "other", "z", "MAX", "COUNT", "2");
      waitFor(() -> blocked(p) == 2);
      c.send("BZPOPMAX", "z", "0");
      waitFor(() -> blocked(p) == 3);
      assertThat(p.call("ZADD", "z", "1", "a", "2", "b", "3", "c")).isEqualTo(":3\r\n");
      assertThat(a.readReply()).isEqualTo(triple("z", "a", "1"));
      assertThat(b.readReply()).isEqualTo("*2\r\n" + bulk("z") + "*2\r\n*2\r\n" + bulk("c")
          + bulk("3") + "*2\r\n" + bulk("b") + bulk("2"));
      assertThat(blocked(p)).isEqualTo(1);
      assertThat(p.call("EXISTS", "z")).isEqualTo(":0\r\n");
      p.call("ZADD", "z", "7", "d");
      assertThat(c.readReply()).isEqualTo(triple("z", "d", "7"));
    }
  }

  @Test
  void timeoutRepliesNullInBothProtocols() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      long t0 = System.nanoTime();
      assertThat(w.call("BZPOPMIN", "z", "0.2")).isEqualTo("*-1\r\n");
      assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(190_000_000L);
      assertThat(w.call("BZPOPMAX", "z", "0.05")).isEqualTo("*-1\r\n");
      assertThat(w.call("BZMPOP", "0.05", "1", "z", "MIN")).isEqualTo("*-1\r\n");
      w.call("HELLO", "3");
      assertThat(w.call("BZPOPMIN", "z", "0.05")).isEqualTo("_\r\n");
      assertThat(w.call("BZMPOP", "0.05", "1", "z", "MAX")).isEqualTo("_\r\n");
      assertThat(blocked(p)).isZero();
      p.call("ZADD", "z", "1", "a");
      assertThat(p.call("ZCARD", "z")).isEqualTo(":1\r\n");
    }
  }

  @Test
  void zaddInsideMultiWakesOnlyAfterExec() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      w.send("BZPOPMIN", "z", "0");
      waitFor(() -> blocked(p) == 1);
      p.call("MULTI");
      p.call("ZADD", "z", "1", "a");
      p.call("ZPOPMIN", "z");
      p.call("ZADD", "z", "2", "b");
      assertThat(p.call("EXEC")).isEqualTo("*3\r\n:1\r\n*2\r\n" + bulk("a") + bulk("1")
          + ":1\r\n");
      assertThat(w.readReply()).isEqualTo(triple("z", "b", "2"));
    }
  }

  @Test
  void blockingPopsInsideMultiAnswerAtOnce() {
    try (RespClient w = kiln.client()) {
      w.call("MULTI");
      w.call("BZPOPMIN", "z", "0");
      w.call("BZMPOP", "0", "1", "z", "MIN");
      w.call("ZADD", "z", "1", "a");
      w.call("BZPOPMAX", "z", "0");
      assertThat(w.call("EXEC"))
          .isEqualTo("*4\r\n*-1\r\n*-1\r\n:1\r\n" + triple("z", "a", "1"));
    }
  }

  @Test
  void clientUnblockWithTimeoutOrError() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      String id = w.call("CLIENT", "ID").substring(1).trim();
      w.send("BZPOPMIN", "z", "0");
      waitFor(() -> blocked(p) == 1);
      assertThat(p.call("CLIENT", "UNBLOCK", id, "TIMEOUT")).isEqualTo(":1\r\n");
      assertThat(w.readReply()).isEqualTo("*-1\r\n");
      w.send("BZMPOP", "0", "1", "z", "MAX");
      waitFor(() -> blocked(p) == 1);
      assertThat(p.call("CLIENT", "UNBLOCK", id, "ERROR")).isEqualTo(":1\r\n");
      assertThat(w.readReply()).isEqualTo("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
      p.call("ZADD", "z", "1", "a");
      assertThat(p.call("ZCARD", "z")).isEqualTo(":1\r\n");
    }
  }

  @Test
  void keyDeletedOrTurnedIntoAListKeepsClientsBlocked() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      w.send("BZPOPMIN", "z", "0");
      waitFor(() -> blocked(p) == 1);
      p.call("RPUSH", "z", "x");
      p.call("SET", "z", "string");
      p.call("DEL", "z");
      p.call("ZADD", "tmp", "3", "m");
      assertThat(blocked(p)).isEqualTo(1);
      assertThat(p.call("RENAME", "tmp", "z")).isEqualTo("+OK\r\n");
      assertThat(w.readReply()).isEqualTo(triple("z", "m", "3"));
    }
  }

  @Test
  void listAndSortedSetWaitersOnOneKeyAreEachServedByTheirType() {
    try (RespClient l = kiln.client(); RespClient z = kiln.client(); RespClient p = kiln.client()) {
      l.send("BLPOP", "k", "0");
      waitFor(() -> blocked(p) == 1);
      z.send("BZPOPMIN", "k", "0");
      waitFor(() -> blocked(p) == 2);
      p.call("ZADD", "k", "1", "m");
      assertThat(z.readReply()).isEqualTo(triple("k", "m", "1"));
      assertThat(blocked(p)).isEqualTo(1);
      p.call("RPUSH", "k", "v");
      assertThat(l.readReply()).isEqualTo("*2\r\n" + bulk("k") + bulk("v"));
    }
  }
}
