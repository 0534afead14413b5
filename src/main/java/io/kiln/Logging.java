package io.kiln;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AsyncAppenderBase;
import ch.qos.logback.core.FileAppender;
import io.kiln.config.Config;
import org.slf4j.LoggerFactory;

/**
 * Applies `loglevel` and `logfile` to logback (configured by logback.xml, which logs through an
 * async appender so no event loop waits on the console or disk). Main thread, at startup.
 */
final class Logging {
  private Logging() {}

  static void configure(Config config) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      return;
    }
    ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(switch (config.getString("loglevel")) {
      case "debug" -> Level.DEBUG;
      case "verbose" -> Level.DEBUG;
      case "warning" -> Level.WARN;
      case "nothing" -> Level.OFF;
      default -> Level.INFO;
    });
    String logfile = config.getString("logfile");
    if (logfile.isEmpty()) {
      return;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(ctx);
    encoder.setPattern(ctx.getProperty("KILN_PATTERN") != null ? ctx.getProperty("KILN_PATTERN")
        : "%d %level %msg%n");
    encoder.start();
    FileAppender<ILoggingEvent> file = new FileAppender<>();
    file.setContext(ctx);
    file.setFile(logfile);
    file.setEncoder(encoder);
    file.start();
    AsyncAppenderBase<ILoggingEvent> async = new io.kiln.server.AsyncLog();
    async.setContext(ctx);
    async.setNeverBlock(true);
    async.addAppender(file);
    async.start();
    root.detachAndStopAllAppenders();
    root.addAppender(async);
  }

  /**
   * Before a System.exit on the main thread: stops logback, which drains the async appender, so
   * the lines saying why the process exits are not lost.
   */
  static void flush() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
      ctx.stop();
    }
  }
}
