package io.kiln.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WorkloadTest {
  @Test
  void getSetRatioAndKeyFormat() {
    Workload.Spec spec = new Workload.Spec(Workload.Kind.GET_SET, 1, 3, new KeyChooser.Uniform(10), 4, 1);
    Workload.Generator g = spec.generator(7);
    int sets = 0;
    for (int i = 0; i < 40_000; i++) {
      Buffer b = Buffer.buffer();
      g.next(b);
      String s = b.toString(StandardCharsets.US_ASCII);
      assertThat(s).matches("\\*[23]\r\n\\$3\r\n(GET|SET)\r\n\\$16\r\nkey:00000000000\\d\r\n(\\$4\r\n[a-z]{4}\r\n)?");
      if (s.contains("SET")) {
        sets++;
      }
    }
    assertThat(sets).isBetween(9_500, 10_500);
  }

  @Test
  void msetCarriesAllPairs() {
    Workload.Spec spec = new Workload.Spec(Workload.Kind.MSET, 1, 1, new KeyChooser.Uniform(10), 2, 3);
    Buffer b = Buffer.buffer();
    spec.generator(1).next(b);
    assertThat(b.toString(StandardCharsets.US_ASCII)).startsWith("*7\r\n$4\r\nMSET\r\n");
  }
}
