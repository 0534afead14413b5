package io.kiln.support;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logback appender (wired in logback-test.xml to Vert.x's blocked-thread checker) that counts
 * "Thread ... has been blocked" warnings. Tests run with a low threshold
 * (-Dkiln.blockedThreadWarningMs, set by the pom) and fail when the count grows. Any thread.
 */
public final class BlockedThreadGuard extends AppenderBase<ILoggingEvent> {
  private static final AtomicLong COUNT = new AtomicLong();
  private static volatile String last = "none";

  public static long count() {
    return COUNT.get();
  }

  public static String last() {
    return last;
  }

  @Override
  protected void append(ILoggingEvent event) {
    COUNT.incrementAndGet();
    StringBuilder where = new StringBuilder(event.getFormattedMessage());
    if (event.getThrowableProxy() != null) {
      var frames = event.getThrowableProxy().getStackTraceElementProxyArray();
      for (int i = 0; i < Math.min(12, frames.length); i++) {
        where.append("\n    at ").append(frames[i].getSTEAsString());
      }
    }
    last = where.toString();
  }
}
