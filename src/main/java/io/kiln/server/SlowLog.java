package io.kiln.server;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * SLOWLOG entries of one shard: commands slower than slowlog-log-slower-than microseconds,
 * newest first, at most slowlog-max-len. Owned by the shard's event loop.
 */
public final class SlowLog {
  /** Redis keeps at most 32 arguments and 128 bytes of each. */
  static final int MAX_ARGS = 32;
  static final int MAX_ARG_LEN = 128;

  public record Entry(long id, long timestampSec, long micros, List<byte[]> args, String addr,
      String clientName) {}

  private final Deque<Entry> entries = new ArrayDeque<>();
  private long nextId;

  public void add(byte[][] argv, long micros, String addr, String clientName, int maxLen) {
    int argc = Math.min(argv.length, MAX_ARGS);
    byte[][] kept = new byte[argc][];
    for (int i = 0; i < argc; i++) {
      if (argc != argv.length && i == argc - 1) {
        kept[i] = ("... (" + (argv.length - argc + 1) + " more arguments)").getBytes();
      } else if (argv[i].length > MAX_ARG_LEN) {
        byte[] head = java.util.Arrays.copyOf(argv[i], MAX_ARG_LEN);
        byte[] tail = ("... (" + (argv[i].length - MAX_ARG_LEN) + " more bytes)").getBytes();
        kept[i] = concat(head, tail);
      } else {
        kept[i] = argv[i].clone(); // a SET's value may be overwritten in place later (Db)
      }
    }
    entries.addFirst(new Entry(nextId++, System.currentTimeMillis() / 1000, micros,
        List.of(kept), addr, clientName == null ? "" : clientName));
    trim(maxLen);
  }

  public void trim(int maxLen) {
    while (entries.size() > Math.max(0, maxLen)) {
      entries.removeLast();
    }
  }

  public List<Entry> newest(int count) {
    return entries.stream().limit(count < 0 ? entries.size() : count).toList();
  }

  public int size() {
    return entries.size();
  }

  public void reset() {
    entries.clear();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
