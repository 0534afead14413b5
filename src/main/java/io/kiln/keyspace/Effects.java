package io.kiln.keyspace;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The effects point: what the commands of one shard did to its data, in deterministic form, as
 * the RESP commands that redo it, as Redis's {@code call()} with {@code alsoPropagate} records
 * them. The connection records a command's argv verbatim after it ran when it changed something
 * (the shard's dirty count moved) and the handler did not record a rewrite of its own; handlers
 * whose command is not deterministic record the rewrite instead ({@link #rewrite}): relative
 * expiry as absolute, SPOP as SREM, INCRBYFLOAT as SET, blocking pops as their non-blocking form;
 * a key expired lazily or actively is recorded as DEL ({@link #expired}). A SELECT goes before
 * an effect whose database differs from the previous one in the stream; the effects of a
 * transaction go between MULTI and EXEC.
 *
 * <p>Effects are encoded to RESP bytes when recorded (values may be overwritten in place
 * afterwards) into the batch of the current event-loop round; {@link #take} hands the batch
 * over whole (the AOF today; replication and MONITOR's propagation later). Nothing is recorded
 * while {@link #enabled} is false (no consumer, or the AOF itself is being replayed).
 *
 * <p>Owned by the shard's event loop, like the {@link Shard} it belongs to; not thread-safe.
 */
public final class Effects {
  private static final byte[] SELECT = ascii("SELECT");
  private static final byte[] MULTI = ascii("MULTI");
  private static final byte[] EXEC = ascii("EXEC");
  // Words of the rewritten effects, for the handlers that record them.
  public static final byte[] DEL = ascii("DEL");
  public static final byte[] SET = ascii("SET");
  public static final byte[] PXAT = ascii("PXAT");
  public static final byte[] KEEPTTL = ascii("KEEPTTL");
  public static final byte[] PEXPIREAT = ascii("PEXPIREAT");
  public static final byte[] PERSIST = ascii("PERSIST");
  public static final byte[] SREM = ascii("SREM");
  public static final byte[] HSET = ascii("HSET");

  /** Something reads the stream: effects are recorded only then. */
  public boolean enabled;
  /** A script's redis.set_repl without REPL_AOF: its commands record nothing meanwhile. */
  public boolean muted;
  /** Told of every effect recorded (the consumer schedules the batch's hand-over). */
  public Runnable onRecord = () -> { };
  private byte[] buf = new byte[16 * 1024];
  private int len;
  /** Database of the last effect in the stream (across batches), -1 before the first. */
  private int streamDb = -1;
  /** Set by a handler that recorded its command's effects itself (no verbatim copy then). */
  private boolean rewritten;
  /** Inside EXEC: the first effect opens MULTI, {@link #endTransaction} closes it. */
  private boolean inTransaction;
  private boolean transactionOpened;
  /** Effects recorded in the current batch (a count, for the batch-size histogram). */
  private int count;
  /** Total effects ever recorded: a command compares it before and after to see its own. */
  private long recorded;

  /** Starts a command: nothing rewritten yet. */
  public void beginCommand() {
    rewritten = false;
  }

  /** Effects recorded so far, ever (compare two readings to see whether any was recorded). */
  public long recorded() {
    return recorded;
  }

  /** The command ran as sent and changed data: it is its own effect. */
  public void verbatim(int db, byte[][] argv) {
    if (enabled && !rewritten) {
      append(db, argv);
    }
  }

  /**
   * The running command's effect in deterministic form (one of several when it records more):
   * its argv is then not recorded verbatim. Call once per command to record.
   */
  public void rewrite(int db, byte[]... argv) {
    rewritten = true;
    if (enabled) {
      append(db, argv);
    }
  }

  /**
   * The running command changed nothing that needs recording, although the dirty count moved
   * (or must record nothing for another reason).
   */
  public void suppress() {
    rewritten = true;
  }

  /** maxmemory evicted a key of {@code db}: DEL, as for an expired one. */
  public void evicted(int db, byte[] key) {
    expired(db, key);
  }

  /** A key of {@code db} was deleted because its TTL had passed: DEL, as Redis propagates. */
  public void expired(int db, byte[] key) {
    if (enabled) {
      append(db, DEL, key);
    }
  }

  /** EXEC begins: the effects of its commands will be wrapped in MULTI ... EXEC. */
  public void beginTransaction() {
    inTransaction = true;
    transactionOpened = false;
  }

  /** EXEC ended: closes the MULTI opened by its first effect, if any. */
  public void endTransaction() {
    inTransaction = false;
    if (transactionOpened) {
      transactionOpened = false;
      encode(EXEC);
      onRecord.run(); // a batch held back while a script was paused goes now
    }
  }

  /** Bytes of effects collected in the current batch. */
  public int pendingBytes() {
    return len;
  }

  /** Effects collected in the current batch. */
  public int pendingCount() {
    return count;
  }

  /**
   * Hands the current batch over (a copy the caller owns) and starts the next one; null when
   * the batch is empty. An open transaction is never split: call between event-loop tasks.
   */
  public byte[] take() {
    if (len == 0 || transactionOpened) {
      return null; // (an open MULTI, a script paused between slices, goes whole, later)
    }
    byte[] out = Arrays.copyOf(buf, len);
    len = 0;
    count = 0;
    if (buf.length > 1 << 20) {
      buf = new byte[16 * 1024]; // a huge batch does not pin its buffer for ever
    }
    return out;
  }

  /** Forgets the stream's database (a new file starts): the next effect writes a SELECT. */
  public void resetStream() {
    streamDb = -1;
  }

  private void append(int db, byte[]... argv) {
    if (muted) {
      return;
    }
    onRecord.run();
    if (inTransaction && !transactionOpened) {
      transactionOpened = true;
      encode(MULTI);
    }
    if (db != streamDb) {
      streamDb = db;
      encode(SELECT, ascii(Integer.toString(db)));
    }
    encode(argv);
    count++;
    recorded++;
  }

  /** Appends {@code argv} as a RESP array of bulk strings. */
  private void encode(byte[]... argv) {
    int need = 16;
    for (byte[] a : argv) {
      need += a.length + 16;
    }
    ensure(need);
    buf[len++] = '*';
    number(argv.length);
    for (byte[] a : argv) {
      buf[len++] = '$';
      number(a.length);
      System.arraycopy(a, 0, buf, len, a.length);
      len += a.length;
      buf[len++] = '\r';
      buf[len++] = '\n';
    }
  }

  private void number(int n) {
    if (n < 10) {
      buf[len++] = (byte) ('0' + n);
    } else {
      byte[] digits = ascii(Integer.toString(n));
      System.arraycopy(digits, 0, buf, len, digits.length);
      len += digits.length;
    }
    buf[len++] = '\r';
    buf[len++] = '\n';
  }

  private void ensure(int extra) {
    if (len + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
    }
  }

  /** A number as the decimal bytes of an argument. */
  public static byte[] num(long n) {
    return ascii(Long.toString(n));
  }

  public static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
