package io.kiln.command;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One command or subcommand as data: name, arity (negative: at least -arity), flags, key
 * positions (first, last, step; last -1 means the last argument), its family (Redis's group),
 * and the handler. Built once at startup and immutable after; read from any event loop.
 */
public final class CommandSpec {
  // Flags, named as COMMAND INFO prints them.
  public static final int WRITE = 1;
  public static final int READONLY = 1 << 1;
  public static final int DENYOOM = 1 << 2;
  public static final int ADMIN = 1 << 3;
  public static final int PUBSUB = 1 << 4;
  public static final int NOSCRIPT = 1 << 5;
  public static final int BLOCKING = 1 << 6;
  public static final int LOADING = 1 << 7;
  public static final int STALE = 1 << 8;
  public static final int SKIP_MONITOR = 1 << 9;
  public static final int SKIP_SLOWLOG = 1 << 10;
  public static final int FAST = 1 << 11;
  public static final int NO_AUTH = 1 << 12;
  public static final int MAY_REPLICATE = 1 << 13;
  public static final int NO_MULTI = 1 << 14;
  public static final int ALLOW_BUSY = 1 << 15;
  public static final int NO_ASYNC_LOADING = 1 << 16;
  /** Takes keys but may be given none (EVAL, FCALL): COMMAND GETKEYS then answers empty. */
  public static final int NO_MANDATORY_KEYS = 1 << 17;

  static final String[] FLAG_NAMES = {
    "write", "readonly", "denyoom", "admin", "pubsub", "noscript", "blocking", "loading",
    "stale", "skip_monitor", "skip_slowlog", "fast", "no_auth", "may_replicate", "no_multi",
    "allow_busy", "no_async_loading", "no_mandatory_keys"
  };
  /** FLAG_NAMES indexes in the order Redis 7.0's COMMAND INFO prints flags (movablekeys apart). */
  private static final int[] PRINT_ORDER = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17, 16,
    14, 15};

  public final String name;
  public final CommandSpec parent;
  public final int arity;
  public final int flags;
  public final int firstKey;
  public final int lastKey;
  public final int step;
  public final String group;
  public final CommandHandler handler;
  /** Index into per-shard counters; unique across commands and subcommands. */
  public final int id;
  private final Map<String, CommandSpec> subcommands = new LinkedHashMap<>();
  /** Finds the keys where the key specs cannot (Redis's getkeys procedure); null otherwise. */
  private KeyFinder keyFinder;

  /**
   * Finds a command's keys in {@code argv} from index {@code base} (the command name), as pairs
   * {position relative to base, index of the key spec that describes it}.
   */
  @FunctionalInterface
  public interface KeyFinder {
    List<int[]> find(int argc, byte[][] argv, int base);
  }

  CommandSpec(int id, CommandSpec parent, String name, int arity, String flags, int firstKey,
      int lastKey, int step, String group, CommandHandler handler) {
    this.id = id;
    this.parent = parent;
    this.name = name.toLowerCase(Locale.ROOT);
    this.arity = arity;
    this.flags = parseFlags(flags);
    this.firstKey = firstKey;
    this.lastKey = lastKey;
    this.step = step;
    this.group = group;
    this.handler = handler;
  }

  /** Sets the procedure that finds this command's keys (SORT's STORE key, say). */
  public CommandSpec keys(KeyFinder finder) {
    this.keyFinder = finder;
    return this;
  }

  /** The key procedure, or null when the key specs say where the keys are. */
  public KeyFinder keyFinder() {
    return keyFinder;
  }

  /** "get" for a command, "config|get" for a subcommand, as errors and stats name them. */
  public String fullName() {
    return parent == null ? name : parent.name + "|" + name;
  }

  public boolean has(int flag) {
    return (flags & flag) != 0;
  }

  public boolean isContainer() {
    return !subcommands.isEmpty();
  }

  public CommandSpec subcommand(String lowerName) {
    return subcommands.get(lowerName);
  }

  public Map<String, CommandSpec> subcommands() {
    return Collections.unmodifiableMap(subcommands);
  }

  void addSubcommand(CommandSpec sub) {
    subcommands.put(sub.name, sub);
  }

  /** True when the argument count is acceptable. */
  public boolean arityOk(int argc) {
    return arity > 0 ? argc == arity : argc >= -arity;
  }

  /** Flag names for COMMAND INFO. */
  public List<String> flagNames() {
    List<String> out = new ArrayList<>();
    for (int i : PRINT_ORDER) {
      if ((flags & (1 << i)) != 0) {
        out.add(FLAG_NAMES[i]);
      }
    }
    return out;
  }

  /** Positions in argv of this command's keys (COMMAND GETKEYS, routing to shards). */
  public List<Integer> keyPositions(int argc) {
    List<Integer> out = new ArrayList<>();
    if (firstKey <= 0) {
      return out;
    }
    int last = lastKey < 0 ? argc + lastKey : lastKey;
    for (int i = firstKey; i <= last && i < argc; i += step) {
      out.add(i);
    }
    return out;
  }

  /**
   * Indexes in {@code argv} (the command name at 0) of the keys this call names, found as
   * COMMAND GETKEYS finds them: the key specs where documented (EVAL's numkeys, ZUNION's...),
   * else first/last/step (client-side caching remembers the keys a read names).
   */
  public int[] keyIndexes(byte[][] argv) {
    List<int[]> found = CommandCommands.keyPositions(this, argv.length, argv, 0);
    int[] out = new int[found.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = found.get(i)[0];
    }
    return out;
  }

  /** ACL categories, derived from family and flags as Redis assigns them. */
  public List<String> aclCategories() {
    List<String> out = new ArrayList<>();
    if (has(WRITE)) {
      out.add("@write");
    }
    if (has(READONLY)) {
      out.add("@read");
    }
    if (group != null) {
      switch (group) {
        case "string" -> out.add("@string");
        case "bitmap" -> out.add("@bitmap");
        case "generic" -> out.add("@keyspace");
        case "connection" -> out.add("@connection");
        case "transactions" -> out.add("@transaction");
        case "list" -> out.add("@list");
        case "hash" -> out.add("@hash");
        case "set" -> out.add("@set");
        case "sorted-set" -> out.add("@sortedset");
        case "geo" -> out.add("@geo");
        case "hyperloglog" -> out.add("@hyperloglog");
        case "pubsub" -> out.add("@pubsub");
        default -> { }
      }
    }
    if (has(ADMIN)) {
      out.add("@admin");
      out.add("@dangerous");
    }
    out.add(has(FAST) ? "@fast" : "@slow");
    if (has(BLOCKING)) {
      out.add("@blocking");
    }
    return out;
  }

  private static int parseFlags(String flags) {
    int f = 0;
    if (flags == null || flags.isBlank()) {
      return 0;
    }
    outer:
    for (String word : flags.trim().split("\\s+")) {
      for (int i = 0; i < FLAG_NAMES.length; i++) {
        if (FLAG_NAMES[i].equals(word)) {
          f |= 1 << i;
          continue outer;
        }
      }
      throw new IllegalArgumentException("unknown command flag " + word);
    }
    return f;
  }
}
