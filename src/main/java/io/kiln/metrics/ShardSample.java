package io.kiln.metrics;

import io.kiln.server.Server;
import io.kiln.command.CommandSpec;
import io.kiln.command.LatencyCommands;
import io.kiln.keyspace.Shard;
import io.kiln.keyspace.Stats;
import io.kiln.persist.PersistenceInfo;
import io.kiln.server.ShardVerticle;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A copy of one shard's numbers, taken on the shard's own event loop when /metrics is scraped
 * (the scrape hops there and back), so the hot path records nothing extra and the scrape never
 * reads state another thread is changing. Immutable once taken; read on the metrics server's
 * event loop.
 */
public final class ShardSample {
  /** Exponents of the histogram bounds: 2^MIN_EXP .. 2^MAX_EXP microseconds. */
  public static final int MIN_EXP = 2;
  public static final int MAX_EXP = 23;

  /** Indexed by command id: calls, total microseconds, failed and rejected calls. */
  public final long[] calls;
  public final long[] micros;
  public final long[] failed;
  public final long[] rejected;
  /**
   * Indexed by command id: per bucket counts (not cumulative) of the latency histogram for
   * bounds 2^MIN_EXP..2^MAX_EXP microseconds then +Inf, or null when it has none.
   */
  public final long[][] buckets;
  public final long[] keys;
  public final long[] expires;
  public final long expiredKeys;
  public final long keyspaceHits;
  public final long keyspaceMisses;
  public final long commandsProcessed;
  public final long connectionsReceived;
  public final long rejectedConnections;
  public final long netInputBytes;
  public final long netOutputBytes;
  public final long dirty;
  public final Map<String, Long> errors = new LinkedHashMap<>();
  /** Persistence facts; null for a shard that does not run persistence. */
  public final Persistence persistence;

  /** The persistence shard's snapshot facts. */
  public record Persistence(long saves, boolean lastSaveOk, long lastSaveSec, boolean inProgress,
      long latestForkUsec, long forks, long lastDurationMs, long lastBytes, long lastKeys,
      long failures) {}

  private ShardSample(Server kiln, ShardVerticle verticle) {
    Shard s = verticle.shard();
    Stats st = s.stats;
    List<CommandSpec> all = kiln.commands().allWithSubcommands();
    int n = all.size();
    calls = new long[n];
    micros = new long[n];
    failed = new long[n];
    rejected = new long[n];
    buckets = new long[n][];
    for (CommandSpec spec : all) {
      Stats.CommandStat cs = st.commandIfCounted(spec.id);
      if (cs == null) {
        continue;
      }
      calls[spec.id] = cs.calls;
      micros[spec.id] = cs.micros;
      failed[spec.id] = cs.failedCalls;
      rejected[spec.id] = cs.rejectedCalls;
      if (cs.calls > 0) {
        buckets[spec.id] = LatencyCommands.powerOfTwoCounts(verticle, spec.id, MIN_EXP, MAX_EXP);
      }
    }
    keys = new long[s.databases()];
    expires = new long[s.databases()];
    for (int i = 0; i < s.databases(); i++) {
      keys[i] = s.db(i).size();
      expires[i] = s.db(i).expiresSize();
    }
    expiredKeys = st.expiredKeys;
    keyspaceHits = st.keyspaceHits;
    keyspaceMisses = st.keyspaceMisses;
    commandsProcessed = st.commandsProcessed;
    connectionsReceived = st.connectionsReceived;
    rejectedConnections = st.rejectedConnections;
    netInputBytes = st.netInputBytes;
    netOutputBytes = st.netOutputBytes;
    dirty = s.dirty;
    st.errors.forEach((prefix, count) -> errors.put(prefix, count[0]));
    if (s.index == 0) {
      PersistenceInfo p = kiln.persistence();
      SnapshotMeters m = kiln.snapshotMeters();
      persistence = new Persistence(p.saves, p.lastBgsaveOk, p.lastSaveSec, p.bgsaveInProgress(),
          p.latestForkUsec, p.totalForks, m.lastDurationMs, m.lastBytes, m.lastKeys, m.failures);
    } else {
      persistence = null;
    }
  }

  /** Takes the sample; call only on {@code verticle}'s event loop. */
  public static ShardSample take(Server kiln, ShardVerticle verticle) {
    return new ShardSample(kiln, verticle);
  }
}
