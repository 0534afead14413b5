package io.kiln.server;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client's socket as its {@link Client} sees it, whichever event loop accepted it. With
 * {@code shards} above 1 a connection may be accepted by a {@link ConnectionLoop} (its socket's
 * reads and writes run there) while its client lives on the shard verticle that runs its
 * commands: what the socket reports (data, close, drain, a finished write) is passed to that
 * shard's loop in the order it happened, and what the client asks of the socket (pause, resume)
 * runs on the socket's loop. Writes may be issued from either: Vert.x takes a write from another
 * thread to the socket's loop itself. When both are one loop, every call is direct.
 *
 * <p>Across the hop the socket's loop could read far ahead of the commands the shard has run (a
 * peer streaming requests without reading replies): above {@link #AHEAD_HIGH} bytes passed on
 * and not yet handled it stops reading until the shard is back under {@link #AHEAD_LOW}, so
 * what waits in the shard's task queue stays bounded as the query buffer is.
 *
 * <p>Threads: created on the socket's event loop; used afterwards by the client's, except where
 * a field says otherwise.
 */
final class Wire {
  static final long AHEAD_HIGH = 1 << 20;
  static final long AHEAD_LOW = 256 << 10;

  private final NetSocket socket;
  /** The socket's event loop (where Vert.x runs its handlers). */
  private final Context io;
  /** The client's event loop (its shard verticle's). */
  private final ShardVerticle home;
  private final boolean direct;
  /** The client's handlers: set on the client's loop, called there. */
  private Handler<Buffer> data = b -> { };
  private Runnable closed = () -> { };
  /** What runs at the next drain of the outbound queue, or null (client's loop). */
  private Runnable drained;
  /** Bytes passed to the client's loop and not handled there yet (both loops). */
  private final AtomicLong ahead = new AtomicLong();
  /** Socket's loop: the client asked for a pause; reading ran too far ahead. */
  private boolean clientPaused;
  private boolean aheadPaused;

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
      socket.handler(this::passOn);
      socket.closeHandler(v -> home.execute(() -> closed.run()));
    }
    // Set once, here: a drain between the client's look at the queue and a handler set later
    // from its loop would be lost, and the socket left paused
    socket.drainHandler(v -> onHome(this::onDrained));
  }

  /** Socket's loop: hands {@code b} to the client's loop; stops reading when too far ahead. */
  private void passOn(Buffer b) {
    int n = b.length();
    if (ahead.addAndGet(n) > AHEAD_HIGH && !aheadPaused) {
      aheadPaused = true;
      applyPause(clientPaused, true);
    }
    home.execute(() -> {
      data.handle(b);
      long after = ahead.addAndGet(-n);
      if (after < AHEAD_LOW && after + n >= AHEAD_LOW) {
        io.runOnContext(v -> caughtUp()); // crossed the low mark: the loop may read again
      }
    });
  }

  /** Socket's loop: the client's loop handled enough; read again unless the client paused. */
  private void caughtUp() {
    if (aheadPaused && ahead.get() < AHEAD_LOW) {
      aheadPaused = false;
      applyPause(clientPaused, false);
    }
  }

  private void onDrained() {
    Runnable d = drained;
    drained = null;
    if (d != null) {
      d.run();
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

  /** The client's handlers for what the socket reads and for its close (client's loop). */
  void handlers(Handler<Buffer> onData, Runnable onClosed, Handler<Throwable> onError) {
    this.data = onData;
    this.closed = onClosed;
    if (direct) {
      socket.exceptionHandler(onError);
    } else {
      io.runOnContext(v -> socket.exceptionHandler(onError));
    }
  }

  /** True when another loop than the client's does this socket's reads and writes. */
  boolean threaded() {
    return !direct;
  }

  SocketAddress remoteAddress() {
    return socket.remoteAddress();
  }

  SocketAddress localAddress() {
    return socket.localAddress();
  }

  void pause() {
    clientPaused(true);
  }

  void resume() {
    clientPaused(false);
  }

  /** The client stops or starts reading; the socket reads while neither it nor the hop holds. */
  private void clientPaused(boolean paused) {
    if (direct) {
      applyPause(paused, false);
    } else {
      io.runOnContext(v -> {
        clientPaused = paused;
        applyPause(clientPaused, aheadPaused);
      });
    }
  }

  /** Socket's loop: pauses or resumes it as the client and the read-ahead want. */
  private void applyPause(boolean byClient, boolean byReadAhead) {
    if (byClient || byReadAhead) {
      socket.pause();
    } else {
      socket.resume();
    }
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

  /** At the next drain of the outbound queue, {@code then} runs on the client's loop (once). */
  void onDrain(Runnable then) {
    drained = then;
  }

  void close() {
    socket.close();
  }
}
