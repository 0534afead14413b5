package io.kiln.aof;

import io.kiln.aof.AofFormatException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Incremental reader of the command part of an append-only file: RESP arrays of bulk strings
 * ({@code *<n>\r\n$<len>\r\n<bytes>\r\n...}), one command per {@link #next()}, after an optional
 * RDB preamble that the caller has already consumed ({@code startOffset}).
 *
 * <p>Failures follow Redis 7.0's loadSingleAppendOnlyFile: when the file ends before a command is
 * complete and every byte read so far could begin a well-formed command, it is
 * {@link Kind#TRUNCATED} (so {@code *3\r\n$3\r\nSE} at the end of file is a truncation); a byte
 * that cannot belong to a well-formed command is {@link Kind#BAD_FORMAT}. Lines starting with
 * {@code #} between commands are annotations (Redis 7.0 writes {@code #TS:<unix time>}) and are
 * skipped, up to and including their {@code \n}. Where Redis's loader is lenient (it parses
 * counts with atoi/strtol and never checks the CRLF after a bulk) this reader is strict, as
 * redis-check-aof is: counts are decimal digits ended by CRLF, a bulk is followed by CRLF, an
 * array has at least one element.
 *
 * <p>Reads the stream in blocks of {@link #BLOCK} bytes into its own buffer (do not wrap the
 * stream in a BufferedInputStream). A bulk value is read into one array of its length; a value
 * over {@link #BULK_STEP} bytes is read into an array that grows geometrically to its declared
 * length as bytes arrive, so a corrupt length costs no more memory than the file holds, and the
 * copying stays linear.
 *
 * <p>Owned by one thread (the loader thread, or the thread running {@link AofCheck}); not
 * thread-safe.
 */
public final class AofReader {
  /** Bytes read from the stream at a time. */
  static final int BLOCK = 1 << 16;
  /** Bulk values up to this size are allocated at once; larger ones grow as they arrive. */
  static final int BULK_STEP = 1 << 26;
  /** The largest bulk a Java array holds. */
  static final long MAX_BULK = Integer.MAX_VALUE - 8;
  /** Digits allowed in a count: 18 keep it within a long. */
  private static final int MAX_DIGITS = 18;

  private final InputStream in;
  private final byte[] buf = new byte[BLOCK];
  /** buf[pos, limit) is read from the stream and not consumed yet. */
  private int pos;
  private int limit;
  /** File offset of buf[0]. */
  private long bufStart;
  /** True once the stream returned end of file. */
  private boolean eof;
  /** File offset just after the last complete command returned. */
  private long valid;

  /** A reader of {@code in}, which is positioned at file offset {@code startOffset}. */
  public AofReader(InputStream in, long startOffset) {
    this.in = in;
    this.bufStart = startOffset;
    this.valid = startOffset;
  }

  /**
   * True when {@code file} starts with the 5 bytes "REDIS" (an RDB preamble or RDB base), as
   * Redis's loader decides. False when the file does not exist or is shorter; another I/O error
   * is an {@link UncheckedIOException}.
   */
  public static boolean hasRdbPreamble(Path file) {
    try (InputStream s = Files.newInputStream(file)) {
      byte[] sig = s.readNBytes(5);
      return Arrays.equals(sig, "REDIS".getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** File offset just after the last complete command returned (the valid prefix length). */
  public long offset() {
    return valid;
  }

  /**
   * The next command's arguments, or null at a clean end of file (the file ends exactly after a
   * command or an annotation line).
   */
  public byte[][] next() throws IOException, AofFormatException {
    int b;
    while ((b = peek()) == '#') {
      skipLine();
    }
    if (b < 0) {
      return null;
    }
    if (b != '*') {
      throw bad(position(), "expected '*', got " + describe(b));
    }
    long start = position();
    pos++;
    long argc = readCount();
    if (argc < 1 || argc > Integer.MAX_VALUE - 8) {
      throw bad(start, "a command of " + argc + " arguments");
    }
    byte[][] argv = new byte[(int) Math.min(argc, 1024)][];
    for (int i = 0; i < argc; i++) {
      if (i == argv.length) {
        argv = Arrays.copyOf(argv, (int) Math.min(argc, (long) argv.length * 2));
      }
      int d = peek();
      if (d < 0) {
        throw truncated();
      }
      if (d != '$') {
        throw bad(position(), "expected '$', got " + describe(d));
      }
      pos++;
      long len = readCount();
      if (len > MAX_BULK) {
        throw bad(position(), "a bulk of " + len + " bytes");
      }
      argv[i] = readBulk((int) len);
      expect('\r');
      expect('\n');
    }
    valid = position();
    return argv;
  }

  /** Reads decimal digits and the CRLF after them. */
  private long readCount() throws IOException, AofFormatException {
    long v = 0;
    int digits = 0;
    while (true) {
      int c = peek();
      if (c < 0) {
        throw truncated();
      }
      if (c >= '0' && c <= '9') {
        if (++digits > MAX_DIGITS) {
          throw bad(position(), "a count of more than " + MAX_DIGITS + " digits");
        }
        v = v * 10 + (c - '0');
        pos++;
      } else if (c == '\r' && digits > 0) {
        pos++;
        expect('\n');
        return v;
      } else {
        throw bad(position(), "expected a digit, got " + describe(c));
      }
    }
  }

  private byte[] readBulk(int len) throws IOException, AofFormatException {
    byte[] out = new byte[Math.min(len, BULK_STEP)];
    int filled = 0;
    while (filled < len) {
      if (filled == out.length) {
        out = Arrays.copyOf(out, (int) Math.min(len, 2L * out.length));
      }
      int want = out.length - filled;
      if (pos < limit) {
        int n = Math.min(want, limit - pos);
        System.arraycopy(buf, pos, out, filled, n);
        pos += n;
        filled += n;
      } else if (want >= BLOCK && !eof) {
        // Large remainder: straight from the stream into the value, no double copy.
        int n = in.read(out, filled, want);
        if (n < 0) {
          eof = true;
        } else {
          bufStart += n;
          filled += n;
        }
      } else if (fill() < 0) {
        throw truncated();
      }
      if (eof && pos == limit && filled < len) {
        throw truncated();
      }
    }
    return out;
  }

  private void expect(int want) throws IOException, AofFormatException {
    int c = peek();
    if (c < 0) {
      throw truncated();
    }
    if (c != want) {
      throw bad(position(), "expected " + describe(want) + ", got " + describe(c));
    }
    pos++;
  }

  /** Skips an annotation line through its '\n' (or to the end of file). */
  private void skipLine() throws IOException {
    while (peek() >= 0) {
      byte c = buf[pos++];
      if (c == '\n') {
        return;
      }
    }
  }

  /** The next byte without consuming it, or -1 at end of file. */
  private int peek() throws IOException {
    if (pos == limit && fill() < 0) {
      return -1;
    }
    return buf[pos] & 0xff;
  }

  /** Refills the (consumed) buffer; -1 at end of file. */
  private int fill() throws IOException {
    if (eof) {
      return -1;
    }
    bufStart += limit;
    pos = 0;
    limit = 0;
    while (true) {
      int n = in.read(buf, 0, buf.length);
      if (n < 0) {
        eof = true;
        return -1;
      }
      if (n > 0) {
        limit = n;
        return n;
      }
    }
  }

  private long position() {
    return bufStart + pos;
  }

  private AofFormatException truncated() {
    return new AofFormatException(Kind.TRUNCATED, valid,
        "Unexpected end of file reading the append only file at offset " + position()
            + ": the command starting at offset " + valid + " is incomplete");
  }

  private AofFormatException bad(long at, String what) {
    return new AofFormatException(Kind.BAD_FORMAT, valid,
        "Bad file format reading the append only file at offset " + at + ": " + what
            + " (the last valid command ends at offset " + valid + ")");
  }

  private static String describe(int c) {
    if (c >= 0x20 && c < 0x7f) {
      return "'" + (char) c + "'";
    }
    return String.format("0x%02x", c);
  }
}
