package io.kiln.command;

import io.kiln.persist.Snapshotter;
import io.kiln.resp.Errors;
import io.kiln.server.AofRewrite;
import io.kiln.server.Client;

/**
 * Snapshot commands (server family): SAVE, BGSAVE, LASTSAVE, and BGREWRITEAOF, whose base is a
 * snapshot too, and WAITAOF, which waits for the AOF's fsync. The snapshot itself is taken by {@link Snapshotter} without fork and written by a
 * worker. Event loop.
 */
public final class SnapshotCommands {
  private SnapshotCommands() {}

  static void register(CommandTable t) {
    t.add("save", 1, "admin noscript no_async_loading no_multi", 0, 0, 0,
        SnapshotCommands::save);
    t.add("bgsave", -1, "admin noscript no_async_loading", 0, 0, 0, SnapshotCommands::bgsave);
    t.add("bgrewriteaof", 1, "admin noscript no_async_loading", 0, 0, 0,
        SnapshotCommands::bgrewriteaof);
    t.add("waitaof", 4, "noscript", 0, 0, 0, SnapshotCommands::waitaof);
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
      c.error(Errors.BGSAVE_IN_PROGRESS);
      return;
    }
    c.suspend();
    c.home.holdClients();
    snapshots.save(false).onComplete(ar -> {
      c.home.releaseClients();
      if (ar.succeeded()) {
        c.ok();
      } else {
        c.error(Errors.SAVE_FAILED);
      }
      c.resume();
    });
  }

  /**
   * BGREWRITEAOF: rewrites the AOF from a capture of the dataset ({@link AofRewrite}, or
   * {@link io.kiln.server.OfflineAofRewrite} while appendonly is off); scheduled while a snapshot
   * runs or inside EXEC.
   */
  static void bgrewriteaof(Client c, byte[][] argv) {
    AofRewrite rewrite = c.home.aofRewrite();
    if (rewrite == null) {
      // appendonly off: the base is written all the same, as Redis 7.0 writes it
      if (io.kiln.server.OfflineAofRewrite.running(c.kiln)) {
        c.error(Errors.AOF_REWRITE_IN_PROGRESS);
      } else if (io.kiln.server.OfflineAofRewrite.startOrSchedule(c.kiln, c.home, c.inExec())) {
        c.out.simple("Background append only file rewriting started");
      } else {
        c.out.simple("Background append only file rewriting scheduled");
      }
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

  /**
   * WAITAOF numlocal numreplicas timeout (Redis 7.2): answers [local, replicas] once the
   * client's writes so far are fsynced to the AOF ({@code numlocal} 1) and acknowledged by
   * {@code numreplicas} replicas (there are none: that count stays 0), or at the timeout (ms, 0
   * waits for ever) with the counts reached. Inside MULTI it answers at once.
   */
  static void waitaof(Client c, byte[][] argv) {
    long numlocal = positive(c, argv[1]);
    if (numlocal < 0) {
      return;
    }
    long numreplicas = positive(c, argv[2]);
    if (numreplicas < 0) {
      return;
    }
    Long timeout = io.kiln.resp.Numbers.toLong(argv[3]);
    if (timeout == null) {
      c.error(Errors.TIMEOUT_NOT_INTEGER);
      return;
    }
    long now = System.currentTimeMillis();
    if (timeout < 0) {
      c.error(Errors.TIMEOUT_NEGATIVE);
      return;
    } else if (timeout > Long.MAX_VALUE - now) {
      c.error(Errors.TIMEOUT_OUT_OF_RANGE);
      return;
    }
    var feed = c.home.aofFeed();
    if (numlocal > 0 && !c.kiln.config().getBool("appendonly")) {
      c.error(Errors.WAITAOF_APPENDONLY_OFF);
      return;
    }
    long seq = c.lastWriteSeq();
    Runnable reply = () -> {
      c.out.array(2);
      c.out.integer(feed != null && feed.fsynced(seq) ? 1 : 0);
      c.out.integer(0);
    };
    boolean local = feed != null && feed.fsynced(seq);
    if ((local || numlocal == 0) && numreplicas == 0 || c.inExec() || c.inMulti()) {
      reply.run();
    } else if (numlocal == 1 && numreplicas == 0) {
      feed.waitFsync(c, seq, timeout == 0 ? 0 : now + timeout, reply);
    } else { // more than this server, or replicas there are none of: only the timeout answers
      c.home.blocking().block(c, new byte[0][], timeout == 0 ? 0 : now + timeout,
          new io.kiln.server.Blocking.Handler() {
            @Override
            public boolean serve(io.kiln.keyspace.Db db, byte[] key) {
              return false;
            }

            @Override
            public void timedOut() {
              reply.run();
            }
          });
    }
  }

  /** A non-negative integer argument, or -1 after Redis's error. */
  private static long positive(Client c, byte[] arg) {
    long v = Args.longArg(c, arg);
    if (v == Args.INVALID) {
      return -1;
    }
    if (v < 0) {
      c.error(Errors.NOT_POSITIVE);
      return -1;
    }
    return v;
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
      c.error(Errors.BGSAVE_IN_PROGRESS);
    } else if (c.inExec()) {
      snapshots.schedule();
      c.out.simple("Background saving scheduled");
    } else {
      snapshots.save(true);
      c.out.simple("Background saving started");
    }
  }
}
