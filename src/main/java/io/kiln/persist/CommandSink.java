package io.kiln.persist;

import io.kiln.rdb.RdbValue;
import io.kiln.resp.Numbers;
import io.kiln.types.GrowableString;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A capture written as the commands that rebuild it: an AOF's base under
 * {@code aof-use-rdb-preamble no}, as Redis 7.0's rewriteAppendOnlyFileRio writes one. Before an
 * entry of another database than the last one's, a SELECT; per key a SET for a string
 * (HyperLogLogs are strings), or RPUSH (head first), SADD, ZADD (each score before its member,
 * formatted as C's %.17g) or HMSET with at most {@link #ITEMS_PER_COMMAND} items per command;
 * then a PEXPIREAT for a key with a TTL. With {@code aof-timestamp-enabled} the file starts with a
 * "#TS:" annotation, as Redis's does; then comes a FUNCTION LOAD per function library. An empty
 * dataset without functions is an empty file.
 *
 * <p>Owned by the snapshot writer's thread.
 */
final class CommandSink implements CaptureSink {
  /** Items (elements, members, pairs) per command at most: Redis's AOF_REWRITE_ITEMS_PER_CMD. */
  static final int ITEMS_PER_COMMAND = 64;
  /** Bytes gathered before a write to the file. */
  private static final int BUFFER_BYTES = 1 << 16;

  private static final byte[] SELECT = ascii("SELECT");
  private static final byte[] SET = ascii("SET");
  private static final byte[] RPUSH = ascii("RPUSH");
  private static final byte[] SADD = ascii("SADD");
  private static final byte[] ZADD = ascii("ZADD");
  private static final byte[] HMSET = ascii("HMSET");
  private static final byte[] PEXPIREAT = ascii("PEXPIREAT");
  private static final byte[] FUNCTION = ascii("FUNCTION");
  private static final byte[] LOAD = ascii("LOAD");
  private static final byte[] CRLF = {'\r', '\n'};

  private final SnapshotFile file;
  private final OutputStream out;
  private final byte[] buf = new byte[BUFFER_BYTES];
  private int pos;
  /** Bytes handed to the file so far (the buffer's are not counted). */
  private long flushed;
  private int currentDb = -1;
  /** What the file pushes out before a sync: this sink's buffer. */
  private final Flushable buffer = this::flush;

  private CommandSink(SnapshotFile file) {
    this.file = file;
    this.out = file.stream();
  }

  /**
   * Starts the commands in {@code file} (removed if even that fails): the "#TS:" line, then a
   * FUNCTION LOAD per library, as Redis's rewrite writes them first.
   */
  static CommandSink open(SnapshotFile file, boolean timestamp, List<byte[]> functions)
      throws IOException {
    try {
      CommandSink sink = new CommandSink(file);
      if (timestamp) {
        sink.raw(ascii("#TS:" + System.currentTimeMillis() / 1000 + "\r\n"));
      }
      for (byte[] code : functions) {
        sink.array(3);
        sink.bulk(FUNCTION);
        sink.bulk(LOAD);
        sink.bulk(code);
      }
      return sink;
    } catch (IOException | RuntimeException e) {
      file.discard();
      throw e;
    }
  }

  @Override
  public void write(int db, byte[] key, Object value, long expireAtMs, int idleSeconds, int freq)
      throws IOException { // as Redis's rewrite as commands: no access times

    if (db != currentDb) {
      currentDb = db;
      array(2);
      bulk(SELECT);
      bulk(db);
    }
    if (value instanceof byte[] s) {
      set(key, s);
    } else if (value instanceof GrowableString g) {
      array(3);
      bulk(SET);
      bulk(key);
      put((byte) '$');
      decimal(g.length());
      raw(CRLF);
      for (int k = 0; k < g.chunkCount(); k++) {
        raw(g.chunk(k), 0, g.chunkLength(k));
      }
      raw(CRLF);
      g.release();
    } else {
      RdbValue v = CaptureSink.unpack(value);
      if (v instanceof RdbValue.ListValue l) {
        items(RPUSH, key, l.elements());
      } else if (v instanceof RdbValue.SetValue s) {
        items(SADD, key, s.members());
      } else if (v instanceof RdbValue.ZSetValue z) {
        zadd(key, z.entries());
      } else if (v instanceof RdbValue.HashValue h) {
        hmset(key, h.entries());
      } else {
        set(key, ((RdbValue.Str) v).value());
      }
    }
    if (expireAtMs != 0) {
      array(3);
      bulk(PEXPIREAT);
      bulk(key);
      bulk(expireAtMs);
    }
  }

  private void set(byte[] key, byte[] value) throws IOException {
    array(3);
    bulk(SET);
    bulk(key);
    bulk(value);
  }

  /** RPUSH or SADD of {@code items}, {@link #ITEMS_PER_COMMAND} per command. */
  private void items(byte[] command, byte[] key, List<byte[]> items) throws IOException {
    int n = items.size();
    for (int i = 0; i < n; i++) {
      if (i % ITEMS_PER_COMMAND == 0) {
        array(2 + Math.min(ITEMS_PER_COMMAND, n - i));
        bulk(command);
        bulk(key);
      }
      bulk(items.get(i));
    }
  }

  private void zadd(byte[] key, List<RdbValue.ScoredMember> entries) throws IOException {
    int n = entries.size();
    for (int i = 0; i < n; i++) {
      if (i % ITEMS_PER_COMMAND == 0) {
        array(2 + 2 * Math.min(ITEMS_PER_COMMAND, n - i));
        bulk(ZADD);
        bulk(key);
      }
      RdbValue.ScoredMember e = entries.get(i);
      bulk(ascii(Numbers.formatG17(e.score())));
      bulk(e.member());
    }
  }

  private void hmset(byte[] key, List<RdbValue.FieldValue> entries) throws IOException {
    int n = entries.size();
    for (int i = 0; i < n; i++) {
      if (i % ITEMS_PER_COMMAND == 0) {
        array(2 + 2 * Math.min(ITEMS_PER_COMMAND, n - i));
        bulk(HMSET);
        bulk(key);
      }
      RdbValue.FieldValue e = entries.get(i);
      bulk(e.field());
      bulk(e.value());
    }
  }

  @Override
  public void endBatch() throws IOException {
    file.grew(flushed + pos, buffer);
  }

  @Override
  public long finish() throws IOException {
    flush();
    file.commit();
    return flushed;
  }

  @Override
  public void discard() {
    file.discard();
  }

  // ---- RESP ----

  private void array(int n) throws IOException {
    put((byte) '*');
    decimal(n);
    raw(CRLF);
  }

  private void bulk(byte[] s) throws IOException {
    put((byte) '$');
    decimal(s.length);
    raw(CRLF);
    raw(s);
    raw(CRLF);
  }

  private void bulk(long v) throws IOException {
    bulk(ascii(Long.toString(v)));
  }

  /** A length, in decimal. */
  private void decimal(int n) throws IOException {
    if (buf.length - pos < 10) {
      flush();
    }
    if (n == 0) {
      buf[pos++] = '0';
      return;
    }
    int digits = 0;
    for (int v = n; v > 0; v /= 10) {
      digits++;
    }
    for (int i = pos + digits - 1, v = n; i >= pos; i--, v /= 10) {
      buf[i] = (byte) ('0' + v % 10);
    }
    pos += digits;
  }

  private void put(byte b) throws IOException {
    if (pos == buf.length) {
      flush();
    }
    buf[pos++] = b;
  }

  private void raw(byte[] s) throws IOException {
    raw(s, 0, s.length);
  }

  private void raw(byte[] s, int off, int n) throws IOException {
    if (n > buf.length - pos) {
      flush();
      if (n > buf.length / 2) {
        out.write(s, off, n);
        flushed += n;
        return;
      }
    }
    System.arraycopy(s, off, buf, pos, n);
    pos += n;
  }

  private void flush() throws IOException {
    if (pos > 0) {
      out.write(buf, 0, pos);
      flushed += pos;
      pos = 0;
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
