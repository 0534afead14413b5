package io.kiln.server;

import io.kiln.persist.PersistenceInfo;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BGREWRITEAOF while appendonly is off: Redis 7.0 still writes an AOF base from the dataset
 * (DEBUG LOADAOF can then load it back); Kiln writes its single-file AOF, `dir`/appendfilename,
 * from a capture ({@link io.kiln.persist.AofBase}, RDB preamble or commands as
 * aof-use-rdb-preamble says). No writes follow it into the file: nothing is appended while the
 * AOF is off. One asked for while another capture runs (a BGSAVE) is scheduled and starts once
 * that one ends, as Redis's rewrite waits for its child; INFO shows it as aof_rewrite_scheduled,
 * then aof_rewrite_in_progress.
 *
 * <p>Owned by the shard's event loop.
 */
public final class OfflineAofRewrite {
  private static final Logger log = LoggerFactory.getLogger(OfflineAofRewrite.class);
  /** How often a scheduled rewrite looks whether the running capture ended. */
  private static final long RECHECK_MS = 100;

  private OfflineAofRewrite() {}

  /** Whether this rewrite runs now (BGREWRITEAOF's "already in progress"). */
  public static boolean running(Server kiln) {
    return kiln.persistence().aofRewriteStartMs >= 0;
  }

  /**
   * Starts now, or once the running capture ends ({@code false}: it was scheduled); inside EXEC
   * ({@code inExec}) it is always scheduled: a capture is one instant, never half a transaction.
   */
  public static boolean startOrSchedule(Server kiln, ShardVerticle home, boolean inExec) {
    if (!inExec && !home.snapshotter().running()) {
      start(kiln, home);
      return true;
    }
    PersistenceInfo info = kiln.persistence();
    if (!info.aofRewriteScheduled) {
      info.aofRewriteScheduled = true;
      waitForCapture(kiln, home);
    }
    return false;
  }

  private static void waitForCapture(Server kiln, ShardVerticle home) {
    kiln.vertx().setTimer(RECHECK_MS, id -> {
      if (!kiln.persistence().aofRewriteScheduled || kiln.aofStatus().enabled) {
        return; // the AOF went on meanwhile: its own rewrite job took over
      }
      if (home.snapshotter().running()) {
        waitForCapture(kiln, home);
      } else {
        start(kiln, home);
      }
    });
  }

  private static void start(Server kiln, ShardVerticle home) {
    PersistenceInfo info = kiln.persistence();
    info.aofRewriteScheduled = false;
    long startMs = System.currentTimeMillis();
    info.aofRewriteStartMs = startMs;
    Path file = Path.of(kiln.config().getString("dir"))
        .resolve(kiln.config().getString("appendfilename"));
    log.info("Background append only file rewriting started");
    home.aofBase().write(file).onComplete(ar -> {
      info.aofRewriteEnded(startMs, ar.succeeded());
      if (ar.succeeded()) {
        log.info("Background AOF rewrite terminated with success");
        log.info("Background AOF rewrite finished successfully");
      } else {
        log.warn("Background AOF rewrite failed: {}", ar.cause().getMessage());
      }
    });
  }
}
