package io.kiln.script.lib;

import io.kiln.script.lib.LuaLib.Bytes;
import io.kiln.script.lib.LuaLib.Failure;
import party.iroiro.luajava.Lua;

/**
 * The {@code cjson} library of Redis's scripts (Lua CJSON 2.1.0 as Redis 7.0 ships it):
 * encode, decode, the settings encode_sparse_array, encode_max_depth, decode_max_depth,
 * encode_number_precision, encode_keep_buffer, encode_invalid_numbers, decode_invalid_numbers,
 * {@code new} (a library with settings of its own) and {@code cjson.null}. Implemented in Java
 * (JFunctions walking and building tables through the C API), which keeps encode and decode
 * one pass each at C-like speed; a Lua version would build strings piece by piece. Written for
 * Kiln; redis-server 7.0's behaviour is the specification, quirks included: numbers as
 * {@code %.14g}, '/' escaped as "\/", an array is a table whose keys are all integers >= 1 (none
 * is an empty table, "{}"), sparse when its largest key is more than twice its count and above
 * 10, numbers read as C's strtod reads them (hexadecimal, "inf", "nan" accepted by default), a
 * JSON string ends at a zero byte, null decodes to the light userdata {@code cjson.null}.
 */
public final class CJson {
  private CJson() {}

  /** Sets the global {@code cjson}; {@code decoder} is the state's {@code LuaBytes} decoder. */
  public static void open(Lua lua, int decoder) {
    LuaLib lib = new LuaLib(lua, decoder);
    pushModule(lib);
    lua.setGlobal("cjson");
  }

  /** The settings of one library table (cjson.new() makes another). */
  private static final class Config {
    int sparseConvert = 0;
    int sparseRatio = 2;
    int sparseSafe = 10;
    int encodeMaxDepth = 1000;
    int decodeMaxDepth = 1000;
    int encodeInvalidNumbers = 0; // 2: as null
    int encodeNumberPrecision = 14;
    int encodeKeepBuffer = 1;
    int decodeInvalidNumbers = 1;
  }

  private static final String[] ON_OFF = {"off", "on"};
  private static final String[] INVALID_NUMBERS = {"off", "on", "null"};

  private static void pushModule(LuaLib lib) {
    Config cfg = new Config();
    lib.lua.createTable(0, 13);
    lib.function("encode", () -> new Encoder(lib, cfg).encode());
    lib.function("decode", () -> new Decoder(lib, cfg).decode());
    lib.function("encode_sparse_array", () -> {
      argInit(lib, 3);
      cfg.sparseConvert = enumOption(lib, 1, cfg.sparseConvert, ON_OFF);
      cfg.sparseRatio = integerOption(lib, 2, cfg.sparseRatio, 0, Integer.MAX_VALUE);
      cfg.sparseSafe = integerOption(lib, 3, cfg.sparseSafe, 0, Integer.MAX_VALUE);
      return 3;
    });
    lib.function("encode_max_depth", () -> {
      argInit(lib, 1);
      cfg.encodeMaxDepth = integerOption(lib, 1, cfg.encodeMaxDepth, 1, Integer.MAX_VALUE);
      return 1;
    });
    lib.function("decode_max_depth", () -> {
      argInit(lib, 1);
      cfg.decodeMaxDepth = integerOption(lib, 1, cfg.decodeMaxDepth, 1, Integer.MAX_VALUE);
      return 1;
    });
    lib.function("encode_number_precision", () -> {
      argInit(lib, 1);
      cfg.encodeNumberPrecision = integerOption(lib, 1, cfg.encodeNumberPrecision, 1, 14);
      return 1;
    });
    lib.function("encode_keep_buffer", () -> {
      argInit(lib, 1);
      cfg.encodeKeepBuffer = enumOption(lib, 1, cfg.encodeKeepBuffer, ON_OFF);
      return 1;
    });
    lib.function("encode_invalid_numbers", () -> {
      argInit(lib, 1);
      cfg.encodeInvalidNumbers =
          enumOption(lib, 1, cfg.encodeInvalidNumbers, INVALID_NUMBERS);
      return 1;
    });
    lib.function("decode_invalid_numbers", () -> {
      argInit(lib, 1);
      cfg.decodeInvalidNumbers = enumOption(lib, 1, cfg.decodeInvalidNumbers, ON_OFF);
      return 1;
    });
    lib.function("new", () -> {
      pushModule(lib);
      return 1;
    });
    lib.n.lua_pushlightuserdata(lib.p, 0);
    lib.lua.setField(-2, "null");
    lib.field("_NAME", "cjson");
    lib.field("_VERSION", "2.1.0");
  }

