package io.kiln.rdb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Crc64Test {
  @Test
  void checkValue() {
    byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
    assertThat(Crc64.update(0, check, 0, check.length)).isEqualTo(0xe9c6d914c4b8d9caL);
  }

  @Test
  void incrementalMatchesWholeAndBytewise() {
    byte[] data = new byte[10_000];
    new Random(7).nextBytes(data);
    long whole = Crc64.update(0, data, 0, data.length);
    long crc = 0;
    int p = 0;
    Random r = new Random(3);
    while (p < data.length) {
      int n = Math.min(data.length - p, r.nextInt(20));
      crc = Crc64.update(crc, data, p, n);
      p += n;
    }
    long bytewise = 0;
    for (int i = 0; i < data.length; i++) {
      bytewise = Crc64.update(bytewise, data, i, 1);
    }
    assertThat(crc).isEqualTo(whole);
    assertThat(bytewise).isEqualTo(whole);
  }
}
