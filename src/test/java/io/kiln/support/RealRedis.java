package io.kiln.support;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real redis-server (Debian's 7.0) on a free loopback port, for differential tests. Where
 * redis-server is not installed, {@link #start} aborts the test with a clear message (CI
 * installs it, so there the tests always run). Used from the test thread.
 */
public final class RealRedis implements AutoCloseable {
  private final Process process;
  private final int port;
  private final Path dir;

  private RealRedis(Process process, int port, Path dir) {
    this.process = process;
    this.port = port;
    this.dir = dir;
  }

  public static boolean installed() {
    return executable() != null;
  }

  private static String executable() {
    for (String p : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
      if (new File(p).canExecute()) {
        return p;
      }
    }
    return null;
  }

  /** Starts redis-server with no persistence plus {@code directives} ("name", "value", ...). */
  public static RealRedis start(String... directives) {
    String exe = executable();
    Assumptions.assumeTrue(exe != null,
        "redis-server is not installed: differential test skipped "
            + "(apt-get install -y redis-server redis-tools to run it; CI does)");
    try {
      int port = freePort();
      Path dir = Files.createTempDirectory("kiln-real-redis");
      List<String> cmd = new ArrayList<>(List.of(exe, "--port", Integer.toString(port),
          "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(),
          "--daemonize", "no"));
      for (String d : directives) {
        cmd.add(d);
      }
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(dir.resolve("redis.log").toFile()).start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        try (RespClient c = new RespClient("127.0.0.1", port)) {
          if (c.call("PING").equals("+PONG\r\n")) {
            return new RealRedis(p, port, dir);
          }
        } catch (RuntimeException notYet) {
          Thread.onSpinWait();
        }
      }
      p.destroyForcibly();
      throw new IllegalStateException("redis-server did not start: "
          + Files.readString(dir.resolve("redis.log")));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public int port() {
    return port;
  }

  public RespClient client() {
    return new RespClient("127.0.0.1", port);
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    process.waitFor(10, TimeUnit.SECONDS);
    process.destroyForcibly();
  }
}
