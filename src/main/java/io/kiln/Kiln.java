package io.kiln;

import io.kiln.command.CommandTable;
import io.kiln.config.Config;
import io.kiln.persist.RdbLoader;
import io.kiln.persist.Rehearsal;
import io.kiln.persist.Snapshot;
import io.kiln.persist.SnapshotWriter;
import io.kiln.server.ConnectionLoop;
import io.kiln.server.Server;
import io.kiln.server.ShardVerticle;
import io.kiln.server.TlsContext;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts Kiln: the one place that wires the packages together. From a configuration it makes
 * the ACL, the {@link Server}, the snapshot writer, the shard verticle and its connection loops,
 * loads the dump file or the AOF, starts the metrics endpoint and, once the server is quiet, the
 * snapshot rehearsal. {@link Main} and the tests call it; no package imports it. Any thread.
 */
public final class Kiln {
  private static final Logger log = LoggerFactory.getLogger(Kiln.class);

  private Kiln() {}

  /**
   * The ACL as the configuration makes it, before the server listens (as Redis loads its users
   * at startup): the default user from requirepass, then the {@code user} directives or the
   * aclfile (never both). Fails with Redis's log line, already logged, when they are not valid.
   */
  private static io.kiln.acl.Acl aclAtStartup(CommandTable table, Config config) {
    io.kiln.acl.Acl acl = new io.kiln.acl.Acl(table.aclCatalog(),
        "allchannels".equals(config.getString("acl-pubsub-default")));
    // The file and command line are read as UTF-8 text; the ACL holds bytes (one char each)
    acl.requirePass(asBytes(config.getString("requirepass")));
    List<List<String>> users = new java.util.ArrayList<>();
    for (List<String> u : config.userDirectives()) {
      List<String> raw = new java.util.ArrayList<>();
      raw.add(u.get(0));
      for (String word : u.subList(1, u.size())) {
        raw.add(asBytes(word));
      }
      users.add(raw);
    }
    String aclFile = config.getString("aclfile");
    for (List<String> u : users) {
      try {
        acl.checkUserDirective(u.subList(1, u.size()));
      } catch (io.kiln.acl.Acl.RuleError e) {
        throw startupFailure("*** FATAL CONFIG FILE ERROR *** " + u.get(0)
            + ": Error in user declaration '" + e.rule + "': "
            + io.kiln.command.AclCommands.problemText(e.kind));
      } catch (io.kiln.acl.Acl.UnmatchedParenthesis e) {
        throw startupFailure("*** FATAL CONFIG FILE ERROR *** " + u.get(0)
            + ": Error in user declaration '" + e.rule + "': Wrong format");
      }
    }
    if (!aclFile.isEmpty() && !users.isEmpty()) {
      throw startupFailure("Configuring Redis with users defined in redis.conf and at the same "
          + "setting an ACL file path is invalid. This setup is very likely to lead to "
          + "configuration errors and security holes, please define either an ACL file or "
          + "declare users directly in your redis.conf, but not both.");
    }
    List<List<String>> named = new java.util.ArrayList<>();
    for (List<String> u : users) {
      named.add(u.subList(1, u.size()));
    }
    String error = acl.loadConfigured(named, io.kiln.command.AclCommands::problemText);
    if (error != null) {
      log.warn(error);
      throw startupFailure("Critical error while loading ACLs. Exiting.");
    }
    if (!aclFile.isEmpty()) {
      java.nio.file.Path path = io.kiln.command.AclCommands.aclPath(config);
      String content;
      try {
        content = java.nio.file.Files.readString(path, java.nio.charset.StandardCharsets.ISO_8859_1);
      } catch (java.io.IOException e) {
        throw startupFailure("Aborting Redis startup because of ACL errors: Error loading ACLs, "
            + "opening file '" + aclFile + "': " + io.kiln.config.IoErrors.reason(e));
      }
      io.kiln.acl.Acl.Loaded loaded = acl.parseFile(aclFile, content,
          io.kiln.command.AclCommands::problemText);
      if (loaded.errors() != null) {
        throw startupFailure("Aborting Redis startup because of ACL errors: " + loaded.errors());
      }
      acl.install(loaded.users());
    }
    return acl;
  }

