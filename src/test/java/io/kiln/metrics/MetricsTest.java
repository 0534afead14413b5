package io.kiln.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Prometheus endpoint on metrics-port, scraped with java.net.http after a workload. */
class MetricsTest {
  private static final Pattern SAMPLE = Pattern.compile("^(\\S+) (\\S+)$", Pattern.MULTILINE);

  @TempDir
  Path dir;

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Every sample line as "name{labels}" to value. */
  private static Map<String, Double> scrape(int port) throws Exception {
    HttpResponse<String> r = get(port, "/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    Map<String, Double> out = new HashMap<>();
    Matcher m = SAMPLE.matcher(r.body());
    while (m.find()) {
      if (!m.group(1).startsWith("#")) {
        out.put(m.group(1), Double.parseDouble(m.group(2)));
      }
    }
    return out;
  }

  private TestKiln start(int metricsPort, String... more) {
    String[] d = new String[more.length + 4];
    d[0] = "metrics-port";
    d[1] = Integer.toString(metricsPort);
    d[2] = "dir";
    d[3] = dir.toString();
    System.arraycopy(more, 0, d, 4, more.length);
    return TestKiln.start(d);
  }

  @Test
  void scrapeReportsTheWorkload() throws Exception {
    int port = freePort();
    try (TestKiln kiln = start(port); RespClient c = kiln.client()) {
      for (int i = 0; i < 7; i++) {
        assertThat(c.call("SET", "k" + i, "v")).isEqualTo("+OK\r\n");
      }
      for (int i = 0; i < 5; i++) {
        c.call("GET", "k" + i);
      }
      c.call("GET", "missing");
      for (int i = 0; i < 3; i++) {
        c.call("INCR", "counter");
      }
      assertThat(c.call("NOSUCHCOMMAND")).startsWith("-ERR unknown command");
      assertThat(c.call("INCR", "k0")).startsWith("-ERR");
      assertThat(c.call("SAVE")).isEqualTo("+OK\r\n");

      Map<String, Double> m = scrape(port);
      assertThat(m).containsEntry("kiln_commands_total{command=\"set\"}", 7.0)
          .containsEntry("kiln_commands_total{command=\"get\"}", 6.0)
          .containsEntry("kiln_commands_total{command=\"incr\"}", 4.0)
          .containsEntry("kiln_commands_total{command=\"save\"}", 1.0)
          .containsEntry("kiln_command_failed_calls_total{command=\"incr\"}", 1.0)
          .containsEntry("kiln_command_duration_seconds_count{command=\"set\"}", 7.0)
          .containsEntry("kiln_command_duration_seconds_bucket{command=\"set\",le=\"+Inf\"}", 7.0)
          .containsEntry("kiln_errors_total{prefix=\"ERR\"}", 2.0)
          .containsEntry("kiln_keys{db=\"0\"}", 8.0)
          .containsEntry("kiln_keys{db=\"1\"}", 0.0)
          .containsEntry("kiln_connected_clients", 1.0)
          .containsEntry("kiln_snapshots_total", 1.0)
          .containsEntry("kiln_snapshot_failures_total", 0.0)
          .containsEntry("kiln_last_save_status", 1.0)
          .containsEntry("kiln_last_snapshot_keys", 8.0)
          .containsEntry("kiln_rdb_changes_since_last_save", 0.0)
          .containsEntry("kiln_evicted_keys_total", 0.0)
          .containsEntry("kiln_expired_keys_total", 0.0)
          .containsEntry("kiln_aof_fsyncs_total", 0.0)
          .containsEntry("kiln_aof_write_seconds_count", 0.0)
          .containsKey("kiln_used_memory_bytes")
          .containsKey("kiln_last_snapshot_bytes");
      assertThat(m.get("kiln_last_snapshot_bytes")).isGreaterThan(0);
      assertThat(m.get("kiln_command_duration_seconds_sum{command=\"set\"}")).isGreaterThan(0);
      // Vert.x counts a connection's bytes when it closes: this one is still open
      assertThat(m).containsKey("vertx_net_server_bytes_read_total")
          .containsEntry("vertx_net_server_active_connections", 1.0);
    }
  }

  @Test
  void theAofMetersFollowTheFile() throws Exception {
    int port = freePort();
    try (TestKiln kiln = start(port, "appendonly", "yes", "appendfsync", "always");
        RespClient c = kiln.client()) {
      for (int i = 0; i < 5; i++) {
        assertThat(c.call("SET", "k" + i, "v")).isEqualTo("+OK\r\n"); // acknowledged: fsynced
      }
      Map<String, Double> m = scrape(port);
      assertThat(m.get("kiln_aof_fsyncs_total")).isGreaterThanOrEqualTo(5.0);
      assertThat(m.get("kiln_aof_write_seconds_count")).isGreaterThanOrEqualTo(5.0);
      assertThat(m.get("kiln_aof_fsync_seconds_count")).isGreaterThanOrEqualTo(5.0);
      assertThat(m.get("kiln_aof_batch_commands_sum")).isGreaterThanOrEqualTo(5.0);
      assertThat(m.get("kiln_aof_size_bytes")).isGreaterThan(0.0);
    }
  }

  @Test
  void bucketsFollowTheLatencyTrackingHistograms() throws Exception {
    int port = freePort();
    try (TestKiln kiln = start(port); RespClient c = kiln.client()) {
      for (int i = 0; i < 10; i++) {
        c.call("SET", "a", "b");
      }
      Map<String, Double> m = scrape(port);
      // the 8.4 s bucket holds every SET; buckets are cumulative
      assertThat(m).containsEntry(
          "kiln_command_duration_seconds_bucket{command=\"set\",le=\"8.388608\"}", 10.0);
    }
  }

  @Test
  void withLatencyTrackingOffOnlyTheInfBucketCounts() throws Exception {
    int port = freePort();
    try (TestKiln kiln = start(port, "latency-tracking", "no"); RespClient c = kiln.client()) {
      for (int i = 0; i < 10; i++) {
        c.call("SET", "a", "b");
      }
      Map<String, Double> m = scrape(port);
      assertThat(m).containsEntry(
              "kiln_command_duration_seconds_bucket{command=\"set\",le=\"8.388608\"}", 0.0)
          .containsEntry("kiln_command_duration_seconds_bucket{command=\"set\",le=\"+Inf\"}", 10.0);
    }
  }

  @Test
  void changesSinceLastSaveAreReported() throws Exception {
    int port = freePort();
    try (TestKiln kiln = start(port); RespClient c = kiln.client()) {
      c.call("SET", "a", "1");
      c.call("SET", "b", "2");
      assertThat(scrape(port)).containsEntry("kiln_rdb_changes_since_last_save", 2.0);
    }
  }

  @Test
  void otherPathsAreNotFound() throws Exception {
    int port = freePort();
    try (TestKiln kiln = start(port)) {
      assertThat(get(port, "/").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void metricsAreOffByDefault() throws Exception {
    try (TestKiln kiln = TestKiln.start()) {
      assertThat(kiln.kiln().metrics()).isNull();
      assertThat(kiln.kiln().aofMeters()).isSameAs(AofMeters.NOOP);
    }
  }
}
