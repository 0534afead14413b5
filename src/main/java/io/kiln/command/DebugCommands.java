package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.persist.AofLoader;
import io.kiln.persist.RdbLoader;
import io.kiln.persist.Snapshotter;
import io.kiln.server.Client;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DEBUG: SLEEP, SET-ACTIVE-EXPIRE, PAUSE-CRON, SET-SKIP-CHECKSUM-VALIDATION, OBJECT, DIGEST,
 * DIGEST-VALUE, POPULATE, LOG, RELOAD, LOADAOF, ASSERT, HELP. Gated by
 * enable-debug-command in Client. Nothing here blocks the event loop: SLEEP suspends only the
 * calling client on a timer, and POPULATE inserts in slices of at most 5 ms, one per 1 ms timer,
 * suspending its client until the last slice. DIGEST still walks the dataset in one go, and OBJECT
 * serializes the value to measure it, as Redis does. Event loop of the client's shard.
 */
public final class DebugCommands {
  private static final Logger log = LoggerFactory.getLogger(DebugCommands.class);

  private DebugCommands() {}

  /** Longest stretch one POPULATE chunk may hold the event loop. */
  static final long CHUNK_NANOS = 5_000_000;

  private static final String[] HELP = {
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ASSERT",
    "    Fail an internal assertion: logged as a bug report; the server exits when",
    "    use-exit-on-panic is yes. This connection gets no reply.",
    "DIGEST",
    "    Hex digest of the whole dataset (all zeros when empty).",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Hex digest of the value of each key.",
    "LOADAOF",
    "    Write what is pending to the append only file, empty the dataset and load the file back.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Low level details of the value at <key>.",
    "RELOAD [NOSAVE]",
    "    Save the dataset to the RDB file, empty it and load the file back (NOSAVE: load the",
    "    existing file without saving first).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named <prefix>:<n> (prefix 'key') holding 'value:<n>',",
    "    cut or zero-padded to <size> bytes when given. Existing keys are kept.",
    "PROTOCOL <type>",
    "    Reply with a sample of a RESP type: string, integer, double, bignum, null, array, set,",
    "    map, attrib, push, verbatim, true or false.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    A list element of <size> bytes or more gets a node of its own (0: the default, 1gb).",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    0 stops expiring keys in the background; 1 restores it.",
    "SET-DISABLE-DENY-SCRIPTS <0|1>",
    "    1 lets scripts call commands that are otherwise refused in scripts (noscript).",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    1 loads RESTORE payloads and the dump file without checking their CRC64.",
    "SLEEP <seconds>",
    "    Delay this connection's reply by <seconds> (decimals allowed); other clients go on.",
    "HELP",
    "    Print this help.",
  };

  static void register(CommandTable t) {
    t.add("debug", -2, "admin noscript loading stale", 0, 0, 0, DebugCommands::debug);
  }

