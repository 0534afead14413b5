package io.kiln.server;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetSocket;

/**
 * One more event loop serving connections ({@code shards} above 1): it listens on the shard's
 * TCP and TLS ports beside it (Vert.x hands each accepted connection to one listener of the
 * port) and does the socket work of its connections, reading and writing, while their commands
 * run on the shard verticle that owns the keyspace ({@link Wire} carries one to the other). With
 * one owner the keyspace needs no hold across shards: every command runs on one loop, atomically,
 * in the order each connection sent it.
 *
 * <p>Owned by its own event loop (this verticle's context).
 */
public final class ConnectionLoop extends VerticleBase {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ConnectionLoop.class);

  private final Server kiln;
  private final ShardVerticle shard;
  private Listeners listeners;
  /** Connections this loop accepted (any thread reads it). */
  private final java.util.concurrent.atomic.AtomicLong accepted =
      new java.util.concurrent.atomic.AtomicLong();

  public ConnectionLoop(Server kiln, ShardVerticle shard) {
    this.kiln = kiln;
    this.shard = shard;
  }

  /**
   * Deploys the {@code shards - 1} loops beside {@code shard}, once it listens; none, with a
   * warning, where they could not share its ports (any free port without the native transport).
   */
  public static Future<?> deployBeside(Server kiln, ShardVerticle shard) {
    int loops = kiln.config().getInt("shards") - 1;
    if (loops > 0 && !shard.listeners().shareable(kiln.config())) {
      log.warn("Serving connections on one event loop: sharing any free port between shards "
          + "needs Netty's native epoll transport, which did not load on this system");
      return Future.succeededFuture();
    }
    Future<?> chain = Future.succeededFuture();
    for (int i = 0; i < loops; i++) {
      ConnectionLoop loop = new ConnectionLoop(kiln, shard);
      chain = chain.compose(v -> kiln.vertx().deployVerticle(loop))
          .onSuccess(id -> kiln.addConnectionLoop(loop));
    }
    return chain;
  }

  @Override
  public Future<?> start() {
    ShardVerticle.pinEventLoop(vertx, kiln.config().getString("server_cpulist"));
    listeners = new Listeners(vertx, kiln::tls, this::accept, this::accept);
    return listeners.share(kiln.config(), shard.listeners());
  }

  @Override
  public Future<?> stop() {
    return listeners == null ? Future.succeededFuture() : listeners.close();
  }

  /** A connection accepted here: its socket stays on this loop, its client goes to the shard. */
  private void accept(NetSocket socket) {
    accepted.incrementAndGet();
    Wire wire = new Wire(socket, context, shard);
    shard.execute(() -> shard.adopt(wire, false));
  }

  /** Hands the rebuilt TLS context to this loop's TLS listeners (call on its event loop). */
  public Future<?> updateTls(TlsContext context) {
    return listeners.updateTls(context);
  }

  /** How many connections this loop accepted so far. */
  public long accepted() {
    return accepted.get();
  }

  /** Runs {@code task} on this loop. */
  public void execute(Runnable task) {
    context.runOnContext(v -> task.run());
  }
}
