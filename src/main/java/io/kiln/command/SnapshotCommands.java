package io.kiln.command;

import io.kiln.persist.Snapshotter;
import io.kiln.server.AofRewrite;
import io.kiln.server.Client;

/**
 * Snapshot commands (server family): SAVE, BGSAVE, LASTSAVE, and BGREWRITEAOF, whose base is a
 * snapshot too. The snapshot itself is taken by {@link Snapshotter} without fork and written by a
 * worker. Event loop.
 */
public final class SnapshotCommands {
  private SnapshotCommands() {}

  static final String IN_PROGRESS = "ERR Background save already in progress";

  static void register(CommandTable t) {
    t.add("save", 1, "admin noscript no_async_loading no_multi", 0, 0, 0,
        SnapshotCommands::save);
    t.add("bgsave", -1, "admin noscript no_async_loading", 0, 0, 0, SnapshotCommands::bgsave);
    t.add("bgrewriteaof", 1, "admin noscript no_async_loading", 0, 0, 0,
        SnapshotCommands::bgrewriteaof);
    t.add("lastsave", 1, "loading stale fast", 0, 0, 0,
        (c, a) -> c.out.integer(c.kiln.persistence().lastSaveSec));
  }

  /**
   * SAVE: the documented blocking save. Every client of the shard is held (their input waits)
   * while the worker writes the file; the event loop itself never blocks.
   */
  static void save(Client c, byte[][] argv) {
    Snapshotter snapshots = c.home.snapshotter();
    if (snapshots.running()) {
      c.error(IN_PROGRESS);
      return;
    }
    c.suspend();
    c.home.holdClients();
    snapshots.save(false).onComplete(ar -> {
      c.home.releaseClients();
      if (ar.succeeded()) {
        c.ok();
      } else {
        c.error("ERR");
      }
      c.resume();
    });
  }

  /**
   * BGREWRITEAOF: rewrites the AOF from a capture of the dataset ({@link AofRewrite}); scheduled
   * while a snapshot runs or inside EXEC.
   */
  static void bgrewriteaof(Client c, byte[][] argv) {
    AofRewrite rewrite = c.home.aofRewrite();
    if (rewrite == null) {
      c.error(Errors.AOF_NOT_ON);
    } else if (rewrite.running()) {
      c.error(Errors.AOF_REWRITE_IN_PROGRESS);
    } else if (c.home.snapshotter().running() || c.inExec()) {
      rewrite.schedule();
      c.out.simple("Background append only file rewriting scheduled");
    } else {
      rewrite.start();
      c.out.simple("Background append only file rewriting started");
    }
  }

  static void bgsave(Client c, byte[][] argv) {
    boolean schedule = false;
    if (argv.length > 1) {
      if (argv.length == 2 && Args.is(argv[1], "schedule")) {
        schedule = true;
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    Snapshotter snapshots = c.home.snapshotter();
    AofRewrite rewrite = c.home.aofRewrite();
    if (rewrite != null && rewrite.running()) {
      if (schedule) {
        snapshots.schedule();
        c.out.simple("Background saving scheduled");
      } else {
        c.error(Errors.BGSAVE_DURING_AOF_REWRITE);
      }
    } else if (snapshots.running()) {
      c.error(IN_PROGRESS);
    } else if (c.inExec()) {
      snapshots.schedule();
      c.out.simple("Background saving scheduled");
    } else {
      snapshots.save(true);
      c.out.simple("Background saving started");
    }
  }
}
