package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.SharedKiln;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Pipelining: many commands in one write are answered in order, and the replies to one read
 * batch leave in one socket write. Runs on the test thread; the server's per-connection counters
 * are read only once the connection is idle (every reply received).
 */
class PipelineTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();

  private static Client serverSide(RespClient c) {
    long id = Long.parseLong(c.call("CLIENT", "ID").trim().substring(1));
    return kiln.kiln().shards().get(0).clients().get(id);
  }

  @Test
  void tenThousandCommandsInOneWriteAreAnsweredInOrder() {
    try (RespClient c = kiln.client()) {
      c.call("FLUSHALL");
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      for (int i = 0; i < 10_000; i++) {
        all.writeBytes(switch (i % 4) {
          case 0 -> RespClient.encode(List.of(b("SET"), b("k" + i), b("v" + i)));
          case 1 -> RespClient.encode(List.of(b("GET"), b("k" + (i - 1))));
          case 2 -> RespClient.encode(List.of(b("INCR"), b("n")));
          default -> b("ECHO e" + i + "\r\n");
        });
      }
      c.sendRaw(all.toByteArray());
      long n = 0;
      for (int i = 0; i < 10_000; i++) {
        String want = switch (i % 4) {
          case 0 -> "+OK\r\n";
          case 1 -> bulk("v" + (i - 1));
          case 2 -> ":" + (++n) + "\r\n";
          default -> bulk("e" + i);
        };
        assertThat(c.readReply()).as("reply %d", i).isEqualTo(want);
      }
      assertThat(c.call("DBSIZE")).isEqualTo(":2501\r\n");
    }
  }

  @Test
  void theRepliesOfOneReadBatchLeaveInOneWrite() {
    try (RespClient c = kiln.client()) {
      Client server = serverSide(c);
      long readsBefore = server.socketReads();
      long writesBefore = server.socketWrites();
      c.sendRaw("PING\r\n".repeat(100));
      for (int i = 0; i < 100; i++) {
        assertThat(c.readReply()).isEqualTo("+PONG\r\n");
      }
      // 600 bytes in one loopback write arrive in one read: one batch, so one write
      assertThat(server.socketReads() - readsBefore).isEqualTo(1);
      assertThat(server.socketWrites() - writesBefore).isEqualTo(1);
    }
  }

  @Test
  void aLongPipelineWritesOncePerReadBatch() {
    try (RespClient c = kiln.client()) {
      Client server = serverSide(c);
      long readsBefore = server.socketReads();
      long writesBefore = server.socketWrites();
      c.sendRaw(new String(RespClient.encode(List.of(b("PING"))), StandardCharsets.ISO_8859_1)
          .repeat(10_000));
      for (int i = 0; i < 10_000; i++) {
        assertThat(c.readReply()).isEqualTo("+PONG\r\n");
      }
      long reads = server.socketReads() - readsBefore;
      long writes = server.socketWrites() - writesBefore;
      // every read batch held at least one whole command here, except possibly a few that
      // ended mid-command and produced no reply; never more writes than reads
      assertThat(writes).isPositive().isLessThanOrEqualTo(reads);
      assertThat(writes).isLessThan(10_000 / 10);
    }
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String bulk(String s) {
    return "$" + s.length() + "\r\n" + s + "\r\n";
  }
}
