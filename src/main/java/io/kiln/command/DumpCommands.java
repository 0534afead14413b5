package io.kiln.command;

import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Effects;
import io.kiln.keyspace.Notify;
import io.kiln.rdb.Dump;
import io.kiln.rdb.RdbException;
import io.kiln.rdb.RdbValue;
import io.kiln.rdb.RdbWriter;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import io.kiln.types.Values;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DUMP and RESTORE: values in Redis 7.0's DUMP payload format (see {@link Dump}). A payload that
 * does not read, or of a type Kiln cannot hold (streams, modules), answers "ERR Bad data format"
 * and says why in the log at verbose level, as Redis does. Event loop of the client's shard.
 */
public final class DumpCommands {
  private static final Logger log = LoggerFactory.getLogger(DumpCommands.class);

  private DumpCommands() {}

  static void register(CommandTable t) {
    t.add("dump", 2, "readonly", 1, 1, 1, DumpCommands::dump);
    t.add("restore", -4, "write denyoom", 1, 1, 1, DumpCommands::restore);
  }

  static void dump(Client c, byte[][] argv) {
    Object v = c.db().get(argv[1]);
    if (v == null) {
      c.out.nullBulk();
      return;
    }
    RdbWriter.Options options = new RdbWriter.Options()
        .compression(c.kiln.config().getBool("rdbcompression"));
    c.out.bulk(Dump.serialize(Values.toRdb(v), options));
  }

  /**
   * sanitize-dump-payload: yes validates every payload in full; clients does for the clients'
   * RESTORE but not for one replayed from the AOF (Redis skips it while loading) nor for a user
   * with the skip-sanitize-payload flag; no never.
   */
  private static boolean deepSanitization(Client c) {
    return switch (c.kiln.config().getString("sanitize-dump-payload")) {
      case "yes" -> true;
      case "clients" -> !c.shard.replaying
          && !(c.user() != null && c.user().skipsSanitizePayload());
      default -> false;
    };
  }

  /**
   * Sends {@code error} once the line logged before it is written (Redis's log is synchronous:
   * its tests read the reason right after the reply); the event loop goes on meanwhile, this
   * client waits. Inside EXEC, a script or an AOF replay the reply cannot wait: it goes at once.
   */
  private static void replyAfterLogged(Client c, String error) {
    if (c.inExec() || c.suspended() || c.shard.replaying) {
      c.error(error);
      return;
    }
    c.suspend();
    io.vertx.core.Context loop = io.vertx.core.Vertx.currentContext();
    io.kiln.server.AsyncLog.afterWritten(() -> loop.runOnContext(v -> {
      c.error(error);
      c.resume();
    }));
  }

  static void restore(Client c, byte[][] argv) {
    boolean replace = false;
    boolean absTtl = false;
    long idle = -1;
    long freq = -1;
    for (int j = 4; j < argv.length; j++) {
      boolean more = j + 1 < argv.length;
      if (Args.is(argv[j], "replace")) {
        replace = true;
      } else if (Args.is(argv[j], "absttl")) {
        absTtl = true;
      } else if (Args.is(argv[j], "idletime") && more && freq == -1) {
        Long v = Numbers.toLong(argv[j + 1]);
        if (v == null) {
          c.error(Errors.NOT_INTEGER);
          return;
        }
        if (v < 0) {
          c.error(Errors.RESTORE_IDLETIME);
          return;
        }
        idle = v;
        j++;
      } else if (Args.is(argv[j], "freq") && more && idle == -1) {
        Long v = Numbers.toLong(argv[j + 1]);
        if (v == null) {
          c.error(Errors.NOT_INTEGER);
          return;
        }
        if (v < 0 || v > 255) {
          c.error(Errors.RESTORE_FREQ);
          return;
        }
        freq = v;
        j++;
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    byte[] key = argv[1];
    if (!replace && c.db().exists(key)) {
      c.error(Errors.BUSYKEY);
      return;
    }
    Long ttlArg = Numbers.toLong(argv[2]);
    if (ttlArg == null) {
      c.error(Errors.NOT_INTEGER);
      return;
    }
    long ttl = ttlArg;
    if (ttl < 0) {
      c.error(Errors.RESTORE_TTL);
      return;
    }
    RdbValue value;
    try {
      value = Dump.restore(argv[3], key, deepSanitization(c), !c.kiln.skipChecksumValidation(),
          n -> c.shard.stats.dumpPayloadSanitizations += n);
    } catch (RdbException e) {
      if (e.getCause() == null || !log.isDebugEnabled()) {
        c.error(e.getMessage());
        return;
      }
      // Redis logs why at verbose level, and replies only "Bad data format"
      log.debug("Bad RESTORE payload: {}", e.getCause().getMessage());
      replyAfterLogged(c, e.getMessage());
      return;
    }
    Object stored = Values.fromRdb(value, c.kiln.config());
    if (stored == null) {
      // A type this Kiln cannot hold yet.
      c.error(Errors.BAD_DATA_FORMAT);
      return;
    }
    boolean deleted = replace && c.db().delete(key);
    long now = c.shard.now();
    if (ttl != 0 && !absTtl) {
      ttl += now;
    }
    if (ttl != 0 && ttl <= now && !c.shard.replaying) {
      // Already expired: the key is not created (a replaced one stays deleted).
      if (deleted) {
        c.shard.dirty++;
        c.shard.effects.rewrite(c.dbIndex(), Effects.DEL, key);
        c.db().notify(Notify.GENERIC, "del", key);
      }
      c.ok();
      return;
    }
    c.db().set(key, stored, ttl);
    if (idle >= 0 || freq >= 0) {
      Dict.Node<Object> n = c.db().node(key);
      if (n != null) {
        n.lru = c.shard.restoredAccess(idle, (int) freq);
      }
    }
    c.shard.dirty++;
    if (ttl != 0 && !absTtl) { // the AOF gets the absolute time
      byte[][] effect = java.util.Arrays.copyOf(argv, argv.length + 1);
      effect[2] = Effects.num(ttl);
      effect[argv.length] = Effects.ascii("ABSTTL");
      c.shard.effects.rewrite(c.dbIndex(), effect);
    }
    c.db().notify(Notify.GENERIC, "restore", key);
    c.ok();
  }
}
