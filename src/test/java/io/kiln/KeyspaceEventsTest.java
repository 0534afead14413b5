package io.kiln;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.support.RealRedis;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Keyspace notifications: the same scripted commands of every family run on Kiln and on a real
 * redis-server 7.0, with a subscriber on {@code __key*__:*}; the received event streams (with a
 * marker message after each command) must be identical, in order.
 */
class KeyspaceEventsTest {
  /**
   * One command per line, arguments split on spaces. "BLOCK cmd..." sends a blocking command
   * from a third connection and waits until it is blocked; its reply is read after the next line.
   * "DUMPTO src dst" restores DUMP src under dst.
   */
  static final List<String> SCRIPT = List.of(
      // strings
      "set k v", "set k v nx", "set k v2 xx", "setnx k v", "setnx k2 v", "setex k3 100 v",
      "psetex k4 100000 v", "getset k v3", "getdel k", "getdel k", "getex k2 ex 100",
      "getex k2 persist", "getex k2 persist", "getex k2", "getex k2 pxat 1", "mset a 1 b 2",
      "msetnx a 1 c 3", "msetnx c 1 d 3", "append a xyz", "append new xyz", "setrange a 1 q",
      "setrange nope 2 q", "incr n", "decr n", "incrby n 5", "decrby n 2", "incrbyfloat n 1.5",
      "incr a", "set k v get", "set k v px 1000000", "set k2 v keepttl", "set x v exat 1",
      "get x", "get missing", "mget a missing",
      // bitmaps
      "setbit bm 3 1", "setbit bm 3 1", "setbit bm 3 0", "setbit bm2 100 0",
      "bitfield bf set u8 0 5", "bitfield bf get u8 0", "bitfield bf incrby u8 0 1",
      "bitfield bf3 overflow fail incrby u8 0 300", "bitfield bf set u8 0 255",
      "bitfield bf overflow fail incrby u8 0 1", "bitop or dst bm bf", "bitop and dst2 no1 no2",
      "set dst2 x", "bitop and dst2 no1 no2", "getbit bm 3",
      // lists
      "lpush l a b c", "rpush l d", "lpushx l e", "rpushx nol e", "lpop l", "rpop l", "lpop l 2",
      "lpop nol", "linsert l before a x", "linsert l before zz x", "lset l 0 y", "lrem l 0 zz",
      "lrem l 0 y", "rpush l2 1 2 3 4 5", "ltrim l2 1 3", "ltrim l2 0 -1", "ltrim l2 5 10",
      "rpush l3 a b", "lmove l3 l4 left right", "lmove l3 l4 left right", "rpoplpush l4 l4",
      "lmpop 2 nol l4 left count 5", "rpush l5 a", "lmove l5 l5 left left", "blpop l5 1",
      "rpush l6 a", "blmove l6 l6 left right 1", "blmpop 1 1 l6 left", "lpop l6 0",
      "BLOCK blpop bl 5", "rpush bl a b", "BLOCK brpoplpush bl2 bl3 5", "lpush bl2 z",
      "lrange bl3 0 -1", "llen nol",
      // hashes
      "hset h a 1 b 2", "hset h a 1", "hsetnx h a 1", "hsetnx h c 1", "hmset h d 1", "hdel h zz",
      "hdel h a b", "hincrby h n 1", "hincrbyfloat h f 1.5", "hdel h c d n f", "hget h a",
      // sets
      "sadd s a b", "sadd s a", "srem s zz", "srem s a", "spop s", "spop s", "sadd s a b c",
      "spop s 0", "spop s 1", "spop s 10", "sadd s1 a b", "sadd s2 b c", "smove s1 s2 a",
      "smove s1 s2 b", "smove s2 s2 b", "smove nos s2 b", "sinterstore d s2 nos",
      "sinterstore d s2 s2", "sunionstore d s2 nos", "sdiffstore d nos s2", "sdiffstore d s2 s2",
      "sadd d x", "sinterstore d nos", "sismember nos a",
      // sorted sets
      "zadd z 1 a 2 b", "zadd z 1 a", "zadd z 5 a", "zadd z nx 1 a", "zadd z xx 1 zz",
      "zadd z incr 1 a", "zadd z incr 0 a", "zincrby z 1 b", "zrem z zz", "zrem z a",
      "zadd z 1 a 2 c 3 d", "zremrangebyscore z 100 200", "zremrangebyscore z 1 1",
      "zremrangebyrank z 0 0", "zremrangebylex z [a [b", "zadd z2 0 a 0 b 0 c",
      "zremrangebylex z2 - +", "zpopmin z", "zpopmax z 10", "zpopmin z", "zadd z 1 a 2 b",
      "zadd z3 3 c", "zunionstore d 2 z z3", "zinterstore d 2 z z3", "zinterstore d 2 z z3",
      "zdiffstore d 1 z", "zrangestore d2 z 0 -1", "zrangestore d2 z 5 6", "zrangestore d3 z 5 6",
      "zmpop 1 z min count 10", "zscore z3 c", "zadd bz 1 a 2 b 3 c", "bzpopmin bz 1",
      "bzpopmax bz 1", "bzmpop 1 1 bz min count 5", "BLOCK bzpopmin bz2 5", "zadd bz2 1 a",
      "sadd zs 1 2", "zunionstore zu 2 zs bz2", "zinterstore zu 1 zs",
      // geo (GEOADD notifies as the ZADD it stands for; stores as georadiusstore/geosearchstore)
      "geoadd g 1 1 a 2 2 b", "geoadd g 1 1 a", "geoadd g xx 3 3 a", "geoadd g nx 5 5 c",
      "geoadd g ch 1 1 c", "geoadd nog xx 1 1 a", "georadius g 1 1 500 km store gd",
      "georadius g 1 1 500 km storedist gd", "georadius g 0 0 1 km store gd",
      "georadius g 0 0 1 km store gd", "georadiusbymember g a 600 km store gd",
      "georadius_ro g 1 1 500 km", "geosearchstore gs g fromlonlat 1 1 byradius 500 km",
      "geosearchstore gs g fromlonlat 0 0 byradius 1 km", "set gs x",
      "geosearchstore gs nog fromlonlat 0 0 byradius 1 km", "georadius nog 0 0 1 km store g",
      // sort
      "rpush sl 3 1 2", "sort sl store sd", "sort sl limit 5 5 store sd", "sort sl store sd",
      "sort_ro sl", "sort nosuch store sd",
      // hyperloglog
      "pfadd hll a b", "pfadd hll a", "pfcount hll", "pfmerge hll2 hll", "pfmerge hll2",
      // generic
      "set a 1", "set b 2", "del a b c", "del a", "unlink b", "set a 1", "expire a 100",
      "expire a 100 nx", "expire a 200 xx", "pexpire a 100000", "expireat a 99999999999",
      "pexpireat a 99999999999999", "persist a", "persist a", "expire a 0", "set a 1",
      "expire a -5", "expire nokey 10", "set a 1", "rename a b", "rename b b", "renamenx b c",
      "set d 1", "renamenx c d", "rename c d", "select 1", "set m 1", "move m 0", "move m 0",
      "select 0", "copy d e", "copy d e", "copy d e replace", "copy d e db 1", "set t 1",
      "touch t", "type t", "exists t missing", "DUMPTO t r", "DUMPTO t r", "flushdb",
      "set f 1", "select 1", "set g 1", "select 0", "swapdb 0 1", "flushall", "set last 1");

