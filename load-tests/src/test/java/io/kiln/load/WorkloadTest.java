package io.kiln.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

  @Test
  void multiIsOneTransactionOfTwoCounters() {
    Workload.Spec spec = new Workload.Spec(Workload.Kind.MULTI, 1, 1, new KeyChooser.Uniform(100), 2, 10);
    Buffer b = Buffer.buffer();
    spec.generator(3).next(b);
    assertThat(spec.repliesPerRequest()).isEqualTo(4);
    assertThat(b.toString(StandardCharsets.US_ASCII)).matches("\\*1\r\n\\$5\r\nMULTI\r\n"
        + "(\\*2\r\n\\$4\r\nINCR\r\n\\$20\r\ncounter:0000000000\\d\\d\r\n){2}"
        + "\\*1\r\n\\$4\r\nEXEC\r\n");
  }

  @Test
  void oneTagPutsARequestsKeysBehindTheFirstKeysTag() {
    List<String[]> keys = taggedKeys(Workload.HashTags.ONE);
    assertThat(keys).hasSize(4).allSatisfy(k -> assertThat(k[0]).isEqualTo(keys.get(0)[1]));
    assertThat(keys.stream().map(k -> k[1]).distinct().count()).isGreaterThan(1);
  }

  @Test
  void eachTagPutsEveryKeyBehindItsOwnNumber() {
    assertThat(taggedKeys(Workload.HashTags.EACH)).hasSize(4)
        .allSatisfy(k -> assertThat(k[0]).isEqualTo(k[1]));
  }

  /** The (tag, number) of each key of one MSET of 4 keys, which must be 30 bytes each. */
  private static List<String[]> taggedKeys(Workload.HashTags tags) {
    Workload.Spec spec = new Workload.Spec(Workload.Kind.MSET, 1, 1,
        new KeyChooser.Uniform(1_000_000), 1, 4, tags);
    Buffer b = Buffer.buffer();
    spec.generator(5).next(b);
    String s = b.toString(StandardCharsets.US_ASCII);
    Matcher m = Pattern.compile("\\$30\r\n\\{(\\d{12})\\}key:(\\d{12})\r\n").matcher(s);
    List<String[]> keys = new ArrayList<>();
    while (m.find()) {
      keys.add(new String[] {m.group(1), m.group(2)});
    }
    return keys;
  }
}
