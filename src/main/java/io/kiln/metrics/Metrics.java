package io.kiln.metrics;

import io.kiln.server.Server;
import io.kiln.config.Config;
import io.kiln.server.ShardVerticle;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Metrics in the Prometheus text format on {@code GET /metrics} at {@code metrics-port} (the
 * first `bind` address): Vert.x's own meters (vertx_net_* and friends, through
 * vertx-micrometer-metrics), Kiln's (kiln_*, see {@link KilnCollector}) and the AOF's
 * ({@link AofMeters}).
 *
 * <p>A scrape first hops to every shard's event loop to take a {@link ShardSample} there, then
 * renders on the metrics server's own event loop: the hot path records nothing for metrics and
 * no event loop ever waits. Created on the main thread before Vert.x; the registry is
 * thread-safe.
 */
public final class Metrics {
  private static final Logger log = LoggerFactory.getLogger(Metrics.class);
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final int port;
  private final String host;
  private final AofMeters aof = new AofMeters(registry);
  private HttpServer server;
  /** metrics-tls: the endpoint serves HTTPS with the tls-port's context. */
  private volatile boolean tls;
  private KilnCollector collector;

  private Metrics(int port, String host) {
    this.port = port;
    this.host = host;
  }

  /** The metrics of {@code config}, or null when `metrics-port` is 0 (off). */
  public static Metrics fromConfig(Config config) {
    int port = config.getInt("metrics-port");
    if (port == 0) {
      return null;
    }
    List<String> binds = config.bindAddresses();
    String first = binds.isEmpty() ? "*" : binds.get(0);
    if (first.startsWith("-")) {
      first = first.substring(1);
    }
    String host = switch (first) {
      case "*" -> "0.0.0.0";
      case "::*" -> "::";
      default -> first;
    };
    return new Metrics(port, host);
  }

  /**
   * A Vert.x instance on {@code options} whose metrics go to this registry. Only the net server
   * domain is on: the RESP sockets are what an operator watches, and every other domain (event
   * bus, pools, verticles) would record on the persistence path for meters nobody asked for.
   */
  public Vertx createVertx(VertxOptions options) {
    MicrometerMetricsOptions metricsOptions = new MicrometerMetricsOptions().setEnabled(true);
    for (MetricsDomain domain : MetricsDomain.values()) {
      if (domain != MetricsDomain.NET_SERVER) {
        metricsOptions.addDisabledMetricsCategory(domain);
      }
    }
    options.setMetricsOptions(metricsOptions);
    return Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry))
        .build();
  }

  public AofMeters aof() {
    return aof;
  }

  /** Starts the /metrics endpoint once the shards run. */
  public Future<Void> start(Server kiln) {
    collector = new KilnCollector(kiln);
    registry.getPrometheusRegistry().register(collector);
    HttpServerOptions opts = new HttpServerOptions().setHost(host).setPort(port)
        .setReuseAddress(true);
    tls = kiln.config().getBool("metrics-tls");
    if (tls) {
      io.kiln.server.TlsContext.enable(opts, kiln::tls);
    }
    return kiln.vertx().createHttpServer(opts).requestHandler(req -> handle(kiln, req)).listen()
        .<Void>map(s -> {
          server = s;
          log.info("Metrics on {}://{}:{}/metrics", tls ? "https" : "http", host, s.actualPort());
          return null;
        }).recover(err -> Future.failedFuture(new IllegalStateException(
            "Could not listen for metrics on " + host + ":" + port + ": " + err.getMessage())));
  }

  /** Serves new HTTPS connections with {@code context} (a no-op over plain HTTP). */
  public Future<?> updateTls(io.kiln.server.TlsContext context) {
    return !tls || server == null ? Future.succeededFuture()
        : server.updateSSLOptions(context.sslOptions(), true);
  }

  private void handle(Server kiln, HttpServerRequest req) {
    if (!"/metrics".equals(req.path())) {
      req.response().setStatusCode(404).end("Not found: try /metrics\n");
      return;
    }
    if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
      req.response().setStatusCode(405).putHeader("Allow", "GET, HEAD").end();
      return;
    }
    Context here = Vertx.currentContext();
    List<Future<ShardSample>> parts = new ArrayList<>();
    for (ShardVerticle shard : kiln.shards()) {
      Promise<ShardSample> p = Promise.promise();
      shard.execute(() -> {
        try {
          p.complete(ShardSample.take(kiln, shard));
        } catch (RuntimeException e) {
          p.fail(e);
        }
      });
      parts.add(p.future());
    }
    Future.all(parts).onComplete(ar -> here.runOnContext(v -> {
      if (ar.failed()) {
        log.warn("Metrics scrape failed: {}", ar.cause().toString());
        req.response().setStatusCode(500).end();
        return;
      }
      List<ShardSample> samples = new ArrayList<>();
      for (Future<ShardSample> f : parts) {
        samples.add(f.result());
      }
      collector.update(samples);
      String body = registry.scrape(CONTENT_TYPE);
      req.response().putHeader("Content-Type", CONTENT_TYPE).end(body);
    }));
  }
}
