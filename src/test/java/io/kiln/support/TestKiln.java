package io.kiln.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.Kiln;
import io.kiln.server.Server;
import io.kiln.config.Config;
import java.util.concurrent.TimeUnit;

/**
 * A real Kiln on a free loopback port for a test, started in-process. Closing it stops the server
 * and fails the test if any event loop was blocked past the test threshold meanwhile (see
 * {@link BlockedThreadGuard}). Used from the test thread.
 */
public final class TestKiln implements AutoCloseable {
  private final Server kiln;
  private final long blockedBefore;

  private TestKiln(Server kiln, long blockedBefore) {
    this.kiln = kiln;
    this.blockedBefore = blockedBefore;
  }

  private static boolean warmedUp;

  /**
   * The shards of the servers started from directives, unless a test names its own: 1, or
   * {@code -Dkiln.test.shards} (the build's second run of the client and differential tests).
   */
  private static final String SHARDS = System.getProperty("kiln.test.shards", "1");

  /**
   * Once per JVM, runs a throwaway Kiln through a connection and a few commands: a cold JVM loads
   * Netty's and Kiln's classes on the event loop (hundreds of ms on a busy machine), which is not
   * blocking a test should catch, and the checker may report it a moment after start returns.
   */
  private static synchronized void warmUp() throws Exception {
    if (warmedUp) {
      return;
    }
    warmedUp = true;
    Config config = Config.defaults().with("port", "0").with("bind", "127.0.0.1").with("save", "");
    Server kiln = Kiln.start(config).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    try (RespClient c = new RespClient("127.0.0.1", kiln.port())) {
      c.call("PING");
      c.call("SET", "warm", "up");
      c.call("GET", "warm");
      c.call("MULTI");
      c.call("INCR", "n");
      c.call("EXEC");
      c.call("NOSUCHCOMMAND");
      c.call("FLUSHALL");
    } finally {
      kiln.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** Starts Kiln with defaults plus {@code directives} ("name", "value", "name", "value"...). */
  public static TestKiln start(String... directives) {
    try {
      // Each server gets a directory of its own: a test's dump.rdb never leaks into another's.
      String dir = java.nio.file.Files.createTempDirectory("kiln-test").toString();
      Config config = Config.defaults().with("port", "0").with("bind", "127.0.0.1")
          .with("save", "").with("dir", dir).with("shards", SHARDS);
      for (int i = 0; i + 1 < directives.length; i += 2) {
        // a value of several words ("3600 1") is several arguments, as on a config line
        String v = directives[i + 1];
        config.with(directives[i], v.isBlank() ? new String[] {v} : v.trim().split("\\s+"));
      }
      return start(config);
    } catch (io.kiln.config.ConfigException | java.io.IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Starts Kiln on {@code config} as given (e.g. loaded from a temp file with Config.load). */
  public static TestKiln start(Config config) {
    try {
      warmUp();
      Server kiln = Kiln.start(config).toCompletionStage().toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
      // Counted from here: the first start in a cold JVM loads Netty's classes on the event loop
      // (hundreds of ms on a busy machine), which is not blocking that a test should catch.
      return new TestKiln(kiln, BlockedThreadGuard.count());
    } catch (Exception e) {
      throw new IllegalStateException("Kiln did not start", e);
    }
  }

  public int port() {
    return kiln.port();
  }

  public Server kiln() {
    return kiln;
  }

  public RespClient client() {
    return new RespClient("127.0.0.1", port());
  }

  /**
   * Waits for the startup rehearsal of the snapshot code to end; fails if it failed. Tests that
   * weigh the heap wait for it: its made-up keyspace lives for a second or two after the start.
   */
  public long awaitRehearsal() throws Exception {
    // it starts at the server's first quiet second
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (kiln.rehearsal() == null && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(kiln.rehearsal()).as("the startup rehearsal").isNotNull();
    return kiln.rehearsal().future().toCompletionStage().toCompletableFuture()
        .get(60, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    kiln.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(BlockedThreadGuard.count() - blockedBefore)
        .as("event loop blocked-thread warnings while the test ran: %s", BlockedThreadGuard.last())
        .isZero();
  }
}
