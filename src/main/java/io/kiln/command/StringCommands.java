package io.kiln.command;

import io.kiln.keyspace.Db;
import io.kiln.keyspace.Dict;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import java.nio.charset.StandardCharsets;

/**
 * The string family: GET, SET and friends, counters, ranges. Values are immutable byte arrays:
 * every change stores a new array, so a snapshot may keep a reference. Event loop.
 */
public final class StringCommands {
  private StringCommands() {}

  static void register(CommandTable t) {
    t.add("get", 2, "readonly fast", 1, 1, 1, StringCommands::get);
    t.add("set", -3, "write denyoom", 1, 1, 1, StringCommands::set);
    t.add("mget", -2, "readonly fast", 1, -1, 1, StringCommands::mget);
    t.add("mset", -3, "write denyoom", 1, -1, 2, StringCommands::mset);
    t.add("incr", 2, "write denyoom fast", 1, 1, 1, (c, a) -> incrBy(c, a[1], 1));
    t.add("decr", 2, "write denyoom fast", 1, 1, 1, (c, a) -> incrBy(c, a[1], -1));
  }

  static void get(Client c, byte[][] argv) {
    Object v = c.db().get(argv[1]);
    if (Args.notString(v)) {
      c.error(Errors.WRONGTYPE);
      return;
    }
    c.out.bulk((byte[]) v);
  }

  static void set(Client c, byte[][] argv) {
    if (argv.length != 3) {
      c.error(Errors.SYNTAX);
      return;
    }
    c.db().set(argv[1], argv[2], false);
    c.shard.dirty++;
    c.ok();
  }

  static void mget(Client c, byte[][] argv) {
    c.out.array(argv.length - 1);
    Db db = c.db();
    for (int i = 1; i < argv.length; i++) {
      Object v = db.get(argv[i]);
      c.out.bulk(v instanceof byte[] b ? b : null);
    }
  }

  static void mset(Client c, byte[][] argv) {
    if (argv.length % 2 == 0) {
      c.error(Errors.wrongArgs("mset"));
      return;
    }
    for (int i = 1; i < argv.length; i += 2) {
      c.db().set(argv[i], argv[i + 1], false);
    }
    c.shard.dirty += (argv.length - 1) / 2;
    c.ok();
  }

  static void incrBy(Client c, byte[] key, long by) {
    Db db = c.db();
    Dict.Node<Object> n = db.node(key);
    long cur = 0;
    if (n != null) {
      if (!(n.value instanceof byte[] b)) {
        c.error(Errors.WRONGTYPE);
        return;
      }
      Long v = Numbers.toLong(b);
      if (v == null) {
        c.error(Errors.NOT_INTEGER);
        return;
      }
      cur = v;
    }
    if ((by < 0 && cur < 0 && by < Long.MIN_VALUE - cur)
        || (by > 0 && cur > 0 && by > Long.MAX_VALUE - cur)) {
      c.error(Errors.OVERFLOW);
      return;
    }
    long next = cur + by;
    byte[] value = Long.toString(next).getBytes(StandardCharsets.US_ASCII);
    if (n != null) {
      db.replace(n, value);
    } else {
      db.set(key, value, false);
    }
    c.shard.dirty++;
    c.out.integer(next);
  }
}
