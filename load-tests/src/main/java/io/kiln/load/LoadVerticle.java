package io.kiln.load;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens a share of a run's connections on its own event loop and, for open loop, pumps their
 * schedules from a 1 ms periodic timer. Everything here runs on that event loop.
 */
final class LoadVerticle extends VerticleBase {
  private final LoadOptions options;
  private final RunState run;
  private final int firstIndex;
  private final int count;
  private final long openLoopStart;
  private final List<LoadConnection> connections = new ArrayList<>();
  private NetClient client;
  private long timer = -1;

  LoadVerticle(LoadOptions options, RunState run, int firstIndex, int count, long openLoopStart) {
    this.options = options;
    this.run = run;
    this.firstIndex = firstIndex;
    this.count = count;
    this.openLoopStart = openLoopStart;
  }

  @Override
  public Future<?> start() {
    client = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(5000));
    Workload.Spec spec = options.spec();
    List<Future<?>> connects = new ArrayList<>();
    double perConnRate = options.rate / options.clients;
    for (int i = 0; i < count; i++) {
      int index = firstIndex + i;
      OpenLoopSchedule schedule = null;
      if (options.rate > 0) {
        // Stagger the timelines so the connections do not all send at the same instant.
        long offset = (long) (1e9 / perConnRate * index / options.clients);
        schedule = new OpenLoopSchedule(openLoopStart + offset, perConnRate);
      }
      LoadConnection c = new LoadConnection(run, spec.generator(0x5eedL * 31 + index), options.pipeline,
          schedule, options.rate > 0 ? ((ContextInternal) context).nettyEventLoop() : null);
      connections.add(c);
      connects.add(client.connect(options.port, options.host).onSuccess(s -> {
        run.connected.increment();
        c.attach(s);
      }).onFailure(e -> run.fail("cannot connect to " + options.host + ":" + options.port + ": " + e.getMessage())));
    }
    if (options.rate > 0) {
      // Each connection wakes itself with Netty's scheduler, which has sub-millisecond
      // resolution (Vert.x timers round to 1 ms); this 1 ms periodic timer is only a backstop.
      timer = vertx.setPeriodic(1, id -> tick());
      tick();
    }
    return Future.join(connects);
  }

  /** Open loop backstop: pumps every connection (each also schedules its own wake-ups). */
  private void tick() {
    if (run.stopped) {
      return;
    }
    long now = System.nanoTime();
    for (LoadConnection c : connections) {
      c.pump(now);
    }
  }

  @Override
  public Future<?> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    for (LoadConnection c : connections) {
      c.close();
    }
    return client.close();
  }
}
