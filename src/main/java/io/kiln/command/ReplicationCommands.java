package io.kiln.command;

import io.kiln.persist.CaptureEngine;
import io.kiln.persist.Snapshot;
import io.kiln.rdb.RdbWriter;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * REPLCONF and SYNC for the one replication client Kiln serves: a connection that asked for
 * {@code REPLCONF rdb-only 1} (redis-cli --rdb and --functions-rdb, the backup recipe) gets a
 * point-in-time RDB of the dataset, as Redis sends it to a replica ({@code $<length>} then the
 * file), or only the functions ({@code rdb-filter-only functions}), or an empty one
 * ({@code rdb-filter-only ""}). Kiln has no replicas: a SYNC that would start a replication
 * stream is refused. The full RDB comes from a capture (no fork, no pause that grows with the
 * dataset) written to a temp file by the snapshot writer, read back off the event loop.
 *
 * <p>Handlers run on the connection's event loop; the REPLCONF state per connection is kept in a
 * synchronized weak map (a closed connection's entry goes with it).
 */
final class ReplicationCommands {
  private static final Logger log = LoggerFactory.getLogger(ReplicationCommands.class);
  /** How often a SYNC waiting for a running capture looks again. */
  private static final long RECHECK_MS = 100;

  private ReplicationCommands() {}

  /** What a connection asked for with REPLCONF. */
  private static final class Request {
    boolean rdbOnly;
    boolean excludeData;
    boolean excludeFunctions;
  }

  private static final Map<Client, Request> requests =
      Collections.synchronizedMap(new WeakHashMap<>());

  static void register(CommandTable t) {
    t.add("replconf", -1, "admin noscript loading stale allow_busy", 0, 0, 0,
        ReplicationCommands::replconf);
    t.add("sync", 1, "admin noscript no_async_loading no_multi", 0, 0, 0,
        ReplicationCommands::sync);
  }

  static void replconf(Client c, byte[][] argv) {
    if (argv.length % 2 == 0) {
      c.error(Errors.SYNTAX);
      return;
    }
    Request r = requests.computeIfAbsent(c, k -> new Request());
    for (int j = 1; j < argv.length; j += 2) {
      byte[] value = argv[j + 1];
      if (Args.is(argv[j], "listening-port")) {
        if (Numbers.toLong(value) == null) {
          c.error(Errors.NOT_INTEGER);
          return;
        }
      } else if (Args.is(argv[j], "ip-address")) {
        if (value.length >= 256) {
          c.error(String.format(Errors.REPLCONF_IP_TOO_LONG, value.length));
          return;
        }
      } else if (Args.is(argv[j], "capa")) {
        continue; // eof, psync2: the RDB is sent with its length either way
      } else if (Args.is(argv[j], "ack") || Args.is(argv[j], "getack")) {
        return; // a replica's offsets: never answered (Kiln has no replicas)
      } else if (Args.is(argv[j], "rdb-only")) {
        Long v = Numbers.toLong(value);
        if (v == null || v < 0 || v > 1) {
          c.error(v == null ? Errors.NOT_INTEGER
              : Errors.ZERO_OR_ONE);
          return;
        }
        r.rdbOnly = v == 1;
      } else if (Args.is(argv[j], "rdb-filter-only")) {
        r.excludeData = true;
        r.excludeFunctions = true;
        for (String f : new String(value, StandardCharsets.ISO_8859_1).trim().split("\\s+")) {
          if (f.equalsIgnoreCase("functions")) {
            r.excludeFunctions = false;
          } else if (!f.isEmpty()) {
            c.error(String.format(Errors.REPLCONF_RDB_FILTER, f));
            return;
          }
        }
      } else {
        c.error(String.format(Errors.REPLCONF_UNKNOWN, Numbers.ascii(argv[j])));
        return;
      }
    }
    c.ok();
  }

  static void sync(Client c, byte[][] argv) {
    Request r = requests.get(c);
    if (r == null || !r.rdbOnly) {
      c.error(Errors.SYNC_NOT_RDB_ONLY);
      return;
    }
    log.info("Replica {} asks for synchronization", c.addr);
    c.suspend();
    Future<byte[]> rdb = r.excludeData ? Future.succeededFuture(functionsOnly(c, r))
        : whenNoCapture(c).compose(v -> fullRdb(c));
    rdb.onComplete(ar -> {
      if (ar.succeeded()) {
        byte[] bytes = ar.result();
        c.out.raw(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        c.out.raw(bytes);
        log.info("Synchronization with replica {} succeeded", c.addr);
      } else {
        log.warn("SYNC failed. BGSAVE child returned an error");
        c.error(Errors.SYNC_FAILED);
      }
      c.flush();
      c.resume();
    });
  }

  /** An RDB of the functions alone (or of nothing): small, written here. */
  private static byte[] functionsOnly(Client c, Request r) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      RdbWriter w = new RdbWriter(bytes, new RdbWriter.Options()
          .checksum(c.kiln.config().getBool("rdbchecksum")));
      w.writeHeader();
      Runtime rt = Runtime.getRuntime();
      w.writeStandardAux(System.currentTimeMillis() / 1000, rt.totalMemory() - rt.freeMemory());
      if (!r.excludeFunctions) {
        for (byte[] code : c.home.scripting().functions().codes()) {
          w.writeFunction(code);
        }
      }
      w.writeEof();
    } catch (IOException e) {
      throw new IllegalStateException(e); // a byte array does not fail
    }
    return bytes.toByteArray();
  }

  /** Completes once no capture runs (a BGSAVE or an AOF rewrite ends first). */
  private static Future<Void> whenNoCapture(Client c) {
    Promise<Void> p = Promise.promise();
    Vertx vertx = c.kiln.vertx();
    Runnable[] check = new Runnable[1];
    check[0] = () -> {
      if (c.home.snapshotter().running()) {
        vertx.setTimer(RECHECK_MS, id -> check[0].run());
      } else {
        p.complete();
      }
    };
    check[0].run();
    return p.future();
  }

  /** The dataset and functions, captured now, written to a temp file, read back and removed. */
  private static Future<byte[]> fullRdb(Client c) {
    CaptureEngine engine = c.kiln.persistence().capture;
    var config = c.kiln.config();
    Path dir = Path.of(config.getString("dir"));
    long pid = ProcessHandle.current().pid();
    String temp = dir.resolve("temp-sync-" + pid + "-" + c.id + ".rdb").toString();
    String target = dir.resolve("temp-sync-" + pid + "-" + c.id + "-done.rdb").toString();
    log.info("Starting BGSAVE for SYNC with target: disk");
    var fs = c.kiln.vertx().fileSystem();
    return engine.start(new Snapshot.RdbFile(temp, target, config.getBool("rdbcompression"),
            config.getBool("rdbchecksum"), false, config.getLong("rdb-key-save-delay")))
        .compose(done -> fs.readFile(target))
        .compose(buffer -> fs.delete(target).otherwiseEmpty().map(v -> buffer.getBytes()));
  }
}
