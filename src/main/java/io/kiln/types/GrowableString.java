package io.kiln.types;

import java.util.Arrays;

/**
 * A string value that APPEND, SETRANGE, SETBIT or BITFIELD grew or wrote into, changed in place
 * from then on: Kiln's counterpart of Redis's greedy sds. Other strings stay exact-length
 * {@code byte[]}s; every reader of a string handles both ({@code io.kiln.command.Strs}).
 *
 * <p>Representation: the bytes live in chunks of {@link #CHUNK} (256 KiB). A string of up to one
 * chunk is one array whose capacity doubles as it grows, as sdsMakeRoomFor doubles below 1 MB;
 * past that every chunk but the last is full, and growing adds a chunk, as sds adds 1 MB. Java
 * cannot realloc, so a contiguous buffer would have to be copied whole at each growth step (a
 * stall proportional to the value: 40-250 ms at 512 MB) or grown geometrically (up to 2x the
 * memory, and still a full copy now and then); chunks make an append at the end cost only the
 * bytes appended (plus, below one chunk, a copy of at most 256 KiB per doubling), never copy a
 * large value, and bound the slack at one chunk: a 512 MB value costs 512 MB. 256 KiB rather than
 * sds's 1 MB: G1 allocates an array over half a region (regions are 1 MiB on heaps under 4 GB)
 * as a humongous object in whole regions of its own, so a chunk of 1 MiB plus its header would
 * take two regions, twice its size; 256 KiB is under half of any region. Bytes at and past
 * {@link #length()} are always zero.
 *
 * <p>Snapshots ({@link #capture}): a capture is a frozen view sharing the chunks; the live string
 * remembers its last view. A write past the view's length changes nothing the view reads (an
 * append, even into the view's last chunk), so it goes in place; a write below it first copies
 * each chunk it touches that the view still shares (at most one chunk each, once per capture),
 * unless the snapshot writer has {@link #release}d the view. A view is read on the writer's
 * thread: bytes it reads are never written after the capture, and the release is a volatile
 * write, so a later in-place write is ordered after the writer's last read.
 *
 * <p>A live string is owned by its shard's event loop; not thread-safe.
 */
public final class GrowableString {
  public static final int CHUNK_SHIFT = 18;
  public static final int CHUNK = 1 << CHUNK_SHIFT;

  private byte[][] chunks;
  /** Chunks in use: ceil(len / CHUNK), at least 1. */
  private int count;
  private int len;
  /** A view: never written; set by {@link #capture}. */
  private final boolean frozen;
  /** The last capture's view of this live string, or null. */
  private GrowableString view;
  /** On a view: the snapshot writer is done with it. */
  private volatile boolean released;

  private GrowableString(byte[][] chunks, int count, int len, boolean frozen) {
    this.chunks = chunks;
    this.count = count;
    this.len = len;
    this.frozen = frozen;
  }

  /** A growable string with the bytes of {@code s} (copied: the array is left as it is). */
  public static GrowableString of(byte[] s) {
    return of(s, 0, s.length);
  }

  /** A growable string with bytes {@code [off, off + n)} of {@code s} (copied). */
  public static GrowableString of(byte[] s, int off, int n) {
    GrowableString g = new GrowableString(new byte[4][], 1, 0, false);
    g.chunks[0] = new byte[Math.max(16, Math.min(CHUNK, n))];
    g.write(0, s, off, n);
    return g;
  }

  public int length() {
    return len;
  }

  public byte byteAt(int i) {
    return chunks[i >>> CHUNK_SHIFT][i & (CHUNK - 1)];
  }

  /** Chunks holding the bytes: {@link #chunk}(k) holds {@link #chunkLength}(k) of them. */
  public int chunkCount() {
    return len == 0 ? 0 : count;
  }

  public byte[] chunk(int k) {
    return chunks[k];
  }

  public int chunkLength(int k) {
    return k < count - 1 ? CHUNK : len - (k << CHUNK_SHIFT);
  }

  /** Copies bytes {@code [off, off + n)} into {@code dst} at {@code dstOff}. */
  public void copyTo(int off, byte[] dst, int dstOff, int n) {
    while (n > 0) {
      int k = off >>> CHUNK_SHIFT;
      int in = off & (CHUNK - 1);
      int m = Math.min(n, CHUNK - in);
      System.arraycopy(chunks[k], in, dst, dstOff, m);
      off += m;
      dstOff += m;
      n -= m;
    }
  }

