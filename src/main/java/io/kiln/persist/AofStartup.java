package io.kiln.persist;

import io.kiln.server.Server;
import io.kiln.aof.AofManifest;
import io.kiln.config.Config;
import io.kiln.server.ShardVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a start with {@code appendonly yes} loads, and the AOF it then appends to. The AOF wins
 * over dump.rdb, as in Redis:
 * <ol>
 *   <li>{@code dir}/{@code appendfilename} exists: it is loaded (RDB preamble and commands);
 *   <li>else a Redis 7 {@code appenddirname}/ with its manifest exists: its base and incr files
 *       are loaded, and Kiln's single file is written from the dataset (the directory is left
 *       as it is);
 *   <li>else dump.rdb exists: it is loaded and the AOF written from it (beyond Redis, which
 *       would start empty and lose the dump at the next save);
 *   <li>else the server starts empty with an empty AOF.
 * </ol>
 * Loading stays on until the AOF writer takes writes, so no write goes unrecorded.
 *
 * <p>Threads: {@link #plan} runs on the starting thread; {@link #run} is called on the shard's
 * event loop and its steps continue there.
 */
public final class AofStartup {
  private static final Logger log = LoggerFactory.getLogger(AofStartup.class);

  private final Path aofFile;
  private final List<Path> files;
  private final Path dump;
  private final String source;

  private AofStartup(Path aofFile, List<Path> files, Path dump, String source) {
    this.aofFile = aofFile;
    this.files = files;
    this.dump = dump;
    this.source = source;
  }

  /** The plan for this config, or null when appendonly is off. Any thread. */
  public static AofStartup plan(Config config) throws IOException {
    if (!config.getBool("appendonly")) {
      return null;
    }
    Path dir = Path.of(config.getString("dir"));
    String name = config.getString("appendfilename");
    Path aofFile = dir.resolve(name);
    removeRewriteLeftovers(dir);
    if (Files.exists(aofFile)) {
      return new AofStartup(aofFile, List.of(aofFile), null, null);
    }
    Path manifest = AofManifest.find(dir, config.getString("appenddirname"), name);
    if (manifest != null) {
      AofManifest m = AofManifest.read(manifest);
      List<Path> files = new ArrayList<>();
      if (m.base() != null) {
        files.add(m.base());
      }
      files.addAll(m.incrs());
      return new AofStartup(aofFile, files, null, manifest.getParent().toString());
    }
    Path dumpFile = dir.resolve(config.getString("dbfilename"));
    if (Files.exists(dumpFile)) {
      return new AofStartup(aofFile, List.of(), dumpFile, dumpFile.toString());
    }
    return new AofStartup(aofFile, List.of(), null, null);
  }

  /**
   * A rewrite cut short by a stop or a crash leaves its temp files (the new base, the buffer's
   * spill); the live file never depends on them, so they go at the next start.
   */
  private static void removeRewriteLeftovers(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (var files = Files.newDirectoryStream(dir, "temp-rewriteaof-*.aof")) {
      for (Path f : files) {
        log.info("Removing the unfinished AOF rewrite file {}", f.getFileName());
        Files.deleteIfExists(f);
      }
    }
  }

  /** The dump file this start loads instead of an AOF, or null. */
  public Path dump() {
    return dump;
  }

  /**
   * Loads, writes the AOF's base when it came from elsewhere, deploys the writer and starts the
   * shard's feed. Called on the shard's event loop; completes there.
   */
  public Future<Void> run(Server kiln, ShardVerticle verticle) {
    Future<Void> loaded;
    if (!files.isEmpty()) {
      if (source != null) {
        log.info("Loading the Redis 7 append only directory {}", source);
      }
      AofLoader loader = AofLoader.start(kiln, verticle, files);
      kiln.aofLoader(loader);
      loaded = loader.future();
    } else if (dump != null) {
      loaded = RdbLoader.start(kiln, verticle, dump).future();
    } else {
      loaded = Future.succeededFuture();
    }
    return loaded.compose(v -> {
      // The loaders complete on the event loop, and this runs in the same task: the RDB loader
      // turned loading off, and it is on again before any client's command can run.
      kiln.persistence().loading = true;
      kiln.aofLoader(null);
      return Future.<Void>succeededFuture();
    }).compose(v -> {
      if (source == null) {
        return Future.succeededFuture();
      }
      log.info("Creating the append only file {} from {}", aofFile, source);
      Promise<Void> written = Promise.promise();
      verticle.execute(() -> verticle.aofBase().write(aofFile).onComplete(ar -> {
        if (ar.succeeded()) {
          written.complete();
        } else {
          written.fail(new LoadFailure("Can't create the append only file " + aofFile + ": "
              + ar.cause().getMessage() + ". Exiting.", ar.cause()));
        }
      }));
      return written.future();
    }).compose(v -> kiln.vertx().executeBlocking(() -> { // file I/O: not on the loop
      kiln.aofStatus().baseSize = Files.exists(aofFile) ? Files.size(aofFile) : 0;
      return null;
    }, false)).compose(v -> deployWriter(kiln, aofFile, false).<Void>mapEmpty()
        .recover(err -> Future.failedFuture(new LoadFailure("Can't open the append only file "
            + aofFile + ": " + err.getMessage() + ". Exiting.", err))))
        .compose(v -> AofLoader.onLoop(verticle, () -> {
      verticle.startAof();
      kiln.aofStatus().enabled = true;
      kiln.persistence().loading = false;
    }));
  }

  /**
   * Deploys the AOF writer on {@code aofFile} in a worker pool of its own (one thread); with
   * {@code waitRewrite} the file is the first rewrite's (a runtime switch-on). Any thread;
   * completes with the deployment's id.
   */
  public static Future<String> deployWriter(Server kiln, Path aofFile, boolean waitRewrite) {
    DeploymentOptions options = new DeploymentOptions()
        .setThreadingModel(ThreadingModel.WORKER).setWorkerPoolName("kiln-aof")
        .setWorkerPoolSize(1);
    return kiln.vertx().deployVerticle(new AofWriter(aofFile, kiln.config(), kiln.aofStatus(),
        kiln.aofMeters(), kiln::fatal, waitRewrite), options).onSuccess(kiln::aofWriter);
  }
}
