package io.kiln.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import java.io.PrintStream;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * End to end through real sockets, against an in-process fake server that answers +OK to every
 * request but stops answering for 200 ms once: the open loop must charge the stall to every
 * request scheduled during it, the closed loop only sees the requests that were in flight.
 */
class StallTest {
  private static final long STALL_MS = 200;
  private Vertx vertx;
  private NetServer server;
  private volatile long stallFrom;

  @BeforeEach
  void startFakeServer() throws Exception {
    vertx = Vertx.vertx();
    server = vertx.createNetServer().connectHandler(socket -> {
      socket.exceptionHandler(e -> { });
      long[] pending = {0};
      boolean[] stalled = {false};
      ReplyScanner requests = new ReplyScanner((error, message) -> pending[0]++);
      socket.handler(buf -> {
        byte[] b = buf.getBytes();
        requests.feed(b, 0, b.length);
        long now = System.nanoTime();
        if (now >= stallFrom && now < stallFrom + STALL_MS * 1_000_000L) {
          if (!stalled[0]) {
            stalled[0] = true;
            long wait = Math.max(1, (stallFrom + STALL_MS * 1_000_000L - now) / 1_000_000L);
            vertx.setTimer(wait, id -> {
              socket.write(Buffer.buffer("+OK\r\n".repeat((int) pending[0])));
              pending[0] = 0;
            });
          }
          return;
        }
        if (pending[0] > 0) {
          socket.write(Buffer.buffer("+OK\r\n".repeat((int) pending[0])));
          pending[0] = 0;
        }
      });
    }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private LoadRun.Result run(double rate) throws Exception {
    LoadOptions o = new LoadOptions();
    o.port = server.actualPort();
    o.clients = 2;
    o.pipeline = 16;
    o.rate = rate;
    o.workload = "ping";
    o.warmupSeconds = 0.5;
    o.durationSeconds = 1.2;
    o.progress = false;
    stallFrom = System.nanoTime() + 1_000_000_000L; // 0.5 s into the measured window
    return new LoadRun(o, new PrintStream(OutputStream.nullOutputStream())).execute();
  }

  private static long slowerThan(LoadRun.Result r, long ms) {
    return r.histogram.getCountBetweenValues(ms * 1_000_000L, r.histogram.getMaxValue());
  }

  @Test
  void openLoopChargesTheStallToEveryRequestScheduledDuringIt() throws Exception {
    LoadRun.Result r = run(2000);
    assertThat(r.failure).isNull();
    assertThat(r.maxMs()).isGreaterThan(STALL_MS * 0.8);
    // 2000/s for 200 ms: ~400 requests were due during the stall; at most 32 were in flight,
    // the rest waited for the window and are charged from their intended times.
    assertThat(slowerThan(r, 100)).isGreaterThan(150);
  }

  @Test
  void closedLoopOnlySeesTheRequestsInFlight() throws Exception {
    LoadRun.Result r = run(0);
    assertThat(r.failure).isNull();
    assertThat(r.maxMs()).isGreaterThan(STALL_MS * 0.8);
    assertThat(slowerThan(r, 100)).isLessThanOrEqualTo(2 * 16);
  }
}
