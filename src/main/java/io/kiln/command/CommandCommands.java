package io.kiln.command;

import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.resp.RespWriter;
import io.kiln.server.Client;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * COMMAND and its subcommands (COUNT, INFO, DOCS, GETKEYS, GETKEYSANDFLAGS, LIST, HELP): the
 * command table and its documentation ({@link CommandDocs}) as Redis 7.0 reports them.
 * Stateless; event loop.
 */
public final class CommandCommands {
  private CommandCommands() {}

  private static final String[] HELP = {
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Describe every command the server knows.",
    "COUNT",
    "    Number of commands the server knows.",
    "LIST [FILTERBY (MODULE <name>|ACLCAT <category>|PATTERN <glob>)]",
    "    Names of the commands and subcommands, optionally filtered.",
    "INFO [<command-name> ...]",
    "    Describe the named commands, or all of them when none is named.",
    "DOCS [<command-name> ...]",
    "    Documentation of the named commands, or of all of them when none is named.",
    "GETKEYS <full-command>",
    "    The key arguments of a full command line.",
    "GETKEYSANDFLAGS <full-command>",
    "    The key arguments of a full command line with their access flags.",
    "HELP",
    "    Print this help.",
  };

  static void register(CommandTable t) {
    // Read docs.txt now, on the thread building the table, never later on an event loop.
    CommandDocs.all();
    String flags = "loading stale";
    CommandSpec command = t.container("command", -1, flags, CommandCommands::all);
    t.sub(command, "count", 2, flags, 0, 0, 0, CommandCommands::count);
    t.sub(command, "docs", -2, flags, 0, 0, 0, CommandCommands::docs);
    t.sub(command, "getkeys", -4, flags, 0, 0, 0, (c, a) -> getKeys(c, a, false));
    t.sub(command, "getkeysandflags", -4, flags, 0, 0, 0, (c, a) -> getKeys(c, a, true));
    t.sub(command, "help", 2, flags, 0, 0, 0, CommandCommands::help);
    t.sub(command, "info", -2, flags, 0, 0, 0, CommandCommands::info);
    t.sub(command, "list", -2, flags, 0, 0, 0, CommandCommands::list);
  }

  // ---- COMMAND, COUNT, INFO ----

  static void all(Client c, byte[][] argv) {
    List<CommandSpec> specs = new ArrayList<>(c.kiln.commands().all());
    c.out.array(specs.size());
    for (CommandSpec s : specs) {
      writeInfo(c.out, s);
    }
  }

  static void count(Client c, byte[][] argv) {
    c.out.integer(c.kiln.commands().size());
  }

  static void info(Client c, byte[][] argv) {
    if (argv.length == 2) {
      all(c, argv);
      return;
    }
    c.out.array(argv.length - 2);
    for (int i = 2; i < argv.length; i++) {
      CommandSpec s = byFullName(c.kiln.commands(), Numbers.ascii(argv[i]));
      if (s == null) {
        c.out.nullBulk();
      } else {
        writeInfo(c.out, s);
      }
    }
  }

  /** A command by name, or a subcommand by "container|sub"; null when unknown. */
  static CommandSpec byFullName(CommandTable table, String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    int bar = lower.indexOf('|');
    if (bar < 0) {
      return table.lookup(lower);
    }
    CommandSpec parent = table.lookup(lower.substring(0, bar));
    return parent == null ? null : parent.subcommand(lower.substring(bar + 1));
  }

  /** COMMAND INFO's ten-element description of one command or subcommand. */
  static void writeInfo(RespWriter out, CommandSpec s) {
    CommandDocs.Doc doc = CommandDocs.get(s.fullName());
    out.array(10);
    out.bulk(s.fullName());
    out.integer(s.arity);
    List<String> flags = new java.util.ArrayList<>(s.flagNames());
    // Redis derives "movablekeys" from the key specs: any that is not index + range
    for (CommandDocs.KeySpec k : keySpecs(s, doc)) {
      if (!k.beginType().equals("index") || !k.findType().equals("range")) {
        flags.add("movablekeys");
        break;
      }
    }
    out.set(flags.size());
    for (String f : flags) {
      out.simple(f);
    }
    out.integer(s.firstKey);
    out.integer(s.lastKey);
    out.integer(s.step);
    List<String> acl = doc != null && doc.acl() != null ? doc.acl() : s.aclCategories();
    out.set(acl.size());
    for (String a : acl) {
      out.simple(a);
    }
    List<String> tips = doc != null ? doc.tips() : List.of();
    out.set(tips.size());
    for (String tip : tips) {
      out.bulk(tip);
    }
    List<CommandDocs.KeySpec> specs = keySpecs(s, doc);
    out.set(specs.size());
    for (CommandDocs.KeySpec k : specs) {
      writeKeySpec(out, k);
    }
    out.set(s.subcommands().size());
    for (CommandSpec sub : s.subcommands().values()) {
      writeInfo(out, sub);
    }
  }