  // ---- settings ----

  /** At most {@code args} arguments, padded with nils to that many. */
  private static void argInit(LuaLib lib, int args) {
    if (lib.n.lua_gettop(lib.p) > args) {
      throw LuaLib.argError(args + 1, "found too many arguments");
    }
    while (lib.n.lua_gettop(lib.p) < args) {
      lib.n.lua_pushnil(lib.p);
    }
  }

  /** An integer setting: argument {@code index} when not nil; pushes the setting. */
  private static int integerOption(LuaLib lib, int index, int setting, int min, int max) {
    if (lib.type(index) != LuaLib.TNIL) {
      int value = (int) lib.checkInteger(index);
      if (value < min || value > max) {
        throw LuaLib.argError(1, "expected integer between " + min + " and " + max);
      }
      setting = value;
    }
    lib.n.lua_pushnumber(lib.p, setting);
    return setting;
  }

  /** An on/off (or listed) setting: a boolean or a name; pushes the setting. */
  private static int enumOption(LuaLib lib, int index, int setting, String[] options) {
    if (lib.type(index) != LuaLib.TNIL) {
      if (lib.type(index) == LuaLib.TBOOLEAN) {
        setting = lib.n.lua_toboolean(lib.p, index) != 0 ? 1 : 0;
      } else {
        String name = new String(lib.checkCString(index),
            java.nio.charset.StandardCharsets.ISO_8859_1);
        int found = -1;
        for (int i = 0; i < options.length; i++) {
          if (options[i].equals(name)) {
            found = i;
            break;
          }
        }
        if (found < 0) {
          throw LuaLib.argError(index, "invalid option '" + name + "'");
        }
        setting = found;
      }
    }
    if (setting <= 1) {
      lib.n.lua_pushboolean(lib.p, setting);
    } else {
      lib.lua.push(options[setting]);
    }
    return setting;
  }

  // ---- encoding ----

  private static final String[] ESCAPES = new String[256];

  static {
    for (int c = 0; c < 32; c++) {
      ESCAPES[c] = String.format("\\u%04x", c);
    }
    ESCAPES['\b'] = "\\b";
    ESCAPES['\t'] = "\\t";
    ESCAPES['\n'] = "\\n";
    ESCAPES['\f'] = "\\f";
    ESCAPES['\r'] = "\\r";
    ESCAPES['"'] = "\\\"";
    ESCAPES['/'] = "\\/";
    ESCAPES['\\'] = "\\\\";
    ESCAPES[0x7f] = "\\u007f";
  }

  private static final class Encoder {
    final LuaLib lib;
    final Config cfg;
    final Bytes out = new Bytes();

    Encoder(LuaLib lib, Config cfg) {
      this.lib = lib;
      this.cfg = cfg;
    }

    int encode() {
      if (lib.n.lua_gettop(lib.p) != 1) {
        throw LuaLib.argError(1, "expected 1 argument");
      }
      value();
      lib.pushBytes(out.toArray());
      return 1;
    }

    private Failure cannot(int index, String reason) {
      return LuaLib.error("Cannot serialise " + lib.typeName(index) + ": " + reason);
    }

