package io.kiln.script;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import party.iroiro.luajava.Lua;

/**
 * Binary-safe strings between Java and Lua. Reading is exact ({@link Lua#toBuffer} copies the
 * raw bytes). Pushing is not, in luajava: a Java string crosses JNI as modified UTF-8, so a
 * string of bytes 1-127 is pushed as it is, and any other is pushed as the modified UTF-8 of
 * its ISO-8859-1 reading and turned back into its bytes by a small Lua function
 * ({@link #DECODER}, one gsub) installed in the state. Owned by the state's thread.
 */
public final class LuaBytes {
  private LuaBytes() {}

  /**
   * Lua source of a function mapping the modified UTF-8 of bytes 0 and 128-255 back to those
   * bytes: 0 arrives as C0 80, byte b >= 128 as (C0 + b / 64) (80 + b % 64).
   */
  static final String DECODER = String.join("\n",
      "local map = {['\\192\\128'] = '\\0'}",
      "for b = 128, 255 do",
      "  map[string.char(192 + math.floor(b / 64), 128 + b % 64)] = string.char(b)",
      "end",
      "local gsub = string.gsub",
      "return function(s) return (gsub(s, '[\\192-\\195][\\128-\\191]', map)) end");

  /** The bytes of the string (or number, converted as Lua does) at {@code index}. */
  public static byte[] read(Lua lua, int index) {
    ByteBuffer b = lua.toBuffer(index);
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  /** The string at {@code index} as text (ISO-8859-1: one char per byte). */
  public static String readString(Lua lua, int index) {
    return new String(read(lua, index), StandardCharsets.ISO_8859_1);
  }

  /**
   * Pushes {@code bytes} as a Lua string; {@code decoder} is the registry reference of the
   * state's {@link #DECODER} function.
   */
  public static void push(Lua lua, int decoder, byte[] bytes) {
    for (byte x : bytes) {
      if (x <= 0) {
        lua.refGet(decoder);
        lua.push(new String(bytes, StandardCharsets.ISO_8859_1));
        lua.getLuaNatives().lua_pcall(lua.getPointer(), 1, 1, 0); // cannot fail: a gsub
        return;
      }
    }
    lua.push(new String(bytes, StandardCharsets.ISO_8859_1));
  }
}
