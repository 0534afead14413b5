package io.kiln.rdb;

import static io.kiln.rdb.RdbTestSupport.b;
import static io.kiln.rdb.RdbTestSupport.canon;
import static io.kiln.rdb.RdbTestSupport.hash;
import static io.kiln.rdb.RdbTestSupport.list;
import static io.kiln.rdb.RdbTestSupport.read;
import static io.kiln.rdb.RdbTestSupport.s;
import static io.kiln.rdb.RdbTestSupport.set;
import static io.kiln.rdb.RdbTestSupport.str;
import static io.kiln.rdb.RdbTestSupport.write;
import static io.kiln.rdb.RdbTestSupport.zset;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class RdbRoundTripTest {

  /** Every type in both its small and its large encoding, plus string corner cases. */
  static Map<String, RdbValue> allTypes() {
    Map<String, RdbValue> m = new LinkedHashMap<>();
    m.put("s-int8", str("-12"));
    m.put("s-int16", str("30000"));
    m.put("s-int32", str("-2000000000"));
    m.put("s-bigint", str("12345678901"));
    m.put("s-notcanon", str("007"));
    m.put("s-minus0", str("-0"));
    m.put("s-empty", str(""));
    m.put("s-short", str("hello"));
    m.put("s-long-repetitive", str("abc".repeat(100)));
    byte[] rnd = new byte[300];
    new Random(1).nextBytes(rnd);
    m.put("s-long-random", new RdbValue.Str(rnd));
    m.put("s-big", str("x".repeat(70_000) + "y".repeat(20_000)));
    m.put("l-small", list("a", "1", "-5000", "100000", "9223372036854775807", "", "zz"));
    List<byte[]> big = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      big.add(b("element-" + i));
    }
    big.add(b("q".repeat(10_000)));
    m.put("l-big", new RdbValue.ListValue(big));
    m.put("set-intset", set("1", "-3", "70000", "5"));
    m.put("set-intset64", set("1", "-9223372036854775808", "9223372036854775807"));
    m.put("set-plain", set("a", "1", "b"));
    List<byte[]> bigSet = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      bigSet.add(b(Integer.toString(i * 7)));
    }
    m.put("set-many-ints", new RdbValue.SetValue(bigSet));
    m.put("h-small", hash("f1", "v1", "n", "42", "neg", "-7"));
    m.put("h-longvalue", hash("f1", "v".repeat(65)));
    List<RdbValue.FieldValue> bigHash = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      bigHash.add(new RdbValue.FieldValue(b("field" + i), b("value" + i)));
    }
    m.put("h-big", new RdbValue.HashValue(bigHash));
    m.put("z-small", zset("a", 1, "b", 2.5, "c", -3, "d", 1e300, "e", Double.POSITIVE_INFINITY,
        "f", Double.NEGATIVE_INFINITY, "g", 0.1));
    List<RdbValue.ScoredMember> bigZ = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      bigZ.add(new RdbValue.ScoredMember(b("m" + i), i / 3.0));
    }
    m.put("z-big", new RdbValue.ZSetValue(bigZ));
    m.put("z-longmember", zset("m".repeat(100), 1.5));
    return m;
  }

  /** A file holding every entry of {@link #allTypes}, in order. */
  static byte[] allTypesFile(boolean compression) {
    List<Object> kv = new ArrayList<>();
    allTypes().forEach((k, v) -> {
      kv.add(k);
      kv.add(v);
    });
    return write(new RdbWriter.Options().compression(compression), kv.toArray());
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void everyTypeRoundTrips(boolean compression) throws Exception {
    Map<String, RdbValue> all = allTypes();
    byte[] file = allTypesFile(compression);
    RdbTestSupport.Loaded l = read(file);
    assertThat(l.version).isEqualTo(10);
    assertThat(l.verified).isTrue();
    assertThat(l.aux).containsEntry("redis-ver", "7.0.15").containsEntry("redis-bits", "64")
        .containsEntry("aof-base", "0");
    assertThat(l.keys).hasSize(all.size());
    for (Map.Entry<String, RdbValue> e : all.entrySet()) {
      assertThat(canon(l.key(0, e.getKey()).value())).as(e.getKey())
          .isEqualTo(canon(e.getValue()));
    }
  }

  /**
   * The reader reads ahead in blocks and checksums a block once consumed: a stream that returns
   * a few bytes per read gives the same keys and a verified checksum, and a byte changed past
   * the first block (in a value whose encoding accepts any byte) fails the checksum.
   */
  @Test
  void blocksOfAnySizeAreReadAndChecksummedWhole() throws Exception {
    Map<String, RdbValue> all = allTypes();
    byte[] file = allTypesFile(false);
    assertThat(file.length).isGreaterThan(2 * RdbReader.BLOCK);
    List<String> keys = new ArrayList<>();
    boolean[] verified = new boolean[1];
    InputStream trickle = new java.io.ByteArrayInputStream(file) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 3));
      }
    };
    new RdbReader(trickle).read(new RdbReader.Visitor() {
      @Override
      public void key(RdbReader.KeyEntry entry) {
        keys.add(s(entry.key()));
        assertThat(canon(entry.value())).isEqualTo(canon(all.get(s(entry.key()))));
      }

      @Override
      public void eof(boolean checksumVerified) {
        verified[0] = checksumVerified;
      }
    });
    assertThat(keys).containsExactlyElementsOf(all.keySet());
    assertThat(verified[0]).isTrue();

    int at = indexOf(file, b("y".repeat(100))) + 50; // inside s-big's "y" run, past 64 KB
    assertThat(at).isGreaterThan(RdbReader.BLOCK);
    byte[] changed = file.clone();
    changed[at] = 'z';
    assertThatThrownBy(() -> read(changed)).isInstanceOf(RdbException.class)
        .hasMessageContaining("RDB CRC error");
  }

  private static int indexOf(byte[] in, byte[] what) {
    for (int i = 0; i + what.length <= in.length; i++) {
      if (Arrays.equals(in, i, i + what.length, what, 0, what.length)) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void encodingsAreRedis70s() throws Exception {
    RdbWriter.Options o = new RdbWriter.Options();
    RdbWriter w = new RdbWriter(new ByteArrayOutputStream(), o);
    Map<String, RdbValue> all = allTypes();
    assertThat(w.typeFor(all.get("l-small"))).isEqualTo(Rdb.TYPE_LIST_QUICKLIST_2);
    assertThat(w.typeFor(all.get("set-intset"))).isEqualTo(Rdb.TYPE_SET_INTSET);
    assertThat(w.typeFor(all.get("set-plain"))).isEqualTo(Rdb.TYPE_SET);
    assertThat(w.typeFor(all.get("set-many-ints"))).isEqualTo(Rdb.TYPE_SET);
    assertThat(w.typeFor(all.get("h-small"))).isEqualTo(Rdb.TYPE_HASH_LISTPACK);
    assertThat(w.typeFor(all.get("h-longvalue"))).isEqualTo(Rdb.TYPE_HASH);
    assertThat(w.typeFor(all.get("h-big"))).isEqualTo(Rdb.TYPE_HASH);
    assertThat(w.typeFor(all.get("z-small"))).isEqualTo(Rdb.TYPE_ZSET_LISTPACK);
    assertThat(w.typeFor(all.get("z-big"))).isEqualTo(Rdb.TYPE_ZSET_2);
    assertThat(w.typeFor(all.get("z-longmember"))).isEqualTo(Rdb.TYPE_ZSET_2);
  }

  @Test
  void stringEncodingsAreRedisBytes() throws Exception {
    assertThat(strBytes("-12", true)).containsExactly(0xC0, 0xF4);
    assertThat(strBytes("300", true)).containsExactly(0xC1, 0x2C, 0x01);
    assertThat(strBytes("70000", true)).containsExactly(0xC2, 0x70, 0x11, 0x01, 0x00);
    assertThat(strBytes("12345678901", true)).startsWith(11);
    assertThat(strBytes("a".repeat(20), true)).startsWith(20); // 20 bytes: never compressed
    assertThat(strBytes("a".repeat(21), true)).startsWith(0xC3);
    assertThat(strBytes("a".repeat(21), false)).startsWith(21);
    int[] len14 = strBytes("b".repeat(12800), false);
    assertThat(Arrays.copyOf(len14, 2)).containsExactly(0x40 | (12800 >> 8), 12800 & 0xff);
    int[] len32 = strBytes("b".repeat(19200), false);
    assertThat(Arrays.copyOf(len32, 5)).containsExactly(0x80, 0, 0, 19200 >> 8, 19200 & 0xff);
  }

  private static int[] strBytes(String v, boolean compression) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RdbWriter w = new RdbWriter(out, new RdbWriter.Options().compression(compression));
    w.writeString(b(v));
    w.flush();
    byte[] raw = out.toByteArray();
    int[] r = new int[raw.length];
    for (int i = 0; i < raw.length; i++) {
      r[i] = raw[i] & 0xff;
    }
    return r;
  }

  @Test
  void expiresIdleFreqAndDatabasesRoundTrip() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RdbWriter w = new RdbWriter(out, new RdbWriter.Options());
    w.writeHeader();
    w.writeStandardAux(1, 2);
    w.writeSelectDb(0);
    w.writeResizeDb(2, 1);
    w.writeKey(b("a"), str("1"), 4102444800123L);
    w.writeKey(b("b"), str("2"), -1, 77, -1);
    w.writeSelectDb(9);
    w.writeResizeDb(1, 0);
    w.writeKey(b("c"), str("3"), -1, -1, 200);
    w.writeEof();
    RdbTestSupport.Loaded l = read(out.toByteArray());
    assertThat(l.dbs).containsExactly(0, 9);
    assertThat(l.key(0, "a").expireMs()).isEqualTo(4102444800123L);
    assertThat(l.key(0, "b").expireMs()).isEqualTo(-1);
    assertThat(l.key(0, "b").idleSeconds()).isEqualTo(77);
    assertThat(l.key(9, "c").freq()).isEqualTo(200);
    assertThat(l.key(9, "c").idleSeconds()).isEqualTo(-1);
  }

  @Test
  void checksumOffWritesZerosAndIsNotVerified() throws Exception {
    byte[] file = write(new RdbWriter.Options().checksum(false), "k", str("v"));
    assertThat(Arrays.copyOfRange(file, file.length - 8, file.length)).containsOnly(0);
    assertThat(read(file).verified).isFalse();
  }

  @Test
  void emptyCollectionsAreRefusedByTheWriter() {
    RdbWriter w = new RdbWriter(new ByteArrayOutputStream(), new RdbWriter.Options());
    assertThatThrownBy(() -> w.writeKey(b("k"), list(), -1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void plainQuicklistNodesRoundTrip() throws Exception {
    RdbWriter.Options o = new RdbWriter.Options();
    o.listPackedThreshold = 100;
    o.listMaxListpackSize = 3;
    RdbValue v = list("a", "b".repeat(150), "c", "d", "e", "f", "g", "h".repeat(100));
    RdbTestSupport.Loaded l = read(write(o, "l", v));
    assertThat(canon(l.key(0, "l").value())).isEqualTo(canon(v));
    assertThat(s(((RdbValue.ListValue) l.key(0, "l").value()).elements().get(1)))
        .hasSize(150);
  }

  @Test
  void dumpPayloadRoundTripsAndIsVerified() throws Exception {
    for (Map.Entry<String, RdbValue> e : allTypes().entrySet()) {
      byte[] p = Dump.serialize(e.getValue(), new RdbWriter.Options());
      assertThat(canon(Dump.restore(p))).as(e.getKey()).isEqualTo(canon(e.getValue()));
    }
    byte[] p = Dump.serialize(str("hello"), new RdbWriter.Options());
    // what DUMP of the string "hello" gives on Redis 7.0: "\x00\x05hello\n\x00cr\xdfve4 \n"
    assertThat(p).isEqualTo(b("\u0000\u0005hello\n\u0000cr\u00dfve4 \n"));
  }

  @Test
  void dumpPayloadErrorsUseRedisWords() {
    byte[] p = Dump.serialize(str("hello"), new RdbWriter.Options());
    byte[] badCrc = p.clone();
    badCrc[badCrc.length - 1] ^= 1;
    assertThatThrownBy(() -> Dump.restore(badCrc))
        .hasMessage("ERR DUMP payload version or checksum are wrong");
    byte[] badVersion = p.clone();
    badVersion[p.length - 10] = 11;
    assertThatThrownBy(() -> Dump.restore(badVersion))
        .hasMessage("ERR DUMP payload version or checksum are wrong");
    assertThatThrownBy(() -> Dump.restore(new byte[3]))
        .hasMessage("ERR DUMP payload version or checksum are wrong");
    // garbage body with a correct footer
    byte[] body = {0x00, 0x09, 'a'};
    byte[] g = new byte[body.length + 10];
    System.arraycopy(body, 0, g, 0, body.length);
    g[body.length] = 10;
    long crc = Crc64.update(0, g, 0, body.length + 2);
    for (int i = 0; i < 8; i++) {
      g[body.length + 2 + i] = (byte) (crc >>> (8 * i));
    }
    assertThatThrownBy(() -> Dump.restore(g)).hasMessage("ERR Bad data format");
  }
}
