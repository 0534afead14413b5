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

  /** A loopback port free right now. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
