package io.kiln.persist;

import static io.kiln.persist.LoadSupport.config;
import static io.kiln.persist.LoadSupport.info;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.config.Config;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * While the dump file loads, the server accepts connections, answers INFO and TIME (loading:1
 * with the loading_* fields) and refuses the rest (PING included, as in Redis 7.0) with -LOADING. key-load-delay slows the load
 * so the test observes that state for sure; CONFIG SET (allowed while loading) lifts it.
 */
class LoadingStateTest {
  private static final int KEYS = 100_000;

  @TempDir
  Path dir;

  @Test
  void loadingStateIsVisibleAndGated() throws Exception {
    Path file = dir.resolve("dump.rdb");
    LoadSupport.writeMany(file, KEYS);
    long size = Files.size(file);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    // 1 ms per key: the load ends within the wait below only once CONFIG SET takes the delay off
    Config config = config(dir, "port", Integer.toString(port), "key-load-delay", "1000");
    CompletableFuture<TestKiln> starting = CompletableFuture.supplyAsync(() -> TestKiln.start(config));
    TestKiln kiln = null;
    try {
      try (RespClient c = connect(port)) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!"1".equals(info(c, "loading"))) {
          assertThat(System.nanoTime()).as("loading:1 seen").isLessThan(deadline);
        }
        // As in Redis 7.0, PING has no loading flag: it is answered with the LOADING error.
        assertThat(c.call("PING")).isEqualTo("-LOADING Redis is loading the dataset in memory\r\n");
        assertThat(c.call("TIME")).startsWith("*2\r\n");
        assertThat(c.call("GET", "k:1")).isEqualTo("-LOADING Redis is loading the dataset in memory\r\n");
        assertThat(c.call("DBSIZE")).isEqualTo("-LOADING Redis is loading the dataset in memory\r\n");
        assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
        assertThat(c.call("SET", "x", "1")).startsWith("-LOADING");
        assertThat(c.call("EXEC")).startsWith("-EXECABORT");

        String persistence = c.call("INFO", "persistence");
        List<String> names = persistence.lines().filter(l -> l.contains(":"))
            .map(l -> l.substring(0, l.indexOf(':'))).toList();
        assertThat(names.subList(names.size() - 7, names.size())).containsExactly(
            "module_fork_last_cow_size", "loading_start_time", "loading_total_bytes",
            "loading_rdb_used_mem", "loading_loaded_bytes", "loading_loaded_perc",
            "loading_eta_seconds");
        assertThat(info(c, "loading_total_bytes")).isEqualTo(Long.toString(size));
        // the loader sets loading:1 before it reads the header's aux fields: wait for used-mem
        while (!"987654321".equals(info(c, "loading_rdb_used_mem"))) {
          assertThat(System.nanoTime()).as("loading_rdb_used_mem from the aux field")
              .isLessThan(deadline);
        }
        long startTime = Long.parseLong(info(c, "loading_start_time"));
        assertThat(startTime).isBetween(System.currentTimeMillis() / 1000 - 30,
            System.currentTimeMillis() / 1000);
        assertThat(info(c, "loading_loaded_perc")).matches("\\d+\\.\\d\\d");
        assertThat(Long.parseLong(info(c, "loading_eta_seconds"))).isNotNegative();
        assertThat(Long.parseLong(info(c, "loading_loaded_bytes"))).isBetween(0L, size);

        assertThat(c.call("CONFIG", "SET", "key-load-delay", "0")).isEqualTo("+OK\r\n");
        kiln = starting.get(60, TimeUnit.SECONDS);
        assertThat(info(c, "loading")).isEqualTo("0");
        assertThat(info(c, "loading_total_bytes")).isNull();
        assertThat(c.call("DBSIZE")).isEqualTo(":" + KEYS + "\r\n");
        assertThat(c.call("GET", "k:12345")).isEqualTo("$7\r\nv:12345\r\n");
        assertThat(info(c, "rdb_last_load_keys_loaded")).isEqualTo(Integer.toString(KEYS));
      }
    } finally {
      if (kiln == null) {
        kiln = starting.get(60, TimeUnit.SECONDS);
      }
      kiln.close();
    }
  }

  @Test
  void loadedKeysRaiseNoKeyspaceEvents() throws Exception {
    LoadSupport.writeMany(dir.resolve("dump.rdb"), 2_000);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Config config = config(dir, "port", Integer.toString(port), "key-load-delay", "50",
        "notify-keyspace-events", "KEn");
    CompletableFuture<TestKiln> starting = CompletableFuture.supplyAsync(() -> TestKiln.start(config));
    TestKiln kiln = null;
    try (RespClient sub = connect(port); RespClient c = connect(port)) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!"1".equals(info(c, "loading"))) {
        assertThat(System.nanoTime()).as("loading:1 seen").isLessThan(deadline);
      }
      // SUBSCRIBE is allowed while loading; as in Redis, loading a key is not a "new" event.
      assertThat(sub.call("PSUBSCRIBE", "__key*__:*")).startsWith("*3\r\n$10\r\npsubscribe\r\n");
      assertThat(c.call("CONFIG", "SET", "key-load-delay", "0")).isEqualTo("+OK\r\n");
      kiln = starting.get(60, TimeUnit.SECONDS);
      assertThat(c.call("DBSIZE")).isEqualTo(":2000\r\n");
      c.call("SET", "after-load", "1");
      assertThat(sub.readReply()).contains("__keyspace@0__:after-load");
    } finally {
      if (kiln == null) {
        kiln = starting.get(60, TimeUnit.SECONDS);
      }
      kiln.close();
    }
  }

  @Test
  void shutdownWhileLoadingNeverSavesTheHalfLoadedDataset() throws Exception {
    Path file = dir.resolve("dump.rdb");
    LoadSupport.writeMany(file, KEYS);
    byte[] before = Files.readAllBytes(file);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    // save points set: a SHUTDOWN would save, but not while the dataset is half loaded (Redis)
    Config config = config(dir, "port", Integer.toString(port), "key-load-delay", "1000")
        .with("save", "3600", "1");
    CompletableFuture<TestKiln> starting = CompletableFuture.supplyAsync(() -> TestKiln.start(config));
    try (RespClient c = connect(port)) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!"1".equals(info(c, "loading"))) {
        assertThat(System.nanoTime()).as("loading:1 seen").isLessThan(deadline);
      }
      c.send("SHUTDOWN");
      while (!c.closedByServer()) {
        assertThat(System.nanoTime()).as("the server stopped").isLessThan(deadline);
        Thread.sleep(10);
      }
    } finally {
      try {
        starting.get(60, TimeUnit.SECONDS).close();
      } catch (java.util.concurrent.ExecutionException e) {
        // the start failed: the server stopped while it loaded
      }
    }
    assertThat(Files.readAllBytes(file)).as("dump.rdb untouched").isEqualTo(before);
  }

  private static RespClient connect(int port) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        return new RespClient("127.0.0.1", port);
      } catch (java.io.UncheckedIOException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.onSpinWait();
      }
    }
  }
}
