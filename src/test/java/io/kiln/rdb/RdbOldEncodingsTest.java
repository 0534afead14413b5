package io.kiln.rdb;

import static io.kiln.rdb.RdbTestSupport.b;
import static io.kiln.rdb.RdbTestSupport.canon;
import static io.kiln.rdb.RdbTestSupport.hash;
import static io.kiln.rdb.RdbTestSupport.list;
import static io.kiln.rdb.RdbTestSupport.set;
import static io.kiln.rdb.RdbTestSupport.zset;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/** Encodings older Redis versions wrote, assembled byte by byte per the format. */
class RdbOldEncodingsTest {

  /** Assembles an RDB file. */
  static final class Asm {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Asm(int version) {
      out.writeBytes(b(String.format("REDIS%04d", version)));
    }

    Asm u8(int... bs) {
      for (int x : bs) {
        out.write(x);
      }
      return this;
    }

    Asm str(byte[] s) {
      u8(0x80);
      u8(s.length >>> 24, s.length >>> 16, s.length >>> 8, s.length); // 32-bit length form
      out.writeBytes(s);
      return this;
    }

    Asm str(String s) {
      return str(b(s));
    }

    byte[] end(boolean checksum) {
      out.write(0xFF);
      if (checksum) {
        byte[] body = out.toByteArray();
        long crc = Crc64.update(0, body, 0, body.length);
        for (int i = 0; i < 8; i++) {
          out.write((int) (crc >>> (8 * i)));
        }
      }
      return out.toByteArray();
    }
  }

