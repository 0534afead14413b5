package io.kiln.server;

import io.kiln.config.Config;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening sockets of one shard verticle, as Redis 7.0 opens them: the plain TCP {@code port}
 * and the TLS {@code tls-port} on every {@code bind} address, and the {@code unixsocket} (with
 * {@code unixsocketperm} applied to its file). Several shards listening on one port share it:
 * Vert.x hands each accepted socket to one of them.
 *
 * <p>Threads: owned by its shard's event loop; file work (removing a stale socket file, chmod)
 * runs on a worker.
 */
public final class Listeners {
  private static final Logger log = LoggerFactory.getLogger(Listeners.class);
  /** sizeof(sun_path) on Linux: a longer unix socket path cannot be bound. */
  private static final int SUN_PATH = 108;

  /** Why listening failed: the lines the launcher logs before it exits, Redis's words. */
  public static final class Failure extends RuntimeException {
    private final List<String> lines;

    Failure(String... lines) {
      super(String.join(" ", lines), null, false, false);
      this.lines = List.of(lines);
    }

    public List<String> lines() {
      return lines;
    }
  }

  private final Vertx vertx;
  private final Handler<NetSocket> tcp;
  private final Handler<NetSocket> unix;
  private final Supplier<TlsContext> tls;
  private final List<NetServer> servers = new ArrayList<>();
  private final List<NetServer> tlsServers = new ArrayList<>();
  private int port;
  private int tlsPort;

  Listeners(Vertx vertx, Supplier<TlsContext> tls, Handler<NetSocket> tcp,
      Handler<NetSocket> unix) {
    this.vertx = vertx;
    this.tls = tls;
    this.tcp = tcp;
    this.unix = unix;
  }

  /** The plain TCP port bound, 0 when none. */
  int port() {
    return port;
  }

  /** The TLS port bound, 0 when none. */
  int tlsPort() {
    return tlsPort;
  }

  /**
   * Opens every socket {@code config} asks for. {@code port 0} listens on any free port when
   * nothing else is configured (tests and embedders read it back); beside a TLS port or a unix
   * socket it turns plain TCP off, as in Redis.
   */
  Future<?> listen(Config config) {
    int wanted = config.getInt("port");
    int tlsWanted = config.getInt("tls-port");
    String socketPath = config.getString("unixsocket");
    boolean tcpOff = wanted == 0 && (tlsWanted != 0 || !socketPath.isEmpty());
    // Any free port, shared with connection loops: they bind the one the kernel chose, beside
    // this socket (SO_REUSEPORT), as Vert.x shares a listener between instances by the port
    // asked for, and 0 is no port to share
    boolean anyShared = config.getInt("shards") > 1;
    Future<?> chain = tcpOff ? Future.succeededFuture()
        : bindAll(config, wanted, false, anyShared && wanted == 0);
    if (tlsWanted != 0) {
      chain = chain.compose(v -> bindAll(config, tlsWanted, true, anyShared && tlsWanted == 0));
    }
    if (!socketPath.isEmpty()) {
      chain = chain.compose(v -> listenUnix(socketPath, config.getInt("unixsocketperm")));
    }
    return chain;
  }

  /**
   * A {@link ConnectionLoop}'s share of the TCP and TLS ports the shard bound ({@code port} and
   * {@code tlsPort}, 0 for none): Vert.x spreads the accepted connections over every listener of
   * one port. The unix socket stays the shard's alone.
   */
  Future<?> share(Config config, Listeners shard) {
    int wanted = config.getInt("port");
    int tlsWanted = config.getInt("tls-port");
    Future<?> chain = shard.port == 0 ? Future.succeededFuture()
        : bindAll(config, wanted == 0 ? shard.port : wanted, false, wanted == 0);
    return shard.tlsPort == 0 ? chain : chain.compose(v ->
        bindAll(config, tlsWanted == 0 ? shard.tlsPort : tlsWanted, true, tlsWanted == 0));
  }

  /**
   * Whether loops can listen beside these sockets ({@link #share}): any free port is shared by
   * SO_REUSEPORT, which only Netty's native transport sets.
   */
  boolean shareable(Config config) {
    boolean anyPort = config.getInt("port") == 0 && port != 0
        || config.getInt("tls-port") == 0 && tlsPort != 0;
    return !anyPort || vertx.isNativeTransportEnabled();
  }

