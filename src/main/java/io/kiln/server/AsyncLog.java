package io.kiln.server;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.AppenderBase;

/**
 * The appender Kiln logs through (conf/logback.xml, and the {@code logfile} one): logback's
 * asynchronous appender, so no event loop waits on the console or the disk, plus barriers.
 * {@link #afterWritten} runs an action once every line logged before it has been written, so a
 * reply can follow the log line that explains it, as in Redis, whose log is synchronous: Redis's
 * tests read the log right after a reply ("integrity check failed" after a refused RESTORE).
 *
 * <p>Threads: lines are queued by any thread and written by logback's worker thread, which also
 * runs the barriers' actions (in order, after the lines queued before them).
 */
public final class AsyncLog extends AsyncAppender {
  /** The running instance; null when logging goes elsewhere (tests log synchronously). */
  private static volatile AsyncLog running;

  /** A barrier in the queue: not a line. */
  private static final class Barrier extends LoggingEvent {
    final Runnable action;

    Barrier(Runnable action) {
      this.action = action;
    }
  }

  /**
   * What the worker hands every queued event to (logback attaches one appender to an async one):
   * a line goes to the configured appender, a barrier's action runs.
   */
  private static final class Tail extends AppenderBase<ILoggingEvent> {
    private final Appender<ILoggingEvent> out;

    Tail(Appender<ILoggingEvent> out) {
      this.out = out;
    }

    @Override
    protected void append(ILoggingEvent event) {
      if (event instanceof Barrier b) {
        b.action.run();
      } else {
        out.doAppend(event);
      }
    }

    @Override
    public void stop() {
      out.stop();
      super.stop();
    }
  }

  /**
   * Free queue places below which a barrier is not queued: the queue never blocks a logging
   * thread, it drops a line when full, and a dropped barrier would never run its action. A few
   * threads log one line at a time, so the margin cannot fill between the check and the put.
   */
  static final int MARGIN = 32;

  /**
   * Runs {@code action} once every line logged so far is written: on logback's worker thread,
   * or at once on the caller's when Kiln's asynchronous log is not running (then lines are
   * written as they are logged, or not at all) or its queue is nearly full (lines are being
   * dropped then anyway).
   */
  public static void afterWritten(Runnable action) {
    AsyncLog log = running;
    if (log == null || !log.isStarted() || log.getRemainingCapacity() < MARGIN) {
      action.run();
      return;
    }
    log.put(new Barrier(action));
  }

  @Override
  public void addAppender(Appender<ILoggingEvent> appender) {
    Tail tail = new Tail(appender);
    tail.setContext(appender.getContext());
    tail.setName(appender.getName());
    tail.start();
    super.addAppender(tail);
  }

  @Override
  public void start() {
    super.start();
    running = this;
  }

  @Override
  public void stop() {
    if (running == this) {
      running = null;
    }
    super.stop(); // writes what is queued, barriers' actions included
  }
}
