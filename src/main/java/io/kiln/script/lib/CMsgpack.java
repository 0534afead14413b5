package io.kiln.script.lib;

import io.kiln.script.lib.LuaLib.Bytes;
import party.iroiro.luajava.Lua;

/**
 * The {@code cmsgpack} library of Redis's scripts (lua-cmsgpack 0.4.0): pack(...) (each
 * argument encoded, concatenated), unpack(s), unpack_one(s [, offset]) and
 * unpack_limit(s, limit [, offset]) (both return the next offset first, -1 at the end).
 * Implemented in Java (JFunctions walking and building tables through the C API): packing
 * floats and 64-bit integers is bit work that Lua 5.1's doubles make slow and awkward. Written
 * for Kiln; redis-server 7.0's behaviour is the specification, quirks included: a number that
 * is an exact int64 is packed as the smallest integer type, any other as a float when a float
 * holds it exactly, else a double; a table whose keys are exactly 1..n is an array, any other a
 * map; tables nested deeper than 16 pack as nil; strings use the str8/16/32 types; unsigned
 * 64-bit values past 2^63 unpack negative (the C library goes through a signed integer); bin
 * and ext types are "Bad data format in input.".
 */
public final class CMsgpack {
  private CMsgpack() {}

  private static final int MAX_NESTING = 16;

  /** Sets the global {@code cmsgpack}; {@code decoder} is the state's {@code LuaBytes} decoder. */
  public static void open(Lua lua, int decoder) {
    LuaLib lib = new LuaLib(lua, decoder);
    lua.createTable(0, 8);
    lib.function("pack", () -> pack(lib));
    lib.function("unpack", () -> unpack(lib, 0, 0));
    lib.function("unpack_one", () -> {
      long offset = lib.optInteger(2, 0);
      lib.n.lua_settop(lib.p, 1);
      return unpack(lib, 1, offset);
    });
    lib.function("unpack_limit", () -> {
      long limit = lib.checkInteger(2);
      long offset = lib.optInteger(3, 0);
      lib.n.lua_settop(lib.p, 1);
      return unpack(lib, limit, offset);
    });
    lib.field("_NAME", "cmsgpack");
    lib.field("_VERSION", "lua-cmsgpack 0.4.0");
    lib.field("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo");
    lib.field("_DESCRIPTION", "MessagePack C implementation for Lua");
    lua.setGlobal("cmsgpack");
  }

  // ---- packing ----

  private static int pack(LuaLib lib) {
    int nargs = lib.n.lua_gettop(lib.p);
    if (nargs == 0) {
      throw LuaLib.argError(0, "MessagePack pack needs input.");
    }
    if (lib.n.lua_checkstack(lib.p, nargs) == 0) {
      throw LuaLib.argError(0, "Too many arguments for MessagePack pack.");
    }
    Bytes buf = new Bytes();
    for (int i = 1; i <= nargs; i++) {
      lib.checkStack(1, "in function mp_check");
      lib.n.lua_pushvalue(lib.p, i);
      encode(lib, buf, 0);
      lib.pushBytes(buf.toArray()); // each argument's encoding is pushed, then all concatenated
      buf.len = 0;
    }
    lib.n.lua_concat(lib.p, nargs);
    return 1;
  }

