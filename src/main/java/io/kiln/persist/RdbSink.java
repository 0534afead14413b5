package io.kiln.persist;

import io.kiln.rdb.RdbWriter;
import io.kiln.types.GrowableString;
import java.io.Flushable;
import java.io.IOException;

/**
 * A capture written as an RDB file: the header, Redis 7.0's aux fields and the function
 * libraries (FUNCTION2 records) at the open; before an
 * entry of another database than the last one's, SELECTDB (and, the first time, RESIZEDB with the
 * start's sizes); the key, its expiry and its value (strings on the hot path without a wrapper);
 * EOF and the checksum at the end. It encodes, compresses and checksums; the {@link SnapshotFile}
 * syncs, renames and removes. The sink of dump.rdb, of an AOF's RDB preamble and of the
 * rehearsal.
 *
 * <p>Owned by the snapshot writer's thread.
 */
final class RdbSink implements CaptureSink {
  private final SnapshotFile file;
  private final RdbWriter rdb;
  /** What the file pushes out before a sync: the writer's buffer. */
  private final Flushable buffer;
  private final long[] dbSizes;
  private final long[] dbExpires;
  private final boolean[] resized;
  private int currentDb = -1;

  private RdbSink(SnapshotFile file, RdbWriter rdb, long[] dbSizes, long[] dbExpires) {
    this.file = file;
    this.rdb = rdb;
    this.buffer = rdb::flush;
    this.dbSizes = dbSizes;
    this.dbExpires = dbExpires;
    this.resized = new boolean[dbSizes.length];
  }

  /** Starts the RDB in {@code file} (removed if even that fails). */
  static RdbSink open(SnapshotFile file, RdbWriter.Options options, Snapshot.Begin begin)
      throws IOException {
    try {
      // RdbWriter gathers options.bufferBytes (64 KB) per write itself.
      RdbSink sink = new RdbSink(file, new RdbWriter(file.stream(), options), begin.dbSizes(),
          begin.dbExpires());
      sink.rdb.writeHeader();
      Runtime rt = Runtime.getRuntime();
      sink.rdb.writeStandardAux(System.currentTimeMillis() / 1000,
          rt.totalMemory() - rt.freeMemory());
      for (byte[] code : begin.functions()) {
        sink.rdb.writeFunction(code); // before the databases, as Redis writes them
      }
      return sink;
    } catch (IOException | RuntimeException e) {
      file.discard();
      throw e;
    }
  }

  @Override
  public void write(int db, byte[] key, Object value, long expireAtMs, int idleSeconds, int freq)
      throws IOException {
    if (db != currentDb) {
      currentDb = db;
      rdb.writeSelectDb(currentDb);
      if (!resized[currentDb]) {
        resized[currentDb] = true;
        rdb.writeResizeDb(dbSizes[currentDb], dbExpires[currentDb]);
      }
    }
    long expire = expireAtMs == 0 ? -1 : expireAtMs;
    if (value instanceof byte[] s) {
      rdb.writeStringKey(key, s, expire, idleSeconds, freq);
    } else if (value instanceof GrowableString g) {
      writeGrown(key, g, expire, idleSeconds, freq);
    } else {
      rdb.writeKey(key, CaptureSink.unpack(value), expire, idleSeconds, freq);
    }
  }

  /** A captured grown string, one chunk at a time (no contiguous copy); then the view is done. */
  private void writeGrown(byte[] key, GrowableString g, long expire, int idleSeconds, int freq)
      throws IOException {
    int n = g.chunkCount();
    byte[][] chunks = new byte[n][];
    int[] lengths = new int[n];
    for (int k = 0; k < n; k++) {
      chunks[k] = g.chunk(k);
      lengths[k] = g.chunkLength(k);
    }
    rdb.writeStringKey(key, chunks, lengths, expire, idleSeconds, freq);
    g.release();
  }

  @Override
  public void endBatch() throws IOException {
    file.grew(rdb.bytesWritten(), buffer);
  }

  @Override
  public long finish() throws IOException {
    rdb.writeEof(); // and flushed
    long bytes = rdb.bytesWritten();
    file.commit();
    return bytes;
  }

  @Override
  public void discard() {
    file.discard();
  }
}
