package io.kiln.persist;

import io.kiln.server.Server;
import io.kiln.config.Config;
import io.kiln.config.SavePoint;
import io.kiln.keyspace.Shard;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RDB file job: SAVE, BGSAVE (and BGSAVE SCHEDULE), the `save` rules (checked every second),
 * a shutdown's and FLUSHALL's saves and DEBUG RELOAD's. Each save is a capture of the shard by its
 * {@link CaptureEngine} into `dir`/`dbfilename`, written through a temp file renamed into place
 * ({@link Snapshot.RdbFile}); this job keeps INFO's RDB fields, the snapshot meters and the save's
 * log lines. {@link #running} and {@link #abort} speak for the shard's engine whatever job holds
 * it (an {@link AofBase} too): one capture runs at a time.
 *
 * <p>Owned by the shard's event loop.
 */
public final class Snapshotter {
  private static final Logger log = LoggerFactory.getLogger(Snapshotter.class);

  /** Redis waits this long before retrying a failed background save (CONFIG_BGSAVE_RETRY_DELAY). */
  static final long RETRY_DELAY_SEC = 5;

  private final Server kiln;
  private final Shard shard;
  private final CaptureEngine engine;
  private final PersistenceInfo info;

  private boolean background;
  private long startMs;
  private long dirtyAtStart;
  private long lastCronMs;
  /** BGSAVE SCHEDULE (or a save rule) asked for a save while one was running. */
  private boolean scheduled;

  // The save's callback and its file name, made once here: a lambda or a string concatenation
  // is linked the first time its expression runs, which costs milliseconds, and that must not
  // happen inside the start pause.
  private final String tempName = "temp-" + ProcessHandle.current().pid() + ".rdb";
  private final Handler<AsyncResult<Snapshot.Done>> afterSave = ar -> finished(ar.succeeded(),
      ar.succeeded() ? ar.result() : null, ar.failed() ? ar.cause() : null);

  /** The RDB job of {@code shard}, whose captures {@code engine} takes. */
  public Snapshotter(Server kiln, Shard shard, CaptureEngine engine) {
    this.kiln = kiln;
    this.shard = shard;
    this.engine = engine;
    this.info = kiln.persistence();
  }

  /** A capture of the shard runs, this job's or another's: a save cannot start now. */
  public boolean running() {
    return engine.running();
  }

  /**
   * Starts a snapshot to `dir`/`dbfilename`. Background saves keep serving clients; the caller
   * of a foreground save (SAVE, shutdown) holds its clients itself. Fails at once when one runs.
   */
  public Future<Snapshot.Done> save(boolean inBackground) {
    if (running()) {
      return Future.failedFuture(CaptureEngine.IN_PROGRESS);
    }
    Config config = kiln.config();
    Path dir = Path.of(config.getString("dir"));
    String temp = dir.resolve(tempName).toString();
    String target = dir.resolve(config.getString("dbfilename")).toString();
    long t0 = System.nanoTime();
    background = inBackground;
    startMs = System.currentTimeMillis();
    dirtyAtStart = shard.dirty;
    info.lastSaveAttemptSec = startMs / 1000;
    if (inBackground) {
      info.bgsaveStartMs = startMs;
    }
    Future<Snapshot.Done> result = engine.start(new Snapshot.RdbFile(temp, target,
        config.getBool("rdbcompression"), config.getBool("rdbchecksum"),
        config.getBool("rdb-save-incremental-fsync"), config.getLong("rdb-key-save-delay")));
    startPause(kiln, t0);
    if (inBackground) {
      log.info("Background saving started"); // Redis adds "by pid N", the child's: there is none
    }
    return result.andThen(afterSave);
  }

  /**
   * Records the start pause of a capture begun at {@code t0} (System.nanoTime) by any of the
   * server's jobs, a save or an AOF base: Kiln's counterpart of Redis's fork (INFO's
   * latest_fork_usec and total_forks, the "fork" latency event).
   */
  static void startPause(Server kiln, long t0) {
    PersistenceInfo info = kiln.persistence();
    info.latestForkUsec = (System.nanoTime() - t0) / 1000;
    info.totalForks++;
    kiln.latencyMonitor().addIfNeeded("fork", info.latestForkUsec / 1000,
        kiln.config().getLong("latency-monitor-threshold"));
  }

  /**
   * Abandons the running capture, whatever its job (FLUSHALL does, as in Redis; so do a
   * shutdown's save and an AOF that stops): its temp file is removed.
   */
  public void abort() {
    if (!running()) {
      return;
    }
    log.warn("Killing the running snapshot: its temp file is removed");
    engine.abort();
  }

  private void finished(boolean ok, Snapshot.Done result, Throwable error) {
    long now = System.currentTimeMillis();
    if (background) {
      info.bgsaveStartMs = -1;
      info.lastBgsaveTimeSec = (now - startMs) / 1000;
    }
    if (error instanceof CaptureEngine.Aborted) {
      return; // abandoned on purpose: not a failure (no MISCONF)
    }
    if (ok || background) {
      // as Redis's rdbSave: a failed foreground save (SAVE, a shutdown's) leaves the status, so
      // it brings no MISCONF (PING and SHUTDOWN NOSAVE still answer); a success clears an error
      info.lastBgsaveOk = ok;
    }
    kiln.snapshotMeters().finished(ok, now - startMs, ok ? result.bytes() : 0,
        ok ? result.keys() : 0);
    if (ok) {
      shard.dirty -= dirtyAtStart;
      info.lastSaveSec = now / 1000;
      info.saves++;
      log.info("DB saved on disk ({} keys, {} bytes, {} ms)", result.keys(), result.bytes(),
          now - startMs);
      if (background) {
        log.info("Background saving terminated with success");
      }
    } else {
      log.warn("{}: {}", background ? "Background saving error" : "Error saving DB on disk",
          error.getMessage());
    }
  }

  // ---- BGSAVE SCHEDULE and the save rules ----

  /** BGSAVE SCHEDULE while a save runs: start another once it ends. */
  public void schedule() {
    scheduled = true;
  }

  /** Called by the shard's periodic job; acts once a second, as Redis's serverCron does. */
  public void cron() {
    long now = System.currentTimeMillis();
    if (now - lastCronMs < 1000) {
      return;
    }
    lastCronMs = now;
    if (running()) {
      return;
    }
    if (scheduled) {
      scheduled = false;
      save(true);
      return;
    }
    long nowSec = now / 1000;
    boolean retryAllowed = info.lastBgsaveOk || nowSec - info.lastSaveAttemptSec > RETRY_DELAY_SEC;
    for (SavePoint sp : kiln.config().savePoints()) {
      if (shard.dirty >= sp.changes() && nowSec - info.lastSaveSec >= sp.seconds() && retryAllowed) {
        log.info("{} changes in {} seconds. Saving...", sp.changes(), sp.seconds());
        save(true);
        return;
      }
    }
  }
}
