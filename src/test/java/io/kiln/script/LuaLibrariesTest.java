package io.kiln.script;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kiln.resp.RespWriter;
import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The libraries Redis 7.0 gives scripts (cjson, cmsgpack, bit, struct), differentially: each
 * probe is a script run by a {@link LuaEngine} and by a real redis-server 7.0 with EVAL, and the
 * reply bytes must be identical (errors included: their text, the script's sha and line).
 * Probes that change cjson's settings put them back, since both interpreters keep them between
 * scripts. Every probe starts with {@link #PRELUDE} (S(...): its arguments as strings, nil
 * included, so that floats and booleans reach the reply as they are). Skips where redis-server
 * is absent.
 */
class LuaLibrariesTest {
  /** Defines S(...), on the script's first line so error lines stay 1. */
  private static final String PRELUDE = "local function S(...) local n = select('#', ...) "
      + "local t = {...} for i = 1, n do t[i] = tostring(t[i]) end return t end ";

  private static RealRedis redis;
  private static RespClient client;
  private static LuaEngine engine;

  private static final LuaEngine.Host HOST = new LuaEngine.Host() {
    @Override
    public byte[] call(byte[][] argv, boolean resp3) {
      return "+OK\r\n".getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public String tick() {
      return null;
    }

    @Override
    public void log(int level, String message) {}

    @Override
    public void replicate(int flags) {}

    @Override
    public Boolean aclCheck(byte[][] argv) {
      return true;
    }
  };

  @BeforeAll
  static void start() {
    redis = RealRedis.start();
    client = redis.client();
    engine = new LuaEngine();
  }

  @AfterAll
  static void stop() throws Exception {
    if (engine != null) {
      engine.close();
    }
    if (client != null) {
      client.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  /** A script, and its ARGV (bytes as ISO-8859-1 chars). */
  private record Probe(String script, String... args) {}

  private static Probe p(String script, String... args) {
    return new Probe(script, args);
  }

  @TestFactory
  Stream<DynamicTest> cjson() {
    return run("cjson", List.of(
        p("return cjson.encode({1, 2, 3})"),
        p("return cjson.encode({a = 1})"),
        p("return cjson.encode({})"),
        p("return cjson.encode({a = {b = {c = {1, 'x', true, false}}}})"),
        p("return cjson.encode({1, 2, {a = 0.1}})"),
        p("return cjson.encode({1e300, 0.1, -0, 1/3, 123456789012345678, 2^53, -1.5e-7, 100,"
            + " 1e15, 1e16, 3.14159265358979, 5e-324, 1.7976931348623157e308, 0.5, 12345.678})"),
        p("return cjson.encode('a/b\"c\\\\d\\n\\t\\r\\b\\f\\1\\127\\195\\169')"),
        p("return cjson.encode(string.char(0, 1, 31, 32, 127, 128, 255))"),
        p("return cjson.encode(ARGV[1])", bytes(0, 256)),
        p("local t = {} t[1] = 1 t[100] = 2 return cjson.encode(t)"),
        p("local t = {} t[1] = 1 t[3] = 3 return cjson.encode(t)"),
        p("local t = {} t[20] = 1 return cjson.encode(t)"),
        p("local t = {} t[10] = 1 return cjson.encode(t)"),
        p("return S(cjson.encode({[1.5] = 1}), cjson.encode({[0] = 1}), cjson.encode({[-1] = 'x'}),"
            + " cjson.encode({[1] = 'a', b = 'c'}))"),
        p("local t = {} t[1e10] = 1 return cjson.encode(t)"),
        p("local t = {} t[2^31] = 1 t[1] = 2 return cjson.encode(t)"),
        p("return cjson.encode({[true] = 1})"),
        p("return cjson.encode({a = function() end})"),
        p("return cjson.encode(1/0)"),
        p("return cjson.encode({0/0})"),
        p("return S(cjson.encode(cjson.null), cjson.encode({a = cjson.null}), cjson.encode(nil),"
            + " cjson.encode(true), cjson.encode('x'), cjson.encode(-12.5))"),
        p("return cjson.encode()"),
        p("return cjson.encode(1, 2)"),
        p("local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end"
            + " return #cjson.encode(t)"),
        p("local t = {} local c = t for i = 1, 1000 do c[1] = {} c = c[1] end"
            + " return cjson.encode(t)"),
        p("local t = {} t.a = t return cjson.encode(t)"),
        p("return cjson.decode('[1,2,3,\"a\"]')"),
        p("local t = cjson.decode('{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}')"
            + " return S(t.a, t.b[1], t.b[2], t.b[3] == cjson.null, t.c.d, type(t.b[3]))"),
        p("return cjson.decode('\"\\\\u00e9\\\\u20ac\\\\ud83d\\\\ude00\\\\/\\\\b\\\\f\\\\n"
            + "\\\\r\\\\t\\\\\"\\\\\\\\\\\\u0000x\"')"),
        p("local r = {} for _, s in ipairs({'1e300', '0.1', '-0', '1E2', '0x10', 'inf',"
            + " '-Infinity', 'nan', '-nan', '+5', '01', '1.5e', '-', '1e999', '-1e-999', '0x1p4',"
            + " ' 7 ', '[1e2,2.5E-3]', '123456789012345678901234567890', '.5', '5.'}) do"
            + " local ok, v = pcall(cjson.decode, s)"
            + " if type(v) == 'number' then v = string.format('%.17g', v)"
            + " elseif type(v) == 'table' then v = cjson.encode(v) end"
            + " r[#r + 1] = s .. ' -> ' .. tostring(ok) .. ' ' .. tostring(v) end return r"),
        p("local r = {} for _, s in ipairs({'{', '[1,]', '{\"a\" 1}', '[1 2]', 'tru', '\"abc',"
            + " '\"\\\\x\"', '\"\\\\ud800\"', '\"\\\\udc00\\\\u0041\"', '\"\\\\ud800\\\\u0041\"',"
            + " '\"\\\\u12\"', '', '1 2', '{1:2}', '{\"a\":1,}', ']', 'null x', '\\0a', 'a\\0',"
            + " '\"a\\0b\"', '@', '{\"a\":}', '[', 'nil', 'Inf'}) do"
            + " local ok, e = pcall(cjson.decode, s) r[#r + 1] = tostring(ok) .. ' '"
            + " .. (type(e) == 'string' and e or type(e)) end return r"),
        p("return cjson.decode('{')"),
        p("return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))"),
        p("return #cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000))"),
        p("return S(cjson.encode_max_depth(), cjson.decode_max_depth(),"
            + " cjson.encode_number_precision(), cjson.encode_keep_buffer(),"
            + " cjson.encode_invalid_numbers(), cjson.decode_invalid_numbers(),"
            + " cjson.encode_sparse_array())"),
        p("cjson.encode_number_precision(3) local s = cjson.encode({3.14159, 1234567, 0.000123456})"
            + " cjson.encode_number_precision(14) return s"),
        p("local a = cjson.encode_invalid_numbers(true) local b = cjson.encode({1/0, -1/0, 0/0})"
            + " local c = cjson.encode_invalid_numbers('null') local d = cjson.encode({1/0, 0/0})"
            + " local e = cjson.encode_invalid_numbers(false) return S(a, b, c, d, e)"),
        p("return S(select(2, pcall(cjson.encode_number_precision, 15)),"
            + " select(2, pcall(cjson.encode_max_depth, 'x')),"
            + " select(2, pcall(cjson.encode_keep_buffer, 'maybe')),"
            + " select(2, pcall(cjson.decode_max_depth, 1, 2)),"
            + " select(2, pcall(cjson.encode_invalid_numbers, {})),"
            + " cjson.encode_keep_buffer('on'), cjson.encode_max_depth(2^32 + 1000))"),
        p("return cjson.encode_max_depth(0)"),
        p("cjson.encode_max_depth(2) local ok, e = pcall(cjson.encode, {{{1}}})"
            + " cjson.encode_max_depth(1000) return S(ok, e)"),
        p("cjson.decode_max_depth(2) local ok, e = pcall(cjson.decode, '[[[1]]]')"
            + " cjson.decode_max_depth(1000) return S(ok, e)"),
        p("cjson.decode_invalid_numbers(false) local r = {} for _, s in ipairs({'nan', '0x10',"
            + " '+1', '01', '-inf', '1'}) do local ok, e = pcall(cjson.decode, s)"
            + " r[#r + 1] = tostring(ok) .. ' ' .. tostring(e) end"
            + " cjson.decode_invalid_numbers(true) return r"),
        p("local j = cjson.new() j.encode_number_precision(2)"
            + " return S(j.encode(1.2345), cjson.encode(1.2345), j._NAME, j._VERSION,"
            + " j.null == cjson.null)"),
        p("local a = S(cjson.encode_sparse_array(true, 3, 5))"
            + " local s = cjson.encode({[1] = 1, [100] = 2}) local t = {} t[6] = 1 t[1] = 1"
            + " local u = cjson.encode(t) cjson.encode_sparse_array(false, 2, 10)"
            + " a[#a + 1] = s a[#a + 1] = u return a"),
        p("return cjson.encode(cjson.decode("
            + "'{\"z\":1,\"a\":2,\"m\":3,\"b\":[1,2,{\"k\":\"v\"}],\"long key\":-0.5}'))"),
        p("return S(cjson.decode(123), select(2, pcall(cjson.decode, {})),"
            + " select(2, pcall(cjson.decode)), cjson._NAME, cjson._VERSION, type(cjson.null),"
            + " tostring(cjson.null))"),
        p("local b = ARGV[1] local s = cjson.encode({b}) return {s, cjson.decode(s)[1] == b and 1"
            + " or 0}", bytes(1, 256)),
        p("local t = {} for i = 1, 40 do t['k' .. i] = i * 1.5 end"
            + " return cjson.encode(cjson.decode(cjson.encode(t)))")));
  }

  @TestFactory
  Stream<DynamicTest> cmsgpack() {
    return run("cmsgpack", List.of(
        p("return cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 2^32 - 1, 2^32, 2^53)"),
        p("return cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2^31, -2^31 - 1,"
            + " -2^53, -2^63)"),
        p("return cmsgpack.pack(0.5, 0.1, 1/3, 1e300, -1.5, 1/0, -1/0, 0/0, 2^63, 2^64, 3.4e38,"
            + " 1e-45, -0, 2^63 - 1024)"),
        p("return cmsgpack.pack('', 'a', string.rep('x', 31), string.rep('x', 32),"
            + " string.rep('y', 255), string.rep('z', 256))"),
        p("local s = cmsgpack.pack(string.rep('a', 65535)) local t = cmsgpack.pack("
            + "string.rep('b', 65536)) return {#s, s:sub(1, 4), #t, t:sub(1, 6)}"),
        p("return cmsgpack.pack(true, false, nil, function() end, cjson.null)"),
        p("return cmsgpack.pack({1, 2, 3}, {a = 1}, {}, {[1] = 1, [3] = 3}, {1, 2, nil, 4},"
            + " {[0] = 'z'}, {[1.5] = 'a'}, {[2^31] = 1})"),
        p("local t = {} for i = 1, 20 do t[i] = i end return cmsgpack.pack(t)"),
        p("local t = {} for i = 1, 70000 do t[i] = i % 3 end local s = cmsgpack.pack(t)"
            + " return {#s, s:sub(1, 8)}"),
        p("local t = {} for i = 1, 20 do t['k' .. i] = i end return cmsgpack.pack(t)"),
        p("local t = {} for i = 1, 70000 do t['k' .. i] = true end local s = cmsgpack.pack(t)"
            + " return {#s, s:sub(1, 5)}"),
        p("local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end"
            + " return cmsgpack.pack(t)"),
        p("local t = {} t.self = t return cmsgpack.pack(t)"),
        p("return cmsgpack.pack({[true] = 'b', [false] = 'c', x = {y = {1.5, -2}}})"),
        p("local s = cmsgpack.pack({1, 'a', {b = 2.5}, true, -7, 2^40, -2^40})"
            + " return cjson.encode(cmsgpack.unpack(s))"),
        p("return S(cmsgpack.unpack('\\204\\200\\205\\1\\0\\206\\0\\1\\0\\0\\208\\128\\209\\128\\0"
            + "\\210\\128\\0\\0\\0\\206\\255\\255\\255\\255\\127\\224\\255'))"),
        p("return S(cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255'"
            + " .. '\\207\\128\\0\\0\\0\\0\\0\\0\\0\\207\\0\\0\\0\\1\\0\\0\\0\\0'"
            + " .. '\\211\\255\\255\\255\\255\\255\\255\\255\\254\\211\\128\\0\\0\\0\\0\\0\\0\\0'))"),
        p("return S(cmsgpack.unpack('\\202\\63\\192\\0\\0\\203\\63\\185\\153\\153\\153\\153\\153"
            + "\\154\\202\\127\\128\\0\\0\\203\\127\\248\\0\\0\\0\\0\\0\\0\\194\\195\\192'))"),
        p("return {cmsgpack.unpack('\\160\\161a\\217\\3abc\\218\\0\\2xy\\219\\0\\0\\0\\1z')}"),
        p("local r = {} for _, s in ipairs({'\\205\\1', '\\193', '\\196\\1a', '\\199\\1\\1a',"
            + " '\\212\\1\\1', '\\145', '\\129\\1', '\\217', '\\217\\5ab', '\\219\\0\\0\\0\\9ab',"
            + " '\\220\\0\\3\\1', '\\221\\0\\0', '\\223\\0\\0\\0\\1\\1', '\\129\\192\\1',"
            + " '\\129\\192', '\\203\\1\\2'}) do local ok, e = pcall(cmsgpack.unpack, s)"
            + " r[#r + 1] = tostring(ok) .. ' ' .. tostring(e) end return r"),
        p("return cmsgpack.unpack('\\205\\1')"),
        p("return cmsgpack.unpack('\\129\\192\\1')"),
        p("return cmsgpack.unpack('\\129\\203\\127\\248\\0\\0\\0\\0\\0\\1\\1')"),
        p("local t = cmsgpack.unpack('\\130\\1\\192\\2\\3') return S(t[1], t[2])"),
        p("local s = cmsgpack.pack(1, 'two', {3}) local o1, v1 = cmsgpack.unpack_one(s)"
            + " local o2, v2 = cmsgpack.unpack_one(s, o1) local o3, v3 = cmsgpack.unpack_one(s, o2)"
            + " return S(o1, v1, o2, v2, o3, v3[1], cmsgpack.unpack_one(s, #s))"),
        p("local s = cmsgpack.pack(1, 2, 3, 4, 5) return {S(cmsgpack.unpack_limit(s, 2)),"
            + " S(cmsgpack.unpack_limit(s, 2, 4)), S(cmsgpack.unpack_limit(s, 0)),"
            + " S(cmsgpack.unpack_limit(s, 9, 1)), S(cmsgpack.unpack_limit(s, 0, 3)),"
            + " S(cmsgpack.unpack(s))}"),
        p("local s = cmsgpack.pack(1, 2) return S(select(2, pcall(cmsgpack.unpack_limit, s, -1)),"
            + " select(2, pcall(cmsgpack.unpack_one, s, 99)),"
            + " select(2, pcall(cmsgpack.unpack_one, s, -2)),"
            + " select(2, pcall(cmsgpack.unpack_limit, s)),"
            + " select(2, pcall(cmsgpack.unpack_limit, s, 'x')),"
            + " select(2, pcall(cmsgpack.unpack_one, s, 'y')))"),
        p("return cmsgpack.unpack_one('\\1\\2', 5)"),
        p("return {S(cmsgpack.unpack('')), S(cmsgpack.unpack_one('')), S(cmsgpack.unpack(5)),"
            + " S(cmsgpack.unpack_limit('\\1\\2', 1, 2))}"),
        p("return cmsgpack.pack()"),
        p("return cmsgpack.unpack({})"),
        p("return cmsgpack.unpack()"),
        p("local s = cmsgpack.pack(ARGV[1]) local u = cmsgpack.unpack(s)"
            + " return {u == ARGV[1] and 1 or 0, #s, s}", bytes(0, 256)),
        p("return #{cmsgpack.unpack(string.rep('\\1', 7999))}"),
        p("return #{cmsgpack.unpack(string.rep('\\1', 8000))}"),
        p("local ok, e = pcall(cmsgpack.unpack, string.rep('\\145', 5000) .. '\\1')"
            + " return S(ok, type(e) == 'string' and e or type(e))"),
        p("return S(cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT,"
            + " cmsgpack._DESCRIPTION)"),
        p("local s = cmsgpack.pack({a = {1, 2, {b = 'c'}}, d = 1.25}, 'x', -3)"
            + " return cmsgpack.pack(cmsgpack.unpack(s)) == s and 1 or 0")));
  }

  @TestFactory
  Stream<DynamicTest> bit() {
    return run("bit", List.of(
        p("return {bit.tobit(0xffffffff), bit.tobit(2^32), bit.tobit(2^32 + 5), bit.tobit(-1),"
            + " bit.tobit(2^31), bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5), bit.tobit(1e300),"
            + " bit.tobit(2^52 + 1), bit.tobit('12'), bit.tobit(-2^31 - 1), bit.tobit(0.49999)}"),
        p("return S(bit.tobit(0/0), bit.tobit(1/0), bit.tobit(-1/0), bit.tobit(2^53 + 3),"
            + " bit.tobit(-2^63), bit.tobit(1e-300), bit.tobit('0x10'), bit.tobit(' 7 '))"),
        p("return {bit.tohex(-1), bit.tohex(255), bit.tohex(255, 2), bit.tohex(255, -4),"
            + " bit.tohex(0x12345678, 10), bit.tohex(1, 0), bit.tohex(-1, -8), bit.tohex(2^40 + 3),"
            + " bit.tohex(0xabcdef, -3), bit.tohex(-2, 1)}"),
        p("return {bit.bnot(0), bit.bnot(-1), bit.bnot(0x7fffffff), bit.bnot(2^32), bit.bnot(5)}"),
        p("return {bit.band(0xff, 0x0f), bit.band(-1, 0x80000000), bit.band(7, 6, 5),"
            + " bit.band(1), bit.band(-2^31, -1), bit.band(2^33 + 7, 3)}"),
        p("return {bit.bor(1, 2, 4, 8), bit.bor(0x80000000, 0), bit.bor(-1, 0), bit.bor(2^53, 1),"
            + " bit.bor(5)}"),
        p("return {bit.bxor(0xff, 0x0f), bit.bxor(-1, 1), bit.bxor(1, 2, 3), bit.bxor(2^31, 1)}"),
        p("return {bit.lshift(1, 31), bit.lshift(1, 32), bit.lshift(1, -1), bit.lshift(-1, 4),"
            + " bit.lshift(0x12345678, 8), bit.lshift(3, 33)}"),
        p("return {bit.rshift(-1, 28), bit.rshift(0x80000000, 31), bit.rshift(-1, 0),"
            + " bit.rshift(256, 36), bit.rshift(-256, 4)}"),
        p("return {bit.arshift(-256, 4), bit.arshift(0x80000000, 31), bit.arshift(256, 4),"
            + " bit.arshift(-1, 31), bit.arshift(0x7fffffff, 30)}"),
        p("return {bit.rol(0x12345678, 4), bit.rol(1, 33), bit.rol(-1, 5), bit.rol(0x80000000, 1),"
            + " bit.ror(0x12345678, 4), bit.ror(-1, 7), bit.ror(1, 1), bit.ror(1, 0)}"),
        p("return {bit.bswap(0x12345678), bit.bswap(-1), bit.bswap(0xff), bit.bswap(2^31)}"),
        p("return bit.band('x')"),
        p("return bit.band()"),
        p("return bit.bor(1, {})"),
        p("return bit.band(1, 'a', 'b')"),
        p("return bit.lshift(1)"),
        p("return bit.tohex(nil)"),
        p("return bit:band(1)"),
        p("local f = bit.bxor return f(nil)"),
        p("return select(2, pcall(bit.band, 'x'))"),
        p("return {bit.band('0xff', '15'), bit.bor('1', 2), bit.tobit('-1')}"),
        p("local r = {} for _, f in ipairs({'tobit', 'bnot', 'band', 'bor', 'bxor', 'lshift',"
            + " 'rshift', 'arshift', 'rol', 'ror', 'bswap', 'tohex'}) do"
            + " local ok, e = pcall(bit[f], true) r[#r + 1] = tostring(e) end return r"),
        p("local x = 0 for i = 1, 1000 do x = bit.bxor(x, bit.lshift(i, i % 32)) end"
            + " return {x, bit.tohex(x)}")));
  }

  @TestFactory
  Stream<DynamicTest> struct() {
    return run("struct", List.of(
        p("return struct.pack('bBhH', -1, 255, -2, 65535)"),
        p("return struct.pack('<i>i', 1, 1)"),
        p("return S(struct.pack('i3', 0x123456), struct.pack('>I16', 1), struct.pack('i0', 5),"
            + " struct.pack('<i16', -1), struct.pack('>i9', -2))"),
        p("return struct.pack('lL', -1, 2^63)"),
        p("return {struct.pack('<L', 2^64), struct.pack('<L', 0/0), struct.pack('<l', -1e30),"
            + " struct.pack('<L', -1e30), struct.pack('T', 5), struct.pack('<L', 1/0),"
            + " struct.pack('<l', 2^63), struct.pack('<L', 2^63 + 2^11)}"),
        p("return {struct.pack('!4 b i', 1, 2), struct.pack('!b d', 1, 2),"
            + " struct.pack('!2 bhb i', 1, 2, 3, 4), struct.pack('! b i3 b', 1, 2, 3),"
            + " struct.pack('!8 b h b l', 1, 2, 3, 4), struct.pack('!1 b d', 1, 0)}"),
        p("return struct.pack('<f>f<d>d', 1.5, 1.5, 0.1, 0.1)"),
        p("return {struct.pack('s', 'abc'), struct.pack('c0', 'hello'), struct.pack('c3', 'hello'),"
            + " struct.pack('c', 'xyz'), struct.pack('s', 'a\\0b')}"),
        p("return struct.pack('c10', 'hi')"),
        p("return S(struct.unpack('bBhH', struct.pack('bBhH', -1, 255, -2, 65535)))"),
        p("return S(struct.unpack('>i', '\\255\\255\\255\\254'),"
            + " struct.unpack('<I', '\\255\\255\\255\\255'),"
            + " struct.unpack('l', string.rep('\\255', 8)),"
            + " struct.unpack('L', string.rep('\\255', 8)),"
            + " struct.unpack('i16', string.rep('\\255', 16)),"
            + " struct.unpack('>I9', '\\1' .. string.rep('\\0', 7) .. '\\2'),"
            + " struct.unpack('i9', string.rep('\\0', 8) .. '\\128'),"
            + " struct.unpack('i0', ''))"),
        p("return S(struct.unpack('b c0', '\\3abcde'))"),
        p("return struct.unpack('c0', 'abc')"),
        p("return struct.unpack('c c0', 'xabc')"),
        p("return S(struct.unpack('s s', 'ab\\0cd\\0'))"),
        p("return struct.unpack('s', 'abc')"),
        p("return S(struct.unpack('b', '\\1\\2\\3', 2), struct.unpack('bb', '\\1\\2\\3', 2))"),
        p("return struct.unpack('b', '\\1', 0)"),
        p("return struct.unpack('b', '\\1', -1)"),
        p("return struct.unpack('i', 'ab')"),
        p("return {struct.size('bhilfdT'), struct.size('!bd'), struct.size('c5x'),"
            + " struct.size('q'), struct.size('!4 b i b'), struct.size('i7 > < !2 h'),"
            + " struct.size('')}"),
        p("return struct.size('s')"),
        p("return struct.size('c0')"),
        p("return struct.size('#')"),
        p("return struct.pack('q', 1)"),
        p("return struct.pack('i33', 1)"),
        p("return struct.pack('!3', 1)"),
        p("return struct.pack('i99999999999', 1)"),
        p("return struct.pack('b', 'x')"),
        p("return struct.pack('b')"),
        p("return struct.pack()"),
        p("return struct.pack('c', {})"),
        p("return S(select(2, pcall(struct.pack, '\\200')), select(2, pcall(struct.unpack, 'b')),"
            + " select(2, pcall(struct.size, 'b!0')), select(2, pcall(struct.unpack, 'q', 'abc')))"),
        p("local f = '>!4 b h i l B H I L f d c3 s x'"
            + " local s = struct.pack(f, -5, -300, -70000, -2^40, 200, 60000, 4e9, 2^50, 0.5, 0.1,"
            + " 'abc', 'zz') return {s, S(struct.unpack(f, s))}"),
        p("return {struct.pack('b', 300), struct.pack('h', 1e10), struct.pack('B', -1),"
            + " struct.pack('>b', 0x7f, 'extra'), struct.pack('bxb', 1, 2), struct.pack('b', '7')}"),
        p("return S(struct.unpack('<f', struct.pack('<f', 0.1)), struct.unpack('>d',"
            + " struct.pack('>d', -1/3)), struct.unpack('bxb', '\\1\\0\\2'),"
            + " struct.unpack('>f', '\\127\\192\\0\\0'))"),
        p("local s = struct.pack('>I2 c0', #ARGV[1], ARGV[1]) local n, b = struct.unpack('>I2',"
            + " s) return {n, struct.unpack('>I2 c0', s) == ARGV[1] and 1 or 0, s}",
            bytes(0, 256)),
        p("return struct.pack('\\200', 1)")));
  }

  /** The bytes from..to-1 as a string of chars. */
  private static String bytes(int from, int to) {
    StringBuilder s = new StringBuilder();
    for (int i = from; i < to; i++) {
      s.append((char) i);
    }
    return s.toString();
  }

  private static Stream<DynamicTest> run(String library, List<Probe> probes) {
    List<DynamicTest> tests = new ArrayList<>();
    for (int i = 0; i < probes.size(); i++) {
      Probe probe = probes.get(i);
      String name = library + " " + (i + 1) + ": " + probe.script();
      tests.add(DynamicTest.dynamicTest(name, () -> {
        String body = PRELUDE + probe.script();
        assertEquals(redis(body, probe.args()), kiln(body, probe.args()), name);
      }));
    }
    return tests.stream();
  }

  private static String redis(String body, String[] args) {
    List<byte[]> cmd = new ArrayList<>();
    cmd.add("EVAL".getBytes(StandardCharsets.US_ASCII));
    cmd.add(body.getBytes(StandardCharsets.ISO_8859_1));
    cmd.add("0".getBytes(StandardCharsets.US_ASCII));
    for (String a : args) {
      cmd.add(a.getBytes(StandardCharsets.ISO_8859_1));
    }
    return client.call(cmd);
  }

  private static String kiln(String body, String[] args) {
    byte[] script = body.getBytes(StandardCharsets.ISO_8859_1);
    String sha = LuaEngine.sha1hex(script);
    RespWriter out = new RespWriter();
    String error = engine.compile("f_" + sha, script, "@user_script");
    if (error != null) {
      return "compile error: " + error;
    }
    byte[][] argv = new byte[args.length][];
    for (int i = 0; i < args.length; i++) {
      argv[i] = args[i].getBytes(StandardCharsets.ISO_8859_1);
    }
    engine.run(HOST, "f_" + sha, sha, new byte[0][], argv, false, out);
    return new String(out.take().getBytes(), StandardCharsets.ISO_8859_1);
  }
}
