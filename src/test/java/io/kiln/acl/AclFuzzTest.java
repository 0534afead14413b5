package io.kiln.acl;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.RespClient;
import io.kiln.support.TestKiln;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A bounded fuzz of ACL SETUSER, AUTH and HELLO: random rule lists (valid and not) against a
 * small model of what they allow, then GET/SET/DEL/PUBLISH probes as that user. The server must
 * never crash, never let the user run a command, touch a key or publish to a channel its rules
 * deny, and never deny what they allow. Fixed seeds: a failure replays.
 */
class AclFuzzTest {
  private static final String[] VALID = {"on", "on", "on", "on", "off", "nopass", "+get", "-get", "+set", "-set",
    "+del", "-del", "+publish", "-publish", "+@all", "-@all", "allcommands", "nocommands",
    "+@string", "-@string", "~a*", "%R~b*", "%W~c*", "allkeys", "resetkeys", "&ch*",
    "allchannels", "resetchannels", "nopass", ">pw", "resetpass", "reset",
    // rules the probes do not see, for the description round trip
    "+@admin", "-@dangerous", "+config|get", "-config", "+select|0", "+debug|digest",
    "(+get ~zz*)", "(-@all +set &zz)", "clearselectors", "-@keyspace"};
  private static final String[] INVALID = {"+nosuch", "~a b", "bogus", "#zz", "%Q~x", "(+get",
    "-@nosuch", "+get|", ""};
  private static final String[] KEYS = {"a1", "b1", "c1", "d1"};
  private static final String[] CHANNELS = {"ch1", "x1"};
  private static final String[] STRING_CMDS = {"get", "set"};

  /** What the rules of the fuzzed user allow, as the model understands them. */
  private static final class Model {
    boolean on;
    boolean nopass;
    boolean pw;
    Map<String, Boolean> cmds = new HashMap<>(Map.of("get", false, "set", false, "del", false,
        "publish", false));
    boolean allKeys;
    Map<String, Integer> patterns = new HashMap<>(); // prefix -> READ 1 | WRITE 2
    boolean allChannels;
    Set<String> channelPrefixes = new HashSet<>();

    Model copy() {
      Model m = new Model();
      m.on = on;
      m.nopass = nopass;
      m.pw = pw;
      m.cmds = new HashMap<>(cmds);
      m.allKeys = allKeys;
      m.patterns = new HashMap<>(patterns);
      m.allChannels = allChannels;
      m.channelPrefixes = new HashSet<>(channelPrefixes);
      return m;
    }

    /** Applies one valid rule; false when Redis refuses it in this state. */
    boolean apply(String rule) {
      switch (rule) {
        case "on" -> on = true;
        case "off" -> on = false;
        case "+@all", "allcommands" -> cmds.replaceAll((k, v) -> true);
        case "-@all", "nocommands" -> cmds.replaceAll((k, v) -> false);
        case "+@string" -> setAll(STRING_CMDS, true);
        case "-@string" -> setAll(STRING_CMDS, false);
        case "allkeys" -> {
          allKeys = true;
          patterns.clear();
        }
        case "resetkeys" -> {
          allKeys = false;
          patterns.clear();
        }
        case "allchannels" -> {
          allChannels = true;
          channelPrefixes.clear();
        }
        case "resetchannels" -> {
          allChannels = false;
          channelPrefixes.clear();
        }
        case "nopass" -> {
          nopass = true;
          pw = false;
        }
        case ">pw" -> {
          pw = true;
          nopass = false;
        }
        case "resetpass" -> {
          pw = false;
          nopass = false;
        }
        case "+@admin", "-@dangerous", "+config|get", "-config", "+select|0", "+debug|digest",
            "(+get ~zz*)", "(-@all +set &zz)", "clearselectors" -> { }
        case "-@keyspace" -> cmds.put("del", false);
        case "reset" -> {
          pw = false;
          nopass = false;
          allKeys = false;
          patterns.clear();
          allChannels = false;
          channelPrefixes.clear();
          on = false;
          cmds.replaceAll((k, v) -> false);
        }
        case "~a*", "%R~b*", "%W~c*" -> {
          if (allKeys) {
            return false;
          }
          int perm = rule.startsWith("%R") ? 1 : rule.startsWith("%W") ? 2 : 3;
          patterns.merge(rule.substring(rule.indexOf('~') + 1, rule.length() - 1), perm,
              (a, b) -> a | b);
        }
        case "&ch*" -> {
          if (allChannels) {
            return false;
          }
          channelPrefixes.add("ch");
        }
        default -> cmds.put(rule.substring(1), rule.charAt(0) == '+');
      }
      return true;
    }

