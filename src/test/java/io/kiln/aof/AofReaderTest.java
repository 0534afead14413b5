package io.kiln.aof;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.kiln.aof.AofFormatException.Kind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AofReader on real files: clean ends, truncation at every byte, bad bytes, a fuzz loop. */
class AofReaderTest {
  @TempDir
  Path dir;

  static byte[] cmd(String... args) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    for (String a : args) {
      byte[] v = a.getBytes(StandardCharsets.ISO_8859_1);
      b.writeBytes(("$" + v.length + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      b.writeBytes(v);
      b.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
    return b.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return b.toByteArray();
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** What reading the whole of {@code in} gave: the commands and the failure, if any. */
  record Outcome(List<byte[][]> commands, long offset, AofFormatException error) {}

  static Outcome readAll(InputStream in, long start) throws IOException {
    AofReader r = new AofReader(in, start);
    List<byte[][]> cmds = new ArrayList<>();
    try {
      byte[][] c;
      while ((c = r.next()) != null) {
        cmds.add(c);
      }
      return new Outcome(cmds, r.offset(), null);
    } catch (AofFormatException e) {
      assertThat(e.offset()).isEqualTo(r.offset());
      return new Outcome(cmds, r.offset(), e);
    }
  }

  Outcome readFile(byte[] content) throws IOException {
    Path f = dir.resolve("appendonly.aof");
    Files.write(f, content);
    try (InputStream in = Files.newInputStream(f)) {
      return readAll(in, 0);
    }
  }

  /** A stream that hands out one byte per read, so CR and LF arrive in separate reads. */
  static InputStream trickle(byte[] data) {
    return new FilterInputStream(new ByteArrayInputStream(data)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, 1));
      }
    };
  }

  private static final byte[] SET = cmd("SET", "key", "value");
  private static final byte[] ANN = ascii("#TS:1700000000\r\n");
  private static final byte[] EMPTY = cmd("SET", "k", "");
  private static final byte[] BIN = cmd("RPUSH", "l", "a\r\n*\u00ff", "\r\n");
  private static final byte[] DEL = cmd("DEL", "key");

  @Test
  void readsCommandsAndSkipsAnnotations() throws Exception {
    byte[] file = concat(SET, ANN, EMPTY, BIN, ANN, DEL);
    Outcome o = readFile(file);
    assertThat(o.error()).isNull();
    assertThat(o.commands()).hasSize(4);
    assertThat(o.commands().get(2)[2]).isEqualTo(ascii("a\r\n*\u00ff"));
    assertThat(o.commands().get(1)[2]).isEmpty();
    assertThat(o.offset()).isEqualTo(file.length);
  }

  @Test
  void everyTruncationPointIsACleanEndOrTruncatedAtTheLastCommand() throws Exception {
    byte[][] parts = {SET, ANN, EMPTY, BIN, ANN, DEL};
    byte[] file = concat(parts);
    for (int cut = 0; cut <= file.length; cut++) {
      // Expected: the commands wholly before the cut; clean when the cut falls at a command end
      // or inside/after an annotation line.
      int whole = 0;
      long validEnd = 0;
      boolean clean = false;
      int at = 0;
      for (byte[] p : parts) {
        int end = at + p.length;
        boolean annotation = p[0] == '#';
        if (cut == at) {
          clean = true;
          break;
        }
        if (cut < end) {
          clean = annotation;
          break;
        }
        if (!annotation) {
          whole++;
          validEnd = end;
        }
        at = end;
        clean = cut == end;
      }
      byte[] prefix = Arrays.copyOf(file, cut);
      for (Outcome o : List.of(readFile(prefix), readAll(trickle(prefix), 0))) {
        assertThat(o.commands()).as("cut %d", cut).hasSize(whole);
        assertThat(o.offset()).as("cut %d", cut).isEqualTo(validEnd);
        if (clean) {
          assertThat(o.error()).as("cut %d", cut).isNull();
        } else {
          assertThat(o.error()).as("cut %d", cut).isNotNull();
          assertThat(o.error().kind()).as("cut %d", cut).isEqualTo(Kind.TRUNCATED);
          assertThat(o.error().offset()).isEqualTo(validEnd);
          assertThat(o.error().getMessage())
              .startsWith("Unexpected end of file reading the append only file");
        }
      }
    }
  }

