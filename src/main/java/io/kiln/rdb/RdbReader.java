package io.kiln.rdb;

import io.kiln.resp.Errors;
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
 * {@link RdbException} naming the offset; nothing is returned partially without one. Every entry
 * of a compact blob (ziplist, listpack, intset, zipmap) is read within its bounds, and sets,
 * hashes and sorted sets are checked for duplicates. Ziplists and zipmaps are validated in full,
 * as Redis 7.0 does when it converts them; listpacks and intsets in full only under
 * {@link #deepSanitization} (sanitize-dump-payload), else their redundant parts (back-lengths,
 * counts, intset order) are left unread, as Redis's shallow check leaves them. Integrity
 * failures carry Redis's wording ("Hash ziplist integrity check failed", "Hash listpack with dup
 * elements", ...).
 * Empty collections are skipped, as Redis 7.0 does, and reported to
 * {@link Visitor#emptyKeySkipped}.
 *
 * <p>The bytes, lengths and strings come from {@link RdbInput}.
 *
 * <p>Owned by one thread (the loader thread, or the worker running {@link RdbCheck});
 * not thread-safe.
 */
public final class RdbReader extends RdbInput {

  /** The CRC-64 trailer is not the checksum of the bytes before it: Redis's "RDB CRC error". */
  public static final class ChecksumMismatch extends RdbException {
    private static final long serialVersionUID = 1L;
    private final long expected;
    private final long got;

    ChecksumMismatch(long expected, long got, long offset) {
      super("RDB CRC error: the file's checksum is " + Long.toHexString(got) + ", its bytes' "
          + Long.toHexString(expected) + " (at offset " + offset + ")", offset);
      this.expected = expected;
      this.got = got;
    }

    /** The checksum of the bytes read. */
    public long expected() {
      return expected;
    }

    /** The checksum the file holds. */
    public long got() {
      return got;
    }
  }

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

  /** Up to this many items, a collection is checked for duplicates by comparing every pair. */
  private static final int PAIRWISE_MAX = 16;

  private int version;
  private boolean skipModuleAux;
  private String doing = "start";
  private byte[] currentKey;
  private int currentType = -1;

  private boolean deep = true;
  private boolean checkCrc = true;
  private long sanitizations;

  public RdbReader(InputStream in) {
    super(in);
  }

  /** A reader of {@code data[0, length)} (a DUMP payload), read in place. */
  public RdbReader(byte[] data, int length) {
    super(data, length);
  }

  /**
   * Skips module aux data (opcode 247) instead of refusing it, as redis-check-rdb does. Off by
   * default: a loader without the module cannot honour that data.
   */
  public RdbReader skipModuleAux(boolean on) {
    this.skipModuleAux = on;
    return this;
  }

  /**
   * Whether listpacks and intsets are validated in full (sanitize-dump-payload yes), the
   * default; off, only what reading their entries needs is checked.
   */
  public RdbReader deepSanitization(boolean on) {
    this.deep = on;
    return this;
  }

  /**
   * Whether the CRC-64 trailer is checked (the default); off for rdbchecksum no and DEBUG
   * SET-SKIP-CHECKSUM-VALIDATION 1, as Redis.
   */
  public RdbReader checkCrc(boolean on) {
    this.checkCrc = on;
    return this;
  }

  /** Blobs validated in full so far (INFO's dump_payload_sanitizations). */
  public long sanitizations() {
    return sanitizations;
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
      if (got != 0 && checkCrc) {
        if (got != expected) {
          throw new ChecksumMismatch(expected, got, offset());
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
      return functionPart(Errors.RESTORE_LIBRARY_PAYLOAD, redisTexts);
    }
    byte[] name = functionPart(Errors.RESTORE_LIBRARY_NAME, redisTexts);
    byte[] engine = functionPart(Errors.RESTORE_ENGINE_NAME, redisTexts);
    long hasDescription;
    try {
      hasDescription = readLength("a function library's description indicator");
    } catch (RdbException e) {
      throw redisTexts ? new RdbException(Errors.RESTORE_DESCRIPTION_INDICATOR) : e;
    }
    if (hasDescription != 0) {
      functionPart(Errors.RESTORE_LIBRARY_DESCRIPTION, redisTexts);
    }
    byte[] blob = functionPart(Errors.RESTORE_LIBRARY_BLOB, redisTexts);
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

  /** Reads one type byte and value of a DUMP payload (without footer) for {@code key}. */
  RdbValue readDumpValue(byte[] key) throws RdbException {
    version = Rdb.VERSION;
    doing = "read-type";
    int type = readByte("a value type");
    checkObjectType(type);
    currentType = type;
    currentKey = key;
    doing = "read-object-value";
    return readValue(type, key);
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
        noDuplicates(l, 1, "Duplicate set members detected", key);
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
        noDuplicates(members, 1, "Duplicate zset fields detected", key);
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
        noDuplicates(fields, 1, "Duplicate hash fields detected", key);
        return l.isEmpty() ? null : new RdbValue.HashValue(l);
      }
      case Rdb.TYPE_HASH_ZIPMAP -> {
        byte[] blob = readString("a zipmap");
        List<RdbValue.FieldValue> l;
        try {
          l = Zipmap.decode(blob);
        } catch (RdbException e) {
          throw corrupt("Zipmap integrity check failed", key, e);
        }
        List<byte[]> fields = new ArrayList<>(l.size());
        for (RdbValue.FieldValue fv : l) {
          fields.add(fv.field());
        }
        noDuplicates(fields, 1, "Hash zipmap with dup elements", key);
        return l.isEmpty() ? null : new RdbValue.HashValue(l);
      }
      case Rdb.TYPE_LIST_ZIPLIST -> {
        List<byte[]> l = ziplist(readString("a ziplist"), "List ziplist", key);
        return l.isEmpty() ? null : new RdbValue.ListValue(l);
      }
      case Rdb.TYPE_SET_INTSET -> {
        byte[] blob = readString("an intset");
        List<byte[]> l;
        try {
          sanitizations += deep ? 1 : 0;
          l = Intset.decode(blob, deep);
        } catch (RdbException e) {
          throw corrupt("Intset integrity check failed", key, e);
        }
        noDuplicates(l, 1, "Intset with dup elements", key); // found at once when deep
        return l.isEmpty() ? null : new RdbValue.SetValue(l);
      }
      case Rdb.TYPE_SET_LISTPACK -> {
        List<byte[]> l = listpack(readString("a listpack"), "Set listpack", key);
        noDuplicates(l, 1, deep ? "Set listpack integrity check failed"
            : "Set listpack with dup elements", key);
        return l.isEmpty() ? null : new RdbValue.SetValue(l);
      }
      case Rdb.TYPE_ZSET_ZIPLIST, Rdb.TYPE_ZSET_LISTPACK -> {
        boolean zl = type == Rdb.TYPE_ZSET_ZIPLIST;
        String what = zl ? "Zset ziplist" : "Zset listpack";
        List<byte[]> flat = pairedEntries(zl, what, key);
        List<RdbValue.ScoredMember> l = new ArrayList<>(flat.size() / 2);
        for (int i = 0; i < flat.size(); i += 2) {
          double score;
          try {
            score = Rdb.parseDoubleText(Rdb.str(flat.get(i + 1)));
          } catch (NumberFormatException e) {
            throw fail(what + " integrity check failed for key '" + Rdb.str(key)
                + "': bad score '" + Rdb.str(flat.get(i + 1)) + "'");
          }
          if (Double.isNaN(score)) {
            throw fail("Zset with NAN score detected");
          }
          l.add(new RdbValue.ScoredMember(flat.get(i), score));
        }
        return l.isEmpty() ? null : new RdbValue.ZSetValue(l);
      }
      case Rdb.TYPE_HASH_ZIPLIST, Rdb.TYPE_HASH_LISTPACK -> {
        boolean zl = type == Rdb.TYPE_HASH_ZIPLIST;
        String what = zl ? "Hash ziplist" : "Hash listpack";
        List<byte[]> flat = pairedEntries(zl, what, key);
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
              throw fail("Quicklist integrity check failed for key '" + Rdb.str(key)
                  + "': unknown node container " + c);
            }
            container = (int) c;
          }
          byte[] blob = readString("a quicklist node");
          if (blob.length == 0) {
            throw fail("Quicklist integrity check failed for key '" + Rdb.str(key)
                + "': an empty node");
          }
          if (container == Rdb.QUICKLIST_NODE_PLAIN) {
            l.add(blob);
          } else if (type == Rdb.TYPE_LIST_QUICKLIST) {
            l.addAll(ziplist(blob, "Ziplist", key));
          } else {
            l.addAll(listpack(blob, "Listpack", key));
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

  /** A ziplist's or listpack's entries, checked to come in field/value (member/score) pairs. */
  private List<byte[]> pairedEntries(boolean zl, String what, byte[] key) throws RdbException {
    List<byte[]> flat = zl ? ziplist(readString("a ziplist"), what, key)
        : listpack(readString("a listpack"), what, key);
    pairs(flat, what, zl, key);
    return flat;
  }

  /**
   * The entries of a hash or sorted set blob ({@code what}: "Hash ziplist"...) must pair up with
   * distinct fields. A ziplist is converted (validated in full, as Redis does), and so is a
   * listpack under deep sanitization: then a duplicate fails its integrity check; else it is
   * what Redis finds converting the listpack later, "listpack with dup elements".
   */
  private void pairs(List<byte[]> flat, String what, boolean ziplist, byte[] key)
      throws RdbException {
    if (flat.size() % 2 != 0) {
      throw fail(what + " integrity check failed for key '" + Rdb.str(key)
          + "': odd number of entries");
    }
    noDuplicates(flat, 2, ziplist || deep ? what + " integrity check failed"
        : what + " with dup elements", key);
  }

  /** A ziplist blob ({@code what}: "Hash ziplist"...), validated in full. */
  private List<byte[]> ziplist(byte[] blob, String what, byte[] key) throws RdbException {
    try {
      return Ziplist.decode(blob);
    } catch (RdbException e) {
      throw corrupt(what + " integrity check failed", key, e);
    }
  }

  /** A listpack blob ({@code what}: "Hash listpack"...), validated as {@link #deep} says. */
  private List<byte[]> listpack(byte[] blob, String what, byte[] key) throws RdbException {
    try {
      sanitizations += deep ? 1 : 0;
      return Listpack.decode(blob, deep);
    } catch (RdbException e) {
      throw corrupt(what + " integrity check failed", key, e);
    }
  }

  private RdbException corrupt(String reason, byte[] key, RdbException e) {
    return new RdbException(reason + " for key '" + Rdb.str(key) + "' at offset " + offset()
        + ": " + e.getMessage(), offset(), e);
  }

  /** Fails with {@code message} when two of every {@code step}-th item are equal. */
  private void noDuplicates(List<byte[]> items, int step, String message, byte[] key)
      throws RdbException {
    int n = items.size() / step;
    if (n < 2) {
      return;
    }
    boolean dup = false;
    if (n <= PAIRWISE_MAX) { // the usual small collection: cheaper than hashing every item
      for (int i = step; i < items.size() && !dup; i += step) {
        for (int j = 0; j < i && !dup; j += step) {
          dup = Arrays.equals(items.get(i), items.get(j));
        }
      }
    } else {
      Set<ByteBuffer> seen = new HashSet<>(n * 2);
      for (int i = 0; i < items.size() && !dup; i += step) {
        dup = !seen.add(ByteBuffer.wrap(items.get(i)));
      }
    }
    if (dup) {
      throw fail(message + " for key '" + Rdb.str(key) + "'");
    }
  }

  private static int cap(long n) {
    return (int) Math.min(n, 1024);
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

}