  @Test
  void everyFamilysEventsMatchRedis() throws Exception {
    compare("KEA");
  }

  @Test
  void newKeyAndKeyMissEventsMatchRedis() throws Exception {
    compare("KEAnm");
  }

  /** Read commands of every family on a missing key raise "keymiss" as Redis's read lookups do. */
  @Test
  void keyMissEventsOfReadsMatchRedis() throws Exception {
    compare("KEm", List.of("llen m", "lrange m 0 1", "lindex m 0", "lpos m a", "hget m a",
        "hgetall m", "hlen m", "hexists m a", "hmget m a", "hrandfield m", "smembers m",
        "scard m", "sismember m a", "srandmember m", "sinter m m2", "sunion m m2", "zscore m a",
        "zrange m 0 1", "zcard m", "zrank m a", "zrangebyscore m 0 1", "type m", "ttl m",
        "pttl m", "exists m m2", "dump m", "object encoding m", "getbit m 1", "bitcount m",
        "bitpos m 1", "strlen m", "getrange m 0 1", "touch m", "lcs m m2",
        "bitfield_ro m get u8 0", "zrandmember m", "sintercard 1 m", "zinter 1 m",
        "lmpop 1 m left", "geopos m a", "geohash m a", "geodist m a b",
        "georadius m 0 0 1 km", "georadiusbymember_ro m a 1 km",
        "geosearch m fromlonlat 0 0 byradius 1 km", "get m", "mget m m2", "set m 1", "get m",
        "lpush m x"));
  }

