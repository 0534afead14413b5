package io.kiln.script;

import io.kiln.resp.Errors;
import io.kiln.resp.RespWriter;
import java.nio.charset.StandardCharsets;
import party.iroiro.luajava.Lua;
import party.iroiro.luajava.LuaNatives;

/**
 * The conversions between Redis replies and Lua values, as Redis 7.0 documents them. A command's
 * reply becomes: integer a number, bulk a string, nil bulk or nil array false, array a table,
 * status {ok = s}, error {err = s}; under redis.setresp(3) also map {map = t}, set {set = t},
 * null nil, boolean a boolean, double {double = n}, big number {big_number = s}, verbatim
 * {verbatim_string = {format = f, string = s}}. A script's result goes back the other way (a
 * number truncated to an integer, true 1, false nil, an array up to its first nil). Script
 * thread.
 */
final class LuaReplies {
  private LuaReplies() {}

  // ---- Lua value -> reply ----

  /** Writes the Lua value at {@code index} as a reply ({@code resp3}: redis.setresp(3)). */
  static void write(Lua lua, int index, RespWriter out, boolean resp3) {
    write(lua, index, out, resp3, 0);
  }

  /** Deeper than this a result is refused, as Lua's own stack limit would (8000 slots). */
  private static final int MAX_DEPTH = 7900;

  private static void write(Lua lua, int index, RespWriter out, boolean resp3, int depth) {
    LuaNatives n = lua.getLuaNatives();
    long p = lua.getPointer();
    int at = index < 0 ? lua.getTop() + index + 1 : index;
    if (depth > MAX_DEPTH || n.lua_checkstack(p, 4) == 0) {
      // a table nested too deep (or in itself): Redis stops with this error, as here
      out.error(Errors.LUA_STACK_LIMIT);
      return;
    }
    switch (n.lua_type(p, at)) {
      case 4 -> out.bulk(LuaBytes.read(lua, at)); // string
      case 1 -> { // boolean
        boolean b = n.lua_toboolean(p, at) != 0;
        if (resp3) {
          out.bool(b);
        } else if (b) {
          out.integer(1);
        } else {
          out.nullBulk();
        }
      }
      case 3 -> out.integer(toLong(n.lua_tonumber(p, at))); // number
      case 5 -> writeTable(lua, at, out, resp3, depth);
      default -> out.nullBulk();
    }
  }

  private static void writeTable(Lua lua, int t, RespWriter out, boolean resp3, int depth) {
    LuaNatives n = lua.getLuaNatives();
    long p = lua.getPointer();
    String err = stringField(lua, t, "err");
    if (err != null) {
      out.error(err);
      return;
    }
    String ok = stringField(lua, t, "ok");
    if (ok != null) {
      out.simple(ok.replace('\r', ' ').replace('\n', ' '));
      return;
    }
    rawField(lua, t, "double");
    if (n.lua_type(p, -1) == 3) {
      out.dbl(n.lua_tonumber(p, -1));
      lua.pop(1);
      return;
    }
    lua.pop(1);
    String big = stringField(lua, t, "big_number");
    if (big != null) {
      // CR and LF become spaces, as Redis maps them: the reply cannot break the protocol
      out.bigNumber(big.replace('\r', ' ').replace('\n', ' '));
      return;
    }
    rawField(lua, t, "map");
    if (n.lua_type(p, -1) == 5) {
      writePairs(lua, lua.getTop(), out, resp3, true, depth);
      lua.pop(1);
      return;
    }
    lua.pop(1);
    rawField(lua, t, "set");
    if (n.lua_type(p, -1) == 5) {
      writePairs(lua, lua.getTop(), out, resp3, false, depth);
      lua.pop(1);
      return;
    }
    lua.pop(1);
    rawField(lua, t, "verbatim_string");
    if (n.lua_type(p, -1) == 5) {
      int v = lua.getTop();
      String format = stringField(lua, v, "format");
      rawField(lua, v, "string");
      if (format != null && n.lua_type(p, -1) == 4) {
        byte[] s = LuaBytes.read(lua, -1);
        lua.pop(2);
        if (out.resp3()) {
          out.raw(("=" + (s.length + 4) + "\r\n" + format + ":").getBytes(StandardCharsets.ISO_8859_1));
          out.raw(s);
          out.raw(new byte[] {'\r', '\n'});
        } else {
          out.bulk(s);
        }
        return;
      }
      lua.pop(2);
    } else {
      lua.pop(1);
    }
    // an array: its elements 1, 2, ... up to the first nil
    int count = 0;
    while (true) {
      n.luaJ_rawgeti(p, t, count + 1);
      boolean nil = n.lua_type(p, -1) == 0;
      lua.pop(1);
      if (nil) {
        break;
      }
      count++;
    }
    out.array(count);
    for (int i = 1; i <= count; i++) {
      n.luaJ_rawgeti(p, t, i);
      write(lua, -1, out, resp3, depth + 1);
      lua.pop(1);
    }
  }

