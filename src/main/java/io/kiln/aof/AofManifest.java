package io.kiln.aof;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Redis 7.0 multi-part AOF manifest ({@code appendonlydir/appendonly.aof.manifest}), read as
 * Redis's aofLoadManifestFromFile reads it: one line per file, space-separated key/value pairs
 * ({@code file <name> seq <n> type <b|h|i>}, keys case-insensitive, at least three pairs, keys it
 * does not know ignored for forward compatibility), values optionally quoted as Redis's
 * sdssplitargs understands ({@code "a b\x41"}, {@code 'a b'}); lines starting with {@code #} are
 * comments; every other line must end with a newline and be at most 1024 bytes. There is at most
 * one base file ({@code type b}); incr files ({@code type i}) come in strictly increasing
 * {@code seq} order; history files ({@code type h}) are left out. A file name must be a plain
 * name, not a path. Any violation is an {@link IOException} naming the file, the line number and
 * the line, with Redis's words for the problem.
 *
 * <p>Immutable once read; made on the thread that calls {@link #read} (the loader thread or the
 * thread running {@link AofCheck}) and safe to hand to others.
 */
public final class AofManifest {
  /** Redis's MANIFEST_MAX_LINE: longest line, newline included. */
  private static final int MAX_LINE = 1024;

  private final Path base;
  private final List<Path> incrs;

  private AofManifest(Path base, List<Path> incrs) {
    this.base = base;
    this.incrs = List.copyOf(incrs);
  }

  /**
   * {@code dir/appendDirName/appendFileName.manifest} when that file exists, else null (no
   * multi-part AOF there: Redis then looks for the single file {@code dir/appendFileName}).
   */
  public static Path find(Path dir, String appendDirName, String appendFileName) {
    Path p = dir.resolve(appendDirName).resolve(appendFileName + ".manifest");
    return Files.isRegularFile(p) ? p : null;
  }

  /** The base file (RDB or RESP), resolved against the manifest's directory; null if none. */
  public Path base() {
    return base;
  }

  /** The incr files in order, resolved against the manifest's directory. */
  public List<Path> incrs() {
    return incrs;
  }

  /** Parses {@code manifestFile}; a malformed manifest is an IOException naming the line. */
  public static AofManifest read(Path manifestFile) throws IOException {
    byte[] data = Files.readAllBytes(manifestFile);
    Path dir = manifestFile.toAbsolutePath().getParent();
    Path base = null;
    List<Path> incrs = new ArrayList<>();
    long maxSeq = 0;
    int lineNum = 0;
    int at = 0;
    if (data.length == 0) {
      throw new IOException("Found an empty AOF manifest: " + manifestFile);
    }
    while (at < data.length) {
      // Redis reads a line with fgets into MAX_LINE + 1 bytes.
      int end = at;
      while (end < data.length && end - at < MAX_LINE - 1 && data[end] != '\n') {
        end++;
      }
      boolean newline = end < data.length && data[end] == '\n';
      String raw = new String(data, at, end - at, StandardCharsets.ISO_8859_1);
      at = newline ? end + 1 : end;
      lineNum++;
      if (raw.startsWith("#")) {
        continue;
      }
      if (!newline) {
        throw error(manifestFile, lineNum, raw, "The AOF manifest file contains too long line"
            + " (or its last line lacks a newline)");
      }
      String line = raw.replaceAll("^[ \t\r\n]+|[ \t\r\n]+$", "");
      if (line.isEmpty()) {
        throw error(manifestFile, lineNum, raw, "Invalid AOF manifest file format");
      }
      List<byte[]> args = io.kiln.resp.RespDecoder.splitArgs(line); // sdssplitargs, as Redis
      if (args == null || args.size() < 6 || args.size() % 2 != 0) {
        throw error(manifestFile, lineNum, line, "Invalid AOF manifest file format");
      }
      String name = null;
      long seq = 0;
      char type = 0;
      for (int i = 0; i < args.size(); i += 2) {
        String key = new String(args.get(i), StandardCharsets.ISO_8859_1);
        byte[] value = args.get(i + 1);
        if (key.equalsIgnoreCase("file")) {
          name = new String(value, StandardCharsets.UTF_8);
          if (name.isEmpty() || name.contains("/") || name.contains("\0") || name.equals(".")
              || name.equals("..")) {
            throw error(manifestFile, lineNum, line, "File can't be a path, just a filename");
          }
        } else if (key.equalsIgnoreCase("seq")) {
          seq = atoll(new String(value, StandardCharsets.ISO_8859_1));
        } else if (key.equalsIgnoreCase("type")) {
          type = value.length == 0 ? 0 : (char) (value[0] & 0xff);
        }
      }
      if (name == null || seq == 0 || type == 0) {
        throw error(manifestFile, lineNum, line, "Invalid AOF manifest file format");
      }
      switch (type) {
        case 'b' -> {
          if (base != null) {
            throw error(manifestFile, lineNum, line, "Found duplicate base file information");
          }
          base = dir.resolve(name);
        }
        case 'h' -> {
          // History: kept by Redis for deletion only, never loaded.
        }
        case 'i' -> {
          if (seq <= maxSeq) {
            throw error(manifestFile, lineNum, line, "Found a non-monotonic sequence number");
          }
          maxSeq = seq;
          incrs.add(dir.resolve(name));
        }
        default -> throw error(manifestFile, lineNum, line, "Unknown AOF file type");
      }
    }
    return new AofManifest(base, incrs);
  }

  private static IOException error(Path file, int lineNum, String line, String what) {
    return new IOException(what + ": " + file + ", at line " + lineNum + ": '" + line + "'");
  }

  /** C's atoll: optional blanks and sign, then digits; 0 when there are none. */
  private static long atoll(String s) {
    int i = 0;
    while (i < s.length() && " \t\n\u000b\f\r".indexOf(s.charAt(i)) >= 0) {
      i++;
    }
    boolean neg = false;
    if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      neg = s.charAt(i) == '-';
      i++;
    }
    long v = 0;
    while (i < s.length() && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) {
      v = v * 10 + (s.charAt(i) - '0');
      i++;
    }
    return neg ? -v : v;
  }

}
