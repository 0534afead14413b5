package io.kiln.rdb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Crc64Test {
  @Test
  void checkValue() {
    assertThat(Crc64.of("123456789".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(0xe9c6d914c4b8d9caL);
  }

  @Test
  void incrementalMatchesWholeAndBytewise() {
    byte[] data = new byte[10_000];
    new Random(7).nextBytes(data);
    long whole = Crc64.of(data);
    Crc64 c = new Crc64();
    int p = 0;
    Random r = new Random(3);
    while (p < data.length) {
      int n = Math.min(data.length - p, r.nextInt(20));
      c.add(data, p, n);
      p += n;
    }
    long bytewise = 0;
    for (byte b : data) {
      bytewise = Crc64.update(bytewise, b);
    }
    assertThat(c.value()).isEqualTo(whole);
    assertThat(bytewise).isEqualTo(whole);
  }
}
