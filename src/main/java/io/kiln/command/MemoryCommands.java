package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Footprint;
import io.kiln.resp.Errors;
import io.kiln.server.Client;
import io.kiln.server.UsedMemory;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;

/**
 * MEMORY USAGE, STATS, DOCTOR, PURGE, MALLOC-STATS and HELP. Sizes are Redis's own arithmetic
 * ({@link Footprint}): what a key costs in Redis, which is what maxmemory and INFO count; the
 * JVM's own figures (heap pools, collections) are what MALLOC-STATS reports in place of
 * jemalloc's. Handlers run on the client's event loop.
 */
final class MemoryCommands {
  private MemoryCommands() {}

  static void register(CommandTable t) {
    CommandSpec memory = t.container("memory", -2, "");
    t.sub(memory, "usage", -3, "readonly", 2, 2, 1, MemoryCommands::usage);
    t.sub(memory, "stats", 2, "", 0, 0, 0, MemoryCommands::stats);
    t.sub(memory, "doctor", 2, "", 0, 0, 0, MemoryCommands::doctor);
    t.sub(memory, "purge", 2, "", 0, 0, 0, MemoryCommands::purge);
    t.sub(memory, "malloc-stats", 2, "", 0, 0, 0, MemoryCommands::mallocStats);
    t.sub(memory, "help", 2, "loading stale", 0, 0, 0,
        (c, a) -> ServerCommands.help(c, HELP));
  }

  private static final String[] HELP = {
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
  };

