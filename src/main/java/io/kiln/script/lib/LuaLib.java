package io.kiln.script.lib;

import io.kiln.script.LuaBytes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import party.iroiro.luajava.JFunction;
import party.iroiro.luajava.Lua;
import party.iroiro.luajava.LuaException;
import party.iroiro.luajava.lua51.Lua51Natives;

/**
 * What the four libraries share: registering Java functions, reading arguments with the Lua
 * auxiliary library's rules ("bad argument #1 to 'band' (number expected, got string)") and
 * raising errors the way a C library function does. A Java function cannot raise a Lua error
 * itself (that would unwind through JNI), so it throws a {@link Failure}; the wrapper that
 * {@link #function} installs turns it into the error message and returns -1, and luajava's
 * trampoline raises it. Owned by the state's thread.
 */
final class LuaLib {
  static final int TNONE = -1;
  static final int TNIL = 0;
  static final int TBOOLEAN = 1;
  static final int TLIGHTUSERDATA = 2;
  static final int TNUMBER = 3;
  static final int TSTRING = 4;
  static final int TTABLE = 5;

  /** Lua source of a function giving the name and namewhat of the running library function. */
  private static final String NAME_OF = String.join("\n",
      "local getinfo = debug.getinfo",
      "return function()",
      "  local ar = getinfo(2, 'n')", // 1 is this function, 2 the library function
      "  if ar then return ar.name, ar.namewhat end",
      "end");

  final Lua lua;
  final Lua51Natives n;
  final long p;
  final int decoder;
  /** Registry reference of {@link #NAME_OF}'s function: the running function's name. */
  private final int nameOf;

  LuaLib(Lua lua, int decoder) {
    this.lua = lua;
    this.n = (Lua51Natives) lua.getLuaNatives();
    this.p = lua.getPointer();
    this.decoder = decoder;
    try {
      lua.load(NAME_OF);
      lua.pCall(0, 1);
    } catch (LuaException e) {
      throw new IllegalStateException("cannot load a library helper: " + e.getMessage(), e);
    }
    nameOf = lua.ref();
  }

  /** A library function's body: its results are on the stack, it returns their count. */
  interface Body {
    int call();
  }

  /** Sets field {@code name} of the table on top of the stack to a Java function. */
  void function(String name, Body body) {
    lua.push((JFunction) l -> {
      try {
        return body.call();
      } catch (Failure f) {
        return raise(f);
      }
    });
    lua.setField(-2, name);
  }

  /** Sets field {@code name} of the table on top of the stack to a string. */
  void field(String name, String value) {
    lua.push(value);
    lua.setField(-2, name);
  }

  // ---- errors ----

  /** An error a library function raises; the wrapper of {@link #function} raises it in Lua. */
  static final class Failure extends RuntimeException {
    /** 0: luaL_error (the caller's place in front), 1: a runtime error (no place), 2: argerror. */
    final int kind;
    final int narg;

    Failure(int kind, int narg, String message) {
      super(message, null, false, false);
      this.kind = kind;
      this.narg = narg;
    }
  }

  /** luaL_error: the message with the calling line in front ("user_script:1: ..."). */
  static Failure error(String message) {
    return new Failure(0, 0, message);
  }

  /** An error of the Lua core raised inside the function (such as "table index is nil"). */
  static Failure runtimeError(String message) {
    return new Failure(1, 0, message);
  }

  /** luaL_argerror: "bad argument #narg to 'name' (extramsg)". */
  static Failure argError(int narg, String extramsg) {
    return new Failure(2, narg, extramsg);
  }

  /** luaL_typerror: "bad argument #narg to 'name' (tname expected, got type)". */
  Failure typeError(int narg, String tname) {
    return argError(narg, tname + " expected, got " + typeName(narg));
  }

  /** luaL_checkstack: "stack overflow (message)" when {@code space} more slots cannot be had. */
  void checkStack(int space, String message) {
    if (n.lua_checkstack(p, space) == 0) {
      throw error("stack overflow (" + message + ")");
    }
  }

  /** Pushes the message of {@code f} as luaL_error would build it and returns -1. */
  private int raise(Failure f) {
    String message = f.getMessage();
    n.lua_settop(p, 0); // the error unwinds this frame anyway: room for the message
    if (f.kind == 2) {
      lua.refGet(nameOf);
      n.lua_pcall(p, 0, 2, 0);
      String name = n.lua_type(p, 1) == TSTRING ? string(1) : null;
      String namewhat = n.lua_type(p, 2) == TSTRING ? string(2) : "";
      n.lua_settop(p, 0);
      int narg = f.narg;
      message = null;
      if (namewhat.equals("method")) {
        narg--;
        if (narg == 0) {
          message = "calling '" + name + "' on bad self (" + f.getMessage() + ")";
        }
      }
      if (message == null) {
        message = "bad argument #" + narg + " to '" + (name == null ? "?" : name) + "' ("
            + f.getMessage() + ")";
      }
    }
    if (f.kind != 1) {
      n.luaL_where(p, 1);
    }
    LuaBytes.push(lua, decoder, message.getBytes(StandardCharsets.ISO_8859_1));
    if (f.kind != 1) {
      n.lua_concat(p, 2);
    }
    return -1;
  }

