package io.kiln.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * For tests that run Kiln as a process: wait for a line of its output, find a free port. Used
 * from the test thread.
 */
public final class ProcessLines {
  private ProcessLines() {}

  /** Seconds a test waits for a line before failing. */
  public static final long DEADLINE_S = 60;

  /** Waits for a line containing {@code text} (lines read meanwhile go to {@code seen}). */
  public static String awaitLine(BlockingQueue<String> lines, List<String> seen, String text)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_S);
    while (System.nanoTime() < deadline) {
      String l = lines.poll(100, TimeUnit.MILLISECONDS);
      if (l != null) {
        seen.add(l);
        if (l.contains(text)) {
          return l;
        }
      }
    }
    throw new AssertionError("no line containing '" + text + "' in: " + seen);
  }

  /** Copies the process's output, line by line, into {@code lines} on a daemon thread. */
  public static void pump(Process p, java.util.Collection<String> lines, String threadName) {
    Thread reader = new Thread(() -> {
      try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(
          p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          lines.add(line);
        }
      } catch (IOException ignored) {
        // the process went away
      }
    }, threadName);
    reader.setDaemon(true);
    reader.start();
  }

  /** A loopback port free right now. */
  /** The command that runs Kiln's Main in a child JVM on the test classpath, with {@code args}. */
  public static List<String> mainCommand(String... args) {
    List<String> cmd = new java.util.ArrayList<>(List.of(
        java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), "io.kiln.Main"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Kills the child JVMs a test started (and what they started) that are still running. */
  public static void destroyAll(List<Process> started) throws InterruptedException {
    for (Process p : started) {
      if (p.isAlive()) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      }
    }
  }

  /**
   * Starts {@code pb} with stderr merged into stdout, remembers it in {@code started} (for
   * {@link #destroyAll}) and feeds its lines to {@code lines} from a thread named {@code reader}.
   */
  public static Process start(ProcessBuilder pb, List<Process> started,
      java.util.Collection<String> lines, String reader) throws IOException {
    Process p = pb.redirectErrorStream(true).start();
    started.add(p);
    pump(p, lines, reader);
    return p;
  }
}