  @Test
  void partialBulkAtEndIsTruncation() throws Exception {
    Outcome o = readFile(concat(SET, ascii("*3\r\n$3\r\nSE")));
    assertThat(o.error().kind()).isEqualTo(Kind.TRUNCATED);
    assertThat(o.error().offset()).isEqualTo(SET.length);
  }

  @Test
  void offsetsCountFromTheStartOffset() throws Exception {
    Outcome o = readAll(new ByteArrayInputStream(concat(SET, ascii("*1\r\n$4\r\nPI"))), 1000);
    assertThat(o.commands()).hasSize(1);
    assertThat(o.error().offset()).isEqualTo(1000 + SET.length);
    assertThat(o.error().getMessage()).contains("offset " + (1000 + SET.length + 10));
  }

  @Test
  void malformedCommandsAreBadFormatAtTheCommandStart() throws Exception {
    String[] bad = {
      "junk\r\n", "*0\r\n", "*-1\r\n", "*\r\n", "*1\n$4\r\nPING\r\n", "*1\r\nX4\r\nPING\r\n",
      "*1\r\n$4\r\nPINGX\r\n", "*1\r\n$4\r\nPING\rX", "*1\r\n$-1\r\n", "*1\r\n$ 4\r\nPING\r\n",
      "*1x\r\n$4\r\nPING\r\n", "*1\r\n$99999999999999999999\r\n", "\r\n", "$4\r\nPING\r\n",
    };
    for (String b : bad) {
      Outcome o = readFile(concat(SET, DEL, ascii(b)));
      assertThat(o.commands()).as(b).hasSize(2);
      assertThat(o.error()).as(b).isNotNull();
      assertThat(o.error().kind()).as(b).isEqualTo(Kind.BAD_FORMAT);
      assertThat(o.error().offset()).as(b).isEqualTo(SET.length + DEL.length);
      assertThat(o.error().getMessage())
          .startsWith("Bad file format reading the append only file");
    }
  }

  @Test
  void aHugeDeclaredLengthInASmallFileIsTruncationWithoutAllocatingIt() throws Exception {
    Outcome o = readFile(concat(SET, ascii("*2\r\n$3\r\nGET\r\n$2000000000\r\nabc")));
    assertThat(o.error().kind()).isEqualTo(Kind.TRUNCATED);
    assertThat(o.error().offset()).isEqualTo(SET.length);
  }