  /** Encodes the value on top of the stack and pops it. */
  private static void encode(LuaLib lib, Bytes buf, int level) {
    int t = lib.type(-1);
    if (t == LuaLib.TTABLE && level == MAX_NESTING) {
      t = LuaLib.TNIL;
    }
    switch (t) {
      case LuaLib.TSTRING -> {
        byte[] s = lib.bytes(-1);
        int len = s.length;
        if (len < 32) {
          buf.put(0xa0 | len);
        } else if (len <= 0xff) {
          buf.put(0xd9);
          buf.put(len);
        } else if (len <= 0xffff) {
          buf.put(0xda);
          be(buf, len, 2);
        } else {
          buf.put(0xdb);
          be(buf, len, 4);
        }
        buf.put(s);
      }
      case LuaLib.TBOOLEAN -> buf.put(lib.n.lua_toboolean(lib.p, -1) != 0 ? 0xc3 : 0xc2);
      case LuaLib.TNUMBER -> {
        double d = lib.n.lua_tonumber(lib.p, -1);
        long i = LuaLib.toInt64(d);
        if (!Double.isInfinite(d) && i == d) {
          integer(buf, i);
        } else {
          float f = (float) d;
          if (d == (double) f) {
            buf.put(0xca);
            be(buf, Float.floatToRawIntBits(f), 4);
          } else {
            buf.put(0xcb);
            be(buf, Double.doubleToRawLongBits(d), 8);
          }
        }
      }
      case LuaLib.TTABLE -> {
        if (isArray(lib)) {
          int len = (int) lib.n.lua_objlen(lib.p, -1);
          header(buf, len, 0x90, 0xdc, 0xdd);
          lib.checkStack(1, "in function mp_encode_lua_table_as_array");
          for (int j = 1; j <= len; j++) {
            lib.n.luaJ_rawgeti(lib.p, -1, j);
            encode(lib, buf, level + 1);
          }
        } else {
          lib.checkStack(3, "in function mp_encode_lua_table_as_map");
          int len = 0;
          lib.n.lua_pushnil(lib.p);
          while (lib.n.lua_next(lib.p, -2) != 0) {
            lib.n.lua_pop(lib.p, 1);
            len++;
          }
          header(buf, len, 0x80, 0xde, 0xdf);
          lib.n.lua_pushnil(lib.p);
          while (lib.n.lua_next(lib.p, -2) != 0) {
            lib.n.lua_pushvalue(lib.p, -2);
            encode(lib, buf, level + 1); // the key
            encode(lib, buf, level + 1); // the value
          }
        }
      }
      default -> buf.put(0xc0); // nil, and what has no MessagePack type
    }
    lib.n.lua_pop(lib.p, 1);
  }

  /** True when the keys of the table on top are exactly 1..n. */
  private static boolean isArray(LuaLib lib) {
    int count = 0;
    int max = 0;
    int top = lib.n.lua_gettop(lib.p);
    lib.checkStack(2, "in function table_is_an_array");
    lib.n.lua_pushnil(lib.p);
    while (lib.n.lua_next(lib.p, -2) != 0) {
      lib.n.lua_pop(lib.p, 1);
      double k;
      if (lib.type(-1) != LuaLib.TNUMBER || (k = lib.n.lua_tonumber(lib.p, -1)) <= 0
          || Double.isInfinite(k) || LuaLib.toInt32(k) != k) {
        lib.n.lua_settop(lib.p, top);
        return false;
      }
      max = k > max ? (int) k : max;
      count++;
    }
    lib.n.lua_settop(lib.p, top);
    return max == count;
  }

  private static void integer(Bytes buf, long n) {
    if (n >= 0) {
      if (n <= 127) {
        buf.put((int) n);
      } else if (n <= 0xff) {
        buf.put(0xcc);
        buf.put((int) n);
      } else if (n <= 0xffff) {
        buf.put(0xcd);
        be(buf, n, 2);
      } else if (n <= 0xffffffffL) {
        buf.put(0xce);
        be(buf, n, 4);
      } else {
        buf.put(0xcf);
        be(buf, n, 8);
      }
    } else if (n >= -32) {
      buf.put((int) n);
    } else if (n >= -128) {
      buf.put(0xd0);
      buf.put((int) n);
    } else if (n >= -32768) {
      buf.put(0xd1);
      be(buf, n, 2);
    } else if (n >= -2147483648L) {
      buf.put(0xd2);
      be(buf, n, 4);
    } else {
      buf.put(0xd3);
      be(buf, n, 8);
    }
  }

  private static void header(Bytes buf, int n, int fix, int type16, int type32) {
    if (n <= 15) {
      buf.put(fix | n);
    } else if (n <= 65535) {
      buf.put(type16);
      be(buf, n, 2);
    } else {
      buf.put(type32);
      be(buf, n, 4);
    }
  }

  /** The low {@code bytes} bytes of {@code v}, big-endian. */
  private static void be(Bytes buf, long v, int bytes) {
    for (int i = bytes - 1; i >= 0; i--) {
      buf.put((int) (v >>> (8 * i)));
    }
  }

  // ---- unpacking ----

