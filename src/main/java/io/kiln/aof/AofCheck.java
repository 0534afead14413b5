package io.kiln.aof;

import io.kiln.config.IoErrors;
import io.kiln.rdb.RdbCheck;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A redis-check-aof (Redis 7.0) work-alike: {@code check-aof [--fix [--yes]] <file>} checks a
 * single append-only file (RESP commands, optionally after an RDB preamble that is checked as
 * redis-check-rdb does) or a multi-part AOF given by its manifest, and prints what
 * redis-check-aof prints: the first problem as {@code 0x<offset>: <what>}, then
 * {@code AOF analyzed: filename=..., size=..., ok_up_to=..., ok_up_to_line=..., diff=...}, then
 * {@code AOF <file> is valid} or {@code AOF <file> is not valid. Use the --fix option to try
 * fixing it.} The command part is judged by redis-check-aof's own rules, which differ from the
 * loader's ({@link AofReader}): counts are read as C's strtol reads them, so {@code *0} and
 * {@code *-1} pass; an unfinished MULTI is an error ("Reached EOF before reading EXEC for MULTI")
 * and the valid prefix ends before it; lines starting with {@code #} are annotations.
 *
 * <p>{@code --fix} truncates the file to its valid prefix (in a multi-part AOF only the last
 * file) after asking {@code Continue? [y/N]:} and reading one line of {@code stdin}, as Redis
 * does whether or not stdin is a terminal ({@code echo y | kiln check-aof --fix f} works, and an
 * empty stdin aborts). For scripts, {@code --fix --yes} answers yes without reading stdin; the
 * output is then the same as with {@code y} piped in. {@code --truncate-to-timestamp T} cuts
 * the file before its first {@code #TS:} annotation later than T (aof-timestamp-enabled), as
 * redis-check-aof does: the data as it was at T.
 *
 * <p>Runs on the calling thread (the launcher's main thread for {@code kiln check-aof}); blocking
 * file I/O.
 */
public final class AofCheck {
  private static final String USAGE =
      "Usage: check-aof [--fix [--yes]|--truncate-to-timestamp <unix-seconds>] "
          + "<file.manifest|file.aof>";
  /** Result of one file's check, as redis-check-aof names them. */
  private static final int OK = 0;
  private static final int EMPTY = 1;
  private static final int TRUNCATED = 2;
  private static final int TIMESTAMP_TRUNCATED = 3;
  /** --truncate-to-timestamp: annotations after it are where the file is cut. */
  private long toTimestamp = Long.MAX_VALUE;
  private long tsCut = -1;

  /** redis-check-aof's exit(code). */
  private static final class Exit extends Exception {
    private static final long serialVersionUID = 1L;
    final int code;

    Exit(int code) {
      super(null, null, false, false);
      this.code = code;
    }
  }

  private final PrintStream out;
  private final InputStream stdin;
  private final boolean fix;
  private final boolean yes;
  /** redis-check-aof's globals: the last read's offset, lines consumed, the first error. */
  private long epos;
  private long line = 1;
  private String error;
  /**
   * readLong's buffer for '*' lines. A "got: " message may print the byte after the line's NUL,
   * which in redis-check-aof is uninitialised stack memory: for '*' lines what the previous '*'
   * line left there (so this buffer is reused), for '$' lines in practice zero (so those get a
   * fresh buffer). Zero here before the first '*' line, where Redis shows whatever the stack held.
   */
  private final byte[] argcBuf = new byte[128];

  private AofCheck(PrintStream out, InputStream stdin, boolean fix, boolean yes) {
    this.out = out;
    this.stdin = stdin;
    this.fix = fix;
    this.yes = yes;
  }

  /** Runs {@code check-aof} with {@code args} (after the subcommand); 0 valid or fixed, else 1. */
  public static int run(String[] args, PrintStream out, InputStream stdin) {
    boolean fix = false;
    boolean yes = false;
    String file;
    if (args.length == 1 && !args[0].startsWith("--")) {
      file = args[0];
    } else if (args.length == 2 && args[0].equals("--fix")) {
      fix = true;
      file = args[1];
    } else if (args.length == 3 && args[0].equals("--fix") && args[1].equals("--yes")) {
      fix = true;
      yes = true;
      file = args[2];
    } else if (args.length == 3 && args[0].equals("--truncate-to-timestamp")
        && args[1].matches("[0-9]{1,18}")) {
      file = args[2];
      AofCheck c = new AofCheck(out, stdin, false, false);
      c.toTimestamp = Long.parseLong(args[1]);
      return c.run(file);
    } else {
      out.println(USAGE);
      out.flush();
      return 1;
    }
    return new AofCheck(out, stdin, fix, yes).run(file);
  }

  private int run(String file) {
    try {
      check(file);
      return 0;
    } catch (Exit e) {
      return e.code;
    } finally {
      out.flush();
    }
  }

  private void check(String file) throws Exit {
    int slash = file.lastIndexOf('/');
    String dir = slash < 0 ? "." : slash == 0 ? "/" : file.substring(0, slash);
    if (isManifest(file)) {
      checkMultiPart(dir, file);
    } else {
      out.println("Start checking Old-Style AOF");
      int r = checkSingle(file, file, true, isRdb(file));
      printStyle(r, file, "AOF");
    }
  }

  private void checkMultiPart(String dir, String manifestFile) throws Exit {
    out.println("Start checking Multi Part AOF");
    AofManifest am;
    try {
      am = AofManifest.read(Path.of(manifestFile));
    } catch (IOException e) {
      out.println(e.getMessage());
      throw new Exit(1);
    }
    List<String> names = new ArrayList<>();
    for (Path p : am.incrs()) {
      names.add(p.getFileName().toString());
    }
    int total = names.size() + (am.base() != null ? 1 : 0);
    int n = 0;
    if (am.base() != null) {
      String name = am.base().getFileName().toString();
      String path = dir + "/" + name;
      boolean rdb = isRdb(path);
      out.println("Start to check BASE AOF (" + (rdb ? "RDB" : "RESP") + " format).");
      int r = checkSingle(name, path, ++n == total, rdb);
      printStyle(r, name, "BASE AOF");
    }
    if (!names.isEmpty()) {
      out.println("Start to check INCR files.");
      for (String name : names) {
        int r = checkSingle(name, dir + "/" + name, ++n == total, false);
        printStyle(r, name, "INCR AOF");
      }
    }
    out.println("All AOF files and manifest are valid");
  }

  private void printStyle(int r, String name, String type) {
    if (r == OK) {
      out.println(type + " " + name + " is valid");
    } else if (r == EMPTY) {
      out.println(type + " " + name + " is empty");
    } else if (r == TIMESTAMP_TRUNCATED) {
      out.println("Successfully truncated AOF " + name + " to timestamp " + toTimestamp);
    } else {
      out.println("Successfully truncated AOF " + name);
    }
  }

  /** One file: its RDB preamble if any, then its commands; OK, EMPTY or TRUNCATED. */
  private int checkSingle(String name, String path, boolean lastFile, boolean preamble)
      throws Exit {
    try (FileChannel ch = FileChannel.open(Path.of(path), StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      long size = ch.size();
      if (size == 0) {
        return EMPTY;
      }
      long start = 0;
      if (preamble) {
        long end = RdbCheck.check(name, Channels.newInputStream(ch), out);
        if (end < 0) {
          out.println("RDB preamble of AOF file is not sane, aborting.");
          throw new Exit(1);
        }
        out.println("RDB preamble is OK, proceeding with AOF tail...");
        start = end;
      }
      Scan s = new Scan(ch, size, start);
      long pos = scan(s, path, start);
      if (tsCut >= 0) {
        if (!lastFile) {
          out.println("Failed to truncate AOF " + name + " to timestamp " + toTimestamp
              + " because it is not the last file.");
          throw new Exit(1);
        }
        ch.truncate(tsCut);
        ch.force(true);
        return TIMESTAMP_TRUNCATED;
      }
      if (error != null) {
        out.write(error.getBytes(StandardCharsets.ISO_8859_1), 0, error.length());
        out.println();
      }
      long diff = size - pos;
      out.println("AOF analyzed: filename=" + name + ", size=" + size + ", ok_up_to=" + pos
          + ", ok_up_to_line=" + line + ", diff=" + diff);
      if (diff <= 0) {
        return OK;
      }
      if (!fix) {
        out.println("AOF " + name + " is not valid. Use the --fix option to try fixing it.");
        throw new Exit(1);
      }
      if (!lastFile) {
        out.println("Failed to truncate AOF " + name + " because it is not the last file");
        throw new Exit(1);
      }
      out.println("This will shrink the AOF " + name + " from " + size + " bytes, with " + diff
          + " bytes, to " + pos + " bytes");
      out.print("Continue? [y/N]: ");
      out.flush();
      if (!yes) {
        int answer = stdin.read();
        if (answer != 'y' && answer != 'Y') {
          out.println("Aborting...");
          throw new Exit(1);
        }
      }
      try {
        ch.truncate(pos);
        ch.force(true);
      } catch (IOException e) {
        out.println("Failed to truncate AOF " + name);
        throw new Exit(1);
      }
      return TRUNCATED;
    } catch (IOException e) {
      out.println("Cannot open file " + path + ": " + IoErrors.reason(e) + ", aborting...");
      throw new Exit(1);
    }
  }

  /** Walks the command part; returns the valid prefix's end (ok_up_to). */
  private long scan(Scan s, String path, long start) throws IOException {
    long pos = start;
    int multi = 0;
    while (true) {
      if (multi == 0) {
        pos = s.pos;
      }
      int c = s.peek();
      if (c < 0) {
        break;
      }
      if (c == '#') {
        epos = s.pos;
        byte[] ann = s.fgets(new byte[1024]);
        long ts = timestamp(ann);
        if (multi == 0 && ts > toTimestamp) { // --truncate-to-timestamp: the cut is here
          tsCut = epos;
          return epos;
        }
      } else if (c == '*') {
        int[] m = {multi};
        boolean ok = processResp(s, path, m);
        multi = m[0];
        if (!ok) {
          break;
        }
      } else {
        out.println("AOF " + path + " format error");
        break;
      }
    }
    if (s.eof && multi != 0 && error == null) {
      error("Reached EOF before reading EXEC for MULTI");
    }
    return pos;
  }

  /** The seconds of a {@code #TS:<seconds>} annotation line, or -1 for another annotation. */
  private static long timestamp(byte[] line) {
    if (line == null || line.length < 5 || line[1] != 'T' || line[2] != 'S' || line[3] != ':') {
      return -1;
    }
    long v = 0;
    for (int i = 4; i < line.length && line[i] >= '0' && line[i] <= '9'; i++) {
      v = v * 10 + (line[i] - '0');
    }
    return v;
  }

  private boolean processResp(Scan s, String path, int[] multi) throws IOException {
    long[] argc = new long[1];
    if (!readLong(s, '*', argc)) {
      return false;
    }
    for (long i = 0; i < argc[0]; i++) {
      byte[] first = readString(s);
      if (first == null) {
        return false;
      }
      if (i == 0) {
        String cmd = new String(first, StandardCharsets.ISO_8859_1);
        if (cmd.equalsIgnoreCase("multi")) {
          if (multi[0]++ != 0) {
            error("Unexpected MULTI in AOF " + latin1(path));
            return false;
          }
        } else if (cmd.equalsIgnoreCase("exec")) {
          if (--multi[0] != 0) {
            error("Unexpected EXEC in AOF " + latin1(path));
            return false;
          }
        }
      }
    }
    return true;
  }

  /** A "$len" line and its bulk; the bulk's C-string head (up to 6 bytes), or null. */
  private byte[] readString(Scan s) throws IOException {
    long[] len = new long[1];
    if (!readLong(s, '$', len)) {
      return null;
    }
    if (len[0] < 0 || len[0] > Long.MAX_VALUE - 2) {
      error("Expected to read string of " + len[0]
          + " bytes, which is not in the suitable range");
      return null;
    }
    long want = len[0] + 2;
    epos = s.pos;
    long real = s.skip(want);
    if (real != want) {
      error("Expected to read " + want + " bytes, got " + real + " bytes");
      return null;
    }
    long end = epos + want;
    if (!consumeNewline(s.at(end - 2), s.at(end - 1))) {
      return null;
    }
    int headLen = (int) Math.min(6, len[0]);
    byte[] head = new byte[headLen];
    for (int i = 0; i < headLen; i++) {
      head[i] = (byte) s.at(epos + i);
      if (head[i] == 0) {
        return java.util.Arrays.copyOf(head, i);
      }
    }
    return head;
  }

  /** fgets of 128 bytes, the prefix, strtol and the CRLF after the number. */
  private boolean readLong(Scan s, char prefix, long[] target) throws IOException {
    epos = s.pos;
    byte[] buf = s.fgets(prefix == '*' ? argcBuf : new byte[128]);
    if (buf == null) {
      return false;
    }
    if (buf[0] != prefix) {
      error("Expected prefix '" + prefix + "', got: '" + (char) (buf[0] & 0xff) + "'");
      return false;
    }
    // C's strtol on buf + 1: blanks, a sign, digits (saturating); eptr after the digits, or
    // at buf + 1 when there are none.
    int p = 1;
    while (isSpace(buf[p])) {
      p++;
    }
    boolean neg = false;
    if (buf[p] == '+' || buf[p] == '-') {
      neg = buf[p] == '-';
      p++;
    }
    long v = 0;
    boolean overflow = false;
    int digitsFrom = p;
    while (buf[p] >= '0' && buf[p] <= '9') {
      int d = buf[p] - '0';
      if (v > (Long.MAX_VALUE - d) / 10) {
        overflow = true;
      } else {
        v = v * 10 + d;
      }
      p++;
    }
    int eptr = p == digitsFrom ? 1 : p;
    target[0] = overflow ? (neg ? Long.MIN_VALUE : Long.MAX_VALUE) : (neg ? -v : v);
    return consumeNewline(buf[eptr], eptr + 1 < buf.length ? buf[eptr + 1] : 0);
  }

  private boolean consumeNewline(int a, int b) {
    if ((byte) a != '\r' || (byte) b != '\n') {
      // %02x of a C char: bytes over 0x7f are negative ints, printed in 32 bits.
      error("Expected \\r\\n, got: " + hex((byte) a) + hex((byte) b));
      return false;
    }
    line++;
    return true;
  }

  private static String hex(byte c) {
    return c < 0 ? Integer.toHexString(c) : String.format("%02x", c);
  }

  private static boolean isSpace(byte c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
  }

  private void error(String what) {
    error = String.format("0x%16x: ", epos) + what;
  }

  private static String latin1(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  /** redis-check-aof's fileIsRDB: at least 8 bytes, starting "REDIS". */
  private boolean isRdb(String path) throws Exit {
    try {
      Path p = Path.of(path);
      return Files.size(p) >= 8 && AofReader.hasRdbPreamble(p);
    } catch (IOException e) {
      out.println("Cannot open file " + path + ": " + IoErrors.reason(e));
      throw new Exit(1);
    }
  }

  /** redis-check-aof's fileIsManifest: a line, not a comment, that starts with "file". */
  private boolean isManifest(String path) throws Exit {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(Path.of(path)))) {
      // fgets into 1025 bytes: a line, or 1024 bytes of one; only its first 4 bytes matter.
      byte[] head = new byte[4];
      int k = 0;
      int c;
      while ((c = in.read()) >= 0) {
        if (k < 4) {
          head[k] = (byte) c;
        }
        k++;
        if (c == '\n' || k == 1024) {
          if (k >= 4 && head[0] == 'f' && head[1] == 'i' && head[2] == 'l' && head[3] == 'e') {
            return true;
          }
          k = 0;
        }
      }
      return k >= 4 && head[0] == 'f' && head[1] == 'i' && head[2] == 'l' && head[3] == 'e';
    } catch (IOException e) {
      out.println("Cannot open file " + path + ": " + IoErrors.reason(e));
      throw new Exit(1);
    }
  }

  /**
   * The file as redis-check-aof's stdio sees it: a position, an end-of-file flag set when a read
   * wanted more than was left, and reads through a 64 KiB window.
   */
  private static final class Scan {
    private final FileChannel ch;
    private final long size;
    private final ByteBuffer win = ByteBuffer.allocate(1 << 16);
    private long winStart = -1;
    long pos;
    boolean eof;

    Scan(FileChannel ch, long size, long start) {
      this.ch = ch;
      this.size = size;
      this.pos = start;
    }

    /** The byte at {@code off} (unsigned), or -1 past the end. */
    int at(long off) throws IOException {
      if (off >= size) {
        return -1;
      }
      if (winStart < 0 || off < winStart || off >= winStart + win.limit()) {
        win.clear();
        winStart = off;
        while (win.hasRemaining() && ch.read(win, winStart + win.position()) > 0) {
          // fill the window
        }
        win.flip();
        if (win.limit() == 0) {
          return -1;
        }
      }
      return win.get((int) (off - winStart)) & 0xff;
    }

    int peek() throws IOException {
      int c = at(pos);
      if (c < 0) {
        eof = true;
      }
      return c;
    }

    /**
     * C's fgets into {@code buf}: at most {@code buf.length - 1} bytes, through a newline, then
     * a NUL; what lies after the NUL stays as an earlier read left it. Null at EOF.
     */
    byte[] fgets(byte[] buf) throws IOException {
      int n = buf.length;
      int k = 0;
      while (k < n - 1) {
        int c = at(pos);
        if (c < 0) {
          eof = true;
          break;
        }
        buf[k++] = (byte) c;
        pos++;
        if (c == '\n') {
          break;
        }
      }
      if (k == 0) {
        return null;
      }
      buf[k] = 0;
      return buf;
    }

    /** C's fread of {@code n} bytes, not kept: how many there were. */
    long skip(long n) {
      long real = Math.min(n, size - pos);
      if (real < n) {
        eof = true;
      }
      pos += real;
      return real;
    }
  }
}
