package io.kiln.rdb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Helpers for the RDB tests: building values, reading whole files, comparing values. */
final class RdbTestSupport {
  private RdbTestSupport() {}

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  static String s(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  static RdbValue str(String v) {
    return new RdbValue.Str(b(v));
  }

  static RdbValue list(String... v) {
    List<byte[]> l = new ArrayList<>();
    for (String x : v) {
      l.add(b(x));
    }
    return new RdbValue.ListValue(l);
  }

  static RdbValue set(String... v) {
    List<byte[]> l = new ArrayList<>();
    for (String x : v) {
      l.add(b(x));
    }
    return new RdbValue.SetValue(l);
  }

  static RdbValue hash(String... kv) {
    List<RdbValue.FieldValue> l = new ArrayList<>();
    for (int i = 0; i < kv.length; i += 2) {
      l.add(new RdbValue.FieldValue(b(kv[i]), b(kv[i + 1])));
    }
    return new RdbValue.HashValue(l);
  }

  static RdbValue zset(Object... ms) {
    List<RdbValue.ScoredMember> l = new ArrayList<>();
    for (int i = 0; i < ms.length; i += 2) {
      l.add(new RdbValue.ScoredMember(b((String) ms[i]), ((Number) ms[i + 1]).doubleValue()));
    }
    return new RdbValue.ZSetValue(l);
  }

  /** A comparable text form: lists in order, sets/hashes/zsets sorted. */
  static String canon(RdbValue v) {
    if (v instanceof RdbValue.Str x) {
      return "string:" + s(x.value());
    } else if (v instanceof RdbValue.ListValue x) {
      List<String> l = new ArrayList<>();
      x.elements().forEach(e -> l.add(s(e)));
      return "list:" + l;
    } else if (v instanceof RdbValue.SetValue x) {
      List<String> l = new ArrayList<>();
      x.members().forEach(e -> l.add(s(e)));
      l.sort(null);
      return "set:" + l;
    } else if (v instanceof RdbValue.HashValue x) {
      List<String> l = new ArrayList<>();
      x.entries().forEach(e -> l.add(s(e.field()) + "=" + s(e.value())));
      l.sort(null);
      return "hash:" + l;
    } else {
      List<String> l = new ArrayList<>();
      ((RdbValue.ZSetValue) v).entries().forEach(e -> l.add(s(e.member()) + "@" + e.score()));
      l.sort(null);
      return "zset:" + l;
    }
  }

  /** Everything a file held. */
  static final class Loaded {
    final Map<String, String> aux = new HashMap<>();
    final List<RdbReader.KeyEntry> keys = new ArrayList<>();
    final List<Integer> dbs = new ArrayList<>();
    final List<String> functions = new ArrayList<>();
    boolean eof;
    boolean verified;
    int version;

    RdbReader.KeyEntry key(int db, String name) {
      for (RdbReader.KeyEntry e : keys) {
        if (e.db() == db && s(e.key()).equals(name)) {
          return e;
        }
      }
      throw new AssertionError("no key " + name + " in db " + db);
    }
  }

  static Loaded read(byte[] file) throws RdbException {
    Loaded l = new Loaded();
    new RdbReader(new ByteArrayInputStream(file)).read(new RdbReader.Visitor() {
      @Override
      public void start(int version) {
        l.version = version;
      }

      @Override
      public void aux(byte[] key, byte[] value) {
        l.aux.put(s(key), s(value));
      }

      @Override
      public void selectDb(int db) {
        l.dbs.add(db);
      }

      @Override
      public void function(byte[] code) {
        l.functions.add(s(code));
      }

      @Override
      public void key(RdbReader.KeyEntry entry) {
        l.keys.add(entry);
      }

      @Override
      public void eof(boolean verified) {
        l.eof = true;
        l.verified = verified;
      }
    });
    assertThat(l.eof).isTrue();
    return l;
  }

  /** Writes a file with db 0 holding the given keys (name, value, ...), no expires. */
  static byte[] write(RdbWriter.Options o, Object... kv) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      RdbWriter w = new RdbWriter(out, o);
      w.writeHeader();
      w.writeStandardAux(1_700_000_000L, 1_000_000L);
      w.writeSelectDb(0);
      w.writeResizeDb(kv.length / 2, 0);
      for (int i = 0; i < kv.length; i += 2) {
        w.writeKey(b((String) kv[i]), (RdbValue) kv[i + 1], -1);
      }
      w.writeEof();
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
