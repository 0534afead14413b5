package io.kiln.load;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A blocking RESP client for setup and control (probes, preload, BGSAVE triggers, INFO polling).
 * Used on the main or a scenario thread, never on an event loop. Not thread-safe.
 */
public final class ControlClient implements AutoCloseable {
  /** An error reply. */
  public record Err(String message) {
    @Override
    public String toString() {
      return message;
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  public ControlClient(String host, int port, int timeoutMs) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress(host, port), timeoutMs);
    socket.setSoTimeout(Math.max(timeoutMs, 60_000));
    socket.setTcpNoDelay(true);
    in = new BufferedInputStream(socket.getInputStream(), 65536);
    out = new BufferedOutputStream(socket.getOutputStream(), 65536);
  }

  /** Sends one command and returns its reply: String, Long, List, null or {@link Err}. */
  public Object call(String... args) throws IOException {
    out.write(Resp.command(args).getBytes());
    out.flush();
    return read();
  }

  private Object read() throws IOException {
    int t = in.read();
    if (t < 0) {
      throw new EOFException("server closed the connection");
    }
    String line = line();
    switch (t) {
      case '+':
        return line;
      case '-':
        return new Err(line);
      case ':':
        return Long.parseLong(line);
      case '$': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        byte[] b = in.readNBytes(n + 2);
        return new String(b, 0, n, StandardCharsets.UTF_8);
      }
      case '*': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        List<Object> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          l.add(read());
        }
        return l;
      }
      default:
        throw new IOException("unexpected reply type " + (char) t);
    }
  }

  private String line() throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != '\r') {
      if (c < 0) {
        throw new EOFException();
      }
      sb.append((char) c);
    }
    in.read();
    return sb.toString();
  }

  /**
   * Writes {@code SET key:<i> <value>} for i in [0, n), pipelined in batches, and returns the
   * number of error replies.
   */
  public long preload(long n, int valueSize, int batch) throws IOException {
    long errors = 0;
    for (long done = 0; done < n; done += batch) {
      errors += preloadRange(done, (int) Math.min(batch, n - done), valueSize);
    }
    return errors;
  }

  /**
   * Writes {@code SET key:<i> <value>} for i in [first, first + m) as one pipelined batch, waits
   * for every reply, and returns the number of error replies.
   */
  public long preloadRange(long first, int m, int valueSize) throws IOException {
    byte[] value = new byte[valueSize];
    java.util.Arrays.fill(value, (byte) 'x');
    byte[] set = "SET".getBytes(StandardCharsets.US_ASCII);
    byte[] prefix = "key:".getBytes(StandardCharsets.US_ASCII);
    long[] counts = new long[2];
    ReplyScanner scanner = new ReplyScanner((error, message) -> {
      counts[0]++;
      if (error) {
        counts[1]++;
      }
    });
    io.vertx.core.buffer.Buffer b = io.vertx.core.buffer.Buffer.buffer(m * (valueSize + 48));
    for (int i = 0; i < m; i++) {
      Resp.arrayHeader(b, 3);
      Resp.bulk(b, set);
      Resp.bulkKey(b, prefix, first + i);
      Resp.bulk(b, value);
    }
    out.write(b.getBytes());
    out.flush();
    byte[] buf = new byte[65536];
    while (counts[0] < m) {
      int r = in.read(buf);
      if (r < 0) {
        throw new EOFException("server closed the connection during preload");
      }
      scanner.feed(buf, 0, r);
    }
    return counts[1];
  }

  /** The value of {@code field} in an INFO reply, or null. */
  public static String infoField(Object info, String field) {
    if (!(info instanceof String s)) {
      return null;
    }
    for (String l : s.split("\r\n")) {
      if (l.startsWith(field + ":")) {
        return l.substring(field.length() + 1).trim();
      }
    }
    return null;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing
    }
  }
}
