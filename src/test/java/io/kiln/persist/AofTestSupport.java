package io.kiln.persist;

import io.kiln.support.RespClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;

/**
 * Helpers for the AOF tests: a server's whole keyspace read over RESP into comparable text (so a
 * Kiln and a redis-server, or one Kiln before and after a restart, can be compared without
 * DUMP's encodings), INFO keyspace counts, and waiting on a condition with a deadline. Test
 * thread.
 */
final class AofTestSupport {
  private AofTestSupport() {}

  static final int DATABASES = 16;

  /** Waits until {@code condition} holds; fails with {@code what} after {@code seconds}. */
  static void await(String what, double seconds, BooleanSupplier condition) {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.onSpinWait();
      try {
        // polls the server, not a sleep standing in for synchronization
        TimeUnit.MILLISECONDS.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /** Waits until {@code condition} holds; fails with {@code what} after 20 seconds. */
  static void await(BooleanSupplier condition, String what) {
    await(what, 20, condition);
  }

  /** The CLIENT LIST line of the connection named {@code name}, or "" when there is none. */
  static String clientLine(RespClient c, String name) {
    for (String line : c.call("CLIENT", "LIST").split("\n")) {
      if (line.contains(" name=" + name + " ")) {
        return line;
      }
    }
    return "";
  }

  /**
   * Holds every fsync until {@link #release}; {@link #entered} counts down when one waits. Records
   * the thread of every fsync.
   */
  static final class HeldFsync implements AofWriter.Faults {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final List<String> threads = new CopyOnWriteArrayList<>();
    volatile boolean holding = true;

    @Override
    public void beforeFsync() {
      threads.add(Thread.currentThread().getName());
      if (!holding) {
        return;
      }
      entered.countDown();
      try {
        release.await(10, TimeUnit.SECONDS); // a failed test is not stuck
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A bulk string reply's contents, or null for a nil; fails on anything else. */
  static String bulk(String reply) {
    if (reply.startsWith("$-1")) {
      return null;
    }
    if (!reply.startsWith("$")) {
      throw new AssertionError("not a bulk reply: " + reply);
    }
    int nl = reply.indexOf("\r\n");
    int n = Integer.parseInt(reply.substring(1, nl));
    return reply.substring(nl + 2, nl + 2 + n);
  }

  /** An integer reply's value. */
  static long integer(String reply) {
    if (!reply.startsWith(":")) {
      throw new AssertionError("not an integer reply: " + reply);
    }
    return Long.parseLong(reply.substring(1, reply.length() - 2));
  }

  /** The items of a flat array reply of bulk strings / integers (nil items as null). */
  static List<String> array(String reply) {
    List<String> out = new ArrayList<>();
    if (!reply.startsWith("*")) {
      throw new AssertionError("not an array reply: " + reply);
    }
    int pos = reply.indexOf("\r\n") + 2;
    int n = Integer.parseInt(reply.substring(1, pos - 2));
    for (int i = 0; i < n; i++) {
      char t = reply.charAt(pos);
      int nl = reply.indexOf("\r\n", pos);
      if (t == '$') {
        int len = Integer.parseInt(reply.substring(pos + 1, nl));
        if (len < 0) {
          out.add(null);
          pos = nl + 2;
        } else {
          out.add(reply.substring(nl + 2, nl + 2 + len));
          pos = nl + 2 + len + 2;
        }
      } else if (t == ':' || t == '+') {
        out.add(reply.substring(pos + 1, nl));
        pos = nl + 2;
      } else {
        throw new AssertionError("nested or unexpected item in: " + reply);
      }
    }
    return out;
  }

  /** Every key of {@code db}, by SCAN. */
  static List<String> keys(RespClient c, int db) {
    select(c, db);
    List<String> keys = new ArrayList<>();
    String cursor = "0";
    do {
      String reply = c.call("SCAN", cursor, "COUNT", "1000");
      // *2\r\n$<n>\r\n<cursor>\r\n*<m>\r\n...
      int first = reply.indexOf("\r\n") + 2;
      int nl = reply.indexOf("\r\n", first);
      int len = Integer.parseInt(reply.substring(first + 1, nl));
      cursor = reply.substring(nl + 2, nl + 2 + len);
      keys.addAll(array(reply.substring(nl + 2 + len + 2)));
    } while (!cursor.equals("0"));
    return keys;
  }

  static void select(RespClient c, int db) {
    String r = c.call("SELECT", Integer.toString(db));
    if (!r.equals("+OK\r\n")) {
      throw new AssertionError("SELECT " + db + ": " + r);
    }
  }

  /**
   * The whole keyspace as "db/key" to "type ttl value" text: the TTL as PEXPIRETIME (absolute
   * ms, exact across AOF replay), the value read back by type, unordered collections sorted.
   * Leaves the client in db 0.
   */
  static Map<String, String> content(RespClient c) {
    Map<String, String> out = new TreeMap<>();
    for (int db = 0; db < DATABASES; db++) {
      for (String key : keys(c, db)) {
        String type = c.call("TYPE", key);
        if (type.equals("+none\r\n")) {
          continue; // expired since the SCAN
        }
        String value = switch (type) {
          case "+string\r\n" -> bulk(c.call("GET", key));
          case "+list\r\n" -> array(c.call("LRANGE", key, "0", "-1")).toString();
          case "+set\r\n" -> sorted(array(c.call("SMEMBERS", key))).toString();
          case "+zset\r\n" -> array(c.call("ZRANGE", key, "0", "-1", "WITHSCORES")).toString();
          case "+hash\r\n" -> pairs(array(c.call("HGETALL", key))).toString();
          default -> type;
        };
        String ttl = c.call("PEXPIRETIME", key);
        out.put(db + "/" + key, type.trim() + " " + ttl.trim() + " " + value);
      }
    }
    select(c, 0);
    return out;
  }

  private static List<String> sorted(List<String> l) {
    Collections.sort(l);
    return l;
  }

  private static Map<String, String> pairs(List<String> l) {
    Map<String, String> m = new TreeMap<>();
    for (int i = 0; i + 1 < l.size(); i += 2) {
      m.put(l.get(i), l.get(i + 1));
    }
    return m;
  }

  /** INFO keyspace as "dbN" to "keys=K,expires=E" (avg_ttl left out: it moves with time). */
  static Map<String, String> keyspace(RespClient c) {
    Map<String, String> out = new TreeMap<>();
    for (String line : c.call("INFO", "keyspace").split("\r\n")) {
      if (line.startsWith("db") && line.contains(":")) {
        String[] kv = line.split(":", 2);
        StringBuilder sb = new StringBuilder();
        for (String f : kv[1].split(",")) {
          if (f.startsWith("keys=") || f.startsWith("expires=")) {
            sb.append(sb.length() == 0 ? "" : ",").append(f);
          }
        }
        out.put(kv[0], sb.toString());
      }
    }
    return out;
  }

  /** Smallest PEXPIRETIME over the keyspace as read by {@link #content}, or MAX_VALUE. */
  static long earliestExpiry(Map<String, String> content) {
    long min = Long.MAX_VALUE;
    for (String v : content.values()) {
      String[] parts = v.split(" ", 3);
      long t = Long.parseLong(parts[1].substring(1));
      if (t > 0) {
        min = Math.min(min, t);
      }
    }
    return min;
  }

  static byte[] latin1(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