  static void debug(Client c, byte[][] argv) {
    int argc = argv.length;
    byte[] sub = argv[1];
    if (argc == 2 && Args.is(sub, "help")) {
      c.out.array(HELP.length);
      for (String line : HELP) {
        c.out.simple(line);
      }
    } else if (Args.is(sub, "log") && argc == 3) {
      log.warn("DEBUG LOG: {}", Numbers.ascii(argv[2]));
      c.ok();
    } else if (Args.is(sub, "reload")) {
      reload(c, argv);
    } else if (Args.is(sub, "loadaof") && argc == 2) {
      loadAof(c);
    } else if (Args.is(sub, "object") && argc == 3) {
      object(c, argv[2]);
    } else if (Args.is(sub, "populate") && argc >= 3 && argc <= 5) {
      populate(c, argv);
    } else if (Args.is(sub, "digest") && argc == 2) {
      c.out.simple(hex(datasetDigest(c)));
    } else if (Args.is(sub, "digest-value")) {
      c.out.array(argc - 2);
      for (int i = 2; i < argc; i++) {
        Dict.Node<Object> n = c.db().peek(argv[i]);
        byte[] d = new byte[20];
        if (n != null) {
          valueDigest(d, n);
        }
        c.out.simple(hex(d));
      }
    } else if (Args.is(sub, "sleep") && argc == 3) {
      sleep(c, argv[2]);
    } else if (Args.is(sub, "protocol") && argc == 3) {
      protocol(c, argv[2]);
    } else if (Args.is(sub, "quicklist-packed-threshold") && argc == 3) {
      long size = io.kiln.config.Config.memoryAmount(Numbers.ascii(argv[2]));
      if (size < 0 || !io.kiln.types.ListValue.setPackedThreshold(size)) {
        c.error(Errors.PACKED_THRESHOLD);
      } else {
        c.ok();
      }
    } else if (Args.is(sub, "set-active-expire") && argc == 3) {
      c.shard.activeExpireEnabled = atoi(argv[2]) != 0;
      c.ok();
    } else if (Args.is(sub, "pause-cron") && argc == 3) {
      c.home.pauseCron(atoi(argv[2]) != 0);
      c.ok();
    } else if (Args.is(sub, "set-disable-deny-scripts") && argc == 3) {
      c.kiln.denyScriptsDisabled(atoi(argv[2]) != 0);
      c.ok();
    } else if (Args.is(sub, "set-skip-checksum-validation") && argc == 3) {
      c.kiln.skipChecksumValidation(atoi(argv[2]) != 0);
      c.ok();
    } else if (Args.is(sub, "assert") && argc == 2) {
      // reaches the event loop's exception handler: Kiln.internalError
      throw new AssertionError("'1 == 2' is not true (DEBUG ASSERT)");
    } else {
      // (untruncated, unlike Errors.subcommandSyntax)
      c.error(String.format(Errors.SUBCOMMAND_SYNTAX, Numbers.ascii(sub), "DEBUG"));
    }
  }

  // ---- PROTOCOL ----

  /** DEBUG PROTOCOL: one reply of each RESP type, as a client library's tests expect them. */
  private static void protocol(Client c, byte[] type) {
    var out = c.out;
    switch (Numbers.ascii(type).toLowerCase(java.util.Locale.ROOT)) {
      case "string" -> out.bulk("Hello World");
      case "integer" -> out.integer(12345);
      case "double" -> out.dbl(3.141);
      case "bignum" -> out.bigNumber("1234567999999999999999999999999999999");
      case "null" -> out.nullBulk();
      case "array" -> {
        out.array(3);
        out.integer(0);
        out.integer(1);
        out.integer(2);
      }
      case "set" -> {
        out.set(3);
        out.integer(0);
        out.integer(1);
        out.integer(2);
      }
      case "map" -> {
        out.map(3);
        for (int j = 0; j < 3; j++) {
          out.integer(j);
          out.bool(j == 1);
        }
      }
      case "attrib" -> {
        out.attributes(1); // RESP3 only: attributes are not replies
        if (out.protocol() == 3) {
          out.bulk("key-popularity");
          out.array(2);
          out.bulk("key:123");
          out.integer(90);
        }
        out.bulk("Some real reply following the attribute");
      }
      case "push" -> {
        if (out.protocol() < 3) {
          c.error(Errors.PROTOCOL_PUSH_RESP2);
          return;
        }
        out.push(2);
        out.bulk("server-cpu-usage");
        out.integer(42);
        out.bulk("Some real reply following the push reply"); // the command's own reply
      }
      case "true" -> out.bool(true);
      case "false" -> out.bool(false);
      case "verbatim" -> out.verbatim("This is a verbatim\nstring");
      default -> c.error(Errors.PROTOCOL_TYPE);
    }
  }

  // ---- SLEEP ----

  private static void sleep(Client c, byte[] arg) {
    double seconds = strtod(Numbers.ascii(arg));
    long ms = (long) (seconds * 1000);
    if (ms <= 0 || c.inExec() || c.suspended()) {
      // Inside EXEC the reply must take its place in the array now: no pause there.
      c.ok();
      return;
    }
    c.home.blocking().sleep(c, ms);
  }

