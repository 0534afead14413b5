package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The geo family where the differential corpus cannot look: what reaches the AOF (GEOADD as the
 * ZADD it stands for, as Redis propagates it; a search that stores, as sent), and the partial
 * sort behind COUNT over many tied distances. Test thread, Kiln in-process.
 */
class GeoCommandsTest {
  @TempDir
  Path dir;

  @Test
  void geoaddReachesTheAofAsTheZaddItStandsFor() throws Exception {
    try (TestKiln kiln = TestKiln.start("dir", dir.toString(), "appendonly", "yes");
        RespClient c = kiln.client()) {
      assertThat(c.call("GEOADD", "nyc", "CH", "-73.9454966", "40.747533", "lic market"))
          .isEqualTo(":1\r\n");
      assertThat(c.call("GEOADD", "nyc", "-73.9454966", "40.747533", "lic market"))
          .isEqualTo(":0\r\n"); // nothing changed: nothing recorded
      assertThat(c.call("GEORADIUS", "nyc", "-73.9", "40.7", "10", "km", "STORE", "near"))
          .isEqualTo(":1\r\n");
      assertThat(c.call("GEORADIUS", "nyc", "0", "0", "1", "km", "STORE", "none"))
          .isEqualTo(":0\r\n"); // no key to delete: nothing recorded
    }
    String aof = Files.readString(dir.resolve("appendonly.aof"), StandardCharsets.ISO_8859_1);
    assertThat(aof).contains("*5\r\n$4\r\nzadd\r\n$3\r\nnyc\r\n$2\r\nCH\r\n"
        + "$16\r\n1791875804419201\r\n$10\r\nlic market\r\n");
    assertThat(aof.split("zadd", -1)).hasSize(2);
    assertThat(aof).doesNotContainIgnoringCase("geoadd");
    assertThat(aof).contains("$9\r\nGEORADIUS\r\n$3\r\nnyc\r\n").doesNotContain("none");
  }

  @Test
  void partialSortPutsTheNearestFirstInOrder() {
    Random random = new Random(7);
    for (int round = 0; round < 500; round++) {
      int n = 1 + random.nextInt(300);
      GeoSearch.Point[] points = new GeoSearch.Point[n];
      for (int i = 0; i < n; i++) {
        double metres = random.nextInt(Math.max(1, n / 4)); // many ties
        points[i] = new GeoSearch.Point(new byte[] {(byte) i}, 0, 0, metres, i);
      }
      boolean farthest = random.nextBoolean();
      int wanted = 1 + random.nextInt(n);
      GeoSearch.Point[] expected = points.clone();
      Comparator<GeoSearch.Point> byDistance = Comparator.comparingDouble(GeoSearch.Point::metres);
      Arrays.sort(expected, farthest ? byDistance.reversed() : byDistance);
      GeoSearch.order(points, farthest, wanted);
      for (int i = 0; i < wanted; i++) {
        assertThat(points[i].metres()).as("round %d, position %d of %d", round, i, wanted)
            .isEqualTo(expected[i].metres());
      }
      assertThat(Arrays.stream(points).mapToDouble(GeoSearch.Point::score).sorted().toArray())
          .as("a permutation").isEqualTo(Arrays.stream(expected)
              .mapToDouble(GeoSearch.Point::score).sorted().toArray());
    }
  }
}
