package io.kiln.rdb;

import io.kiln.resp.Numbers;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Writes an RDB file of version 10 (as Redis 7.0 does) to an OutputStream, keeping a running
 * CRC-64 for the trailer. Values come in the simple forms of {@link RdbValue} and are written in
 * the encodings Redis 7.0 would have chosen under the given {@link Options}: strings as 8/16/32-bit
 * integers when canonical and small, LZF-compressed when longer than 20 bytes and compression
 * saves at least 4 bytes, raw otherwise; lists as QUICKLIST_2 of listpack nodes (plain nodes for
 * elements at or over the packed threshold); sets as intset or plain sets; hashes and sorted sets
 * as listpacks when small, plain hash / ZSET_2 otherwise.
 *
 * <p>Typical use: {@code writeHeader(); writeStandardAux(...); writeSelectDb(0);
 * writeResizeDb(n, e); writeKey(...)...; writeEof();}. Buffers internally; does not close the
 * stream. Owned by one thread (the snapshot worker); not thread-safe. Also used by {@link Dump}.
 */
public final class RdbWriter {

  /** Encoding thresholds and switches (Redis's config names in the comments). Mutable. */
  public static final class Options {
    /** rdbcompression. */
    public boolean compression = true;
    /** rdbchecksum: when false the trailer is 8 zero bytes. */
    public boolean checksum = true;
    /** set-max-intset-entries. */
    public int setMaxIntsetEntries = 512;
    /** hash-max-listpack-entries. */
    public int hashMaxListpackEntries = 512;
    /** hash-max-listpack-value. */
    public int hashMaxListpackValue = 64;
    /** zset-max-listpack-entries. */
    public int zsetMaxListpackEntries = 128;
    /** zset-max-listpack-value. */
    public int zsetMaxListpackValue = 64;
    /** list-max-listpack-size (negative: a byte limit of 4/8/16/32/64 KB; positive: a count). */
    public int listMaxListpackSize = -2;
    /** Elements of at least this size go in a plain quicklist node (Redis: 1 GB). */
    public long listPackedThreshold = 1L << 30;
    /** Bytes gathered before a write to the stream (and a checksum update). */
    public int bufferBytes = 1 << 16;

    public Options compression(boolean on) {
      compression = on;
      return this;
    }

    public Options checksum(boolean on) {
      checksum = on;
      return this;
    }
  }

  private static final int SIZE_SAFETY_LIMIT = 8192;
  private static final int[] FILL_BYTES = {4096, 8192, 16384, 32768, 65536};

  private final OutputStream out;
  private final Options opt;
  private final byte[] buf;
  private int pos;
  private long crc;
  private long written;

  public RdbWriter(OutputStream out, Options options) {
    this.out = out;
    this.opt = options;
    this.buf = new byte[options.bufferBytes];
  }

  /** Bytes written so far (including those still buffered). */
  public long bytesWritten() {
    return written + pos;
  }

