package io.kiln.types;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Bytes per element of small hashes and sets in Kiln (Java heap after a full GC, measured in
 * this JVM, which hosts the test Kiln) against Redis 7.0 (INFO used_memory), with the same data
 * loaded by pipelining into both: 100K hashes of 10 small fields and 100K sets of 10 small
 * integers. The target is at most 1.5x Redis. Test thread.
 */
class MemoryFootprintTest {
  static final int KEYS = 100_000;
  static final int PER_KEY = 10;

  static List<String> hashCommand(int i) {
    List<String> cmd = new ArrayList<>(List.of("HSET", "hash:" + i));
    for (int j = 0; j < PER_KEY; j++) {
      cmd.add("field" + j);
      cmd.add(Integer.toString(i % 1000 + j));
    }
    return cmd;
  }

  static List<String> setCommand(int i) {
    List<String> cmd = new ArrayList<>(List.of("SADD", "set:" + i));
    for (int j = 0; j < PER_KEY; j++) {
      cmd.add(Integer.toString(i % 100 + j * 7));
    }
    return cmd;
  }

  /** Sends KEYS commands in pipelined batches of 100 and reads every reply. */
  static void load(RespClient c, IntFunction<List<String>> command) {
    for (int base = 0; base < KEYS; base += 100) {
      ByteArrayOutputStream batch = new ByteArrayOutputStream();
      for (int i = base; i < base + 100; i++) {
        List<byte[]> args = new ArrayList<>();
        for (String a : command.apply(i)) {
          args.add(a.getBytes(StandardCharsets.US_ASCII));
        }
        batch.writeBytes(RespClient.encode(args));
      }
      c.sendRaw(batch.toByteArray());
      for (int i = 0; i < 100; i++) {
        String r = c.readReply();
        if (!r.startsWith(":")) {
          throw new AssertionError("unexpected reply " + r);
        }
      }
    }
  }

  static long usedMemory(RespClient c) {
    for (String line : c.call("INFO", "memory").split("\r\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()));
      }
    }
    throw new AssertionError("no used_memory");
  }

  static long heapAfterGc() {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  static double redisBytesPerElement(IntFunction<List<String>> command) throws Exception {
    try (RealRedis redis = RealRedis.start(); RespClient c = redis.client()) {
      long before = usedMemory(c);
      load(c, command);
      return (usedMemory(c) - before) / (double) (KEYS * PER_KEY);
    }
  }

  static double kilnBytesPerElement(IntFunction<List<String>> command, String encoding)
      throws Exception {
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      kiln.awaitRehearsal();
      long before = heapAfterGc();
      load(c, command);
      long after = heapAfterGc();
      String key = command.apply(0).get(1);
      assertThat(c.call("OBJECT", "ENCODING", key)).contains(encoding);
      return (after - before) / (double) (KEYS * PER_KEY);
    }
  }

  @Test
  void smallHashesAndSetsCostAtMostOneAndAHalfTimesRedis() throws Exception {
    double redisHash = redisBytesPerElement(MemoryFootprintTest::hashCommand);
    double kilnHash = kilnBytesPerElement(MemoryFootprintTest::hashCommand, "listpack");
    double redisSet = redisBytesPerElement(MemoryFootprintTest::setCommand);
    double kilnSet = kilnBytesPerElement(MemoryFootprintTest::setCommand, "intset");
    String report = String.format(
        "bytes per element: hashes kiln %.1f redis %.1f (%.2fx); sets kiln %.1f redis %.1f (%.2fx)",
        kilnHash, redisHash, kilnHash / redisHash, kilnSet, redisSet, kilnSet / redisSet);
    System.out.println("MEMORY: " + report);
    assertThat(kilnHash / redisHash).as(report).isLessThanOrEqualTo(1.5);
    assertThat(kilnSet / redisSet).as(report).isLessThanOrEqualTo(1.5);
  }
}