  static List<CommandDocs.KeySpec> keySpecs(CommandSpec s, CommandDocs.Doc doc) {
    if (doc != null && !doc.keySpecs().isEmpty()) {
      return doc.keySpecs();
    }
    if (doc == null && s.firstKey > 0) {
      return List.of(CommandDocs.derived(s));
    }
    return List.of();
  }

  private static void writeKeySpec(RespWriter out, CommandDocs.KeySpec k) {
    out.map(k.notes() == null ? 3 : 4);
    if (k.notes() != null) {
      out.bulk("notes");
      out.bulk(k.notes());
    }
    out.bulk("flags");
    out.set(k.flags().size());
    for (String f : k.flags()) {
      out.simple(f);
    }
    out.bulk("begin_search");
    out.map(2);
    out.bulk("type");
    out.bulk(k.beginType());
    out.bulk("spec");
    switch (k.beginType()) {
      case "index" -> {
        out.map(1);
        out.bulk("index");
        out.integer(k.index());
      }
      case "keyword" -> {
        out.map(2);
        out.bulk("keyword");
        out.bulk(k.keyword());
        out.bulk("startfrom");
        out.integer(k.index());
      }
      default -> out.map(0);
    }
    out.bulk("find_keys");
    out.map(2);
    out.bulk("type");
    out.bulk(k.findType());
    out.bulk("spec");
    switch (k.findType()) {
      case "range" -> {
        out.map(3);
        out.bulk("lastkey");
        out.integer(k.a());
        out.bulk("keystep");
        out.integer(k.b());
        out.bulk("limit");
        out.integer(k.c());
      }
      case "keynum" -> {
        out.map(3);
        out.bulk("keynumidx");
        out.integer(k.a());
        out.bulk("firstkey");
        out.integer(k.b());
        out.bulk("keystep");
        out.integer(k.c());
      }
      default -> out.map(0);
    }
  }

  // ---- DOCS ----

  static void docs(Client c, byte[][] argv) {
    CommandTable table = c.kiln.commands();
    List<CommandSpec> found = new ArrayList<>();
    if (argv.length == 2) {
      found.addAll(table.all());
    } else {
      for (int i = 2; i < argv.length; i++) {
        CommandSpec s = byFullName(table, Numbers.ascii(argv[i]));
        if (s != null) {
          found.add(s);
        }
      }
    }
    c.out.map(found.size());
    for (CommandSpec s : found) {
      c.out.bulk(s.fullName());
      writeDoc(c.out, s);
    }
  }

  private static void writeDoc(RespWriter out, CommandSpec s) {
    CommandDocs.Doc doc = CommandDocs.get(s.fullName());
    if (doc == null) {
      // Undocumented: what the table knows.
      int n = 1 + (s.isContainer() ? 1 : 0);
      out.map(n);
      out.bulk("group");
      out.bulk(s.group == null ? "server" : s.group);
      writeSubDocs(out, s);
      return;
    }
    int n = 3;
    n += doc.complexity() != null ? 1 : 0;
    n += doc.docFlags().isEmpty() ? 0 : 1;
    n += doc.deprecatedSince() != null ? 1 : 0;
    n += doc.replacedBy() != null ? 1 : 0;
    n += doc.args().isEmpty() ? 0 : 1;
    n += s.isContainer() ? 1 : 0;
    out.map(n);
    out.bulk("summary");
    out.bulk(doc.summary());
    out.bulk("since");
    out.bulk(doc.since());
    out.bulk("group");
    out.bulk(doc.group());
    if (doc.complexity() != null) {
      out.bulk("complexity");
      out.bulk(doc.complexity());
    }
    if (!doc.docFlags().isEmpty()) {
      out.bulk("doc_flags");
      out.set(doc.docFlags().size());
      for (String f : doc.docFlags()) {
        out.simple(f);
      }
    }
    if (doc.deprecatedSince() != null) {
      out.bulk("deprecated_since");
      out.bulk(doc.deprecatedSince());
    }
    if (doc.replacedBy() != null) {
      out.bulk("replaced_by");
      out.bulk(doc.replacedBy());
    }
    if (!doc.args().isEmpty()) {
      out.bulk("arguments");
      writeArgs(out, doc.args());
    }
    writeSubDocs(out, s);
  }

