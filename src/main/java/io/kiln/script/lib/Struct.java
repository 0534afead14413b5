package io.kiln.script.lib;

import io.kiln.script.lib.LuaLib.Bytes;
import party.iroiro.luajava.Lua;

/**
 * The {@code struct} library of Redis's scripts (Roberto Ierusalimschy's struct, 2018):
 * pack(fmt, ...), unpack(fmt, s [, pos]) (the values, then the position after them) and
 * size(fmt). Format letters: {@code > <} big/little endian, {@code !n} alignment (default 8),
 * {@code x} a pad byte, {@code b B h H l L T i In I In} signed/unsigned integers of 1, 2, 8, 8
 * (size_t), 4 or n (at most 32) bytes, {@code f d} float and double, {@code cn} n bytes
 * ({@code c0}: the whole string when packing, the previous number as the length when
 * unpacking), {@code s} a zero-terminated string, ' ' ignored. Implemented in Java (JFunctions):
 * it is byte work on the x86-64 layout that Redis runs on (little-endian native, long and
 * size_t of 8 bytes). Written for Kiln; redis-server 7.0's behaviour is the specification,
 * C's conversions included (a number out of an integer's range packs as C converts it).
 */
public final class Struct {
  private Struct() {}

  private static final int BIG = 0;
  private static final int LITTLE = 1;
  private static final int MAXINTSIZE = 32;
  private static final int MAXALIGN = 8;

  /** Sets the global {@code struct}; {@code decoder} is the state's {@code LuaBytes} decoder. */
  public static void open(Lua lua, int decoder) {
    LuaLib lib = new LuaLib(lua, decoder);
    lua.createTable(0, 3);
    lib.function("pack", () -> pack(lib));
    lib.function("unpack", () -> unpack(lib));
    lib.function("size", () -> size(lib));
    lua.setGlobal("struct");
  }

  /** The format being read, with its endianness and alignment. */
  private static final class Format {
    final byte[] f;
    int i;
    int endian = LITTLE;
    int align = 1;

    Format(byte[] f) {
      this.f = f;
    }

    boolean more() {
      return i < f.length;
    }

    /** The next option, as C's (signed) char. */
    int next() {
      return f[i++];
    }

    private boolean digit() {
      return i < f.length && f[i] >= '0' && f[i] <= '9';
    }

    int number(int df) {
      if (!digit()) {
        return df;
      }
      int a = 0;
      do {
        int d = f[i] - '0';
        if (a > Integer.MAX_VALUE / 10 || a * 10 > Integer.MAX_VALUE - d) {
          throw LuaLib.error("integral size overflow");
        }
        a = a * 10 + d;
        i++;
      } while (digit());
      return a;
    }

    /** The size of option {@code opt} (reading its number); 0 for the others. */
    long size(int opt) {
      switch (opt) {
        case 'B', 'b':
          return 1;
        case 'H', 'h':
          return 2;
        case 'L', 'l', 'T', 'd':
          return 8;
        case 'f':
          return 4;
        case 'x':
          return 1;
        case 'c':
          return number(1);
        case 'i', 'I': {
          int sz = number(4);
          if (sz > MAXINTSIZE) {
            throw LuaLib.error("integral size " + sz + " is larger than limit of " + MAXINTSIZE);
          }
          return sz;
        }
        default:
          return 0;
      }
    }

    /** The padding that aligns an item of {@code size} at {@code len}. */
    long toAlign(long len, int opt, long size) {
      if (size == 0 || opt == 'c') {
        return 0;
      }
      if (Long.compareUnsigned(size, align) > 0) {
        size = align;
      }
      return (size - (len & (size - 1))) & (size - 1);
    }

    /** ' ', '>', '<', '!n'; anything else is an invalid option. */
    void control(int opt) {
      switch (opt) {
        case ' ':
          return;
        case '>':
          endian = BIG;
          return;
        case '<':
          endian = LITTLE;
          return;
        case '!': {
          int a = number(MAXALIGN);
          if (a <= 0 || (a & (a - 1)) != 0) {
            throw LuaLib.error("alignment " + a + " is not a power of 2");
          }
          align = a;
          return;
        }
        default:
          throw LuaLib.argError(1, "invalid format option '" + (char) (opt & 0xff) + "'");
      }
    }
  }

  private static boolean isInteger(int opt) {
    return switch (opt) {
      case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I' -> true;
      default -> false;
    };
  }

  /** {@code size} bytes of {@code v} in {@code endian} order. */
  private static void put(Bytes b, long v, int size, int endian) {
    byte[] buff = new byte[size];
    if (endian == LITTLE) {
      for (int i = 0; i < size; i++) {
        buff[i] = (byte) v;
        v >>>= 8;
      }
    } else {
      for (int i = size - 1; i >= 0; i--) {
        buff[i] = (byte) v;
        v >>>= 8;
      }
    }
    b.put(buff);
  }