  @Test
  void readsALargeBulkValue() throws Exception {
    int len = 200 << 20;
    byte[] head = ascii("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + len + "\r\n");
    InputStream body = new InputStream() {
      long left = len;

      @Override
      public int read() {
        throw new UnsupportedOperationException();
      }

      @Override
      public int read(byte[] b, int off, int n) {
        if (left == 0) {
          return -1;
        }
        int k = (int) Math.min(n, left);
        Arrays.fill(b, off, off + k, (byte) 'x');
        left -= k;
        return k;
      }
    };
    InputStream in = new java.io.SequenceInputStream(new ByteArrayInputStream(head),
        new java.io.SequenceInputStream(body, new ByteArrayInputStream(concat(ascii("\r\n"),
            DEL))));
    AofReader r = new AofReader(in, 0);
    byte[][] c = r.next();
    assertThat(c[2].length).isEqualTo(len);
    assertThat(c[2][len - 1]).isEqualTo((byte) 'x');
    assertThat(r.offset()).isEqualTo(head.length + len + 2L);
    assertThat(r.next().length).isEqualTo(2);
    assertThat(r.next()).isNull();
  }

  @Test
  void everyFlippedByteGivesAFormatErrorOrCommands() throws Exception {
    byte[] file = concat(SET, ANN, EMPTY, BIN, DEL);
    int[] values = {0, '\r', '\n', '*', '$', '#', '0', '9', '-', 'a', 0xff};
    for (int i = 0; i < file.length; i++) {
      for (int v : values) {
        byte[] m = file.clone();
        m[i] = (byte) v;
        checkSound(m);
      }
    }
  }

  @Test
  void fuzzedFilesFailOnlyWithFormatErrorsAndTheirValidPrefixParses() throws Exception {
    Random rnd = new Random(20240601L);
    List<byte[]> pool = List.of(SET, ANN, EMPTY, BIN, DEL, cmd("MULTI"), cmd("EXEC"),
        cmd("HSET", "h", "f", "v", "g", "w"));
    long deadline = System.nanoTime() + 4_000_000_000L;
    int runs = 0;
    while (runs < 3000 && System.nanoTime() < deadline) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      int n = 1 + rnd.nextInt(12);
      for (int i = 0; i < n; i++) {
        b.writeBytes(pool.get(rnd.nextInt(pool.size())));
      }
      byte[] m = b.toByteArray();
      switch (rnd.nextInt(4)) {
        case 0 -> m = Arrays.copyOf(m, rnd.nextInt(m.length + 1));
        case 1 -> {
          for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
            m[rnd.nextInt(m.length)] = (byte) rnd.nextInt(256);
          }
        }
        case 2 -> {
          byte[] junk = new byte[1 + rnd.nextInt(40)];
          rnd.nextBytes(junk);
          m = concat(m, junk);
        }
        default -> {
          int at = rnd.nextInt(m.length);
          byte[] junk = ascii(new String[] {"*", "$", "\r\n", "*1\r\n", "$5\r\n", "12"}
              [rnd.nextInt(6)]);
          m = concat(Arrays.copyOf(m, at), junk, Arrays.copyOfRange(m, at, m.length));
        }
      }
      checkSound(m);
      runs++;
    }
    assertThat(runs).isGreaterThan(500);
  }

  /** Reads {@code m}; any failure is a format error whose valid prefix reads cleanly. */
  private void checkSound(byte[] m) throws IOException {
    Outcome o;
    try {
      o = readAll(new ByteArrayInputStream(m), 0);
    } catch (RuntimeException | Error e) {
      fail("unexpected " + e + " reading " + new String(m, StandardCharsets.ISO_8859_1), e);
      return;
    }
    assertThat(o.offset()).isBetween(0L, (long) m.length);
    if (o.error() == null) {
      return;
    }
    Outcome prefix = readAll(new ByteArrayInputStream(Arrays.copyOf(m, (int) o.offset())), 0);
    assertThat(prefix.error()).isNull();
    assertThat(prefix.commands()).hasSize(o.commands().size());
    assertThat(prefix.offset()).isEqualTo(o.offset());
  }

  @Test
  void rdbPreambleIsTheFiveBytesRedis() throws Exception {
    Path f = dir.resolve("a.aof");
    Files.write(f, ascii("REDIS0010"));
    assertThat(AofReader.hasRdbPreamble(f)).isTrue();
    Files.write(f, SET);
    assertThat(AofReader.hasRdbPreamble(f)).isFalse();
    Files.write(f, ascii("REDI"));
    assertThat(AofReader.hasRdbPreamble(f)).isFalse();
    assertThat(AofReader.hasRdbPreamble(dir.resolve("missing"))).isFalse();
  }

  @Test
  void anIoErrorIsNotAFormatError() {
    InputStream failing = new InputStream() {
      @Override
      public int read() throws IOException {
        throw new IOException("disk gone");
      }
    };
    assertThatThrownBy(() -> new AofReader(failing, 0).next()).isInstanceOf(IOException.class)
        .hasMessage("disk gone");
  }
}
