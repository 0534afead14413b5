package io.kiln.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The RESP request decoder: every way of splitting a byte stream yields the same commands, each
 * protocol error has Redis's exact text, and the size limits hold. Runs on the test thread.
 */
class RespDecoderTest {

  // ---- helpers ----

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String str(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  private static byte[] multibulk(String... args) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(bytes("*" + args.length + "\r\n"));
    for (String a : args) {
      b.writeBytes(bytes("$" + a.length() + "\r\n" + a + "\r\n"));
    }
    return b.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return b.toByteArray();
  }

  /** Feeds {@code chunks} one after another and collects every command (as strings). */
  private static List<List<String>> decode(RespDecoder d, List<byte[]> chunks)
      throws ProtocolException {
    List<List<String>> out = new ArrayList<>();
    for (byte[] chunk : chunks) {
      assertThat(d.append(Buffer.buffer(chunk))).isTrue();
      byte[][] cmd;
      while ((cmd = d.next()) != null) {
        List<String> args = new ArrayList<>(cmd.length);
        for (byte[] a : cmd) {
          args.add(str(a));
        }
        out.add(args);
      }
    }
    return out;
  }

  private static List<List<String>> decode(byte[]... chunks) throws ProtocolException {
    return decode(new RespDecoder(), Arrays.asList(chunks));
  }

  /** The protocol error raised by feeding {@code data} in one piece. */
  private static String errorOf(RespDecoder d, byte[] data) {
    try {
      d.append(Buffer.buffer(data));
      while (d.next() != null) {
        // drain the commands before the error
      }
    } catch (ProtocolException e) {
      return e.getMessage();
    }
    return null;
  }

  private static String errorOf(String data) {
    return errorOf(new RespDecoder(), bytes(data));
  }

  // ---- every split point ----

