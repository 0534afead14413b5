package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.rdb.RdbReader;
import io.kiln.rdb.RdbValue;
import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import io.kiln.types.ListValue;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The list value against a plain model under random operations (small nodes force many node
 * boundaries), and lists through SAVE: the file read back and loaded by a real redis-server.
 * Test thread.
 */
class ListCommandsTest {
  @TempDir
  Path dir;

  private static byte[] randomElement(Random r) {
    int kind = r.nextInt(10);
    int len = kind == 0 ? 200 + r.nextInt(20000) : kind == 1 ? 0 : 1 + r.nextInt(12);
    byte[] b = new byte[len];
    for (int i = 0; i < len; i++) {
      b[i] = (byte) ('a' + r.nextInt(3));
    }
    return b;
  }

  private static void assertSame(ListValue l, List<byte[]> model) {
    assertThat(l.size()).isEqualTo(model.size());
    List<byte[]> got = l.toList();
    for (int i = 0; i < model.size(); i++) {
      assertThat(got.get(i)).as("element %d", i).isEqualTo(model.get(i));
    }
  }

  @Test
  void randomOperationsMatchAPlainList() {
    for (int fill : new int[] {-2, -1, 3, 1}) {
      Random r = new Random(42 + fill);
      ListValue l = new ListValue(fill);
      List<byte[]> model = new ArrayList<>();
      for (int step = 0; step < 20_000; step++) {
        int op = r.nextInt(12);
        switch (op) {
          case 0, 1 -> {
            byte[] v = randomElement(r);
            l.pushHead(v);
            model.add(0, v);
          }
          case 2, 3 -> {
            byte[] v = randomElement(r);
            l.pushTail(v);
            model.add(v);
          }
          case 4 -> assertThat(l.popHead()).isEqualTo(model.isEmpty() ? null : model.remove(0));
          case 5 -> assertThat(l.popTail())
              .isEqualTo(model.isEmpty() ? null : model.remove(model.size() - 1));
          case 6 -> {
            if (!model.isEmpty()) {
              int i = r.nextInt(model.size());
              assertThat(l.get(i)).isEqualTo(model.get(i));
              byte[] v = randomElement(r);
              l.set(i, v);
              model.set(i, v);
            }
          }
          case 7 -> {
            byte[] pivot = randomElement(r);
            byte[] v = randomElement(r);
            boolean after = r.nextBoolean();
            int at = indexOf(model, pivot);
            assertThat(l.insert(pivot, v, after)).isEqualTo(at >= 0);
            if (at >= 0) {
              model.add(after ? at + 1 : at, v);
            }
          }
          case 8 -> {
            byte[] v = randomElement(r);
            long count = r.nextInt(5) - 2;
            long expected = modelRemove(model, v, count);
            assertThat(l.remove(v, count)).isEqualTo(expected);
          }
          case 9 -> {
            if (r.nextInt(20) == 0 && !model.isEmpty()) {
              int head = r.nextInt(model.size() / 3 + 1);
              int tail = r.nextInt(model.size() / 3 + 1);
              l.trim(head, tail);
              int end = Math.max(head, model.size() - tail);
              model = new ArrayList<>(model.subList(Math.min(head, model.size()), end));
            }
          }
          case 10 -> {
            if (!model.isEmpty()) {
              int from = r.nextInt(model.size());
              int to = Math.min(model.size() - 1, from + r.nextInt(50));
              List<byte[]> got = new ArrayList<>();
              l.forRange(from, to, got::add);
              for (int i = from; i <= to; i++) {
                assertThat(got.get(i - from)).isEqualTo(model.get(i));
              }
            }
          }
          default -> {
            byte[] v = randomElement(r);
            List<Long> fwd = new ArrayList<>();
            l.find(v, true, 0, i -> fwd.add(i));
            List<Long> back = new ArrayList<>();
            l.find(v, false, 0, i -> back.add(i));
            List<Long> expected = new ArrayList<>();
            for (int i = 0; i < model.size(); i++) {
              if (Arrays.equals(model.get(i), v)) {
                expected.add((long) i);
              }
            }
            assertThat(fwd).isEqualTo(expected);
            List<Long> rev = new ArrayList<>(expected);
            java.util.Collections.reverse(rev);
            assertThat(back).isEqualTo(rev);
          }
        }
      }
      assertSame(l, model);
      assertSame(l.deepCopy(), model);
    }
  }

