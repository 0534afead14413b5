package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.SharedKiln;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.resps.Tuple;

/**
 * SCAN's contract for the collection scans (HSCAN, SSCAN, ZSCAN): an element present from the
 * first call to the last is returned at least once, while another client first grows the
 * collection sevenfold (the table rehashes to larger sizes mid-scan) and then deletes the extras
 * again (the table shrinks mid-scan).
 */
class ScanGuaranteeTest {
  private static final int ORIGINALS = 3_000;
  private static final int GROW_PER_CALL = 500;
  private static final int GROW_CALLS = 36;
  private static final int SHRINK_PER_CALL = 3_000;

  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();

  /** One collection type as the test drives it. */
  private interface Kind {
    void add(Pipeline p, String key, String member);

    void remove(Pipeline p, String key, String member);

    /** One scan call: the next cursor, then the members it returned. */
    List<String> scan(Jedis j, String key, String cursor);

    long size(Jedis j, String key);
  }

  @Test
  void hscanReturnsEveryFieldPresentThroughoutWhileTheHashGrowsAndShrinks() {
    checkContract("h", new Kind() {
      public void add(Pipeline p, String key, String member) {
        p.hset(key, member, "v");
      }

      public void remove(Pipeline p, String key, String member) {
        p.hdel(key, member);
      }

      public List<String> scan(Jedis j, String key, String cursor) {
        ScanResult<Map.Entry<String, String>> r = j.hscan(key, cursor, new ScanParams().count(50));
        List<String> out = new ArrayList<>(List.of(r.getCursor()));
        r.getResult().forEach(e -> out.add(e.getKey()));
        return out;
      }

      public long size(Jedis j, String key) {
        return j.hlen(key);
      }
    });
  }

  @Test
  void sscanReturnsEveryMemberPresentThroughoutWhileTheSetGrowsAndShrinks() {
    checkContract("s", new Kind() {
      public void add(Pipeline p, String key, String member) {
        p.sadd(key, member);
      }

      public void remove(Pipeline p, String key, String member) {
        p.srem(key, member);
      }

      public List<String> scan(Jedis j, String key, String cursor) {
        ScanResult<String> r = j.sscan(key, cursor, new ScanParams().count(50));
        List<String> out = new ArrayList<>(List.of(r.getCursor()));
        out.addAll(r.getResult());
        return out;
      }

      public long size(Jedis j, String key) {
        return j.scard(key);
      }
    });
  }

  @Test
  void zscanReturnsEveryMemberPresentThroughoutWhileTheSortedSetGrowsAndShrinks() {
    checkContract("z", new Kind() {
      public void add(Pipeline p, String key, String member) {
        p.zadd(key, member.hashCode(), member);
      }

      public void remove(Pipeline p, String key, String member) {
        p.zrem(key, member);
      }

      public List<String> scan(Jedis j, String key, String cursor) {
        ScanResult<Tuple> r = j.zscan(key, cursor, new ScanParams().count(50));
        List<String> out = new ArrayList<>(List.of(r.getCursor()));
        r.getResult().forEach(t -> out.add(t.getElement()));
        return out;
      }

      public long size(Jedis j, String key) {
        return j.zcard(key);
      }
    });
  }

  private void checkContract(String key, Kind kind) {
    try (Jedis j = new Jedis("127.0.0.1", kiln.port());
        Jedis writer = new Jedis("127.0.0.1", kiln.port())) {
      j.del(key);
      Set<String> originals = new HashSet<>();
      Pipeline fill = writer.pipelined();
      for (int i = 0; i < ORIGINALS; i++) {
        originals.add("orig:" + i);
        kind.add(fill, key, "orig:" + i);
      }
      fill.sync();

      Set<String> seen = new HashSet<>();
      String cursor = "0";
      int calls = 0;
      int added = 0;
      int removed = 0;
      long largest = 0;
      do {
        List<String> reply = kind.scan(j, key, cursor);
        cursor = reply.get(0);
        seen.addAll(reply.subList(1, reply.size()));
        calls++;
        Pipeline w = writer.pipelined();
        if (calls <= GROW_CALLS) {
          for (int i = 0; i < GROW_PER_CALL; i++) {
            kind.add(w, key, "extra:" + added++);
          }
        } else {
          for (int i = 0; i < SHRINK_PER_CALL && removed < added; i++) {
            kind.remove(w, key, "extra:" + removed++);
          }
        }
        w.sync();
        largest = Math.max(largest, kind.size(writer, key));
      } while (!cursor.equals("0") && calls < 100_000);

      assertThat(cursor).as("the scan ended").isEqualTo("0");
      assertThat(largest).as("the collection grew during the scan")
          .isGreaterThanOrEqualTo(ORIGINALS + (long) GROW_PER_CALL * GROW_CALLS);
      assertThat(removed).as("extras deleted during the scan, the table shrinking")
          .isEqualTo(added);
      Set<String> missing = new HashSet<>(originals);
      missing.removeAll(seen);
      assertThat(missing).as("elements present throughout that the scan never returned")
          .isEmpty();
    }
  }
}