  /** C's strtod on a prefix: the longest leading decimal number, 0 when there is none. */
  static double strtod(String s) {
    s = s.stripLeading();
    int end = 0;
    double best = 0;
    for (int i = 1; i <= s.length(); i++) {
      try {
        String head = s.substring(0, i);
        if (head.endsWith("d") || head.endsWith("D") || head.endsWith("f") || head.endsWith("F")) {
          continue;
        }
        best = Double.parseDouble(head);
        end = i;
      } catch (NumberFormatException e) {
        // keep looking: "1e" is not a number but "1e3" is
      }
    }
    return end == 0 || Double.isNaN(best) ? 0 : best;
  }

  private static long atoi(byte[] arg) {
    long v = 0;
    int i = 0;
    boolean neg = false;
    if (i < arg.length && (arg[i] == '-' || arg[i] == '+')) {
      neg = arg[i] == '-';
      i++;
    }
    for (; i < arg.length && arg[i] >= '0' && arg[i] <= '9'; i++) {
      v = v * 10 + (arg[i] - '0');
    }
    return neg ? -v : v;
  }

  // ---- POPULATE ----

  private static void populate(Client c, byte[][] argv) {
    Long count = Numbers.toLong(argv[2]);
    if (count == null || count < 0) {
      c.error(Errors.NOT_POSITIVE);
      return;
    }
    long size = 0;
    if (argv.length == 5) {
      Long v = Numbers.toLong(argv[4]);
      if (v == null || v < 0) {
        c.error(Errors.NOT_POSITIVE);
        return;
      }
      size = v;
    }
    String prefix = argv.length >= 4 ? Numbers.ascii(argv[3]) : "key";
    Populate job = new Populate(c, c.db(), prefix.getBytes(StandardCharsets.ISO_8859_1), count,
        (int) Math.min(size, Integer.MAX_VALUE));
    if (job.step() || c.inExec() || c.suspended()) {
      // Done in one slice (or inside EXEC, where the reply cannot wait): finish now.
      job.finish();
      c.ok();
      return;
    }
    c.suspend();
    job.continueLater(Vertx.currentContext().owner());
  }

  /** One DEBUG POPULATE in progress: inserts keys in slices of at most CHUNK_NANOS. */
  private static final class Populate {
    final Client c;
    final Db db;
    final byte[] prefix;
    final long count;
    final int size;
    long next;

    Populate(Client c, Db db, byte[] prefix, long count, int size) {
      this.c = c;
      this.db = db;
      this.prefix = prefix;
      this.count = count;
      this.size = size;
    }

    /** Inserts for one time slice; true when every key is done. */
    boolean step() {
      long deadline = System.nanoTime() + CHUNK_NANOS;
      while (next < count) {
        for (int i = 0; i < 256 && next < count; i++, next++) {
          insert(next);
        }
        if (System.nanoTime() >= deadline) {
          break;
        }
      }
      return next >= count;
    }

    /** Without time limit (inside EXEC). */
    void finish() {
      while (next < count) {
        insert(next++);
      }
    }

    /**
     * Schedules the next slice on a 1 ms timer rather than as a queued task, so the event loop
     * polls its sockets between slices (queued tasks can run back to back for a long while).
     */
    void continueLater(Vertx vertx) {
      vertx.setTimer(1, id -> {
        if (step()) {
          c.ok();
          c.resume();
        } else {
          continueLater(vertx);
        }
      });
    }

    private void insert(long j) {
      byte[] num = Long.toString(j).getBytes(StandardCharsets.US_ASCII);
      byte[] key = Arrays.copyOf(prefix, prefix.length + 1 + num.length);
      key[prefix.length] = ':';
      System.arraycopy(num, 0, key, prefix.length + 1, num.length);
      if (db.exists(key)) {
        return;
      }
      byte[] text = ("value:" + j).getBytes(StandardCharsets.US_ASCII);
      byte[] value = size == 0 ? text : Arrays.copyOf(text, size);
      db.set(key, value, false);
    }
  }

