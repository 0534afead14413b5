package io.kiln.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates made at run time with the {@code openssl} command (no private key is committed):
 * a CA, two server certificates it signed (CN kiln-1 and kiln-2, for 127.0.0.1 and localhost)
 * and a client certificate, as PEM files in a directory of the test's, plus socket factories
 * for Java clients. Used from the test thread.
 */
public final class TestCerts {
  public final Path dir;

  private TestCerts(Path dir) {
    this.dir = dir;
  }

  /** Makes the CA, the server certificates and the client certificate under {@code dir}. */
  public static TestCerts make(Path dir) throws Exception {
    TestCerts c = new TestCerts(dir);
    c.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
        "-subj", "/O=Kiln test/CN=Kiln test CA", "-keyout", "ca.key", "-out", "ca.crt");
    Files.writeString(dir.resolve("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nkeyUsage=digitalSignature,keyEncipherment\n"
            + "extendedKeyUsage=serverAuth\n");
    Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
    c.signed("kiln-1", "server.ext");
    c.signed("kiln-2", "server.ext");
    c.signed("client", "client.ext");
    c.openssl("pkcs12", "-export", "-in", "client.crt", "-inkey", "client.key", "-out",
        "client.p12", "-passout", "pass:test");
    // the CA as a trust store (Java clients that take a store, Lettuce)
    java.security.KeyStore ca = java.security.KeyStore.getInstance("PKCS12");
    ca.load(null, null);
    try (InputStream in = Files.newInputStream(dir.resolve("ca.crt"))) {
      ca.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
          .generateCertificate(in));
    }
    try (java.io.OutputStream out = Files.newOutputStream(dir.resolve("ca.p12"))) {
      ca.store(out, "test".toCharArray());
    }
    return c;
  }

  private void signed(String name, String ext) throws Exception {
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/O=Kiln test/CN=" + name,
        "-keyout", name + ".key", "-out", name + ".csr");
    openssl("x509", "-req", "-sha256", "-days", "2", "-in", name + ".csr", "-CA", "ca.crt",
        "-CAkey", "ca.key", "-CAcreateserial", "-extfile", ext, "-out", name + ".crt");
  }

  /** Runs {@code openssl args} in the directory; fails with its output when it fails. */
  public void openssl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + out);
    }
  }

  public String path(String file) {
    return dir.resolve(file).toString();
  }

  /** A factory that trusts the test CA and, when {@code withClientCert}, presents the client's. */
  public SSLSocketFactory socketFactory(boolean withClientCert) throws Exception {
    return sslContext(withClientCert).getSocketFactory();
  }

  /** A context that trusts the test CA and, when {@code withClientCert}, presents the client's. */
  public SSLContext sslContext(boolean withClientCert) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(dir.resolve("ca.crt"))) {
      trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
          .generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(
        TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (withClientCert) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(dir.resolve("client.p12"))) {
        keys.load(in, "test".toCharArray());
      }
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, "test".toCharArray());
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  /** Whether the openssl command runs here. */
  public static boolean available() {
    try {
      Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }
}
