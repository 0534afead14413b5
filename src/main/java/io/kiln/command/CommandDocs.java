package io.kiln.command;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Command documentation as data: reads {@code docs.txt} (beside this class) once, when the
 * command table is built at startup (never on an event loop), into immutable entries used by COMMAND DOCS and COMMAND INFO (ACL categories, tips, key specs).
 * The file's format is described in its header. Immutable after loading; any thread.
 */
public final class CommandDocs {
  private CommandDocs() {}

  /** One argument of a command, with its nested arguments for oneof/block. */
  public record Arg(String name, String type, int keySpec, String token, String since,
      String deprecatedSince, List<String> flags, List<Arg> args) {}

  /**
   * One key specification. {@code beginType} is index, keyword or unknown ({@code index} is the
   * argument index, or the keyword's start-from); {@code findType} is range (a = lastkey,
   * b = keystep, c = limit), keynum (a = keynumidx, b = firstkey, c = keystep) or unknown.
   * {@code notes} is Redis's free-text remark on the spec, or null.
   */
  public record KeySpec(List<String> flags, String beginType, int index, String keyword,
      String findType, int a, int b, int c, String notes) {
    public KeySpec(List<String> flags, String beginType, int index, String keyword,
        String findType, int a, int b, int c) {
      this(flags, beginType, index, keyword, findType, a, b, c, null);
    }
  }

  /** The documentation of one command or subcommand (full name, "container|sub"). */
  public record Doc(String name, String summary, String since, String group, String complexity,
      List<String> docFlags, String deprecatedSince, String replacedBy, List<String> acl,
      List<String> tips, List<KeySpec> keySpecs, List<Arg> args) {}

  private static final class Holder {
    static final Map<String, Doc> DOCS = load();
  }

  /** The entry for a full command name ("get", "config|get"), or null. */
  public static Doc get(String fullName) {
    return Holder.DOCS.get(fullName);
  }

  /** Every entry, in file order. */
  public static Map<String, Doc> all() {
    return Holder.DOCS;
  }

  /** docs.txt, then one file per data-type family (absent ones are skipped). */
  static final List<String> FILES = List.of("docs.txt", "docs-latency.txt", "docs-list.txt",
      "docs-scripting.txt", "docs-hash.txt", "docs-set.txt", "docs-zset.txt", "docs-geo.txt", "docs-hyperloglog.txt", "docs-pubsub.txt",
      "docs-sort.txt", "docs-cluster.txt", "docs-memory.txt", "docs-acl.txt");