    /**
     * Appends the value on top of the stack. Tables are walked with a stack of frames rather
     * than by recursion, so the nesting is bounded by encode_max_depth and the Lua stack (as in
     * C) and not by Java's stack.
     */
    private void value() {
      java.util.ArrayList<int[]> frames = new java.util.ArrayList<>(); // {length, i}; -1: object
      while (true) {
        boolean childDone = true;
        switch (lib.type(-1)) {
          case LuaLib.TSTRING -> string(-1);
          case LuaLib.TNUMBER -> number(-1);
          case LuaLib.TBOOLEAN ->
              out.ascii(lib.n.lua_toboolean(lib.p, -1) != 0 ? "true" : "false");
          case LuaLib.TTABLE -> {
            int depth = frames.size() + 1;
            if (depth > cfg.encodeMaxDepth || lib.n.lua_checkstack(lib.p, 3) == 0) {
              throw LuaLib.error("Cannot serialise, excessive nesting (" + depth + ")");
            }
            int length = arrayLength();
            if (length > 0) {
              out.put('[');
              frames.add(new int[] {length, 0});
            } else {
              out.put('{');
              lib.n.lua_pushnil(lib.p);
              frames.add(new int[] {-1, 0});
            }
            childDone = false;
          }
          case LuaLib.TNIL -> out.ascii("null");
          case LuaLib.TLIGHTUSERDATA -> {
            if (lib.n.lua_touserdata(lib.p, -1) != 0) {
              throw cannot(-1, "type not supported");
            }
            out.ascii("null");
          }
          default -> throw cannot(-1, "type not supported");
        }
        // on to the next element of the innermost unfinished table
        while (true) {
          if (frames.isEmpty()) {
            return;
          }
          int[] f = frames.get(frames.size() - 1);
          if (childDone) {
            lib.n.lua_pop(lib.p, 1); // the element (an array's) or the value (an object's)
          }
          if (f[0] >= 0) {
            if (f[1] < f[0]) {
              if (f[1] > 0) {
                out.put(',');
              }
              f[1]++;
              lib.n.luaJ_rawgeti(lib.p, -1, f[1]);
              break;
            }
            out.put(']');
          } else {
            if (lib.n.lua_next(lib.p, -2) != 0) {
              if (f[1]++ > 0) {
                out.put(',');
              }
              int keyType = lib.type(-2);
              if (keyType == LuaLib.TNUMBER) {
                out.put('"');
                number(-2);
                out.put('"');
                out.put(':');
              } else if (keyType == LuaLib.TSTRING) {
                string(-2);
                out.put(':');
              } else {
                throw cannot(-2, "table key must be a number or string");
              }
              break;
            }
            out.put('}');
          }
          frames.remove(frames.size() - 1);
          childDone = true;
        }
      }
    }

    /**
     * The length of the array the table on top is, or -1 when it is an object: only keys that
     * are integers >= 1, and not excessively sparse. The largest key is kept as C's int keeps
     * it (a key past 2^31 makes it negative, and the table an object).
     */
    private int arrayLength() {
      int max = 0;
      int items = 0;
      lib.n.lua_pushnil(lib.p);
      while (lib.n.lua_next(lib.p, -2) != 0) {
        double k;
        if (lib.type(-2) == LuaLib.TNUMBER && (k = lib.n.lua_tonumber(lib.p, -2)) != 0
            && Math.floor(k) == k && k >= 1) {
          if (k > max) {
            max = LuaLib.toInt32(k);
          }
          items++;
          lib.n.lua_pop(lib.p, 1);
          continue;
        }
        lib.n.lua_pop(lib.p, 2);
        return -1;
      }
      if (cfg.sparseRatio > 0 && max > items * cfg.sparseRatio && max > cfg.sparseSafe) {
        if (cfg.sparseConvert == 0) {
          throw cannot(-1, "excessively sparse array");
        }
        return -1;
      }
      return max;
    }

    private void number(int index) {
      double d = lib.n.lua_tonumber(lib.p, index);
      boolean invalid = Double.isNaN(d) || Double.isInfinite(d);
      if (cfg.encodeInvalidNumbers == 0) {
        if (invalid) {
          throw cannot(index, "must not be NaN or Inf");
        }
      } else if (cfg.encodeInvalidNumbers == 1) {
        if (Double.isNaN(d)) {
          out.ascii("nan");
          return;
        }
      } else if (invalid) {
        out.ascii("null");
        return;
      }
      out.ascii(CNumbers.g(d, cfg.encodeNumberPrecision));
    }

