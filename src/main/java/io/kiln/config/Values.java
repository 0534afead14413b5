package io.kiln.config;

import io.kiln.config.Directive.Kind;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validates directive arguments and turns them into the canonical text CONFIG GET prints. Error
 * reasons are Redis 7.0's wording (the part after "... - " in a CONFIG SET error).
 *
 * <p>Threads: stateless; called by whichever thread loads or sets the configuration.
 */
final class Values {
  private static final Pattern INTEGER = Pattern.compile("0|-?[1-9][0-9]*");
  private static final Pattern MEMORY = Pattern.compile("([0-9]*)([a-zA-Z]*)");
  private static final String KEYSPACE_TYPES = "g$lshzxetdn";
  private static final String KEYSPACE_ALL = "g$lshzxetd";
  private static final List<String> OBUF_CLASSES = List.of("normal", "slave", "pubsub");
  private static final int MAX_BIND_ADDRESSES = 16;
  private static final int MIN_HZ = 1;
  private static final int MAX_HZ = 500;

  /** A refused value; the message is the reason in Redis's words. */
  static final class BadValue extends Exception {
    private static final long serialVersionUID = 1L;

    BadValue(String reason) {
      super(reason);
    }
  }

  /** A stored value: the text CONFIG GET prints and, for numeric kinds, the number. */
  record Value(String text, long number) {}

  private Values() {}

  /**
   * Validates {@code args} for {@code d} and returns the new value. {@code current} is the value
   * in force, needed by directives that update part of their value (client-output-buffer-limit)
   * and by {@code dir}, which resolves relative paths against the current directory.
   */
  static Value parse(Directive d, List<String> args, String current) throws BadValue {
    if (d.kind().multiArg() && args.size() == 1 && !args.get(0).isEmpty()) {
      // As Redis 7.0: one argument of a multi-word directive is split at its spaces, so
      // `--save "3600 1"` (how service files and containers pass it) means `save 3600 1`.
      try {
        args = ConfigParser.splitArgs(args.get(0));
      } catch (ConfigParser.UnbalancedQuotes e) {
        throw new BadValue("Unbalanced quotes in configuration line");
      }
    }
    if (!d.kind().multiArg() && args.size() != 1) {
      throw new BadValue("wrong number of arguments");
    }
    String text = switch (d.kind()) {
      case BOOL -> bool(args.get(0));
      case INT -> Long.toString(bounded(d, integer(args.get(0))));
      case MEMORY -> Long.toString(bounded(d, memory(args.get(0), "argument must be a memory value")));
      case MEMORY_OR_PERCENT -> memoryOrPercent(d, args.get(0));
      case OCTAL -> octal(d, args.get(0));
      case STRING -> args.get(0);
      case ENUM -> enumeration(d, args.get(0));
      case FLAGS -> flags(d, args);
      case DIR -> dir(args.get(0), current);
      case SAVE -> save(args);
      case BIND -> bind(args);
      case CLIENT_OUTPUT_BUFFER_LIMIT -> outputBufferLimits(args, current);
      case NOTIFY_KEYSPACE_EVENTS -> keyspaceEvents(args.get(0));
      case OOM_SCORE_ADJ_VALUES -> oomScoreAdjValues(args);
      case REPLICAOF -> replicaOf(args);
      case LATENCY_PERCENTILES -> percentiles(args);
    };
    if (d.name().equals("hz")) {
      // Like Redis, hz is a hint: out-of-range values are accepted and capped.
      text = Long.toString(Math.max(MIN_HZ, Math.min(MAX_HZ, Long.parseLong(text))));
    }
    if (d.check() != null) {
      String problem = d.check().problem(text);
      if (problem != null) {
        throw new BadValue(problem);
      }
    }
    if (d.kind() == Kind.NOTIFY_KEYSPACE_EVENTS) {
      // The text drops 'n' next to 'A' (as Redis prints it) but the class stays selected:
      // the number keeps the explicit 'n' (1) for the shard's flags.
      return new Value(text, args.get(0).indexOf('n') >= 0 ? 1 : 0);
    }
    return new Value(text, number(d.kind(), text));
  }

  /** The stored form of a default (or any already canonical) text. */
  static Value canonical(Directive d, String text) {
    return new Value(text, number(d.kind(), text));
  }

  private static long number(Kind kind, String text) {
    return switch (kind) {
      case BOOL -> text.equals("yes") ? 1 : 0;
      case INT, MEMORY -> Long.parseLong(text);
      case OCTAL -> Long.parseLong(text, 8);
      case MEMORY_OR_PERCENT -> text.endsWith("%")
          ? -Long.parseLong(text.substring(0, text.length() - 1)) : Long.parseLong(text);
      default -> 0;
    };
  }

  private static String bool(String arg) throws BadValue {
    if (arg.equalsIgnoreCase("yes")) {
      return "yes";
    }
    if (arg.equalsIgnoreCase("no")) {
      return "no";
    }
    throw new BadValue("argument must be 'yes' or 'no'");
  }

