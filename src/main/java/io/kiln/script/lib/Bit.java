package io.kiln.script.lib;

import party.iroiro.luajava.Lua;

/**
 * The {@code bit} library of Redis's scripts (LuaBitOp 1.0.2): tobit, tohex, bnot, band, bor,
 * bxor, lshift, rshift, arshift, rol, ror, bswap on 32-bit integers, results signed
 * ({@code bit.tobit(0xffffffff) == -1}). Implemented in Java (each function a JFunction): the
 * operations are one line each and a Lua version would need loops over the bits. A number
 * becomes its 32 bits as LuaBitOp takes them: the double plus 2^52+2^51, low word of its
 * representation (rounding to nearest even, wrapping modulo 2^32). Written for Kiln; LuaBitOp's
 * documented behaviour and redis-server 7.0 are the specification.
 */
public final class Bit {
  private Bit() {}

  /** Sets the global {@code bit}; {@code decoder} is the state's {@code LuaBytes} decoder. */
  public static void open(Lua lua, int decoder) {
    LuaLib lib = new LuaLib(lua, decoder);
    lua.createTable(0, 12);
    lib.function("tobit", () -> ret(lib, arg(lib, 1)));
    lib.function("bnot", () -> ret(lib, ~arg(lib, 1)));
    lib.function("band", () -> {
      int b = arg(lib, 1);
      for (int i = lib.n.lua_gettop(lib.p); i > 1; i--) {
        b &= arg(lib, i);
      }
      return ret(lib, b);
    });
    lib.function("bor", () -> {
      int b = arg(lib, 1);
      for (int i = lib.n.lua_gettop(lib.p); i > 1; i--) {
        b |= arg(lib, i);
      }
      return ret(lib, b);
    });
    lib.function("bxor", () -> {
      int b = arg(lib, 1);
      for (int i = lib.n.lua_gettop(lib.p); i > 1; i--) {
        b ^= arg(lib, i);
      }
      return ret(lib, b);
    });
    lib.function("lshift", () -> {
      int b = arg(lib, 1);
      return ret(lib, b << (arg(lib, 2) & 31));
    });
    lib.function("rshift", () -> {
      int b = arg(lib, 1);
      return ret(lib, b >>> (arg(lib, 2) & 31));
    });
    lib.function("arshift", () -> {
      int b = arg(lib, 1);
      return ret(lib, b >> (arg(lib, 2) & 31));
    });
    lib.function("rol", () -> {
      int b = arg(lib, 1);
      return ret(lib, Integer.rotateLeft(b, arg(lib, 2) & 31));
    });
    lib.function("ror", () -> {
      int b = arg(lib, 1);
      return ret(lib, Integer.rotateRight(b, arg(lib, 2) & 31));
    });
    lib.function("bswap", () -> ret(lib, Integer.reverseBytes(arg(lib, 1))));
    lib.function("tohex", () -> {
      int b = arg(lib, 1);
      int digits = lib.type(2) == LuaLib.TNONE ? 8 : arg(lib, 2);
      String hex = "0123456789abcdef";
      if (digits < 0) {
        digits = -digits;
        hex = "0123456789ABCDEF";
      }
      if (digits > 8) {
        digits = 8;
      }
      char[] out = new char[Math.max(0, digits)];
      for (int i = out.length - 1; i >= 0; i--) {
        out[i] = hex.charAt(b & 15);
        b >>>= 4;
      }
      lib.lua.push(new String(out));
      return 1;
    });
    lua.setGlobal("bit");
  }

  /** Argument {@code i} as 32 bits; a value that is no number (nor numeric string) is an error. */
  private static int arg(LuaLib lib, int i) {
    double d = lib.n.lua_tonumber(lib.p, i);
    int b = (int) Double.doubleToRawLongBits(d + 6755399441055744.0);
    if (b == 0 && lib.n.lua_isnumber(lib.p, i) == 0) {
      throw lib.typeError(i, "number");
    }
    return b;
  }

  private static int ret(LuaLib lib, int b) {
    lib.n.lua_pushnumber(lib.p, b);
    return 1;
  }
}
