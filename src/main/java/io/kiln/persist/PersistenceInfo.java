package io.kiln.persist;

/**
 * What INFO persistence (and the fork fields of INFO stats) report: loading progress, the last and
 * current snapshot, load results. One per server; written and read only on the event loop of the
 * shard that runs persistence (shard 0; Kiln runs one shard today).
 */
public final class PersistenceInfo {
  // ---- loading (startup, DEBUG RELOAD) ----
  public boolean loading;
  public long loadingStartSec;
  public long loadingTotalBytes;
  public long loadingLoadedBytes;
  /** The used-mem aux field of the file being loaded (INFO loading_rdb_used_mem). */
  public long loadingRdbUsedMem;
  public long lastLoadKeysLoaded;
  public long lastLoadKeysExpired;

  // ---- RDB snapshots ----
  /** Unix seconds of the last successful save (the start time until one happens). */
  public long lastSaveSec;
  /** Unix seconds of the last save attempt, successful or not (the save rules wait on it). */
  public long lastSaveAttemptSec;
  public boolean lastBgsaveOk = true;
  public long lastBgsaveTimeSec = -1;
  /** Start of the running BGSAVE in ms since epoch, or -1 when none runs. */
  public long bgsaveStartMs = -1;
  public long saves;
  /** The capture engine of the shard that runs persistence: the running capture's progress. */
  public CaptureEngine capture;
  /** The snapshot's start pause in microseconds: Kiln's counterpart of Redis's fork time. */
  public long latestForkUsec;
  public long totalForks;

  // ---- AOF rewrites ----
  /** Start of the running BGREWRITEAOF in ms since epoch, or -1 when none runs. */
  public long aofRewriteStartMs = -1;
  public boolean aofRewriteScheduled;
  public long aofLastRewriteTimeSec = -1;
  public boolean aofLastRewriteOk = true;
  public long aofRewrites;
  public long aofRewritesConsecutiveFailures;

  public PersistenceInfo(long startSec) {
    this.lastSaveSec = startSec;
    this.lastSaveAttemptSec = startSec;
  }

  /** A BGREWRITEAOF that began at {@code startMs} ended: INFO's aof_rewrite fields. */
  public void aofRewriteEnded(long startMs, boolean ok) {
    aofRewriteStartMs = -1;
    aofLastRewriteTimeSec = (System.currentTimeMillis() - startMs) / 1000;
    aofLastRewriteOk = ok;
    if (ok) {
      aofRewrites++;
      aofRewritesConsecutiveFailures = 0;
    } else {
      aofRewritesConsecutiveFailures++;
    }
  }

  public boolean bgsaveInProgress() {
    return bgsaveStartMs >= 0;
  }

  /** Keys the running capture (a save's or an AOF base's) has captured so far; 0 when none. */
  public long currentSaveKeysProcessed() {
    return capture == null ? 0 : capture.keysProcessed();
  }

  /** Keys in the dataset when the running capture began; 0 when none runs. */
  public long currentSaveKeysTotal() {
    return capture == null ? 0 : capture.keysTotal();
  }
}
