package io.kiln.differential;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.resp.RespDecoder;
import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import io.kiln.support.SharedKiln;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The differential corpus: every script in src/test/resources/differential/ is sent line by line
 * to a real redis-server 7.0 and to Kiln, and the raw reply bytes must be identical.
 *
 * <p>Script lines are commands in redis-cli syntax (quotes and \x escapes). A line starting with
 * {@code ?} compares only the reply's RESP type (for replies that differ by nature: TIME, ids).
 * {@code !raw <bytes>} sends raw bytes (with \r \n \xHH escapes) and compares the reply.
 * {@code !reconnect} opens fresh connections (after a protocol error closed them). Every script
 * starts on fresh connections after FLUSHALL. Skips where redis-server is absent.
 */
class DifferentialTest {
  private static RealRedis redis;
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln("enable-debug-command", "yes");

  @BeforeAll
  static void startServers() {
    redis = RealRedis.start("--enable-debug-command", "yes");
  }

  @AfterAll
  static void stopServers() throws Exception {
    if (redis != null) {
      redis.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> scripts() throws IOException, URISyntaxException {
    Path dir = Path.of(DifferentialTest.class.getResource("/differential").toURI());
    try (Stream<Path> files = Files.list(dir)) {
      // -Ddifferential.only=zset runs only the scripts whose name starts with it
      String only = System.getProperty("differential.only", "");
      return files.filter(p -> p.toString().endsWith(".txt"))
          .filter(p -> p.getFileName().toString().startsWith(only)).sorted().toList().stream()
          .map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> run(p)));
    }
  }

  private static void run(Path script) throws IOException {
    List<String> lines = Files.readAllLines(script, StandardCharsets.ISO_8859_1);
    List<String> diffs = new ArrayList<>();
    RespClient r = redis.client();
    RespClient k = kiln.client();
    try {
      r.call("FLUSHALL");
      k.call("FLUSHALL");
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        if (line.equals("!reconnect")) {
          r.close();
          k.close();
          r = redis.client();
          k = kiln.client();
          continue;
        }
        boolean typeOnly = line.startsWith("?");
        List<byte[]> args = null;
        byte[] raw = null;
        if (line.startsWith("!raw ")) {
          raw = unescape(line.substring(5));
        } else {
          args = RespDecoder.splitArgs(typeOnly ? line.substring(1).strip() : line);
          if (args == null) {
            throw new IllegalArgumentException(script + ":" + (i + 1) + ": unbalanced quotes");
          }
        }
        String expected = exchange(r, args, raw);
        String actual = exchange(k, args, raw);
        boolean same = typeOnly ? expected.charAt(0) == actual.charAt(0) : expected.equals(actual);
        if (!same) {
          diffs.add(script.getFileName() + ":" + (i + 1) + ": " + line + "\n    redis: "
              + show(expected) + "\n    kiln:  " + show(actual));
        }
      }
    } finally {
      r.close();
      k.close();
    }
    assertThat(diffs).as("replies that differ from redis-server 7.0").isEmpty();
  }

  /** One request and its raw reply; "(no reply)" when none came in time. */
  private static String exchange(RespClient c, List<byte[]> args, byte[] raw) {
    try {
      if (raw != null) {
        c.sendRaw(raw);
        return c.readReply();
      }
      return c.call(args);
    } catch (java.io.UncheckedIOException e) {
      return "(no reply: " + e.getCause().getMessage() + ")";
    }
  }

  private static String show(String reply) {
    String s = reply.replace("\r", "\\r").replace("\n", "\\n");
    return s.length() > 400 ? s.substring(0, 400) + "..." : s;
  }

  /** Turns \r, \n, \t, \\ and \xHH escapes into bytes. */
  static byte[] unescape(String s) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char e = s.charAt(++i);
        switch (e) {
          case 'r' -> out.write('\r');
          case 'n' -> out.write('\n');
          case 't' -> out.write('\t');
          case 'x' -> {
            out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
            i += 2;
          }
          default -> out.write(e);
        }
      } else {
        out.write(c);
      }
    }
    return out.toByteArray();
  }
}
