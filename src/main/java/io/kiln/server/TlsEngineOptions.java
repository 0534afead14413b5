package io.kiln.server;

import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.spi.tls.DefaultSslContextFactory;
import io.vertx.core.spi.tls.SslContextFactory;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The JDK TLS engine with what Vert.x's options do not carry: the session cache's size and
 * timeout (tls-session-cache-size, tls-session-cache-timeout) and the server's cipher preference
 * (tls-prefer-server-ciphers). Each SSL context Vert.x builds (at listen, and again on every
 * {@code updateSSLOptions}) reads them from the current {@link TlsContext}, so a CONFIG SET that
 * rebuilt the context applies them to new connections.
 *
 * <p>Threads: contexts are created wherever Vert.x creates them (a worker or an event loop); the
 * supplier is read-only and thread-safe.
 */
final class TlsEngineOptions extends JdkSSLEngineOptions {
  private final Supplier<TlsContext> current;

  TlsEngineOptions(Supplier<TlsContext> current) {
    this.current = current;
  }

  @Override
  public TlsEngineOptions copy() {
    return new TlsEngineOptions(current);
  }

  @Override
  public SslContextFactory sslContextFactory() {
    SslContextFactory jdk = new DefaultSslContextFactory(SslProvider.JDK, true);
    return new SslContextFactory() {
      @Override
      public SslContextFactory useAlpn(boolean useAlpn) {
        jdk.useAlpn(useAlpn);
        return this;
      }

      @Override
      public SslContextFactory clientAuth(io.netty.handler.ssl.ClientAuth clientAuth) {
        jdk.clientAuth(clientAuth);
        return this;
      }

      @Override
      public SslContextFactory forClient(boolean forClient) {
        jdk.forClient(forClient);
        return this;
      }

      @Override
      public SslContextFactory keyMananagerFactory(KeyManagerFactory kmf) {
        jdk.keyMananagerFactory(kmf);
        return this;
      }

      @Override
      public SslContextFactory trustManagerFactory(TrustManagerFactory tmf) {
        jdk.trustManagerFactory(tmf);
        return this;
      }

      @Override
      public SslContextFactory enabledCipherSuites(Set<String> suites) {
        jdk.enabledCipherSuites(suites);
        return this;
      }

      @Override
      public SslContextFactory applicationProtocols(List<String> protocols) {
        jdk.applicationProtocols(protocols);
        return this;
      }

      @Override
      public SslContextFactory serverName(String name) {
        jdk.serverName(name);
        return this;
      }

      @Override
      public SslContext create() throws javax.net.ssl.SSLException {
        SslContext made = jdk.create();
        TlsContext tls = current.get();
        if (tls == null) {
          return made;
        }
        SSLSessionContext sessions = made.sessionContext();
        if (sessions != null) {
          sessions.setSessionCacheSize(tls.sessionCacheSize());
          sessions.setSessionTimeout(tls.sessionCacheTimeout());
        }
        boolean prefer = tls.preferServerCiphers();
        return new DelegatingSslContext(made) {
          @Override
          protected void initEngine(SSLEngine engine) {
            SSLParameters p = engine.getSSLParameters();
            p.setUseCipherSuitesOrder(prefer);
            engine.setSSLParameters(p);
          }
        };
      }
    };
  }
}
