package io.kiln.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A raw RESP client for tests: sends commands as multibulk (or raw bytes) and returns each reply
 * as the exact bytes the server sent, so tests can compare Kiln with Redis byte for byte.
 * Blocking; used from the test thread only. Reads time out after 5 s.
 */
public final class RespClient implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  public RespClient(String host, int port) {
    try {
      socket = new Socket(host, port);
      socket.setSoTimeout(5_000);
      socket.setTcpNoDelay(true);
      in = new BufferedInputStream(socket.getInputStream());
      out = socket.getOutputStream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits up to {@code ms} for a reply from now on (5 s by default). */
  public RespClient timeout(int ms) {
    try {
      socket.setSoTimeout(ms);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** Sends one command and returns its raw reply as text (bytes as ISO-8859-1). */
  public String call(String... args) {
    send(args);
    return readReply();
  }

  public String call(List<byte[]> args) {
    sendRaw(encode(args));
    return readReply();
  }

  public void send(String... args) {
    List<byte[]> bytes = new java.util.ArrayList<>();
    for (String a : args) {
      bytes.add(a.getBytes(StandardCharsets.ISO_8859_1));
    }
    sendRaw(encode(bytes));
  }

  public static byte[] encode(List<byte[]> args) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(("*" + args.size() + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (byte[] a : args) {
      b.writeBytes(("$" + a.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      b.writeBytes(a);
      b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    return b.toByteArray();
  }

  public void sendRaw(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void sendRaw(String s) {
    sendRaw(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Reads one complete reply (any RESP2/RESP3 type, nested) and returns its raw bytes. */
  public String readReply() {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    try {
      readOne(raw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return raw.toString(StandardCharsets.ISO_8859_1);
  }

  /** Bytes received and not read yet (0 when the server has sent nothing more). */
  public int pendingBytes() {
    try {
      return in.available();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** True when the server closed the connection (reads EOF within the timeout). */
  public boolean closedByServer() {
    try {
      return in.read() == -1;
    } catch (IOException e) {
      return true;
    }
  }

  private void readOne(ByteArrayOutputStream raw) throws IOException {
    String line = readLine(raw);
    char type = line.charAt(0);
    switch (type) {
      case '+', '-', ':', ',', '#', '_', '(' -> { }
      case '$', '=', '!' -> {
        long n = Long.parseLong(line.substring(1));
        if (n >= 0) {
          raw.write(in.readNBytes((int) n + 2));
        }
      }
      case '*', '~', '>' -> {
        long n = Long.parseLong(line.substring(1));
        for (long i = 0; i < n; i++) {
          readOne(raw);
        }
      }
      case '%', '|' -> {
        long n = Long.parseLong(line.substring(1));
        for (long i = 0; i < 2 * n; i++) {
          readOne(raw);
        }
        if (type == '|') {
          readOne(raw); // an attribute precedes the actual reply
        }
      }
      default -> throw new IOException("not a RESP reply: " + line);
    }
  }

  private String readLine(ByteArrayOutputStream raw) throws IOException {
    StringBuilder sb = new StringBuilder();
    int prev = -1;
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("connection closed after: " + sb);
      }
      raw.write(c);
      if (prev == '\r' && c == '\n') {
        return sb.substring(0, sb.length() - 1);
      }
      sb.append((char) c);
      prev = c;
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing a test socket
    }
  }

  /** The value of {@code name} in INFO {@code section}, or "" when it is not there. */
  public String infoField(String section, String name) {
    String info = call("INFO", section);
    int at = info.indexOf("\r\n" + name + ":");
    if (at < 0) {
      return "";
    }
    int start = at + name.length() + 3;
    return info.substring(start, info.indexOf("\r\n", start));
  }
}
