package io.kiln.resp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The reply encoder in RESP2 and RESP3, byte for byte as Redis 7.0 sends (RESP3 doubles checked
 * against a real redis-server: ZSCORE after HELLO 3). Runs on the test thread.
 */
class RespWriterTest {

  private static String text(RespWriter w) {
    return new String(w.take().getBytes(), StandardCharsets.ISO_8859_1);
  }

  private static RespWriter resp(int version) {
    RespWriter w = new RespWriter();
    w.protocol(version);
    return w;
  }

  @Test
  void simpleTypes() {
    RespWriter w = resp(2);
    w.simple("OK");
    w.error("ERR bad\r\nthing");
    w.integer(-42);
    w.integer(Long.MIN_VALUE);
    w.bulk("héllo");
    w.bulk(new byte[0]);
    w.bulkLong(7);
    assertThat(text(w)).isEqualTo("+OK\r\n-ERR bad  thing\r\n:-42\r\n:-9223372036854775808\r\n"
        + "$6\r\nh\u00c3\u00a9llo\r\n$0\r\n\r\n$1\r\n7\r\n");
  }

  @Test
  void nullsDependOnTheProtocol() {
    RespWriter w2 = resp(2);
    w2.nullBulk();
    w2.nullArray();
    w2.bulk((byte[]) null);
    assertThat(text(w2)).isEqualTo("$-1\r\n*-1\r\n$-1\r\n");
    RespWriter w3 = resp(3);
    w3.nullBulk();
    w3.nullArray();
    assertThat(text(w3)).isEqualTo("_\r\n_\r\n");
  }

  @Test
  void aggregates() {
    RespWriter w2 = resp(2);
    w2.array(2);
    w2.map(2);
    w2.set(3);
    w2.push(1);
    assertThat(text(w2)).isEqualTo("*2\r\n*4\r\n*3\r\n*1\r\n");
    RespWriter w3 = resp(3);
    w3.array(2);
    w3.map(2);
    w3.set(3);
    w3.push(1);
    assertThat(text(w3)).isEqualTo("*2\r\n%2\r\n~3\r\n>1\r\n");
  }

  @Test
  void doublesUsePercentG17() {
    RespWriter w2 = resp(2);
    w2.dbl(0.1);
    w2.dbl(Double.POSITIVE_INFINITY);
    w2.dbl(3.0);
    assertThat(text(w2)).isEqualTo("$19\r\n0.10000000000000001\r\n$3\r\ninf\r\n$1\r\n3\r\n");
    RespWriter w3 = resp(3);
    w3.dbl(0.1);
    w3.dbl(1.1);
    w3.dbl(Double.NEGATIVE_INFINITY);
    assertThat(text(w3)).isEqualTo(",0.10000000000000001\r\n,1.1000000000000001\r\n,-inf\r\n");
  }

  @Test
  void booleansAndVerbatim() {
    RespWriter w2 = resp(2);
    w2.bool(true);
    w2.bool(false);
    w2.verbatim("a\nb");
    assertThat(text(w2)).isEqualTo(":1\r\n:0\r\n$3\r\na\nb\r\n");
    RespWriter w3 = resp(3);
    w3.bool(true);
    w3.bool(false);
    w3.verbatim("a\nb");
    assertThat(text(w3)).isEqualTo("#t\r\n#f\r\n=7\r\ntxt:a\nb\r\n");
  }

  @Test
  void markAndTruncateDropAReply() {
    RespWriter w = resp(2);
    w.simple("KEEP");
    int mark = w.mark();
    w.bulk("dropped");
    w.truncate(mark);
    w.integer(1);
    assertThat(w.size()).isEqualTo("+KEEP\r\n:1\r\n".length());
    assertThat(text(w)).isEqualTo("+KEEP\r\n:1\r\n");
    assertThat(w.isEmpty()).isTrue();
  }

  @Test
  void largeRepliesGrowTheBuffer() {
    RespWriter w = resp(2);
    byte[] big = new byte[1 << 20];
    java.util.Arrays.fill(big, (byte) 'z');
    w.array(3);
    for (int i = 0; i < 3; i++) {
      w.bulk(big);
    }
    assertThat(w.size()).isEqualTo(4 + 3 * (1 + 7 + 2 + big.length + 2));
    assertThat(text(w)).startsWith("*3\r\n$1048576\r\nzzz").endsWith("zzz\r\n");
  }
}