  private static final int OK = 0;
  private static final int EOF = 1;
  private static final int BADFMT = 2;

  /** A cursor over the input. */
  private static final class Cursor {
    final byte[] s;
    int p;
    long left;
    int err;

    Cursor(byte[] s, int p) {
      this.s = s;
      this.p = p;
      this.left = s.length - p;
    }

    int u8(int i) {
      return s[p + i] & 0xff;
    }

    long be(int from, int bytes) {
      long v = 0;
      for (int i = 0; i < bytes; i++) {
        v = (v << 8) | u8(from + i);
      }
      return v;
    }

    boolean need(long n) {
      if (left < n) {
        err = EOF;
        return false;
      }
      return true;
    }

    void consume(long n) {
      p += (int) n;
      left -= n;
    }
  }

  private static int unpack(LuaLib lib, long limit, long offset) {
    boolean all = limit == 0 && offset == 0;
    byte[] s = lib.checkBytes(1);
    int len = s.length;
    if (offset < 0 || limit < 0) {
      throw LuaLib.error("Invalid request to unpack with offset of " + (int) offset
          + " and limit of " + len + ".");
    } else if (offset > len) {
      throw LuaLib.error("Start offset " + (int) offset + " greater than input length " + len
          + ".");
    }
    if (all) {
      limit = Integer.MAX_VALUE;
    }
    Cursor c = new Cursor(s, (int) offset);
    int count = 0;
    for (; c.left > 0 && count < limit; count++) {
      decode(lib, c);
      if (c.err == EOF) {
        throw LuaLib.error("Missing bytes in input.");
      } else if (c.err == BADFMT) {
        throw LuaLib.error("Bad data format in input.");
      }
    }
    if (!all) {
      lib.checkStack(1, "in function mp_unpack_full");
      lib.n.lua_pushnumber(lib.p, c.left == 0 ? -1 : len - c.left);
      lib.n.lua_insert(lib.p, 2);
      count++;
    }
    return count;
  }

  private static final String TOO_MANY =
      "too many return values at once; use unpack_one or unpack_limit instead.";

  /** An array or map being filled while its elements are decoded. */
  private static final class Frame {
    final boolean array;
    long remaining;
    int index = 1;
    /** A map: 1 while its key is decoded, 2 while its value is. */
    int phase;

    Frame(boolean array, long remaining) {
      this.array = array;
      this.remaining = remaining;
    }
  }

  /**
   * Decodes one value at the cursor and pushes it (sets c.err and returns on an error). The
   * arrays and maps it contains are filled with a stack of frames rather than by recursion, so
   * the depth is bounded by the Lua stack (as in C, "stack overflow") and not by Java's.
   */
  private static void decode(LuaLib lib, Cursor c) {
    java.util.ArrayList<Frame> frames = new java.util.ArrayList<>();
    while (true) {
      if (!c.need(1)) {
        return;
      }
      lib.checkStack(1, TOO_MANY);
      Frame opened = decodeOne(lib, c);
      if (c.err != OK) {
        return;
      }
      boolean childDone = opened == null;
      if (opened != null) {
        frames.add(opened);
      }
      // find the next value to decode: the next element of the innermost unfinished container
      while (true) {
        if (frames.isEmpty()) {
          return;
        }
        Frame f = frames.get(frames.size() - 1);
        if (f.array) {
          if (childDone) {
            lib.n.lua_rawset(lib.p, -3);
          }
          if (f.remaining-- > 0) {
            lib.n.lua_pushnumber(lib.p, f.index++);
            break;
          }
        } else {
          if (childDone) {
            if (f.phase == 1) {
              f.phase = 2;
              break;
            }
            int kt = lib.type(-2);
            if (kt == LuaLib.TNIL) {
              throw LuaLib.runtimeError("table index is nil");
            }
            if (kt == LuaLib.TNUMBER && Double.isNaN(lib.n.lua_tonumber(lib.p, -2))) {
              throw LuaLib.runtimeError("table index is NaN");
            }
            lib.n.lua_rawset(lib.p, -3);
          }
          if (f.remaining-- > 0) {
            f.phase = 1;
            break;
          }
        }
        frames.remove(frames.size() - 1);
        childDone = true;
      }
    }
  }

