package io.kiln.persist;

import io.kiln.config.Config;
import io.kiln.rdb.RdbValue;
import io.kiln.rdb.RdbWriter;
import io.kiln.support.TestKiln;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Helpers for the loading tests: RDB files built with RdbWriter, event-loop reads. Test thread. */
final class LoadSupport {
  private LoadSupport() {}

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** One key to write: db, name, value, expire (Unix ms or -1). */
  record Key(int db, String name, String value, long expireMs) {}

  /** Writes an RDB with the standard aux fields and {@code keys} in order. */
  static void write(Path file, Key... keys) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
      RdbWriter w = new RdbWriter(out, new RdbWriter.Options());
      w.writeHeader();
      w.writeStandardAux(System.currentTimeMillis() / 1000, 123_456_789);
      int db = -1;
      for (Key k : keys) {
        if (k.db() != db) {
          db = k.db();
          w.writeSelectDb(db);
        }
        w.writeKey(b(k.name()), new RdbValue.Str(b(k.value())), k.expireMs());
      }
      w.writeEof();
    }
  }

  /** Writes {@code n} keys "k:i" = "v:i" into db 0. */
  static void writeMany(Path file, int n) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      RdbWriter w = new RdbWriter(out, new RdbWriter.Options());
      w.writeHeader();
      w.writeStandardAux(System.currentTimeMillis() / 1000, 987_654_321);
      w.writeSelectDb(0);
      w.writeResizeDb(n, 0);
      for (int i = 0; i < n; i++) {
        w.writeKey(b("k:" + i), new RdbValue.Str(b("v:" + i)), -1);
      }
      w.writeEof();
    }
  }

  static Config config(Path dir, String... directives) throws Exception {
    Config c = Config.defaults().with("port", "0").with("bind", "127.0.0.1").with("save", "")
        .with("dir", dir.toString());
    for (int i = 0; i + 1 < directives.length; i += 2) {
      c.with(directives[i], directives[i + 1]);
    }
    return c;
  }

  /** Runs {@code task} on the shard's event loop and returns its result. */
  static <T> T onLoop(TestKiln kiln, Callable<T> task) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    kiln.kiln().shards().get(0).context().runOnContext(v -> {
      try {
        f.complete(task.call());
      } catch (Throwable t) {
        f.completeExceptionally(t);
      }
    });
    return f.get(10, TimeUnit.SECONDS);
  }

  /** The message of the LoadFailure at the root of a failed start. */
  static String failure(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof LoadFailure) {
        return c.getMessage();
      }
    }
    throw new AssertionError("not a load failure", t);
  }

  static String info(io.kiln.support.RespClient c, String field) {
    String info = c.call("INFO", "persistence");
    for (String line : info.split("\r\n")) {
      if (line.startsWith(field + ":")) {
        return line.substring(field.length() + 1);
      }
    }
    return null;
  }
}
