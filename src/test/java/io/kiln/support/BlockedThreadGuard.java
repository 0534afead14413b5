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
    last = event.getFormattedMessage();
  }
}
