package io.kiln.server;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;

/**
 * maxmemory under the noeviction policy, until Kiln counts its dataset as Redis's allocator
 * does: denyoom commands are refused with Redis's OOM error once the heap's live data (what the
 * last garbage collection kept; before the first one, the heap in use) is above maxmemory. The
 * live set, not the heap in use, so that garbage waiting for the collector never refuses a
 * write; it lags by one collection. The eviction policies (allkeys-lru & co) are not done:
 * with them nothing is refused, as before. Read from any event loop; the figure is refreshed
 * at most every {@link #REFRESH_NANOS}.
 */
final class MaxMemory {
  private MaxMemory() {}

  static final String OOM = "OOM command not allowed when used memory > 'maxmemory'.";
  private static final long REFRESH_NANOS = 50_000_000;
  private static final List<MemoryPoolMXBean> HEAP = ManagementFactory.getMemoryPoolMXBeans()
      .stream().filter(p -> p.getType() == MemoryType.HEAP && p.getCollectionUsage() != null)
      .toList();
  private static volatile long live;
  private static volatile long measuredAt = System.nanoTime() - 2 * REFRESH_NANOS;

  /** True when {@code limit} (maxmemory under noeviction, 0: none) is exceeded. */
  static boolean over(long limit) {
    return limit > 0 && live() > limit;
  }

  private static long live() {
    long now = System.nanoTime();
    if (now - measuredAt > REFRESH_NANOS) {
      long afterGc = 0;
      for (MemoryPoolMXBean p : HEAP) {
        afterGc += p.getCollectionUsage().getUsed();
      }
      if (afterGc == 0) { // no collection yet
        Runtime rt = Runtime.getRuntime();
        afterGc = rt.totalMemory() - rt.freeMemory();
      }
      live = afterGc;
      measuredAt = now;
    }
    return live;
  }
}