  private static void writeSubDocs(RespWriter out, CommandSpec s) {
    if (!s.isContainer()) {
      return;
    }
    out.bulk("subcommands");
    out.map(s.subcommands().size());
    for (CommandSpec sub : s.subcommands().values()) {
      out.bulk(sub.fullName());
      writeDoc(out, sub);
    }
  }

  private static void writeArgs(RespWriter out, List<CommandDocs.Arg> args) {
    out.array(args.size());
    for (CommandDocs.Arg a : args) {
      int n = 2;
      n += a.keySpec() >= 0 ? 1 : 0;
      n += a.token() != null ? 1 : 0;
      n += a.since() != null ? 1 : 0;
      n += a.deprecatedSince() != null ? 1 : 0;
      n += a.flags().isEmpty() ? 0 : 1;
      n += a.args().isEmpty() ? 0 : 1;
      out.map(n);
      out.bulk("name");
      out.bulk(a.name());
      out.bulk("type");
      out.bulk(a.type());
      if (a.keySpec() >= 0) {
        out.bulk("key_spec_index");
        out.integer(a.keySpec());
      }
      if (a.token() != null) {
        out.bulk("token");
        out.bulk(a.token());
      }
      if (a.since() != null) {
        out.bulk("since");
        out.bulk(a.since());
      }
      if (a.deprecatedSince() != null) {
        out.bulk("deprecated_since");
        out.bulk(a.deprecatedSince());
      }
      if (!a.flags().isEmpty()) {
        out.bulk("flags");
        out.set(a.flags().size());
        for (String f : a.flags()) {
          out.simple(f);
        }
      }
      if (!a.args().isEmpty()) {
        out.bulk("arguments");
        writeArgs(out, a.args());
      }
    }
  }

  // ---- GETKEYS / GETKEYSANDFLAGS ----

  static void getKeys(Client c, byte[][] argv, boolean withFlags) {
    CommandTable table = c.kiln.commands();
    CommandSpec s = table.lookup(Numbers.ascii(argv[2]).toLowerCase(Locale.ROOT));
    if (s != null && s.isContainer() && argv.length > 3) {
      s = s.subcommand(Numbers.ascii(argv[3]).toLowerCase(Locale.ROOT));
    }
    if (s == null) {
      c.error(Errors.COMMAND_INVALID);
      return;
    }
    if (!hasKeys(s)) {
      c.error(Errors.COMMAND_NO_KEYS);
      return;
    }
    int argc = argv.length - 2;
    if (!s.arityOk(argc)) {
      c.error(Errors.COMMAND_INVALID_ARG_COUNT);
      return;
    }
    List<int[]> keys = keyPositions(s, argc, argv, 2);
    if (keys.isEmpty()) {
      if (s.has(CommandSpec.NO_MANDATORY_KEYS)) {
        c.out.array(0); // EVAL with no keys, say
      } else {
        c.error(Errors.COMMAND_INVALID_ARGS);
      }
      return;
    }
    CommandDocs.Doc doc = CommandDocs.get(s.fullName());
    List<CommandDocs.KeySpec> specs = keySpecs(s, doc);
    c.out.array(keys.size());
    for (int[] k : keys) {
      if (!withFlags) {
        c.out.bulk(argv[2 + k[0]]);
        continue;
      }
      c.out.array(2);
      c.out.bulk(argv[2 + k[0]]);
      List<String> flags = variableFlags(s, argv);
      if (flags == null) {
        flags = k[1] >= 0 && k[1] < specs.size()
            ? visibleFlags(specs.get(k[1]).flags()) : List.of();
      }
      c.out.set(flags.size());
      for (String f : flags) {
        c.out.simple(f);
      }
    }
  }

  /**
   * The key flags of a command whose key spec says "variable_flags", as these arguments make
   * them (Redis's getkeys procedures): SET without GET only overwrites, BITFIELD with GETs only
   * reads. Null for every other command (its key spec's flags hold).
   */
  private static List<String> variableFlags(CommandSpec s, byte[][] argv) {
    return variableFlags(s, argv, 2); // (argv here starts "COMMAND GETKEYS...")
  }

