package io.kiln.load;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server under test started as a child process (Kiln's jar or redis-server) with the same
 * redis.conf directives, its own data directory and its output in a log file. Driven from the
 * main thread; {@link #stop} always leaves no process behind.
 */
public final class ServerProcess {
  /** How to start one kind of server. */
  public record Kind(String name, List<String> command) {}

  /** Children still running, destroyed by a shutdown hook if this tool is interrupted. */
  private static final java.util.Set<Process> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
        "kill-servers"));
  }

  private final Kind kind;
  private final int port;
  private final Path dir;
  private final List<String> directives;
  private Process process;
  private long startedNanos;

  public ServerProcess(Kind kind, int port, Path dir, List<String> directives) {
    this.kind = kind;
    this.port = port;
    this.dir = dir;
    this.directives = directives;
  }

  /** Kiln's jar on the JVM running this tool, with {@code javaOpts} (space-separated, may be empty). */
  public static Kind kiln(String jar, String javaOpts) {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    for (String o : javaOpts.trim().split("\\s+")) {
      if (!o.isEmpty()) {
        cmd.add(o);
      }
    }
    cmd.addAll(List.of("-jar", new File(jar).getAbsolutePath()));
    return new Kind("kiln", cmd);
  }

  public static Kind redis(String exe) {
    return new Kind("redis", List.of(exe));
  }

  public int port() {
    return port;
  }

  /** Starts the process and waits until it answers PING; returns seconds from start to ready. */
  public double start(double timeoutSeconds) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    List<String> cmd = new ArrayList<>(kind.command());
    cmd.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--dir", dir.toAbsolutePath().toString()));
    cmd.addAll(directives);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(kind.name() + ".log").toFile()));
    startedNanos = System.nanoTime();
    process = pb.start();
    LIVE.add(process);
    long deadline = startedNanos + (long) (timeoutSeconds * 1e9);
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException(kind.name() + " exited with " + process.exitValue() + " (see "
            + dir.resolve(kind.name() + ".log") + ")");
      }
      try (ControlClient c = new ControlClient("127.0.0.1", port, 500)) {
        Object r = c.call("PING");
        if ("PONG".equals(r)) {
          return (System.nanoTime() - startedNanos) / 1e9;
        }
        last = String.valueOf(r); // -LOADING while a dataset loads
      } catch (IOException e) {
        last = e.getMessage();
      }
      Thread.sleep(20);
    }
    stop();
    throw new IOException(kind.name() + " not ready after " + timeoutSeconds + " s: " + last);
  }

  /** SIGTERM, then SIGKILL after 10 s. */
  public void stop() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
    LIVE.remove(process);
    process = null;
  }

  /** True when nothing listens on {@code port} on loopback. */
  public static boolean portFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true); // as the servers do: connections in TIME_WAIT do not block a listen
      s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
