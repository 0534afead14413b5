package io.kiln.load;

import io.netty.channel.EventLoop;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.util.concurrent.TimeUnit;

/**
 * One pipelined RESP connection of a run. Closed loop: keeps {@code pipeline} requests in flight,
 * sending one new request per reply, latency from the actual send. Open loop: sends on its
 * {@link OpenLoopSchedule}, at most {@code pipeline} in flight, latency from the intended send
 * time. Confined to the event loop thread of its socket.
 */
final class LoadConnection implements ReplyScanner.Listener {
  private final RunState run;
  private final Workload.Generator generator;
  private final int pipeline;
  private final OpenLoopSchedule schedule;
  private final LongRing starts = new LongRing();
  private final ReplyScanner scanner = new ReplyScanner(this);
  private final EventLoop eventLoop;
  private boolean wakeupPending;
  private NetSocket socket;
  private int repliesThisRead;
  /** Replies of the oldest request in flight seen so far, and whether one was an error. */
  private int partial;
  private boolean partialError;
  private String partialMessage;
  private long now;

  LoadConnection(RunState run, Workload.Generator generator, int pipeline, OpenLoopSchedule schedule,
      EventLoop eventLoop) {
    this.eventLoop = eventLoop;
    this.run = run;
    this.generator = generator;
    this.pipeline = pipeline;
    this.schedule = schedule;
  }

  void attach(NetSocket socket) {
    this.socket = socket;
    socket.handler(this::onData);
    socket.exceptionHandler(e -> {
      if (!run.stopped) {
        run.fail("connection error: " + e);
      }
    });
    socket.closeHandler(v -> {
      if (!run.stopped) {
        run.fail("server closed a connection");
      }
    });
    if (schedule == null) {
      send(pipeline, System.nanoTime());
    } else {
      pump(System.nanoTime());
    }
  }

  private void onData(Buffer buf) {
    if (run.stopped) {
      return;
    }
    now = System.nanoTime();
    repliesThisRead = 0;
    byte[] bytes = buf.getBytes();
    try {
      scanner.feed(bytes, 0, bytes.length);
    } catch (IllegalStateException e) {
      run.fail(e.getMessage());
      return;
    }
    if (schedule == null) {
      send(repliesThisRead, System.nanoTime());
    } else {
      pump(now);
    }
  }

  @Override
  public void onReply(boolean error, String message) {
    if (error && !partialError) {
      partialError = true;
      partialMessage = message;
    }
    if (++partial < generator.repliesPerRequest()) {
      return; // a request answered by several replies (MULTI ... EXEC) ends with its last
    }
    error = partialError;
    message = partialError ? partialMessage : message;
    partial = 0;
    partialError = false;
    partialMessage = null;
    repliesThisRead++;
    run.reply(now - starts.poll(), error, message);
    switch (generator.reply(scanner.replyNull(), error)) {
      case HIT -> run.hits.increment();
      case MISS -> run.misses.increment();
      case SET -> run.sets.increment();
      default -> { }
    }
  }

  /** Open loop: sends whatever is due and fits the in-flight window. */
  void pump(long at) {
    if (run.stopped || socket == null) {
      return;
    }
    long n = Math.min(schedule.due(at), pipeline - starts.size());
    if (n > 0) {
      Buffer b = Buffer.buffer((int) n * 64);
      for (long i = 0; i < n; i++) {
        starts.add(schedule.take());
        generator.next(b);
      }
      socket.write(b);
    }
    // Wake up at the next intended time, unless the window is full (a reply will pump then).
    if (!wakeupPending && starts.size() < pipeline) {
      wakeupPending = true;
      long delay = Math.max(1_000L, schedule.intendedTime(schedule.taken()) - System.nanoTime());
      eventLoop.schedule(() -> {
        wakeupPending = false;
        pump(System.nanoTime());
      }, delay, TimeUnit.NANOSECONDS);
    }
  }

  private void send(int n, long at) {
    if (n <= 0 || run.stopped) {
      return;
    }
    Buffer b = Buffer.buffer(n * 64);
    for (int i = 0; i < n; i++) {
      starts.add(at);
      generator.next(b);
    }
    socket.write(b);
  }

  void close() {
    if (socket != null) {
      socket.close();
    }
  }
}
