package io.kiln.persist;

import io.kiln.rdb.RdbValue;
import io.kiln.types.RedisValue;
import java.io.IOException;

/**
 * What the {@link SnapshotWriter} feeds one capture into: opened by the capture's
 * {@link Snapshot.Target} at its Begin, then given the captured entries in the order they were
 * captured, batch by batch, and closed by {@link #finish} (Finish) or {@link #discard} (Abort, an
 * error, the writer's stop). An entry is the database it belonged to at the capture's start (the
 * entries of one database are not contiguous: a write captures its key out of the walk's order),
 * the key, the captured value (a string's bytes, or what {@link RedisValue#capture} made of a
 * collection: see {@link #unpack}), its expiry in Unix ms (0: none), and what an *-lru or *-lfu
 * maxmemory-policy keeps of its accesses (-1: none): its idle seconds or its LFU counter.
 *
 * <p>The sinks: {@link RdbSink} (dump.rdb, an AOF's RDB preamble, the rehearsal's file) and
 * {@link CommandSink} (an AOF's base as commands). A replica's full sync would be one more: the
 * RDB encoding into the replica's stream instead of a file.
 *
 * <p>Owned by the snapshot writer's thread.
 */
public interface CaptureSink {
  /** Writes one captured entry. */
  void write(int db, byte[] key, Object value, long expireAtMs, int idleSeconds, int freq)
      throws IOException;

  /** A batch has been written: a file syncs here once it grew by its sync step. */
  void endBatch() throws IOException;

  /** Completes what was written (a file is made durable where it belongs); its size in bytes. */
  long finish() throws IOException;

  /** Gives up and removes what was written; never fails. */
  void discard();

  /**
   * A captured collection in the RDB layer's form: a compact value was captured as a private
   * copy, unpacked here, off the event loop; the others were captured in that form already.
   */
  static RdbValue unpack(Object captured) {
    return captured instanceof RedisValue copy ? copy.toRdb() : (RdbValue) captured;
  }
}
