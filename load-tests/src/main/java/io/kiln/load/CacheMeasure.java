package io.kiln.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The server side of a cache scenario: how many keys fit under maxmemory (filled until the first
 * eviction), the server's process id and a sampler of its resident set, and the INFO figures of
 * the measured window. Driven from the suite's main thread; the RSS sampler is its own daemon
 * thread, and {@link #warmUpThenSnapshot} starts a short-lived one.
 */
final class CacheMeasure {
  /** What a cache scenario measured on one server. */
  static final class Stats {
    long fitKeys;
    double fillSeconds;
    long fillErrors;
    long usedMemoryAtFit;
    long keyspace;
    long pid;
    /** keyspace_hits, keyspace_misses, evicted_keys at the start and at the end of the window. */
    long[] start;
    long[] end;
    long usedMemoryEnd;
    long dbsizeEnd;
    long peakRssKb;
    long hwmKb;
    int rssSamples;
    double warmupSeconds;
    long warmupEvicted;
    boolean warmupReached;

    long hits() {
      return end[0] - start[0];
    }

    long misses() {
      return end[1] - start[1];
    }

    long evicted() {
      return end[2] - start[2];
    }

    /** keyspace_hits / (hits + misses) over the measured window, or NaN. */
    double hitRatio() {
      if (start == null || end == null) {
        return Double.NaN;
      }
      long t = hits() + misses();
      return t == 0 ? Double.NaN : (double) hits() / t;
    }

    String summary() {
      return String.format(Locale.ROOT, "server hit ratio %.4f, evicted %,d, used_memory %.1f MB, "
          + "peak RSS %.0f MB (VmHWM %.0f MB), %,d keys fit (keyspace %,d), warm-up %.1f s "
          + "(%,d evicted%s), pid %d", hitRatio(), evicted(), usedMemoryEnd / 1048576.0,
          peakRssKb / 1024.0, hwmKb / 1024.0, fitKeys, keyspace, warmupSeconds, warmupEvicted,
          warmupReached ? "" : ", time limit before the target", pid);
    }
  }

  private CacheMeasure() {}

  static final String[] STATS_FIELDS = {"keyspace_hits", "keyspace_misses", "evicted_keys"};

  /**
   * SETs key:0, key:1, ... ({@code valueSize}-byte values, pipelined in batches) until INFO stats
   * reports an eviction or a SET fails (OOM under noeviction); records how many keys were there
   * when that happened (DBSIZE). Gives up past {@code limit} keys.
   */
  static void fill(ControlClient c, Stats st, int valueSize, int batch, long limit) throws IOException {
    long t = System.nanoTime();
    long done = 0;
    while (done < limit) {
      st.fillErrors += c.preloadRange(done, batch, valueSize);
      done += batch;
      if (st.fillErrors > 0 || infoLong(c.call("INFO", "stats"), "evicted_keys") > 0) {
        break;
      }
    }
    st.fillSeconds = (System.nanoTime() - t) / 1e9;
    Object n = c.call("DBSIZE");
    st.fitKeys = n instanceof Long l ? l : done;
    st.usedMemoryAtFit = infoLong(c.call("INFO", "memory"), "used_memory");
    if (done >= limit) {
      throw new IOException("no eviction after " + limit + " keys: is maxmemory set?");
    }
  }

  /** keyspace_hits, keyspace_misses, evicted_keys now. */
  static long[] stats(ControlClient c) throws IOException {
    Object info = c.call("INFO", "stats");
    long[] v = new long[STATS_FIELDS.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = infoLong(info, STATS_FIELDS[i]);
    }
    return v;
  }

  static long infoLong(Object info, String field) throws IOException {
    if (info instanceof ControlClient.Err e) {
      throw new IOException("INFO: " + e.message());
    }
    String v = ControlClient.infoField(info, field);
    if (v == null) {
      throw new IOException("INFO has no " + field);
    }
    return Long.parseLong(v);
  }

  /**
   * Starts the thread that ends {@code run}'s warm-up once the server has evicted
   * {@code turnovers} times the keys that fit since the fill (the cache's content then comes from
   * the workload, whatever the server's speed), and no sooner than {@code minSeconds} (the JIT);
   * the run's own warm-up time is the upper bound. It polls INFO stats every 200 ms, then takes
   * the reading of the window's start into {@code st.start} as soon as the window begins.
   */
  static Thread warmUpThenSnapshot(String host, int port, LoadRun run, Stats st, double turnovers,
      double minSeconds, String[] error) {
    Thread t = new Thread(() -> {
      try (ControlClient c = new ControlClient(host, port, 5000)) {
        long t0 = System.nanoTime();
        long base = stats(c)[2];
        long target = (long) (turnovers * st.fitKeys);
        while (run.measureStartNanos() < 0) {
          long evicted = stats(c)[2] - base;
          if (evicted >= target && System.nanoTime() - t0 >= minSeconds * 1e9) {
            st.warmupReached = true;
            run.endWarmup();
            break;
          }
          Thread.sleep(200);
        }
        while (run.measureStartNanos() < 0) {
          Thread.sleep(1);
        }
        st.start = stats(c);
        st.warmupSeconds = (run.measureStartNanos() - t0) / 1e9;
        st.warmupEvicted = st.start[2] - base;
      } catch (Exception e) {
        error[0] = e.toString();
      }
    }, "cache-warmup");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Samples VmRSS of a process every 100 ms until closed; keeps the largest. */
  static final class RssSampler implements AutoCloseable {
    private final Path status;
    private final Thread thread;
    private volatile boolean stop;
    private volatile long peakKb;
    private volatile int samples;

    RssSampler(long pid) {
      this.status = Path.of("/proc", Long.toString(pid), "status");
      this.thread = new Thread(this::loop, "rss-sampler");
      thread.setDaemon(true);
      thread.start();
    }

    private void loop() {
      while (!stop) {
        sample();
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    private void sample() {
      long kb = statusKb(status, "VmRSS");
      if (kb > 0) {
        peakKb = Math.max(peakKb, kb);
        samples++;
      }
    }

    long peakKb() {
      return peakKb;
    }

    int samples() {
      return samples;
    }

    /** The kernel's own high-water mark of the resident set (VmHWM), or -1. */
    long hwmKb() {
      return statusKb(status, "VmHWM");
    }

    @Override
    public void close() throws InterruptedException {
      sample();
      stop = true;
      thread.interrupt();
      thread.join(1000);
    }
  }

  /** A "Name:   1234 kB" line of /proc/PID/status in kB, or -1. */
  static long statusKb(Path status, String name) {
    try {
      for (String l : Files.readAllLines(status, StandardCharsets.US_ASCII)) {
        if (l.startsWith(name + ":")) {
          return parseKb(l);
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process is gone or the line is odd
    }
    return -1;
  }

  static long parseKb(String line) {
    String v = line.substring(line.indexOf(':') + 1).trim();
    int sp = v.indexOf(' ');
    return Long.parseLong(sp < 0 ? v : v.substring(0, sp));
  }
}
