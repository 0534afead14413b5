package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A server with {@code shards 4}: connections are spread over its event loops; a connection
 * that a loop beside the shard's serves keeps its pipeline in order, gets every reply however
 * slowly it reads, and closes on QUIT and CLIENT KILL; what clients of different loops do to
 * keys of different slots stays atomic (transfers by MULTI/EXEC, by a script, by SMOVE and LMOVE
 * keep their totals for every reader, in the saved file and in the replayed AOF, while BGSAVE
 * and BGREWRITEAOF run); random cross-key commands from 50 clients never wedge the server.
 * Test thread, plus the client threads it starts.
 */
class ShardsTest {
  /** Accounts on keys of different slots (and shards, once slots are spread over shards). */
  private static final int ACCOUNTS = 8;
  private static final long TOTAL = ACCOUNTS * 1000L;
  private static final String TRANSFER = "local n = tonumber(ARGV[1]) "
      + "redis.call('DECRBY', KEYS[1], n) redis.call('INCRBY', KEYS[2], n) return n";

  private static String acct(int i) {
    return "acct:" + i;
  }

  @Test
  void connectionsAreServedByEveryLoop() throws Exception {
    try (TestKiln kiln = TestKiln.start("shards", "4")) {
      assertThat(kiln.kiln().connectionLoops()).hasSize(3);
      int n = 40;
      List<RespClient> clients = new ArrayList<>();
      try {
        for (int i = 0; i < n; i++) {
          RespClient c = kiln.client();
          clients.add(c);
          assertThat(c.call("SET", "k" + i, "v" + i)).isEqualTo("+OK\r\n");
        }
        for (int i = 0; i < n; i++) {
          // every connection sees what every other one wrote
          String v = "v" + ((i + 1) % n);
          assertThat(clients.get(i).call("GET", "k" + ((i + 1) % n)))
              .isEqualTo("$" + v.length() + "\r\n" + v + "\r\n");
        }
        for (ConnectionLoop loop : kiln.kiln().connectionLoops()) {
          assertThat(loop.accepted()).as("connections accepted by a loop beside the shard's")
              .isPositive();
        }
        assertThat(clients.get(0).infoField("clients", "connected_clients"))
            .isEqualTo(Integer.toString(n));
        // the loops' socket work, in the fields Redis gives its I/O threads'
        assertThat(clients.get(0).infoField("server", "io_threads_active")).isEqualTo("1");
        assertThat(Long.parseLong(clients.get(0).infoField("stats", "io_threaded_reads_processed")))
            .isGreaterThanOrEqualTo(2 * onLoops(kiln));
        assertThat(Long.parseLong(clients.get(0).infoField("stats", "io_threaded_writes_processed")))
            .isGreaterThanOrEqualTo(2 * onLoops(kiln));
      } finally {
        clients.forEach(RespClient::close);
      }
    }
  }

  /** A connection that one of the loops beside the shard's accepted (its socket lives there). */
  private static RespClient loopClient(TestKiln kiln) {
    for (int i = 0; i < 100; i++) {
      long before = onLoops(kiln);
      RespClient c = kiln.client();
      assertThat(c.call("PING")).isEqualTo("+PONG\r\n"); // (accepted by now)
      if (onLoops(kiln) > before) {
        return c;
      }
      c.close();
    }
    throw new AssertionError("no connection landed on a connection loop");
  }

  private static long onLoops(TestKiln kiln) {
    return kiln.kiln().connectionLoops().stream().mapToLong(ConnectionLoop::accepted).sum();
  }

  @Test
  void oneConnectionsPipelineTakesEffectInOrder() throws Exception {
    try (TestKiln kiln = TestKiln.start("shards", "4"); RespClient c = loopClient(kiln)) {
      int n = 3000;
      for (int i = 0; i < n; i++) {
        String key = "order:" + (i % 10);
        c.send("SET", key, Integer.toString(i));
        c.send("GET", key);
        c.send("RPUSH", "log:" + (i % 7), Integer.toString(i));
      }
      for (int i = 0; i < n; i++) {
        assertThat(c.readReply()).isEqualTo("+OK\r\n");
        String v = Integer.toString(i);
        assertThat(c.readReply()).as("GET after SET #%d", i)
            .isEqualTo("$" + v.length() + "\r\n" + v + "\r\n");
        c.readReply();
      }
      for (int k = 0; k < 7; k++) {
        List<Long> log = numbers(c.call("LRANGE", "log:" + k, "0", "-1"));
        assertThat(log).as("log:%d in the order pushed", k).isSorted()
            .hasSize((n - k + 6) / 7);
      }
    }
  }

