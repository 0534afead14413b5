package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Effects;
import io.kiln.keyspace.Notify;
import io.kiln.rdb.Dump;
import io.kiln.rdb.RdbWriter;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.resp.RespWriter;
import io.kiln.server.Client;
import io.kiln.types.Values;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS k...]:
 * DUMP here, RESTORE on the target, DEL here on each acknowledgement, as Redis 7.0 does.
 *
 * <p>Redis's MIGRATE is synchronous: its server does nothing else until the target answered.
 * Kiln keeps that atomicity without blocking its event loop: the shard holds every client
 * (as SAVE does) while a worker thread does the transfer, so no other command sees the keys
 * half-moved. A connection per call (Redis caches its sockets for 10 s; it retries a stale
 * cached socket once, which a fresh one never needs). Event loop of the client's shard, but
 * for {@code Transfer.exchange}.
 */
final class Migrate {
  private Migrate() {}

  static void register(CommandTable t) {
    t.add("migrate", -6, "write", 3, 3, 1, Migrate::migrate).keys(Migrate::keyPositions);
  }

  /** Redis's migrateGetKeys: the key argument, or everything after KEYS. */
  static List<int[]> keyPositions(int argc, byte[][] argv, int base) {
    int first = 3;
    int num = 1;
    for (int i = 6; i < argc; i++) {
      byte[] a = argv[base + i];
      if (Args.is(a, "keys")) {
        if (argv[base + 3].length > 0) {
          num = 0; // a syntax error MIGRATE itself reports
        } else {
          first = i + 1;
          num = argc - first;
        }
        break;
      }
      if (Args.is(a, "auth")) {
        i += 1;
      } else if (Args.is(a, "auth2")) {
        i += 2;
      }
    }
    List<int[]> keys = new ArrayList<>(num);
    for (int i = 0; i < num; i++) {
      keys.add(new int[] {first + i, 0}); // Redis flags every one as its first spec: RW access delete
    }
    return keys;
  }