    private void string(int index) {
      byte[] s = lib.bytes(index);
      out.put('"');
      for (byte b : s) {
        String e = ESCAPES[b & 0xff];
        if (e == null) {
          out.put(b);
        } else {
          out.ascii(e);
        }
      }
      out.put('"');
    }
  }

  // ---- decoding ----

  private static final int T_OBJ_BEGIN = 0;
  private static final int T_OBJ_END = 1;
  private static final int T_ARR_BEGIN = 2;
  private static final int T_ARR_END = 3;
  private static final int T_STRING = 4;
  private static final int T_NUMBER = 5;
  private static final int T_BOOLEAN = 6;
  private static final int T_NULL = 7;
  private static final int T_COLON = 8;
  private static final int T_COMMA = 9;
  private static final int T_END = 10;
  private static final int T_WHITESPACE = 11;
  private static final int T_ERROR = 12;
  private static final int T_UNKNOWN = 13;

  private static final String[] TOKEN_NAMES = {"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN",
      "T_ARR_END", "T_STRING", "T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END",
      "T_WHITESPACE", "T_ERROR", "T_UNKNOWN"};

  /** The token each byte starts. */
  private static final int[] CH2TOKEN = new int[256];
  /** What an escaped byte stands for (0: invalid; 'u': a \\u escape). */
  private static final byte[] ESCAPE2CHAR = new byte[256];

  static {
    java.util.Arrays.fill(CH2TOKEN, T_ERROR);
    CH2TOKEN['{'] = T_OBJ_BEGIN;
    CH2TOKEN['}'] = T_OBJ_END;
    CH2TOKEN['['] = T_ARR_BEGIN;
    CH2TOKEN[']'] = T_ARR_END;
    CH2TOKEN[','] = T_COMMA;
    CH2TOKEN[':'] = T_COLON;
    CH2TOKEN[0] = T_END;
    CH2TOKEN[' '] = T_WHITESPACE;
    CH2TOKEN['\t'] = T_WHITESPACE;
    CH2TOKEN['\n'] = T_WHITESPACE;
    CH2TOKEN['\r'] = T_WHITESPACE;
    for (char c : "fiInNt\"+-0123456789".toCharArray()) {
      CH2TOKEN[c] = T_UNKNOWN;
    }
    ESCAPE2CHAR['"'] = '"';
    ESCAPE2CHAR['\\'] = '\\';
    ESCAPE2CHAR['/'] = '/';
    ESCAPE2CHAR['b'] = '\b';
    ESCAPE2CHAR['t'] = '\t';
    ESCAPE2CHAR['n'] = '\n';
    ESCAPE2CHAR['f'] = '\f';
    ESCAPE2CHAR['r'] = '\r';
    ESCAPE2CHAR['u'] = 'u';
  }

  private static final class Token {
    int type;
    int index;
    String error;
    byte[] string;
    double number;
    boolean bool;
  }

  private static final class Decoder {
    final LuaLib lib;
    final Config cfg;
    byte[] data;
    int ptr;
    int depth;
    final Bytes tmp = new Bytes();
    final CNumbers.Parsed parsed = new CNumbers.Parsed();

    Decoder(LuaLib lib, Config cfg) {
      this.lib = lib;
      this.cfg = cfg;
    }

    int decode() {
      if (lib.n.lua_gettop(lib.p) != 1) {
        throw LuaLib.argError(1, "expected 1 argument");
      }
      data = lib.checkBytes(1);
      if (data.length >= 2 && (data[0] == 0 || data[1] == 0)) {
        throw LuaLib.error("JSON parser does not support UTF-16 or UTF-32");
      }
      Token token = new Token();
      next(token);
      value(token);
      next(token);
      if (token.type != T_END) {
        throw parseError("the end", token);
      }
      return 1;
    }

    /** The byte at {@code i}; the string ends with a zero byte, as a C string does. */
    private int at(int i) {
      return i < data.length ? data[i] & 0xff : 0;
    }

    private Failure parseError(String expected, Token token) {
      String found = token.type == T_ERROR ? token.error : TOKEN_NAMES[token.type];
      return LuaLib.error("Expected " + expected + " but found " + found + " at character "
          + (token.index + 1));
    }

    private void tokenError(Token token, String error) {
      token.type = T_ERROR;
      token.index = ptr;
      token.error = error;
    }