  /** A map's pairs or a set's keys, in the table's iteration order. */
  private static void writePairs(Lua lua, int t, RespWriter out, boolean resp3, boolean map,
      int depth) {
    LuaNatives n = lua.getLuaNatives();
    long p = lua.getPointer();
    int size = 0;
    lua.pushNil();
    while (n.lua_next(p, t) != 0) {
      size++;
      lua.pop(1);
    }
    if (map) {
      out.map(size);
    } else {
      out.set(size);
    }
    lua.pushNil();
    while (n.lua_next(p, t) != 0) {
      // the key is written from a copy: converting a number key to a string in place would
      // confuse lua_next
      lua.pushValue(-2);
      write(lua, -1, out, resp3, depth + 1);
      lua.pop(1);
      if (map) {
        write(lua, -1, out, resp3, depth + 1);
      }
      lua.pop(1);
    }
  }

  /**
   * Writes the error a script raised (the table of the error handler, or a message) as Redis
   * does: "CODE message script: NAME, on SOURCE:LINE.".
   */
  static void writeError(Lua lua, int index, String scriptName, RespWriter out) {
    LuaNatives n = lua.getLuaNatives();
    long p = lua.getPointer();
    int at = index < 0 ? lua.getTop() + index + 1 : index;
    if (n.lua_type(p, at) != 5) {
      String msg = n.lua_type(p, at) == 4 ? LuaBytes.readString(lua, at)
          : Errors.SCRIPT_EXECUTION_FAILURE;
      out.error(String.format(Errors.SCRIPT_RUN_ERROR, scriptName, msg));
      return;
    }
    String err = stringField(lua, at, "err");
    String source = stringField(lua, at, "source");
    String line = stringField(lua, at, "line");
    StringBuilder msg = new StringBuilder(err == null ? Errors.SCRIPT_UNKNOWN_ERROR : err);
    if (source != null && line != null) {
      msg.append(" script: ").append(scriptName).append(", on ").append(source).append(':')
          .append(line).append('.');
    }
    out.error(msg.toString());
  }

  /**
   * Pushes field {@code name} of the table at absolute index {@code t}, without metamethods: a
   * script's table may have an __index that raises, and an error raised outside a protected call
   * would unwind through the JNI frame (Redis reads these fields raw too).
   */
  static void rawField(Lua lua, int t, String name) {
    lua.push(name);
    lua.getLuaNatives().luaJ_rawget(lua.getPointer(), t);
  }

  /**
   * The kind of the result at {@code index} for the error stats ({@link LuaEngine#OK},
   * {@link LuaEngine#NEW_ERROR}, {@link LuaEngine#COUNTED_ERROR}): an error table is counted
   * once, unless it came from a command's reply (flagged ignore_error_stats_update).
   */
  static int errorKind(Lua lua, int index, boolean raised) {
    LuaNatives n = lua.getLuaNatives();
    long p = lua.getPointer();
    int at = index < 0 ? lua.getTop() + index + 1 : index;
    if (n.lua_type(p, at) != 5) {
      return raised ? LuaEngine.NEW_ERROR : LuaEngine.OK;
    }
    if (!raised && stringField(lua, at, "err") == null) {
      return LuaEngine.OK;
    }
    rawField(lua, at, "ignore_error_stats_update");
    boolean counted = n.lua_toboolean(p, -1) != 0;
    lua.pop(1);
    return counted ? LuaEngine.COUNTED_ERROR : LuaEngine.NEW_ERROR;
  }

  /** Field {@code name} of the table at {@code t} when it is a string (or number), else null. */
  private static String stringField(Lua lua, int t, String name) {
    LuaNatives n = lua.getLuaNatives();
    long p = lua.getPointer();
    rawField(lua, t, name);
    int type = n.lua_type(p, -1);
    String s = type == 4 || type == 3 ? LuaBytes.readString(lua, -1) : null;
    lua.pop(1);
    return s;
  }

  /** A Lua number as Redis turns it into an integer: C's conversion, truncating toward 0. */
  static long toLong(double d) {
    if (Double.isNaN(d) || d >= 0x1p63 || d < -0x1p63) {
      return Long.MIN_VALUE; // what the x86 conversion gives out of range
    }
    return (long) d;
  }

  // ---- reply -> Lua value ----

  /**
   * Pushes the reply {@code resp} (one complete reply) as a Lua value; true when it is an
   * error reply (redis.call raises it).
   */
  static boolean push(Lua lua, int decoder, byte[] resp) {
    Reader r = new Reader(lua, decoder, resp);
    boolean error = resp.length > 0 && resp[0] == '-';
    r.value();
    return error;
  }