  // ---- OBJECT ----

  /**
   * DEBUG RELOAD [NOSAVE]: SAVE (unless NOSAVE), empty the dataset, load the file back, as one
   * blocking operation for the clients (all are held) but never for the event loop: the save and
   * the load run on their own threads.
   */
  private static void reload(Client c, byte[][] argv) {
    boolean save = true;
    for (int j = 2; j < argv.length; j++) {
      if (Args.is(argv[j], "nosave")) {
        save = false; // load the file as it is (one copied in place, say)
      } else {
        // MERGE and NOFLUSH (loading over the dataset) are not supported
        c.error(Errors.DEBUG_RELOAD_OPTIONS);
        return;
      }
    }
    Snapshotter snapshots = c.home.snapshotter();
    if (save && snapshots.running() || c.inExec()) {
      c.error(Errors.DEBUG_SAVE_FAILED);
      return;
    }
    c.suspend();
    c.home.holdClients();
    java.nio.file.Path file = java.nio.file.Path.of(c.kiln.config().getString("dir"))
        .resolve(c.kiln.config().getString("dbfilename"));
    (save ? snapshots.save(false) : Future.succeededFuture())
        .recover(err -> Future.failedFuture(new IllegalStateException(
            Errors.DEBUG_SAVE_FAILED)))
        .compose(saved -> {
          c.shard.flushAll();
          c.home.scripting().functions().flush(); // emptied with the data, loaded back
          return RdbLoader.start(c.kiln, c.home, file).future()
              .recover(err -> Future.failedFuture(new IllegalStateException(
                  Errors.DEBUG_LOAD_FAILED)));
        })
        .onComplete(ar -> {
          c.home.releaseClients();
          if (ar.succeeded()) {
            log.info("DB reloaded by DEBUG RELOAD");
            c.ok();
          } else {
            c.error(ar.cause().getMessage());
          }
          c.resume();
        });
  }

  /**
   * DEBUG LOADAOF: what is recorded reaches the file, the dataset is emptied and the AOF loaded
   * again through the command table; clients wait meanwhile. With appendonly off it loads the
   * file BGREWRITEAOF wrote.
   */
  private static void loadAof(Client c) {
    java.nio.file.Path file = java.nio.file.Path.of(c.kiln.config().getString("dir"))
        .resolve(c.kiln.config().getString("appendfilename"));
    // with appendonly off, the file a BGREWRITEAOF wrote meanwhile (Redis loads its manifest's)
    if (c.inExec() || !c.kiln.aofStatus().enabled && !java.nio.file.Files.isRegularFile(file)) {
      c.error(Errors.AOF_NOT_ON);
      return;
    }
    c.suspend();
    c.home.holdClients();
    c.home.aofFlushed().compose(v -> {
      c.shard.flushAll();
      c.home.scripting().functions().flush(); // emptied with the data, loaded back
      return AofLoader.start(c.kiln, c.home, java.util.List.of(file)).future();
    }).onComplete(ar -> {
      c.kiln.persistence().loading = false;
      c.home.releaseClients();
      if (ar.succeeded()) {
        log.warn("Append Only File loaded by DEBUG LOADAOF");
        c.ok();
      } else {
        c.error(Errors.AOF_LOAD_FAILED);
      }
      c.resume();
    });
  }

