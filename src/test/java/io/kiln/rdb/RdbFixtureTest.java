package io.kiln.rdb;

import static io.kiln.rdb.RdbTestSupport.s;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Reads redis-7.0-all-types.rdb (made by a real Redis 7.0 with make-fixtures.sh) and compares
 * it with the description the same script wrote.
 */
class RdbFixtureTest {
  static byte[] fixture() throws Exception {
    try (InputStream in = RdbFixtureTest.class.getResourceAsStream(
        "/rdb/redis-7.0-all-types.rdb")) {
      return in.readAllBytes();
    }
  }

  record Expected(int db, String key, String type, String encoding, long expire,
      List<String> items) {}

  static List<Expected> description() throws Exception {
    String text;
    try (InputStream in = RdbFixtureTest.class.getResourceAsStream(
        "/rdb/redis-7.0-all-types.txt")) {
      text = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
    List<Expected> out = new ArrayList<>();
    Expected cur = null;
    for (String line : text.split("\n", -1)) {
      if (line.startsWith("key ")) {
        String[] p = line.split(" ");
        cur = new Expected(Integer.parseInt(p[1]), p[2], p[3], p[4], Long.parseLong(p[5]),
            new ArrayList<>());
        out.add(cur);
      } else if (line.startsWith("  ")) {
        cur.items().add(line.substring(2));
      }
    }
    return out;
  }

  static List<String> items(RdbValue v) {
    List<String> l = new ArrayList<>();
    if (v instanceof RdbValue.Str x) {
      l.add(s(x.value()));
    } else if (v instanceof RdbValue.ListValue x) {
      x.elements().forEach(e -> l.add(s(e)));
    } else if (v instanceof RdbValue.SetValue x) {
      x.members().forEach(e -> l.add(s(e)));
      l.sort(null);
    } else if (v instanceof RdbValue.HashValue x) {
      x.entries().forEach(e -> l.add(s(e.field()) + " " + s(e.value())));
      l.sort(null);
    } else {
      List<RdbValue.ScoredMember> es = new ArrayList<>(((RdbValue.ZSetValue) v).entries());
      es.sort(RdbWriter.ZSET_ORDER);
      es.forEach(e -> l.add(s(e.member()) + " " + e.score()));
    }
    return l;
  }

  @Test
  void readsEverythingRedis70Wrote() throws Exception {
    RdbTestSupport.Loaded l = RdbTestSupport.read(fixture());
    List<Expected> want = description();
    assertThat(l.verified).isTrue();
    assertThat(l.aux).containsEntry("redis-ver", "7.0.15");
    assertThat(l.keys).hasSize(want.size());
    for (Expected e : want) {
      RdbReader.KeyEntry got = l.key(e.db(), e.key());
      assertThat(got.value().typeName()).as(e.key()).isEqualTo(e.type());
      assertThat(got.expireMs()).as(e.key()).isEqualTo(e.expire());
      List<String> wantItems = new ArrayList<>(e.items());
      if (e.type().equals("zset")) {
        wantItems.replaceAll(x -> {
          int sp = x.lastIndexOf(' ');
          return x.substring(0, sp) + " " + Rdb.parseDoubleText(x.substring(sp + 1));
        });
      }
      assertThat(items(got.value())).as(e.key()).isEqualTo(wantItems);
    }
  }

  @Test
  void fixtureCoversRedis70Encodings() throws Exception {
    RdbTestSupport.Loaded l = RdbTestSupport.read(fixture());
    assertThat(l.key(0, "list-big").rdbType()).isEqualTo(Rdb.TYPE_LIST_QUICKLIST_2);
    assertThat(l.key(0, "list-plain").rdbType()).isEqualTo(Rdb.TYPE_LIST_QUICKLIST_2);
    assertThat(l.key(0, "set-intset").rdbType()).isEqualTo(Rdb.TYPE_SET_INTSET);
    assertThat(l.key(0, "set-big").rdbType()).isEqualTo(Rdb.TYPE_SET);
    assertThat(l.key(0, "hash-small").rdbType()).isEqualTo(Rdb.TYPE_HASH_LISTPACK);
    assertThat(l.key(0, "hash-big").rdbType()).isEqualTo(Rdb.TYPE_HASH);
    assertThat(l.key(0, "zset-small").rdbType()).isEqualTo(Rdb.TYPE_ZSET_LISTPACK);
    assertThat(l.key(0, "zset-big").rdbType()).isEqualTo(Rdb.TYPE_ZSET_2);
  }

  @Test
  void writerMakesTheSameChoicesAsRedis() throws Exception {
    RdbTestSupport.Loaded l = RdbTestSupport.read(fixture());
    RdbWriter w = new RdbWriter(new ByteArrayOutputStream(), new RdbWriter.Options());
    for (RdbReader.KeyEntry e : l.keys) {
      if (!s(e.key()).equals("list-plain")) {
        assertThat(w.typeFor(e.value())).as(s(e.key())).isEqualTo(e.rdbType());
      }
    }
  }

  @Test
  void checkToolReportsLikeRedisCheckRdb() throws Exception {
    Path p = Path.of(RdbFixtureTest.class.getResource("/rdb/redis-7.0-all-types.rdb").toURI());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int rc = RdbCheck.run(p.toString(), new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(rc).isZero();
    assertThat(out).startsWith("[offset 0] Checking RDB file " + p)
        .contains("[offset 27] AUX FIELD redis-ver = '7.0.15'\n")
        .contains("[offset 41] AUX FIELD redis-bits = '64'\n")
        .contains("Selecting DB ID 0\n").contains("Selecting DB ID 1\n")
        .contains("[offset " + fixture().length + "] Checksum OK\n")
        .contains("[info] 22 keys read\n").contains("[info] 5 expires\n")
        .contains("[info] 0 already expired\n")
        .contains("keys of type zset (zset-listpack)");
  }
}
