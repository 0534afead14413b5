package io.kiln.persist;

import io.kiln.server.Server;
import io.kiln.config.Config;
import io.vertx.core.Future;
import java.nio.file.Path;

/**
 * The AOF base job: writes the dataset, captured by the shard's {@link CaptureEngine}, as the
 * base of an append-only file into a temp file beside its target, renamed over it at the end:
 * RDB bytes, which load as the AOF's preamble, under {@code aof-use-rdb-preamble yes}
 * ({@link Snapshot.RdbFile}); the commands that rebuild the dataset under {@code no}
 * ({@link Snapshot.AofCommands}, {@link CommandSink}). The directive is read at each start, so
 * CONFIG SET takes effect at the next rewrite. Used by BGREWRITEAOF, the automatic rewrite and
 * CONFIG SET appendonly yes ({@code AofRewrite}), and by a start that writes the AOF from
 * dump.rdb or a Redis 7 directory ({@link AofStartup}).
 *
 * <p>Never touches INFO's RDB fields, the save rules or the snapshot meters; its start pause counts
 * as a fork (latest_fork_usec, total_forks, the fork latency event), as Redis's rewrite child
 * does, and its progress shows in current_save_keys_*.
 *
 * <p>Owned by the shard's event loop.
 */
public final class AofBase {
  private final Server kiln;
  private final CaptureEngine engine;
  /** The temp file's name, made once (see {@link Snapshotter}'s callbacks). */
  private final String tempName = "temp-rewriteaof-" + ProcessHandle.current().pid() + ".aof";

  public AofBase(Server kiln, CaptureEngine engine) {
    this.kiln = kiln;
    this.engine = engine;
  }

  /**
   * Writes the dataset as an AOF base over {@code target} (through a temp file beside it). Fails
   * at once when a capture runs.
   */
  public Future<Snapshot.Done> write(Path target) {
    if (engine.running()) {
      return Future.failedFuture(CaptureEngine.IN_PROGRESS);
    }
    String temp = target.resolveSibling(tempName).toString();
    long t0 = System.nanoTime();
    Config config = kiln.config();
    // a base is synced as it grows by the AOF's own directive
    boolean incrementalFsync = config.getBool("aof-rewrite-incremental-fsync");
    long keySaveDelay = config.getLong("rdb-key-save-delay");
    Snapshot.Target base = config.getBool("aof-use-rdb-preamble")
        ? new Snapshot.RdbFile(temp, target.toString(), config.getBool("rdbcompression"),
            config.getBool("rdbchecksum"), incrementalFsync, keySaveDelay)
        : new Snapshot.AofCommands(temp, target.toString(),
            config.getBool("aof-timestamp-enabled"), incrementalFsync, keySaveDelay);
    Future<Snapshot.Done> result = engine.start(base);
    Snapshotter.startPause(kiln, t0);
    return result;
  }
}