  private static int pack(LuaLib lib) {
    Format fmt = new Format(lib.checkCString(1));
    int arg = 2;
    long total = 0;
    lib.n.lua_pushnil(lib.p); // C's mark after the arguments: a missing one reads as this nil
    Bytes b = new Bytes();
    while (fmt.more()) {
      int opt = fmt.next();
      long size = fmt.size(opt);
      long toAlign = fmt.toAlign(total, opt, size);
      total += toAlign;
      for (long k = 0; k < toAlign; k++) {
        b.put(0);
      }
      if (isInteger(opt)) {
        double d = lib.checkNumber(arg++);
        long v = d < 0 ? LuaLib.toInt64(d) : LuaLib.toUint64(d);
        put(b, v, (int) size, fmt.endian);
      } else if (opt == 'x') {
        b.put(0);
      } else if (opt == 'f') {
        float f = (float) lib.checkNumber(arg++);
        put(b, Float.floatToRawIntBits(f), 4, fmt.endian);
      } else if (opt == 'd') {
        double d = lib.checkNumber(arg++);
        put(b, Double.doubleToRawLongBits(d), 8, fmt.endian);
      } else if (opt == 'c' || opt == 's') {
        byte[] s = lib.checkBytes(arg++);
        if (size == 0) {
          size = s.length;
        }
        if (s.length < size) {
          throw LuaLib.argError(arg, "string too short");
        }
        b.put(s, 0, (int) size);
        if (opt == 's') {
          b.put(0);
          size++;
        }
      } else {
        fmt.control(opt);
      }
      total += size;
    }
    lib.pushBytes(b.toArray());
    return 1;
  }

  private static int unpack(LuaLib lib) {
    Format fmt = new Format(lib.checkCString(1));
    byte[] data = lib.checkBytes(2);
    long ld = data.length;
    long pos = lib.optInteger(3, 1);
    if (pos == 0) {
      throw LuaLib.argError(3, "offset must be 1 or greater");
    }
    pos--;
    int n = 0;
    while (fmt.more()) {
      int opt = fmt.next();
      long size = fmt.size(opt);
      pos += fmt.toAlign(pos, opt, size);
      checkFits(size, pos, ld);
      lib.checkStack(2, "too many results");
      if (isInteger(opt)) {
        lib.n.lua_pushnumber(lib.p, integer(data, (int) pos, fmt.endian,
            opt >= 'a' && opt <= 'z', (int) size));
        n++;
      } else if (opt == 'x') {
        // a pad byte
      } else if (opt == 'f') {
        int bits = (int) integerBits(data, (int) pos, fmt.endian, 4);
        lib.n.lua_pushnumber(lib.p, Float.intBitsToFloat(bits));
        n++;
      } else if (opt == 'd') {
        long bits = integerBits(data, (int) pos, fmt.endian, 8);
        lib.n.lua_pushnumber(lib.p, Double.longBitsToDouble(bits));
        n++;
      } else if (opt == 'c') {
        if (size == 0) {
          if (n == 0 || lib.n.lua_isnumber(lib.p, -1) == 0) {
            throw LuaLib.error("format 'c0' needs a previous size");
          }
          size = LuaLib.toUint64(lib.n.lua_tonumber(lib.p, -1));
          lib.n.lua_pop(lib.p, 1);
          n--;
          checkFits(size, pos, ld);
        }
        lib.pushBytes(data, (int) pos, (int) size);
        n++;
      } else if (opt == 's') {
        int e = -1;
        for (int k = (int) pos; k < ld; k++) {
          if (data[k] == 0) {
            e = k;
            break;
          }
        }
        if (e < 0) {
          throw LuaLib.error("unfinished string in data");
        }
        size = e - pos + 1;
        lib.pushBytes(data, (int) pos, (int) size - 1);
        n++;
      } else {
        fmt.control(opt);
      }
      pos += size;
    }
    lib.n.lua_pushnumber(lib.p, pos + 1);
    return n + 1;
  }

  /** The item of {@code size} bytes at {@code pos} must lie inside the data (size_t math). */
  private static void checkFits(long size, long pos, long ld) {
    if (!(Long.compareUnsigned(size, ld) <= 0 && Long.compareUnsigned(pos, ld - size) <= 0)) {
      throw LuaLib.argError(2, "data string too short");
    }
  }

  /** The 64-bit integer of {@code size} bytes at {@code pos} (bytes past the 8th shift out). */
  private static long integerBits(byte[] d, int pos, int endian, int size) {
    long l = 0;
    if (endian == BIG) {
      for (int i = 0; i < size; i++) {
        l = (l << 8) | (d[pos + i] & 0xff);
      }
    } else {
      for (int i = size - 1; i >= 0; i--) {
        l = (l << 8) | (d[pos + i] & 0xff);
      }
    }
    return l;
  }

  private static double integer(byte[] d, int pos, int endian, boolean signed, int size) {
    long l = integerBits(d, pos, endian, size);
    if (!signed) {
      return LuaLib.fromUint64(l);
    }
    long mask = -1L << (size * 8 - 1); // the shift count taken modulo 64, as x86 does
    if ((l & mask) != 0) {
      l |= mask;
    }
    return l;
  }

  private static int size(LuaLib lib) {
    Format fmt = new Format(lib.checkCString(1));
    long pos = 0;
    while (fmt.more()) {
      int opt = fmt.next();
      long size = fmt.size(opt);
      pos += fmt.toAlign(pos, opt, size);
      if (opt == 's') {
        throw LuaLib.argError(1, "option 's' has no fixed size");
      } else if (opt == 'c' && size == 0) {
        throw LuaLib.argError(1, "option 'c0' has no fixed size");
      }
      boolean alnum = opt >= '0' && opt <= '9' || opt >= 'a' && opt <= 'z'
          || opt >= 'A' && opt <= 'Z';
      if (!alnum) {
        fmt.control(opt);
      }
      pos += size;
    }
    lib.n.lua_pushnumber(lib.p, pos);
    return 1;
  }
}
