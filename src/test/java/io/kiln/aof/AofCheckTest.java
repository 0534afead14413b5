package io.kiln.aof;

import static io.kiln.aof.AofReaderTest.ascii;
import static io.kiln.aof.AofReaderTest.cmd;
import static io.kiln.aof.AofReaderTest.concat;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AofCheck against the real redis-check-aof 7.0 on crafted files: the same output, exit code and
 * truncation. Skips where /usr/bin/redis-check-aof is not installed.
 */
class AofCheckTest {
  private static final String JUDGE = "/usr/bin/redis-check-aof";

  @TempDir
  Path dir;

  record Result(int rc, String output) {}

  static void assumeJudge() {
    Assumptions.assumeTrue(new File(JUDGE).canExecute(),
        "redis-check-aof is not installed: differential test skipped "
            + "(apt-get install -y redis-tools to run it; CI does)");
  }

  static Result judge(String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(JUDGE));
    cmd.addAll(Arrays.asList(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.ISO_8859_1));
    }
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), new String(out, StandardCharsets.ISO_8859_1));
  }

  static Result ours(String stdin, String... args) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(b, true, StandardCharsets.ISO_8859_1);
    int rc = AofCheck.run(args, ps,
        new ByteArrayInputStream(stdin.getBytes(StandardCharsets.ISO_8859_1)));
    return new Result(rc, b.toString(StandardCharsets.ISO_8859_1));
  }

  private Path write(String name, byte[] content) throws IOException {
    Path f = dir.resolve(name);
    Files.write(f, content);
    return f;
  }

  /** Both tools on a copy each of {@code content}: same output and exit code. */
  private void same(String name, byte[] content) throws Exception {
    Path f = write(name, content);
    Result want = judge("", f.toString());
    Result got = ours("", f.toString());
    assertThat(got).as("%s: %s", name, printable(content)).isEqualTo(want);
    assertThat(Files.readAllBytes(f)).isEqualTo(content);
  }

  private static String printable(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1).replace("\r", "\\r").replace("\n", "\\n");
  }

  private static final byte[] SET = cmd("SET", "key", "value");
  private static final byte[] DEL = cmd("DEL", "key");
  private static final byte[] MULTI = cmd("MULTI");
  private static final byte[] EXEC = cmd("EXEC");
  private static final byte[] INCR = cmd("INCR", "n");

  static Map<String, byte[]> crafted() {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("valid", concat(SET, MULTI, INCR, INCR, EXEC, DEL));
    m.put("truncated-mid-bulk", concat(SET, ascii("*3\r\n$3\r\nSE")));
    m.put("truncated-mid-header", concat(SET, ascii("*3\r\n$3\r")));
    m.put("truncated-at-header", concat(SET, ascii("*3\r\n")));
    m.put("truncated-star", concat(SET, ascii("*")));
    m.put("junk-tail", concat(SET, ascii("junk\r\n")));
    m.put("binary-tail", concat(SET, new byte[] {(byte) 0x80, 0, (byte) 0xff, '\r', '\n'}));
    m.put("unfinished-multi", concat(SET, MULTI, INCR));
    m.put("unfinished-multi-truncated", concat(SET, MULTI, INCR, ascii("*2\r\n$4\r\nIN")));
    m.put("nested-multi", concat(MULTI, cmd("multi")));
    m.put("exec-without-multi", concat(SET, EXEC, SET));
    m.put("annotations", concat(ascii("#TS:1700000000\r\n"), SET, ascii("#TS:1\r\n"), DEL));
    m.put("annotation-in-multi", concat(MULTI, ascii("#x\r\n"), INCR, EXEC));
    m.put("bulk-without-crlf", ascii("*3\r\n$3\r\nSETX\r\n"));
    m.put("bulk-high-bytes", ascii("*1\r\n$1\r\nA\u00ff\u00fe"));
    m.put("zero-argc", ascii("*0\r\n"));
    m.put("negative-argc", concat(ascii("*-1\r\n"), SET));
    m.put("negative-bulk", ascii("*1\r\n$-1\r\n"));
    m.put("empty-counts", ascii("*\r\n*1\r\n$\r\n\r\n"));
    m.put("lf-only", ascii("*1\n$4\nPING\r\n"));
    m.put("blanks-and-signs", ascii("*+1\r\n$ 4\r\nPING\r\n"));
    m.put("long-header", ascii("*1\r\n$" + "1".repeat(130) + "\r\n"));
    m.put("huge-bulk", ascii("*1\r\n$99999999999\r\nab"));
    m.put("wrong-prefix", ascii("*1\r\nXYZ\r\n"));
    m.put("nul-in-command", concat(ascii("*1\r\n$6\r\nMULTI\u0000\r\n"), SET));
    return m;
  }

  @Test
  void craftedFilesGiveTheSameVerdictAndOutputAsRedisCheckAof() throws Exception {
    assumeJudge();
    for (Map.Entry<String, byte[]> e : crafted().entrySet()) {
      same(e.getKey() + ".aof", e.getValue());
    }
  }

  @Test
  void emptyMissingAndUsageAsRedisCheckAof() throws Exception {
    assumeJudge();
    same("empty.aof", new byte[0]);
    String missing = dir.resolve("missing.aof").toString();
    Result want = judge("", missing);
    assertThat(ours("", missing)).isEqualTo(want);
    Result usage = ours("", "--bogus", "x");
    assertThat(usage.rc()).isEqualTo(1);
    assertThat(usage.output()).startsWith("Usage: ");
    assertThat(ours("").rc()).isEqualTo(1);
  }

  @Test
  void validFileSaysSo() throws Exception {
    Path f = write("appendonly.aof", concat(SET, DEL));
    Result r = ours("", f.toString());
    assertThat(r.rc()).isZero();
    assertThat(r.output()).endsWith("AOF " + f + " is valid\n");
  }

  @Test
  void everyTruncationPointAgreesWithRedisCheckAof() throws Exception {
    assumeJudge();
    byte[] file = concat(SET, ascii("#TS:1\r\n"), MULTI, INCR, EXEC, DEL);
    for (int cut = 1; cut <= file.length; cut++) {
      same("cut" + cut + ".aof", Arrays.copyOf(file, cut));
    }
  }

  @Test
  void mutatedFilesAgreeWithRedisCheckAof() throws Exception {
    assumeJudge();
    Random rnd = new Random(7);
    byte[] base = concat(SET, MULTI, INCR, EXEC, DEL, ascii("#TS:5\r\n"), INCR);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
    for (int i = 0; i < 150 && System.nanoTime() < deadline; i++) {
      byte[] m = base.clone();
      if (rnd.nextBoolean()) {
        m[rnd.nextInt(m.length)] = (byte) rnd.nextInt(256);
      } else {
        byte[] junk = new byte[1 + rnd.nextInt(12)];
        rnd.nextBytes(junk);
        m = concat(Arrays.copyOf(m, rnd.nextInt(m.length)), junk);
      }
      same("fuzz" + i + ".aof", m);
    }
  }

  @Test
  void fixTruncatesToTheSameLengthAsRedisCheckAof() throws Exception {
    assumeJudge();
    for (Map.Entry<String, byte[]> e : crafted().entrySet()) {
      Path theirs = write(e.getKey() + ".theirs.aof", e.getValue());
      Path mine = write(e.getKey() + ".mine.aof", e.getValue());
      Path scripted = write(e.getKey() + ".yes.aof", e.getValue());
      Result want = judge("y\n", "--fix", theirs.toString());
      Result got = ours("y\n", "--fix", mine.toString());
      Result yes = ours("", "--fix", "--yes", scripted.toString());
      assertThat(got.rc()).as(e.getKey()).isEqualTo(want.rc());
      assertThat(got.output()).as(e.getKey())
          .isEqualTo(want.output().replace(theirs.toString(), mine.toString()));
      assertThat(yes.output()).as(e.getKey())
          .isEqualTo(want.output().replace(theirs.toString(), scripted.toString()));
      assertThat(Files.readAllBytes(mine)).as(e.getKey()).isEqualTo(Files.readAllBytes(theirs));
      assertThat(Files.readAllBytes(scripted)).isEqualTo(Files.readAllBytes(theirs));
    }
  }

  @Test
  void fixAnsweredNoOrWithoutAnAnswerAborts() throws Exception {
    byte[] bad = concat(SET, ascii("*3\r\n$3\r\nSE"));
    for (String answer : List.of("n\n", "")) {
      Path f = write("no.aof", bad);
      Result r = ours(answer, "--fix", f.toString());
      assertThat(r.rc()).isEqualTo(1);
      assertThat(r.output()).endsWith("Continue? [y/N]: Aborting...\n");
      assertThat(Files.readAllBytes(f)).isEqualTo(bad);
    }
    Path f = write("yes.aof", bad);
    Result r = ours("Y\n", "--fix", f.toString());
    assertThat(r.rc()).isZero();
    assertThat(r.output()).endsWith("Successfully truncated AOF " + f + "\n");
    assertThat(Files.size(f)).isEqualTo(SET.length);
  }

  /** A real Redis 7.0 appendonlydir (RDB base + incr) and the old-style file made of both. */
  private Path realAppendonlydir() throws Exception {
    Path data = dir.resolve("redis");
    Files.createDirectories(data);
    try (RealRedis r = RealRedis.start("--appendonly", "yes", "--aof-use-rdb-preamble", "yes",
        "--dir", data.toString());
        RespClient c = r.client()) {
      c.call("SET", "a", "1");
      c.call("RPUSH", "l", "x", "y");
      c.call("HSET", "h", "f", "v");
      c.call("BGREWRITEAOF");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (true) {
        String info = c.call("INFO", "persistence");
        if (info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0")
            && info.contains("aof_last_bgrewrite_status:ok")) {
          break;
        }
        assertThat(System.nanoTime()).as("rewrite finished").isLessThan(deadline);
        Thread.onSpinWait();
      }
      c.call("SET", "b", "2");
      c.call("MULTI");
      c.call("INCR", "n");
      c.call("EXEC");
    }
    return AofManifest.find(data, "appendonlydir", "appendonly.aof");
  }

  /**
   * The lines that do not come from the RDB check (which RdbCheck's own tests cover). The byte
   * after a line's NUL in "got: 00XX" is, for the first line after the RDB part, whatever
   * redis-check-aof's stack held: masked.
   */
  private static String aofLines(String output) {
    return output.lines().filter(l -> !l.startsWith("[") && !l.startsWith("---"))
        .map(l -> l.replaceAll("got: 00[0-9a-f]+$", "got: 00??"))
        .collect(Collectors.joining("\n"));
  }

  @Test
  void rdbPreambleFromARealRedisAgreesWithRedisCheckAof() throws Exception {
    assumeJudge();
    Path manifest = realAppendonlydir();
    AofManifest am = AofManifest.read(manifest);
    byte[] rdb = Files.readAllBytes(am.base());
    byte[] tail = Files.readAllBytes(am.incrs().get(am.incrs().size() - 1));
    byte[] whole = concat(rdb, tail);
    Map<String, byte[]> cases = new LinkedHashMap<>();
    cases.put("preamble.aof", whole);
    cases.put("preamble-only.aof", rdb);
    cases.put("preamble-junk.aof", concat(whole, ascii("junk")));
    cases.put("preamble-unfinished-multi.aof", concat(whole, MULTI));
    for (int cut = rdb.length + 1; cut < whole.length; cut += 7) {
      cases.put("preamble-cut" + cut + ".aof", Arrays.copyOf(whole, cut));
    }
    cases.put("preamble-cut-in-rdb.aof", Arrays.copyOf(whole, rdb.length - 20));
    for (Map.Entry<String, byte[]> e : cases.entrySet()) {
      Path f = write(e.getKey(), e.getValue());
      Result want = judge("", f.toString());
      Result got = ours("", f.toString());
      assertThat(got.rc()).as(e.getKey()).isEqualTo(want.rc());
      assertThat(aofLines(got.output())).as(e.getKey()).isEqualTo(aofLines(want.output()));
      assertThat(got.output()).contains("[offset 0] Checking RDB file " + f);
    }
    Path f = write("fix-preamble.aof", concat(whole, ascii("*2\r\n$3\r\nDEL")));
    Result fixed = ours("", "--fix", "--yes", f.toString());
    assertThat(fixed.rc()).isZero();
    assertThat(Files.readAllBytes(f)).isEqualTo(whole);
  }

  @Test
  void aRealMultiPartAofAgreesWithRedisCheckAof() throws Exception {
    assumeJudge();
    Path manifest = realAppendonlydir();
    Result want = judge("", manifest.toString());
    Result got = ours("", manifest.toString());
    assertThat(got.rc()).isZero().isEqualTo(want.rc());
    assertThat(aofLines(got.output())).isEqualTo(aofLines(want.output()));
    AofManifest am = AofManifest.read(manifest);
    Path last = am.incrs().get(am.incrs().size() - 1);
    Files.write(last, ascii("*1\r\n$4\r\nPI"), java.nio.file.StandardOpenOption.APPEND);
    long size = Files.size(last);
    want = judge("", manifest.toString());
    got = ours("", manifest.toString());
    assertThat(got.rc()).isEqualTo(1).isEqualTo(want.rc());
    assertThat(aofLines(got.output())).isEqualTo(aofLines(want.output()));
    got = ours("", "--fix", "--yes", manifest.toString());
    assertThat(got.rc()).isZero();
    assertThat(Files.size(last)).isEqualTo(size - 10);
  }
}
