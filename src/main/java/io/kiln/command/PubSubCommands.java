package io.kiln.command;

import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import io.kiln.server.PubSub;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The pub/sub family as Redis 7.0 (non-cluster) has it: SUBSCRIBE / UNSUBSCRIBE, PSUBSCRIBE /
 * PUNSUBSCRIBE, SSUBSCRIBE / SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB introspection. The
 * registry is the shard verticle's {@link PubSub}; subscription confirmations are push replies
 * (arrays under RESP2). Handlers run on the event loop owning the client.
 */
public final class PubSubCommands {
  private PubSubCommands() {}

  private static final byte[] SUBSCRIBE = ascii("subscribe");
  private static final byte[] UNSUBSCRIBE = ascii("unsubscribe");
  private static final byte[] PSUBSCRIBE = ascii("psubscribe");
  private static final byte[] PUNSUBSCRIBE = ascii("punsubscribe");
  private static final byte[] SSUBSCRIBE = ascii("ssubscribe");
  private static final byte[] SUNSUBSCRIBE = ascii("sunsubscribe");

  static final String[] HELP = {
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
  };

  public static void register(CommandTable t) {
    t.add("subscribe", -2, "pubsub noscript loading stale", 0, 0, 0, PubSubCommands::subscribe);
    t.add("unsubscribe", -1, "pubsub noscript loading stale", 0, 0, 0,
        PubSubCommands::unsubscribe);
    t.add("psubscribe", -2, "pubsub noscript loading stale", 0, 0, 0,
        PubSubCommands::psubscribe);
    t.add("punsubscribe", -1, "pubsub noscript loading stale", 0, 0, 0,
        PubSubCommands::punsubscribe);
    t.add("publish", 3, "pubsub loading stale fast may_replicate", 0, 0, 0, PubSubCommands::publish);
    t.add("ssubscribe", -2, "pubsub noscript loading stale", 1, -1, 1,
        PubSubCommands::ssubscribe);
    t.add("sunsubscribe", -1, "pubsub noscript loading stale", 1, -1, 1,
        PubSubCommands::sunsubscribe);
    t.add("spublish", 3, "pubsub loading stale fast may_replicate", 1, 1, 1, PubSubCommands::spublish);
    CommandSpec pubsub = t.container("pubsub", -2, "");
    t.sub(pubsub, "channels", -2, "pubsub loading stale", 0, 0, 0,
        (c, a) -> channels(c, a, false));
    t.sub(pubsub, "numsub", -2, "pubsub loading stale", 0, 0, 0, (c, a) -> numsub(c, a, false));
    t.sub(pubsub, "numpat", 2, "pubsub loading stale", 0, 0, 0,
        (c, a) -> c.out.integer(c.home.pubsub().patternCount()));
    t.sub(pubsub, "shardchannels", -2, "pubsub loading stale", 0, 0, 0,
        (c, a) -> channels(c, a, true));
    t.sub(pubsub, "shardnumsub", -2, "pubsub loading stale", 0, 0, 0,
        (c, a) -> numsub(c, a, true));
    t.sub(pubsub, "help", 2, "loading stale", 0, 0, 0, (c, a) -> ServerCommands.help(c, HELP));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static void confirm(Client c, byte[] kind, byte[] channel, int count) {
    c.out.push(3);
    c.out.bulk(kind);
    if (channel == null) {
      c.out.nullBulk();
    } else {
      c.out.bulk(channel);
    }
    c.out.integer(count);
  }

  private static int count(Client c) {
    PubSub.Subscriptions s = c.subscriptions();
    return s == null ? 0 : s.count();
  }

  private static int shardCount(Client c) {
    PubSub.Subscriptions s = c.subscriptions();
    return s == null ? 0 : s.shardChannels();
  }

  static void subscribe(Client c, byte[][] argv) {
    PubSub ps = c.home.pubsub();
    for (int i = 1; i < argv.length; i++) {
      ps.subscribe(c, argv[i]);
      confirm(c, SUBSCRIBE, argv[i], count(c));
    }
  }

  static void psubscribe(Client c, byte[][] argv) {
    PubSub ps = c.home.pubsub();
    for (int i = 1; i < argv.length; i++) {
      ps.psubscribe(c, argv[i]);
      confirm(c, PSUBSCRIBE, argv[i], count(c));
    }
  }

  static void ssubscribe(Client c, byte[][] argv) {
    if (c.inExec()) {
      // EXEC denies blocking: Redis refuses SSUBSCRIBE there (SUBSCRIBE is let through).
      c.error(Errors.SSUBSCRIBE_DENY_BLOCKING);
      return;
    }
    PubSub ps = c.home.pubsub();
    for (int i = 1; i < argv.length; i++) {
      ps.ssubscribe(c, argv[i]);
      confirm(c, SSUBSCRIBE, argv[i], shardCount(c));
    }
  }

  static void unsubscribe(Client c, byte[][] argv) {
    PubSub ps = c.home.pubsub();
    List<byte[]> names = argv.length > 1 ? args(argv) : ps.channelsOf(c);
    if (names.isEmpty()) {
      confirm(c, UNSUBSCRIBE, null, count(c));
    }
    for (byte[] ch : names) {
      ps.unsubscribe(c, ch);
      confirm(c, UNSUBSCRIBE, ch, count(c));
    }
  }

  static void punsubscribe(Client c, byte[][] argv) {
    PubSub ps = c.home.pubsub();
    List<byte[]> names = argv.length > 1 ? args(argv) : ps.patternsOf(c);
    if (names.isEmpty()) {
      confirm(c, PUNSUBSCRIBE, null, count(c));
    }
    for (byte[] p : names) {
      ps.punsubscribe(c, p);
      confirm(c, PUNSUBSCRIBE, p, count(c));
    }
  }

  static void sunsubscribe(Client c, byte[][] argv) {
    PubSub ps = c.home.pubsub();
    List<byte[]> names = argv.length > 1 ? args(argv) : ps.shardChannelsOf(c);
    if (names.isEmpty()) {
      confirm(c, SUNSUBSCRIBE, null, shardCount(c));
    }
    for (byte[] ch : names) {
      ps.sunsubscribe(c, ch);
      confirm(c, SUNSUBSCRIBE, ch, shardCount(c));
    }
  }

  private static List<byte[]> args(byte[][] argv) {
    return List.of(argv).subList(1, argv.length);
  }

  static void publish(Client c, byte[][] argv) {
    c.out.integer(c.home.pubsub().publish(argv[1], argv[2]));
  }

  static void spublish(Client c, byte[][] argv) {
    c.out.integer(c.home.pubsub().spublish(argv[1], argv[2]));
  }

  private static void channels(Client c, byte[][] argv, boolean shard) {
    if (argv.length > 3) {
      c.error(Errors.subcommandSyntax(Numbers.ascii(argv[1]), "PUBSUB"));
      return;
    }
    byte[] pattern = argv.length == 3 ? argv[2] : null;
    List<byte[]> found = c.home.pubsub().activeChannels(pattern, shard);
    c.out.array(found.size());
    for (byte[] ch : found) {
      c.out.bulk(ch);
    }
  }

  private static void numsub(Client c, byte[][] argv, boolean shard) {
    PubSub ps = c.home.pubsub();
    c.out.array((argv.length - 2) * 2L);
    for (int i = 2; i < argv.length; i++) {
      c.out.bulk(argv[i]);
      c.out.integer(ps.subscriberCount(argv[i], shard));
    }
  }
}