  /** MEMORY USAGE key [SAMPLES n]: the key's cost, nested values sampled (0: all). */
  static void usage(Client c, byte[][] argv) {
    long samples = 5;
    for (int j = 3; j < argv.length; j++) {
      if (Args.is(argv[j], "samples") && j + 1 < argv.length) {
        samples = Args.longArg(c, argv[++j]);
        if (samples == Args.INVALID) {
          return;
        }
        if (samples < 0) {
          c.error(Errors.SYNTAX);
          return;
        }
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    Dict.Node<Object> n = c.db().peek(argv[2]); // as Redis: the table as it is, expired or not
    if (n == null) {
      c.out.nullBulk();
      return;
    }
    c.out.integer(Footprint.entry(n.key, n.value, (int) Math.min(samples, Integer.MAX_VALUE)));
  }

  /** MEMORY STATS: Redis's map of the parts of used_memory. */
  static void stats(Client c, byte[][] argv) {
    c.shard.settleMemory();
    UsedMemory m = UsedMemory.of(c.kiln);
    long used = m.total();
    long peak = Info.peak(used);
    int dbsWithKeys = 0;
    long keys = 0;
    for (int i = 0; i < c.shard.databases(); i++) {
      int size = c.shard.db(i).size();
      keys += size;
      dbsWithKeys += size > 0 ? 1 : 0;
    }
    Runtime rt = Runtime.getRuntime();
    long heapUsed = rt.totalMemory() - rt.freeMemory();
    long rss = Info.rss();
    c.out.map(27 + dbsWithKeys);
    entry(c, "peak.allocated", peak);
    entry(c, "total.allocated", used);
    entry(c, "startup.allocated", m.startup());
    entry(c, "replication.backlog", 0);
    entry(c, "clients.slaves", 0);
    entry(c, "clients.normal", m.clients());
    entry(c, "cluster.links", 0);
    entry(c, "aof.buffer", m.aofBuffer());
    entry(c, "lua.caches", m.scripts());
    entry(c, "functions.caches", 0);
    for (int i = 0; i < c.shard.databases(); i++) {
      Db db = c.shard.db(i);
      if (db.size() > 0) {
        c.out.bulk("db." + i);
        c.out.map(3);
        entry(c, "overhead.hashtable.main", db.mainTableOverhead());
        entry(c, "overhead.hashtable.expires", db.expiresTableOverhead());
        entry(c, "overhead.hashtable.slot-to-keys", 0);
      }
    }
    long overhead = m.overhead();
    long dataset = m.dataset();
    entry(c, "overhead.total", overhead);
    entry(c, "keys.count", keys);
    entry(c, "keys.bytes-per-key", keys == 0 ? 0 : (used - m.startup()) / keys);
    entry(c, "dataset.bytes", dataset);
    c.out.bulk("dataset.percentage");
    c.out.dbl(used - m.startup() <= 0 ? 0 : dataset * 100.0 / (used - m.startup()));
    c.out.bulk("peak.percentage");
    c.out.dbl(peak == 0 ? 0 : used * 100.0 / peak);
    entry(c, "allocator.allocated", heapUsed);
    entry(c, "allocator.active", rt.totalMemory());
    entry(c, "allocator.resident", rss);
    c.out.bulk("allocator-fragmentation.ratio");
    c.out.dbl(heapUsed == 0 ? 0 : (double) rt.totalMemory() / heapUsed);
    entry(c, "allocator-fragmentation.bytes", rt.totalMemory() - heapUsed);
    c.out.bulk("allocator-rss.ratio");
    c.out.dbl((double) rss / rt.totalMemory());
    entry(c, "allocator-rss.bytes", rss - rt.totalMemory());
    c.out.bulk("rss-overhead.ratio");
    c.out.dbl(1.0);
    entry(c, "rss-overhead.bytes", 0);
    c.out.bulk("fragmentation");
    c.out.dbl(used == 0 ? 0 : (double) rss / used);
    entry(c, "fragmentation.bytes", rss - used);
  }

  private static void entry(Client c, String name, long value) {
    c.out.bulk(name);
    c.out.integer(value);
  }

  /** MEMORY DOCTOR: a short report on what stands out. */
  static void doctor(Client c, byte[][] argv) {
    c.shard.settleMemory();
    long used = UsedMemory.of(c.kiln).total();
    long peak = Info.peak(used);
    long rss = Info.rss();
    StringBuilder sb = new StringBuilder();
    if (used < 5L << 20) {
      sb.append("Kiln memory doctor: this instance holds very little data (used_memory ")
          .append(Info.human(used)).append("), too little to diagnose anything. ")
          .append("Ask again once it holds a dataset.\n");
    } else {
      if (peak > used * 3 / 2) {
        sb.append("* Peak memory: used_memory reached ").append(Info.human(peak))
            .append(", more than 150% of today's ").append(Info.human(used))
            .append(". The JVM may keep heap pages from that peak until its collector returns ")
            .append("them; MEMORY PURGE asks for that now.\n\n");
      }
      if (rss > used * 2) {
        sb.append("* RSS is ").append(Info.fixed((double) rss / used, 2))
            .append(" times used_memory. used_memory counts the data as Redis would store it; ")
            .append("the rest is the JVM: its heap layout, garbage not yet collected and the ")
            .append("heap it keeps free (INFO memory's allocator_* fields show the heap).\n\n");
      }
      if (sb.length() == 0) {
        sb.append("Kiln memory doctor: no memory problem found.\n");
      } else {
        sb.insert(0, "Kiln memory doctor found:\n\n");
      }
    }
    c.out.verbatim(sb.toString());
  }

  /**
   * MEMORY PURGE: asks the JVM, from a worker thread, to collect and hand free heap back to the
   * OS; like jemalloc's purge it is a request, answered at once.
   */
  static void purge(Client c, byte[][] argv) {
    c.kiln.vertx().executeBlocking(() -> {
      System.gc();
      return null;
    }, false);
    c.ok();
  }

  /**
   * The JVM's pools and collectors, looked up when the command table is built at startup: the
   * first lookup loads the management classes (200+ ms on a busy machine), never on an event loop.
   */
  private static final java.util.List<MemoryPoolMXBean> POOLS =
      ManagementFactory.getMemoryPoolMXBeans();
  private static final java.util.List<GarbageCollectorMXBean> COLLECTORS =
      ManagementFactory.getGarbageCollectorMXBeans();

  /** MEMORY MALLOC-STATS: the JVM's heap pools and collectors, in place of jemalloc's report. */
  static void mallocStats(Client c, byte[][] argv) {
    StringBuilder sb = new StringBuilder("___ Begin JVM memory statistics ___\n");
    sb.append("Runtime: ").append(System.getProperty("java.vm.name")).append(' ')
        .append(System.getProperty("java.version")).append('\n');
    for (MemoryPoolMXBean p : POOLS) {
      var u = p.getUsage();
      sb.append(String.format("pool %-32s %-8s used %12d committed %12d max %12d%n",
          p.getName(), p.getType() == java.lang.management.MemoryType.HEAP ? "heap" : "non-heap",
          u.getUsed(), u.getCommitted(), u.getMax()));
    }
    for (GarbageCollectorMXBean g : COLLECTORS) {
      sb.append(String.format("collector %-27s collections %10d time_ms %10d%n", g.getName(),
          g.getCollectionCount(), g.getCollectionTime()));
    }
    sb.append("___ End JVM memory statistics ___\n");
    c.out.verbatim(sb.toString());
  }
}
