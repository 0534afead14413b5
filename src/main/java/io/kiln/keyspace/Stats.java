package io.kiln.keyspace;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counters of one shard reported by INFO (stats, commandstats, errorstats) and reset by
 * CONFIG RESETSTAT. Owned by the shard's event loop; INFO on another shard reads them only
 * through that shard's event loop.
 */
public final class Stats {
  public long connectionsReceived;
  public long rejectedConnections;
  public long commandsProcessed;
  public long expiredKeys;
  public long expiredStalePercNumerator;
  public long keyspaceHits;
  public long keyspaceMisses;
  public long netInputBytes;
  public long netOutputBytes;
  public long totalErrorReplies;
  public long unexpectedErrorReplies;
  public long expireCycleCpuMillis;
  public long expiredTimeCapReachedCount;
  public long evictedKeys;
  /** Values and keys freed as Redis's lazy-free thread would have (INFO lazyfreed_objects). */
  public long lazyfreedObjects;
  /** Blobs of RESTORE payloads and loaded dump files validated in full (sanitize-dump-payload). */
  public long dumpPayloadSanitizations;

  /** Per command, indexed by the command table's id of each command and subcommand. */
  private CommandStat[] commands = new CommandStat[256];
  /**
   * The error count at the last command boundary (Redis's prev_err_count): a command failed when
   * errors were counted since, so an EXEC whose queued command failed is not failed itself (the
   * queued command's end moved the mark) and CONFIG RESETSTAT (the count drops) fails nothing.
   */
  private long errorMark;
  /** Per error prefix (e.g. "ERR", "WRONGTYPE"). */
  public final Map<String, long[]> errors = new LinkedHashMap<>();

  /** Calls, time and failures of one command. */
  public static final class CommandStat {
    public long calls;
    public long micros;
    public long rejectedCalls;
    public long failedCalls;
  }

  public CommandStat command(int id) {
    if (id >= commands.length) {
      commands = java.util.Arrays.copyOf(commands, Math.max(id + 1, commands.length * 2));
    }
    CommandStat s = commands[id];
    if (s == null) {
      s = new CommandStat();
      commands[id] = s;
    }
    return s;
  }

  /** The counters of a command that has been called or rejected, else null. */
  public CommandStat commandIfCounted(int id) {
    return id < commands.length ? commands[id] : null;
  }

  /** A command begins: errors counted from now are its own (or those of commands it nests). */
  public void markErrors() {
    errorMark = totalErrorReplies;
  }

  /** A command ends: whether errors were counted since the mark, which moves here. */
  public boolean errorsSinceMark() {
    boolean more = totalErrorReplies > errorMark;
    errorMark = totalErrorReplies;
    return more;
  }

  /** Counts an error reply by its first word, as INFO errorstats does. */
  public void error(String message) {
    totalErrorReplies++;
    int sp = message.indexOf(' ');
    String prefix = sp < 0 ? message : message.substring(0, sp);
    // Redis stops tracking new prefixes past 128 distinct ones.
    long[] count = errors.get(prefix);
    if (count == null) {
      if (errors.size() >= 128) {
        return;
      }
      count = new long[1];
      errors.put(prefix, count);
    }
    count[0]++;
  }

  public void reset() {
    connectionsReceived = 0;
    rejectedConnections = 0;
    commandsProcessed = 0;
    expiredKeys = 0;
    expiredStalePercNumerator = 0;
    keyspaceHits = 0;
    keyspaceMisses = 0;
    netInputBytes = 0;
    netOutputBytes = 0;
    totalErrorReplies = 0;
    unexpectedErrorReplies = 0;
    expireCycleCpuMillis = 0;
    expiredTimeCapReachedCount = 0;
    evictedKeys = 0;
    lazyfreedObjects = 0;
    dumpPayloadSanitizations = 0;
    java.util.Arrays.fill(commands, null);
    errors.clear();
  }
}
