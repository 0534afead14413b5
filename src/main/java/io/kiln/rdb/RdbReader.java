package io.kiln.rdb;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Streaming reader of RDB files, versions 1 to 11, from a stream or an array: calls a
 * {@link Visitor} for aux fields, SELECTDB, RESIZEDB and each key (in the simple forms of
 * {@link RdbValue}), tracks the byte offset, and verifies the CRC-64 trailer when present and
 * non-zero. Reads every encoding Redis ever wrote for strings, lists, sets, hashes and sorted
 * sets; refuses functions, modules and streams with an error naming them. Every problem is an
 * {@link RdbException} naming the offset; nothing is returned partially without one. Compact
 * blobs (ziplist, listpack, intset, zipmap) are fully validated; sets, hashes and sorted sets are
 * checked for duplicates.
 * Empty collections are skipped, as Redis 7.0 does, and reported to
 * {@link Visitor#emptyKeySkipped}.
 *
 * <p>Reads a stream ahead in blocks of {@link #BLOCK} bytes (no need for a
 * BufferedInputStream; the stream is left read past the RDB's end), or an array in place, and
 * computes the CRC over each block once consumed, not per field.
 *
 * <p>Owned by one thread (the loader thread, or the worker running {@link RdbCheck});
 * not thread-safe.
 */
public final class RdbReader {

  /** Receives what the file holds, in file order. Called on the reader's thread. */
  public interface Visitor {
    default void start(int version) throws RdbException {}

    default void aux(byte[] key, byte[] value) throws RdbException {}

    default void selectDb(int db) throws RdbException {}

    /** RESIZEDB: the key and expiry counts of database {@code db} (the one last selected). */
    default void resizeDb(int db, long dbSize, long expiresSize) throws RdbException {}

    /**
     * A function library (opcode FUNCTION2, or the FUNCTION of Redis 7.0's release candidates,
     * made the same "#!ENGINE name=LIB" code): its code, as FUNCTION LOAD takes it.
     */
    default void function(byte[] code) throws RdbException {}

    /** Module aux data that was skipped (only when {@link #skipModuleAux} is on). */
    default void moduleAux(String moduleName, long when) throws RdbException {}

    void key(KeyEntry entry) throws RdbException;

    /** An empty collection, skipped as Redis 7.0 skips it. */
    default void emptyKeySkipped(int db, byte[] key, int rdbType) throws RdbException {}

    /** EOF reached; {@code checksumVerified} false when the file has none or a zero one. */
    default void eof(boolean checksumVerified) throws RdbException {}
  }

  /**
   * One key: its database, name, value, the RDB type code it was stored with, expire in Unix ms
   * (-1 for none), LRU idle seconds (-1 when absent) and LFU counter (-1 when absent).
   */
  public record KeyEntry(int db, byte[] key, RdbValue value, int rdbType, long expireMs,
      long idleSeconds, int freq) {}

  private static final int CHUNK = 1 << 20;
  /** Up to this many items, a collection is checked for duplicates by comparing every pair. */
  private static final int PAIRWISE_MAX = 16;

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
  private int version;
  private boolean skipModuleAux;
  private String doing = "start";
  private byte[] currentKey;
  private int currentType = -1;

  private long lenVal;
  private boolean lenEncoded;

  public RdbReader(InputStream in) {
    this.in = in;
    this.buf = new byte[BLOCK];
  }

  /** A reader of {@code data[0, length)} (a DUMP payload), read in place. */
  public RdbReader(byte[] data, int length) {
    this.in = null;
    this.buf = data;
    this.limit = length;
  }

  /**
   * Skips module aux data (opcode 247) instead of refusing it, as redis-check-rdb does. Off by
   * default: a loader without the module cannot honour that data.
   */
  public RdbReader skipModuleAux(boolean on) {
    this.skipModuleAux = on;
    return this;
  }

  /** Bytes consumed so far. */
  public long offset() {
    return offset;
  }

  /** The RDB version from the header (0 before it is read). */
  public int version() {
    return version;
  }

  /** What the reader was doing (redis-check-rdb's words: read-type, read-object-value, ...). */
  public String doing() {
    return doing;
  }

  /** The key being read, or null. */
  public byte[] currentKey() {
    return currentKey;
  }

  /** The value type being read, or -1. */
  public int currentType() {
    return currentType;
  }

  /** Reads the whole file. */
  public void read(Visitor v) throws RdbException {
    doing = "check-header";
    byte[] header = readBytes(9, "the RDB header");
    String h = new String(header, StandardCharsets.ISO_8859_1);
    if (!h.startsWith("REDIS")) {
      throw fail("Wrong signature trying to load DB from file");
    }
    int ver;
    try {
      ver = Integer.parseInt(h.substring(5));
    } catch (NumberFormatException e) {
      throw fail("Wrong signature trying to load DB from file");
    }
    if (ver < 1 || ver > Rdb.MAX_READ_VERSION) {
      throw fail("Can't handle RDB format version " + ver);
    }
    version = ver;
    v.start(ver);
    int db = 0;
    long expire = -1;
    long idle = -1;
    int freq = -1;
    while (true) {
      doing = "read-type";
      currentKey = null;
      currentType = -1;
      int type = readByte("an opcode or value type");
      switch (type) {
        case Rdb.OPCODE_EXPIRETIME -> {
          doing = "read-expire";
          expire = (int) le(readBytes(4, "an expire time"), 4) * 1000L;
          continue;
        }
        case Rdb.OPCODE_EXPIRETIME_MS -> {
          doing = "read-expire";
          expire = le(readBytes(8, "an expire time"), 8);
          continue;
        }
        case Rdb.OPCODE_FREQ -> {
          doing = "read-freq";
          freq = readByte("an LFU frequency");
          continue;
        }
        case Rdb.OPCODE_IDLE -> {
          doing = "read-idle";
          idle = readLength("an LRU idle time");
          continue;
        }
        case Rdb.OPCODE_EOF -> { }
        case Rdb.OPCODE_SELECTDB -> {
          doing = "select-db";
          long id = readLength("a database number");
          if (id > Integer.MAX_VALUE) {
            throw fail("Invalid database number " + id);
          }
          db = (int) id;
          v.selectDb(db);
          continue;
        }
        case Rdb.OPCODE_RESIZEDB -> {
          doing = "resize-db";
          long size = readLength("a database size");
          long expires = readLength("an expires size");
          v.resizeDb(db, size, expires);
          continue;
        }
        case Rdb.OPCODE_AUX -> {
          doing = "read-aux";
          byte[] k = readString("an aux field name");
          byte[] val = readString("an aux field value");
          v.aux(k, val);
          continue;
        }
        case Rdb.OPCODE_MODULE_AUX -> {
          doing = "read-module-aux";
          long id = readLength("a module id");
          String name = moduleName(id);
          if (!skipModuleAux) {
            throw fail("The RDB file contains AUX module data for module '" + name
                + "' that Kiln cannot load (no modules)");
          }
          long whenOp = readLength("a module when opcode");
          long when = readLength("a module when value");
          if (whenOp != 2) {
            throw fail("bad when_opcode " + whenOp + " in module aux data");
          }
          skipModuleValue();
          v.moduleAux(name, when);
          continue;
        }
        case Rdb.OPCODE_FUNCTION, Rdb.OPCODE_FUNCTION2 -> {
          doing = "read-functions";
          v.function(readFunction(type));
          continue;
        }
        default -> {
          doing = "read-key";
          currentType = type;
          checkObjectType(type);
          byte[] key = readString("a key");
          currentKey = key;
          doing = "read-object-value";
          RdbValue value = readValue(type, key);
          if (value == null) {
            v.emptyKeySkipped(db, key, type);
          } else {
            v.key(new KeyEntry(db, key, value, type, expire, idle, freq));
          }
          expire = -1;
          idle = -1;
          freq = -1;
          continue;
        }
      }
      break; // EOF
    }
    doing = "check-sum";
    currentKey = null;
    currentType = -1;
    boolean verified = false;
    if (version >= 5) {
      long expected = crc();
      long got = le(readBytes(8, "the CRC-64 checksum"), 8);
      if (got != 0) {
        if (got != expected) {
          throw fail("Wrong RDB checksum expected: (" + Long.toHexString(expected) + ") got: ("
              + Long.toHexString(got) + ")");
        }
        verified = true;
      }
    }
    v.eof(verified);
  }

  /**
   * The body of a function record of opcode {@code type}: FUNCTION2's library code, or the
   * name, engine, optional description and code of the release candidates' FUNCTION, made the
   * code it stands for ("#!ENGINE name=NAME\n" then the code, the description dropped), as
   * Redis loads it.
   */
  byte[] readFunction(int type) throws RdbException {
    return readFunction(type, false);
  }

  /** {@code redisTexts}: a record that does not read fails with Redis's words for the part. */
  byte[] readFunction(int type, boolean redisTexts) throws RdbException {
    if (type == Rdb.OPCODE_FUNCTION2) {
      return functionPart("Failed loading library payload", redisTexts);
    }
    byte[] name = functionPart("Failed loading library name", redisTexts);
    byte[] engine = functionPart("Failed loading engine name", redisTexts);
    long hasDescription;
    try {
      hasDescription = readLength("a function library's description indicator");
    } catch (RdbException e) {
      throw redisTexts ? new RdbException("Failed loading library description indicator") : e;
    }
    if (hasDescription != 0) {
      functionPart("Failed loading library description", redisTexts);
    }
    byte[] blob = functionPart("Failed loading library blob", redisTexts);
    byte[] head = ("#!" + new String(engine, StandardCharsets.ISO_8859_1) + " name="
        + new String(name, StandardCharsets.ISO_8859_1) + "\n")
        .getBytes(StandardCharsets.ISO_8859_1);
    byte[] code = Arrays.copyOf(head, head.length + blob.length);
    System.arraycopy(blob, 0, code, head.length, blob.length);
    return code;
  }

  private byte[] functionPart(String redisText, boolean redisTexts) throws RdbException {
    try {
      return readString("a function library (" + redisText.substring(15) + ")");
    } catch (RdbException e) {
      throw redisTexts ? new RdbException(redisText) : e;
    }
  }

  /** One opcode byte of a FUNCTION DUMP payload. */
  int readType() throws RdbException {
    return readByte("a data type");
  }

  /** Reads one type byte and value of a DUMP payload (without footer). */
  RdbValue readDumpValue() throws RdbException {
    version = Rdb.VERSION;
    doing = "read-type";
    int type = readByte("a value type");
    checkObjectType(type);
    currentType = type;
    doing = "read-object-value";
    return readValue(type, new byte[0]);
  }

  private void checkObjectType(int type) throws RdbException {
    boolean ok = type <= Rdb.TYPE_ZSET_2 || (type >= Rdb.TYPE_HASH_ZIPMAP
        && type <= Rdb.TYPE_SET_LISTPACK) || type == Rdb.TYPE_MODULE_PRE_GA
        || type == Rdb.TYPE_MODULE_2 || type == Rdb.TYPE_STREAM_LISTPACKS_3;
    if (!ok) {
      throw fail("Unknown RDB encoding type " + type);
    }
  }

  // ---- values ----

  private RdbValue readValue(int type, byte[] key) throws RdbException {
    switch (type) {
      case Rdb.TYPE_STRING -> {
        return new RdbValue.Str(readString("a string value"));
      }
      case Rdb.TYPE_LIST -> {
        long n = readCount("a list length");
        List<byte[]> l = new ArrayList<>(cap(n));
        for (long i = 0; i < n; i++) {
          l.add(readString("a list element"));
        }
        return l.isEmpty() ? null : new RdbValue.ListValue(l);
      }
      case Rdb.TYPE_SET -> {
        long n = readCount("a set size");
        List<byte[]> l = new ArrayList<>(cap(n));
        for (long i = 0; i < n; i++) {
          l.add(readString("a set member"));
        }
        noDuplicates(l, 1, "Duplicate set members detected");
        return l.isEmpty() ? null : new RdbValue.SetValue(l);
      }
      case Rdb.TYPE_ZSET, Rdb.TYPE_ZSET_2 -> {
        long n = readCount("a sorted set size");
        List<RdbValue.ScoredMember> l = new ArrayList<>(cap(n));
        List<byte[]> members = new ArrayList<>(cap(n));
        for (long i = 0; i < n; i++) {
          byte[] m = readString("a sorted set member");
          double score = type == Rdb.TYPE_ZSET ? readDoubleText() : readBinaryDouble();
          if (Double.isNaN(score)) {
            throw fail("Zset with NAN score detected");
          }
          members.add(m);
          l.add(new RdbValue.ScoredMember(m, score));
        }
        noDuplicates(members, 1, "Duplicate zset fields detected");
        return l.isEmpty() ? null : new RdbValue.ZSetValue(l);
      }
      case Rdb.TYPE_HASH -> {
        long n = readCount("a hash size");
        List<RdbValue.FieldValue> l = new ArrayList<>(cap(n));
        List<byte[]> fields = new ArrayList<>(cap(n));
        for (long i = 0; i < n; i++) {
          byte[] f = readString("a hash field");
          byte[] val = readString("a hash value");
          fields.add(f);
          l.add(new RdbValue.FieldValue(f, val));
        }
        noDuplicates(fields, 1, "Duplicate hash fields detected");
        return l.isEmpty() ? null : new RdbValue.HashValue(l);
      }
      case Rdb.TYPE_HASH_ZIPMAP -> {
        byte[] blob = readString("a zipmap");
        List<RdbValue.FieldValue> l;
        try {
          l = Zipmap.decode(blob);
        } catch (RdbException e) {
          throw corrupt("Zipmap", key, e);
        }
        List<byte[]> fields = new ArrayList<>(l.size());
        for (RdbValue.FieldValue fv : l) {
          fields.add(fv.field());
        }
        noDuplicates(fields, 1, "Duplicate hash fields detected");
        return l.isEmpty() ? null : new RdbValue.HashValue(l);
      }
      case Rdb.TYPE_LIST_ZIPLIST -> {
        List<byte[]> l = ziplist(readString("a ziplist"), key);
        return l.isEmpty() ? null : new RdbValue.ListValue(l);
      }
      case Rdb.TYPE_SET_INTSET -> {
        byte[] blob = readString("an intset");
        List<byte[]> l;
        try {
          l = Intset.decode(blob);
        } catch (RdbException e) {
          throw corrupt("Intset", key, e);
        }
        return l.isEmpty() ? null : new RdbValue.SetValue(l);
      }
      case Rdb.TYPE_SET_LISTPACK -> {
        List<byte[]> l = listpack(readString("a listpack"), key);
        noDuplicates(l, 1, "Duplicate set members detected");
        return l.isEmpty() ? null : new RdbValue.SetValue(l);
      }
      case Rdb.TYPE_ZSET_ZIPLIST, Rdb.TYPE_ZSET_LISTPACK -> {
        List<byte[]> flat = type == Rdb.TYPE_ZSET_ZIPLIST
            ? ziplist(readString("a ziplist"), key) : listpack(readString("a listpack"), key);
        return zsetFromFlat(flat, key);
      }
      case Rdb.TYPE_HASH_ZIPLIST, Rdb.TYPE_HASH_LISTPACK -> {
        List<byte[]> flat = type == Rdb.TYPE_HASH_ZIPLIST
            ? ziplist(readString("a ziplist"), key) : listpack(readString("a listpack"), key);
        if (flat.size() % 2 != 0) {
          throw fail("Corrupt hash value for key '" + Rdb.str(key) + "': odd number of entries");
        }
        noDuplicates(flat, 2, "Duplicate hash fields detected");
        List<RdbValue.FieldValue> l = new ArrayList<>(flat.size() / 2);
        for (int i = 0; i < flat.size(); i += 2) {
          l.add(new RdbValue.FieldValue(flat.get(i), flat.get(i + 1)));
        }
        return l.isEmpty() ? null : new RdbValue.HashValue(l);
      }
      case Rdb.TYPE_LIST_QUICKLIST, Rdb.TYPE_LIST_QUICKLIST_2 -> {
        long nodes = readCount("a quicklist node count");
        List<byte[]> l = new ArrayList<>();
        for (long i = 0; i < nodes; i++) {
          int container = Rdb.QUICKLIST_NODE_PACKED;
          if (type == Rdb.TYPE_LIST_QUICKLIST_2) {
            long c = readLength("a quicklist node container");
            if (c != Rdb.QUICKLIST_NODE_PLAIN && c != Rdb.QUICKLIST_NODE_PACKED) {
              throw fail("Quicklist integrity check failed: unknown node container " + c
                  + " for key '" + Rdb.str(key) + "'");
            }
            container = (int) c;
          }
          byte[] blob = readString("a quicklist node");
          if (container == Rdb.QUICKLIST_NODE_PLAIN) {
            l.add(blob);
          } else if (type == Rdb.TYPE_LIST_QUICKLIST) {
            l.addAll(ziplist(blob, key));
          } else {
            l.addAll(listpack(blob, key));
          }
        }
        return l.isEmpty() ? null : new RdbValue.ListValue(l);
      }
      case Rdb.TYPE_MODULE_PRE_GA, Rdb.TYPE_MODULE_2 -> throw fail("The RDB file contains a "
          + "module value (type " + type + ") for key '" + Rdb.str(key)
          + "', which Kiln cannot load (no modules)");
      case Rdb.TYPE_STREAM_LISTPACKS, Rdb.TYPE_STREAM_LISTPACKS_2,
          Rdb.TYPE_STREAM_LISTPACKS_3 -> throw fail("The RDB file contains a stream (type "
          + type + ") for key '" + Rdb.str(key) + "', which Kiln does not support yet");
      default -> throw fail("Unknown RDB encoding type " + type);
    }
  }

  private RdbValue zsetFromFlat(List<byte[]> flat, byte[] key) throws RdbException {
    if (flat.size() % 2 != 0) {
      throw fail("Corrupt zset value for key '" + Rdb.str(key) + "': odd number of entries");
    }
    noDuplicates(flat, 2, "Duplicate zset fields detected");
    List<RdbValue.ScoredMember> l = new ArrayList<>(flat.size() / 2);
    for (int i = 0; i < flat.size(); i += 2) {
      double score;
      try {
        score = Rdb.parseDoubleText(Rdb.str(flat.get(i + 1)));
      } catch (NumberFormatException e) {
        throw fail("Corrupt zset value for key '" + Rdb.str(key) + "': bad score '"
            + Rdb.str(flat.get(i + 1)) + "'");
      }
      if (Double.isNaN(score)) {
        throw fail("Zset with NAN score detected");
      }
      l.add(new RdbValue.ScoredMember(flat.get(i), score));
    }
    return l.isEmpty() ? null : new RdbValue.ZSetValue(l);
  }

  private List<byte[]> ziplist(byte[] blob, byte[] key) throws RdbException {
    try {
      return Ziplist.decode(blob);
    } catch (RdbException e) {
      throw corrupt("Ziplist", key, e);
    }
  }

  private List<byte[]> listpack(byte[] blob, byte[] key) throws RdbException {
    try {
      return Listpack.decode(blob);
    } catch (RdbException e) {
      throw corrupt("Listpack", key, e);
    }
  }

  private RdbException corrupt(String what, byte[] key, RdbException e) {
    return new RdbException(what + " integrity check failed for key '" + Rdb.str(key)
        + "' at offset " + offset + ": " + e.getMessage(), offset, e);
  }

  private void noDuplicates(List<byte[]> items, int step, String message) throws RdbException {
    int n = items.size() / step;
    if (n < 2) {
      return;
    }
    if (n <= PAIRWISE_MAX) { // the usual small collection: cheaper than hashing every item
      for (int i = step; i < items.size(); i += step) {
        for (int j = 0; j < i; j += step) {
          if (Arrays.equals(items.get(i), items.get(j))) {
            throw duplicate(message);
          }
        }
      }
      return;
    }
    Set<ByteBuffer> seen = new HashSet<>(n * 2);
    for (int i = 0; i < items.size(); i += step) {
      if (!seen.add(ByteBuffer.wrap(items.get(i)))) {
        throw duplicate(message);
      }
    }
  }

  private RdbException duplicate(String message) {
    return fail(message + " in key '" + Rdb.str(currentKey == null ? new byte[0] : currentKey)
        + "'");
  }

  private static int cap(long n) {
    return (int) Math.min(n, 1024);
  }

  private double readDoubleText() throws RdbException {
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

  private double readBinaryDouble() throws RdbException {
    return Double.longBitsToDouble(le(readBytes(8, "a binary score"), 8));
  }

  private void skipModuleValue() throws RdbException {
    while (true) {
      long op = readLength("a module opcode");
      switch ((int) op) {
        case 0 -> {
          return;
        }
        case 1, 2 -> readLength("a module integer");
        case 3 -> readBytes(4, "a module float");
        case 4 -> readBytes(8, "a module double");
        case 5 -> readString("a module string");
        default -> throw fail("Unknown module opcode " + op);
      }
    }
  }

  private static String moduleName(long id) {
    String charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char[] name = new char[9];
    long bits = id >>> 10;
    for (int i = 8; i >= 0; i--) {
      name[i] = charset.charAt((int) (bits & 63));
      bits >>>= 6;
    }
    return new String(name);
  }

  // ---- primitives ----

  private RdbException fail(String message) {
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

  private long readLength(String what) throws RdbException {
    readLenRaw(what);
    if (lenEncoded) {
      throw fail("Unexpected string encoding where " + what + " was expected");
    }
    return lenVal;
  }

  private long readCount(String what) throws RdbException {
    long n = readLength(what);
    if (n > Integer.MAX_VALUE - 16) {
      throw fail("Length " + n + " for " + what + " is too large");
    }
    return n;
  }

  /** Reads an RDB string (raw, integer or LZF encoded). */
  private byte[] readString(String what) throws RdbException {
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

  private int readByte(String what) throws RdbException {
    if (pos == limit && !readAhead()) {
      throw eof(1, what);
    }
    offset++;
    return buf[pos++] & 0xff;
  }

  /** The CRC of every byte consumed so far. */
  private long crc() {
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

  private byte[] readBytes(long len, String what) throws RdbException {
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

  private static long le(byte[] b, int n) {
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
}