    private void setAll(String[] names, boolean v) {
      for (String n : names) {
        cmds.put(n, v);
      }
    }

    boolean key(String key, int needs) {
      if (allKeys) {
        return true;
      }
      for (Map.Entry<String, Integer> p : patterns.entrySet()) {
        if (key.startsWith(p.getKey()) && (p.getValue() & needs) == needs) {
          return true;
        }
      }
      return false;
    }

    boolean channel(String ch) {
      if (allChannels) {
        return true;
      }
      for (String p : channelPrefixes) {
        if (ch.startsWith(p)) {
          return true;
        }
      }
      return false;
    }
  }

  @Test
  void randomRulesNeverGrantMoreOrLessThanTheyState() throws Exception {
    Random rnd = new Random(20261207);
    try (TestKiln kiln = TestKiln.start(); RespClient admin = kiln.client()) {
      Model model = new Model();
      model.allChannels = false; // acl-pubsub-default resetchannels
      admin.call("ACL", "SETUSER", "fz");
      for (int round = 0; round < 300; round++) {
        int n = 1 + rnd.nextInt(5);
        List<String> rules = new ArrayList<>();
        Model next = model.copy();
        boolean valid = true;
        for (int i = 0; i < n; i++) {
          if (rnd.nextInt(8) == 0) {
            String bad = INVALID[rnd.nextInt(INVALID.length)];
            rules.add(bad);
            valid &= bad.isEmpty(); // an empty rule is a no-op in Redis
          } else {
            String r = VALID[rnd.nextInt(VALID.length)];
            rules.add(r);
            valid &= next.apply(r);
          }
        }
        List<String> cmd = new ArrayList<>(List.of("ACL", "SETUSER", "fz"));
        cmd.addAll(rules);
        String reply = admin.call(cmd.toArray(new String[0]));
        assertThat(reply.startsWith("+OK")).as("SETUSER %s -> %s", rules, reply).isEqualTo(valid);
        if (valid) {
          model = next;
        }
        roundTrip(admin);
        probe(kiln, model, rules, rnd);
      }
      assertThat(admin.call("PING")).isEqualTo("+PONG\r\n");
      assertThat(probes).as("probes run").isGreaterThan(200);
      assertThat(denials).as("probes denied").isBetween(probes / 10, probes * 9 / 10);
    }
  }

  /** ACL LIST's description of the user, applied to a fresh user, describes it the same. */
  private static void roundTrip(RespClient admin) {
    String line = userLine(admin, "fz");
    admin.call("ACL", "DELUSER", "fz-copy");
    List<String> cmd = new ArrayList<>(List.of("ACL", "SETUSER", "fz-copy"));
    cmd.addAll(List.of(line.substring("user fz ".length()).split(" ")));
    assertThat(admin.call(cmd.toArray(new String[0]))).as("SETUSER from %s", line)
        .isEqualTo("+OK\r\n");
    assertThat(userLine(admin, "fz-copy")).isEqualTo(line.replace("user fz ", "user fz-copy "));
  }

