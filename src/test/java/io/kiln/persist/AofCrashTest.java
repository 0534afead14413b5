package io.kiln.persist;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AOF's crash check, short (load-tests/aof-crash.sh is the long one): a real server in a
 * child JVM, writers making acknowledged writes, SIGKILL at a random moment
 * ({@link Process#destroyForcibly()}, checked by the exit status 128 + 9), a restart on the same
 * directory, and every acknowledged write must be back. Power loss: before the restart the file
 * is cut to the size the server last fsynced (its test hook {@code kiln.aof.syncedOffsetFile}
 * writes it after each fsync, before acknowledging). The restarted server is the next cycle's, so
 * later crashes land on a recovered (and cut) file.
 *
 * <p>Threads: the test thread drives the server and checks; one thread per writer; one reader
 * per server process copies its output to a queue.
 */
class AofCrashTest {
  private static final int WRITERS = 8;
  private static final long DEADLINE_S = 60;

  @TempDir Path dir;
  private Process server;
  private int port;
  private final List<String> log = new ArrayList<>();
  private int cycleKeys; // the keys every cycle so far left, for DBSIZE
  private BlockingQueue<String> output = new LinkedBlockingQueue<>(); // the server's, not read yet
  private final List<String> losses = new ArrayList<>();

  /** The servers' output so far, each start marked. */
  private String serverLog() {
    output.drainTo(log);
    return String.join("\n", log);
  }

  @AfterEach
  void kill() throws Exception {
    if (server != null && server.isAlive()) {
      server.destroyForcibly();
      server.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void killNineUnderAlwaysLosesNoAcknowledgedWrite() throws Exception {
    crashCycles("always", false, 5, 50, 500);
  }

  @Test
  void powerLossUnderAlwaysLosesNoAcknowledgedWrite() throws Exception {
    crashCycles("always", true, 5, 50, 500);
  }

  @Test
  void powerLossUnderEverysecLosesUnderTwoSecondsOfWrites() throws Exception {
    // the writes must outlive a fsync period or two for the bound to mean anything
    // Measured as how long before the kill the oldest lost command was acknowledged: lost / the
    // cycle's rate overstates it when the rate rises in the cycle (a cold JVM), and is printed.
    List<Cycle> cycles = crashCycles("everysec", true, 3, 1200, 2200);
    for (Cycle c : cycles) {
      assertThat(c.window).as("cycle %d lost %d of %d acknowledged commands (%.0f/s), the oldest "
          + "acknowledged %.3f s before the kill", c.n, c.lost, c.acked, c.rate(), c.window)
          .isLessThan(2.0);
    }
  }

  record Cycle(int n, long acked, long lost, double seconds, double window) {
    double rate() {
      return acked / seconds;
    }

    double lostSeconds() {
      return lost / rate();
    }
  }

  private List<Cycle> crashCycles(String fsync, boolean powerLoss, int count, int minDelayMs,
      int maxDelayMs) throws Exception {
    Path aof = dir.resolve("appendonly.aof");
    Path synced = dir.resolve("synced-offset");
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    start(fsync, synced, aof);
    List<Cycle> cycles = new ArrayList<>();
    for (int n = 1; n <= count; n++) {
      Writer[] writers = new Writer[WRITERS];
      CountDownLatch go = new CountDownLatch(1);
      AtomicBoolean killed = new AtomicBoolean();
      for (int w = 0; w < WRITERS; w++) {
        writers[w] = new Writer(n, w, new RespClient("127.0.0.1", port), go, killed);
        writers[w].start();
      }
      long delay = ThreadLocalRandom.current().nextLong(minDelayMs, maxDelayMs + 1);
      long t0 = System.nanoTime();
      go.countDown();
      Thread.sleep(delay); // the random moment of the crash: the point of the test
      String before = Files.readString(synced).trim();
      killed.set(true);
      server.destroyForcibly();
      long killNanos = System.nanoTime();
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertThat(server.waitFor(DEADLINE_S, TimeUnit.SECONDS)).as("killed").isTrue();
      assertThat(server.exitValue()).as("SIGKILL (128 + 9)").isEqualTo(137);
      for (Writer w : writers) {
        w.join(TimeUnit.SECONDS.toMillis(DEADLINE_S));
        assertThat(w.isAlive()).as("writer %d ended", w.id).isFalse();
        assertThat(w.error).as("writer %d", w.id).isNull();
      }
      long size = Files.size(aof);
      String off = Files.exists(synced) ? Files.readString(synced).trim() : "";
      // empty: killed inside the hook's write (truncate, then write), after the fsync of the
      // whole file and before the acks under always; under everysec the value read just before
      // the kill (which counts more as lost, not less)
      long syncedSize = !off.isEmpty() ? Long.parseLong(off)
          : fsync.equals("always") || before.isEmpty() ? size : Long.parseLong(before);
      String where = String.format("cycle %d (%s%s): file %d bytes, synced %d", n, fsync,
          powerLoss ? ", power loss" : "", size, syncedSize);
      assertThat(syncedSize).as(where).isLessThanOrEqualTo(size);
      if (powerLoss && syncedSize < size) {
        try (var ch = java.nio.channels.FileChannel.open(aof,
            java.nio.file.StandardOpenOption.WRITE)) {
          ch.truncate(syncedSize);
        }
      }
      long t1 = System.nanoTime();
      start(fsync, synced, aof);
      long restartMs = (System.nanoTime() - t1) / 1_000_000;
      Cycle c = check(n, writers, seconds, killNanos, where);
      cycles.add(c);
      System.out.printf("%s: kill at %d ms, acked %d (%.0f/s), lost %d (%.3f s at the cycle's rate, "
          + "oldest acknowledged %.3f s before the kill), restart %d ms%s%n",
          where, delay, c.acked, c.rate(), c.lost, c.lostSeconds(), c.window, restartMs,
          off.isEmpty() ? ", offset file torn by the kill" : "");
      if (!fsync.equals("everysec")) {
        assertThat(losses).as("acknowledged commands lost, %s; server log:%n%s", where,
            serverLog()).isEmpty();
      }
    }
    return cycles;
  }

  /** One connection's command stream: SET c:w:seq seq, INCR c:n, RPUSH c:l seq, seq = 1, 2... */
  private static final class Writer extends Thread {
    final int cycle;
    final int id;
    final RespClient client;
    final CountDownLatch go;
    final AtomicBoolean killed;
    volatile int sent;
    volatile int acked;
    volatile String error;
    long[] ackNanos = new long[1024]; // when each command's reply came

    Writer(int cycle, int id, RespClient client, CountDownLatch go, AtomicBoolean killed) {
      super("aof-crash-writer-" + id);
      this.cycle = cycle;
      this.id = id;
      this.client = client;
      this.go = go;
      this.killed = killed;
      setDaemon(true);
    }

    @Override
    public void run() {
      try (client) {
        go.await();
        for (int seq = 1; ; seq++) {
          String[][] cmds = {
              {"SET", "c" + cycle + ":w" + id + ":" + seq, Integer.toString(seq)},
              {"INCR", "c" + cycle + ":n" + id},
              {"RPUSH", "c" + cycle + ":l" + id, Integer.toString(seq)}};
          for (String[] cmd : cmds) {
            sent++;
            String reply = client.call(cmd);
            String want = cmd[0].equals("SET") ? "+OK\r\n" : ":" + seq + "\r\n";
            if (!reply.equals(want)) {
              error = cmd[0] + " got " + reply.trim() + ", want " + want.trim();
              return;
            }
            if (acked == ackNanos.length) {
              ackNanos = java.util.Arrays.copyOf(ackNanos, acked * 2);
            }
            ackNanos[acked] = System.nanoTime();
            acked++;
          }
        }
      } catch (UncheckedIOException e) {
        if (!killed.get()) {
          error = "connection failed before the kill: " + e;
        }
      } catch (InterruptedException e) {
        error = "interrupted";
      }
    }
  }

  /**
   * Per writer, what the restarted server has must be the effect of one prefix of its command
   * stream, no shorter than what was acknowledged and no longer than what was sent.
   */
  private Cycle check(int n, Writer[] writers, double seconds, long killNanos, String where) {
    double window = 0;
    long acked = 0;
    long lost = 0;
    try (RespClient c = new RespClient("127.0.0.1", port)) {
      for (Writer w : writers) {
        int sentSeq = (w.sent + 2) / 3;
        for (int seq = 1; seq <= sentSeq + 1; seq++) {
          c.send("GET", "c" + n + ":w" + w.id + ":" + seq);
        }
        c.send("GET", "c" + n + ":n" + w.id);
        c.send("LRANGE", "c" + n + ":l" + w.id, "0", "-1");
        List<String> values = new ArrayList<>();
        for (int seq = 1; seq <= sentSeq + 1; seq++) {
          values.add(c.readReply());
        }
        String counter = c.readReply();
        String list = c.readReply();
        int s = 0;
        while (s < values.size() && !values.get(s).equals("$-1\r\n")) {
          String v = Integer.toString(s + 1);
          assertThat(values.get(s)).as("%s, writer %d, SET seq %d", where, w.id, s + 1)
              .isEqualTo("$" + v.length() + "\r\n" + v + "\r\n");
          s++;
        }
        for (int i = s; i < values.size(); i++) {
          assertThat(values.get(i)).as("%s, writer %d: SET seq %d present after a gap at %d",
              where, w.id, i + 1, s + 1).isEqualTo("$-1\r\n");
        }
        int count = counter.equals("$-1\r\n") ? 0
            : Integer.parseInt(counter.substring(counter.indexOf("\r\n") + 2).trim());
        StringBuilder want = new StringBuilder();
        String[] items = list.split("\r\n");
        int m = Integer.parseInt(items[0].substring(1));
        want.append('*').append(m).append("\r\n");
        for (int i = 1; i <= m; i++) {
          String v = Integer.toString(i);
          want.append('$').append(v.length()).append("\r\n").append(v).append("\r\n");
        }
        assertThat(list).as("%s, writer %d: list 1..%d in order", where, w.id, m)
            .isEqualTo(want.toString());
        // a prefix of SET_1 INCR_1 RPUSH_1 SET_2 ... leaves s >= count >= m >= s - 1
        assertThat(s >= count && count >= m && m >= s - 1)
            .as("%s, writer %d: SETs %d, counter %d, list %d are the effect of a prefix", where,
                w.id, s, count, m).isTrue();
        int prefix = s + count + m;
        assertThat(prefix).as("%s, writer %d: commands applied <= sent", where, w.id)
            .isLessThanOrEqualTo(w.sent);
        acked += w.acked;
        if (prefix < w.acked) {
          lost += w.acked - prefix;
          window = Math.max(window, (killNanos - w.ackNanos[prefix]) / 1e9);
          losses.add(String.format("%s: writer %d acked %d commands (last SET seq %d), back %d "
              + "(last SET seq %d)", where, w.id, w.acked, (w.acked + 2) / 3, prefix, s));
        }
        cycleKeys += s + (count > 0 ? 1 : 0) + (m > 0 ? 1 : 0);
      }
      assertThat(c.call("DBSIZE")).as("%s: every cycle's keys", where)
          .isEqualTo(":" + cycleKeys + "\r\n");
    }
    return new Cycle(n, acked, lost, seconds, window);
  }

  /** Starts the server on {@code dir} and waits for it to answer PONG (after loading). */
  private void start(String fsync, Path synced, Path aof) throws Exception {
    output.drainTo(log); // the previous server's last lines
    // what is on disk now is the baseline until the first fsync
    Files.writeString(synced, Long.toString(Files.exists(aof) ? Files.size(aof) : 0));
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // C1 only and the serial collector: a faster start on two cores, the same server
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-Dkiln.aof.syncedOffsetFile=" + synced, "-cp", System.getProperty("java.class.path"),
        "io.kiln.Main", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--dir", dir.toString(), "--appendonly", "yes", "--appendfsync", fsync, "--save", "");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    server = p;
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    io.kiln.support.ProcessLines.pump(p, lines, "aof-crash-server-output");
    log.add("--- start, " + fsync + ", file " + (Files.exists(aof) ? Files.size(aof) : 0)
        + " bytes");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_S);
    while (true) {
      String l = lines.poll(100, TimeUnit.MILLISECONDS);
      if (l != null) {
        log.add(l);
        if (l.contains("Ready to accept connections")) {
          break;
        }
      } else {
        assertThat(p.isAlive()).as("server running after a crash; its log:%n%s",
            String.join("\n", log)).isTrue();
      }
      assertThat(System.nanoTime()).as("server ready within %d s; its log:%n%s", DEADLINE_S,
          String.join("\n", log)).isLessThan(deadline);
    }
    output = lines;
    try (RespClient c = new RespClient("127.0.0.1", port)) {
      String pong;
      while (!(pong = c.call("PING")).equals("+PONG\r\n")) {
        assertThat(pong).as("PING while loading").startsWith("-LOADING");
        assertThat(System.nanoTime()).as("loaded within %d s", DEADLINE_S).isLessThan(deadline);
      }
    }
  }
}