  static Stream<Arguments> streams() {
    ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
    for (int i = 0; i < 1000; i++) {
      pipeline.writeBytes(i % 3 == 0 ? bytes("INCR c" + i + "\r\n") : multibulk("SET", "k" + i, "v"));
    }
    return Stream.of(
        Arguments.of("multibulk", concat(multibulk("SET", "key", "value"), multibulk("GET", "key"),
            multibulk("PING"))),
        Arguments.of("inline", bytes("PING\r\nSET a b\r\nECHO \"x y\\r\\n\"\nGET 'it''s'\r\n"
            .replace("'it''s'", "'it\\'s'"))),
        Arguments.of("mixed", concat(bytes("PING\r\n"), multibulk("ECHO", "hi"), bytes("\r\n"),
            bytes("  GET   k  \n"), multibulk("MGET", "a", "b", "c"), bytes("*0\r\n"),
            bytes("DEL \"a b\" \"\\x41\\x42\"\r\n"))),
        Arguments.of("binary", concat(multibulk("SET", "bin", "a\r\nb\r\n\r\n*1\r\n$4\r\n"),
            multibulk("SET", "\r\n", "\0\1\2\377"), multibulk("GET", "$3\r\n"))),
        Arguments.of("empty bulk", concat(multibulk("SET", "", ""), multibulk("ECHO", ""),
            multibulk("GET", ""))),
        Arguments.of("pipeline of 1000", pipeline.toByteArray()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("streams")
  void everyTwoChunkSplitYieldsTheSameCommands(String name, byte[] stream) throws Exception {
    List<List<String>> whole = decode(stream);
    assertThat(whole).isNotEmpty();
    // the expected commands, checked once against an independent statement for the small streams
    int step = stream.length > 2000 ? 7 : 1;
    for (int cut = 0; cut <= stream.length; cut += step) {
      List<List<String>> split = decode(Arrays.copyOfRange(stream, 0, cut),
          Arrays.copyOfRange(stream, cut, stream.length));
      assertThat(split).as("split at %d", cut).isEqualTo(whole);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("streams")
  void oneByteAtATimeYieldsTheSameCommands(String name, byte[] stream) throws Exception {
    List<List<String>> whole = decode(stream);
    List<byte[]> bytesOneByOne = new ArrayList<>();
    for (byte b : stream) {
      bytesOneByOne.add(new byte[] {b});
    }
    assertThat(decode(new RespDecoder(), bytesOneByOne)).isEqualTo(whole);
  }

  @Test
  void thePipelineOf1000SplitAtEveryOffsetIntoTwo() throws Exception {
    // the parameterized test strides over the big stream; here every offset of a smaller pipeline
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int i = 0; i < 1000; i++) {
      b.writeBytes(i % 2 == 0 ? multibulk("PING") : bytes("PING\r\n"));
    }
    byte[] stream = b.toByteArray();
    List<List<String>> whole = decode(stream);
    assertThat(whole).hasSize(1000).allMatch(c -> c.equals(List.of("PING")));
    for (int cut = 0; cut <= stream.length; cut++) {
      assertThat(decode(Arrays.copyOfRange(stream, 0, cut),
          Arrays.copyOfRange(stream, cut, stream.length))).hasSize(1000);
    }
  }

  @Test
  void decodesTheExpectedArguments() throws Exception {
    assertThat(decode(bytes("ECHO \"x y\\r\\n\" 'it\\'s' \"\\x41\\x42\"\r\n")))
        .containsExactly(List.of("ECHO", "x y\r\n", "it's", "AB"));
    assertThat(decode(multibulk("SET", "a\r\nb", "")))
        .containsExactly(List.of("SET", "a\r\nb", ""));
    assertThat(decode(bytes("\r\n\n*0\r\n*-1\r\nPING\n"))).containsExactly(List.of("PING"));
  }

  @Test
  void aCommandIsNotReturnedBeforeItsLastByte() throws Exception {
    RespDecoder d = new RespDecoder();
    byte[] cmd = multibulk("SET", "k", "v");
    d.append(Buffer.buffer(Arrays.copyOf(cmd, cmd.length - 1)));
    assertThat(d.next()).isNull();
    assertThat(d.isEmpty()).isFalse();
    d.append(Buffer.buffer(new byte[] {'\n'}));
    assertThat(d.next()).isNotNull();
    assertThat(d.next()).isNull();
    assertThat(d.isEmpty()).isTrue();
  }

  // ---- protocol errors, Redis 7.0's exact texts ----

  @Test
  void invalidMultibulkLength() {
    assertThat(errorOf("*abc\r\n")).isEqualTo("ERR Protocol error: invalid multibulk length");
    assertThat(errorOf("*2147483648\r\n")).isEqualTo("ERR Protocol error: invalid multibulk length");
    assertThat(errorOf("*\r\n")).isEqualTo("ERR Protocol error: invalid multibulk length");
    assertThat(errorOf("*1x\r\n")).isEqualTo("ERR Protocol error: invalid multibulk length");
  }

  @Test
  void multibulkLengthIsAStrictInteger() {
    // Redis reads counts with string2ll: no '+', no leading zeros, no "-0"
    assertThat(errorOf("*+1\r\n")).isEqualTo("ERR Protocol error: invalid multibulk length");
    assertThat(errorOf("*01\r\n$4\r\nPING\r\n"))
        .isEqualTo("ERR Protocol error: invalid multibulk length");
    assertThat(errorOf("*1\r\n$04\r\nPING\r\n"))
        .isEqualTo("ERR Protocol error: invalid bulk length");
    assertThat(errorOf("*-0\r\n")).isEqualTo("ERR Protocol error: invalid multibulk length");
    assertThat(errorOf("*1\r\n$-0\r\n")).isEqualTo("ERR Protocol error: invalid bulk length");
    assertThat(errorOf("*1\r\n$+4\r\nPING\r\n")).isEqualTo("ERR Protocol error: invalid bulk length");
    // a negative count is an empty command, skipped
    assertThat(errorOf("*-5\r\nPING\r\n")).isNull();
  }

  @Test
  void invalidBulkLength() {
    assertThat(errorOf("*1\r\n$x\r\n")).isEqualTo("ERR Protocol error: invalid bulk length");
    assertThat(errorOf("*1\r\n$-1\r\n")).isEqualTo("ERR Protocol error: invalid bulk length");
    assertThat(errorOf("*1\r\n$2147483648\r\n")).isEqualTo("ERR Protocol error: invalid bulk length");
    assertThat(errorOf("*1\r\n$536870913\r\n")).isEqualTo("ERR Protocol error: invalid bulk length");
  }

  @Test
  void expectedDollar() {
    assertThat(errorOf("*2\r\n$3\r\nGET\r\n:1\r\n")).isEqualTo("ERR Protocol error: expected '$', got ':'");
    assertThat(errorOf("*1\r\nPING\r\n")).isEqualTo("ERR Protocol error: expected '$', got 'P'");
  }

  @Test
  void tooBigCountsAndInline() {
    byte[] longLine = new byte[RespDecoder.INLINE_MAX + 10];
    Arrays.fill(longLine, (byte) '1');
    longLine[0] = '*';
    assertThat(errorOf(new RespDecoder(), longLine))
        .isEqualTo("ERR Protocol error: too big mbulk count string");
    byte[] bulk = concat(bytes("*1\r\n"), longLine);
    bulk[4] = '$';
    assertThat(errorOf(new RespDecoder(), bulk))
        .isEqualTo("ERR Protocol error: too big bulk count string");
    byte[] inline = longLine.clone();
    inline[0] = 'P';
    assertThat(errorOf(new RespDecoder(), inline))
        .isEqualTo("ERR Protocol error: too big inline request");
  }

  @Test
  void partialLinesUnderTheInlineLimitWait() throws Exception {
    byte[] almost = new byte[RespDecoder.INLINE_MAX - 10];
    Arrays.fill(almost, (byte) 'a');
    RespDecoder d = new RespDecoder();
    d.append(Buffer.buffer(almost));
    assertThat(d.next()).isNull();
  }

  @Test
  void unbalancedQuotes() {
    assertThat(errorOf("SET \"a b\r\n")).isEqualTo("ERR Protocol error: unbalanced quotes in request");
    assertThat(errorOf("SET 'a\r\n")).isEqualTo("ERR Protocol error: unbalanced quotes in request");
    assertThat(errorOf("SET \"a\"b\r\n")).isEqualTo("ERR Protocol error: unbalanced quotes in request");
  }

  @Test
  void commandsBeforeAnErrorAreStillReturned() throws Exception {
    RespDecoder d = new RespDecoder();
    d.append(Buffer.buffer(concat(multibulk("PING"), bytes("*x\r\n"))));
    assertThat(d.next()).isNotNull();
    assertThatThrownBy(d::next).isInstanceOf(ProtocolException.class)
        .hasMessage("ERR Protocol error: invalid multibulk length");
  }

  @Test
  void unauthenticatedLimits() throws Exception {
    RespDecoder d = new RespDecoder();
    d.authRequired(true);
    assertThat(errorOf(d, bytes("*11\r\n")))
        .isEqualTo("ERR Protocol error: unauthenticated multibulk length");
    d = new RespDecoder();
    d.authRequired(true);
    assertThat(errorOf(d, bytes("*1\r\n$16385\r\n")))
        .isEqualTo("ERR Protocol error: unauthenticated bulk length");
    // at the limits it is fine
    d = new RespDecoder();
    d.authRequired(true);
    String[] ten = new String[10];
    Arrays.fill(ten, "x".repeat(16384));
    assertThat(decode(d, List.of(multibulk(ten)))).hasSize(1);
    // after AUTH the normal limits apply
    d.authRequired(false);
    assertThat(decode(d, List.of(multibulk("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"),
        multibulk("SET", "k", "x".repeat(16385))))).hasSize(2);
  }

  // ---- limits ----

  @Test
  void protoMaxBulkLen() throws Exception {
    RespDecoder d = new RespDecoder();
    d.limits(1024 * 1024, 1024L * 1024 * 1024);
    assertThat(errorOf(d, bytes("*1\r\n$1048577\r\n")))
        .isEqualTo("ERR Protocol error: invalid bulk length");
    d = new RespDecoder();
    d.limits(1024 * 1024, 1024L * 1024 * 1024);
    String big = "x".repeat(1024 * 1024);
    assertThat(decode(d, List.of(multibulk("SET", "k", big)))).hasSize(1);
  }

  @Test
  void queryBufferLimitMakesAppendReturnFalse() throws Exception {
    RespDecoder d = new RespDecoder();
    d.limits(512L * 1024 * 1024, 1024 * 1024);
    assertThat(d.append(Buffer.buffer(bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n"))))
        .isTrue();
    assertThat(d.next()).isNull();
    assertThat(d.append(Buffer.buffer(new byte[1000 * 1000]))).isTrue();
    assertThat(d.next()).isNull();
    assertThat(d.append(Buffer.buffer(new byte[100 * 1000]))).isFalse();
  }

  @Test
  void queryBufferLimitCountsArgumentsAlreadyRead() throws Exception {
    // Kiln's choice, stricter than Redis 7.0 (which counts only the unparsed bytes, so a
    // command of many big arguments is unbounded there): completed arguments of the command
    // being read count towards the limit
    RespDecoder d = new RespDecoder();
    d.limits(512L * 1024 * 1024, 1024 * 1024);
    String chunk = "x".repeat(600 * 1000);
    assertThat(d.append(Buffer.buffer(bytes("*3\r\n$" + chunk.length() + "\r\n" + chunk + "\r\n"))))
        .isTrue();
    assertThat(d.next()).isNull();
    assertThat(d.append(Buffer.buffer(bytes("$" + chunk.length() + "\r\n" + chunk + "\r\n"))))
        .isFalse();
  }

  @Test
  void aLargeArgumentSplitAnywhereIsIntact() throws Exception {
    byte[] big = new byte[300_000];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31);
    }
    byte[] stream = concat(bytes("*2\r\n$3\r\nSET\r\n$" + big.length + "\r\n"), big, bytes("\r\n"));
    for (int cut : new int[] {1, 17, 18, 19, 1000, 150_000, stream.length - 2, stream.length - 1}) {
      RespDecoder d = new RespDecoder();
      d.append(Buffer.buffer(Arrays.copyOfRange(stream, 0, cut)));
      assertThat(d.next()).isNull();
      d.append(Buffer.buffer(Arrays.copyOfRange(stream, cut, stream.length)));
      byte[][] cmd = d.next();
      assertThat(cmd).isNotNull();
      assertThat(cmd[1]).isEqualTo(big);
    }
  }

  @Test
  void splitArgsMatchesRedis() {
    Map<String, List<String>> cases = Map.of(
        "a b  c", List.of("a", "b", "c"),
        "\"\\x4g\"", List.of("x4g"),
        "''", List.of(""),
        "\"\"", List.of(""),
        "\"a\\tb\"", List.of("a\tb"));
    cases.forEach((line, want) -> {
      List<byte[]> got = RespDecoder.splitArgs(line);
      assertThat(got).as(line).isNotNull();
      assertThat(got.stream().map(RespDecoderTest::str).toList()).as(line).isEqualTo(want);
    });
  }

  @Test
  void aNulHidesTheInlineNewlineAsInRedis() throws Exception {
    // Redis finds the inline newline with strchr, which stops at a NUL: the line never ends
    RespDecoder d = new RespDecoder();
    d.append(Buffer.buffer(bytes("ab\0cd\r\nPING\r\n")));
    assertThat(d.next()).isNull();
    byte[] more = new byte[RespDecoder.INLINE_MAX];
    Arrays.fill(more, (byte) 'x');
    assertThat(errorOf(d, more)).isEqualTo("ERR Protocol error: too big inline request");
  }

  @Test
  void countLinesEndAtTheFirstCarriageReturnAsInRedis() throws Exception {
    // Redis finds a count line's end with strchr('\r') and skips two bytes unchecked
    assertThat(decode(bytes("*1\rX$4\r\nPING\r\n"))).containsExactly(List.of("PING"));
    assertThat(decode(bytes("*1\r\n$4\rXPING\r\n"))).containsExactly(List.of("PING"));
    assertThat(errorOf("*1\r\r\n$4\r\nPING\r\n"))
        .isEqualTo("ERR Protocol error: expected '$', got '\n'");
    // a lone '\r' at the end waits for the next byte; a NUL hides the line end
    RespDecoder d = new RespDecoder();
    d.append(Buffer.buffer(bytes("*1\r")));
    assertThat(d.next()).isNull();
    d = new RespDecoder();
    d.append(Buffer.buffer(bytes("*1\0\r\n$4\r\nPING\r\n")));
    assertThat(d.next()).isNull();
  }
}