  private static String userLine(RespClient admin, String name) {
    for (String part : admin.call("ACL", "LIST").split("\r\n")) {
      if (part.startsWith("user " + name + " ")) {
        return part;
      }
    }
    throw new AssertionError("no ACL LIST line for " + name);
  }

  private static void probe(TestKiln kiln, Model m, List<String> rules, Random rnd) {
    try (RespClient c = kiln.client()) {
      String auth = c.call("AUTH", "fz", "pw");
      boolean canLogin = m.on && (m.nopass || m.pw);
      assertThat(auth.startsWith("+OK")).as("AUTH after %s: %s", rules, auth).isEqualTo(canLogin);
      if (!canLogin) {
        assertThat(c.call("ACL", "WHOAMI")).isEqualTo("$7\r\ndefault\r\n"); // still default
        return;
      }
      for (int i = 0; i < 6; i++) {
        String key = KEYS[rnd.nextInt(KEYS.length)];
        String ch = CHANNELS[rnd.nextInt(CHANNELS.length)];
        switch (rnd.nextInt(4)) {
          case 0 -> expect(c, m.cmds.get("get") && m.key(key, 1), rules, "GET", key);
          case 1 -> expect(c, m.cmds.get("set") && m.key(key, 2), rules, "SET", key, "v");
          case 2 -> expect(c, m.cmds.get("del") && m.key(key, 2), rules, "DEL", key);
          default -> expect(c, m.cmds.get("publish") && m.channel(ch), rules, "PUBLISH", ch,
              "m");
        }
      }
    }
  }

  /** Probes run, and those the model expected denied (the fuzz must exercise both). */
  private static int probes;
  private static int denials;

  private static void expect(RespClient c, boolean allowed, List<String> rules, String... cmd) {
    probes++;
    denials += allowed ? 0 : 1;
    String reply = c.call(cmd);
    assertThat(!reply.startsWith("-NOPERM")).as("%s after rules %s: %s", List.of(cmd), rules,
        reply).isEqualTo(allowed);
  }

  @Test
  void randomAuthAndHelloArgumentsNeverCrashNorAuthenticate() throws Exception {
    Random rnd = new Random(7);
    String[] words = {"AUTH", "auth", "SETNAME", "default", "fz", "pw", "3", "2", "4", "", "x y",
      "\u0000", "HELLO"};
    try (TestKiln kiln = TestKiln.start("requirepass", "right"); RespClient admin = kiln.client()) {
      assertThat(admin.call("AUTH", "right")).isEqualTo("+OK\r\n");
      admin.call("ACL", "SETUSER", "fz", "on", ">pw", "+@all", "~*");
      for (int round = 0; round < 200; round++) {
        try (RespClient c = kiln.client()) {
          List<byte[]> args = new ArrayList<>();
          args.add((rnd.nextBoolean() ? "HELLO" : "AUTH").getBytes(StandardCharsets.UTF_8));
          int n = rnd.nextInt(6);
          for (int i = 0; i < n; i++) {
            if (rnd.nextInt(5) == 0) {
              byte[] b = new byte[rnd.nextInt(8)];
              rnd.nextBytes(b);
              args.add(b);
            } else {
              args.add(words[rnd.nextInt(words.length)].getBytes(StandardCharsets.UTF_8));
            }
          }
          String reply = c.call(args);
          assertThat(reply).isNotEmpty();
          // the only ways in are the right passwords
          boolean knowsSecret = args.stream().anyMatch(a -> new String(a, StandardCharsets.UTF_8)
              .equals("pw") || new String(a, StandardCharsets.UTF_8).equals("right"));
          String after = c.call("GET", "k");
          if (!knowsSecret) {
            assertThat(after).as("after %s", reply).startsWith("-NOAUTH");
          }
          assertThat(c.call("PING")).isIn("+PONG\r\n",
              "-NOAUTH Authentication required.\r\n");
        }
      }
      assertThat(admin.call("PING")).isEqualTo("+PONG\r\n");
    }
  }
}
