package io.kiln.types;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.resp.Numbers;
import org.junit.jupiter.api.Test;

/**
 * The geohash's numbers against values real Redis 7.0 gives (its own tests and replies): scores,
 * decoded positions as GEOPOS prints them, standard geohash strings, and the x86-64 conversion
 * of scores GEOADD never writes. Test thread.
 */
class GeoHashTest {
  @Test
  void scoresAreRedisGeohashes() {
    assertThat(GeoHash.score(-73.9454966, 40.747533)).isEqualTo(1791875804419201L);
    assertThat(GeoHash.score(-74.0131604, 40.7126674)).isEqualTo(1791873972053020L);
    assertThat(GeoHash.score(-73.7858139, 40.6428986)).isEqualTo(1791895905559723L);
    assertThat(GeoHash.score(1, 1)).isEqualTo(3377822707026402L);
  }

  @Test
  void aScoreDecodesToTheCentreOfItsCell() {
    double[] xy = GeoHash.decode(GeoHash.score(1, 1));
    assertThat(Numbers.formatHuman(xy[0])).isEqualTo("0.99999994039535522");
    assertThat(Numbers.formatHuman(xy[1])).isEqualTo("0.99999945914297683");
  }

  @Test
  void theTopOfTheRangesStaysInsideThem() {
    double[] xy = GeoHash.decode(GeoHash.score(GeoHash.LON_MAX, GeoHash.LAT_MAX));
    assertThat(xy[0]).isEqualTo(GeoHash.LON_MAX);
    assertThat(xy[1]).isEqualTo(GeoHash.LAT_MAX);
  }

  @Test
  void standardHashIsWikipediasExample() {
    assertThat(GeoHash.standardHash(GeoHash.score(-5.6, 42.6))).isEqualTo("ezs42e44yx0");
  }

  @Test
  void scoresConvertToUnsignedAsCDoesOnX86() {
    assertThat(GeoHash.toUnsigned64(-1.5)).isEqualTo(-1L);
    assertThat(GeoHash.toUnsigned64(1e19)).isEqualTo(Long.parseUnsignedLong("10000000000000000000"));
    assertThat(GeoHash.toUnsigned64(1e30)).isEqualTo(0L);
    assertThat(GeoHash.toUnsigned64(Double.NEGATIVE_INFINITY)).isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void distancesAreHaversineOnRedisSphere() {
    double[] palermo = GeoHash.decode(GeoHash.score(13.361389, 38.115556));
    double[] catania = GeoHash.decode(GeoHash.score(15.087269, 37.502669));
    assertThat(Numbers.formatFixed4(GeoHash.distance(palermo[0], palermo[1], catania[0],
        catania[1]))).isEqualTo("166274.1516");
    assertThat(GeoHash.distance(10, 20, 10, 21)) // same meridian: the latitude difference
        .isEqualTo(GeoHash.EARTH_RADIUS_M * Math.abs(Math.toRadians(21) - Math.toRadians(20)));
  }

  @Test
  void distancesPrintWithFourDecimals() {
    assertThat(Numbers.formatFixed4(0)).isEqualTo("0.0000");
    assertThat(Numbers.formatFixed4(1e-9)).isEqualTo("0.0000");
    assertThat(Numbers.formatFixed4(0.0625)).isEqualTo("0.0625");
    assertThat(Numbers.formatFixed4(0.775)).isEqualTo("0.7750");
    assertThat(Numbers.formatFixed4(123.45678)).isEqualTo("123.4568");
    assertThat(Numbers.formatFixed4(12345.67891)).isEqualTo("12345.6789");
  }
}
