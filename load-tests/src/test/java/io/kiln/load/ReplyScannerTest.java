package io.kiln.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplyScannerTest {
  private final List<String> seen = new ArrayList<>();
  private final ReplyScanner scanner = new ReplyScanner((error, message) ->
      seen.add(error ? "ERR:" + message : "ok"));

  private static final String MIXED = "+OK\r\n$5\r\nhello\r\n:42\r\n$-1\r\n*2\r\n$3\r\nabc\r\n*1\r\n:1\r\n"
      + "-ERR unknown command 'hset'\r\n*0\r\n$0\r\n\r\n*-1\r\n_\r\n%1\r\n+k\r\n$2\r\n\r\n\r\n";

  private static final List<String> EXPECTED = List.of("ok", "ok", "ok", "ok", "ok",
      "ERR:ERR unknown command 'hset'", "ok", "ok", "ok", "ok", "ok");

  @Test
  void countsWholeRepliesFedAtOnce() {
    byte[] b = MIXED.getBytes(StandardCharsets.US_ASCII);
    scanner.feed(b, 0, b.length);
    assertThat(seen).isEqualTo(EXPECTED);
    assertThat(scanner.idle()).isTrue();
  }

  @Test
  void repliesSplitAtEveryPossibleByteGiveTheSameResult() {
    byte[] b = MIXED.getBytes(StandardCharsets.US_ASCII);
    for (int cut = 1; cut < b.length; cut++) {
      seen.clear();
      scanner.feed(b, 0, cut);
      scanner.feed(b, cut, b.length - cut);
      assertThat(seen).as("split at %d", cut).isEqualTo(EXPECTED);
    }
  }

  @Test
  void oneByteAtATime() {
    byte[] b = MIXED.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < b.length; i++) {
      scanner.feed(b, i, 1);
    }
    assertThat(seen).isEqualTo(EXPECTED);
  }

  @Test
  void bulkPayloadThatLooksLikeRespIsNotParsed() {
    byte[] b = "$9\r\n-ERR\r\n:1\r\n+OK\r\n".getBytes(StandardCharsets.US_ASCII);
    scanner.feed(b, 0, 6);
    assertThat(seen).isEmpty();
    scanner.feed(b, 6, b.length - 6);
    assertThat(seen).containsExactly("ok", "ok");
  }

  @Test
  void incompleteReplyIsNotCounted() {
    byte[] b = "*2\r\n$3\r\nabc\r\n".getBytes(StandardCharsets.US_ASCII);
    scanner.feed(b, 0, b.length);
    assertThat(seen).isEmpty();
    assertThat(scanner.idle()).isFalse();
  }

  @Test
  void errorInsideAnArrayIsNotATopLevelError() {
    byte[] b = "*2\r\n+OK\r\n-WRONGTYPE x\r\n".getBytes(StandardCharsets.US_ASCII);
    scanner.feed(b, 0, b.length);
    assertThat(seen).containsExactly("ok");
  }
}
