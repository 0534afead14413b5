package io.kiln.command;

import static io.kiln.command.BlockingTest.blocked;
import static io.kiln.command.BlockingTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.SharedKiln;
import io.kiln.support.TestKiln;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SORT ... STORE across connections (what the differential corpus cannot show): the stored
 * list wakes list waiters but not sorted-set waiters, and fails the EXEC of a client watching
 * the destination. Test thread; conditions are polled with a deadline.
 */
class SortCommandsTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();

  @BeforeEach
  void flush() {
    try (RespClient c = kiln.client()) {
      c.call("FLUSHALL");
      waitFor(() -> blocked(c) == 0);
    }
  }

  @Test
  void storeWakesAListWaiterButNotASortedSetWaiter() {
    try (RespClient z = kiln.client(); RespClient l = kiln.client();
        RespClient p = kiln.client()) {
      z.send("BZPOPMIN", "dst", "0");
      waitFor(() -> blocked(p) == 1);
      l.send("BLPOP", "dst", "0");
      waitFor(() -> blocked(p) == 2);
      p.call("RPUSH", "src", "3", "1", "2");
      assertThat(p.call("SORT", "src", "STORE", "dst")).isEqualTo(":3\r\n");
      assertThat(l.readReply()).isEqualTo("*2\r\n$3\r\ndst\r\n$1\r\n1\r\n");
      assertThat(blocked(p)).isEqualTo(1);
      assertThat(p.call("LRANGE", "dst", "0", "-1")).isEqualTo("*2\r\n$1\r\n2\r\n$1\r\n3\r\n");
      p.call("DEL", "dst");
      p.call("ZADD", "dst", "1", "m");
      assertThat(z.readReply()).isEqualTo("*3\r\n$3\r\ndst\r\n$1\r\nm\r\n$1\r\n1\r\n");
    }
  }

  @Test
  void storeFailsTheExecOfAWatcherOfTheDestination() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      p.call("RPUSH", "src", "b", "a");
      w.call("WATCH", "dst");
      assertThat(p.call("SORT", "src", "ALPHA", "STORE", "dst")).isEqualTo(":2\r\n");
      w.call("MULTI");
      w.call("PING");
      assertThat(w.call("EXEC")).isEqualTo("*-1\r\n");
      w.call("WATCH", "dst");
      assertThat(p.call("SORT", "nokey", "STORE", "dst")).isEqualTo(":0\r\n");
      w.call("MULTI");
      w.call("PING");
      assertThat(w.call("EXEC")).isEqualTo("*-1\r\n");
    }
  }

  @Test
  void sortRoAndReadsDoNotFailAWatch() {
    try (RespClient w = kiln.client(); RespClient p = kiln.client()) {
      p.call("RPUSH", "src", "2", "1");
      w.call("WATCH", "src");
      assertThat(p.call("SORT_RO", "src")).isEqualTo("*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
      assertThat(p.call("SORT", "src", "LIMIT", "0", "1")).isEqualTo("*1\r\n$1\r\n1\r\n");
      w.call("MULTI");
      w.call("PING");
      assertThat(w.call("EXEC")).isEqualTo("*1\r\n+PONG\r\n");
    }
  }

  @Test
  void byAndGetPatternsAreRefusedInClusterMode() throws Exception {
    try (TestKiln cluster = TestKiln.start("cluster-enabled", "yes");
        RespClient c = cluster.client()) {
      c.call("RPUSH", "l", "2", "1");
      assertThat(c.call("SORT", "l", "BY", "w_*"))
          .isEqualTo("-ERR BY option of SORT denied in Cluster mode.\r\n");
      assertThat(c.call("SORT_RO", "l", "BY", "w_*"))
          .isEqualTo("-ERR BY option of SORT denied in Cluster mode.\r\n");
      assertThat(c.call("SORT", "l", "GET", "#"))
          .isEqualTo("-ERR GET option of SORT denied in Cluster mode.\r\n");
      assertThat(c.call("SORT", "l", "FOO", "BY", "w_*")).isEqualTo("-ERR syntax error\r\n");
      assertThat(c.call("SORT", "l", "BY", "nosort"))
          .isEqualTo("*2\r\n$1\r\n2\r\n$1\r\n1\r\n");
    }
  }
}
