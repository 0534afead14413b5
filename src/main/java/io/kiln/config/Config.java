package io.kiln.config;

import io.kiln.config.ConfigParser.Line;
import io.kiln.config.Directive.Kind;
import io.kiln.config.Values.BadValue;
import io.kiln.config.Values.Value;
import io.kiln.resp.Errors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The server configuration: every directive of {@link Directives}, loaded from a redis.conf-style
 * file and command-line overrides, read by the server and changed by CONFIG SET.
 *
 * <p>Threads: read from any event-loop thread without locking (all values live in one immutable
 * snapshot behind a volatile field). Changes ({@link #set}, {@link #with}) are serialised on this
 * object's monitor and usually come from the one event loop running CONFIG SET; listeners run on
 * that changing thread. {@link #rewrite} does blocking file I/O and must run on a worker thread.
 */
public final class Config {
  private static final Set<String> IGNORED = Set.of(
      "list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands");
  private static final Set<String> UNSUPPORTED = Set.of(
      "rename-command", "loadmodule", "sentinel");

  /** Everything a reader needs, replaced as a whole on every change. */
  private record Snapshot(Map<String, Value> values, List<SavePoint> savePoints,
      List<String> bind) {

    static Snapshot of(Map<String, Value> values) {
      List<SavePoint> saves = new ArrayList<>();
      String[] words = words(values.get("save").text());
      for (int i = 0; i + 1 < words.length; i += 2) {
        saves.add(new SavePoint(Long.parseLong(words[i]), Long.parseLong(words[i + 1])));
      }
      return new Snapshot(Map.copyOf(values), List.copyOf(saves),
          List.of(words(values.get("bind").text())));
    }
  }

  private final String configFile;
  /** The {@code user} directives read at startup: {where, name, rules...} each. */
  private List<List<String>> userDirectives = List.of();
  private final Map<String, List<Consumer<Config>>> listeners = new ConcurrentHashMap<>();
  private volatile Snapshot snapshot;

  private Config(String configFile, Map<String, Value> values) {
    this.configFile = configFile;
    this.snapshot = Snapshot.of(values);
  }

  /** Redis 7.0's defaults (plus Kiln's), with {@code dir} the process working directory. */
  public static Config defaults() {
    return new Config(null, defaultValues());
  }

  /**
   * Startup entry point: reads {@code configFile} (may be null) then applies redis-server style
   * {@code overrides} ({@code --port 7000 --save "" ...}); later lines win.
   *
   * @throws ConfigException with a one-line message naming file, line and directive
   */
  public static Config load(String configFile, List<String> overrides) throws ConfigException {
    List<Line> lines = new ArrayList<>();
    if (configFile != null) {
      lines.addAll(ConfigParser.readFile(configFile));
    }
    lines.addAll(ConfigParser.readArgv(overrides));
    Map<String, Value> values = defaultValues();
    boolean saveSeen = false;
    List<List<String>> users = new ArrayList<>();
    Set<String> userNames = new java.util.HashSet<>();
    for (Line line : lines) {
      String name = line.args().get(0).toLowerCase(Locale.ROOT);
      List<String> args = line.args().subList(1, line.args().size());
      if (name.equals("user") && !args.isEmpty()) {
        // checked against the command table at startup (Kiln's boot), as Redis loads them late
        if (!userNames.add(args.get(0))) {
          throw new ConfigException(line.where() + ": Error in user declaration '"
              + args.get(0) + "': Duplicate user found. A user can only be defined once in "
              + "config files");
        }
        List<String> entry = new ArrayList<>();
        entry.add(line.where());
        entry.addAll(args);
        users.add(List.copyOf(entry));
        continue;
      }
      if (IGNORED.contains(name) && args.size() == 1) {
        continue;
      }
      if (UNSUPPORTED.contains(name)) {
        throw new ConfigException(line.where() + ": '" + name + "' is not supported by Kiln");
      }
      Directive d = Directives.lookup(name);
      if (d == null) {
        throw new ConfigException(line.where() + ": unknown directive '" + line.args().get(0) + "'");
      }
      Value value = parse(d, args, values.get(d.name()).text(), line.where() + ": '" + name + "'");
      if (d.kind() == Kind.SAVE && saveSeen && !value.text().isEmpty()) {
        // Save lines accumulate; only the first one replaces the defaults.
        String before = values.get("save").text();
        value = Values.canonical(d, before.isEmpty() ? value.text() : before + " " + value.text());
      }
      saveSeen |= d.kind() == Kind.SAVE;
      values.put(d.name(), value);
    }
    String absolute = configFile == null ? null : Path.of(configFile).toAbsolutePath().toString();
    Config config = new Config(absolute, values);
    config.userDirectives = List.copyOf(users);
    return config;
  }

  /**
   * The {@code user} directives of the file and command line, in order: each is the place it
   * came from ("file:line"), then the user name, then its rules.
   */
  public List<List<String>> userDirectives() {
    return userDirectives;
  }

  /** Absolute path of the file this config was loaded from, or null. */
  public String configFile() {
    return configFile;
  }

  /** The value as CONFIG GET prints it; {@code name} is a canonical or alias name, any case. */
  public String getString(String name) {
    return value(name).text();
  }

  /** An integer directive's value. */
  public int getInt(String name) {
    return Math.toIntExact(getLong(name));
  }

  /**
   * A numeric directive's value; memory values in bytes. For {@code maxmemory-clients} a
   * percentage is returned negated (-10 for "10%"), as Redis stores it.
   */
  public long getLong(String name) {
    Directive d = directive(name);
    switch (d.kind()) {
      // notify-keyspace-events: 1 when the 'n' class was given (its text may hide it in "A")
      case INT, MEMORY, MEMORY_OR_PERCENT, OCTAL, NOTIFY_KEYSPACE_EVENTS -> {
        return snapshot.values().get(d.name()).number();
      }
      default -> throw new IllegalArgumentException("'" + name + "' is not numeric");
    }
  }

  /** A yes/no directive's value. */
  public boolean getBool(String name) {
    Directive d = directive(name);
    if (d.kind() != Kind.BOOL) {
      throw new IllegalArgumentException("'" + name + "' is not a yes/no directive");
    }
    return snapshot.values().get(d.name()).number() != 0;
  }

  /** The {@code save} rules, in order; empty when snapshotting is off. */
  public List<SavePoint> savePoints() {
    return snapshot.savePoints();
  }

  /** The {@code bind} addresses, in order; empty means none. */
  public List<String> bindAddresses() {
    return snapshot.bind();
  }

  /**
   * CONFIG GET: patterns are globs (Redis stringmatch, case-insensitive); returns name,value pairs,
   * each name once. As in Redis 7.0, a glob matches alias names too (and they are listed under
   * the alias), and a pattern without glob characters is looked up exactly and echoed as given.
   */
  public List<Map.Entry<String, String>> get(List<String> patterns) {
    Snapshot snap = snapshot;
    Map<String, Directive> matches = new LinkedHashMap<>();
    for (String pattern : patterns) {
      if (pattern.chars().noneMatch(c -> c == '*' || c == '?' || c == '[')) {
        Directive d = Directives.lookup(pattern);
        if (d != null) {
          matches.putIfAbsent(pattern, d);
        }
        continue;
      }
      for (String name : Directives.names()) {
        if (!matches.containsKey(name) && Glob.matches(pattern, name)) {
          matches.put(name, Directives.lookup(name));
        }
      }
    }
    List<Map.Entry<String, String>> out = new ArrayList<>();
    matches.forEach((name, d) ->
        out.add(new SimpleImmutableEntry<>(name, snap.values().get(d.name()).text())));
    return out;
  }

  /**
   * CONFIG SET: {@code args} = name1 value1 name2 value2 ...; all-or-nothing; validated; on error
   * throws ConfigException whose message is Redis 7.0's exact error text without the leading "-".
   * Multi-word values (save, bind, ...) are given as one space-separated string. Protected
   * directives (dir, dbfilename) are refused unless {@code enable-protected-configs} is yes.
   * Listeners of the directives whose value changed fire afterwards, on this thread.
   */
  public void set(List<String> args) throws ConfigException {
    if (args.size() < 2) {
      throw new ConfigException(Errors.wrongArgs("config|set"));
    }
    if (args.size() % 2 != 0) {
      throw new ConfigException(Errors.SYNTAX);
    }
    List<Directive> changed;
    synchronized (this) {
      changed = commit(validated(args));
    }
    fire(changed);
  }

  /**
   * What CONFIG SET {@code args} would make of this config, validated as {@link #set} does but
   * neither published nor announced: a change that must be tried elsewhere first (a TLS context
   * rebuilt on a worker from the new files) reads the new values from it. Callers then
   * {@link #set} the same arguments.
   */
  public Config trial(List<String> args) throws ConfigException {
    if (args.size() < 2 || args.size() % 2 != 0) {
      set(args); // throws the arity error
    }
    synchronized (this) {
      return new Config(configFile, validated(args));
    }
  }

  /** The values CONFIG SET {@code args} makes; caller holds the lock. */
  private Map<String, Value> validated(List<String> args) throws ConfigException {
    checkSettable(args);
    Map<String, Value> values = new HashMap<>(snapshot.values());
    for (int i = 0; i < args.size(); i += 2) {
      Directive d = Directives.lookup(args.get(i));
      String raw = args.get(i + 1);
      List<String> words = d.kind().multiArg()
          ? (raw.isEmpty() ? List.of() : Arrays.asList(raw.split(" ", -1)))
          : List.of(raw);
      Value before = values.get(d.name());
      try {
        values.put(d.name(), Values.parse(d, words, before.text()));
      } catch (BadValue e) {
        throw new ConfigException(String.format(Errors.CONFIG_SET_FAILED, args.get(i),
            e.getMessage()));
      }
      String fixed = FIXED_AT_RUNTIME.get(d.name());
      if (fixed != null && !values.get(d.name()).equals(before)) {
        throw new ConfigException(String.format(Errors.CONFIG_SET_FAILED, args.get(i), fixed));
      }
    }
    return values;
  }

  /**
   * Directives CONFIG SET accepts only at the value they have (a tool re-applying CONFIG GET *
   * works), with the error Redis gives when it cannot apply one: Kiln does not move its
   * listening sockets at runtime, so a new port or bind is refused, never stored and ignored.
   */
  private static final Map<String, String> FIXED_AT_RUNTIME = Map.of(
      "port", Errors.CONFIG_PORT_FIXED,
      "bind", Errors.CONFIG_BIND_FIXED,
      "metrics-port", Errors.CONFIG_IMMUTABLE,
      "tls-port", Errors.CONFIG_TLS_PORT_FIXED);

  /** First pass of CONFIG SET: names known, settable, not repeated (Redis's precedence). */
  private void checkSettable(List<String> args) throws ConfigException {
    String problem = null;
    String problemName = null;
    Set<String> seen = new LinkedHashSet<>();
    for (int i = 0; i < args.size(); i += 2) {
      String name = args.get(i);
      Directive d = Directives.lookup(name);
      if (d == null) {
        if (problem == null) {
          throw new ConfigException(String.format(Errors.CONFIG_SET_UNKNOWN, name));
        }
        continue;
      }
      if (problem != null) {
        continue;
      }
      if (!d.mutable()) {
        problem = Errors.CONFIG_IMMUTABLE;
      } else if (d.isProtected() && !getString("enable-protected-configs").equals("yes")) {
        problem = Errors.CONFIG_PROTECTED;
      } else if (!seen.add(name.toLowerCase(Locale.ROOT))) {
        problem = Errors.CONFIG_DUPLICATE;
      }
      if (problem != null) {
        problemName = name;
      }
    }
    if (problem != null) {
      throw new ConfigException(String.format(Errors.CONFIG_SET_FAILED, problemName, problem));
    }
  }

  /**
   * Sets one directive, immutable ones included, without firing listeners; for building configs
   * in code and tests. Errors read like load errors: {@code 'port' bad value 'abc': ...}.
   *
   * @return this config
   */
  public Config with(String name, String... values) throws ConfigException {
    Directive d = Directives.lookup(name);
    if (d == null) {
      throw new ConfigException("unknown directive '" + name + "'");
    }
    synchronized (this) {
      Map<String, Value> next = new HashMap<>(snapshot.values());
      next.put(d.name(), parse(d, List.of(values), next.get(d.name()).text(), "'" + name + "'"));
      commit(next);
    }
    return this;
  }

  /** Calls {@code listener} after each successful CONFIG SET that changes directive {@code name}. */
  public void onChange(String name, Consumer<Config> listener) {
    listeners.computeIfAbsent(directive(name).name(), k -> new CopyOnWriteArrayList<>())
        .add(listener);
  }

  /** Stops calling {@code listener} (its owner goes away: an AOF writer undeployed). */
  public void removeListener(String name, Consumer<Config> listener) {
    List<Consumer<Config>> l = listeners.get(directive(name).name());
    if (l != null) {
      l.remove(listener);
    }
  }

  /**
   * CONFIG REWRITE: BLOCKING file I/O (run it on a worker). Rewrites the config file the way Redis
   * 7.0 does and replaces it atomically.
   *
   * @throws ConfigException {@link Errors#CONFIG_NO_FILE} when there is none
   * @throws IOException when the file cannot be read or written
   */
  public void rewrite() throws ConfigException, IOException {
    rewrite(null);
  }

  /**
   * CONFIG REWRITE with the ACL's users: {@code userLines} ("user NAME rules" each) replace the
   * file's {@code user} lines; null leaves them out (an aclfile holds the users). Blocking I/O.
   */
  public void rewrite(List<String> userLines) throws ConfigException, IOException {
    if (configFile == null) {
      throw new ConfigException(Errors.CONFIG_NO_FILE);
    }
    ConfigRewriter.rewrite(Path.of(configFile), snapshot.values(), userLines);
  }

  private static Map<String, Value> defaultValues() {
    Map<String, Value> values = new HashMap<>();
    for (Directive d : Directives.all()) {
      values.put(d.name(), Values.canonical(d, d.defaultValue()));
    }
    Directive dir = Directives.lookup("dir");
    values.put("dir", Values.canonical(dir, Path.of("").toAbsolutePath().toString()));
    return values;
  }

  private static Value parse(Directive d, List<String> args, String current, String what)
      throws ConfigException {
    try {
      return Values.parse(d, args, current);
    } catch (BadValue e) {
      throw new ConfigException(what + " bad value '" + String.join(" ", args) + "': "
          + e.getMessage());
    }
  }

  /**
   * A token that changes with every change of any value (compare it by identity): a reader of
   * many values can keep what it derived from them until the next CONFIG SET.
   */
  public Object version() {
    return snapshot;
  }

  /** Publishes new values; returns the directives whose value changed. Caller holds the lock. */
  private List<Directive> commit(Map<String, Value> values) {
    Map<String, Value> before = snapshot.values();
    List<Directive> changed = new ArrayList<>();
    for (Directive d : Directives.all()) {
      if (!before.get(d.name()).text().equals(values.get(d.name()).text())) {
        changed.add(d);
      }
    }
    snapshot = Snapshot.of(values);
    return changed;
  }

  private void fire(List<Directive> changed) {
    for (Directive d : changed) {
      listeners.getOrDefault(d.name(), List.of()).forEach(l -> l.accept(this));
    }
  }

  private Value value(String name) {
    return snapshot.values().get(directive(name).name());
  }

  private static Directive directive(String name) {
    Directive d = Directives.lookup(name);
    if (d == null) {
      throw new IllegalArgumentException("unknown directive '" + name + "'");
    }
    return d;
  }

  private static String[] words(String text) {
    return text.isEmpty() ? new String[0] : text.split(" ");
  }

  /** A memory amount ("5b", "1gb") as the config reads one (Redis's memtoull), or -1. */
  public static long memoryAmount(String arg) {
    return Values.memoryAmount(arg);
  }
}
