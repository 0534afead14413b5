package io.kiln.server;

import io.kiln.keyspace.Stats;
import io.kiln.resp.Errors;
import io.vertx.core.buffer.Buffer;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Whether a new connection may become a client, as Redis decides it: protected mode turns away
 * a non-loopback peer while the default user has no password, and {@code maxclients} caps the
 * connected clients. A refused connection gets Redis's error and is closed once it is sent.
 * Stateless; the event loop of the shard adopting the connection.
 */
final class Admission {
  private Admission() {}

  /**
   * Counts the connection in {@code stats}; true when it was refused (and is closing), false
   * when it was admitted and counted as connected.
   */
  static boolean refused(Server kiln, Stats stats, Wire socket, boolean unix) {
    stats.connectionsReceived++;
    if (!unix && deniedByProtectedMode(kiln, socket)) {
      refuse(socket, Errors.PROTECTED_MODE);
      return true;
    }
    if (kiln.connectedClients().get() >= kiln.config().getInt("maxclients")) {
      stats.rejectedConnections++;
      refuse(socket, Errors.MAX_CLIENTS);
      return true;
    }
    kiln.connectedClients().incrementAndGet();
    return false;
  }

  private static void refuse(Wire socket, String error) {
    socket.handlers(b -> { }, () -> { }, e -> { });
    socket.write(Buffer.buffer("-" + error + "\r\n"), socket::close);
  }

  private static boolean deniedByProtectedMode(Server kiln, Wire socket) {
    if (!kiln.config().getBool("protected-mode") || !kiln.acl().defaultUser().nopass()) {
      return false;
    }
    try {
      return !InetAddress.getByName(socket.remoteAddress().hostAddress()).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return true;
    }
  }
}