  @Test
  void onlySelectedClassesAndChannelsArePublished() throws Exception {
    compare("Kl");
    compare("Eg$");
    compare("zhsx");
  }

  private static void compare(String flags) throws Exception {
    compare(flags, SCRIPT);
  }

  private static void compare(String flags, List<String> script) throws Exception {
    List<String> expected;
    try (RealRedis real = RealRedis.start()) {
      expected = run(real.port(), flags, script);
    }
    List<String> actual;
    try (TestKiln kiln = TestKiln.start()) {
      actual = run(kiln.port(), flags, script);
    }
    int i = 0;
    while (i < expected.size() && i < actual.size() && expected.get(i).equals(actual.get(i))) {
      i++;
    }
    int from = Math.max(0, i - 6);
    assertEquals(String.join("\n", expected.subList(from, Math.min(expected.size(), i + 4))),
        String.join("\n", actual.subList(from, Math.min(actual.size(), i + 4))),
        "flags " + flags + ": event streams differ at message " + i);
    assertEquals(expected.size(), actual.size());
  }

  /** Runs the script on the server at {@code port}; returns every message the subscriber got. */
  static List<String> run(int port, String flags, List<String> script) {
    try (RespClient c = new RespClient("127.0.0.1", port);
        RespClient sub = new RespClient("127.0.0.1", port);
        RespClient blocker = new RespClient("127.0.0.1", port)) {
      assertEquals("+OK\r\n", c.call("CONFIG", "SET", "notify-keyspace-events", flags));
      sub.call("PSUBSCRIBE", "__key*__:*");
      boolean blocked = false;
      for (String line : script) {
        String[] args = line.split(" ");
        if (args[0].equals("BLOCK")) {
          blocker.send(java.util.Arrays.copyOfRange(args, 1, args.length));
          awaitBlocked(c);
          blocked = true;
          continue;
        }
        if (args[0].equals("DUMPTO")) {
          byte[] payload = bulk(c.call("DUMP", args[1]));
          c.call(List.of(bytes("RESTORE"), bytes(args[2]), bytes("0"), payload));
        } else {
          c.call(args);
        }
        if (blocked) {
          blocker.readReply();
          blocked = false;
        }
        c.call("PUBLISH", "__keymark__:", line);
      }
      c.call("PUBLISH", "__keyend__:", "end");
      List<String> got = new ArrayList<>();
      while (true) {
        String m = sub.readReply();
        if (m.contains("__keyend__:")) {
          return got;
        }
        got.add(m.replace("\r\n", " ").replace("$", ""));
      }
    }
  }

  private static void awaitBlocked(RespClient c) {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!c.call("INFO", "clients").contains("blocked_clients:1")) {
      assertTrue(System.nanoTime() < deadline, "client never blocked");
      Thread.onSpinWait();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  /** The payload of a raw bulk reply. */
  private static byte[] bulk(String raw) {
    int start = raw.indexOf("\r\n") + 2;
    return bytes(raw.substring(start, raw.length() - 2));
  }
}