  /** As above, {@code base} the index of the command's name in {@code argv}. */
  private static List<String> variableFlags(CommandSpec s, byte[][] argv, int base) {
    switch (s.fullName()) {
      case "set" -> {
        for (int i = base + 3; i < argv.length; i++) {
          if (Numbers.ascii(argv[i]).equalsIgnoreCase("get")) {
            return null;
          }
        }
        return List.of("OW", "update");
      }
      case "bitfield" -> {
        for (int i = base + 2; i < argv.length; i++) {
          String op = Numbers.ascii(argv[i]);
          if (op.equalsIgnoreCase("set") || op.equalsIgnoreCase("incrby")) {
            return null;
          }
        }
        return List.of("RO", "access");
      }
      default -> {
        return null;
      }
    }
  }

  /**
   * The keys of one call as the ACL checks them: {index in argv, access needed}, the access
   * being READ for a key spec's "access" flag and WRITE for insert, delete or update (Redis's
   * ACLSelectorCheckKey), 0 when the spec says neither.
   */
  public static int[][] aclKeys(CommandSpec s, byte[][] argv) {
    if (!hasKeys(s) && s.keyFinder() == null) {
      return new int[0][];
    }
    List<int[]> found = keyPositions(s, argv.length, argv, 0);
    List<CommandDocs.KeySpec> specs = keySpecs(s, CommandDocs.get(s.fullName()));
    List<String> variable = variableFlags(s, argv, 0);
    List<int[]> out = new ArrayList<>();
    for (int[] k : found) {
      List<String> flags = variable != null ? variable
          : k[1] >= 0 && k[1] < specs.size() ? specs.get(k[1]).flags() : List.of();
      if (flags.contains("not_key")) {
        continue; // a shard channel: the channel rules judge it, not the key patterns
      }
      int perm = 0;
      for (String f : flags) {
        switch (f.toLowerCase(Locale.ROOT)) {
          case "access" -> perm |= io.kiln.acl.Selector.READ;
          case "insert", "delete", "update" -> perm |= io.kiln.acl.Selector.WRITE;
          default -> { }
        }
      }
      out.add(new int[] {k[0], perm});
    }
    return out.toArray(new int[0][]);
  }

  /** True when the command can take keys at all (key specs or key positions). */
  static boolean hasKeys(CommandSpec s) {
    return s.firstKey > 0 || !keySpecs(s, CommandDocs.get(s.fullName())).isEmpty();
  }

  private static List<String> visibleFlags(List<String> flags) {
    List<String> out = new ArrayList<>(flags);
    out.remove("variable_flags");
    return out;
  }

  /**
   * Key positions (relative to the command name at {@code base}) with the index of the key spec
   * that found each, following the key specs where documented, else first/last/step.
   */
  static List<int[]> keyPositions(CommandSpec s, int argc, byte[][] argv, int base) {
    List<int[]> out = new ArrayList<>();
    if (s.keyFinder() != null) {
      return s.keyFinder().find(argc, argv, base);
    }
    List<CommandDocs.KeySpec> specs = keySpecs(s, CommandDocs.get(s.fullName()));
    if (specs.isEmpty()) {
      for (int p : s.keyPositions(argc)) {
        out.add(new int[] {p, -1});
      }
      return out;
    }
    for (int si = 0; si < specs.size(); si++) {
      CommandDocs.KeySpec k = specs.get(si);
      int first;
      if (k.beginType().equals("index")) {
        first = k.index();
      } else if (k.beginType().equals("keyword")) {
        first = -1;
        int from = k.index();
        int start = from >= 0 ? from : argc + from;
        int end = from >= 0 ? argc : 0;
        int dir = from >= 0 ? 1 : -1;
        for (int i = start; from >= 0 ? i < end : i > end; i += dir) {
          if (Args.is(argv[base + i], k.keyword().toLowerCase(Locale.ROOT))) {
            first = i + 1;
            break;
          }
        }
        if (first < 0) {
          continue;
        }
      } else {
        continue;
      }
      if (first >= argc) {
        continue;
      }
      int last;
      int step;
      if (k.findType().equals("range")) {
        step = Math.max(1, k.b());
        if (k.a() >= 0) {
          last = first + k.a();
        } else if (k.c() > 1) {
          last = first + (argc - first) / k.c() - 1;
        } else {
          last = argc + k.a();
        }
      } else if (k.findType().equals("keynum")) {
        Long n = Numbers.toLong(argv[base + first + k.a()]);
        if (n == null || n <= 0) {
          continue;
        }
        step = Math.max(1, k.c());
        first = first + k.b();
        last = first + (int) ((n - 1) * step);
      } else {
        continue;
      }
      for (int i = first; i <= last && i < argc; i += step) {
        out.add(new int[] {i, si});
      }
    }
    return out;
  }

