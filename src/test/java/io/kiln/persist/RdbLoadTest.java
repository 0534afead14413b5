package io.kiln.persist;

import static io.kiln.persist.LoadSupport.b;
import static io.kiln.persist.LoadSupport.config;
import static io.kiln.persist.LoadSupport.failure;
import static io.kiln.persist.LoadSupport.info;
import static io.kiln.persist.LoadSupport.onLoop;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.persist.LoadSupport.Key;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading the dump file at startup: content, expiry, counters, refusal of bad files. */
class RdbLoadTest {
  @TempDir
  Path dir;

  private Path fixture(String name) throws Exception {
    Path target = dir.resolve("dump.rdb");
    Files.copy(Path.of(RdbLoadTest.class.getResource("/rdb/" + name).toURI()), target,
        StandardCopyOption.REPLACE_EXISTING);
    return target;
  }

  private static String expectedValue(int i) {
    return switch (i % 4) {
      case 0 -> Integer.toString(i * 7);
      case 1 -> "value:" + i;
      case 2 -> "x".repeat(i % 97 + 20);
      default -> "b:" + i + ":" + "\u0000\u00ff";
    };
  }

  private static String bulk(String v) {
    return "$" + v.length() + "\r\n" + v + "\r\n";
  }

  @Test
  void loadsTheRealRedisStringsFixture() throws Exception {
    fixture("redis-7.0-strings.rdb");
    try (TestKiln kiln = TestKiln.start(config(dir)); RespClient c = kiln.client()) {
      assertThat(c.call("DBSIZE")).isEqualTo(":1000\r\n");
      for (int i = 1; i <= 1000; i++) {
        assertThat(c.call("GET", "key:" + i)).as("key:" + i).isEqualTo(bulk(expectedValue(i)));
      }
      assertThat(c.call("EXISTS", "gone:1", "gone:50")).isEqualTo(":0\r\n");
      for (int i = 1; i <= 1000; i++) {
        byte[] key = b("key:" + i);
        long at = onLoop(kiln, () -> kiln.kiln().shards().get(0).shard().db(0).expireAt(key));
        assertThat(at).as("expire of key:" + i).isEqualTo(i % 5 == 0 ? 4102444800000L + i : 0);
      }
      assertThat(c.call("SELECT", "3")).isEqualTo("+OK\r\n");
      assertThat(c.call("DBSIZE")).isEqualTo(":10\r\n");
      assertThat(c.call("GET", "other:7")).isEqualTo(bulk("db3:7"));
      assertThat(info(c, "loading")).isEqualTo("0");
      assertThat(info(c, "loading_total_bytes")).isNull();
      assertThat(info(c, "rdb_last_load_keys_loaded")).isEqualTo("1010");
      assertThat(info(c, "rdb_last_load_keys_expired")).isEqualTo("50");
      assertThat(info(c, "rdb_changes_since_last_save")).isEqualTo("0");
    }
  }

  @Test
  void expiredKeysAreDroppedAndCounted() throws Exception {
    long now = System.currentTimeMillis();
    LoadSupport.write(dir.resolve("dump.rdb"),
        new Key(0, "live", "1", -1),
        new Key(0, "past", "2", now - 10_000),
        new Key(0, "future", "3", now + 3_600_000),
        new Key(1, "past1", "4", 1),
        new Key(1, "live1", "5", -1));
    try (TestKiln kiln = TestKiln.start(config(dir)); RespClient c = kiln.client()) {
      assertThat(c.call("DBSIZE")).isEqualTo(":2\r\n");
      assertThat(c.call("GET", "future")).isEqualTo(bulk("3"));
      assertThat(c.call("EXISTS", "past")).isEqualTo(":0\r\n");
      assertThat(info(c, "rdb_last_load_keys_loaded")).isEqualTo("3");
      assertThat(info(c, "rdb_last_load_keys_expired")).isEqualTo("2");
    }
  }