  /** Walks one RESP reply, pushing Lua values. */
  private static final class Reader {
    final Lua lua;
    final LuaNatives n;
    final long p;
    final int decoder;
    final byte[] b;
    int pos;

    Reader(Lua lua, int decoder, byte[] b) {
      this.lua = lua;
      this.n = lua.getLuaNatives();
      this.p = lua.getPointer();
      this.decoder = decoder;
      this.b = b;
    }

    void value() {
      // a scalar needs no check (a C function may always push a few values: a command called
      // with 7999 arguments still gets its reply); a table being filled needs three slots
      byte type = b[pos];
      boolean aggregate = type == '*' || type == '>' || type == '%' || type == '~' || type == '=';
      if (aggregate && n.lua_checkstack(p, 3) == 0) {
        throw new LuaEngine.Raised(Errors.LUA_STACK_LIMIT); // (Redis stops the server)
      }
      pos++;
      switch (type) {
        case '+' -> {
          lua.createTable(0, 1);
          pushBytes(line());
          lua.setField(-2, "ok");
        }
        case '-' -> {
          String e = new String(line(), StandardCharsets.ISO_8859_1);
          if (e.indexOf(' ') < 0) {
            e = Errors.ERR_PREFIX + e;
          }
          lua.createTable(0, 2);
          lua.push(e);
          lua.setField(-2, "err");
          lua.push(true); // the command's error was counted when it replied
          lua.setField(-2, "ignore_error_stats_update");
        }
        case ':' -> n.lua_pushnumber(p, number());
        case '$' -> {
          long len = number();
          if (len < 0) {
            lua.push(false);
          } else {
            pushBytes(java.util.Arrays.copyOfRange(b, pos, pos + (int) len));
            pos += (int) len + 2;
          }
        }
        case '*', '>' -> {
          long len = number();
          if (len < 0) {
            lua.push(false);
            return;
          }
          n.lua_createtable(p, (int) len, 0);
          for (int i = 1; i <= len; i++) {
            value();
            n.lua_rawseti(p, -2, i);
          }
        }
        case '%' -> {
          long len = number();
          lua.createTable(0, 1);
          n.lua_createtable(p, 0, (int) len);
          for (int i = 0; i < len; i++) {
            value();
            value();
            n.lua_rawset(p, -3);
          }
          lua.setField(-2, "map");
        }
        case '~' -> {
          long len = number();
          lua.createTable(0, 1);
          n.lua_createtable(p, 0, (int) len);
          for (int i = 0; i < len; i++) {
            value();
            lua.push(true);
            n.lua_rawset(p, -3);
          }
          lua.setField(-2, "set");
        }
        case '_' -> {
          line();
          lua.pushNil();
        }
        case '#' -> lua.push(line()[0] == 't');
        case ',' -> {
          lua.createTable(0, 1);
          String d = new String(line(), StandardCharsets.ISO_8859_1);
          n.lua_pushnumber(p, d.equals("inf") ? Double.POSITIVE_INFINITY
              : d.equals("-inf") ? Double.NEGATIVE_INFINITY : Double.parseDouble(d));
          lua.setField(-2, "double");
        }
        case '(' -> {
          lua.createTable(0, 1);
          pushBytes(line());
          lua.setField(-2, "big_number");
        }
        case '=' -> {
          long len = number();
          lua.createTable(0, 1);
          lua.createTable(0, 2);
          pushBytes(java.util.Arrays.copyOfRange(b, pos, pos + 3));
          lua.setField(-2, "format");
          pushBytes(java.util.Arrays.copyOfRange(b, pos + 4, pos + (int) len));
          lua.setField(-2, "string");
          pos += (int) len + 2;
          lua.setField(-2, "verbatim_string");
        }
        case '|' -> { // attributes: skipped, the value follows
          long len = number();
          for (int i = 0; i < len * 2; i++) {
            value();
            lua.pop(1);
          }
          value();
        }
        default -> throw new IllegalStateException("unexpected reply type " + (char) type);
      }
    }

    private void pushBytes(byte[] s) {
      LuaBytes.push(lua, decoder, s);
    }

    /** The rest of the line, and the position after its CRLF. */
    private byte[] line() {
      int start = pos;
      while (b[pos] != '\r') {
        pos++;
      }
      byte[] out = java.util.Arrays.copyOfRange(b, start, pos);
      pos += 2;
      return out;
    }

    private long number() {
      long v = 0;
      boolean neg = false;
      if (b[pos] == '-') {
        neg = true;
        pos++;
      }
      while (b[pos] != '\r') {
        v = v * 10 + (b[pos++] - '0');
      }
      pos += 2;
      return neg ? -v : v;
    }
  }
}
