package io.kiln.command;

import io.kiln.server.Server;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every command Server knows, as data. Each family file registers its commands here at startup
 * (one line per command: name, arity, flags, key positions, handler); the table then drives
 * lookup, unknown-command and arity errors, COMMAND introspection and key routing.
 * Built on the main thread before the server starts, read-only after; any thread may read it.
 */
public final class CommandTable {
  private final Map<String, CommandSpec> commands = new LinkedHashMap<>();
  private final List<CommandSpec> byId = new ArrayList<>();
  private String group;

  /** The table of every command family Kiln serves. */
  public static CommandTable standard() {
    CommandTable t = new CommandTable();
    t.family("connection", ConnectionCommands::register);
    t.family("string", StringCommands::register);
    t.family("bitmap", BitmapCommands::register);
    t.family("list", ListCommands::register);
    t.family("hash", HashCommands::register);
    t.family("set", SetCommands::register);
    t.family("generic", KeyCommands::register);
    t.family("generic", DumpCommands::register);
    t.family("generic", Migrate::register);
    t.family("transactions", TransactionCommands::register);
    t.family("server", ServerCommands::register);
    t.family("server", SnapshotCommands::register);
    t.family("server", ConfigCommands::register);
    t.family("server", CommandCommands::register);
    t.family("server", DebugCommands::register);
    t.family("server", LatencyCommands::register);
    t.family("server", MemoryCommands::register);
    t.family("server", ReplicationCommands::register);
    t.family("sorted-set", ZSetCommands::register);
    t.family("sorted-set", ZRangeCommands::register);
    t.family("sorted-set", ZSetAlgebraCommands::register);
    t.family("geo", GeoCommands::register);
    t.family("generic", SortCommands::register);
    t.family("hyperloglog", HyperLogLogCommands::register);
    t.family("pubsub", PubSubCommands::register);
    t.family("scripting", ScriptCommands::register);
    t.family("scripting", FunctionCommands::register);
    t.family("cluster", ClusterCommands::register);
    t.family("server", AclCommands::register);
    return t;
  }

  private void family(String group, java.util.function.Consumer<CommandTable> registrar) {
    this.group = group;
    registrar.accept(this);
    this.group = null;
  }

  /** Registers a command of the current family. */
  public CommandSpec add(String name, int arity, String flags, int firstKey, int lastKey,
      int step, CommandHandler handler) {
    CommandSpec spec = new CommandSpec(byId.size(), null, name, arity, flags, firstKey, lastKey,
        step, group, handler);
    if (commands.putIfAbsent(spec.name, spec) != null) {
      throw new IllegalStateException("command registered twice: " + name);
    }
    byId.add(spec);
    return spec;
  }

  /** Registers a container command (CONFIG, CLIENT...); add its subcommands with {@link #sub}. */
  public CommandSpec container(String name, int arity, String flags) {
    return add(name, arity, flags, 0, 0, 0, null);
  }

  /**
   * A container that also runs on its own (COMMAND with no subcommand): {@code handler} runs
   * when the command is sent without arguments.
   */
  public CommandSpec container(String name, int arity, String flags, CommandHandler handler) {
    return add(name, arity, flags, 0, 0, 0, handler);
  }

  public CommandSpec sub(CommandSpec parent, String name, int arity, String flags, int firstKey,
      int lastKey, int step, CommandHandler handler) {
    CommandSpec spec = new CommandSpec(byId.size(), parent, name, arity, flags, firstKey,
        lastKey, step, parent.group, handler);
    parent.addSubcommand(spec);
    byId.add(spec);
    return spec;
  }

  /** The command for a lower-case name, or null. */
  public CommandSpec lookup(String lowerName) {
    return commands.get(lowerName);
  }

  public Collection<CommandSpec> all() {
    return Collections.unmodifiableCollection(commands.values());
  }

  /** Every command and subcommand, by id. */
  public List<CommandSpec> allWithSubcommands() {
    return Collections.unmodifiableList(byId);
  }

  public int size() {
    return commands.size();
  }

  /** A command's ACL categories ("@read"...), as COMMAND INFO lists them. */
  public static List<String> aclCategories(CommandSpec s) {
    CommandDocs.Doc doc = CommandDocs.get(s.fullName());
    return doc != null && doc.acl() != null ? doc.acl() : s.aclCategories();
  }

  /** The ACL's view of this table: ids, full names and categories. */
  public io.kiln.acl.Catalog aclCatalog() {
    io.kiln.acl.Catalog.Builder b = new io.kiln.acl.Catalog.Builder(Glob::matches);
    for (CommandSpec s : commands.values()) {
      b.command(s.id, s.name, aclCategories(s));
      for (CommandSpec sub : s.subcommands().values()) {
        b.sub(sub.id, sub.name, aclCategories(sub));
      }
    }
    return b.build();
  }
}
