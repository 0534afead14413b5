package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kiln.support.ProcessLines;
import io.kiln.support.RespClient;
import io.kiln.support.TestCerts;
import io.kiln.support.TestKiln;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;

/**
 * TLS as Redis 7.0 serves it: a tls-port beside the plain port, client certificates required,
 * optional or not asked for, certificates reloaded by CONFIG SET and bad files refused, at
 * startup and by CONFIG SET, with Redis's messages. Certificates are made by {@link TestCerts}
 * at run time; clients are Jedis, a JDK socket and redis-cli. Runs on the test thread.
 */
class TlsTest {
  @TempDir static Path certDir;
  private static TestCerts certs;
  private final List<Process> started = new ArrayList<>();

  @BeforeAll
  static void makeCertificates() throws Exception {
    certs = TestCerts.make(certDir);
    // A first TLS server and handshake load the JDK's TLS classes on an event loop (hundreds of
    // ms in a cold JVM on a busy machine): done here, before any test counts blocked loops.
    io.kiln.config.Config config = io.kiln.config.Config.defaults()
        .with("port", Integer.toString(ProcessLines.freePort()))
        .with("bind", "127.0.0.1").with("save", "")
        .with("tls-port", Integer.toString(ProcessLines.freePort()))
        .with("tls-cert-file", certs.path("kiln-1.crt")).with("tls-key-file", certs.path("kiln-1.key"))
        .with("tls-ca-cert-file", certs.path("ca.crt"))
        .with("metrics-port", Integer.toString(ProcessLines.freePort())).with("metrics-tls", "yes");
    io.kiln.server.Server warm = io.kiln.Kiln.start(config).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    try {
      servedCertificate(warm.tlsPort());
      https(warm.config().getInt("metrics-port")); // the metrics server's HTTPS path too
      try (RespClient c = new RespClient("127.0.0.1", warm.port())) { // and a reload, failed
        c.call("CONFIG", "SET", "tls-cert-file", certs.path("missing.crt"));
        c.call("CONFIG", "SET", "tls-cert-file", certs.path("kiln-1.crt"));
      }
    } finally {
      warm.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @AfterEach
  void killLeftovers() throws Exception {
    ProcessLines.destroyAll(started);
  }

  private static TestKiln startTls(String auth, String... more) throws Exception {
    List<String> d = new ArrayList<>(List.of("port", Integer.toString(ProcessLines.freePort()),
        "tls-port", Integer.toString(ProcessLines.freePort()),
        "tls-cert-file", certs.path("kiln-1.crt"), "tls-key-file", certs.path("kiln-1.key"),
        "tls-ca-cert-file", certs.path("ca.crt"), "tls-auth-clients", auth));
    d.addAll(List.of(more));
    return TestKiln.start(d.toArray(new String[0]));
  }

  private static Jedis jedis(TestKiln kiln, boolean withClientCert) throws Exception {
    return new Jedis("127.0.0.1", kiln.kiln().tlsPort(), DefaultJedisClientConfig.builder()
        .ssl(true).sslSocketFactory(certs.socketFactory(withClientCert))
        .socketTimeoutMillis(10_000).build());
  }

  /** The CN of the certificate the server presents to a new connection. */
  private static String servedCertificate(int port) throws Exception {
    SSLSocketFactory f = certs.socketFactory(true);
    try (SSLSocket s = (SSLSocket) f.createSocket("127.0.0.1", port)) {
      s.startHandshake();
      X509Certificate cert = (X509Certificate) s.getSession().getPeerCertificates()[0];
      return cert.getSubjectX500Principal().getName();
    }
  }

  @Test
  void tlsPortServesBesideThePlainPort() throws Exception {
    try (TestKiln kiln = startTls("yes"); Jedis tls = jedis(kiln, true);
        RespClient plain = kiln.client()) {
      assertThat(kiln.kiln().tlsPort()).isPositive().isNotEqualTo(kiln.port());
      assertThat(tls.set("k", "over tls")).isEqualTo("OK");
      assertThat(plain.call("GET", "k")).isEqualTo("$8\r\nover tls\r\n");
      assertThat(tls.configGet("tls-auth-clients")).containsEntry("tls-auth-clients", "yes");
      // Redis's tcp_port is the plain port while there is one
      assertThat(tls.info("server")).contains("tcp_port:" + kiln.port() + "\r\n");
      // plain RESP on the TLS port is not served (Redis's test: an I/O error)
      try (RespClient wrong = new RespClient("127.0.0.1", kiln.kiln().tlsPort())) {
        assertThatThrownBy(() -> wrong.call("PING"))
            .isInstanceOf(java.io.UncheckedIOException.class);
      }
    }
  }

  @Test
  void lettuceConnectsOverTls() throws Exception {
    try (TestKiln kiln = startTls("yes")) {
      io.lettuce.core.SslOptions ssl = io.lettuce.core.SslOptions.builder().jdkSslProvider()
          .truststore(certDir.resolve("ca.p12").toFile(), "test")
          .keystore(certDir.resolve("client.p12").toFile(), "test".toCharArray())
          .build();
      io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(
          io.lettuce.core.RedisURI.builder().withHost("127.0.0.1")
              .withPort(kiln.kiln().tlsPort()).withSsl(true).build());
      client.setOptions(io.lettuce.core.ClientOptions.builder().sslOptions(ssl).build());
      try (var conn = client.connect()) {
        assertThat(conn.sync().set("lettuce", "tls")).isEqualTo("OK");
        assertThat(conn.sync().get("lettuce")).isEqualTo("tls");
      } finally {
        client.shutdown();
      }
    }
  }

  @Test
  void aClientWithoutCertificateIsRefusedWhenClientsMustAuthenticate() throws Exception {
    try (TestKiln kiln = startTls("yes")) {
      assertRefused(kiln);
      try (Jedis known = jedis(kiln, true)) {
        assertThat(known.ping()).isEqualTo("PONG");
      }
    }
  }

  /** A Jedis without a client certificate fails to connect (Jedis 8 talks on construction). */
  private static void assertRefused(TestKiln kiln) {
    assertThatThrownBy(() -> {
      try (Jedis anonymous = jedis(kiln, false)) {
        anonymous.ping();
      }
    }).isInstanceOf(redis.clients.jedis.exceptions.JedisConnectionException.class);
  }

  @Test
  void optionalAndNoServeAClientWithoutCertificate() throws Exception {
    try (TestKiln kiln = startTls("optional"); Jedis anonymous = jedis(kiln, false);
        Jedis known = jedis(kiln, true)) {
      assertThat(anonymous.ping()).isEqualTo("PONG");
      assertThat(known.ping()).isEqualTo("PONG");
      // switched live: the next handshake asks for a certificate
      assertThat(known.configSet("tls-auth-clients", "yes")).isEqualTo("OK");
      assertRefused(kiln);
      assertThat(anonymous.ping()).as("a session already open stays").isEqualTo("PONG");
    }
    try (TestKiln kiln = startTls("no"); Jedis anonymous = jedis(kiln, false)) {
      assertThat(anonymous.ping()).isEqualTo("PONG");
    }
  }

  @Test
  void configSetOfTheCertificateReloadsItForNewConnections() throws Exception {
    try (TestKiln kiln = startTls("yes"); RespClient c = kiln.client()) {
      int port = kiln.kiln().tlsPort();
      assertThat(servedCertificate(port)).contains("CN=kiln-1");
      assertThat(c.call("CONFIG", "SET", "tls-cert-file", certs.path("kiln-2.crt"),
          "tls-key-file", certs.path("kiln-2.key"))).isEqualTo("+OK\r\n");
      assertThat(servedCertificate(port)).contains("CN=kiln-2");
      // the same path set again reloads the file, as in Redis (a renewed certificate)
      Files.copy(certDir.resolve("kiln-1.crt"), certDir.resolve("live.crt"));
      Files.copy(certDir.resolve("kiln-1.key"), certDir.resolve("live.key"));
      assertThat(c.call("CONFIG", "SET", "tls-cert-file", certs.path("live.crt"),
          "tls-key-file", certs.path("live.key"))).isEqualTo("+OK\r\n");
      assertThat(servedCertificate(port)).contains("CN=kiln-1");
      Files.copy(certDir.resolve("kiln-2.crt"), certDir.resolve("live.crt"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.copy(certDir.resolve("kiln-2.key"), certDir.resolve("live.key"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      assertThat(c.call("CONFIG", "SET", "tls-cert-file", certs.path("live.crt")))
          .isEqualTo("+OK\r\n");
      assertThat(servedCertificate(port)).contains("CN=kiln-2");
    }
  }

  @Test
  void configSetOfABadFileIsRefusedAndTheOldContextStays() throws Exception {
    try (TestKiln kiln = startTls("yes"); RespClient c = kiln.client()) {
      int port = kiln.kiln().tlsPort();
      String missing = certDir.resolve("missing.crt").toString();
      assertThat(c.call("CONFIG", "SET", "tls-cert-file", missing))
          .isEqualTo("-ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - "
              + "Unable to update TLS configuration. Check server logs.\r\n");
      // a key that is not the certificate's
      assertThat(c.call("CONFIG", "SET", "tls-key-file", certs.path("kiln-2.key")))
          .startsWith("-ERR CONFIG SET failed (possibly related to argument 'tls-key-file')");
      assertThat(c.call("CONFIG", "SET", "tls-protocols", "TLSv1.2 SSLv3"))
          .startsWith("-ERR CONFIG SET failed (possibly related to argument 'tls-protocols')");
      assertThat(c.call("CONFIG", "SET", "tls-ciphers", "HIGH:!aNULL"))
          .startsWith("-ERR CONFIG SET failed (possibly related to argument 'tls-ciphers')");
      assertThat(c.call("CONFIG", "GET", "tls-cert-file")).contains(certs.path("kiln-1.crt"));
      assertThat(c.call("CONFIG", "GET", "tls-key-file")).contains(certs.path("kiln-1.key"));
      assertThat(servedCertificate(port)).contains("CN=kiln-1");
      // a reload reads files on a worker, which EXEC cannot wait for: refused there
      assertThat(c.call("MULTI")).isEqualTo("+OK\r\n");
      assertThat(c.call("CONFIG", "SET", "tls-cert-file", certs.path("kiln-1.crt")))
          .isEqualTo("+QUEUED\r\n");
      assertThat(c.call("EXEC")).isEqualTo("*1\r\n-ERR CONFIG SET of a TLS setting is not "
          + "supported inside MULTI by Kiln\r\n");
      // with the TLS port off, Redis stores tls-* files without reading them; so does Kiln
    }
    try (TestKiln kiln = TestKiln.start(); RespClient c = kiln.client()) {
      assertThat(c.call("CONFIG", "SET", "tls-cert-file", "/nonexistent.crt"))
          .isEqualTo("+OK\r\n");
    }
  }

  @Test
  void protocolsCiphersAndSessionSettingsApply() throws Exception {
    try (TestKiln kiln = startTls("yes", "tls-protocols", "TLSv1.2",
        "tls-ciphers", "ECDHE-RSA-AES128-GCM-SHA256", "tls-prefer-server-ciphers", "yes",
        "tls-session-cache-size", "100", "tls-session-cache-timeout", "60")) {
      SSLSocketFactory f = certs.socketFactory(true);
      try (SSLSocket s = (SSLSocket) f.createSocket("127.0.0.1", kiln.kiln().tlsPort())) {
        s.startHandshake();
        assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.2");
        assertThat(s.getSession().getCipherSuite())
            .isEqualTo("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
      }
      try (SSLSocket s = (SSLSocket) f.createSocket("127.0.0.1", kiln.kiln().tlsPort())) {
        s.setEnabledProtocols(new String[] {"TLSv1.3"});
        assertThatThrownBy(s::startHandshake).isInstanceOf(javax.net.ssl.SSLException.class);
      }
    }
  }

  @Test
  void keysInOpensslsFormatsAndACaDirectoryLoad() throws Exception {
    // kiln-1's key as PKCS#1, as encrypted PKCS#8 (OpenSSL 3's default PBES2/AES-256) and an
    // EC key in SEC1 with its own certificate; the CA from a directory
    certs.openssl("pkey", "-in", "kiln-1.key", "-traditional", "-out", "pkcs1.key");
    certs.openssl("pkcs8", "-topk8", "-in", "kiln-1.key", "-passout", "pass:s3cret", "-out",
        "encrypted.key");
    certs.openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.key");
    certs.openssl("req", "-new", "-key", "ec.key", "-subj", "/O=Kiln test/CN=kiln-ec", "-out",
        "ec.csr");
    certs.openssl("x509", "-req", "-sha256", "-days", "2", "-in", "ec.csr", "-CA", "ca.crt",
        "-CAkey", "ca.key", "-CAcreateserial", "-extfile", "server.ext", "-out", "ec.crt");
    Path caDir = Files.createDirectories(certDir.resolve("cas"));
    Files.copy(certDir.resolve("ca.crt"), caDir.resolve("ca.pem"));
    Files.writeString(caDir.resolve("README"), "not a certificate");
    assertThat(Files.readString(certDir.resolve("pkcs1.key"))).contains("RSA PRIVATE KEY");
    assertThat(Files.readString(certDir.resolve("encrypted.key")))
        .contains("ENCRYPTED PRIVATE KEY");
    assertThat(Files.readString(certDir.resolve("ec.key"))).contains("EC PRIVATE KEY");
    try (TestKiln kiln = TestKiln.start("port", Integer.toString(ProcessLines.freePort()),
        "tls-port", Integer.toString(ProcessLines.freePort()),
        "tls-cert-file", certs.path("kiln-1.crt"), "tls-key-file", certs.path("pkcs1.key"),
        "tls-ca-cert-dir", caDir.toString()); RespClient c = kiln.client()) {
      int port = kiln.kiln().tlsPort();
      assertThat(servedCertificate(port)).contains("CN=kiln-1");
      assertThat(c.call("CONFIG", "SET", "tls-key-file", certs.path("encrypted.key")))
          .as("no password").startsWith("-ERR");
      assertThat(c.call("CONFIG", "SET", "tls-key-file", certs.path("encrypted.key"),
          "tls-key-file-pass", "wrong")).as("a wrong password").startsWith("-ERR");
      assertThat(c.call("CONFIG", "SET", "tls-key-file", certs.path("encrypted.key"),
          "tls-key-file-pass", "s3cret")).isEqualTo("+OK\r\n");
      assertThat(servedCertificate(port)).contains("CN=kiln-1");
      assertThat(c.call("CONFIG", "SET", "tls-cert-file", certs.path("ec.crt"),
          "tls-key-file", certs.path("ec.key"))).isEqualTo("+OK\r\n");
      assertThat(servedCertificate(port)).contains("CN=kiln-ec");
    }
  }

  /** GET /metrics over HTTPS, with the client certificate. */
  private static java.net.http.HttpResponse<String> https(int port) throws Exception {
    java.net.http.HttpClient https = java.net.http.HttpClient.newBuilder()
        .sslContext(certs.sslContext(true)).build();
    java.net.URI uri = java.net.URI.create("https://127.0.0.1:" + port + "/metrics");
    return https.send(java.net.http.HttpRequest.newBuilder(uri).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void metricsTlsServesTheEndpointOverHttpsAndReloadsWithTheRest() throws Exception {
    int metricsPort = ProcessLines.freePort();
    try (TestKiln kiln = startTls("yes", "metrics-port", Integer.toString(metricsPort),
        "metrics-tls", "yes"); RespClient c = kiln.client()) {
      var reply = https(metricsPort);
      assertThat(reply.statusCode()).isEqualTo(200);
      assertThat(reply.body()).contains("kiln_");
      // plain HTTP gets no answer
      assertThatThrownBy(() -> java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
              + metricsPort + "/metrics")).timeout(java.time.Duration.ofSeconds(10)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(java.io.IOException.class);
      // a reload reaches the metrics endpoint too
      assertThat(c.call("CONFIG", "SET", "tls-cert-file", certs.path("kiln-2.crt"),
          "tls-key-file", certs.path("kiln-2.key"))).isEqualTo("+OK\r\n");
      assertThat(servedCertificate(metricsPort)).contains("CN=kiln-2");
    }
  }

  /** The suite a TLS 1.2 handshake offering {@code suites} (in order) settles on, or null. */
  private static String negotiated(int port, String... suites) throws Exception {
    SSLSocketFactory f = certs.socketFactory(true);
    try (SSLSocket s = (SSLSocket) f.createSocket("127.0.0.1", port)) {
      s.setEnabledProtocols(new String[] {"TLSv1.2"});
      s.setEnabledCipherSuites(suites);
      s.startHandshake();
      return s.getSession().getCipherSuite();
    } catch (javax.net.ssl.SSLException e) {
      return null;
    }
  }

  @Test
  void tlsCiphersAndServerPreferenceAsInRedisSuite() throws Exception {
    // Redis 7.0's tests/unit/tls.tcl, in the JDK's names: AES128-SHA256 is
    // TLS_RSA_WITH_AES_128_CBC_SHA256, AES256-SHA256 TLS_RSA_WITH_AES_256_CBC_SHA256
    String aes128 = "TLS_RSA_WITH_AES_128_CBC_SHA256";
    String aes256 = "TLS_RSA_WITH_AES_256_CBC_SHA256";
    try (TestKiln kiln = startTls("yes"); RespClient c = kiln.client()) {
      int port = kiln.kiln().tlsPort();
      assertThat(c.call("CONFIG", "SET", "tls-protocols", "TLSv1.2", "tls-ciphers",
          "DEFAULT:-AES128-SHA256:AES256-SHA256")).isEqualTo("+OK\r\n");
      assertThat(negotiated(port, aes128)).isNull();
      assertThat(negotiated(port, aes256)).isEqualTo(aes256);
      assertThat(c.call("CONFIG", "SET", "tls-ciphers", "AES128-SHA256:AES256-SHA256"))
          .isEqualTo("+OK\r\n");
      assertThat(negotiated(port, aes256, aes128)).as("the client's order").isEqualTo(aes256);
      assertThat(c.call("CONFIG", "SET", "tls-prefer-server-ciphers", "yes"))
          .isEqualTo("+OK\r\n");
      assertThat(negotiated(port, aes256, aes128)).as("the server's order").isEqualTo(aes128);
      // OpenSSL keywords Kiln cannot map one to one are refused, not guessed at
      assertThat(c.call("CONFIG", "SET", "tls-ciphers", "HIGH:!aNULL")).startsWith(
          "-ERR CONFIG SET failed (possibly related to argument 'tls-ciphers') - Unable");
      assertThat(c.call("CONFIG", "SET", "tls-ciphers", "ECDHE+AESGCM:!aNULL:!MD5"))
          .isEqualTo("+OK\r\n");
      assertThat(negotiated(port, aes128)).isNull();
      assertThat(negotiated(port, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"))
          .isEqualTo("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
    }
  }

  @Test
  void startupWithABadCertificateExitsWithRedisMessages() throws Exception {
    String missing = certDir.resolve("nope.crt").toString();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Process p = launch(lines, "--port", "0", "--tls-port",
        Integer.toString(ProcessLines.freePort()), "--tls-cert-file", missing,
        "--tls-key-file", certs.path("kiln-1.key"), "--tls-ca-cert-file", certs.path("ca.crt"));
    List<String> seen = new ArrayList<>();
    ProcessLines.awaitLine(lines, seen,
        "Failed to load certificate: " + missing + ": No such file or directory");
    ProcessLines.awaitLine(lines, seen, "Failed to configure TLS. Check logs for more info.");
    assertThat(p.waitFor(ProcessLines.DEADLINE_S, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(1);
  }

  @Test
  void aTlsPortInUseStopsTheStartWithRedisLine() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50,
        java.net.InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      Process p = launch(lines, "--port", Integer.toString(ProcessLines.freePort()), "--bind",
          "127.0.0.1", "--tls-port", Integer.toString(port), "--tls-cert-file",
          certs.path("kiln-1.crt"), "--tls-key-file", certs.path("kiln-1.key"),
          "--tls-auth-clients", "no");
      ProcessLines.awaitLine(lines, new ArrayList<>(),
          "Failed listening on port " + port + " (TLS), aborting.");
      assertThat(p.waitFor(ProcessLines.DEADLINE_S, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isEqualTo(1);
    }
  }

  @Test
  void tlsOnlyServerServesRedisCli() throws Exception {
    int tlsPort = ProcessLines.freePort();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    launch(lines, "--port", "0", "--bind", "127.0.0.1", "--tls-port", Integer.toString(tlsPort),
        "--tls-cert-file", certs.path("kiln-1.crt"), "--tls-key-file", certs.path("kiln-1.key"),
        "--tls-ca-cert-file", certs.path("ca.crt"));
    List<String> seen = new ArrayList<>();
    ProcessLines.awaitLine(lines, seen, "Running mode=standalone, port=" + tlsPort + ".");
    ProcessLines.awaitLine(lines, seen, "Ready to accept connections");
    assertThat(seen).noneMatch(l -> l.contains("not listen anywhere"));
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/redis-cli")),
        "redis-cli is not installed (apt-get install -y redis-tools; CI does)");
    String out = cli("--tls", "--cacert", certs.path("ca.crt"), "--cert",
        certs.path("client.crt"), "--key", certs.path("client.key"), "-h", "127.0.0.1",
        "-p", Integer.toString(tlsPort), "INFO", "server");
    assertThat(out).contains("tcp_port:" + tlsPort);
    // without a client certificate the server ends the handshake
    assertThat(cli("--tls", "--cacert", certs.path("ca.crt"), "-h", "127.0.0.1",
        "-p", Integer.toString(tlsPort), "PING")).doesNotContain("PONG");
  }

  private Process launch(BlockingQueue<String> lines, String... args) throws Exception {
    return ProcessLines.start(new ProcessBuilder(ProcessLines.mainCommand(args)), started, lines,
        "tls-test-reader");
  }

  static String cli(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("redis-cli"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(ProcessLines.DEADLINE_S, TimeUnit.SECONDS)).isTrue();
    return out;
  }
}
