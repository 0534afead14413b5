package io.kiln;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands back heap that a peak left committed, so RSS follows the data between peaks. G1 grows
 * the heap while keys are loaded or overwritten at full speed (its young collections then copy
 * much and it expands to lower their share of the time, although the young generation is fixed)
 * and gives memory back only at the end of a concurrent cycle, which it starts on its own once
 * the old generation fills the grown heap, or after 15 idle seconds (G1PeriodicGCInterval): a
 * server under steady load never gets the idle one. Measured on 1M hashes of 10 fields loaded by
 * redis-cli --pipe: 1,133 MB RSS as loaded, 487 MB after one concurrent cycle; Redis 274 MB.
 *
 * <p>Once a second this checks the heap committed against what the last young collection left in
 * use; when more than a quarter above it and at least {@link #MIN_WASTE} is free, it starts a
 * concurrent cycle (System.gc() under ExplicitGCInvokesConcurrent), at most once per
 * {@link #INTERVAL_MS}. The cycle marks concurrently with two short pauses; at its end G1 shrinks
 * the heap to MaxHeapFreeRatio ({@link Main#heapTracksData}). Runs only where that holds: G1,
 * ExplicitGCInvokesConcurrent on (else System.gc() is a full stop-the-world collection), a heap
 * that may shrink (not -Xms = -Xmx, as with maxmemory).
 *
 * <p>Thread: its own daemon thread, {@code kiln-heap}; System.gc() blocks it until the cycle ends,
 * and nothing else waits for it.
 */
final class HeapFollower implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(HeapFollower.class);
  static final long MIN_WASTE = 32L << 20;
  static final long INTERVAL_MS = 10_000;

  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final com.sun.management.GarbageCollectorMXBean young;

  private HeapFollower(com.sun.management.GarbageCollectorMXBean young) {
    this.young = young;
  }

  /** Starts the follower where it can help (see the class comment); returns whether it did. */
  static boolean startIfUseful() {
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    if (heap.getInit() >= heap.getMax()) {
      return false;
    }
    try {
      var vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      if (!Boolean.parseBoolean(vm.getVMOption("ExplicitGCInvokesConcurrent").getValue())) {
        return false;
      }
    } catch (IllegalArgumentException e) {
      return false;
    }
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc.getName().equals("G1 Young Generation")
          && gc instanceof com.sun.management.GarbageCollectorMXBean young) {
        Thread t = new Thread(new HeapFollower(young), "kiln-heap");
        t.setDaemon(true);
        t.start();
        return true;
      }
    }
    return false;
  }

  @Override
  public void run() {
    long lastCycle = 0;
    while (true) {
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.currentTimeMillis();
      if (now - lastCycle < INTERVAL_MS) {
        continue;
      }
      var last = young.getLastGcInfo();
      if (last == null) {
        continue;
      }
      long used = 0;
      for (MemoryUsage u : last.getMemoryUsageAfterGc().values()) {
        used += u.getUsed();
      }
      long committed = memory.getHeapMemoryUsage().getCommitted();
      long waste = committed - used;
      if (waste > MIN_WASTE && waste > used / 4) {
        log.debug("Heap committed {} MB, {} MB in use after the last collection: "
            + "starting a concurrent cycle", committed >> 20, used >> 20);
        lastCycle = now;
        System.gc();
      }
    }
  }
}
