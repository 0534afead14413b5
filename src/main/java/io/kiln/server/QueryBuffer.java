package io.kiln.server;

import io.kiln.resp.RespDecoder;

/**
 * A connection's query buffer as Redis 7.0 sizes it, for CLIENT LIST's qbuf, qbuf-free and
 * argv-mem. Kiln's decoder keeps buffers of its own; this follows the size Redis's buffer would
 * have: room made for 16 KiB reads (exactly on a first allocation and for a big argument, with
 * doubling once grown), rounded up to the allocator's size classes, and cut by the clients cron
 * (Redis's clientsCronResizeQueryBuffer): given back when the connection has been idle over
 * 2 s, trimmed to the recent peak when over 32 KiB and more than twice that peak.
 *
 * <p>Owned by the event loop of its connection; not thread-safe.
 */
public final class QueryBuffer {
  /** Redis's PROTO_IOBUF_LEN: the room made for one read. */
  static final int IOBUF_LEN = 16 * 1024;
  /** Redis's PROTO_MBULK_BIG_ARG and PROTO_RESIZE_THRESHOLD. */
  static final int BIG_ARG = 32 * 1024;
  /** Greedy growth doubles up to this size, then adds it (Redis's SDS_MAX_PREALLOC). */
  private static final long MAX_PREALLOC = 1024 * 1024;

  private final RespDecoder decoder;
  /** The buffer's allocated size (bytes it can hold). */
  private long alloc;
  /** The most it held since the last cron visit. */
  private long peak;
  /** Bytes of the read batch being run (Redis trims its buffer after the batch), -1 outside. */
  private long batch = -1;
  /** The command being run or waiting (blocked, postponed), null between commands. */
  byte[][] argv;

  QueryBuffer(RespDecoder decoder) {
    this.decoder = decoder;
  }

  /** Bytes in the buffer (CLIENT LIST qbuf). */
  public long used() {
    return batch >= 0 ? batch : decoder.unparsedBytes();
  }

  /** Room left in the buffer (CLIENT LIST qbuf-free). */
  public long free() {
    return Math.max(0, alloc - used());
  }

  /**
   * The bytes of the arguments of the command being run or waiting, or else of those received
   * of a partial command (CLIENT LIST argv-mem).
   */
  public long argvBytes() {
    if (argv == null) {
      return decoder.heldBytes();
    }
    long n = 0;
    for (byte[] a : argv) {
      n += a.length;
    }
    return n;
  }

  /** A read of {@code n} bytes arrives: room is made for it as Redis's reads make it. */
  void read(int n) {
    long len = decoder.unparsedBytes();
    for (long left = n; left > 0; ) {
      long avail = alloc - len;
      if (alloc < IOBUF_LEN) {
        if (avail < IOBUF_LEN) {
          alloc = sized(len + IOBUF_LEN);
        }
      } else if (avail < IOBUF_LEN) {
        long want = len + IOBUF_LEN;
        alloc = sized(want < MAX_PREALLOC ? want * 2 : want + MAX_PREALLOC);
      }
      long chunk = Math.min(left, alloc - len);
      len += chunk;
      left -= chunk;
    }
    peak = Math.max(peak, len);
  }

  /** A read batch starts running: what it holds stays in the buffer until it ends. */
  void batchStarts() {
    batch = decoder.unparsedBytes();
  }

  /** The batch ran: a big argument being received gets a buffer of its exact size. */
  void batchEnded() {
    batch = -1;
    long bulk = decoder.pendingBulkLength();
    if (bulk >= BIG_ARG) {
      alloc = Math.max(alloc, sized(bulk + 2));
    }
    alloc = Math.max(alloc, decoder.unparsedBytes());
  }

  /** The clients cron's visit: shrinks a buffer that wastes more than 4 KiB, as Redis's. */
  void cron(long nowMs, long lastInteractionMs) {
    long len = decoder.unparsedBytes();
    long bulk = decoder.pendingBulkLength();
    if (alloc - len > 4096) {
      if (nowMs / 1000 - lastInteractionMs / 1000 > 2) {
        alloc = len;
      } else if (alloc > BIG_ARG && alloc / 2 > peak) {
        alloc = Math.max(Math.max(len, peak), bulk);
      }
    }
    peak = Math.max(len, bulk);
  }

  /**
   * The room a buffer made for {@code len} bytes gets: its allocation (header, bytes and
   * terminator) rounded up to jemalloc's size class, less header and terminator.
   */
  static long sized(long len) {
    // never sds type 5 (a buffer that grows), so at least an sdshdr8
    int header = len < 256 ? 3 : len < 65_536 ? 5 : len < (1L << 32) ? 9 : 17;
    return io.kiln.keyspace.Footprint.alloc(header + len + 1) - header - 1;
  }
}
