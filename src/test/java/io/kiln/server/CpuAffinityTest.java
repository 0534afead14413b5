package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * `server_cpulist` and `bgsave_cpulist` on a real Kiln: the event loop and the snapshot writer
 * end up on the CPUs asked for (read back from /proc), and a list Redis would not apply leaves
 * the server as it was.
 */
class CpuAffinityTest {

  @Test
  void parsesTheListsRedisAndTasksetAccept() {
    assertThat(CpuAffinity.parse("0")).isEqualTo("0");
    assertThat(CpuAffinity.parse("0,2-3")).isEqualTo("0,2,3");
    assertThat(CpuAffinity.parse("0-7:2")).isEqualTo("0,2,4,6");
    assertThat(CpuAffinity.parse("3,1,1")).isEqualTo("1,3");
    assertThat(CpuAffinity.parse("1-1")).isEqualTo("1");
    for (String bad : List.of("", "a", "1-", "-1", "3-1", "0-4:0", "1:2", "0,", " 1", "1-2-3",
        "0-4:1:2", "99999999")) {
      assertThat(CpuAffinity.parse(bad)).as("\"%s\"", bad).isNull();
    }
  }

  @Test
  void theEventLoopAndTheSnapshotWriterRunOnTheirLists() throws Exception {
    List<Integer> allowed = cpus(status("self").get());
    assumeTrue(allowed.size() >= 2, "this process may run on one CPU only: " + allowed
        + "; pinning to a part of it cannot be seen");
    assumeTrue(Stream.of(System.getenv("PATH").split(":"))
        .anyMatch(d -> Files.isExecutable(Path.of(d, "taskset"))),
        "no taskset on PATH (Debian: util-linux): the CPU lists cannot be applied here");
    int loopCpu = allowed.get(allowed.size() - 1);
    int writerCpu = allowed.get(0);
    try (TestKiln kiln = TestKiln.start("server_cpulist", Integer.toString(loopCpu),
        "bgsave_cpulist", Integer.toString(writerCpu)); RespClient c = kiln.client()) {
      CompletableFuture<Long> loopTid = new CompletableFuture<>();
      kiln.kiln().onEventLoop(() -> loopTid.complete(CpuAffinity.currentTid()));
      Supplier<String> loop = status("self/task/" + loopTid.get(10, TimeUnit.SECONDS));
      waitFor(() -> cpus(loop.get()).equals(List.of(loopCpu)));
      // no other test pins a writer: a thread of that name on that CPU alone is this server's
      waitFor(() -> threadsNamed("kiln-snapshot-0").contains(List.of(writerCpu)));
      assertThat(cpus(status("self").get())).as("the process's other threads")
          .isEqualTo(allowed);

      c.call("SET", "k", "v");
      assertThat(c.call("BGSAVE")).isEqualTo("+Background saving started\r\n");
      waitFor(() -> c.call("INFO", "persistence").contains("rdb_bgsave_in_progress:0"));
      assertThat(c.call("INFO", "persistence")).contains("rdb_last_bgsave_status:ok\r\n");
    }
  }

  @Test
  void aListRedisWouldNotApplyLeavesTheServerAsItWas() throws Exception {
    String before = cpusOfEveryThread();
    try (TestKiln kiln = TestKiln.start("server_cpulist", "1-0", "bgsave_cpulist", "x");
        RespClient c = kiln.client()) {
      assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
      assertThat(c.call("CONFIG", "GET", "server_cpulist"))
          .isEqualTo("*2\r\n$14\r\nserver_cpulist\r\n$3\r\n1-0\r\n");
      assertThat(cpusOfEveryThread()).isEqualTo(before);
    }
  }

  /** The "Cpus_allowed_list" of /proc/{@code which}/status, read when asked. */
  private static Supplier<String> status(String which) {
    return () -> {
      try {
        return Files.readAllLines(Path.of("/proc", which, "status")).stream()
            .filter(l -> l.startsWith("Cpus_allowed_list:")).findFirst().orElseThrow()
            .substring("Cpus_allowed_list:".length()).trim();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    };
  }

  /** The CPUs of a kernel CPU list ("0-1,3"). */
  private static List<Integer> cpus(String list) {
    return Stream.of(list.split(",")).flatMap(part -> {
      String[] r = part.split("-");
      int from = Integer.parseInt(r[0]);
      int to = Integer.parseInt(r[r.length - 1]);
      return Stream.iterate(from, i -> i <= to, i -> i + 1);
    }).toList();
  }

  /** The CPUs of each thread named {@code comm} (those of earlier servers may linger). */
  private static List<List<Integer>> threadsNamed(String comm) {
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      return tasks.flatMap(t -> {
        try {
          return Files.readString(t.resolve("comm")).trim().equals(comm)
              ? Stream.of(cpus(status("self/task/" + t.getFileName()).get())) : Stream.empty();
        } catch (IOException | IllegalStateException e) {
          return Stream.empty(); // the thread ended meanwhile
        }
      }).toList();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String cpusOfEveryThread() throws IOException {
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      return tasks.flatMap(t -> {
        try {
          return Stream.of(status("self/task/" + t.getFileName()).get());
        } catch (IllegalStateException e) {
          return Stream.empty(); // the thread ended meanwhile
        }
      }).distinct().sorted().toList().toString();
    }
  }

  /** Polls every 5 ms (not spinning: the threads under test may share this one's CPU). */
  private static void waitFor(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 20 s").isLessThan(deadline);
      java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
    }
  }
}
