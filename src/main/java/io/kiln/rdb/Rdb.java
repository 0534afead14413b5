package io.kiln.rdb;

import java.nio.charset.StandardCharsets;

/**
 * RDB format constants (opcodes, value types, string encodings) and small stateless helpers
 * shared by the reader and the writer. Any thread.
 */
public final class Rdb {
  private Rdb() {}

  /** The version Redis 7.0 writes and Kiln writes. */
  public static final int VERSION = 10;
  /** The newest version the reader accepts (Redis 7.2). */
  public static final int MAX_READ_VERSION = 11;

  public static final int TYPE_STRING = 0;
  public static final int TYPE_LIST = 1;
  public static final int TYPE_SET = 2;
  public static final int TYPE_ZSET = 3;
  public static final int TYPE_HASH = 4;
  public static final int TYPE_ZSET_2 = 5;
  public static final int TYPE_MODULE_PRE_GA = 6;
  public static final int TYPE_MODULE_2 = 7;
  public static final int TYPE_HASH_ZIPMAP = 9;
  public static final int TYPE_LIST_ZIPLIST = 10;
  public static final int TYPE_SET_INTSET = 11;
  public static final int TYPE_ZSET_ZIPLIST = 12;
  public static final int TYPE_HASH_ZIPLIST = 13;
  public static final int TYPE_LIST_QUICKLIST = 14;
  public static final int TYPE_STREAM_LISTPACKS = 15;
  public static final int TYPE_HASH_LISTPACK = 16;
  public static final int TYPE_ZSET_LISTPACK = 17;
  public static final int TYPE_LIST_QUICKLIST_2 = 18;
  public static final int TYPE_STREAM_LISTPACKS_2 = 19;
  public static final int TYPE_SET_LISTPACK = 20;
  public static final int TYPE_STREAM_LISTPACKS_3 = 21;

  public static final int OPCODE_FUNCTION2 = 245;
  public static final int OPCODE_FUNCTION = 246;
  public static final int OPCODE_MODULE_AUX = 247;
  public static final int OPCODE_IDLE = 248;
  public static final int OPCODE_FREQ = 249;
  public static final int OPCODE_AUX = 250;
  public static final int OPCODE_RESIZEDB = 251;
  public static final int OPCODE_EXPIRETIME_MS = 252;
  public static final int OPCODE_EXPIRETIME = 253;
  public static final int OPCODE_SELECTDB = 254;
  public static final int OPCODE_EOF = 255;

  static final int ENC_INT8 = 0;
  static final int ENC_INT16 = 1;
  static final int ENC_INT32 = 2;
  static final int ENC_LZF = 3;

  static final int QUICKLIST_NODE_PLAIN = 1;
  static final int QUICKLIST_NODE_PACKED = 2;

  /** A name for a value type code, for messages ("string", "list-quicklist-2", ...). */
  public static String typeName(int type) {
    return switch (type) {
      case TYPE_STRING -> "string";
      case TYPE_LIST -> "list";
      case TYPE_SET -> "set";
      case TYPE_ZSET -> "zset";
      case TYPE_HASH -> "hash";
      case TYPE_ZSET_2 -> "zset-v2";
      case TYPE_MODULE_PRE_GA -> "module-pre-ga";
      case TYPE_MODULE_2 -> "module";
      case TYPE_HASH_ZIPMAP -> "hash-zipmap";
      case TYPE_LIST_ZIPLIST -> "list-ziplist";
      case TYPE_SET_INTSET -> "set-intset";
      case TYPE_ZSET_ZIPLIST -> "zset-ziplist";
      case TYPE_HASH_ZIPLIST -> "hash-ziplist";
      case TYPE_LIST_QUICKLIST -> "list-quicklist";
      case TYPE_STREAM_LISTPACKS -> "stream";
      case TYPE_HASH_LISTPACK -> "hash-listpack";
      case TYPE_ZSET_LISTPACK -> "zset-listpack";
      case TYPE_LIST_QUICKLIST_2 -> "list-quicklist-v2";
      case TYPE_STREAM_LISTPACKS_2 -> "stream-v2";
      case TYPE_SET_LISTPACK -> "set-listpack";
      case TYPE_STREAM_LISTPACKS_3 -> "stream-v3";
      default -> "unknown";
    };
  }



  static byte[] ascii(long v) {
    return Long.toString(v).getBytes(StandardCharsets.ISO_8859_1);
  }

  static String str(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /**
   * A double as text that strtod reads back exactly: integral values within 2^52 as integers
   * (as Redis's d2string), "inf"/"-inf"/"nan", otherwise %.17g as Redis 7.0 prints it, so a
   * listpack zset's DUMP has Redis's bytes.
   */
  static byte[] doubleText(double d) {
    String s;
    if (Double.isNaN(d)) {
      s = "nan";
    } else if (Double.isInfinite(d)) {
      s = d > 0 ? "inf" : "-inf";
    } else if (d == 0) {
      s = (1.0 / d < 0) ? "-0" : "0";
    } else if (d > -4503599627370495.0 && d < 4503599627370496.0 && d == (double) (long) d) {
      s = Long.toString((long) d);
    } else {
      s = io.kiln.resp.Numbers.formatG17(d);
    }
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Parses a score written as text (strtod-like; inf, -inf, nan accepted). */
  static double parseDoubleText(String s) {
    String t = s.trim().toLowerCase(java.util.Locale.ROOT);
    switch (t) {
      case "inf", "+inf", "infinity", "+infinity" -> {
        return Double.POSITIVE_INFINITY;
      }
      case "-inf", "-infinity" -> {
        return Double.NEGATIVE_INFINITY;
      }
      case "nan", "-nan", "+nan" -> {
        return Double.NaN;
      }
      default -> {
        if (t.isEmpty() || t.endsWith("d") || t.endsWith("f")) {
          throw new NumberFormatException(s);
        }
        return Double.parseDouble(t);
      }
    }
  }
}