  /** Binds every address of `bind` on {@code wanted}; a '-' prefix marks an optional one. */
  private Future<?> bindAll(Config config, int wanted, boolean secure, boolean reusePort) {
    Future<?> chain = Future.succeededFuture();
    for (String raw : config.bindAddresses()) {
      boolean optional = raw.startsWith("-");
      String addr = optional ? raw.substring(1) : raw;
      String host = switch (addr) {
        case "*" -> "0.0.0.0";
        case "::*" -> "::";
        default -> addr;
      };
      chain = chain.compose(v -> {
        int bound = secure ? tlsPort : port;
        int p = bound != 0 ? bound : wanted;
        NetServerOptions opts = new NetServerOptions().setHost(host).setPort(p)
            .setTcpNoDelay(true).setReuseAddress(true).setReusePort(reusePort)
            .setTcpKeepAlive(config.getInt("tcp-keepalive") > 0);
        if (secure) {
          TlsContext.enable(opts, tls);
        }
        NetServer server = vertx.createNetServer(opts).connectHandler(tcp);
        return server.listen().<Object>map(s -> {
          servers.add(s);
          if (secure) {
            tlsServers.add(s);
            tlsPort = s.actualPort();
          } else {
            port = s.actualPort();
          }
          return s;
        }).recover(err -> {
          if (optional) {
            log.debug("Optional bind address {} unavailable: {}", addr, err.getMessage());
            return Future.succeededFuture();
          }
          return Future.failedFuture(new Failure("Could not create server TCP listening socket "
              + addr + ":" + p + ": bind: " + describe(err), "Failed listening on port " + wanted
              + (secure ? " (TLS), aborting." : " (TCP), aborting.")));
        });
      });
    }
    return chain.compose(v -> (secure ? tlsPort : port) == 0
        ? Future.failedFuture(new Failure("no bind address could be used",
            "Failed listening on port " + wanted + (secure ? " (TLS)" : " (TCP)") + ", aborting."))
        : Future.succeededFuture());
  }

  /** Redis: the stale file goes, the socket is bound, then chmod'ed when a mode is set. */
  private Future<?> listenUnix(String socketPath, int perm) {
    if (socketPath.length() >= SUN_PATH) {
      return Future.failedFuture(new Failure("Failed opening Unix socket: unix socket path too "
          + "long (" + socketPath.length() + "), must be under " + SUN_PATH));
    }
    if (!vertx.isNativeTransportEnabled()) {
      return Future.failedFuture(new Failure("Failed opening Unix socket: unix sockets need "
          + "Netty's native epoll transport, which did not load on this system"));
    }
    Path path = Path.of(socketPath);
    return vertx.executeBlocking(() -> Files.deleteIfExists(path), false)
        .compose(v -> vertx.createNetServer(new NetServerOptions()).connectHandler(unix)
            .listen(SocketAddress.domainSocketAddress(socketPath)))
        .compose(s -> {
          servers.add(s);
          return perm == 0 ? Future.succeededFuture() : vertx.executeBlocking(() -> {
            Files.setPosixFilePermissions(path, mode(perm));
            return null;
          }, false);
        })
        .recover(err -> Future.failedFuture(err instanceof Failure ? err
            : new Failure("Failed opening Unix socket: " + unixReason(err))));
  }

  /** As anet's: "bind: Permission denied" for the socket, the file's error for chmod & co. */
  private static String unixReason(Throwable err) {
    String m = String.valueOf(err.getMessage());
    // Netty's native errors: "bind(..) failed with error(-2): No such file or directory"
    int at = m.indexOf("): ", m.indexOf("failed"));
    if (m.contains("failed") && at >= 0) {
      return (m.startsWith("bind") ? "bind: " : "") + m.substring(at + 3);
    }
    return TlsContext.reason(err);
  }

  private static Set<PosixFilePermission> mode(int perm) {
    Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ ... OTHERS_EXECUTE
    for (int i = 0; i < 9; i++) {
      if ((perm & (0400 >> i)) != 0) {
        out.add(bits[i]);
      }
    }
    return out;
  }

  /**
   * Gives every TLS listener the current context; completes once new connections use it (the
   * ones already open keep the session they negotiated, as in Redis).
   */
  Future<?> updateTls(TlsContext context) {
    List<Future<Boolean>> updates = new ArrayList<>();
    for (NetServer s : tlsServers) {
      updates.add(s.updateSSLOptions(context.sslOptions(), true));
    }
    return Future.all(updates);
  }

  Future<?> close() {
    List<Future<Void>> closing = new ArrayList<>();
    for (NetServer s : servers) {
      closing.add(s.close());
    }
    return Future.all(closing);
  }

  private static String describe(Throwable err) {
    String m = String.valueOf(err.getMessage());
    return m.contains("Address already in use") ? "Address already in use" : m;
  }
}