  private static void migrate(Client c, byte[][] argv) {
    boolean copy = false;
    boolean replace = false;
    byte[] user = null;
    byte[] password = null;
    int firstKey = 3;
    int numKeys = 1;
    for (int j = 6; j < argv.length; j++) {
      int more = argv.length - 1 - j;
      if (Args.is(argv[j], "copy")) {
        copy = true;
      } else if (Args.is(argv[j], "replace")) {
        replace = true;
      } else if (Args.is(argv[j], "auth") && more >= 1) {
        password = argv[++j];
      } else if (Args.is(argv[j], "auth2") && more >= 2) {
        user = argv[++j];
        password = argv[++j];
      } else if (Args.is(argv[j], "keys")) {
        if (argv[3].length != 0) {
          c.error(Errors.MIGRATE_KEYS_NEED_EMPTY_KEY);
          return;
        }
        firstKey = j + 1;
        numKeys = argv.length - j - 1;
        break;
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
    }
    long timeout = Args.longArg(c, argv[5]);
    if (timeout == Args.INVALID) {
      return;
    }
    long dbid = Args.longArg(c, argv[4]);
    if (dbid == Args.INVALID) {
      return;
    }
    if (timeout <= 0) {
      timeout = 1000;
    }
    Long port = Numbers.toLong(argv[2]);
    Db db = c.db();
    List<byte[]> keys = new ArrayList<>();
    List<Object> values = new ArrayList<>();
    for (int j = 0; j < numKeys; j++) {
      Object v = db.get(argv[firstKey + j]);
      if (v != null) {
        keys.add(argv[firstKey + j]);
        values.add(v);
      }
    }
    if (keys.isEmpty()) {
      c.out.simple("NOKEY");
      return;
    }
    if (c.inExec() || c.isScript()) {
      // Redis would block its server for the transfer; Kiln's EXEC and scripts cannot wait
      c.error(Errors.MIGRATE_NOT_HERE);
      return;
    }
    if (port == null || port < 0 || port > 65535) {
      c.error(Errors.MIGRATE_IOERR_CONNECT); // Redis's connect fails on such a port
      return;
    }
    RespWriter request = new RespWriter(); // the commands for the target, in RESP
    if (password != null) {
      request.array(user != null ? 3 : 2);
      request.bulk("AUTH");
      if (user != null) {
        request.bulk(user);
      }
      request.bulk(password);
    }
    request.array(2);
    request.bulk("SELECT");
    request.bulkLong(dbid);
    RdbWriter.Options options = new RdbWriter.Options()
        .compression(c.kiln.config().getBool("rdbcompression"));
    long now = System.currentTimeMillis();
    for (int j = 0; j < keys.size(); j++) {
      long at = db.expireAt(keys.get(j));
      long ttl = at > 0 ? Math.max(1, at - now) : 0;
      request.array(replace ? 5 : 4);
      request.bulk("RESTORE");
      request.bulk(keys.get(j));
      request.bulkLong(ttl);
      request.bulk(Dump.serialize(Values.toRdb(values.get(j)), options));
      if (replace) {
        request.bulk("REPLACE");
      }
    }
    new Transfer(c, Numbers.ascii(argv[1]), port.intValue(), (int) Math.min(timeout,
        Integer.MAX_VALUE), request.take(), keys, password != null, copy).start();
  }

  /**
   * One MIGRATE in flight. The socket work (resolve, connect, write, read the replies) is done
   * by a blocking socket on a worker thread, as Redis's own is synchronous: resolving a name on
   * the event loop would read /etc/resolv.conf there. The event loop applies the outcome.
   */
  private static final class Transfer {
    private final Client c;
    private final String host;
    private final int port;
    private final int timeout;
    private final Buffer request;
    private final List<byte[]> keys;
    private final boolean auth;
    private final boolean copy;
    private final long startNanos = System.nanoTime();

    /** The reply lines read, in order, and the I/O error that stopped the reading, if any. */
    private record Outcome(List<String> lines, String ioError) {}

    Transfer(Client c, String host, int port, int timeout, Buffer request, List<byte[]> keys,
        boolean auth, boolean copy) {
      this.c = c;
      this.host = host;
      this.port = port;
      this.timeout = timeout;
      this.request = request;
      this.keys = keys;
      this.auth = auth;
      this.copy = copy;
    }

    void start() {
      c.suspend();
      c.home.blocking().willEndLater(c);
      c.home.holdClients(); // as Redis's synchronous transfer: nothing else runs meanwhile
      int expected = keys.size() + (auth ? 2 : 1);
      Vertx.currentContext().owner().executeBlocking(() -> exchange(expected), false)
          .onComplete(ar -> finish(ar.succeeded() ? ar.result()
              : new Outcome(List.of(), Errors.MIGRATE_IOERR_READ)));
    }

    /** Worker thread: one connection, the whole request, then {@code expected} reply lines. */
    private Outcome exchange(int expected) {
      List<String> lines = new ArrayList<>(expected);
      try (Socket socket = new Socket()) {
        try {
          socket.connect(new InetSocketAddress(host, port), timeout);
        } catch (SocketTimeoutException | UnknownHostException e) {
          return new Outcome(lines, Errors.MIGRATE_IOERR_CONNECT);
        } catch (IOException e) {
          // Redis connects without blocking: a refused connection shows when it writes
          return new Outcome(lines, Errors.MIGRATE_IOERR_WRITE);
        }
        socket.setSoTimeout(timeout);
        try {
          OutputStream out = socket.getOutputStream();
          out.write(request.getBytes());
          out.flush();
        } catch (IOException e) {
          return new Outcome(lines, Errors.MIGRATE_IOERR_WRITE);
        }
        InputStream in = new BufferedInputStream(socket.getInputStream());
        while (lines.size() < expected) {
          String line = readLine(in);
          if (line == null) {
            return new Outcome(lines, Errors.MIGRATE_IOERR_READ);
          }
          lines.add(line);
        }
        return new Outcome(lines, null);
      } catch (IOException e) {
        return new Outcome(lines, Errors.MIGRATE_IOERR_READ);
      }
    }

    /**
     * One reply line without its CRLF (its first 1,023 bytes, as Redis reads into 1 KB), or null
     * at the end of the stream.
     */
    private static String readLine(InputStream in) throws IOException {
      StringBuilder sb = new StringBuilder();
      int b;
      while ((b = in.read()) != -1) {
        if (b == '\n') {
          int n = sb.length();
          return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
        }
        if (sb.length() < 1023) {
          sb.append((char) b);
        }
      }
      return null;
    }

    /**
     * Event loop: deletes each key the target acknowledged (unless COPY), records them as one
     * DEL, replies (OK, the target's first error, or the I/O error) and lets every client go.
     */
    private void finish(Outcome o) {
      boolean failed = true;
      try {
        failed = apply(o);
      } finally { // whatever happens, every client goes on
        c.home.releaseClients();
        c.endedLater((System.nanoTime() - startNanos) / 1000, failed);
        c.resume();
      }
    }

    /** Applies the outcome and replies; true when the reply is an error. */
    private boolean apply(Outcome o) {
      int skip = auth ? 2 : 1;
      String authError = auth && !o.lines.isEmpty() ? error(o.lines.get(0)) : null;
      String selectError = o.lines.size() >= skip ? error(o.lines.get(skip - 1)) : null;
      String targetError = null;
      List<byte[]> deleted = new ArrayList<>();
      Db db = c.db();
      for (int j = skip; j < o.lines.size(); j++) {
        String first = authError != null ? authError
            : selectError != null ? selectError : error(o.lines.get(j));
        if (first != null) {
          if (targetError == null) {
            targetError = first;
          }
        } else if (!copy) {
          byte[] key = keys.get(j - skip);
          if (db.delete(key)) {
            db.notify(Notify.GENERIC, "del", key);
            c.shard.dirty++;
            deleted.add(key);
          }
        }
      }
      if (!deleted.isEmpty()) {
        byte[][] del = new byte[deleted.size() + 1][];
        del[0] = Effects.DEL;
        for (int i = 0; i < deleted.size(); i++) {
          del[i + 1] = deleted.get(i);
        }
        c.shard.effects.rewrite(db.id, del); // propagated as DEL of what the target took
        c.wroteLater();
      }
      if (targetError != null) {
        c.error(Errors.MIGRATE_TARGET_ERROR + targetError);
      } else if (o.ioError != null) {
        c.error(o.ioError);
      } else {
        c.ok();
        return false;
      }
      return true;
    }

    private static String error(String line) {
      return line.startsWith("-") ? line.substring(1) : null;
    }
  }
}