  /** Pushes the scalar at the cursor, or the empty table of a container and returns its frame. */
  private static Frame decodeOne(LuaLib lib, Cursor c) {
    int b = c.u8(0);
    switch (b) {
      case 0xcc -> number(lib, c, 2, c.need(2) ? c.u8(1) : 0);
      case 0xd0 -> number(lib, c, 2, c.need(2) ? (byte) c.u8(1) : 0);
      case 0xcd -> number(lib, c, 3, c.need(3) ? c.be(1, 2) : 0);
      case 0xd1 -> number(lib, c, 3, c.need(3) ? (short) c.be(1, 2) : 0);
      case 0xce -> number(lib, c, 5, c.need(5) ? c.be(1, 4) : 0);
      case 0xd2 -> number(lib, c, 5, c.need(5) ? (int) c.be(1, 4) : 0);
      case 0xcf, 0xd3 -> number(lib, c, 9, c.need(9) ? (double) c.be(1, 8) : 0);
      case 0xc0 -> {
        lib.n.lua_pushnil(lib.p);
        c.consume(1);
      }
      case 0xc3, 0xc2 -> {
        lib.n.lua_pushboolean(lib.p, b == 0xc3 ? 1 : 0);
        c.consume(1);
      }
      case 0xca -> number(lib, c, 5, c.need(5) ? Float.intBitsToFloat((int) c.be(1, 4)) : 0);
      case 0xcb -> number(lib, c, 9, c.need(9) ? Double.longBitsToDouble(c.be(1, 8)) : 0);
      case 0xd9 -> {
        if (c.need(2)) {
          int l = c.u8(1);
          if (c.need(2 + l)) {
            lib.pushBytes(c.s, c.p + 2, l);
            c.consume(2 + l);
          }
        }
      }
      case 0xda -> {
        if (c.need(3)) {
          int l = (int) c.be(1, 2);
          if (c.need(3 + l)) {
            lib.pushBytes(c.s, c.p + 3, l);
            c.consume(3 + l);
          }
        }
      }
      case 0xdb -> {
        if (c.need(5)) {
          long l = c.be(1, 4);
          c.consume(5);
          if (c.need(l)) {
            lib.pushBytes(c.s, c.p, (int) l);
            c.consume(l);
          }
        }
      }
      case 0xdc, 0xde -> {
        if (c.need(3)) {
          long l = c.be(1, 2);
          c.consume(3);
          return container(lib, l, b == 0xdc);
        }
      }
      case 0xdd, 0xdf -> {
        if (c.need(5)) {
          long l = c.be(1, 4);
          c.consume(5);
          return container(lib, l, b == 0xdd);
        }
      }
      default -> {
        if ((b & 0x80) == 0) { // positive fixnum
          lib.n.lua_pushnumber(lib.p, b);
          c.consume(1);
        } else if ((b & 0xe0) == 0xe0) { // negative fixnum
          lib.n.lua_pushnumber(lib.p, (byte) b);
          c.consume(1);
        } else if ((b & 0xe0) == 0xa0) { // fixstr
          int l = b & 0x1f;
          if (c.need(1 + l)) {
            lib.pushBytes(c.s, c.p + 1, l);
            c.consume(1 + l);
          }
        } else if ((b & 0xf0) == 0x90) { // fixarray
          c.consume(1);
          return container(lib, b & 0xf, true);
        } else if ((b & 0xf0) == 0x80) { // fixmap
          c.consume(1);
          return container(lib, b & 0xf, false);
        } else {
          c.err = BADFMT;
        }
      }
    }
    return null;
  }

  /** Pushes the table of an array or map of {@code len} entries, to be filled. */
  private static Frame container(LuaLib lib, long len, boolean array) {
    lib.n.lua_createtable(lib.p, 0, 0);
    if (array) {
      lib.checkStack(1, "in function mp_decode_to_lua_array");
    }
    return new Frame(array, len);
  }

  /** Pushes a number of {@code size} bytes when the cursor has them (c.err is set otherwise). */
  private static void number(LuaLib lib, Cursor c, int size, double value) {
    if (c.err == OK) {
      lib.n.lua_pushnumber(lib.p, value);
      c.consume(size);
    }
  }
}