  private static int indexOf(List<byte[]> model, byte[] v) {
    for (int i = 0; i < model.size(); i++) {
      if (Arrays.equals(model.get(i), v)) {
        return i;
      }
    }
    return -1;
  }

  private static long modelRemove(List<byte[]> model, byte[] v, long count) {
    long removed = 0;
    long limit = count == 0 ? Long.MAX_VALUE : Math.abs(count);
    if (count >= 0) {
      for (int i = 0; i < model.size() && removed < limit; ) {
        if (Arrays.equals(model.get(i), v)) {
          model.remove(i);
          removed++;
        } else {
          i++;
        }
      }
    } else {
      for (int i = model.size() - 1; i >= 0 && removed < limit; i--) {
        if (Arrays.equals(model.get(i), v)) {
          model.remove(i);
          removed++;
        }
      }
    }
    return removed;
  }

  @Test
  void smallListsArePackedInOneNodeAndLargeOnesSplit() {
    ListValue l = new ListValue(-2);
    for (int i = 0; i < 100; i++) {
      l.pushTail(("element:" + i).getBytes(StandardCharsets.US_ASCII));
    }
    assertThat(l.nodeCount()).isEqualTo(1);
    for (int i = 0; i < 10_000; i++) {
      l.pushTail(("element:" + i).getBytes(StandardCharsets.US_ASCII));
    }
    // about 12 bytes an entry, 8 KB a node
    assertThat(l.nodeCount()).isBetween(14, 20);
    assertThat(l.encoding()).isEqualTo("quicklist");
  }

  @Test
  void listsSurviveSaveAndLoadIntoRealRedis() throws Exception {
    Map<String, List<String>> expected = new HashMap<>();
    try (TestKiln kiln = TestKiln.start("dir", dir.toString()); RespClient c = kiln.client()) {
      c.call("RPUSH", "small", "a", "b", "12345", "-7", "");
      expected.put("small", List.of("a", "b", "12345", "-7", ""));
      List<String> big = new ArrayList<>();
      String[] args = new String[3002];
      args[0] = "RPUSH";
      args[1] = "big";
      for (int i = 0; i < 3000; i++) {
        big.add("value-" + i);
        args[i + 2] = "value-" + i;
      }
      assertThat(c.call(args)).isEqualTo(":3000\r\n");
      expected.put("big", big);
      String huge = "h".repeat(20_000);
      c.call("LPUSH", "huge", huge, "x");
      expected.put("huge", List.of("x", huge));
      assertThat(c.call("SAVE")).isEqualTo("+OK\r\n");
    }
    Map<String, List<String>> saved = new HashMap<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(dir.resolve("dump.rdb")))) {
      new RdbReader(in).read(e -> {
        List<String> els = new ArrayList<>();
        for (byte[] b : ((RdbValue.ListValue) e.value()).elements()) {
          els.add(new String(b, StandardCharsets.ISO_8859_1));
        }
        saved.put(new String(e.key(), StandardCharsets.ISO_8859_1), els);
      });
    }
    assertThat(saved).isEqualTo(expected);
    ListValue back = ListValue.fromRdb(new RdbValue.ListValue(
        expected.get("big").stream().map(s -> s.getBytes(StandardCharsets.ISO_8859_1)).toList()),
        -2);
    assertThat(back.size()).isEqualTo(3000);
    assertThat(new String(back.get(2999), StandardCharsets.ISO_8859_1)).isEqualTo("value-2999");
    try (RealRedis redis = RealRedis.start("--dir", dir.toString());
        RespClient r = redis.client()) {
      assertThat(r.call("LLEN", "big")).isEqualTo(":3000\r\n");
      assertThat(r.call("LRANGE", "small", "0", "-1"))
          .isEqualTo("*5\r\n$1\r\na\r\n$1\r\nb\r\n$5\r\n12345\r\n$2\r\n-7\r\n$0\r\n\r\n");
      assertThat(r.call("LINDEX", "big", "1234")).isEqualTo("$10\r\nvalue-1234\r\n");
      assertThat(r.call("LINDEX", "huge", "1")).startsWith("$20000\r\nhhh");
    }
  }
}
