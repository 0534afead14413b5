package io.kiln.aof;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AofManifest on manifests written by hand and by a real Redis 7.0. */
class AofManifestTest {
  @TempDir
  Path dir;

  private Path manifest(String text) throws IOException {
    Path d = dir.resolve("appendonlydir");
    Files.createDirectories(d);
    Path m = d.resolve("appendonly.aof.manifest");
    Files.writeString(m, text, StandardCharsets.ISO_8859_1);
    return m;
  }

  @Test
  void aRealRedisAppendonlydirParsesAndNamesFilesThatExist() throws Exception {
    Path data = dir.resolve("redis");
    Files.createDirectories(data);
    try (RealRedis r = RealRedis.start("--appendonly", "yes", "--aof-use-rdb-preamble", "yes",
        "--dir", data.toString());
        RespClient c = r.client()) {
      c.call("SET", "a", "1");
      c.call("RPUSH", "l", "x", "y");
      assertThat(c.call("BGREWRITEAOF")).startsWith("+");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (true) {
        String info = c.call("INFO", "persistence");
        if (info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0")
            && info.contains("aof_last_bgrewrite_status:ok")) {
          break;
        }
        assertThat(System.nanoTime()).as("rewrite finished").isLessThan(deadline);
        Thread.onSpinWait();
      }
      c.call("SET", "b", "2");
    }
    Path m = AofManifest.find(data, "appendonlydir", "appendonly.aof");
    assertThat(m).isNotNull();
    AofManifest am = AofManifest.read(m);
    assertThat(am.base()).isNotNull();
    assertThat(am.base().getFileName().toString()).endsWith(".base.rdb");
    assertThat(am.base()).exists();
    assertThat(AofReader.hasRdbPreamble(am.base())).isTrue();
    assertThat(am.incrs()).isNotEmpty().allSatisfy(p -> assertThat(p).exists());
    assertThat(am.incrs().get(0).getParent()).isEqualTo(am.base().getParent());
  }

  @Test
  void findIsNullWithoutAManifest() throws Exception {
    assertThat(AofManifest.find(dir, "appendonlydir", "appendonly.aof")).isNull();
    Path m = manifest("file appendonly.aof.1.incr.aof seq 1 type i\n");
    assertThat(AofManifest.find(dir, "appendonlydir", "appendonly.aof")).isEqualTo(m);
    assertThat(AofManifest.find(dir, "appendonlydir", "other.aof")).isNull();
  }

  @Test
  void readsQuotedNamesCommentsHistoryAndUnknownKeysInOrder() throws Exception {
    Path m = manifest("# a comment\n"
        + "file appendonly.aof.2.base.rdb seq 2 type b\n"
        + "file appendonly.aof.1.incr.aof seq 1 type h\n"
        + "FILE \"with space\\x41.aof\" SEQ 3 TYPE i future-key some-value\n"
        + "  file 'q\\'s.aof' seq 4 type i startoffset 10 endoffset 20  \r\n");
    AofManifest am = AofManifest.read(m);
    assertThat(am.base()).isEqualTo(m.getParent().resolve("appendonly.aof.2.base.rdb"));
    assertThat(am.incrs()).containsExactly(m.getParent().resolve("with spaceA.aof"),
        m.getParent().resolve("q's.aof"));
  }

  @Test
  void noBaseIsNull() throws Exception {
    AofManifest am = AofManifest.read(manifest("file a.1.incr.aof seq 1 type i\n"));
    assertThat(am.base()).isNull();
    assertThat(am.incrs()).hasSize(1);
  }

  @Test
  void malformedManifestsNameTheLine() throws Exception {
    String ok = "file a.1.base.rdb seq 1 type b\n";
    String[][] cases = {
      {"", "Found an empty AOF manifest"},
      {ok + "file a.1.incr.aof seq 1\n", "Invalid AOF manifest file format"},
      {ok + "file a.1.incr.aof seq 1 type\n", "Invalid AOF manifest file format"},
      {ok + "file a.1.incr.aof seq 0 type i\n", "Invalid AOF manifest file format"},
      {ok + "\n", "Invalid AOF manifest file format"},
      {ok + "file \"a.1.incr.aof seq 1 type i\n", "Invalid AOF manifest file format"},
      {ok + "file a.1.incr.aof seq 1 type x\n", "Unknown AOF file type"},
      {ok + "file a.2.base.rdb seq 2 type b\n", "Found duplicate base file information"},
      {"file a.i seq 2 type i\nfile a.j seq 2 type i\n",
          "Found a non-monotonic sequence number"},
      {ok + "file ../a.1.incr.aof seq 1 type i\n", "File can't be a path, just a filename"},
      {ok + "file a.1.incr.aof seq 1 type i", "The AOF manifest file contains too long line"},
      {ok + "file a" + "x".repeat(1100) + " seq 1 type i\n",
          "The AOF manifest file contains too long line"},
    };
    for (String[] c : cases) {
      Path m = manifest(c[0]);
      assertThatThrownBy(() -> AofManifest.read(m)).as(c[0]).isInstanceOf(IOException.class)
          .hasMessageStartingWith(c[1])
          .hasMessageContaining(c[0].isEmpty() ? m.toString() : "at line 2");
    }
  }
}
