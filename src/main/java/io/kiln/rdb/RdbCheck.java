package io.kiln.rdb;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * A redis-check-rdb work-alike: walks an RDB file and prints what it finds in the same
 * "[offset N] ..." form, then totals; on a problem prints "--- RDB ERROR DETECTED ---" with the
 * offset and message. Runs on the calling thread (the launcher's main thread for
 * {@code kiln check-rdb FILE}); blocking file I/O.
 */
public final class RdbCheck {
  private RdbCheck() {}

  /** Checks the file at {@code path}; returns 0 when it is sound, 1 otherwise. */
  public static int run(String path, PrintStream out) {
    InputStream in;
    try {
      in = Files.newInputStream(Path.of(path));
    } catch (IOException e) {
      out.println("[offset 0] Checking RDB file " + path);
      return cannotRead(path, e, out);
    }
    try (in) {
      return check(path, in, out) >= 0 ? 0 : 1;
    } catch (IOException e) {
      return cannotRead(path, e, out);
    }
  }

  private static int cannotRead(String path, IOException e, PrintStream out) {
    out.println("--- RDB ERROR DETECTED ---");
    out.println("[offset 0] Cannot open or read " + path + ": " + e.getMessage());
    return 1;
  }

  /**
   * Checks the RDB at the start of {@code in} (a whole RDB file, or the preamble of an AOF named
   * {@code path}), printing as {@link #run} does; returns the offset where the RDB ends, or -1
   * when it is not sound. {@code in} is left read past that offset (the reader reads ahead).
   */
  public static long check(String path, InputStream in, PrintStream out) throws IOException {
    out.println("[offset 0] Checking RDB file " + path);
    Map<String, Long> types = new TreeMap<>();
    long[] keys = new long[1];
    long[] expires = new long[1];
    long[] expired = new long[1];
    long[] empty = new long[1];
    long now = System.currentTimeMillis();
    RdbReader[] holder = new RdbReader[1];
    try {
      RdbReader r = new RdbReader(in).skipModuleAux(true);
      holder[0] = r;
      r.read(new RdbReader.Visitor() {
        @Override
        public void aux(byte[] key, byte[] value) {
          out.println("[offset " + r.offset() + "] AUX FIELD " + Rdb.str(key) + " = '"
              + Rdb.str(value) + "'");
        }

        @Override
        public void selectDb(int db) {
          out.println("[offset " + r.offset() + "] Selecting DB ID " + db);
        }

        @Override
        public void moduleAux(String name, long when) {
          out.println("[offset " + r.offset() + "] MODULE AUX for: " + name);
        }

        @Override
        public void key(RdbReader.KeyEntry e) {
          keys[0]++;
          if (e.expireMs() != -1) {
            expires[0]++;
            if (e.expireMs() < now) {
              expired[0]++;
            }
          }
          types.merge(e.value().typeName() + " (" + Rdb.typeName(e.rdbType()) + ")", 1L,
              Long::sum);
        }

        @Override
        public void emptyKeySkipped(int db, byte[] key, int type) {
          empty[0]++;
        }

        @Override
        public void eof(boolean verified) {
          if (verified) {
            out.println("[offset " + r.offset() + "] Checksum OK");
          } else if (r.version() >= 5) {
            out.println("[offset " + r.offset() + "] RDB file was saved with checksum disabled: "
                + "no check performed.");
          }
          out.println("[offset " + r.offset() + "] \\o/ RDB looks OK! \\o/");
        }
      });
      summary(out, keys[0], expires[0], expired[0], empty[0], types);
      return r.offset();
    } catch (RdbException e) {
      RdbReader r = holder[0];
      out.println("--- RDB ERROR DETECTED ---");
      out.println("[offset " + (e.offset() >= 0 ? e.offset() : r == null ? 0 : r.offset())
          + "] " + e.getMessage());
      if (r != null) {
        out.println("[additional info] While doing: " + r.doing());
        if (r.currentKey() != null) {
          out.println("[additional info] Reading key '" + Rdb.str(r.currentKey()) + "'");
        }
        if (r.currentType() >= 0) {
          out.println("[additional info] Reading type " + r.currentType() + " ("
              + Rdb.typeName(r.currentType()) + ")");
        }
      }
      summary(out, keys[0], expires[0], expired[0], empty[0], types);
      return -1;
    }
  }

  private static void summary(PrintStream out, long keys, long expires, long expired,
      long empty, Map<String, Long> types) {
    out.println("[info] " + keys + " keys read");
    out.println("[info] " + expires + " expires");
    out.println("[info] " + expired + " already expired");
    if (empty > 0) {
      out.println("[info] " + empty + " empty keys skipped");
    }
    for (Map.Entry<String, Long> t : types.entrySet()) {
      out.println("[info] " + t.getValue() + " keys of type " + t.getKey());
    }
  }
}