  /** A ziplist of strings and small integers (given as Integer). */
  static byte[] ziplist(Object... entries) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    int prev = 0;
    int lastOffset = 10;
    for (Object e : entries) {
      lastOffset = 10 + body.size();
      ByteArrayOutputStream en = new ByteArrayOutputStream();
      en.write(prev); // prevlen (small entries only)
      if (e instanceof Integer i) {
        if (i >= 0 && i <= 12) {
          en.write(0xF1 + i);
        } else {
          en.write(0xC0); // int16
          en.write(i & 0xff);
          en.write((i >>> 8) & 0xff);
        }
      } else {
        byte[] s = b((String) e);
        en.write(s.length); // 6-bit length
        en.writeBytes(s);
      }
      prev = en.size();
      body.writeBytes(en.toByteArray());
    }
    int total = 10 + body.size() + 1;
    ByteArrayOutputStream z = new ByteArrayOutputStream();
    le(z, total, 4);
    le(z, lastOffset, 4);
    le(z, entries.length, 2);
    z.writeBytes(body.toByteArray());
    z.write(0xFF);
    return z.toByteArray();
  }

  static void le(ByteArrayOutputStream o, long v, int n) {
    for (int i = 0; i < n; i++) {
      o.write((int) (v >>> (8 * i)) & 0xff);
    }
  }

  static RdbValue only(byte[] file) throws Exception {
    RdbTestSupport.Loaded l = RdbTestSupport.read(file);
    assertThat(l.keys).hasSize(1);
    return l.keys.get(0).value();
  }

  @Test
  void zipmapHash() throws Exception {
    // count 2; "f1"->"v1" (free 0); "n"->"42" (free 2, padding)
    byte[] zm = {2, 2, 'f', '1', 2, 0, 'v', '1', 1, 'n', 2, 2, '4', '2', 0, 0, (byte) 0xFF};
    byte[] f = new Asm(3).u8(Rdb.TYPE_HASH_ZIPMAP).str("h").str(zm).end(false);
    assertThat(canon(only(f))).isEqualTo(canon(hash("f1", "v1", "n", "42")));
  }

  @Test
  void ziplistListHashAndZset() throws Exception {
    byte[] l = new Asm(6).u8(Rdb.TYPE_LIST_ZIPLIST).str("l")
        .str(ziplist("a", 7, -300, "bc")).end(true);
    assertThat(canon(only(l))).isEqualTo(canon(list("a", "7", "-300", "bc")));
    byte[] h = new Asm(6).u8(Rdb.TYPE_HASH_ZIPLIST).str("h")
        .str(ziplist("f", "v", "n", 12)).end(true);
    assertThat(canon(only(h))).isEqualTo(canon(hash("f", "v", "n", "12")));
    byte[] z = new Asm(7).u8(Rdb.TYPE_ZSET_ZIPLIST).str("z")
        .str(ziplist("a", 1, "b", "2.5", "c", "inf")).end(true);
    assertThat(canon(only(z))).isEqualTo(
        canon(zset("a", 1, "b", 2.5, "c", Double.POSITIVE_INFINITY)));
  }

  @Test
  void intsetAndSetListpack() throws Exception {
    byte[] is = {2, 0, 0, 0, 3, 0, 0, 0, (byte) 0xFB, (byte) 0xFF, 1, 0, 0x10, 0x27};
    byte[] f = new Asm(6).u8(Rdb.TYPE_SET_INTSET).str("s").str(is).end(true);
    assertThat(canon(only(f))).isEqualTo(canon(set("-5", "1", "10000")));
    byte[] lp = new Listpack.Builder().add(b("x")).add(b("5")).build();
    byte[] g = new Asm(11).u8(Rdb.TYPE_SET_LISTPACK).str("s").str(lp).end(true);
    assertThat(canon(only(g))).isEqualTo(canon(set("x", "5")));
  }

  @Test
  void quicklistV1OfZiplists() throws Exception {
    byte[] f = new Asm(8).u8(Rdb.TYPE_LIST_QUICKLIST).str("q").u8(2)
        .str(ziplist("a", "b")).str(ziplist(3, "c")).end(true);
    assertThat(canon(only(f))).isEqualTo(canon(list("a", "b", "3", "c")));
  }

  @Test
  void stringScoreZsetPlainTypesAndSecondsExpire() throws Exception {
    byte[] f = new Asm(4)
        .u8(Rdb.OPCODE_EXPIRETIME, 0x00, 0x5E, (byte) 0xD0, (byte) 0xB2 & 0xff)
        .u8(Rdb.TYPE_ZSET).str("z").u8(3)
        .str("a").u8(3, '1', '.', '5')
        .str("b").u8(254)
        .str("c").u8(255)
        .u8(Rdb.TYPE_LIST).str("l").u8(2).str("x").str("y")
        .u8(Rdb.TYPE_SET).str("s").u8(1).str("m")
        .u8(Rdb.TYPE_HASH).str("h").u8(1).str("f").str("v")
        .end(false);
    RdbTestSupport.Loaded l = RdbTestSupport.read(f);
    RdbReader.KeyEntry z = l.key(0, "z");
    assertThat(z.expireMs()).isEqualTo(
        (long) (0x00 | 0x5E << 8 | 0xD0 << 16 | 0xB2 << 24) * 1000L);
    assertThat(canon(z.value())).isEqualTo(canon(zset("a", 1.5, "b", Double.POSITIVE_INFINITY,
        "c", Double.NEGATIVE_INFINITY)));
    assertThat(l.key(0, "l").expireMs()).isEqualTo(-1);
    assertThat(canon(l.key(0, "l").value())).isEqualTo(canon(list("x", "y")));
    assertThat(canon(l.key(0, "s").value())).isEqualTo(canon(set("m")));
    assertThat(canon(l.key(0, "h").value())).isEqualTo(canon(hash("f", "v")));
    assertThat(l.verified).isFalse();
  }

  @Test
  void corruptZiplistIsAnIntegrityError() {
    byte[] zl = ziplist("a", "b");
    zl[zl.length - 4] = 9; // second entry's prevlen
    byte[] f = new Asm(6).u8(Rdb.TYPE_LIST_ZIPLIST).str("l").str(zl).end(true);
    assertThatThrownBy(() -> RdbTestSupport.read(f)).isInstanceOf(RdbException.class)
        .hasMessageContaining("List ziplist integrity check failed for key 'l'");
  }

  @Test
  void functionLibrariesAreReadInBothFormats() throws Exception {
    RdbTestSupport.Loaded l = RdbTestSupport.read(new Asm(10).u8(Rdb.OPCODE_FUNCTION2)
        .str("#!lua name=x\nreturn 1")
        // Redis 7.0's release candidates: name, engine, a description, the code after its shebang
        .u8(Rdb.OPCODE_FUNCTION).str("old").str("LUA").u8(1).str("desc").str("\nreturn 2")
        .u8(Rdb.OPCODE_FUNCTION).str("old2").str("LUA").u8(0).str("\nreturn 3").end(true));
    assertThat(l.functions).containsExactly("#!lua name=x\nreturn 1",
        "#!LUA name=old\n\nreturn 2", "#!LUA name=old2\n\nreturn 3");
    assertThat(l.eof).isTrue();
  }

  @Test
  void unsupportedThingsAreRefusedByName() {
    assertThatThrownBy(() -> RdbTestSupport.read(new Asm(10).u8(Rdb.TYPE_STREAM_LISTPACKS_2)
        .str("st").end(true))).hasMessageContaining("stream (type 19) for key 'st'");
    assertThatThrownBy(() -> RdbTestSupport.read(new Asm(10).u8(Rdb.TYPE_MODULE_2)
        .str("m").end(true))).hasMessageContaining("module value (type 7) for key 'm'");
    assertThatThrownBy(() -> RdbTestSupport.read(new Asm(12).end(true)))
        .hasMessageContaining("Can't handle RDB format version 12");
    assertThatThrownBy(() -> RdbTestSupport.read(b("RADIS0010\u00ff")))
        .hasMessageContaining("Wrong signature");
  }

  @Test
  void duplicatesAreRefused() throws Exception {
    assertThatThrownBy(() -> RdbTestSupport.read(new Asm(9).u8(Rdb.TYPE_SET).str("s").u8(2)
        .str("a").str("a").end(true))).hasMessageContaining("Duplicate set members detected");
    // small collections compare every pair, large ones hash: a duplicate last is found by both
    for (int n : new int[] {16, 17, 300}) {
      Asm set = new Asm(9).u8(Rdb.TYPE_SET).str("s").u8(0x40 | (n >> 8)).u8(n & 0xff);
      for (int i = 0; i < n - 1; i++) {
        set.str("m" + i);
      }
      assertThatThrownBy(() -> RdbTestSupport.read(set.str("m" + (n - 2)).end(true)))
          .as("%d members", n).hasMessageContaining("Duplicate set members detected");
    }
    // a hash's fields are compared with each other, not with its values
    assertThatThrownBy(() -> RdbTestSupport.read(new Asm(9).u8(Rdb.TYPE_HASH).str("h").u8(2)
        .str("f").str("v").str("f").str("w").end(true)))
        .hasMessageContaining("Duplicate hash fields detected");
    assertThat(canon(RdbTestSupport.read(new Asm(9).u8(Rdb.TYPE_HASH).str("h").u8(2)
        .str("f").str("g").str("g").str("f").end(true)).key(0, "h").value()))
        .isEqualTo(canon(RdbTestSupport.hash("f", "g", "g", "f")));
  }
}
