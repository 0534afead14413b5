package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.SharedKiln;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CLIENT LIST's qbuf, qbuf-free, argv-mem and multi-mem with the figures Redis 7.0.15 gives for
 * the same traffic, and the query buffer shrinking as Redis's clients cron shrinks it. Test
 * thread; conditions are polled with a deadline.
 */
class QueryBufferTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln("enable-debug-command", "yes");

  private static long field(RespClient observer, String name, String field) {
    String list = observer.call("CLIENT", "LIST");
    for (String line : list.split("\n")) {
      if (line.contains(" name=" + name + " ")) {
        Matcher m = Pattern.compile(" " + Pattern.quote(field) + "=(\\d+)").matcher(line);
        assertThat(m.find()).as(field + " in " + line).isTrue();
        return Long.parseLong(m.group(1));
      }
    }
    throw new AssertionError("no client " + name + " in " + list);
  }

  private static long size(RespClient observer, String name) {
    return field(observer, name, "qbuf") + field(observer, name, "qbuf-free");
  }

  private static void waitFor(BooleanSupplier condition) {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 10 s").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  @Test
  void roomIsMadeAsRedisAllocatesIt() {
    assertThat(QueryBuffer.sized(16 * 1024)).isEqualTo(20474);
    assertThat(QueryBuffer.sized(100_002)).isEqualTo(114678);
    assertThat(QueryBuffer.sized(400_002)).isEqualTo(458742);
  }

  @Test
  void clientInfoCountsItsOwnCommandInTheBuffer() {
    try (RespClient c = kiln.client()) {
      String info = c.call("CLIENT", "INFO");
      assertThat(info).contains(" qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 ");
    }
  }

  @Test
  void queuedCommandsAndAPartialCommandAreCounted() {
    try (RespClient c = kiln.client(); RespClient o = kiln.client()) {
      c.call("CLIENT", "SETNAME", "q1");
      c.call("MULTI");
      c.call("SET", "key", "value");
      c.call("INCR", "x");
      assertThat(field(o, "q1", "multi-mem")).isEqualTo(56);
      c.call("DISCARD");
      c.sendRaw("*3\r\n$3\r\nset\r\n$1\r\nk\r\n$5\r\nab".getBytes(StandardCharsets.ISO_8859_1));
      waitFor(() -> field(o, "q1", "qbuf") == 2);
      assertThat(field(o, "q1", "argv-mem")).isEqualTo(4);
      assertThat(field(o, "q1", "qbuf-free")).isEqualTo(20472);
      c.sendRaw("cde\r\n".getBytes(StandardCharsets.ISO_8859_1));
      assertThat(c.readReply()).isEqualTo("+OK\r\n");
      assertThat(field(o, "q1", "argv-mem")).isZero();
    }
  }

  @Test
  void aBigArgumentsBufferShrinksToTheRecentPeak() {
    try (RespClient c = kiln.client(); RespClient o = kiln.client()) {
      c.call("CLIENT", "SETNAME", "q2");
      o.call("DEBUG", "PAUSE-CRON", "1"); // no resize before the big buffer is seen
      long big;
      try {
        c.call("SET", "x", "A".repeat(400_000));
        big = size(o, "q2");
      } finally {
        o.call("DEBUG", "PAUSE-CRON", "0");
      }
      assertThat(big).isGreaterThan(32 * 1024);
      waitFor(() -> {
        c.call("SET", "x", "A".repeat(100));
        return size(o, "q2") < big;
      });
      assertThat(size(o, "q2")).isPositive();
    }
  }

  @Test
  void anIdleClientsBufferIsGivenBack() {
    try (RespClient c = kiln.client(); RespClient o = kiln.client()) {
      c.call("CLIENT", "SETNAME", "q3");
      long first = size(o, "q3");
      assertThat(first).isBetween(16_384L, 32_767L);
      waitFor(() -> field(o, "q3", "idle") >= 3 && size(o, "q3") == 0);
    }
  }
}
