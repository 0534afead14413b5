package io.kiln.server;

import io.kiln.persist.Aof;
import io.kiln.persist.AofBase;
import io.kiln.persist.PersistenceInfo;
import io.vertx.core.Future;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BGREWRITEAOF: a new AOF from a point-in-time capture of the dataset, with the writes that
 * come meanwhile kept in the writer's rewrite buffer and replayed after it. At the capture point
 * the shard's feed cuts its stream ({@link AofFeed#cut}) in the same event-loop task as the
 * capture starts, so every effect is either in the base or in the buffer, never both; the
 * snapshot writer writes the base ({@link AofBase}: RDB bytes, which load as the AOF's preamble,
 * or commands under aof-use-rdb-preamble no) into a temp file and the AOF writer appends the
 * buffer, fsyncs and renames it over the live file. Until then
 * the live file receives every write. A rewrite asked for while a snapshot runs is scheduled and
 * starts when it ends, as in Redis.
 *
 * <p>Owned by the shard's event loop; not thread-safe.
 */
public final class AofRewrite {
  private static final Logger log = LoggerFactory.getLogger(AofRewrite.class);

  private final Server kiln;
  private final ShardVerticle home;
  private final AofFeed feed;
  private boolean running;
  /** After a failed rewrite the automatic ones wait this long. */
  static final long RETRY_AFTER_FAILURE_MS = 60_000;
  private long lastFailureMs;
  static final long RETRY_FIRST_MS = 5_000;
  private boolean firstFile;

  AofRewrite(Server kiln, ShardVerticle home, AofFeed feed) {
    this.kiln = kiln;
    this.home = home;
    this.feed = feed;
  }

  public boolean running() {
    return running;
  }

  /**
   * The AOF was switched on at runtime: its file is this rewrite's, and a failed one is tried
   * again (after {@link #RETRY_FIRST_MS}) until the file exists.
   */
  public void firstFile() {
    firstFile = true;
  }

  /** Starts later, once the running snapshot ended (BGREWRITEAOF during a BGSAVE). */
  public void schedule() {
    kiln.persistence().aofRewriteScheduled = true;
  }

  /**
   * The periodic job: a scheduled rewrite starts once no snapshot runs; so does an automatic
   * one, when the file grew by auto-aof-rewrite-percentage over its base (the size after the
   * last rewrite, or at startup) and is at least auto-aof-rewrite-min-size, as Redis decides.
   */
  void cron() {
    if (running || home.snapshotter().running()) {
      return;
    }
    if (kiln.persistence().aofRewriteScheduled) {
      if (!firstFile || kiln.persistence().aofRewritesConsecutiveFailures == 0
          || System.currentTimeMillis() - lastFailureMs >= RETRY_FIRST_MS) {
        start();
      }
      return;
    }
    if (firstFile) {
      return; // no automatic rewrite before the first file exists
    }
    if (kiln.persistence().aofRewritesConsecutiveFailures > 0
        && System.currentTimeMillis() - lastFailureMs < RETRY_AFTER_FAILURE_MS) {
      return; // an automatic rewrite that failed waits before it tries again
    }
    long percentage = kiln.config().getLong("auto-aof-rewrite-percentage");
    long size = kiln.aofStatus().currentSize;
    if (percentage > 0 && size > kiln.config().getLong("auto-aof-rewrite-min-size")) {
      long base = Math.max(1, kiln.aofStatus().baseSize);
      long growth = (size * 100 / base) - 100;
      if (growth >= percentage) {
        log.info("Starting automatic rewriting of AOF on {}% growth", growth);
        start();
      }
    }
  }

  /** Starts the rewrite now (the caller checked that no snapshot runs). */
  public void start() {
    PersistenceInfo info = kiln.persistence();
    info.aofRewriteScheduled = false;
    running = true;
    long startMs = System.currentTimeMillis();
    info.aofRewriteStartMs = startMs;
    Path dir = Path.of(kiln.config().getString("dir"));
    String base = dir.resolve("temp-rewriteaof-bg-" + ProcessHandle.current().pid() + ".aof")
        .toString();
    feed.cut(base);
    Future<Long> done = home.aofBase().write(Path.of(base)).compose(written -> {
      log.info("Background AOF rewrite terminated with success");
      return kiln.vertx().eventBus().<Long>request(Aof.ADDRESS, new Aof.RewriteFinish(base))
          .map(m -> m.body());
    });
    log.info("Background append only file rewriting started");
    done.onComplete(ar -> {
      running = false;
      info.aofRewriteEnded(startMs, ar.succeeded());
      if (ar.succeeded()) {
        firstFile = false;
        kiln.aofMeters().rewrites.increment();
        kiln.aofMeters().rewrite.record(java.time.Duration.ofMillis(
            System.currentTimeMillis() - startMs));
        log.info("Background AOF rewrite finished successfully");
      } else {
        lastFailureMs = System.currentTimeMillis();
        if (firstFile) {
          info.aofRewriteScheduled = true; // the AOF is on once a rewrite writes its file
        }
        kiln.vertx().eventBus().send(Aof.ADDRESS, new Aof.RewriteAbort(base));
        log.warn("Background AOF rewrite failed: {}", ar.cause().getMessage());
      }
    });
  }
}
