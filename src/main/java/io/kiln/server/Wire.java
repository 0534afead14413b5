package io.kiln.server;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;

/**
 * A client's socket as its {@link Client} sees it, whichever event loop accepted it. With
 * {@code shards} above 1 a connection may be accepted by a {@link ConnectionLoop} (its socket's
 * reads and writes run there) while its client lives on the shard verticle that runs its
 * commands: what the socket reports (data, close, drain, a finished write) is passed to that
 * shard's loop in the order it happened, and what the client asks of the socket (pause, resume)
 * runs on the socket's loop. Writes may be issued from either: Vert.x takes a write from another
 * thread to the socket's loop itself. When both are one loop, every call is direct.
 *
 * <p>Threads: created on the socket's event loop; used afterwards by the client's.
 */
final class Wire {
  private final NetSocket socket;
  /** The socket's event loop (where Vert.x runs its handlers). */
  private final Context io;
  /** The client's event loop (its shard verticle's). */
  private final ShardVerticle home;
  private final boolean direct;
  /** The client's handlers: set on the client's loop, called there. */
  private Handler<Buffer> data = b -> { };
  private Runnable closed = () -> { };

  /**
   * Wires {@code socket}, accepted on {@code io}, to a client on {@code home}'s event loop. Call
   * on {@code io}: the socket's handlers are set before it delivers anything.
   */
  Wire(NetSocket socket, Context io, ShardVerticle home) {
    this.socket = socket;
    this.io = io;
    this.home = home;
    this.direct = io == home.context();
    if (direct) {
      socket.handler(b -> data.handle(b));
      socket.closeHandler(v -> closed.run());
    } else {
      socket.handler(b -> home.execute(() -> data.handle(b)));
      socket.closeHandler(v -> home.execute(() -> closed.run()));
    }
  }

  /** Runs {@code task} on the client's loop: at once there, queued in order from the socket's. */
  private void onHome(Runnable task) {
    if (direct) {
      task.run();
    } else {
      home.execute(task);
    }
  }

  /** Runs {@code task} on the socket's loop. */
  private void onIo(Runnable task) {
    if (direct) {
      task.run();
    } else {
      io.runOnContext(v -> task.run());
    }
  }

  /** The client's handlers for what the socket reads and for its close (client's loop). */
  void handlers(Handler<Buffer> onData, Runnable onClosed, Handler<Throwable> onError) {
    this.data = onData;
    this.closed = onClosed;
    onIo(() -> socket.exceptionHandler(onError));
  }

  SocketAddress remoteAddress() {
    return socket.remoteAddress();
  }

  SocketAddress localAddress() {
    return socket.localAddress();
  }

  void pause() {
    onIo(socket::pause);
  }

  void resume() {
    onIo(socket::resume);
  }

  /**
   * Writes {@code buffer}; {@code done} runs on the client's loop once it is written or failed
   * (null: nothing to run).
   */
  void write(Buffer buffer, Runnable done) {
    Future<Void> written = socket.write(buffer);
    if (done != null) {
      written.onComplete(ar -> onHome(done));
    }
  }

  /** True when the socket's outbound queue is over its high-water mark. */
  boolean writeQueueFull() {
    return socket.writeQueueFull();
  }

  /** Once the outbound queue drains, {@code drained} runs on the client's loop (once). */
  void onDrain(Runnable drained) {
    onIo(() -> socket.drainHandler(v -> onHome(drained)));
  }

  void close() {
    socket.close();
  }
}
