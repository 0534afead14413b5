package io.kiln.server;

import java.lang.management.ManagementFactory;

/**
 * How many clients the process's file-descriptor limit allows, as Redis's adjustOpenFilesLimit
 * reckons it: the limit, less the descriptors the server had open when it started (the JVM's
 * jars and libraries, event loops, files), less Redis's reserve of 32 for files and pipes opened
 * later. A JVM cannot raise its own limit (it already runs at the hard limit), so maxclients is
 * lowered to fit at startup, and CONFIG SET refuses more. Measured once at startup
 * ({@link #measure}); read from any thread.
 */
public final class FileLimits {
  /** Descriptors kept for the server's own use besides clients (Redis: CONFIG_MIN_RESERVED_FDS). */
  public static final long RESERVED = 32;

  private static volatile long maxFiles = Long.MAX_VALUE;
  private static volatile long openAtStart;

  private FileLimits() {}

  /** Reads the limit and what is open now (called as the server starts, before it listens). */
  public static void measure() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      maxFiles = unix.getMaxFileDescriptorCount();
      openAtStart = unix.getOpenFileDescriptorCount();
    }
  }

  /** The process's open-files limit (Long.MAX_VALUE where unknown). */
  public static long maxFiles() {
    return maxFiles;
  }

  /** The most clients the limit allows, at least 1. */
  public static long clientsAllowed() {
    if (maxFiles == Long.MAX_VALUE) {
      return Long.MAX_VALUE;
    }
    return Math.max(1, maxFiles - openAtStart - RESERVED);
  }
}