  private static long integer(String arg) throws BadValue {
    if (INTEGER.matcher(arg).matches()) {
      try {
        return Long.parseLong(arg);
      } catch (NumberFormatException e) {
        // too large: same error as Redis
      }
    }
    throw new BadValue("argument couldn't be parsed into an integer");
  }

  /** A memory amount as {@link #memory} reads it (Redis's memtoull), or -1 when it is not one. */
  static long memoryAmount(String arg) {
    try {
      return memory(arg, "");
    } catch (BadValue e) {
      return -1;
    }
  }

  /** Parses a memory amount: digits and an optional unit b, k, kb, m, mb, g, gb (any case). */
  static long memory(String arg, String error) throws BadValue {
    var m = MEMORY.matcher(arg);
    if (!m.matches()) {
      throw new BadValue(error);
    }
    long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "", "b" -> 1;
      case "k" -> 1000;
      case "kb" -> 1024;
      case "m" -> 1000L * 1000;
      case "mb" -> 1024L * 1024;
      case "g" -> 1000L * 1000 * 1000;
      case "gb" -> 1024L * 1024 * 1024;
      default -> throw new BadValue(error);
    };
    try {
      long digits = m.group(1).isEmpty() ? 0 : Long.parseLong(m.group(1));
      return Math.multiplyExact(digits, unit);
    } catch (ArithmeticException | NumberFormatException e) {
      throw new BadValue(error);
    }
  }

  private static long bounded(Directive d, long value) throws BadValue {
    if (value < d.min() || value > d.max()) {
      throw new BadValue("argument must be between " + d.min() + " and " + d.max() + " inclusive");
    }
    return value;
  }

  private static String memoryOrPercent(Directive d, String arg) throws BadValue {
    String error = "argument must be a memory or percent value";
    if (arg.length() > 1 && arg.endsWith("%")) {
      String digits = arg.substring(0, arg.length() - 1);
      if (!INTEGER.matcher(digits).matches() || digits.startsWith("-")) {
        throw new BadValue(error);
      }
      long percent = integer(digits);
      if (-percent < d.min()) {
        throw new BadValue("percentage argument must be less or equal to " + -d.min());
      }
      return percent + "%";
    }
    return Long.toString(bounded(d, memory(arg, error)));
  }

  private static String octal(Directive d, String arg) throws BadValue {
    long value;
    try {
      value = Long.parseLong(arg, 8);
    } catch (NumberFormatException e) {
      throw new BadValue("argument couldn't be parsed as an octal number");
    }
    if (value < d.min() || value > d.max()) {
      throw new BadValue("argument must be between " + Long.toOctalString(d.min()) + " and "
          + Long.toOctalString(d.max()) + " inclusive");
    }
    return Long.toOctalString(value);
  }

  private static String enumeration(Directive d, String arg) throws BadValue {
    String printed = d.choices().get(arg.toLowerCase(Locale.ROOT));
    if (printed == null) {
      throw choicesError(d);
    }
    return printed;
  }

  private static BadValue choicesError(Directive d) {
    return new BadValue("argument(s) must be one of the following: "
        + String.join(", ", d.choices().keySet()));
  }

  /** Several words of a flag set, printed in table order; the first choice means "none". */
  private static String flags(Directive d, List<String> args) throws BadValue {
    Set<String> given = new LinkedHashSet<>();
    for (String arg : args) {
      String word = d.choices().get(arg.toLowerCase(Locale.ROOT));
      if (word == null) {
        throw choicesError(d);
      }
      given.add(word);
    }
    List<String> words = new ArrayList<>();
    String none = d.choices().keySet().iterator().next();
    for (String word : d.choices().values()) {
      if (given.contains(word) && !word.equals(none)) {
        words.add(word);
      }
    }
    return words.isEmpty() ? none : String.join(" ", words);
  }

  private static String dir(String arg, String current) throws BadValue {
    Path path;
    try {
      path = Path.of(current).resolve(arg).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      throw new BadValue("No such file or directory");
    }
    if (!Files.exists(path)) {
      throw new BadValue("No such file or directory");
    }
    if (!Files.isDirectory(path)) {
      throw new BadValue("Not a directory");
    }
    return path.toString();
  }

  private static String save(List<String> args) throws BadValue {
    if (args.size() == 1 && args.get(0).isEmpty()) {
      return "";
    }
    if (args.size() % 2 != 0) {
      throw new BadValue("Invalid save parameters");
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      long value;
      try {
        value = Long.parseLong(args.get(i));
      } catch (NumberFormatException e) {
        throw new BadValue("Invalid save parameters");
      }
      if (value < (i % 2 == 0 ? 1 : 0)) {
        throw new BadValue("Invalid save parameters");
      }
      out.add(Long.toString(value));
    }
    return String.join(" ", out);
  }

  private static String bind(List<String> args) throws BadValue {
    if (args.size() > MAX_BIND_ADDRESSES) {
      throw new BadValue("Too many bind addresses specified.");
    }
    if (args.size() == 1 && args.get(0).isEmpty()) {
      return "";
    }
    return String.join(" ", args);
  }

  private static String outputBufferLimits(List<String> args, String current) throws BadValue {
    if (args.size() % 4 != 0) {
      throw new BadValue("Wrong number of arguments in buffer limit configuration.");
    }
    Map<String, String> limits = new LinkedHashMap<>();
    String[] words = current.split(" ");
    for (int i = 0; i + 3 < words.length; i += 4) {
      limits.put(words[i], words[i + 1] + " " + words[i + 2] + " " + words[i + 3]);
    }
    Map<String, String> updates = new LinkedHashMap<>();
    for (int i = 0; i < args.size(); i += 4) {
      String cls = args.get(i).toLowerCase(Locale.ROOT);
      if (cls.equals("replica")) {
        cls = "slave";
      }
      if (!OBUF_CLASSES.contains(cls)) {
        throw new BadValue("Invalid client class specified in buffer limit configuration.");
      }
      String error = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
      long hard = memory(args.get(i + 1), error);
      long soft = memory(args.get(i + 2), error);
      long seconds;
      try {
        seconds = Long.parseLong(args.get(i + 3));
      } catch (NumberFormatException e) {
        throw new BadValue(error);
      }
      if (seconds < 0) {
        throw new BadValue(error);
      }
      updates.put(cls, hard + " " + soft + " " + seconds);
    }
    limits.putAll(updates);
    List<String> out = new ArrayList<>();
    for (String cls : OBUF_CLASSES) {
      out.add(cls + " " + limits.get(cls));
    }
    return String.join(" ", out);
  }

  /** Canonical keyspace-event flags, in the order Redis prints them. */
  private static String keyspaceEvents(String arg) throws BadValue {
    Set<Character> flags = new LinkedHashSet<>();
    for (char c : arg.toCharArray()) {
      if (c == 'A') {
        KEYSPACE_ALL.chars().forEach(f -> flags.add((char) f));
      } else if ((KEYSPACE_TYPES + "KEm").indexOf(c) >= 0) {
        flags.add(c);
      } else {
        throw new BadValue("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
      }
    }
    StringBuilder out = new StringBuilder();
    if (KEYSPACE_ALL.chars().allMatch(f -> flags.contains((char) f))) {
      out.append('A');
    } else {
      KEYSPACE_TYPES.chars().filter(f -> flags.contains((char) f)).forEach(f -> out.append((char) f));
    }
    "KEm".chars().filter(f -> flags.contains((char) f)).forEach(f -> out.append((char) f));
    return out.toString();
  }

  private static String oomScoreAdjValues(List<String> args) throws BadValue {
    if (args.size() != 3) {
      throw new BadValue("wrong number of arguments");
    }
    List<String> out = new ArrayList<>();
    for (String arg : args) {
      long value;
      try {
        value = Long.parseLong(arg);
      } catch (NumberFormatException e) {
        value = Long.MAX_VALUE;
      }
      if (value < -2000 || value > 2000) {
        throw new BadValue("Invalid oom-score-adj-values, elements must be between -2000 and 2000.");
      }
      out.add(Long.toString(value));
    }
    return String.join(" ", out);
  }

  private static String replicaOf(List<String> args) throws BadValue {
    if (args.size() != 2) {
      throw new BadValue("wrong number of arguments");
    }
    if (args.get(0).equalsIgnoreCase("no") && args.get(1).equalsIgnoreCase("one")) {
      return "";
    }
    long port;
    try {
      port = Long.parseLong(args.get(1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65535) {
      throw new BadValue("Invalid master port");
    }
    return args.get(0) + " " + port;
  }

  private static String percentiles(List<String> args) throws BadValue {
    if (args.size() == 1 && args.get(0).isEmpty()) {
      return "";
    }
    List<String> out = new ArrayList<>();
    for (String arg : args) {
      double p;
      try {
        p = Double.parseDouble(arg);
      } catch (NumberFormatException e) {
        throw new BadValue("Invalid latency-tracking-info-percentiles parameters");
      }
      if (Double.isNaN(p) || p < 0.0 || p > 100.0) {
        throw new BadValue(
            "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
      }
      out.add(trimDouble(p));
    }
    return String.join(" ", out);
  }

  /** Like C's "%f" with trailing zeros (and a trailing dot) removed. */
  static String trimDouble(double value) {
    String s = String.format(Locale.ROOT, "%f", value);
    if (s.contains(".")) {
      s = s.replaceAll("0+$", "");
      if (s.endsWith(".")) {
        s = s.substring(0, s.length() - 1);
      }
    }
    return s;
  }
}
