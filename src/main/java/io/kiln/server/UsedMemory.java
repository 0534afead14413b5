package io.kiln.server;


/**
 * Redis's used_memory and its parts as Kiln counts them (INFO memory, MEMORY STATS): the data in
 * Redis's own arithmetic ({@link io.kiln.keyspace.Footprint}), kept by each shard as keys are
 * written, plus the startup base, connections, the AOF buffer and the script caches. Taken from
 * the figures the shards publish, so any event loop may take one. Immutable.
 *
 * @param total used_memory
 * @param startup used_memory_startup
 * @param clients mem_clients_normal: connections and their buffers (recounted after each read
 *     and write, summed again at each shard's cron)
 * @param aofBuffer mem_aof_buffer
 * @param scripts the EVAL scripts' cache (lua.caches)
 * @param tables the databases' key and TTL tables (overhead.hashtable.*)
 */
public record UsedMemory(long total, long startup, long clients, long aofBuffer, long scripts,
    long tables) {

  /** What Redis calls overhead: everything but the keys' values and names. */
  public long overhead() {
    return startup + clients + aofBuffer + scripts + tables;
  }

  public long dataset() {
    return total - overhead();
  }

  /** The figures now. */
  public static UsedMemory of(Server kiln) {
    long clients = 0;
    long aof = kiln.aofStatus().bufferLength;
    long keys = 0;
    long tables = 0;
    long scripts = 0;
    for (ShardVerticle s : kiln.shards()) {
      keys += s.shard().memoryPublished();
      clients += s.clientsMemory();
      tables += s.shard().overheadPublished();
      scripts += s.scripting().cachedBytes();
    }
    long startup = MaxMemory.STARTUP;
    return new UsedMemory(startup + clients + aof + scripts + keys, startup, clients, aof,
        scripts, tables);
  }
}