  private static Map<String, Doc> load() {
    List<String> lines = new ArrayList<>();
    for (String file : FILES) {
      try (InputStream in = CommandDocs.class.getResourceAsStream(file)) {
        if (in == null) {
          if (file.equals("docs.txt")) {
            throw new IllegalStateException("docs.txt missing from the classpath");
          }
          continue;
        }
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line; (line = r.readLine()) != null; ) {
          if (!line.isBlank() && !line.startsWith("#")) {
            lines.add(line);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return Collections.unmodifiableMap(parse(lines));
  }

  static Map<String, Doc> parse(List<String> lines) {
    Map<String, Doc> out = new LinkedHashMap<>();
    int i = 0;
    while (i < lines.size()) {
      String name = lines.get(i++).strip();
      Builder b = new Builder(name);
      while (i < lines.size() && lines.get(i).startsWith("  ")
          && !lines.get(i).startsWith("    ")) {
        String field = lines.get(i++).substring(2);
        int sp = field.indexOf(' ');
        String key = sp < 0 ? field : field.substring(0, sp);
        String value = sp < 0 ? "" : field.substring(sp + 1);
        switch (key) {
          case "summary" -> b.summary = value;
          case "since" -> b.since = value;
          case "group" -> b.group = value;
          case "complexity" -> b.complexity = value;
          case "docflags" -> b.docFlags = List.of(value.split(","));
          case "deprecated" -> b.deprecated = value;
          case "replacedby" -> b.replacedBy = value;
          case "acl" -> b.acl = List.of(value.split(" "));
          case "tips" -> b.tips = List.of(value.split(" "));
          case "keyspec" -> b.keySpecs.add(keySpec(name, value));
          case "args" -> i = args(lines, i, b.args);
          default -> throw new IllegalStateException("docs.txt: unknown field " + key + " in "
              + name);
        }
      }
      if (out.put(name, b.build()) != null) {
        throw new IllegalStateException("docs.txt: " + name + " documented twice");
      }
    }
    return out;
  }

  /** Reads the argument lines from {@code i}; returns the index of the first line after them. */
  private static int args(List<String> lines, int i, List<Arg> top) {
    // The open arguments from the top level down, each as [line, children]; a line indented
    // 4 + 2 * depth is a child of the open argument at depth - 1.
    Deque<Object[]> pending = new ArrayDeque<>();
    List<Object[]> roots = new ArrayList<>();
    while (i < lines.size() && lines.get(i).startsWith("    ")) {
      String line = lines.get(i++);
      int indent = 0;
      while (line.charAt(indent) == ' ') {
        indent++;
      }
      int depth = (indent - 4) / 2;
      while (pending.size() > depth) {
        pending.pop();
      }
      Object[] node = {line.strip(), new ArrayList<Object[]>()};
      if (pending.isEmpty()) {
        roots.add(node);
      } else {
        @SuppressWarnings("unchecked")
        List<Object[]> children = (List<Object[]>) pending.peek()[1];
        children.add(node);
      }
      pending.push(node);
    }
    for (Object[] root : roots) {
      top.add(buildArg(root));
    }
    return i;
  }

  @SuppressWarnings("unchecked")
  private static Arg buildArg(Object[] node) {
    String[] words = ((String) node[0]).split(" ");
    int keySpec = -1;
    String token = null;
    String since = null;
    String deprecated = null;
    List<String> flags = List.of();
    for (int w = 2; w < words.length; w++) {
      String word = words[w];
      int eq = word.indexOf('=');
      String k = word.substring(0, eq);
      String v = word.substring(eq + 1);
      switch (k) {
        case "key_spec" -> keySpec = Integer.parseInt(v);
        case "token" -> token = v;
        case "since" -> since = v;
        case "deprecated" -> deprecated = v;
        case "flags" -> flags = List.of(v.split(","));
        default -> throw new IllegalStateException("docs.txt: unknown argument field " + k);
      }
    }
    List<Arg> children = new ArrayList<>();
    for (Object[] child : (List<Object[]>) node[1]) {
      children.add(buildArg(child));
    }
    return new Arg(words[0], words[1], keySpec, token, since, deprecated, flags,
        List.copyOf(children));
  }

  private static KeySpec keySpec(String name, String value) {
    String notes = null;
    int at = value.indexOf(" notes ");
    if (at >= 0) {
      notes = value.substring(at + 7);
      value = value.substring(0, at);
    }
    String[] parts = value.split(" ");
    if (parts.length != 3) {
      throw new IllegalStateException("docs.txt: bad keyspec in " + name + ": " + value);
    }
    List<String> flags = List.of(parts[0].split(","));
    String[] begin = parts[1].split(":");
    String[] find = parts[2].split(":");
    int index = 0;
    String keyword = null;
    switch (begin[0]) {
      case "index" -> index = Integer.parseInt(begin[1]);
      case "keyword" -> {
        keyword = begin[1];
        index = Integer.parseInt(begin[2]);
      }
      default -> { }
    }
    int a = 0;
    int b = 0;
    int c = 0;
    if (!find[0].equals("unknown")) {
      a = Integer.parseInt(find[1]);
      b = Integer.parseInt(find[2]);
      c = Integer.parseInt(find[3]);
    }
    return new KeySpec(flags, begin[0], index, keyword, find[0], a, b, c, notes);
  }

  /**
   * A key spec derived from first/last/step, for commands without a documented one: index
   * begin search at the first key, range find with the last key relative to it.
   */
  public static KeySpec derived(CommandSpec spec) {
    List<String> flags = spec.has(CommandSpec.WRITE) ? List.of("RW", "update")
        : List.of("RO", "access");
    int last = spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey;
    return new KeySpec(flags, "index", spec.firstKey, null, "range", last, spec.step, 0);
  }

  private static final class Builder {
    final String name;
    String summary = "";
    String since = "";
    String group = "";
    String complexity;
    List<String> docFlags = List.of();
    String deprecated;
    String replacedBy;
    List<String> acl;
    List<String> tips = List.of();
    final List<KeySpec> keySpecs = new ArrayList<>();
    final List<Arg> args = new ArrayList<>();

    Builder(String name) {
      this.name = name;
    }

    Doc build() {
      return new Doc(name, summary, since, group, complexity, docFlags, deprecated, replacedBy,
          acl, tips, List.copyOf(keySpecs), List.copyOf(args));
    }
  }
}
