package io.kiln.persist;

import static io.kiln.persist.AofTestSupport.content;
import static io.kiln.persist.LoadSupport.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.kiln.Kiln;
import io.kiln.server.Server;
import io.kiln.support.RespClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short and broken append-only files. A small AOF written by Kiln (a dozen commands with a
 * MULTI/EXEC block) is cut at every byte: with aof-load-truncated yes the start loads exactly the
 * complete commands before the cut (none of an unfinished MULTI), cuts the file there and
 * appends after it; with no, the start fails naming the file and offset. A bad byte, an unknown
 * command and a fuzz loop of mutated files either load a prefix or fail with a LoadFailure;
 * never another exception, never a hang. The expected dataset of each prefix comes from a
 * reference Kiln (no AOF) that the prefix's commands are sent to. Test thread.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AofTruncationTest {
  @TempDir
  static Path work;

  /** The Kiln-written AOF. */
  private byte[] aof;
  /** Its commands: [start, end) offsets and words. */
  private final List<Cmd> cmds = new ArrayList<>();
  /** Expected keyspace after the first k commands (k a valid prefix length). */
  private final Map<Integer, Map<String, String>> expected = new HashMap<>();

  record Cmd(int start, int end, String[] argv) {}

  @BeforeAll
  void writeAof() throws Exception {
    Path src = Files.createDirectory(work.resolve("source"));
    // Kiln itself rather than TestKiln (here and below): the starts of this class are many and
    // short, and the startup rehearsal's blocked-thread warnings on a loaded machine are not
    // what it tests.
    Server kiln = start(src, "yes").kiln();
    try (RespClient c = new RespClient("127.0.0.1", kiln.port())) {
      String[][] stream = {
          {"SET", "a", "1"}, {"SET", "b", "hello", "PX", "7200000"}, {"RPUSH", "l", "x", "y"},
          {"MULTI"}, {"SET", "m", "x"}, {"INCR", "n"}, {"HSET", "h", "f", "v"}, {"EXEC"},
          {"SELECT", "1"}, {"SADD", "s", "a", "b"}, {"SELECT", "0"}, {"DEL", "a"},
          {"INCRBYFLOAT", "f", "1.5"}, {"HDEL", "h", "f"},
      };
      for (String[] cmd : stream) {
        c.call(cmd);
      }
    } finally {
      stop(kiln);
    }
    aof = Files.readAllBytes(src.resolve("appendonly.aof"));
    parse();
    assertThat(cmds.size()).as("commands in the AOF").isGreaterThan(12);
    assertThat(cmds.stream().filter(x -> x.argv()[0].equals("MULTI")).count()).isEqualTo(1);
    // the reference: each valid prefix sent to a Kiln without AOF
    Server ref = Kiln.start(config(Files.createDirectory(work.resolve("reference"))))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    try (RespClient c = new RespClient("127.0.0.1", ref.port())) {
      for (int k = 0; k <= cmds.size(); k++) {
        if (k != validPrefix(k == 0 ? 0 : cmds.get(k - 1).end())) {
          continue; // ends inside the MULTI block: never a loaded state
        }
        c.call("FLUSHALL");
        c.call("SELECT", "0");
        for (int i = 0; i < k; i++) {
          c.call(cmds.get(i).argv());
        }
        expected.put(k, content(c));
      }
    } finally {
      stop(ref);
    }
  }

  /** Splits the file into its commands (it is well formed: Kiln wrote it). */
  private void parse() {
    int pos = 0;
    while (pos < aof.length) {
      int start = pos;
      int nl = indexOfCrlf(pos);
      int n = Integer.parseInt(ascii(pos + 1, nl));
      pos = nl + 2;
      String[] argv = new String[n];
      for (int i = 0; i < n; i++) {
        nl = indexOfCrlf(pos);
        int len = Integer.parseInt(ascii(pos + 1, nl));
        argv[i] = new String(aof, nl + 2, len, StandardCharsets.ISO_8859_1);
        pos = nl + 2 + len + 2;
      }
      argv[0] = argv[0].toUpperCase(java.util.Locale.ROOT);
      cmds.add(new Cmd(start, pos, argv));
    }
  }

  private int indexOfCrlf(int from) {
    for (int i = from; i + 1 < aof.length; i++) {
      if (aof[i] == '\r' && aof[i + 1] == '\n') {
        return i;
      }
    }
    throw new IllegalStateException("no CRLF after " + from);
  }

  private String ascii(int from, int to) {
    return new String(aof, from, to - from, StandardCharsets.US_ASCII);
  }

  /** Commands a load of the first {@code cut} bytes keeps: complete ones, none of an open MULTI. */
  private int validPrefix(int cut) {
    int k = 0;
    int multi = -1;
    for (Cmd c : cmds) {
      if (c.end() > cut) {
        break;
      }
      if (c.argv()[0].equals("MULTI")) {
        multi = k;
      } else if (c.argv()[0].equals("EXEC")) {
        multi = -1;
      }
      k++;
    }
    return multi >= 0 ? multi : k;
  }

  /**
   * Every truncation point that puts the reader in a different state: every byte of every
   * "*N" / "$N" line and of every CRLF after an argument, and the first, second and last bytes
   * of each argument's data (the bytes inside longer data are all alike). Ends with the whole
   * file. For the commands here (short words) this is nearly every byte.
   */
  private List<Integer> cutPoints() {
    List<Integer> points = new ArrayList<>();
    int pos = 0;
    while (pos < aof.length) {
      int nl = indexOfCrlf(pos);
      int n = Integer.parseInt(ascii(pos + 1, nl));
      for (int i = pos; i <= nl + 1; i++) {
        points.add(i);
      }
      pos = nl + 2;
      for (int a = 0; a < n; a++) {
        nl = indexOfCrlf(pos);
        int len = Integer.parseInt(ascii(pos + 1, nl));
        for (int i = pos; i <= nl + 1; i++) {
          points.add(i);
        }
        int data = nl + 2;
        for (int i = data; i < data + len; i++) {
          if (i - data < 2 || i == data + len - 1) {
            points.add(i);
          }
        }
        points.add(data + len);
        points.add(data + len + 1);
        pos = data + len + 2;
      }
    }
    points.add(aof.length);
    return points;
  }

  private int prefixBytes(int k) {
    return k == 0 ? 0 : cmds.get(k - 1).end();
  }

  // ---- starting Kiln on a file ----

  /** A start's outcome: a running Kiln, or the failure. */
  record Outcome(Server kiln, Throwable failure) {}

  private Path dir(String name) throws Exception {
    Path d = work.resolve(name);
    Files.createDirectories(d);
    return d;
  }

  private static Outcome start(Path dir, String truncated) throws Exception {
    try {
      Server kiln = Kiln.start(config(dir, "appendonly", "yes", "aof-load-truncated", truncated))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return new Outcome(kiln, null);
    } catch (ExecutionException e) {
      return new Outcome(null, e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("Kiln.start did not complete within 10 s on " + dir, e);
    }
  }

  private static void stop(Server kiln) throws Exception {
    kiln.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Map<String, String> read(Server kiln) {
    try (RespClient c = new RespClient("127.0.0.1", kiln.port())) {
      return content(c);
    }
  }

  /** The LoadFailure message at the root of {@code t}; fails on any other exception. */
  private static String loadFailure(Throwable t, Path file) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof LoadFailure) {
        assertThat(c.getMessage()).as("the failure names the file").contains(file.toString());
        return c.getMessage();
      }
    }
    throw new AssertionError("start failed with something else than a LoadFailure", t);
  }

  // ---- tests ----

  @Test
  void everyTruncationLoadsThePrefixOfCompleteCommandsAndAppendsAfterIt() throws Exception {
    Path d = dir("every-yes");
    Path file = d.resolve("appendonly.aof");
    long t0 = System.nanoTime();
    List<Integer> points = cutPoints();
    for (int cut : points) {
      Files.write(file, Arrays.copyOf(aof, cut));
      Outcome o = start(d, "yes");
      if (o.failure() != null) {
        throw new AssertionError("cut at " + cut + " failed the start", o.failure());
      }
      int k = validPrefix(cut);
      try {
        assertThat(read(o.kiln())).as("dataset of the file cut at %d (%d commands)", cut, k)
            .isEqualTo(expected.get(k));
        assertThat(Files.size(file)).as("file cut back to its valid prefix (cut %d)", cut)
            .isEqualTo(prefixBytes(k));
        // every fifth cut: a write after the start appends after the prefix
        if (cut % 5 == 0) {
          try (RespClient c = new RespClient("127.0.0.1", o.kiln().port())) {
            assertThat(c.call("SET", "after", Integer.toString(cut))).isEqualTo("+OK\r\n");
          }
        }
      } finally {
        stop(o.kiln());
      }
      if (cut % 5 == 0) {
        assertThat(Arrays.copyOf(Files.readAllBytes(file), prefixBytes(k)))
            .as("the prefix is kept as it was").isEqualTo(Arrays.copyOf(aof, prefixBytes(k)));
        Outcome again = start(d, "no");
        if (again.failure() != null) {
          throw new AssertionError("restart after cut " + cut + " failed", again.failure());
        }
        try (RespClient c = new RespClient("127.0.0.1", again.kiln().port())) {
          Map<String, String> got = content(c);
          assertThat(got.remove("0/after")).as("the write after cut %d", cut)
              .isEqualTo("+string :-1 " + cut);
          assertThat(got).as("prefix after the restart (cut %d)", cut).isEqualTo(expected.get(k));
        } finally {
          stop(again.kiln());
        }
      }
    }
    System.out.printf("%d truncation points of %d bytes in %d ms%n", points.size(), aof.length,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  @Test
  void withAofLoadTruncatedNoEveryShortFileFailsTheStart() throws Exception {
    Path d = dir("every-no");
    Path file = d.resolve("appendonly.aof");
    for (int cut : cutPoints()) {
      Files.write(file, Arrays.copyOf(aof, cut));
      int k = validPrefix(cut);
      boolean complete = prefixBytes(k) == cut;
      Outcome o = start(d, "no");
      if (complete) {
        if (o.failure() != null) {
          throw new AssertionError("complete file of " + cut + " bytes failed", o.failure());
        }
        try {
          assertThat(read(o.kiln())).as("complete file of %d bytes", cut)
              .isEqualTo(expected.get(k));
        } finally {
          stop(o.kiln());
        }
      } else {
        if (o.kiln() != null) {
          stop(o.kiln());
          fail("a file cut at %d started with aof-load-truncated no", cut);
        }
        String msg = loadFailure(o.failure(), file);
        assertThat(msg).as("cut at %d", cut).contains("Unexpected end of file")
            .contains("at offset " + prefixBytes(k)).doesNotContain("Exception");
        assertThat(Files.size(file)).as("the file is left as it was").isEqualTo(cut);
      }
    }
  }

  @Test
  void aBadByteInTheMiddleFailsTheStartNamingTheOffset() throws Exception {
    Path d = dir("bad-byte");
    Path file = d.resolve("appendonly.aof");
    Cmd victim = cmds.get(cmds.size() / 2);
    byte[] bad = aof.clone();
    // the '$' of the command's first argument becomes 'x': no command
    int dollar = victim.start() + ascii(victim.start(), victim.end()).indexOf('$');
    bad[dollar] = 'x';
    Files.write(file, bad);
    for (String truncated : new String[] {"yes", "no"}) {
      Outcome o = start(d, truncated);
      if (o.kiln() != null) {
        stop(o.kiln());
        fail("a file with a bad byte at %d started (aof-load-truncated %s)", dollar, truncated);
      }
      String msg = loadFailure(o.failure(), file);
      assertThat(msg).contains("Bad file format").contains("at offset " + victim.start())
          .doesNotContain("Exception").doesNotContain("java.");
      assertThat(Files.readAllBytes(file)).as("the file is left as it was").isEqualTo(bad);
    }
  }

  @Test
  void anUnknownCommandFailsTheStartNamingItsOffset() throws Exception {
    Path d = dir("unknown");
    Path file = d.resolve("appendonly.aof");
    Cmd victim = cmds.stream().filter(x -> x.argv()[0].equals("HDEL")).findFirst().orElseThrow();
    String text = new String(aof, StandardCharsets.ISO_8859_1);
    int at = text.indexOf("HDEL", victim.start());
    byte[] bad = aof.clone();
    System.arraycopy("HDUH".getBytes(StandardCharsets.US_ASCII), 0, bad, at, 4);
    Files.write(file, bad);
    Outcome o = start(d, "yes");
    if (o.kiln() != null) {
      stop(o.kiln());
      fail("a file with an unknown command started");
    }
    String msg = loadFailure(o.failure(), file);
    assertThat(msg).contains("Unknown command 'HDUH'").contains("at offset " + victim.start())
        .doesNotContain("Exception").doesNotContain("java.");
  }

  @Test
  void mutatedFilesLoadAPrefixOrFailWithALoadFailure() throws Exception {
    Path d = dir("fuzz");
    Path file = d.resolve("appendonly.aof");
    Random r = new Random(20240601L);
    // CI runs a few hundred in 5 s; -Dkiln.fuzz.runs=3000 -Dkiln.fuzz.seconds=900 a long run
    int maxRuns = Integer.getInteger("kiln.fuzz.runs", 400);
    long deadline = System.nanoTime()
        + TimeUnit.SECONDS.toNanos(Integer.getInteger("kiln.fuzz.seconds", 5));
    int runs = 0;
    int loaded = 0;
    int failed = 0;
    while (runs < maxRuns && System.nanoTime() < deadline) {
      runs++;
      byte[] m;
      int kind = r.nextInt(4);
      int cut = r.nextInt(aof.length + 1);
      switch (kind) {
        case 0 -> m = Arrays.copyOf(aof, cut); // truncation
        case 1 -> { // junk tail after a cut
          byte[] junk = new byte[1 + r.nextInt(20)];
          r.nextBytes(junk);
          if (r.nextBoolean()) {
            junk[0] = (byte) (r.nextBoolean() ? '*' : '$');
          }
          m = Arrays.copyOf(aof, cut + junk.length);
          System.arraycopy(junk, 0, m, cut, junk.length);
        }
        default -> { // flipped bytes, then maybe a truncation
          m = aof.clone();
          for (int i = 1 + r.nextInt(3); i > 0; i--) {
            m[r.nextInt(m.length)] ^= (byte) (1 << r.nextInt(8));
          }
          if (kind == 3) {
            m = Arrays.copyOf(m, Math.max(cut, 1));
          }
        }
      }
      Files.write(file, m);
      Outcome o = start(d, r.nextBoolean() ? "yes" : "no");
      if (o.kiln() != null) {
        loaded++;
        try {
          Map<String, String> got = read(o.kiln());
          if (kind == 0) {
            assertThat(got).as("truncation at %d", cut).isEqualTo(expected.get(validPrefix(cut)));
          } else if (kind == 1) {
            // junk after a cut never loads more than that cut's prefix plus well-formed junk
            assertThat(got.size()).as("junk tail run %d", runs).isLessThanOrEqualTo(
                expected.get(cmds.size()).size() + 1);
          }
        } finally {
          stop(o.kiln());
        }
      } else {
        failed++;
        loadFailure(o.failure(), file);
      }
    }
    System.out.printf("fuzz: %d runs, %d loaded, %d failed with a LoadFailure%n", runs, loaded,
        failed);
    assertThat(runs).isGreaterThan(50);
    assertThat(failed).as("some mutations are fatal").isPositive();
    assertThat(loaded).as("some mutations load").isPositive();
  }
}