  // ---- LIST, HELP ----

  static void list(Client c, byte[][] argv) {
    List<String> names = new ArrayList<>();
    if (argv.length == 2) {
      for (CommandSpec s : c.kiln.commands().all()) {
        names.add(s.fullName());
        for (CommandSpec sub : s.subcommands().values()) {
          names.add(sub.fullName());
        }
      }
    } else if (argv.length == 5 && Args.is(argv[2], "filterby")) {
      String value = Numbers.ascii(argv[4]);
      String kind;
      if (Args.is(argv[3], "module")) {
        kind = "module";
      } else if (Args.is(argv[3], "aclcat")) {
        kind = "aclcat";
      } else if (Args.is(argv[3], "pattern")) {
        kind = "pattern";
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
      for (CommandSpec s : c.kiln.commands().all()) {
        collect(s, kind, value, names);
        for (CommandSpec sub : s.subcommands().values()) {
          collect(sub, kind, value, names);
        }
      }
    } else {
      c.error(Errors.SYNTAX);
      return;
    }
    c.out.array(names.size());
    for (String n : names) {
      c.out.bulk(n);
    }
  }

  private static void collect(CommandSpec s, String kind, String value, List<String> names) {
    boolean match = switch (kind) {
      case "aclcat" -> {
        CommandDocs.Doc doc = CommandDocs.get(s.fullName());
        List<String> acl = doc != null && doc.acl() != null ? doc.acl() : s.aclCategories();
        yield acl.stream().anyMatch(a -> a.substring(1).equalsIgnoreCase(value));
      }
      case "pattern" -> globMatch(value.toLowerCase(Locale.ROOT), 0, s.fullName(), 0);
      default -> false; // no modules
    };
    if (match) {
      names.add(s.fullName());
    }
  }

  /** Glob matching (*, ?, [...], \ escapes) on lower-cased pattern and name. */
  static boolean globMatch(String p, int pi, String s, int si) {
    while (pi < p.length()) {
      char pc = p.charAt(pi);
      switch (pc) {
        case '*' -> {
          while (pi + 1 < p.length() && p.charAt(pi + 1) == '*') {
            pi++;
          }
          if (pi + 1 == p.length()) {
            return true;
          }
          for (int k = si; k <= s.length(); k++) {
            if (globMatch(p, pi + 1, s, k)) {
              return true;
            }
          }
          return false;
        }
        case '?' -> {
          if (si >= s.length()) {
            return false;
          }
          si++;
          pi++;
        }
        case '[' -> {
          if (si >= s.length()) {
            return false;
          }
          char ch = s.charAt(si);
          int j = pi + 1;
          boolean not = j < p.length() && p.charAt(j) == '^';
          if (not) {
            j++;
          }
          boolean hit = false;
          while (j < p.length() && p.charAt(j) != ']') {
            if (p.charAt(j) == '\\' && j + 1 < p.length()) {
              j++;
              hit |= p.charAt(j) == ch;
              j++;
            } else if (j + 2 < p.length() && p.charAt(j + 1) == '-' && p.charAt(j + 2) != ']') {
              char lo = p.charAt(j);
              char hi = p.charAt(j + 2);
              if (lo > hi) {
                char t = lo;
                lo = hi;
                hi = t;
              }
              hit |= ch >= lo && ch <= hi;
              j += 3;
            } else {
              hit |= p.charAt(j) == ch;
              j++;
            }
          }
          if (hit == not) {
            return false;
          }
          pi = j < p.length() ? j + 1 : j;
          si++;
        }
        default -> {
          if (pc == '\\' && pi + 1 < p.length()) {
            pi++;
            pc = p.charAt(pi);
          }
          if (si >= s.length() || s.charAt(si) != pc) {
            return false;
          }
          si++;
          pi++;
        }
      }
    }
    return si == s.length();
  }

  static void help(Client c, byte[][] argv) {
    c.out.array(HELP.length);
    for (String line : HELP) {
      c.out.simple(line);
    }
  }
}