  @Test
  void aSlowReaderOnALoopGetsEveryReply() throws Exception {
    try (TestKiln kiln = TestKiln.start("shards", "4"); RespClient c = loopClient(kiln)) {
      String big = "x".repeat(100_000);
      assertThat(c.call("SET", "big", big)).isEqualTo("+OK\r\n");
      int n = 300; // 30 MB of replies: the socket's queue fills, the client pauses, drains
      for (int i = 0; i < n; i++) {
        c.send("GET", "big");
      }
      c.send("PING");
      String reply = "$" + big.length() + "\r\n" + big + "\r\n";
      for (int i = 0; i < n; i++) {
        assertThat(c.readReply()).as("reply %d", i).isEqualTo(reply);
      }
      assertThat(c.readReply()).isEqualTo("+PONG\r\n");
    }
  }

  @Test
  void aPeerStreamingRequestsIsServedInFull() throws Exception {
    try (TestKiln kiln = TestKiln.start("shards", "4"); RespClient c = loopClient(kiln)) {
      String value = "v".repeat(1000);
      int n = 20_000; // 20 MB sent before a reply is read: the loop reads ahead of the shard
      StringBuilder batch = new StringBuilder();
      for (int i = 0; i < n; i++) {
        String key = "s:" + i;
        batch.append("*3\r\n$3\r\nSET\r\n$").append(key.length()).append("\r\n").append(key)
            .append("\r\n$1000\r\n").append(value).append("\r\n");
        if (batch.length() > 1 << 20) {
          c.sendRaw(batch.toString());
          batch.setLength(0);
        }
      }
      c.sendRaw(batch.toString());
      for (int i = 0; i < n; i++) {
        assertThat(c.readReply()).as("reply %d", i).isEqualTo("+OK\r\n");
      }
      assertThat(c.call("DBSIZE")).isEqualTo(":" + n + "\r\n");
    }
  }

  @Test
  void quitAndClientKillCloseALoopsConnection() throws Exception {
    try (TestKiln kiln = TestKiln.start("shards", "4"); RespClient admin = kiln.client()) {
      try (RespClient c = loopClient(kiln)) {
        assertThat(c.call("QUIT")).isEqualTo("+OK\r\n");
        assertThat(c.closedByServer()).isTrue();
      }
      try (RespClient c = loopClient(kiln)) {
        String id = c.call("CLIENT", "ID").substring(1).trim();
        assertThat(admin.call("CLIENT", "KILL", "ID", id)).isEqualTo(":1\r\n");
        assertThat(c.closedByServer()).isTrue();
      }
      waitFor(() -> admin.infoField("clients", "connected_clients").equals("1"),
          "the closed connections to go");
    }
  }

