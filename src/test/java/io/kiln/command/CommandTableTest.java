package io.kiln.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RealRedis;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/**
 * Consistency of the command table with its documentation (docs.txt) and with a real
 * redis-server 7.0's COMMAND INFO. Only commands present in Kiln's table are compared with
 * Redis, so families still to come do not fail it; documented commands not yet served are
 * printed. Test thread.
 */
class CommandTableTest {
  private final CommandTable table = CommandTable.standard();

  /**
   * Differences in families owned elsewhere, known when this test was written (exact text):
   * remove an entry when its family is fixed.
   */
  private static final Set<String> KNOWN = Set.of(
      // CLIENT SETINFO arrived in Redis 7.2; the issue asks for it.
      "client|setinfo: unknown to redis-server 7.0",
      "client|setinfo: documented but unknown to redis-server 7.0",
      // WAITAOF arrived in Redis 7.2; the AOF rewrite issue asks for it.
      "waitaof: unknown to redis-server 7.0",
      "waitaof: documented but unknown to redis-server 7.0");

  @Test
  void everyCommandInTheTableIsDocumented() {
    List<String> missing = new ArrayList<>();
    for (CommandSpec s : table.allWithSubcommands()) {
      if (CommandDocs.get(s.fullName()) == null) {
        missing.add(s.fullName());
      }
    }
    assertThat(missing).as("commands in the table without a docs.txt entry").isEmpty();
  }

  @Test
  void everyDocumentedSubcommandBelongsToADocumentedCommand() {
    List<String> orphans = new ArrayList<>();
    for (String name : CommandDocs.all().keySet()) {
      int bar = name.indexOf('|');
      if (bar > 0 && CommandDocs.get(name.substring(0, bar)) == null) {
        orphans.add(name);
      }
    }
    assertThat(orphans).isEmpty();
  }

  @Test
  void docsEntriesAreWellFormed() {
    List<String> bad = new ArrayList<>();
    for (CommandDocs.Doc d : CommandDocs.all().values()) {
      if (d.summary().isBlank() || !d.since().matches("\\d+\\.\\d+\\.\\d+")
          || d.group().isBlank() || d.acl() == null) {
        bad.add(d.name() + ": summary/since/group/acl");
      }
      checkArgs(d, d.args(), bad);
    }
    assertThat(bad).isEmpty();
  }

  private static void checkArgs(CommandDocs.Doc d, List<CommandDocs.Arg> args, List<String> bad) {
    for (CommandDocs.Arg a : args) {
      if (a.keySpec() >= d.keySpecs().size()) {
        bad.add(d.name() + ": argument " + a.name() + " names key spec " + a.keySpec());
      }
      boolean container = a.type().equals("oneof") || a.type().equals("block");
      if (container == a.args().isEmpty()) {
        bad.add(d.name() + ": argument " + a.name() + " of type " + a.type()
            + (container ? " has no nested arguments" : " has nested arguments"));
      }
      if (a.type().equals("pure-token") && a.token() == null) {
        bad.add(d.name() + ": pure-token " + a.name() + " without a token");
      }
      checkArgs(d, a.args(), bad);
    }
  }

  /**
   * Arity, key positions, flags (those Kiln's vocabulary has), ACL categories, tips and key spec
   * counts of every command in Kiln's table against redis-server 7.0; also every docs entry must
   * name a real Redis 7.0 command.
   */
  @Test
  void tableAndDocsAgreeWithRedis() throws Exception {
    Set<String> vocabulary = Set.of(CommandSpec.FLAG_NAMES);
    List<String> disagreements = new ArrayList<>();
    try (RealRedis redis = RealRedis.start(); Jedis j = new Jedis("127.0.0.1", redis.port())) {
      for (CommandSpec s : table.allWithSubcommands()) {
        List<?> info = info(j, s.fullName());
        if (info == null) {
          disagreements.add(s.fullName() + ": unknown to redis-server 7.0");
          continue;
        }
        String n = s.fullName();
        compare(disagreements, n, "arity", s.arity, ((Long) info.get(1)).intValue());
        compare(disagreements, n, "first key", s.firstKey, ((Long) info.get(3)).intValue());
        compare(disagreements, n, "last key", s.lastKey, ((Long) info.get(4)).intValue());
        compare(disagreements, n, "key step", s.step, ((Long) info.get(5)).intValue());
        Set<String> redisFlags = new TreeSet<>(strings(info.get(2)));
        redisFlags.retainAll(vocabulary);
        compare(disagreements, n, "flags", new TreeSet<>(s.flagNames()), redisFlags);
        CommandDocs.Doc doc = CommandDocs.get(n);
        List<String> acl = doc != null && doc.acl() != null ? doc.acl() : s.aclCategories();
        compare(disagreements, n, "acl categories", acl, strings(info.get(6)));
        if (doc != null) {
          compare(disagreements, n, "tips", doc.tips(), strings(info.get(7)));
          compare(disagreements, n, "key specs", doc.keySpecs().size(),
              ((List<?>) info.get(8)).size());
        }
      }
      for (String name : CommandDocs.all().keySet()) {
        if (info(j, name) == null) {
          disagreements.add(name + ": documented but unknown to redis-server 7.0");
        }
      }
    }
    List<String> pending = new ArrayList<>();
    for (String name : CommandDocs.all().keySet()) {
      int bar = name.indexOf('|');
      CommandSpec s = bar < 0 ? table.lookup(name)
          : table.lookup(name.substring(0, bar)) == null ? null
          : table.lookup(name.substring(0, bar)).subcommand(name.substring(bar + 1));
      if (s == null) {
        pending.add(name);
      }
    }
    System.out.println("Documented, not served yet (" + pending.size() + "): " + pending);
    disagreements.removeAll(KNOWN);
    assertThat(disagreements).as("differences from redis-server 7.0's COMMAND INFO").isEmpty();
  }

  private static void compare(List<String> out, String name, String what, Object kiln,
      Object redis) {
    if (!kiln.equals(redis)) {
      out.add(name + ": " + what + " kiln=" + kiln + " redis=" + redis);
    }
  }

  private static List<?> info(Jedis j, String name) {
    List<?> reply = (List<?>) j.sendCommand(Protocol.Command.COMMAND, "INFO", name);
    return (List<?>) reply.get(0);
  }

  private static List<String> strings(Object reply) {
    List<String> out = new ArrayList<>();
    for (Object o : (List<?>) reply) {
      out.add(o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o));
    }
    return out;
  }

  @Test
  void derivedKeySpecFollowsFirstLastStep() {
    CommandSpec mset = table.lookup("mset");
    CommandDocs.KeySpec k = CommandDocs.derived(mset);
    assertThat(Arrays.asList(k.beginType(), k.index(), k.findType(), k.a(), k.b()))
        .containsExactly("index", 1, "range", -1, 2);
  }
}