  /** Writes "REDIS0010". */
  public void writeHeader() throws IOException {
    raw(("REDIS" + String.format("%04d", Rdb.VERSION)).getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * Writes the aux fields Redis 7.0 writes: redis-ver 7.0.15, redis-bits 64, ctime, used-mem,
   * aof-base 0.
   */
  public void writeStandardAux(long ctimeSeconds, long usedMemory) throws IOException {
    writeAux("redis-ver", "7.0.15");
    writeAux("redis-bits", 64);
    writeAux("ctime", ctimeSeconds);
    writeAux("used-mem", usedMemory);
    writeAux("aof-base", 0);
  }

  public void writeAux(String key, String value) throws IOException {
    writeAux(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
  }

  public void writeAux(String key, long value) throws IOException {
    writeAux(key.getBytes(StandardCharsets.UTF_8), Rdb.ascii(value));
  }

  public void writeAux(byte[] key, byte[] value) throws IOException {
    b(Rdb.OPCODE_AUX);
    writeString(key);
    writeString(value);
  }

  public void writeSelectDb(int db) throws IOException {
    b(Rdb.OPCODE_SELECTDB);
    writeLength(db);
  }

  public void writeResizeDb(long dbSize, long expiresSize) throws IOException {
    b(Rdb.OPCODE_RESIZEDB);
    writeLength(dbSize);
    writeLength(expiresSize);
  }

  /** Writes one key with an expire in Unix ms, or -1 for none. */
  public void writeKey(byte[] key, RdbValue value, long expireMs) throws IOException {
    writeKey(key, value, expireMs, -1, -1);
  }

  /**
   * Writes one key: EXPIRETIME_MS when {@code expireMs >= 0}, IDLE when
   * {@code idleSeconds >= 0}, FREQ when {@code freq >= 0} (0..255), then type, key and value.
   *
   * @throws IllegalArgumentException for an empty collection (Redis never saves one)
   */
  public void writeKey(byte[] key, RdbValue value, long expireMs, long idleSeconds, int freq)
      throws IOException {
    writeKeyMeta(expireMs, idleSeconds, freq);
    int type = typeFor(value);
    b(type);
    writeString(key);
    writeValue(type, value);
  }

  /**
   * Writes one string key: the same bytes as {@code writeKey(key, new RdbValue.Str(value),
   * expireMs, idleSeconds, freq)} without the wrapper, for the snapshot writer's hot loop.
   */
  public void writeStringKey(byte[] key, byte[] value, long expireMs, long idleSeconds, int freq)
      throws IOException {
    writeKeyMeta(expireMs, idleSeconds, freq);
    b(Rdb.TYPE_STRING);
    writeString(key);
    writeString(value);
  }

  /**
   * What precedes a key's type: EXPIRETIME_MS when {@code expireMs >= 0}, IDLE when
   * {@code idleSeconds >= 0}, FREQ when {@code freq >= 0} (0..255).
   */
  private void writeKeyMeta(long expireMs, long idleSeconds, int freq) throws IOException {
    if (expireMs >= 0) {
      b(Rdb.OPCODE_EXPIRETIME_MS);
      for (int i = 0; i < 8; i++) {
        b((int) (expireMs >>> (8 * i)));
      }
    }
    if (idleSeconds >= 0) {
      b(Rdb.OPCODE_IDLE);
      writeLength(idleSeconds);
    }
    if (freq >= 0) {
      b(Rdb.OPCODE_FREQ);
      b(Math.min(freq, 255));
    }
  }

  /**
   * Writes one string key whose value is in pieces ({@code lengths[k]} bytes of {@code chunks[k]},
   * a grown string's chunks), as {@link #writeStringKey(byte[], byte[], long, long, int)} would
   * write their concatenation when it fits one piece. Longer values are written raw, a piece at
   * a time: LZF would need them contiguous, a copy as large as the value on the writer's side.
   */
  public void writeStringKey(byte[] key, byte[][] chunks, int[] lengths, long expireMs,
      long idleSeconds, int freq) throws IOException {
    if (chunks.length <= 1) {
      writeStringKey(key, chunks.length == 0 ? new byte[0]
          : java.util.Arrays.copyOf(chunks[0], lengths[0]), expireMs, idleSeconds, freq);
      return;
    }
    writeKeyMeta(expireMs, idleSeconds, freq);
    b(Rdb.TYPE_STRING);
    writeString(key);
    long total = 0;
    for (int len : lengths) {
      total += len;
    }
    writeLength(total);
    for (int k = 0; k < chunks.length; k++) {
      raw(chunks[k], 0, lengths[k]);
    }
  }

  /** Writes a function library: the FUNCTION2 opcode, then its code (FUNCTION LOAD's). */
  public void writeFunction(byte[] code) throws IOException {
    b(Rdb.OPCODE_FUNCTION2);
    writeString(code);
  }

  /** Writes EOF and the CRC-64 trailer (zeros when checksums are off), then flushes. */
  public void writeEof() throws IOException {
    b(Rdb.OPCODE_EOF);
    flushBuffer();
    long c = opt.checksum ? crc : 0;
    for (int i = 0; i < 8; i++) {
      buf[pos++] = (byte) (c >>> (8 * i));
    }
    written += pos;
    out.write(buf, 0, pos);
    pos = 0;
    out.flush();
  }

  /** Pushes buffered bytes to the stream and flushes it. */
  public void flush() throws IOException {
    flushBuffer();
    out.flush();
  }

  // ---- value encodings ----

  /** The RDB type code Redis 7.0 would save this value with under these options. */
  public int typeFor(RdbValue value) {
    if (value instanceof RdbValue.Str) {
      return Rdb.TYPE_STRING;
    } else if (value instanceof RdbValue.ListValue l) {
      nonEmpty(l.elements().size(), "list");
      return Rdb.TYPE_LIST_QUICKLIST_2;
    } else if (value instanceof RdbValue.SetValue s) {
      nonEmpty(s.members().size(), "set");
      if (s.members().size() <= opt.setMaxIntsetEntries) {
        boolean ints = true;
        for (byte[] m : s.members()) {
          if (!Numbers.isLong(m)) {
            ints = false;
            break;
          }
        }
        if (ints) {
          return Rdb.TYPE_SET_INTSET;
        }
      }
      return Rdb.TYPE_SET;
    } else if (value instanceof RdbValue.HashValue h) {
      nonEmpty(h.entries().size(), "hash");
      if (h.entries().size() <= opt.hashMaxListpackEntries) {
        boolean small = true;
        for (RdbValue.FieldValue fv : h.entries()) {
          if (fv.field().length > opt.hashMaxListpackValue
              || fv.value().length > opt.hashMaxListpackValue) {
            small = false;
            break;
          }
        }
        if (small) {
          return Rdb.TYPE_HASH_LISTPACK;
        }
      }
      return Rdb.TYPE_HASH;
    } else {
      RdbValue.ZSetValue z = (RdbValue.ZSetValue) value;
      nonEmpty(z.entries().size(), "zset");
      if (z.entries().size() <= opt.zsetMaxListpackEntries) {
        boolean small = true;
        for (RdbValue.ScoredMember sm : z.entries()) {
          if (sm.member().length > opt.zsetMaxListpackValue) {
            small = false;
            break;
          }
        }
        if (small) {
          return Rdb.TYPE_ZSET_LISTPACK;
        }
      }
      return Rdb.TYPE_ZSET_2;
    }
  }

  private static void nonEmpty(int n, String what) {
    if (n == 0) {
      throw new IllegalArgumentException("an empty " + what + " cannot be saved");
    }
  }

  /** Writes a value body in the encoding of {@code type} (from {@link #typeFor}). */
  void writeValue(int type, RdbValue value) throws IOException {
    switch (type) {
      case Rdb.TYPE_STRING -> writeString(((RdbValue.Str) value).value());
      case Rdb.TYPE_LIST_QUICKLIST_2 -> writeQuicklist(((RdbValue.ListValue) value).elements());
      case Rdb.TYPE_SET_INTSET -> {
        List<byte[]> ms = ((RdbValue.SetValue) value).members();
        long[] vs = new long[ms.size()];
        for (int i = 0; i < vs.length; i++) {
          byte[] m = ms.get(i);
          vs[i] = Numbers.toLong(m);
        }
        Arrays.sort(vs);
        writeString(Intset.encode(vs));
      }
      case Rdb.TYPE_SET -> {
        List<byte[]> ms = ((RdbValue.SetValue) value).members();
        writeLength(ms.size());
        for (byte[] m : ms) {
          writeString(m);
        }
      }
      case Rdb.TYPE_HASH_LISTPACK -> {
        Listpack.Builder lp = new Listpack.Builder();
        for (RdbValue.FieldValue fv : ((RdbValue.HashValue) value).entries()) {
          lp.add(fv.field());
          lp.add(fv.value());
        }
        writeString(lp.build());
      }
      case Rdb.TYPE_HASH -> {
        List<RdbValue.FieldValue> es = ((RdbValue.HashValue) value).entries();
        writeLength(es.size());
        for (RdbValue.FieldValue fv : es) {
          writeString(fv.field());
          writeString(fv.value());
        }
      }
      case Rdb.TYPE_ZSET_LISTPACK -> {
        List<RdbValue.ScoredMember> es = new ArrayList<>(((RdbValue.ZSetValue) value).entries());
        es.sort(ZSET_ORDER);
        Listpack.Builder lp = new Listpack.Builder();
        for (RdbValue.ScoredMember sm : es) {
          lp.add(sm.member());
          lp.add(Rdb.doubleText(sm.score()));
        }
        writeString(lp.build());
      }
      case Rdb.TYPE_ZSET_2 -> {
        List<RdbValue.ScoredMember> es = ((RdbValue.ZSetValue) value).entries();
        writeLength(es.size());
        for (int i = es.size() - 1; i >= 0; i--) { // tail first, as Redis does
          RdbValue.ScoredMember sm = es.get(i);
          writeString(sm.member());
          long bits = Double.doubleToLongBits(sm.score());
          for (int k = 0; k < 8; k++) {
            b((int) (bits >>> (8 * k)));
          }
        }
      }
      default -> throw new IllegalArgumentException("cannot write type " + type);
    }
  }

  /** Sorted set order: score, then member bytes (unsigned). */
  static final Comparator<RdbValue.ScoredMember> ZSET_ORDER = (a, b) -> {
    int c = Double.compare(a.score(), b.score());
    if (a.score() == b.score()) {
      c = 0; // -0.0 == 0.0 for ordering
    }
    return c != 0 ? c : Arrays.compareUnsigned(a.member(), b.member());
  };

  private void writeQuicklist(List<byte[]> elements) throws IOException {
    List<byte[]> nodes = new ArrayList<>();
    List<Integer> kinds = new ArrayList<>();
    Listpack.Builder cur = null;
    int fill = opt.listMaxListpackSize;
    for (byte[] e : elements) {
      if (e.length >= opt.listPackedThreshold) {
        if (cur != null) {
          nodes.add(cur.build());
          kinds.add(Rdb.QUICKLIST_NODE_PACKED);
          cur = null;
        }
        nodes.add(e);
        kinds.add(Rdb.QUICKLIST_NODE_PLAIN);
        continue;
      }
      if (cur != null) {
        long newSize = cur.bytes() + Listpack.entrySize(e);
        boolean fits;
        if (fill < 0) {
          fits = newSize <= FILL_BYTES[Math.min(-fill, FILL_BYTES.length) - 1];
        } else {
          fits = newSize <= SIZE_SAFETY_LIMIT && cur.count() < fill;
        }
        if (!fits) {
          nodes.add(cur.build());
          kinds.add(Rdb.QUICKLIST_NODE_PACKED);
          cur = null;
        }
      }
      if (cur == null) {
        cur = new Listpack.Builder();
      }
      cur.add(e);
    }
    if (cur != null) {
      nodes.add(cur.build());
      kinds.add(Rdb.QUICKLIST_NODE_PACKED);
    }
    writeLength(nodes.size());
    for (int i = 0; i < nodes.size(); i++) {
      writeLength(kinds.get(i));
      writeString(nodes.get(i));
    }
  }

  // ---- primitives ----

  /** Writes a length in RDB's 6/14/32/64-bit encoding. */
  void writeLength(long len) throws IOException {
    if (len < 0) {
      throw new IllegalArgumentException("negative length " + len);
    }
    if (len < (1 << 6)) {
      b((int) len);
    } else if (len < (1 << 14)) {
      b(0x40 | (int) (len >>> 8));
      b((int) len);
    } else if (len <= 0xFFFFFFFFL) {
      b(0x80);
      for (int i = 3; i >= 0; i--) {
        b((int) (len >>> (8 * i)));
      }
    } else {
      b(0x81);
      for (int i = 7; i >= 0; i--) {
        b((int) (len >>> (8 * i)));
      }
    }
  }

  /** Writes a string as Redis's rdbSaveRawString does (int, LZF or raw). */
  void writeString(byte[] s) throws IOException {
    int len = s.length;
    if (len <= 11) {
      long v = Numbers.parseLong(s); // NOT_A_LONG is out of the int range too
      if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
        if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) {
          b(0xC0 | Rdb.ENC_INT8);
          b((int) v);
        } else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
          b(0xC0 | Rdb.ENC_INT16);
          b((int) v);
          b((int) (v >>> 8));
        } else {
          b(0xC0 | Rdb.ENC_INT32);
          for (int i = 0; i < 4; i++) {
            b((int) (v >>> (8 * i)));
          }
        }
        return;
      }
    }
    if (opt.compression && len > 20) {
      byte[] c = new byte[len - 4];
      int clen = Lzf.compress(s, 0, len, c, 0, len - 4);
      if (clen > 0) {
        b(0xC0 | Rdb.ENC_LZF);
        writeLength(clen);
        writeLength(len);
        raw(c, 0, clen);
        return;
      }
    }
    writeLength(len);
    raw(s);
  }

  private void b(int v) throws IOException {
    if (pos == buf.length) {
      flushBuffer();
    }
    buf[pos++] = (byte) v;
  }

  private void raw(byte[] s) throws IOException {
    raw(s, 0, s.length);
  }

  private void raw(byte[] s, int off, int len) throws IOException {
    if (len > buf.length - pos) {
      flushBuffer();
      if (len > buf.length / 2) {
        crc = Crc64.update(crc, s, off, len);
        written += len;
        out.write(s, off, len);
        return;
      }
    }
    System.arraycopy(s, off, buf, pos, len);
    pos += len;
  }

  private void flushBuffer() throws IOException {
    if (pos > 0) {
      crc = Crc64.update(crc, buf, 0, pos);
      written += pos;
      out.write(buf, 0, pos);
      pos = 0;
    }
  }
}