  @Test
  void noDumpFileStartsEmpty() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir)); RespClient c = kiln.client()) {
      assertThat(c.call("DBSIZE")).isEqualTo(":0\r\n");
      assertThat(info(c, "loading")).isEqualTo("0");
      assertThat(info(c, "rdb_last_load_keys_loaded")).isEqualTo("0");
    }
  }

  @Test
  void honoursDbfilename() throws Exception {
    LoadSupport.write(dir.resolve("other.rdb"), new Key(0, "a", "1", -1));
    try (TestKiln kiln = TestKiln.start(config(dir, "dbfilename", "other.rdb"));
        RespClient c = kiln.client()) {
      assertThat(c.call("GET", "a")).isEqualTo(bulk("1"));
    }
  }

  @Test
  void checksumMismatchRefusesToStart() throws Exception {
    Path f = fixture("redis-7.0-strings.rdb");
    byte[] data = Files.readAllBytes(f);
    int at = indexOf(data, b("value:501"));
    data[at + 6] = '9'; // value:901: a well-formed file whose CRC no longer matches
    Files.write(f, data);
    assertThatThrownBy(() -> TestKiln.start(config(dir)))
        .satisfies(e -> assertThat(failure(e))
            .startsWith("Fatal error loading the DB: RDB CRC error: the file's checksum is ")
            .contains("(at offset " + data.length + ")")
            .contains(f.toString())
            .contains("java -jar kiln.jar check-rdb " + f)
            .contains("move the file aside to start empty")
            .endsWith(". Exiting."));
  }

  @Test
  void rdbchecksumNoLoadsAFileWhoseChecksumIsWrong() throws Exception {
    Path f = fixture("redis-7.0-strings.rdb");
    byte[] data = Files.readAllBytes(f);
    data[indexOf(data, b("value:501")) + 6] = '9';
    Files.write(f, data);
    // as Redis: with rdbchecksum no the trailer is not checked when loading
    try (TestKiln kiln = TestKiln.start(config(dir, "rdbchecksum", "no"));
        RespClient c = kiln.client()) {
      assertThat(c.call("GET", "key:501")).isEqualTo(bulk("value:901"));
    }
  }

  @Test
  void malformedFileRefusesToStartNamingTheOffset() throws Exception {
    Path f = fixture("redis-7.0-strings.rdb");
    byte[] data = Files.readAllBytes(f);
    int at = indexOf(data, b("key:500"));
    data[at - 2] = (byte) 0x63; // an unknown value type where a key starts
    Files.write(f, data);
    assertThatThrownBy(() -> TestKiln.start(config(dir)))
        .satisfies(e -> assertThat(failure(e))
            .contains("Unknown RDB encoding type 99 (at offset " + (at - 1) + ")")
            .contains(f.toString()));
  }

  @Test
  void everyTruncationRefusesToStart() throws Exception {
    Path full = dir.resolve("full.rdb");
    LoadSupport.write(full, new Key(0, "a", "1", -1), new Key(0, "bb", "hello", 4102444800000L));
    byte[] data = Files.readAllBytes(full);
    for (int len = 0; len < data.length; len++) {
      Path sub = Files.createDirectory(dir.resolve("cut" + len));
      Files.write(sub.resolve("dump.rdb"), java.util.Arrays.copyOf(data, len));
      int cut = len;
      assertThatThrownBy(() -> TestKiln.start(config(sub)))
          .as("file cut at %d of %d bytes", cut, data.length)
          .satisfies(e -> assertThat(failure(e))
              .contains("Unexpected EOF reading RDB file at offset " + cut));
    }
    // and the whole file loads
    Files.copy(full, dir.resolve("dump.rdb"));
    try (TestKiln kiln = TestKiln.start(config(dir)); RespClient c = kiln.client()) {
      assertThat(c.call("DBSIZE")).isEqualTo(":2\r\n");
    }
  }

  /**
   * Redis 7.0's file with every type in small and large encodings, with TTLs, in two databases,
   * loads into Kiln with the content real Redis loads from the same file (compared per key with
   * each type's read command; unordered types sorted).
   */
  @Test
  void everyTypeRedis70WroteLoadsWithIdenticalContent() throws Exception {
    Path file = fixture("redis-7.0-all-types.rdb");
    Path redisDir = java.nio.file.Files.createTempDirectory("kiln-real");
    java.nio.file.Files.copy(file, redisDir.resolve("dump.rdb"));
    try (io.kiln.support.RealRedis redis = io.kiln.support.RealRedis.start("--dir",
            redisDir.toString());
        io.kiln.support.RespClient r = redis.client();
        TestKiln kiln = TestKiln.start(config(dir));
        io.kiln.support.RespClient k = kiln.client()) {
      int compared = 0;
      for (int db = 0; db < 16; db++) {
        r.call("SELECT", Integer.toString(db));
        k.call("SELECT", Integer.toString(db));
        assertThat(k.call("DBSIZE")).as("db %d", db).isEqualTo(r.call("DBSIZE"));
        for (String key : keys(r)) {
          String type = r.call("TYPE", key);
          assertThat(k.call("TYPE", key)).as(key).isEqualTo(type);
          assertThat(content(k, type, key)).as(key).isEqualTo(content(r, type, key));
          assertThat(k.call("PEXPIRETIME", key)).as(key).isEqualTo(r.call("PEXPIRETIME", key));
          compared++;
        }
      }
      assertThat(compared).isGreaterThan(10);
    }
  }

  private static List<String> keys(io.kiln.support.RespClient c) {
    String[] lines = c.call("KEYS", "*").split("\r\n");
    List<String> out = new java.util.ArrayList<>();
    for (int i = 2; i < lines.length; i += 2) {
      out.add(lines[i]);
    }
    return out;
  }

  /** A value's content as text; members of unordered types sorted. */
  private static String content(io.kiln.support.RespClient c, String type, String key) {
    return switch (type) {
      case "+string\r\n" -> c.call("GET", key);
      case "+list\r\n" -> c.call("LRANGE", key, "0", "-1");
      case "+zset\r\n" -> c.call("ZRANGE", key, "0", "-1", "WITHSCORES");
      case "+set\r\n" -> sorted(c.call("SMEMBERS", key));
      case "+hash\r\n" -> sortedPairs(c.call("HGETALL", key));
      default -> throw new AssertionError("type " + type);
    };
  }

  private static String sorted(String reply) {
    List<String> lines = new java.util.ArrayList<>(List.of(reply.split("\r\n")));
    List<String> items = new java.util.ArrayList<>();
    for (int i = 2; i < lines.size(); i += 2) {
      items.add(lines.get(i));
    }
    java.util.Collections.sort(items);
    return items.toString();
  }

  private static String sortedPairs(String reply) {
    String[] lines = reply.split("\r\n");
    List<String> pairs = new java.util.ArrayList<>();
    for (int i = 2; i + 2 < lines.length; i += 4) {
      pairs.add(lines[i] + "=" + lines[i + 2]);
    }
    java.util.Collections.sort(pairs);
    return pairs.toString();
  }

  @Test
  void duplicateKeysStopTheLoad() throws Exception {
    LoadSupport.write(dir.resolve("dump.rdb"), new Key(0, "a", "1", -1),
        new Key(0, "a", "2", -1));
    assertThatThrownBy(() -> TestKiln.start(config(dir)))
        .satisfies(e -> assertThat(failure(e)).contains("RDB has duplicated key 'a' in DB 0"));
  }

  @Test
  void moreDatabasesThanConfiguredStopTheLoad() throws Exception {
    LoadSupport.write(dir.resolve("dump.rdb"), new Key(5, "a", "1", -1));
    assertThatThrownBy(() -> TestKiln.start(config(dir, "databases", "4")))
        .satisfies(e -> assertThat(failure(e))
            .contains("configured to handle more than 4 databases"));
  }

  private static int indexOf(byte[] data, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= data.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (data[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}