  // ---- arguments, as the auxiliary library reads them ----

  int type(int index) {
    return n.lua_type(p, index);
  }

  String typeName(int index) {
    return switch (n.lua_type(p, index)) {
      case TNONE -> "no value";
      case TNIL -> "nil";
      case TBOOLEAN -> "boolean";
      case TLIGHTUSERDATA, 7 -> "userdata";
      case TNUMBER -> "number";
      case TSTRING -> "string";
      case TTABLE -> "table";
      case 6 -> "function";
      case 8 -> "thread";
      default -> "?";
    };
  }

  /** luaL_checknumber. */
  double checkNumber(int narg) {
    double d = n.lua_tonumber(p, narg);
    if (d == 0 && n.lua_isnumber(p, narg) == 0) {
      throw typeError(narg, "number");
    }
    return d;
  }

  /** luaL_checkinteger: the number truncated as C converts a double to a 64-bit integer. */
  long checkInteger(int narg) {
    long v = n.lua_tointeger(p, narg);
    if (v == 0 && n.lua_isnumber(p, narg) == 0) {
      throw typeError(narg, "number");
    }
    return v;
  }

  /** luaL_optinteger. */
  long optInteger(int narg, long def) {
    return n.lua_type(p, narg) <= TNIL ? def : checkInteger(narg);
  }

  /** luaL_checklstring: a string's bytes (a number is converted in place). */
  byte[] checkBytes(int narg) {
    int t = n.lua_type(p, narg);
    if (t != TSTRING && t != TNUMBER) {
      throw typeError(narg, "string");
    }
    return bytes(narg);
  }

  /** luaL_checkstring as C reads it: up to the first zero byte. */
  byte[] checkCString(int narg) {
    byte[] b = checkBytes(narg);
    for (int i = 0; i < b.length; i++) {
      if (b[i] == 0) {
        return java.util.Arrays.copyOf(b, i);
      }
    }
    return b;
  }

  /** The bytes of the string (or number, converted in place) at {@code index}. */
  byte[] bytes(int index) {
    ByteBuffer b = (ByteBuffer) n.luaJ_todirectbuffer(p, index);
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  /** The string at {@code index}, one char per byte. */
  String string(int index) {
    return new String(bytes(index), StandardCharsets.ISO_8859_1);
  }

  /** Pushes {@code b} as a Lua string, binary-safe. */
  void pushBytes(byte[] b) {
    LuaBytes.push(lua, decoder, b);
  }

  void pushBytes(byte[] b, int off, int len) {
    pushBytes(java.util.Arrays.copyOfRange(b, off, off + len));
  }

  // ---- C's conversions on x86-64 ----

  /** A double to int64_t (cvttsd2si): out of range or NaN gives INT64_MIN. */
  static long toInt64(double d) {
    if (Double.isNaN(d) || d >= 0x1p63 || d < -0x1p63) {
      return Long.MIN_VALUE;
    }
    return (long) d;
  }

  /** A double to int (cvttsd2si, 32 bits): out of range or NaN gives INT_MIN. */
  static int toInt32(double d) {
    if (Double.isNaN(d) || d >= 0x1p31 || d < -0x1p31) {
      return Integer.MIN_VALUE;
    }
    return (int) d;
  }

  /** A double to uint64_t / size_t as GCC converts it (2^63 and above through a subtraction). */
  static long toUint64(double d) {
    if (!(d >= 0x1p63)) {
      return toInt64(d);
    }
    return toInt64(d - 0x1p63) ^ Long.MIN_VALUE;
  }

  /** A uint64_t to double, correctly rounded. */
  static double fromUint64(long v) {
    if (v >= 0) {
      return v;
    }
    return ((v >>> 1) | (v & 1)) * 2.0;
  }

  /** A growable byte array. */
  static final class Bytes {
    byte[] b = new byte[64];
    int len;

    void put(int x) {
      if (len == b.length) {
        b = java.util.Arrays.copyOf(b, b.length * 2);
      }
      b[len++] = (byte) x;
    }

    void put(byte[] x, int off, int n) {
      if (len + n > b.length) {
        b = java.util.Arrays.copyOf(b, Math.max(b.length * 2, len + n));
      }
      System.arraycopy(x, off, b, len, n);
      len += n;
    }

    void put(byte[] x) {
      put(x, 0, x.length);
    }

    void ascii(String s) {
      for (int i = 0; i < s.length(); i++) {
        put(s.charAt(i));
      }
    }

    byte[] toArray() {
      return java.util.Arrays.copyOf(b, len);
    }
  }
}