    private void next(Token token) {
      int ch;
      while (true) {
        ch = at(ptr);
        token.type = CH2TOKEN[ch];
        if (token.type != T_WHITESPACE) {
          break;
        }
        ptr++;
      }
      token.index = ptr;
      if (token.type == T_ERROR) {
        tokenError(token, "invalid token");
        return;
      }
      if (token.type == T_END) {
        return;
      }
      if (token.type != T_UNKNOWN) {
        ptr++;
        return;
      }
      if (ch == '"') {
        string(token);
      } else if (ch == '-' || ch >= '0' && ch <= '9') {
        if (cfg.decodeInvalidNumbers == 0 && invalidNumber()) {
          tokenError(token, "invalid number");
          return;
        }
        number(token);
      } else if (startsWith("true")) {
        token.type = T_BOOLEAN;
        token.bool = true;
        ptr += 4;
      } else if (startsWith("false")) {
        token.type = T_BOOLEAN;
        token.bool = false;
        ptr += 5;
      } else if (startsWith("null")) {
        token.type = T_NULL;
        ptr += 4;
      } else if (cfg.decodeInvalidNumbers != 0 && invalidNumber()) {
        number(token); // inf, nan, hexadecimal, a leading '+'
      } else {
        tokenError(token, "invalid token");
      }
    }

    private boolean startsWith(String word) {
      for (int i = 0; i < word.length(); i++) {
        if (at(ptr + i) != word.charAt(i)) {
          return false;
        }
      }
      return true;
    }

    private boolean startsWithIgnoreCase(int p, String word) {
      for (int i = 0; i < word.length(); i++) {
        int c = at(p + i);
        if (c >= 'A' && c <= 'Z') {
          c += 32;
        }
        if (c != word.charAt(i)) {
          return false;
        }
      }
      return true;
    }

    /** What strict JSON refuses though strtod reads it: '+', 0x, leading zeros, inf, nan. */
    private boolean invalidNumber() {
      int p = ptr;
      if (at(p) == '+') {
        return true;
      }
      if (at(p) == '-') {
        p++;
      }
      if (at(p) == '0') {
        int ch2 = at(p + 1);
        return (ch2 | 0x20) == 'x' || ch2 >= '0' && ch2 <= '9';
      } else if ((byte) at(p) <= '9') { // a signed char: bytes >= 128 too
        return false;
      }
      return startsWithIgnoreCase(p, "inf") || startsWithIgnoreCase(p, "nan");
    }

    private void number(Token token) {
      token.type = T_NUMBER;
      CNumbers.strtod(data, ptr, parsed);
      if (parsed.end == ptr) {
        tokenError(token, "invalid number");
      } else {
        token.number = parsed.value;
        ptr = parsed.end;
      }
    }

    private void string(Token token) {
      ptr++;
      tmp.len = 0;
      int ch;
      while ((ch = at(ptr)) != '"') {
        if (ch == 0) {
          tokenError(token, "unexpected end of string");
          return;
        }
        if (ch == '\\') {
          ch = ESCAPE2CHAR[at(ptr + 1)] & 0xff;
          if (ch == 'u') {
            if (unicodeEscape()) {
              continue;
            }
            tokenError(token, "invalid unicode escape code");
            return;
          }
          if (ch == 0) {
            tokenError(token, "invalid escape code");
            return;
          }
          ptr++;
        }
        tmp.put(ch);
        ptr++;
      }
      ptr++;
      token.type = T_STRING;
      token.string = tmp.toArray();
    }

    private int hex4(int p) {
      int v = 0;
      for (int i = 0; i < 4; i++) {
        int c = at(p + i);
        int d;
        if (c >= '0' && c <= '9') {
          d = c - '0';
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
          d = (c | 0x20) - 'a' + 10;
        } else {
          return -1;
        }
        v = (v << 4) | d;
      }
      return v;
    }

