package io.kiln.config;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Reads redis.conf syntax into directive lines: one directive per line, {@code #} comments, blank
 * lines, arguments split and unquoted like Redis's {@code sdssplitargs}, {@code include} files
 * expanded in place. Also turns redis-server style {@code --name value...} argv into lines.
 *
 * <p>Threads: stateless static methods; used at startup on the main thread and by CONFIG REWRITE
 * on a worker thread.
 */
final class ConfigParser {
  /** Where command-line overrides are reported to come from. */
  static final String COMMAND_LINE = "(command line)";

  /** One directive line: its origin (for error messages) and its words, the name first. */
  record Line(String source, int number, List<String> args) {
    /** "file:line" or "(command line)". */
    String where() {
      return number > 0 ? source + ":" + number : source;
    }
  }

  /** Thrown when a line's quoting is unbalanced. */
  static final class UnbalancedQuotes extends Exception {
    private static final long serialVersionUID = 1L;
  }

  private ConfigParser() {}

  /** Reads a config file (and the files it includes) into directive lines. */
  static List<Line> readFile(String file) throws ConfigException {
    List<Line> out = new ArrayList<>();
    readFile(file, null, new ArrayDeque<>(), out);
    return out;
  }

  private static void readFile(String file, Line includedFrom, Deque<Path> open, List<Line> out)
      throws ConfigException {
    String prefix = includedFrom == null ? "" : includedFrom.where() + ": ";
    Path path = Path.of(file).toAbsolutePath().normalize();
    if (open.contains(path)) {
      throw new ConfigException(prefix + "config file '" + file + "' includes itself");
    }
    String content;
    try {
      content = Files.readString(Path.of(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(prefix + "cannot read config file '" + file + "': " + IoErrors.reason(e));
    }
    open.push(path);
    String[] lines = content.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (isComment(lines[i])) {
        continue;
      }
      List<String> args;
      try {
        args = splitArgs(lines[i]);
      } catch (UnbalancedQuotes e) {
        throw new ConfigException(file + ":" + (i + 1) + ": unbalanced quotes in configuration line");
      }
      if (args.isEmpty()) {
        continue;
      }
      Line line = new Line(file, i + 1, args);
      if (args.get(0).equalsIgnoreCase("include") && args.size() == 2) {
        for (String included : expandInclude(args.get(1), line)) {
          readFile(included, line, open, out);
        }
      } else {
        out.add(line);
      }
    }
    open.pop();
  }

  /** An include path, or the files a wildcard in its last component matches (sorted). */
  private static List<String> expandInclude(String pattern, Line line) throws ConfigException {
    if (pattern.chars().noneMatch(c -> c == '*' || c == '?' || c == '[')) {
      return List.of(pattern);
    }
    Path glob = Path.of(pattern);
    Path dir = glob.getParent() == null ? Path.of("") : glob.getParent();
    List<String> files = new ArrayList<>();
    try (DirectoryStream<Path> matches =
        Files.newDirectoryStream(dir, glob.getFileName().toString())) {
      matches.forEach(p -> files.add(p.toString()));
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new ConfigException(line.where() + ": cannot read '" + pattern + "': " + IoErrors.reason(e));
    }
    files.sort(null);
    return files;
  }

  /**
   * Turns redis-server argv ({@code --port 7000 --save "" --loglevel verbose}) into lines: each
   * {@code --name} starts a directive, the following words are its arguments.
   */
  static List<Line> readArgv(List<String> argv) throws ConfigException {
    List<Line> out = new ArrayList<>();
    List<String> current = null;
    for (String word : argv) {
      if (word.startsWith("--") && word.length() > 2) {
        current = new ArrayList<>();
        current.add(word.substring(2));
        out.add(new Line(COMMAND_LINE, 0, current));
      } else if (current == null) {
        throw new ConfigException(COMMAND_LINE + ": expected an option like '--port' but got '"
            + word + "'");
      } else {
        current.add(word);
      }
    }
    for (Line line : out) {
      // As in redis-server, a bare "--save" means no save points.
      if (line.args().size() == 1 && line.args().get(0).equalsIgnoreCase("save")) {
        line.args().add("");
      }
    }
    return out;
  }

  /**
   * Splits one line into arguments like Redis's sdssplitargs: whitespace separates words;
   * "double quotes" understand \n \r \t \b \a \\ \" and \xHH escapes; 'single quotes' understand
   * \'; a closing quote must be followed by whitespace or the end of the line.
   */
  static List<String> splitArgs(String line) throws UnbalancedQuotes {
    byte[] in = line.getBytes(StandardCharsets.UTF_8);
    List<String> args = new ArrayList<>();
    int p = 0;
    while (true) {
      while (p < in.length && isSpace(in[p])) {
        p++;
      }
      if (p >= in.length) {
        return args;
      }
      ByteArrayOutputStream word = new ByteArrayOutputStream();
      boolean inDouble = false;
      boolean inSingle = false;
      boolean done = false;
      while (!done) {
        if (inDouble) {
          if (p >= in.length) {
            throw new UnbalancedQuotes();
          }
          if (in[p] == '\\' && p + 3 < in.length && in[p + 1] == 'x'
              && isHex(in[p + 2]) && isHex(in[p + 3])) {
            word.write(Character.digit(in[p + 2], 16) * 16 + Character.digit(in[p + 3], 16));
            p += 3;
          } else if (in[p] == '\\' && p + 1 < in.length) {
            p++;
            word.write(switch (in[p]) {
              case 'n' -> '\n';
              case 'r' -> '\r';
              case 't' -> '\t';
              case 'b' -> '\b';
              case 'a' -> 7;
              default -> in[p];
            });
          } else if (in[p] == '"') {
            if (p + 1 < in.length && !isSpace(in[p + 1])) {
              throw new UnbalancedQuotes();
            }
            done = true;
          } else {
            word.write(in[p]);
          }
        } else if (inSingle) {
          if (p >= in.length) {
            throw new UnbalancedQuotes();
          }
          if (in[p] == '\\' && p + 1 < in.length && in[p + 1] == '\'') {
            p++;
            word.write('\'');
          } else if (in[p] == '\'') {
            if (p + 1 < in.length && !isSpace(in[p + 1])) {
              throw new UnbalancedQuotes();
            }
            done = true;
          } else {
            word.write(in[p]);
          }
        } else if (p >= in.length || isSpace(in[p])) {
          done = true;
        } else if (in[p] == '"') {
          inDouble = true;
        } else if (in[p] == '\'') {
          inSingle = true;
        } else {
          word.write(in[p]);
        }
        if (p < in.length) {
          p++;
        }
      }
      args.add(word.toString(StandardCharsets.UTF_8));
    }
  }

  /** Whether a raw line is a comment (its first non-blank character is '#'). */
  static boolean isComment(String line) {
    return line.strip().startsWith("#");
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0b || b == '\f';
  }

  private static boolean isHex(byte b) {
    return Character.digit(b, 16) >= 0;
  }
}
