package io.kiln.config;

import java.util.List;
import java.util.Map;

/**
 * One row of the directive table: everything Kiln knows about a configuration directive.
 *
 * <p>Threads: immutable, shared by every thread.
 *
 * @param name canonical (lower-case) name, the one CONFIG REWRITE writes
 * @param aliases older names accepted everywhere and listed by CONFIG GET
 * @param kind how values are parsed, printed and rewritten
 * @param defaultValue the default, as CONFIG GET prints it
 * @param min lowest accepted number (numeric kinds)
 * @param max highest accepted number (numeric kinds)
 * @param choices accepted words (ENUM and FLAGS kinds) mapped to the word CONFIG GET prints
 * @param mutable whether CONFIG SET may change it
 * @param isProtected whether CONFIG SET needs {@code enable-protected-configs yes}
 * @param emptyIsNull for strings: an empty value means "unset", and CONFIG REWRITE drops the line
 * @param honoured whether Kiln acts on the value today (others are parsed and stored only)
 * @param check extra validation, or null
 */
public record Directive(
    String name,
    List<String> aliases,
    Kind kind,
    String defaultValue,
    long min,
    long max,
    Map<String, String> choices,
    boolean mutable,
    boolean isProtected,
    boolean emptyIsNull,
    boolean honoured,
    Check check) {

  /** How a directive's value is parsed and printed. */
  public enum Kind {
    BOOL, INT, MEMORY, MEMORY_OR_PERCENT, OCTAL, STRING, ENUM, FLAGS,
    DIR, SAVE, BIND, CLIENT_OUTPUT_BUFFER_LIMIT, NOTIFY_KEYSPACE_EVENTS, OOM_SCORE_ADJ_VALUES,
    REPLICAOF, LATENCY_PERCENTILES;

    /** Kinds whose value is several words (on one config line, or space-separated in CONFIG SET). */
    public boolean multiArg() {
      return switch (this) {
        case FLAGS, SAVE, BIND, CLIENT_OUTPUT_BUFFER_LIMIT, OOM_SCORE_ADJ_VALUES, REPLICAOF,
            LATENCY_PERCENTILES -> true;
        default -> false;
      };
    }
  }

  /** Extra validation of an already well-formed value. */
  @FunctionalInterface
  public interface Check {
    /** Returns the reason the value is refused, or null when it is fine. */
    String problem(String value);
  }
}
