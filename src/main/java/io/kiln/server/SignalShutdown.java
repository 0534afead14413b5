package io.kiln.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shutdown asked for by SIGTERM or SIGINT, as Redis 7.0 schedules it: the signal only sets a
 * request (Redis's shutdown_asap), the periodic job carries it out with the flags of
 * shutdown-on-sigterm or shutdown-on-sigint, and until then SHUTDOWN ABORT can cancel it (with
 * DEBUG PAUSE-CRON 1 it waits as long as the job is paused). A second SIGINT while the request
 * stands (a final save running, say) exits at once with status 1, its temp RDB removed.
 *
 * <p>Kiln has no replicas, so a shutdown is never left waiting for them: with no replicas Redis
 * finishes at once too, and shutdown-timeout never comes into play.
 *
 * <p>Threads: {@link #signalled} runs on the JVM's signal thread; everything else on the shard's
 * event loop. The request is a volatile field read by both.
 */
public final class SignalShutdown {
  private static final Logger log = LoggerFactory.getLogger(SignalShutdown.class);

  private final Server kiln;
  /** The signal ("TERM", "INT") whose shutdown is requested, or null. */
  private volatile String requested;
  /** The requested shutdown is under way (its final save runs). Event loop. */
  private boolean running;
  /** What the process does on a second SIGINT (tests replace the exit). */
  private final Runnable exitNow;

  public SignalShutdown(Server kiln, Runnable exitNow) {
    this.kiln = kiln;
    this.exitNow = exitNow;
  }

  /** SIGTERM or SIGINT ({@code name} "TERM" or "INT") arrived. Signal thread. */
  public void signalled(String name) {
    if (requested != null && name.equals("INT")) {
      log.warn("You insist... exiting now.");
      removeTempRdb();
      exitNow.run();
      return;
    }
    requested = name; // before the line: who reads the line finds the request set
    if (kiln.persistence().loading) {
      log.warn("Received shutdown signal during loading, scheduling shutdown.");
    } else {
      log.warn("Received SIG{} scheduling shutdown...", name);
    }
  }

  /**
   * SHUTDOWN ABORT: cancels a signal's shutdown that has not started; false when none is
   * pending. Event loop.
   */
  public boolean abort() {
    if (requested == null || running) {
      return false;
    }
    requested = null;
    log.info("Shutdown manually aborted.");
    return true;
  }

  /**
   * The periodic job's turn (skipped while DEBUG PAUSE-CRON holds it): a pending request starts
   * the shutdown; one that fails (its final save, say) keeps the server running, and a later
   * signal tries again. Event loop.
   */
  public void cron() {
    String sig = requested;
    if (sig == null || running) {
      return;
    }
    running = true;
    String flags = kiln.config().getString(sig.equals("INT") ? "shutdown-on-sigint"
        : "shutdown-on-sigterm");
    Boolean save = null;
    boolean force = false;
    for (String f : flags.split(" ")) {
      switch (f) {
        case "save" -> save = Boolean.TRUE;
        case "nosave" -> save = Boolean.FALSE;
        case "force" -> force = true;
        default -> { } // "default", and "now": there are no replicas to wait for
      }
    }
    kiln.shutdown(save, force); // a failure calls cancelled()
  }

  /**
   * A shutdown failed (its final save): the server keeps running and a pending signal's request
   * goes with it, as Redis's cancelShutdown clears it; a later signal tries again. Event loop.
   */
  public void cancelled() {
    running = false;
    requested = null;
  }

  /** The temp file of a save in progress, removed before a forced exit (Redis's handler does). */
  private void removeTempRdb() {
    Path temp = Path.of(kiln.config().getString("dir"))
        .resolve("temp-" + ProcessHandle.current().pid() + ".rdb");
    try {
      Files.deleteIfExists(temp);
    } catch (IOException e) {
      log.warn("Failed to remove the temp RDB file {}: {}", temp, e.getMessage());
    }
  }
}
