package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.TestKiln;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unix socket as Redis 7.0 serves it: unixsocketperm applied to the socket file, clients
 * listed as {@code addr=<path>:0 laddr=<path>:0} with the U flag, a stale file replaced at
 * start and the file removed at shutdown. Clients are a JDK unix-domain channel speaking RESP
 * and redis-cli -s. Runs on the test thread.
 */
class UnixSocketTest {
  @TempDir Path dir;

  /** Sends one RESP command and reads until {@code until} appears in the reply. */
  private static String call(SocketChannel ch, String until, String... args) throws IOException {
    StringBuilder req = new StringBuilder("*" + args.length + "\r\n");
    for (String a : args) {
      req.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
    }
    ch.write(ByteBuffer.wrap(req.toString().getBytes(StandardCharsets.UTF_8)));
    StringBuilder reply = new StringBuilder();
    ByteBuffer buf = ByteBuffer.allocate(8192);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!reply.toString().contains(until) && System.nanoTime() < deadline) {
      buf.clear();
      if (ch.read(buf) < 0) {
        break;
      }
      reply.append(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
    }
    return reply.toString();
  }

  @Test
  void servesTheSocketWithItsPermissionsAndListsItsClients() throws Exception {
    Path sock = dir.resolve("kiln.sock");
    Files.writeString(sock, "stale"); // a leftover file is replaced, as Redis unlinks it
    try (TestKiln kiln = TestKiln.start("unixsocket", sock.toString(), "unixsocketperm", "700")) {
      assertThat(kiln.port()).as("port 0 beside a unix socket: no TCP").isZero();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)))
          .isEqualTo("rwx------");
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(UnixDomainSocketAddress.of(sock));
        assertThat(call(ch, "\r\n", "PING")).isEqualTo("+PONG\r\n");
        String list = call(ch, "\n", "CLIENT", "LIST");
        assertThat(list).contains("addr=" + sock + ":0 laddr=" + sock + ":0 ")
            .contains(" flags=U ");
        assertThat(call(ch, "\r\n", "CONFIG", "GET", "unixsocketperm"))
            .contains("unixsocketperm\r\n$3\r\n700\r\n");
      }
      if (Files.isExecutable(Path.of("/usr/bin/redis-cli"))) {
        assertThat(TlsTest.cli("-s", sock.toString(), "SET", "k", "v")).contains("OK");
        assertThat(TlsTest.cli("-s", sock.toString(), "GET", "k")).contains("v");
      }
    }
    assertThat(sock).as("removed at shutdown").doesNotExist();
  }

  @Test
  void aPathTooLongForASocketStopsTheStartWithRedisMessage() {
    String path = dir.resolve("x".repeat(120) + ".sock").toString();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestKiln.start("unixsocket", path))
        .rootCause().isInstanceOf(Listeners.Failure.class)
        .hasMessage("Failed opening Unix socket: unix socket path too long (" + path.length()
            + "), must be under 108");
  }

  @Test
  void aDirectoryThatDoesNotExistStopsTheStartWithTheSystemError() {
    String path = dir.resolve("missing/kiln.sock").toString();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestKiln.start("unixsocket", path))
        .rootCause().isInstanceOf(Listeners.Failure.class)
        .hasMessage("Failed opening Unix socket: bind: No such file or directory");
  }

  @Test
  void servesTheSocketBesideTcpWithDefaultPermissions() throws Exception {
    Path sock = dir.resolve("both.sock");
    try (TestKiln kiln = TestKiln.start("port", Integer.toString(
        io.kiln.support.ProcessLines.freePort()), "unixsocket", sock.toString());
        io.kiln.support.RespClient tcp = kiln.client();
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(sock));
      assertThat(call(ch, "\r\n", "SET", "shared", "yes")).isEqualTo("+OK\r\n");
      assertThat(tcp.call("GET", "shared")).isEqualTo("$3\r\nyes\r\n");
      assertThat(tcp.call("CLIENT", "INFO")).contains(" flags=N ");
    }
  }
}