  @Test
  void transfersStayAtomicForReadersSavesAndTheAof() throws Exception {
    Path dir = Files.createTempDirectory("kiln-shards");
    Path snapshot = Files.createTempDirectory("kiln-shards-rdb");
    long[] finalBalances = new long[ACCOUNTS];
    try (TestKiln kiln = TestKiln.start("shards", "4", "dir", dir.toString(),
        "appendonly", "yes", "appendfsync", "everysec", "aof-use-rdb-preamble", "yes")) {
      try (RespClient c = kiln.client()) {
        for (int i = 0; i < ACCOUNTS; i++) {
          c.call("SET", acct(i), "1000");
        }
        for (int m = 0; m < 100; m++) {
          c.call("SADD", "set:0", "m" + m);
          c.call("RPUSH", "list:0", "e" + m);
        }
      }
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong transfers = new AtomicLong();
      ConcurrentLinkedQueue<String> torn = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < 6; w++) {
        int seed = w;
        threads.add(failing(failures, () -> transferUntil(kiln, seed, stop, transfers)));
      }
      for (int r = 0; r < 3; r++) {
        threads.add(failing(failures, () -> readUntil(kiln, stop, torn)));
      }
      threads.forEach(Thread::start);
      try (RespClient admin = kiln.client()) {
        waitFor(() -> transfers.get() > 300, "transfers under way");
        assertThat(admin.call("BGSAVE")).isEqualTo("+Background saving started\r\n");
        waitFor(() -> admin.infoField("persistence", "rdb_bgsave_in_progress").equals("0"),
            "the BGSAVE");
        assertThat(admin.infoField("persistence", "rdb_last_bgsave_status")).isEqualTo("ok");
        Files.copy(dir.resolve("dump.rdb"), snapshot.resolve("dump.rdb"),
            StandardCopyOption.REPLACE_EXISTING);
        long before = transfers.get();
        assertThat(admin.call("BGREWRITEAOF")).startsWith("+Background append only file rewriting");
        waitFor(() -> admin.infoField("persistence", "aof_rewrite_in_progress").equals("0")
            && admin.infoField("persistence", "aof_rewrite_scheduled").equals("0"), "the rewrite");
        assertThat(admin.infoField("persistence", "aof_last_bgrewrite_status")).isEqualTo("ok");
        waitFor(() -> transfers.get() > before + 300, "transfers after the rewrite");
      } finally {
        stop.set(true);
        for (Thread t : threads) {
          t.join(TimeUnit.SECONDS.toMillis(30));
          assertThat(t.isAlive()).as("a client still waiting for a reply").isFalse();
        }
      }
      assertThat(failures).isEmpty();
      assertThat(torn).as("readers saw a transfer half done").isEmpty();
      try (RespClient c = kiln.client()) {
        assertInvariants(c, "the live dataset");
        List<Long> balances = numbers(c.call(mget()));
        for (int i = 0; i < ACCOUNTS; i++) {
          finalBalances[i] = balances.get(i);
        }
      }
    }
    try (TestKiln saved = TestKiln.start("dir", snapshot.toString()); RespClient c = saved.client()) {
      assertInvariants(c, "the BGSAVE's file");
    }
    try (TestKiln replayed = TestKiln.start("shards", "4", "dir", dir.toString(),
        "appendonly", "yes"); RespClient c = replayed.client()) {
      assertInvariants(c, "the replayed AOF");
      List<Long> balances = numbers(c.call(mget()));
      for (int i = 0; i < ACCOUNTS; i++) {
        assertThat(balances.get(i)).as("acct:%d after the replay", i).isEqualTo(finalBalances[i]);
      }
    }
  }

  @Test
  void randomCrossKeyCommandsFromFiftyClientsNeverWedge() throws Exception {
    try (TestKiln kiln = TestKiln.start("shards", "4")) {
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong done = new AtomicLong();
      ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 50; t++) {
        int seed = t;
        threads.add(new Thread(() -> {
          SplittableRandom rnd = new SplittableRandom(seed);
          // every reply within 10 s (the client's read timeout): a wedged server fails here
          try (RespClient c = kiln.client().timeout(10_000)) {
            while (!stop.get()) {
              c.call(randomCommand(rnd));
              done.incrementAndGet();
            }
          } catch (Throwable e) {
            failures.add(e);
          }
        }));
      }
      threads.forEach(Thread::start);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
      while (System.nanoTime() < deadline && failures.isEmpty()) {
        Thread.sleep(50); // the run's length, not a synchronization
      }
      stop.set(true);
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(t.isAlive()).as("a client still waiting for a reply").isFalse();
      }
      assertThat(failures).isEmpty();
      assertThat(done.get()).isGreaterThan(500);
      try (RespClient c = kiln.client()) {
        assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
      }
    }
  }

  /** A thread running {@code body} that records what it throws in {@code failures}. */
  private static Thread failing(ConcurrentLinkedQueue<Throwable> failures, Runnable body) {
    return new Thread(() -> {
      try {
        body.run();
      } catch (Throwable e) {
        failures.add(e);
      }
    });
  }

  private static String[] randomCommand(SplittableRandom rnd) {
    String a = "r:" + rnd.nextInt(20);
    String b = "r:" + rnd.nextInt(20);
    String s = "s:" + rnd.nextInt(5);
    String s2 = "s:" + rnd.nextInt(5);
    String l = "l:" + rnd.nextInt(5);
    String l2 = "l:" + rnd.nextInt(5);
    return switch (rnd.nextInt(12)) {
      case 0 -> new String[] {"MSET", a, "1", b, "2"};
      case 1 -> new String[] {"MGET", a, b, "r:" + rnd.nextInt(20)};
      case 2 -> new String[] {"RENAME", a, b};
      case 3 -> new String[] {"SADD", s, "m" + rnd.nextInt(50)};
      case 4 -> new String[] {"SMOVE", s, s2, "m" + rnd.nextInt(50)};
      case 5 -> new String[] {"SUNIONSTORE", "u:" + rnd.nextInt(3), s, s2};
      case 6 -> new String[] {"RPUSH", l, "x"};
      case 7 -> new String[] {"LMOVE", l, l2, "LEFT", "RIGHT"};
      case 8 -> new String[] {"BLMOVE", l, l2, "RIGHT", "LEFT", "0.01"};
      case 9 -> new String[] {"EVAL", "return redis.call('COPY', KEYS[1], KEYS[2], 'REPLACE')",
          "2", a, b};
      case 10 -> new String[] {"DEL", a, b, s};
      default -> new String[] {"EXISTS", a, b, l};
    };
  }

  /** Moves money, set members and list elements between keys until stopped. */
  private static void transferUntil(TestKiln kiln, int seed, AtomicBoolean stop,
      AtomicLong transfers) {
    SplittableRandom rnd = new SplittableRandom(seed);
    try (RespClient c = kiln.client()) {
      while (!stop.get()) {
        int x = rnd.nextInt(ACCOUNTS);
        int y = (x + 1 + rnd.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
        String n = Integer.toString(1 + rnd.nextInt(50));
        switch (rnd.nextInt(4)) {
          case 0 -> {
            c.send("MULTI");
            c.send("DECRBY", acct(x), n);
            c.send("INCRBY", acct(y), n);
            c.send("EXEC");
            for (int i = 0; i < 4; i++) {
              c.readReply();
            }
          }
          case 1 -> c.call("EVAL", TRANSFER, "2", acct(x), acct(y), n);
          case 2 -> {
            boolean there = rnd.nextBoolean();
            c.call("SMOVE", there ? "set:0" : "set:1", there ? "set:1" : "set:0",
                "m" + rnd.nextInt(100));
          }
          default -> {
            boolean there = rnd.nextBoolean();
            c.call("LMOVE", there ? "list:0" : "list:1", there ? "list:1" : "list:0", "LEFT",
                "RIGHT");
          }
        }
        transfers.incrementAndGet();
      }
    }
  }

  /** Checks the totals with one atomic read each until stopped; records any torn read. */
  private static void readUntil(TestKiln kiln, AtomicBoolean stop,
      ConcurrentLinkedQueue<String> torn) {
    try (RespClient c = kiln.client()) {
      while (!stop.get()) {
        String problem = invariantProblem(c);
        if (problem != null) {
          torn.add(problem);
          return;
        }
      }
    }
  }

  private static String[] mget() {
    String[] args = new String[ACCOUNTS + 1];
    args[0] = "MGET";
    for (int i = 0; i < ACCOUNTS; i++) {
      args[i + 1] = acct(i);
    }
    return args;
  }

  /** What breaks an invariant in one atomic look at the data, or null when they all hold. */
  private static String invariantProblem(RespClient c) {
    long sum = numbers(c.call(mget())).stream().mapToLong(Long::longValue).sum();
    if (sum != TOTAL) {
      return "accounts total " + sum;
    }
    c.send("MULTI");
    c.send("SCARD", "set:0");
    c.send("SCARD", "set:1");
    c.send("LLEN", "list:0");
    c.send("LLEN", "list:1");
    c.send("EXEC");
    for (int i = 0; i < 5; i++) {
      c.readReply();
    }
    List<Long> counts = numbers(c.readReply());
    if (counts.get(0) + counts.get(1) != 100) {
      return "set members " + counts;
    }
    if (counts.get(2) + counts.get(3) != 100) {
      return "list elements " + counts;
    }
    return null;
  }

  private static void assertInvariants(RespClient c, String what) {
    assertThat(invariantProblem(c)).as(what).isNull();
  }

  /** The integers of a RESP reply: integer replies and bulk strings that hold integers. */
  private static List<Long> numbers(String reply) {
    List<Long> out = new ArrayList<>();
    String[] lines = reply.split("\r\n");
    for (String line : lines) {
      if (line.startsWith(":")) {
        out.add(Long.parseLong(line.substring(1)));
      } else if (!line.isEmpty() && (Character.isDigit(line.charAt(0)) || line.charAt(0) == '-')
          && !line.startsWith("-ERR")) {
        out.add(Long.parseLong(line));
      }
    }
    return out;
  }

  private static void waitFor(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for %s", what).isLessThan(deadline);
      Thread.sleep(10);
    }
  }
}
