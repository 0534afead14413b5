package io.kiln;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback converter printing Redis's level marks: '.' debug, '*' notice (info), '#' warning and
 * error. Used by logback.xml; runs on logback's async appender thread.
 */
public final class LevelMark extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    int level = event.getLevel().toInt();
    if (level >= Level.WARN_INT) {
      return "#";
    }
    return level >= Level.INFO_INT ? "*" : ".";
  }
}
