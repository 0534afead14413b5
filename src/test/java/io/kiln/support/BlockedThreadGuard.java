package io.kiln.support;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logback appender (wired in logback-test.xml to Vert.x's blocked-thread checker) that counts
 * "Thread ... has been blocked" warnings. Tests run with a low threshold
 * (-Dkiln.blockedThreadWarningMs, set by the pom) and fail when the count grows.
 *
 * <p>The checker captures the thread's stack when it reports. When that stack shows the event
 * loop already idle in its selector, the task had ended before the report: the thread was
 * starved of CPU (a 2-core machine under load, a GC pause), not blocked by code. Such reports
 * are counted apart; a task really running past the threshold is caught mid-task by the next
 * check, with its own stack, and counts. So is a short report (under 1 s) of the loop waiting
 * for a script's slice, whose thread was starved the same way. Any thread.
 */
public final class BlockedThreadGuard extends AppenderBase<ILoggingEvent> {
  private static final AtomicLong COUNT = new AtomicLong();
  private static final AtomicLong IDLE_AT_REPORT = new AtomicLong();
  private static volatile String last = "none";

  public static long count() {
    return COUNT.get();
  }

  /** Reports whose stack showed the loop idle: CPU starvation, not blocking. */
  public static long idleAtReport() {
    return IDLE_AT_REPORT.get();
  }

  public static String last() {
    return last;
  }

  @Override
  protected void append(ILoggingEvent event) {
    StackTraceElementProxy[] frames = event.getThrowableProxy() == null ? null
        : event.getThrowableProxy().getStackTraceElementProxyArray();
    if (frames != null && frames.length > 0 && idle(frames[0].getSTEAsString())) {
      IDLE_AT_REPORT.incrementAndGet();
      return;
    }
    if (frames != null && waitingForScript(frames)
        && blockedMs(event.getFormattedMessage()) < 1000) {
      // The loop waits for a script's slice (2 ms) and the script thread did not get the CPU
      // for a moment: starvation as above. A script that does not pause is reported again and
      // again, past 1 s, and counts.
      IDLE_AT_REPORT.incrementAndGet();
      return;
    }
    COUNT.incrementAndGet();
    StringBuilder where = new StringBuilder(event.getFormattedMessage());
    if (frames != null) {
      for (int i = 0; i < Math.min(12, frames.length); i++) {
        where.append("\n    ").append(frames[i].getSTEAsString());
      }
    }
    last = where.toString();
  }

  private static boolean waitingForScript(StackTraceElementProxy[] frames) {
    for (int i = 0; i < Math.min(4, frames.length); i++) {
      if (frames[i].getSTEAsString().contains("ScriptThread.await")) {
        return true;
      }
    }
    return false;
  }

  /** The N of Vert.x's "has been blocked for N ms", or a large number when absent. */
  private static long blockedMs(String message) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("blocked for (\\d+) ms")
        .matcher(message);
    return m.find() ? Long.parseLong(m.group(1)) : Long.MAX_VALUE;
  }

  private static boolean idle(String topFrame) {
    return topFrame.contains("epollWait") || topFrame.contains("EPoll.wait")
        || topFrame.contains("SelectorImpl.select") || topFrame.contains("ioUringEnter");
  }
}
