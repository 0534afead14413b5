package io.kiln.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis's `server_cpulist` and `bgsave_cpulist`: the CPUs a thread may run on. The shards' event
 * loops take `server_cpulist` and the snapshot writer `bgsave_cpulist` (where Redis puts its
 * main thread and its BGSAVE child), so that on a small machine the writer, the clients and the
 * JVM's other threads can be kept off the event loop's core. A list is CPU numbers, ranges and
 * ranges with a step, comma separated ({@code 0,2-3}, {@code 0-7:2}); an empty one leaves the
 * thread where the system put it. A Linux thread's affinity is set through its task id with
 * util-linux's {@code taskset}, the JVM having no call for it. As on Linux for Redis, a thread
 * started later by a pinned thread inherits its CPUs: Vert.x's worker threads that the event
 * loop starts (INFO's host facts, CONFIG REWRITE) run on `server_cpulist` too.
 *
 * <p>Stateless: {@link #currentTid} runs on the thread it names, {@link #pin} on a thread that
 * may block (a worker; it waits for taskset).
 */
public final class CpuAffinity {
  private static final Logger log = LoggerFactory.getLogger(CpuAffinity.class);

  private CpuAffinity() {}

  /**
   * The CPUs of {@code cpulist} in order, as taskset's list ({@code "0,2,3"}), or null when it
   * is not a list Redis would apply (Redis then leaves the thread alone, as Server does).
   */
  static String parse(String cpulist) {
    TreeSet<Integer> cpus = new TreeSet<>();
    for (String item : cpulist.split(",", -1)) {
      String[] stepped = item.split(":", -1);
      String[] range = stepped[0].split("-", -1);
      if (stepped.length > 2 || range.length > 2 || (stepped.length == 2 && range.length == 1)) {
        return null;
      }
      Integer from = number(range[0]);
      Integer to = range.length == 2 ? number(range[1]) : from;
      Integer step = stepped.length == 2 ? number(stepped[1]) : Integer.valueOf(1);
      if (from == null || to == null || step == null || step == 0 || from > to) {
        return null;
      }
      for (int cpu = from; cpu <= to; cpu += step) {
        cpus.add(cpu);
      }
    }
    return cpus.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  private static Integer number(String s) {
    if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return null;
    }
    return Integer.valueOf(s);
  }

  /**
   * The calling thread's Linux task id, or -1 where there is none (not Linux). A readlink of
   * procfs, answered from the kernel's memory: it never waits for a disk, so an event loop may
   * ask.
   */
  public static long currentTid() {
    try {
      Path self = Files.readSymbolicLink(Path.of("/proc/thread-self")); // "<pid>/task/<tid>"
      return Long.parseLong(self.getFileName().toString());
    } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Lets thread {@code tid} (of {@link #currentTid}) run only on the CPUs of {@code cpulist},
   * the value of directive {@code name}; nothing when the list is empty. A list that cannot be
   * applied (not a list, no such CPU, no taskset) is logged and the thread left where it is.
   * Blocks until taskset exits: call it on a worker.
   */
  public static void pin(String name, String cpulist, long tid) {
    if (cpulist == null || cpulist.isBlank()) {
      return;
    }
    String cpus = parse(cpulist);
    if (cpus == null) {
      log.warn("{} \"{}\" is not a CPU list (e.g. 0,2-3 or 0-7:2): not applied", name, cpulist);
      return;
    }
    if (tid < 0) {
      log.warn("{} is applied on Linux only: not applied", name);
      return;
    }
    try {
      Process p = new ProcessBuilder("taskset", "-p", "-c", cpus, Long.toString(tid))
          .redirectErrorStream(true).start();
      // taskset prints a line or two, well within the pipe's buffer: wait, then read
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        log.warn("{} {}: taskset did not answer: not applied", name, cpus);
      } else if (p.exitValue() != 0) {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        log.warn("{} {}: not applied: {}", name, cpus, out.trim());
      } else {
        log.info("{} {}: thread {} runs on CPUs {}", name, cpulist, tid, cpus);
      }
    } catch (IOException e) {
      log.warn("{} {}: needs taskset (util-linux): not applied: {}", name, cpus, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
