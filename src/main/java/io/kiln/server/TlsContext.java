package io.kiln.server;

import io.kiln.config.Config;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.net.TrustOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS context of the {@code tls-port} listeners, built from the tls-* directives with the
 * checks and warnings of Redis 7.0's {@code tlsConfigure}: certificate chain and private key
 * (decrypted with {@code tls-key-file-pass}), CA file or directory, client authentication,
 * protocols, TLS 1.2 ciphers and TLS 1.3 cipher suites, server cipher preference and the session
 * cache. Building is all or nothing: on any problem it logs Redis's warning and throws, and the
 * context in use stays as it was.
 *
 * <p>Threads: {@link #build} reads files and must run on a worker thread, never an event loop.
 * A built context is immutable and may be handed to any thread.
 */
public final class TlsContext {
  private static final Logger log = LoggerFactory.getLogger(TlsContext.class);

  /**
   * Directives whose CONFIG SET rebuilds the context (Redis's applyTlsCfg, plus tls-auth-clients:
   * the JDK engine takes client authentication from the context, not per connection). A file
   * directive set to the path it already has reloads the file, as Redis does.
   */
  public static final Set<String> RELOADING = Set.of("tls-cert-file", "tls-key-file",
      "tls-key-file-pass", "tls-client-cert-file", "tls-client-key-file",
      "tls-client-key-file-pass", "tls-ca-cert-file", "tls-ca-cert-dir", "tls-auth-clients",
      "tls-protocols", "tls-ciphers", "tls-ciphersuites", "tls-prefer-server-ciphers",
      "tls-session-caching", "tls-session-cache-size", "tls-session-cache-timeout");

  /** The TLS 1.3 suites (tls-ciphersuites); every other suite is TLS 1.2's (tls-ciphers). */
  private static final Set<String> TLS13_SUITES = Set.of("TLS_AES_128_GCM_SHA256",
      "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256",
      "TLS_AES_128_CCM_8_SHA256");

  /** Why a context could not be built; the warnings are already logged. */
  public static final class Failure extends Exception {
    Failure(String message) {
      super(message, null, false, false);
    }
  }

  private final ServerSSLOptions ssl;
  private final boolean preferServerCiphers;
  private final int sessionCacheSize;
  private final int sessionCacheTimeout;

  private TlsContext(ServerSSLOptions ssl, boolean preferServerCiphers, int sessionCacheSize,
      int sessionCacheTimeout) {
    this.ssl = ssl;
    this.preferServerCiphers = preferServerCiphers;
    this.sessionCacheSize = sessionCacheSize;
    this.sessionCacheTimeout = sessionCacheTimeout;
  }

  /** The options a listener's SSL setup is updated with (a copy: Vert.x keeps what it gets). */
  public ServerSSLOptions sslOptions() {
    return ssl.copy();
  }

  /** Whether the server's cipher order wins over the client's (tls-prefer-server-ciphers). */
  boolean preferServerCiphers() {
    return preferServerCiphers;
  }

  /** tls-session-cache-size: sessions kept, 0 for no limit (as OpenSSL's and the JDK's). */
  int sessionCacheSize() {
    return sessionCacheSize;
  }

  /** tls-session-cache-timeout in seconds. */
  int sessionCacheTimeout() {
    return sessionCacheTimeout;
  }

  /**
   * Turns TLS on in {@code opts} (a RESP or HTTP server's) with the context {@code current}
   * gives now; the SSL contexts built later for it (on a reload) read theirs from it then.
   */
  public static void enable(NetServerOptions opts, java.util.function.Supplier<TlsContext> current) {
    current.get().applyTo(opts);
    opts.setSslEngineOptions(new TlsEngineOptions(current));
  }

  /** Turns TLS on in {@code opts} with this context's settings. */
  private void applyTo(NetServerOptions opts) {
    opts.setSsl(true).setKeyCertOptions(ssl.getKeyCertOptions())
        .setClientAuth(ssl.getClientAuth())
        .setEnabledSecureTransportProtocols(ssl.getEnabledSecureTransportProtocols());
    if (ssl.getTrustOptions() != null) {
      opts.setTrustOptions(ssl.getTrustOptions());
    }
    ssl.getEnabledCipherSuites().forEach(opts::addEnabledCipherSuite);
  }

  /**
   * BLOCKING (reads the certificate, key and CA files): builds the context {@code config}
   * describes, or logs Redis's warning and throws.
   */
  public static TlsContext build(Config config) throws Failure {
    String certFile = config.getString("tls-cert-file");
    String keyFile = config.getString("tls-key-file");
    String caFile = config.getString("tls-ca-cert-file");
    String caDir = config.getString("tls-ca-cert-dir");
    String auth = config.getString("tls-auth-clients");
    if (certFile.isEmpty()) {
      throw fail("No tls-cert-file configured!");
    }
    if (keyFile.isEmpty()) {
      throw fail("No tls-key-file configured!");
    }
    if (!auth.equals("no") && caFile.isEmpty() && caDir.isEmpty()) {
      throw fail("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when "
          + "tls-cluster, tls-replication or tls-auth-clients are enabled!");
    }
    Set<String> protocols = protocols(config.getString("tls-protocols"));
    ServerSSLOptions ssl = new ServerSSLOptions()
        .setKeyCertOptions(KeyCertOptions.wrap(keyManager(certFile, keyFile,
            config.getString("tls-key-file-pass"))))
        .setEnabledSecureTransportProtocols(protocols)
        .setClientAuth(switch (auth) {
          case "no" -> ClientAuth.NONE;
          case "optional" -> ClientAuth.REQUEST;
          default -> ClientAuth.REQUIRED;
        });
    if (!caFile.isEmpty() || !caDir.isEmpty()) {
      ssl.setTrustOptions(TrustOptions.wrap(trustManager(caFile, caDir)));
    }
    for (String suite : cipherSuites(config.getString("tls-ciphers"),
        config.getString("tls-ciphersuites"))) {
      ssl.addEnabledCipherSuite(suite);
    }
    String clientCert = config.getString("tls-client-cert-file");
    String clientKey = config.getString("tls-client-key-file");
    if (!clientCert.isEmpty() && !clientKey.isEmpty()) {
      // Redis builds its client context too (for replication and the cluster bus): a bad file
      // is refused the same way although Kiln never connects out
      keyManager(clientCert, clientKey, config.getString("tls-client-key-file-pass"));
    }
    return new TlsContext(ssl, config.getBool("tls-prefer-server-ciphers"),
        config.getInt("tls-session-cache-size"), config.getInt("tls-session-cache-timeout"));
  }

  private static Failure fail(String warning) {
    log.warn(warning);
    return new Failure(warning);
  }

  /** tls-protocols: a space-separated list of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 (any case). */
  private static Set<String> protocols(String value) throws Failure {
    if (value.isEmpty()) {
      return new LinkedHashSet<>(List.of("TLSv1.2", "TLSv1.3"));
    }
    Set<String> out = new LinkedHashSet<>();
    for (String word : value.split(" ", -1)) {
      switch (word.toLowerCase(Locale.ROOT)) {
        case "tlsv1" -> out.add("TLSv1");
        case "tlsv1.1" -> out.add("TLSv1.1");
        case "tlsv1.2" -> out.add("TLSv1.2");
        case "tlsv1.3" -> out.add("TLSv1.3");
        default -> throw fail("Invalid tls-protocols specified. Use a combination of 'TLSv1', "
            + "'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
      }
    }
    return out;
  }

  /**
   * The suites to enable, or none for the engine's defaults: tls-ciphers selects TLS 1.2 suites
   * ({@link CipherList}), tls-ciphersuites TLS 1.3 suites (names separated by ':'); a list left
   * empty keeps that protocol's defaults.
   */
  private static List<String> cipherSuites(String ciphers, String suites) throws Failure {
    if (ciphers.isEmpty() && suites.isEmpty()) {
      return List.of();
    }
    List<String> supported;
    List<String> defaults;
    try {
      SSLContext jdk = SSLContext.getDefault();
      supported = List.of(jdk.getSupportedSSLParameters().getCipherSuites());
      defaults = List.of(jdk.getDefaultSSLParameters().getCipherSuites());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw fail("Failed to configure ciphers: " + ciphers);
    }
    Set<String> out = new LinkedHashSet<>();
    if (suites.isEmpty()) {
      defaults.stream().filter(TLS13_SUITES::contains).forEach(out::add);
    } else {
      for (String s : suites.split(":")) {
        if (!TLS13_SUITES.contains(s) || !supported.contains(s)) {
          throw fail("Failed to configure ciphersuites: " + suites);
        }
        out.add(s);
      }
    }
    if (ciphers.isEmpty()) {
      defaults.stream().filter(s -> !TLS13_SUITES.contains(s)).forEach(out::add);
    } else {
      try {
        out.addAll(CipherList.parse(ciphers,
            supported.stream().filter(s -> !TLS13_SUITES.contains(s)).toList(),
            defaults.stream().filter(s -> !TLS13_SUITES.contains(s)).toList()));
      } catch (IllegalArgumentException e) {
        throw fail("Failed to configure ciphers: " + ciphers);
      }
    }
    return new ArrayList<>(out);
  }

  /** The certificate chain and its private key, checked to belong together. */
  private static KeyManagerFactory keyManager(String certFile, String keyFile, String pass)
      throws Failure {
    List<X509Certificate> chain;
    try {
      chain = certificates(Files.readAllBytes(Path.of(certFile)));
      if (chain.isEmpty()) {
        throw new IllegalArgumentException("no certificate found");
      }
    } catch (IOException | RuntimeException | java.security.GeneralSecurityException e) {
      throw fail("Failed to load certificate: " + certFile + ": " + reason(e));
    }
    PrivateKey key;
    try {
      key = PemKeys.read(Files.readAllBytes(Path.of(keyFile)), pass);
      if (!matches(key, chain.get(0))) {
        throw new IllegalArgumentException("key values mismatch");
      }
    } catch (IOException | RuntimeException | java.security.GeneralSecurityException e) {
      throw fail("Failed to load private key: " + keyFile + ": " + reason(e));
    }
    try {
      char[] none = new char[0];
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("kiln", key, none, chain.toArray(new Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(
          KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(store, none);
      return kmf;
    } catch (IOException | java.security.GeneralSecurityException e) {
      throw fail("Failed to load private key: " + keyFile + ": " + reason(e));
    }
  }

  /** The CA certificates of a PEM file and of every PEM file in a directory. */
  private static TrustManagerFactory trustManager(String caFile, String caDir) throws Failure {
    try {
      List<X509Certificate> cas = new ArrayList<>();
      if (!caFile.isEmpty()) {
        List<X509Certificate> found = certificates(Files.readAllBytes(Path.of(caFile)));
        if (found.isEmpty()) {
          throw new IllegalArgumentException("no certificate found in " + caFile);
        }
        cas.addAll(found);
      }
      if (!caDir.isEmpty()) {
        try (var files = Files.list(Path.of(caDir))) {
          for (Path p : files.sorted().toList()) {
            if (Files.isRegularFile(p)) {
              try {
                cas.addAll(certificates(Files.readAllBytes(p)));
              } catch (java.security.cert.CertificateException | RuntimeException notPem) {
                // OpenSSL looks CAs up by hashed name and never reads other files
              }
            }
          }
        }
      }
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        store.setCertificateEntry("ca" + i, cas.get(i));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(
          TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      return tmf;
    } catch (IOException | RuntimeException | java.security.GeneralSecurityException e) {
      throw fail("Failed to configure CA certificate(s) file/directory: " + reason(e));
    }
  }

  private static List<X509Certificate> certificates(byte[] pem)
      throws java.security.cert.CertificateException {
    List<X509Certificate> out = new ArrayList<>();
    String text = new String(pem, StandardCharsets.ISO_8859_1);
    if (!text.contains("-----BEGIN CERTIFICATE-----")) {
      return out;
    }
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    for (Certificate c : cf.generateCertificates(new ByteArrayInputStream(pem))) {
      out.add((X509Certificate) c);
    }
    return out;
  }

  /** Whether {@code key} is the private half of {@code cert}'s public key (a signature test). */
  private static boolean matches(PrivateKey key, X509Certificate cert)
      throws java.security.GeneralSecurityException {
    String alg = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "Ed448", "EdDSA" -> "EdDSA";
      case "DSA" -> "SHA256withDSA";
      default -> null;
    };
    if (alg == null) {
      return true; // the handshake will tell
    }
    byte[] challenge = new byte[32];
    new SecureRandom().nextBytes(challenge);
    Signature s = Signature.getInstance(alg);
    s.initSign(key);
    s.update(challenge);
    byte[] signed = s.sign();
    Signature v = Signature.getInstance(alg);
    v.initVerify(cert.getPublicKey());
    v.update(challenge);
    return v.verify(signed);
  }

  /** An operator-facing reason, in OpenSSL's words where it has some, never Java's text. */
  public static String reason(Throwable e) {
    if (e instanceof NoSuchFileException) {
      return "No such file or directory";
    }
    if (e instanceof AccessDeniedException) {
      return "Permission denied";
    }
    if (e instanceof java.nio.file.NotDirectoryException) {
      return "Not a directory";
    }
    if (e instanceof IOException && "Is a directory".equals(e.getMessage())) {
      return "Is a directory";
    }
    if (e instanceof IllegalArgumentException && e.getMessage() != null) {
      return e.getMessage(); // our own words
    }
    if (e instanceof javax.crypto.BadPaddingException) {
      return "bad decrypt";
    }
    if (e instanceof java.security.cert.CertificateException) {
      return "bad certificate";
    }
    if (e instanceof java.security.spec.InvalidKeySpecException) {
      return "bad private key";
    }
    return "unreadable";
  }

  @Override
  public String toString() {
    return "TlsContext" + Arrays.asList(ssl.getEnabledSecureTransportProtocols(),
        ssl.getClientAuth());
  }
}