    /** A \\uXXXX escape (or a surrogate pair of them) at ptr, appended as UTF-8. */
    private boolean unicodeEscape() {
      int escapeLength = 6;
      int cp = hex4(ptr + 2);
      if (cp < 0) {
        return false;
      }
      if ((cp & 0xF800) == 0xD800) {
        if ((cp & 0x400) != 0) {
          return false; // a low surrogate first
        }
        if (at(ptr + 6) != '\\' || at(ptr + 7) != 'u') {
          return false;
        }
        int low = hex4(ptr + 8);
        if (low < 0 || (low & 0xFC00) != 0xDC00) {
          return false;
        }
        cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
        escapeLength = 12;
      }
      if (cp <= 0x7F) {
        tmp.put(cp);
      } else if (cp <= 0x7FF) {
        tmp.put((cp >> 6) | 0xC0);
        tmp.put((cp & 0x3F) | 0x80);
      } else if (cp <= 0xFFFF) {
        tmp.put((cp >> 12) | 0xE0);
        tmp.put(((cp >> 6) & 0x3F) | 0x80);
        tmp.put((cp & 0x3F) | 0x80);
      } else {
        tmp.put((cp >> 18) | 0xF0);
        tmp.put(((cp >> 12) & 0x3F) | 0x80);
        tmp.put(((cp >> 6) & 0x3F) | 0x80);
        tmp.put((cp & 0x3F) | 0x80);
      }
      ptr += escapeLength;
      return true;
    }

    private void descend(int slots) {
      depth++;
      if (depth > cfg.decodeMaxDepth || lib.n.lua_checkstack(lib.p, slots) == 0) {
        throw LuaLib.error("Found too many nested data structures (" + depth + ") at character "
            + ptr);
      }
    }

    /**
     * After an object's '{' or ',': its key, the colon, and the token of the value (left in
     * {@code token}).
     */
    private void key(Token token) {
      if (token.type != T_STRING) {
        throw parseError("object key string", token);
      }
      lib.pushBytes(token.string);
      next(token);
      if (token.type != T_COLON) {
        throw parseError("colon", token);
      }
      next(token);
    }

    /**
     * Pushes the value that {@code token} starts. Objects and arrays are filled with a stack of
     * open containers (true: an object) rather than by recursion, so the nesting is bounded by
     * decode_max_depth and the Lua stack (as in C) and not by Java's stack.
     */
    private void value(Token token) {
      java.util.ArrayList<int[]> open = new java.util.ArrayList<>(); // {1: object, 0: array; i}
      while (true) {
        switch (token.type) {
          case T_STRING -> lib.pushBytes(token.string);
          case T_NUMBER -> lib.n.lua_pushnumber(lib.p, token.number);
          case T_BOOLEAN -> lib.n.lua_pushboolean(lib.p, token.bool ? 1 : 0);
          case T_NULL -> lib.n.lua_pushlightuserdata(lib.p, 0);
          case T_OBJ_BEGIN -> {
            descend(3);
            lib.n.lua_createtable(lib.p, 0, 0);
            next(token);
            if (token.type == T_OBJ_END) {
              depth--;
            } else {
              open.add(new int[] {1, 0});
              key(token);
              continue; // the token is the first value's
            }
          }
          case T_ARR_BEGIN -> {
            descend(2);
            lib.n.lua_createtable(lib.p, 0, 0);
            next(token);
            if (token.type == T_ARR_END) {
              depth--;
            } else {
              open.add(new int[] {0, 1});
              continue; // the token is the first element's
            }
          }
          default -> throw parseError("value", token);
        }
        // a value is complete: store it in its container, and find the next one
        while (true) {
          if (open.isEmpty()) {
            return;
          }
          int[] c = open.get(open.size() - 1);
          if (c[0] == 0) {
            lib.n.lua_rawseti(lib.p, -2, c[1]++);
            next(token);
            if (token.type != T_ARR_END) {
              if (token.type != T_COMMA) {
                throw parseError("comma or array end", token);
              }
              next(token);
              break;
            }
          } else {
            lib.n.lua_rawset(lib.p, -3);
            next(token);
            if (token.type != T_OBJ_END) {
              if (token.type != T_COMMA) {
                throw parseError("comma or object end", token);
              }
              next(token);
              key(token);
              break;
            }
          }
          depth--;
          open.remove(open.size() - 1);
        }
      }
    }
  }
}
