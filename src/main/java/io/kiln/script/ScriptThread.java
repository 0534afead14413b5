package io.kiln.script;

import java.util.concurrent.locks.LockSupport;

/**
 * The thread a shard's scripts run on, in slices, so that a long script never holds the shard's
 * event loop. The event loop hands a script over ({@link #start}) and waits for it, as if it ran
 * the script itself, but at most one slice ({@link #SLICE_NANOS}): then the script pauses where
 * it is (in the Lua hook or between two redis.call) and the event loop goes back to its sockets,
 * resuming the script on its next turn ({@link #resume}). Between two slices the script is
 * suspended, so the shard's data is only ever touched by one thread at a time, and the hand-over
 * (a volatile write and read) orders what each saw. A script that ends within its first slice,
 * the common case, costs two thread hand-offs and no more.
 *
 * <p>Why not the event loop itself: a running Lua interpreter cannot be set aside mid-script and
 * resumed later from the loop's stack, and a script must not hold the loop for seconds (Redis
 * keeps answering -BUSY then, and SCRIPT KILL). Why not a thread of its own that runs while the
 * loop serves other clients: the shard's data, connections and timers belong to the loop; the
 * slice keeps one owner at a time.
 *
 * <p>Threads: {@link #start} and {@link #resume} on the shard's event loop; {@link #checkSlice}
 * and {@link #newSlice} on the script thread.
 */
public final class ScriptThread {
  /** Longest time the event loop waits for a script before serving its sockets again. */
  public static final long SLICE_NANOS = 2_000_000;
  /**
   * How long each side busy-waits for the other before parking: most scripts end within a few
   * microseconds, and under load the next one comes as soon; a park and its wake-up cost 10-50
   * us on a busy machine, more than the script (measured: 16 us per EVALSHA with 300 spins).
   */
  private static final long SPIN_NANOS = 50_000;

  private static final int IDLE = 0;
  private static final int RUNNING = 1;
  private static final int PAUSED = 2;
  private static final int DONE = 3;

  private final Thread thread;
  private final Runnable warmUp;
  private volatile int state = IDLE;
  private volatile Thread waiter;
  /** The job to run, written before {@code state} becomes RUNNING. */
  private Runnable job;
  /** False: the script runs to its end (inside EXEC). */
  private volatile boolean sliced;
  private long sliceEnd;

  /**
   * A script thread that first runs {@code warmUp} on its own (loading Lua's native code takes
   * 100 ms or more in a fresh JVM: better done before the event loop waits for a first script).
   */
  public ScriptThread(String name, Runnable warmUp) {
    this.warmUp = warmUp;
    // a big stack: Lua's C code runs on it, and so does the conversion of deeply nested results
    thread = new Thread(null, this::loop, name, 64L << 20);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Event loop: runs {@code work} on the script thread and waits; true when it ended, false when
   * it paused at the end of a slice ({@link #resume} goes on). {@code slicedRun} false: waits for
   * the end whatever it takes (a script inside EXEC).
   */
  public boolean start(Runnable work, boolean slicedRun) {
    if (state != IDLE) {
      throw new IllegalStateException("a script is already running");
    }
    waiter = Thread.currentThread();
    sliced = slicedRun;
    job = work;
    state = RUNNING;
    LockSupport.unpark(thread);
    return await();
  }

  /** Event loop: the next slice of a paused script; true when it ended. */
  public boolean resume() {
    if (state != PAUSED) {
      throw new IllegalStateException("no paused script");
    }
    waiter = Thread.currentThread();
    state = RUNNING;
    LockSupport.unpark(thread);
    return await();
  }

  private boolean await() {
    long spinUntil = System.nanoTime() + SPIN_NANOS;
    int polls = 0;
    while (true) {
      int s = state;
      if (s == DONE) {
        state = IDLE;
        return true;
      }
      if (s == PAUSED) {
        return false;
      }
      if ((++polls & 63) != 0 || System.nanoTime() < spinUntil) {
        Thread.onSpinWait();
      } else {
        LockSupport.parkNanos(this, 100_000);
      }
    }
  }

  /**
   * Script thread, from the Lua hook and before each command a script calls: when the slice is
   * over, hands the shard back to the event loop and waits for the next slice.
   */
  public void checkSlice() {
    if (!sliced || System.nanoTime() < sliceEnd) {
      return;
    }
    state = PAUSED;
    LockSupport.unpark(waiter);
    while (state != RUNNING) {
      LockSupport.park(this);
    }
    sliceEnd = System.nanoTime() + SLICE_NANOS;
  }

  /** Script thread: the running script's slice starts now. */
  public void newSlice() {
    sliceEnd = System.nanoTime() + SLICE_NANOS;
  }

  private void loop() {
    try {
      warmUp.run();
    } catch (Throwable t) {
      org.slf4j.LoggerFactory.getLogger(ScriptThread.class)
          .warn("Warming up the script thread failed: {}", t.toString());
    }
    while (true) {
      long spinUntil = System.nanoTime() + SPIN_NANOS;
      int polls = 0;
      while (state != RUNNING) {
        if ((++polls & 63) != 0 || System.nanoTime() < spinUntil) {
          Thread.onSpinWait(); // the next script of a busy loop comes in microseconds
        } else {
          LockSupport.park(this);
        }
      }
      Runnable work = job;
      job = null;
      sliceEnd = System.nanoTime() + SLICE_NANOS;
      try {
        work.run();
      } catch (Throwable t) {
        org.slf4j.LoggerFactory.getLogger(ScriptThread.class)
            .warn("A script ended with an internal error: {}", t.toString());
      }
      state = DONE;
      LockSupport.unpark(waiter);
    }
  }
}
