package io.kiln.rdb;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The byte level of an RDB file or DUMP payload: single bytes, lengths, strings (raw, integer or
 * LZF encoded), scores, the offset consumed and the CRC-64 of it. Reads a stream ahead in blocks
 * of {@link #BLOCK} bytes (no need for a BufferedInputStream; the stream is left read past the
 * RDB's end), or an array in place, and computes the CRC over each block once consumed, not per
 * field. Every problem is an {@link RdbException} naming the offset.
 *
 * <p>Owned by the thread of the {@link RdbReader} it is part of; not thread-safe.
 */
abstract class RdbInput {
  private static final int CHUNK = 1 << 20;

  /** Bytes read ahead from the stream at a time. */
  static final int BLOCK = 1 << 16;

  private final InputStream in;
  private final byte[] buf;
  /** buf[pos, limit) is read ahead and not consumed yet. */
  private int pos;
  private int limit;
  /** buf[crcFrom, pos) is consumed but not yet in {@link #crc}. */
  private int crcFrom;
  private long offset;
  private long crc;
  /** The last length read by {@link #readLenRaw}, and whether it was a string encoding. */
  private long lenVal;
  private boolean lenEncoded;

  RdbInput(InputStream in) {
    this.in = in;
    this.buf = new byte[BLOCK];
  }

  RdbInput(byte[] data, int length) {
    this.in = null;
    this.buf = data;
    this.limit = length;
  }

  /** Bytes consumed so far. */
  public long offset() {
    return offset;
  }

  RdbException fail(String message) {
    return new RdbException(message + " (at offset " + offset + ")", offset);
  }

  private void readLenRaw(String what) throws RdbException {
    int b = readByte(what);
    lenEncoded = false;
    switch (b >>> 6) {
      case 0 -> lenVal = b & 0x3f;
      case 1 -> lenVal = ((b & 0x3f) << 8) | readByte(what);
      case 2 -> {
        if (b == 0x80) {
          lenVal = be(readBytes(4, what), 4);
        } else if (b == 0x81) {
          lenVal = be(readBytes(8, what), 8);
          if (lenVal < 0) {
            throw fail("Invalid length " + Long.toUnsignedString(lenVal) + " for " + what);
          }
        } else {
          throw fail("Unknown length encoding " + b + " in rdbLoadLen() for " + what);
        }
      }
      default -> {
        lenEncoded = true;
        lenVal = b & 0x3f;
      }
    }
  }

  long readLength(String what) throws RdbException {
    readLenRaw(what);
    if (lenEncoded) {
      throw fail("Unexpected string encoding where " + what + " was expected");
    }
    return lenVal;
  }

  long readCount(String what) throws RdbException {
    long n = readLength(what);
    if (n > Integer.MAX_VALUE - 16) {
      throw fail("Length " + n + " for " + what + " is too large");
    }
    return n;
  }

  /** Reads an RDB string (raw, integer or LZF encoded). */
  byte[] readString(String what) throws RdbException {
    readLenRaw(what);
    if (!lenEncoded) {
      return readBytes(lenVal, "a string");
    }
    switch ((int) lenVal) {
      case Rdb.ENC_INT8 -> {
        return Rdb.ascii((byte) readByte("an 8-bit integer string"));
      }
      case Rdb.ENC_INT16 -> {
        return Rdb.ascii((short) le(readBytes(2, "a 16-bit integer string"), 2));
      }
      case Rdb.ENC_INT32 -> {
        return Rdb.ascii((int) le(readBytes(4, "a 32-bit integer string"), 4));
      }
      case Rdb.ENC_LZF -> {
        long clen = readLength("a compressed string length");
        long ulen = readLength("an uncompressed string length");
        if (clen == 0 || ulen > clen * 88 || ulen > Integer.MAX_VALUE - 16) {
          throw fail("Invalid LZF compressed string (compressed " + clen + ", uncompressed "
              + ulen + " bytes)");
        }
        byte[] c = readBytes(clen, "an LZF compressed string");
        try {
          return Lzf.decompress(c, 0, c.length, (int) ulen);
        } catch (Lzf.LzfException e) {
          throw fail("Invalid LZF compressed string: " + e.getMessage());
        }
      }
      default -> throw fail("Unknown RDB string encoding type " + lenVal);
    }
  }

  int readByte(String what) throws RdbException {
    if (pos == limit && !readAhead()) {
      throw eof(1, what);
    }
    offset++;
    return buf[pos++] & 0xff;
  }

  /** The CRC of every byte consumed so far. */
  long crc() {
    crc = Crc64.update(crc, buf, crcFrom, pos - crcFrom);
    crcFrom = pos;
    return crc;
  }

  /** Replaces the consumed block with the next one; false at the stream's end. */
  private boolean readAhead() throws RdbException {
    crc();
    if (in == null) {
      return false;
    }
    int r;
    try {
      r = in.read(buf, 0, BLOCK);
    } catch (IOException e) {
      throw new RdbException("I/O error reading RDB file at offset " + offset + ": "
          + e.getMessage(), offset, e);
    }
    pos = 0;
    crcFrom = 0;
    limit = Math.max(r, 0);
    return r > 0;
  }

  byte[] readBytes(long len, String what) throws RdbException {
    if (len > Integer.MAX_VALUE - 16) {
      throw fail("Length " + len + " for " + what + " is too large");
    }
    int n = (int) len;
    if (n <= CHUNK) {
      byte[] b = new byte[n];
      fill(b, 0, n, n, what);
      return b;
    }
    // Large: read in chunks so a bogus length in a truncated file fails on EOF, not on memory.
    List<byte[]> parts = new ArrayList<>();
    int left = n;
    int done = 0;
    while (left > 0) {
      int k = Math.min(left, CHUNK);
      byte[] p = new byte[k];
      fill(p, 0, k, n - done, what);
      parts.add(p);
      left -= k;
      done += k;
    }
    byte[] b = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, b, at, p.length);
      at += p.length;
    }
    return b;
  }

  private void fill(byte[] b, int off, int n, int remainingTotal, String what)
      throws RdbException {
    int got = 0;
    while (got < n) {
      if (pos == limit && !readAhead()) {
        throw eof(remainingTotal - got, what);
      }
      int k = Math.min(n - got, limit - pos);
      System.arraycopy(buf, pos, b, off + got, k);
      pos += k;
      offset += k;
      got += k;
    }
  }

  private RdbException eof(long missing, String what) {
    return new RdbException("Unexpected EOF reading RDB file at offset " + offset + " (expected "
        + missing + " more byte" + (missing == 1 ? "" : "s") + " for " + what + ")", offset);
  }

  static long le(byte[] b, int n) {
    long v = 0;
    for (int i = n - 1; i >= 0; i--) {
      v = (v << 8) | (b[i] & 0xff);
    }
    return v;
  }

  private static long be(byte[] b, int n) {
    long v = 0;
    for (int i = 0; i < n; i++) {
      v = (v << 8) | (b[i] & 0xff);
    }
    return v;
  }

  double readDoubleText() throws RdbException {
    int len = readByte("a score length");
    switch (len) {
      case 253 -> {
        return Double.NaN;
      }
      case 254 -> {
        return Double.POSITIVE_INFINITY;
      }
      case 255 -> {
        return Double.NEGATIVE_INFINITY;
      }
      default -> {
        String s = new String(readBytes(len, "a score"), StandardCharsets.ISO_8859_1);
        try {
          return Rdb.parseDoubleText(s);
        } catch (NumberFormatException e) {
          throw fail("Invalid score '" + s + "'");
        }
      }
    }
  }

  double readBinaryDouble() throws RdbException {
    return Double.longBitsToDouble(le(readBytes(8, "a binary score"), 8));
  }
}