  /** A new exact-length array of bytes {@code [off, off + n)}. */
  public byte[] range(int off, int n) {
    byte[] out = new byte[n];
    copyTo(off, out, 0, n);
    return out;
  }

  /** The whole value as a new exact-length array. */
  public byte[] toBytes() {
    return range(0, len);
  }

  /** An independent copy (COPY): a live string of its own. */
  public GrowableString copy() {
    byte[][] cs = new byte[Math.max(4, count)][];
    for (int k = 0; k < count; k++) {
      cs[k] = chunks[k].clone();
    }
    return new GrowableString(cs, count, len, false);
  }

  // ---- writes (live strings only) ----

  /**
   * Writes bytes {@code [srcOff, srcOff + n)} of {@code src} at {@code off}, growing the string
   * (zero filled between its end and {@code off}) when they reach past it.
   */
  public void write(int off, byte[] src, int srcOff, int n) {
    if (n == 0) {
      return;
    }
    int end = off + n;
    if (end > len) {
      ensure(end);
    }
    unshare(off, end);
    while (n > 0) {
      int k = off >>> CHUNK_SHIFT;
      int in = off & (CHUNK - 1);
      int m = Math.min(n, CHUNK - in);
      System.arraycopy(src, srcOff, chunks[k], in, m);
      off += m;
      srcOff += m;
      n -= m;
    }
    len = Math.max(len, end);
  }

  /** Sets byte {@code i}, growing the string with zeros up to it when it lies past the end. */
  public void setByte(int i, byte b) {
    if (i >= len) {
      ensure(i + 1);
      len = i + 1;
    } else {
      unshare(i, i + 1);
    }
    chunks[i >>> CHUNK_SHIFT][i & (CHUNK - 1)] = b;
  }

  /** Grows the string with zeros to {@code newLen} bytes (no change when already that long). */
  public void growTo(int newLen) {
    if (newLen > len) {
      ensure(newLen);
      len = newLen;
    }
  }

  /** Room for {@code newLen} bytes: the last chunk grown, chunks added (Redis's greedy rule). */
  private void ensure(int newLen) {
    if (frozen) {
      throw new IllegalStateException("a captured string is read-only");
    }
    int need = ((newLen - 1) >>> CHUNK_SHIFT) + 1;
    byte[] last = chunks[count - 1];
    if (last.length < CHUNK) {
      int want = need > count ? CHUNK : newLen - ((count - 1) << CHUNK_SHIFT);
      if (want > last.length) {
        // below a chunk the capacity doubles (sdsMakeRoomFor); the old array stays intact for a
        // view that may share it
        int cap = need > count ? CHUNK : (int) Math.min(CHUNK, 2L * want);
        chunks[count - 1] = Arrays.copyOf(last, cap);
      }
    }
    if (need > chunks.length) {
      chunks = Arrays.copyOf(chunks, Math.max(need, chunks.length + (chunks.length >> 1)));
    }
    while (count < need) {
      chunks[count++] = new byte[CHUNK];
    }
  }

  /**
   * Bytes {@code [from, to)} are about to be overwritten: each chunk they touch below the last
   * view's length that the view still shares is copied first.
   */
  private void unshare(int from, int to) {
    GrowableString v = view;
    if (v == null) {
      return;
    }
    if (v.released) {
      view = null;
      return;
    }
    int limit = Math.min(to, v.len);
    if (from >= limit) {
      return;
    }
    for (int k = from >>> CHUNK_SHIFT; k <= (limit - 1) >>> CHUNK_SHIFT; k++) {
      if (k < v.count && chunks[k] == v.chunks[k]) {
        chunks[k] = chunks[k].clone();
      }
    }
  }

  // ---- snapshots ----

  /**
   * A frozen view of the bytes now, for a snapshot (event loop): shares the chunks, which later
   * writes below its length no longer change in place.
   */
  public GrowableString capture() {
    GrowableString v = new GrowableString(Arrays.copyOf(chunks, count), count, len, true);
    if (!frozen) {
      view = v;
    }
    return v;
  }

  /** The snapshot writer has written this view (any thread): its chunks may change again. */
  public void release() {
    if (frozen) {
      released = true;
    }
  }

  @Override
  public String toString() {
    return "GrowableString[" + len + " bytes in " + count + " chunks]";
  }
}
