package io.kiln.persist;

import static io.kiln.persist.AofTestSupport.await;
import static io.kiln.persist.AofTestSupport.clientLine;
import static io.kiln.persist.LoadSupport.config;
import static io.kiln.persist.LoadSupport.info;
import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.Kiln;
import io.kiln.server.Server;
import io.kiln.persist.AofTestSupport.HeldFsync;
import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression tests for the AOF review findings fixed in "Review fixes (AOF)": each test is one
 * scenario of the reviewer's probe. Holds fsyncs and writes with the AOF writer's test seam
 * ({@link AofWriter#faults}); runs on the test thread, the seam's hooks on the writer's threads.
 */
class AofRegressionTest {
  @TempDir
  Path dir;

  @AfterEach
  void noFaults() {
    AofWriter.faults = AofWriter.NO_FAULTS;
  }

  // 1 ----------------------------------------------------------------------------------------

  @Test
  void stopUnderEverysecLosesNoAcknowledgedIncrement() throws Exception {
    // Before the fix, commands ran between the shutdown's last flush and the writer's close:
    // acknowledged at once under everysec, never written. A race, so a few rounds.
    for (int round = 0; round < 3; round++) {
      Path d = Files.createDirectory(dir.resolve("round" + round));
      TestKiln kiln = TestKiln.start(config(d, "appendonly", "yes", "appendfsync", "everysec"));
      int clients = 4;
      AtomicLong[] acked = new AtomicLong[clients];
      Thread[] threads = new Thread[clients];
      for (int i = 0; i < clients; i++) {
        AtomicLong mine = acked[i] = new AtomicLong();
        String key = "n" + i;
        RespClient c = kiln.client();
        threads[i] = new Thread(() -> {
          try (c) {
            while (true) {
              String r = c.call("INCR", key);
              if (!r.startsWith(":")) {
                return;
              }
              mine.set(Long.parseLong(r.substring(1).trim()));
            }
          } catch (RuntimeException e) {
            // the server stopped: the connection closed
          }
        }, "incr-" + i);
        threads[i].start();
      }
      await(() -> {
        for (AtomicLong a : acked) {
          if (a.get() < 50) {
            return false;
          }
        }
        return true;
      }, "every client acknowledged increments");
      kiln.close(); // stops while the clients keep incrementing
      for (Thread t : threads) {
        t.join(10_000);
        assertThat(t.isAlive()).as("%s ended with the server", t.getName()).isFalse();
      }
      try (TestKiln again = TestKiln.start(config(d, "appendonly", "yes"));
          RespClient c = again.client()) {
        for (int i = 0; i < clients; i++) {
          String r = c.call("GET", "n" + i);
          long got = r.startsWith("$-1") ? 0 : Long.parseLong(r.split("\r\n")[1]);
          assertThat(got).as("round %d: n%d in the file vs its last acknowledged INCR", round, i)
              .isGreaterThanOrEqualTo(acked[i].get());
        }
      }
    }
  }

  // 2 ----------------------------------------------------------------------------------------

  @Test
  void afterConfigSetAlwaysFsyncsRunOnTheWritersThreadNeverAnEventLoop() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes", "appendfsync", "no"));
        RespClient c = kiln.client()) {
      HeldFsync seen = new HeldFsync();
      seen.holding = false;
      AofWriter.faults = seen;
      assertThat(c.call("SET", "k", "v")).isEqualTo("+OK\r\n"); // written, never fsynced under no
      await(() -> Long.parseLong(info(c, "aof_current_size")) > 0, "the SET written");
      assertThat(seen.threads).as("no fsync under no").isEmpty();
      // always now: what is unsynced is fsynced at once (before the fix, by the CONFIG SET
      // listener on the event loop that ran CONFIG SET)
      assertThat(c.call("CONFIG", "SET", "appendfsync", "always")).isEqualTo("+OK\r\n");
      assertThat(c.call("SET", "k2", "v2")).isEqualTo("+OK\r\n"); // answered once fsynced
      assertThat(seen.threads).as("fsyncs ran").isNotEmpty();
      assertThat(seen.threads).as("the threads that ran fsyncs")
          .noneMatch(name -> name.contains("eventloop"));
    }
  }

  // 3 ----------------------------------------------------------------------------------------

  @Test
  void aCommandPipelinedAfterConfigSetAlwaysWaitsForItsFsync() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "appendfsync", "everysec")); RespClient c = kiln.client(); RespClient other = kiln.client()) {
      assertThat(c.call("CLIENT", "SETNAME", "piped")).isEqualTo("+OK\r\n");
      HeldFsync held = new HeldFsync();
      AofWriter.faults = held;
      byte[] config = RespClient.encode(bytes("CONFIG", "SET", "appendfsync", "always"));
      byte[] set = RespClient.encode(bytes("SET", "k", "v"));
      byte[] packet = new byte[config.length + set.length];
      System.arraycopy(config, 0, packet, 0, config.length);
      System.arraycopy(set, 0, packet, config.length, set.length);
      c.sendRaw(packet); // one packet: the SET runs in the same round as the CONFIG SET

      assertThat(held.entered.await(10, TimeUnit.SECONDS)).as("the SET's fsync started").isTrue();
      await(() -> clientLine(other, "piped").contains("cmd=set"), "the SET ran");
      // The CONFIG SET's +OK shares the packet's flush with the SET's reply, and a client's
      // replies keep their order: neither leaves before the fsync (as in Redis, where both are
      // written after the fsync of the event-loop round). Before the fix both left at once.
      assertThat(c.pendingBytes()).as("the SET's reply waits for its fsync").isZero();
      held.release.countDown();
      assertThat(c.readReply()).as("CONFIG SET").isEqualTo("+OK\r\n");
      assertThat(c.readReply()).as("SET").isEqualTo("+OK\r\n");
    }
  }

  // 4 ----------------------------------------------------------------------------------------

  @Test
  void underAlwaysAReadOfAServedBlmoveDestinationWaitsForTheFsync() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes", "appendfsync", "always"));
        RespClient blocked = kiln.client(); RespClient pusher = kiln.client();
        RespClient reader = kiln.client()) {
      assertThat(pusher.call("SET", "warm", "1")).isEqualTo("+OK\r\n"); // synced
      reader.call("CLIENT", "SETNAME", "reader");
      blocked.send("BLMOVE", "src", "dst", "LEFT", "LEFT", "0");
      await(() -> pusher.call("INFO", "clients").contains("blocked_clients:1\r\n"),
          "BLMOVE blocked");
      HeldFsync held = new HeldFsync();
      AofWriter.faults = held;

      pusher.send("LPUSH", "src", "x"); // serves the BLMOVE: src popped, dst pushed
      assertThat(held.entered.await(10, TimeUnit.SECONDS)).as("the fsync started").isTrue();
      reader.send("LRANGE", "dst", "0", "-1");
      // CLIENT LIST names no key: a bystander's CLIENT LIST is answered meanwhile
      try (RespClient bystander = kiln.client()) {
        await(() -> clientLine(bystander, "reader").contains("cmd=lrange"), "LRANGE ran");
      }
      assertThat(reader.pendingBytes()).as("the read of dst waits for the fsync").isZero();
      assertThat(pusher.pendingBytes()).isZero();
      assertThat(blocked.pendingBytes()).isZero();

      held.release.countDown();
      assertThat(pusher.readReply()).isEqualTo(":1\r\n");
      assertThat(blocked.readReply()).isEqualTo("$1\r\nx\r\n");
      assertThat(reader.readReply()).isEqualTo("*1\r\n$1\r\nx\r\n");
    }
  }

  // 5 ----------------------------------------------------------------------------------------

  @Test
  void underAlwaysAKeyspaceEventWaitsForTheFsyncOfItsWrite() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes", "appendfsync", "always",
        "notify-keyspace-events", "KEA")); RespClient sub = kiln.client();
        RespClient writer = kiln.client(); RespClient other = kiln.client()) {
      assertThat(writer.call("SET", "warm", "1")).isEqualTo("+OK\r\n"); // synced
      writer.call("CLIENT", "SETNAME", "writer");
      assertThat(sub.call("SUBSCRIBE", "__keyspace@0__:k")).contains("subscribe");
      HeldFsync held = new HeldFsync();
      AofWriter.faults = held;

      writer.send("SET", "k", "v");
      assertThat(held.entered.await(10, TimeUnit.SECONDS)).as("the fsync started").isTrue();
      await(() -> clientLine(other, "writer").contains("cmd=set"), "the SET ran");
      assertThat(other.call("PING")).isEqualTo("+PONG\r\n"); // one more round of the loop
      assertThat(sub.pendingBytes()).as("no event of an unsynced write").isZero();
      assertThat(writer.pendingBytes()).isZero();

      held.release.countDown();
      assertThat(writer.readReply()).isEqualTo("+OK\r\n");
      assertThat(sub.readReply()).contains("__keyspace@0__:k").contains("set");
    }
  }

  // 6 ----------------------------------------------------------------------------------------

  @Test
  void debugLoadaofTwiceWithAWriteBetweenKeepsMemoryAndFileEqual() throws Exception {
    String digest;
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "appendfsync", "everysec", "enable-debug-command", "yes")); RespClient c = kiln.client()) {
      assertThat(c.call("SET", "a", "1")).isEqualTo("+OK\r\n");
      assertThat(c.call("DEBUG", "LOADAOF")).isEqualTo("+OK\r\n");
      assertThat(c.call("GET", "a")).isEqualTo("$1\r\n1\r\n");

      // A slow disk: the next write waits until the test has the LOADAOF reply (1 s at most).
      // Before the fix the second LOADAOF did not wait for the write and loaded the file
      // without it; after it, the LOADAOF waits for the write (so the write goes on after 1 s).
      CountDownLatch replied = new CountDownLatch(1);
      AofWriter.faults = new AofWriter.Faults() {
        @Override
        public void beforeWrite(long offset, long bytes) {
          try {
            replied.await(1, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      };
      assertThat(c.call("SET", "b", "2")).isEqualTo("+OK\r\n"); // everysec: answered at once
      String reply = c.call("DEBUG", "LOADAOF");
      replied.countDown();
      assertThat(reply).isEqualTo("+OK\r\n");
      assertThat(c.call("MGET", "a", "b")).as("memory after the second load")
          .isEqualTo("*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
      assertThat(c.call("DBSIZE")).isEqualTo(":2\r\n");
      digest = c.call("DEBUG", "DIGEST");
    }
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "enable-debug-command", "yes")); RespClient c = kiln.client()) {
      assertThat(c.call("DBSIZE")).isEqualTo(":2\r\n");
      assertThat(c.call("MGET", "a", "b")).isEqualTo("*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
      assertThat(c.call("DEBUG", "DIGEST")).as("the file holds what memory held").isEqualTo(digest);
    }
  }

  // 7 ----------------------------------------------------------------------------------------

  @Test
  void debugLoadaofServesNoBlockedClientFromTheReplay() throws Exception {
    try (TestKiln kiln = TestKiln.start(config(dir, "appendonly", "yes",
        "appendfsync", "everysec", "enable-debug-command", "yes")); RespClient a = kiln.client();
        RespClient b = kiln.client()) {
      // the file pushes q and pops it empty: nothing is left for a BLPOP on q
      a.call("RPUSH", "q", "a", "b");
      a.call("LPOP", "q");
      a.call("LPOP", "q");
      a.call("RPUSH", "q2", "z");
      b.call("CLIENT", "SETNAME", "blocked");
      b.send("BLPOP", "q", "0");
      await(() -> a.call("INFO", "clients").contains("blocked_clients:1\r\n"), "BLPOP blocked");

      assertThat(a.call("DEBUG", "LOADAOF")).isEqualTo("+OK\r\n");
      assertThat(a.call("INFO", "clients")).as("still blocked after the load")
          .contains("blocked_clients:1\r\n");
      assertThat(clientLine(a, "blocked")).contains(" flags=b ");
      assertThat(b.pendingBytes()).as("no stale element served from the replay").isZero();
      assertThat(a.call("LRANGE", "q", "0", "-1")).isEqualTo("*0\r\n");
      assertThat(a.call("DBSIZE")).isEqualTo(":1\r\n");

      a.call("RPUSH", "q", "fresh"); // a real push after the load serves it
      assertThat(b.readReply()).isEqualTo("*2\r\n$1\r\nq\r\n$5\r\nfresh\r\n");
    }
  }

  // 8 ----------------------------------------------------------------------------------------

  @Test
  void replayingFlushallWithSavePointsStartsAndSavesNothing() throws Exception {
    Files.writeString(dir.resolve("appendonly.aof"), "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
        + "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
        + "*1\r\n$8\r\nFLUSHALL\r\n"
        + "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n", StandardCharsets.ISO_8859_1);
    Outcome o = startKiln(config(dir, "appendonly", "yes").with("save", "3600", "1"));
    assertThat(o.failure()).as("the start").isNull();
    try (RespClient c = new RespClient("127.0.0.1", o.kiln().port())) {
      assertThat(c.call("MGET", "a", "b")).isEqualTo("*2\r\n$-1\r\n$1\r\n2\r\n");
      assertThat(dir.resolve("dump.rdb")).as("no snapshot written by the replayed FLUSHALL")
          .doesNotExist();
    } finally {
      stop(o.kiln());
    }
  }

  // 9 ----------------------------------------------------------------------------------------

  @Test
  void aReplayedCommandWithAWrongArgumentCountFailsTheStartNamingItsOffset() throws Exception {
    String good = "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";
    Path file = dir.resolve("appendonly.aof");
    Files.writeString(file, good + "*2\r\n$3\r\nSET\r\n$1\r\nk\r\n",
        StandardCharsets.ISO_8859_1);
    Outcome o = startKiln(config(dir, "appendonly", "yes"));
    if (o.kiln() != null) {
      stop(o.kiln());
    }
    assertThat(o.failure()).as("the start fails").isNotNull();
    String msg = LoadSupport.failure(o.failure());
    assertThat(msg).contains("Wrong number of arguments").contains("set")
        .contains(file.toString()).contains("at offset " + good.length());
  }

  // ---- helpers ----

  /** A start's outcome: a running Kiln, or the failure. */
  record Outcome(Server kiln, Throwable failure) {}

  private static Outcome startKiln(io.kiln.config.Config config) throws Exception {
    try {
      return new Outcome(Kiln.start(config).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS), null);
    } catch (ExecutionException e) {
      return new Outcome(null, e.getCause());
    }
  }

  private static void stop(Server kiln) throws Exception {
    kiln.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static List<byte[]> bytes(String... args) {
    List<byte[]> out = new java.util.ArrayList<>();
    for (String a : args) {
      out.add(a.getBytes(StandardCharsets.ISO_8859_1));
    }
    return out;
  }
}