  /** A config file's text as the ACL keeps bytes: its UTF-8 bytes, one char each. */
  private static String asBytes(String text) {
    return new String(text.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private static io.kiln.persist.LoadFailure startupFailure(String line) {
    log.warn(line);
    return new io.kiln.persist.LoadFailure(line, null);
  }

  /**
   * Starts a server on {@code config}; completes once it accepts connections. Unlike the launcher
   * (which exits on {@code port 0} with nothing else to listen on, as redis-server does), port 0
   * here listens on any free port when neither tls-port nor unixsocket is set: tests and
   * embedders read it back from {@link Server#port()}. Beside those, port 0 turns plain TCP off.
   */
  public static Future<Server> start(Config config) {
    return start(config, k -> { });
  }

  /**
   * As {@link #start(Config)}, calling {@code listening} on the shard's event loop once the port
   * is bound, before the dump or AOF is loaded (the launcher logs Redis's "PID:" line there, as
   * redis-server prints its banner before loading).
   */
  public static Future<Server> start(Config config, java.util.function.Consumer<Server> listening) {
    io.kiln.persist.AofStartup aof;
    try {
      aof = io.kiln.persist.AofStartup.plan(config);
    } catch (java.io.IOException e) {
      return Future.failedFuture(new io.kiln.persist.LoadFailure("Bad append only manifest: "
          + e.getMessage() + ". Exiting.", e));
    }
    CommandTable table = CommandTable.standard();
    io.kiln.acl.Acl acl;
    try {
      acl = aclAtStartup(table, config);
    } catch (io.kiln.persist.LoadFailure e) {
      return Future.failedFuture(e);
    }
    Server kiln = new Server(config, table, acl);
    ShardVerticle verticle = new ShardVerticle(kiln, 0);
    Snapshot.registerCodecs(kiln.vertx().eventBus());
    io.kiln.persist.Aof.registerCodecs(kiln.vertx().eventBus());
    // The snapshot writer has a pool of its own: a save never delays another worker's disk work.
    DeploymentOptions snapshotWorker = new DeploymentOptions()
        .setThreadingModel(ThreadingModel.WORKER).setWorkerPoolName("kiln-snapshot")
        .setWorkerPoolSize(1);
    // Listen first, then load the dump file; loading:1 holds from the first accepted connection.
    java.nio.file.Path dump = aof == null ? RdbLoader.startupFile(config) : aof.dump();
    kiln.persistence().loading = dump != null || aof != null;
    if (kiln.persistence().loading) {
      // INFO's loading fields hold together from the first connection on (caller's thread).
      kiln.persistence().loadingStartSec = System.currentTimeMillis() / 1000;
      try {
        kiln.persistence().loadingTotalBytes = dump == null ? 0 : java.nio.file.Files.size(dump);
      } catch (java.io.IOException e) {
        // the loader reports the unreadable file
      }
    }
    // A context-free promise: a failure must reach the caller even though Vert.x is closed
    // right after (a future bound to a Vert.x context can no longer call back once it closed,
    // and the launcher then exited 0 without a word when the port was in use).
    Promise<Server> result = Promise.promise();
    SnapshotWriter writer = new SnapshotWriter(config.getString("bgsave_cpulist"));
    // As Redis: the TLS context is built (certificate and key files read, on a worker) before
    // anything listens, and a bad one stops the start
    Future<?> tls = !Server.usesTls(config) ? Future.succeededFuture()
        : kiln.vertx().executeBlocking(() -> TlsContext.build(config), false)
            .onSuccess(kiln::initialTls);
    tls.compose(t -> kiln.vertx().deployVerticle(writer, snapshotWorker))
        .compose(w -> kiln.vertx().deployVerticle(verticle))
        .compose(id -> ConnectionLoop.deployBeside(kiln, verticle))
        .compose(id -> {
          kiln.bound(verticle);
          listening.accept(kiln);
          if (aof != null) {
            return aof.run(kiln, verticle).map(kiln);
          }
          if (dump == null) {
            return Future.succeededFuture(kiln);
          }
          RdbLoader loader = RdbLoader.start(kiln, verticle, dump);
          kiln.loader(loader);
          return loader.future().map(v -> kiln);
        })
        .compose(k -> k.metrics() == null ? Future.succeededFuture(k)
            : k.metrics().start(k).map(k))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            kiln.started();
            rehearseWhenQuiet(kiln, verticle);
            result.complete(kiln);
            return;
          }
          // Close from outside Vert.x: a load failure arrives on the shard's event loop, which
          // the close terminates, so a callback bound to it would never run.
          java.util.concurrent.ForkJoinPool.commonPool().execute(() ->
              kiln.vertx().close().onComplete(v -> result.fail(ar.cause())));
        });
    return result.future();
  }

  /**
   * Starts the rehearsal of the snapshot code ({@link Rehearsal}) at the first second in which
   * the shard served no command: right after a start under load it would take a core from the
   * clients (2 cores, fresh servers, 3+10 s windows: 0.20-0.66x Redis's ops with it running,
   * 0.70-1.11x without). A server loaded from its first second rehearses at its first quiet one;
   * a save before that runs on cold code. The timer runs on the shard's event loop.
   */
  private static void rehearseWhenQuiet(Server kiln, ShardVerticle verticle) {
    verticle.execute(() -> {
      long[] served = {verticle.shard().stats.commandsProcessed};
      kiln.vertx().setPeriodic(1000, id -> {
        long now = verticle.shard().stats.commandsProcessed;
        if (!kiln.stopping() && now != served[0]) {
          served[0] = now;
          return;
        }
        kiln.vertx().cancelTimer(id);
        if (kiln.stopping()) {
          return;
        }
        try {
          Rehearsal r = Rehearsal.start(kiln, verticle.context());
          kiln.rehearsal(r);
          if (kiln.stopping()) { // a stop() that came before the line above did not see it
            r.stop();
          }
        } catch (RuntimeException e) { // never in the way of a start
          log.debug("No snapshot rehearsal: {}", e.toString());
        }
      });
    });
  }

}