  private static void object(Client c, byte[] key) {
    Dict.Node<Object> n = c.db().peek(key);
    if (n == null) {
      c.error(Errors.NO_SUCH_KEY);
      return;
    }
    String encoding = KeyCommands.encodingName(n.value);
    // what a snapshot writes for the value (rdbcompression as configured), as Redis measures it
    long serialized = io.kiln.rdb.Dump.serialize(io.kiln.types.Values.toRdb(n.value),
        new io.kiln.rdb.RdbWriter.Options().compression(c.kiln.config().getBool("rdbcompression")))
        .length - 11; // DUMP's type byte, version and checksum
    int lru = n.lru;
    long idle = Math.max(0, c.shard.lruClock() - lru);
    c.out.simple("Value at:0x" + Long.toHexString(0x7f0000000000L
        | (System.identityHashCode(n.value) & 0xffffffffL) << 4)
        + " refcount:1 encoding:" + encoding + " serializedlength:" + serialized
        + " lru:" + (lru & 0xffffff) + " lru_seconds_idle:" + idle);
  }

  // ---- DIGEST ----

  /**
   * The dataset digest as Redis computes it: per database with keys, the big-endian index is
   * mixed into the result; the SHA1 of each key's own digest (key mixed, then type and value
   * mixed, then "!!expire!!" xored in when it has a TTL) is xored into the result, so key order
   * does not matter.
   */
  static byte[] datasetDigest(Client c) {
    byte[] fin = new byte[20];
    for (int j = 0; j < c.shard.databases(); j++) {
      Db db = c.shard.db(j);
      if (db.size() == 0) {
        continue;
      }
      mix(fin, new byte[] {(byte) (j >>> 24), (byte) (j >>> 16), (byte) (j >>> 8), (byte) j});
      db.forEach(n -> {
        byte[] d = new byte[20];
        mix(d, n.key);
        valueDigest(d, n);
        xorSha(fin, d);
      });
    }
    return fin;
  }

  /** Mixes the value's type and contents into {@code d}, then its TTL marker. */
  static void valueDigest(byte[] d, Dict.Node<Object> n) {
    if (Strs.isString(n.value)) {
      mix(d, new byte[] {0, 0, 0, 0}); // type string
      mix(d, Strs.bytes(n.value));
    } else if (n.value instanceof io.kiln.types.SetValue set) {
      mix(d, new byte[] {0, 0, 0, 2}); // type set: members xored in, order-free
      set.forEach(m -> xorSha(d, m));
    } else if (n.value instanceof io.kiln.types.HashValue hash) {
      mix(d, new byte[] {0, 0, 0, 4}); // type hash: each field+value mixed, xored in
      hash.forEach((f, v) -> {
        byte[] e = new byte[20];
        mix(e, f);
        mix(e, v);
        xorSha(d, e);
      });
    } else if (n.value instanceof io.kiln.types.ZSetValue z) {
      ZSetCommands.digest(d, z);
    } else if (n.value instanceof io.kiln.types.ListValue list) {
      mix(d, new byte[] {0, 0, 0, 1}); // type list: elements mixed in order
      for (byte[] e : list.toList()) {
        mix(d, e);
      }
    } else {
      // Other types come with their families; until then their identity is all we know.
      mix(d, new byte[] {0, 0, 0, 9});
      mix(d, n.value.toString().getBytes(StandardCharsets.UTF_8));
    }
    if (n.expireAt != 0) {
      xorSha(d, "!!expire!!".getBytes(StandardCharsets.US_ASCII));
    }
  }

  /** d ^= sha1(data). */
  static void xorSha(byte[] d, byte[] data) {
    xor(d, sha1(data));
  }

  /** d = sha1(d ^ sha1(data)): order-sensitive. */
  static void mix(byte[] d, byte[] data) {
    xorSha(d, data);
    byte[] h = sha1(d);
    System.arraycopy(h, 0, d, 0, 20);
  }

  private static void xor(byte[] d, byte[] h) {
    for (int i = 0; i < 20; i++) {
      d[i] ^= h[i];
    }
  }

  private static byte[] sha1(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-1").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String hex(byte[] d) {
    StringBuilder sb = new StringBuilder(40);
    for (byte b : d) {
      sb.append(Character.forDigit((b >> 4) & 15, 16)).append(Character.forDigit(b & 15, 16));
    }
    return sb.toString();
  }
}
