package io.kiln.command;

import io.kiln.config.Config;
import io.kiln.config.ConfigException;
import io.kiln.resp.Errors;
import io.kiln.server.Client;
import io.kiln.server.ShardVerticle;
import io.kiln.server.TlsContext;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CONFIG GET / SET / RESETSTAT / REWRITE / HELP, bound to {@link Config}. Handlers run on the
 * client's event loop; REWRITE's file I/O runs on a worker thread and the client waits for it.
 */
public final class ConfigCommands {
  private static final Logger log = LoggerFactory.getLogger(ConfigCommands.class);

  private ConfigCommands() {}

  static final String[] HELP = {
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
  };

  static void register(CommandTable t) {
    CommandSpec config = t.container("config", -2, "");
    t.sub(config, "get", -3, "admin noscript loading stale", 0, 0, 0, ConfigCommands::get);
    t.sub(config, "set", -4, "admin noscript loading stale", 0, 0, 0,
        ConfigCommands::set);
    t.sub(config, "resetstat", 2, "admin noscript loading stale", 0, 0, 0,
        ConfigCommands::resetstat);
    t.sub(config, "rewrite", 2, "admin noscript loading stale", 0, 0, 0,
        ConfigCommands::rewrite);
    t.sub(config, "help", 2, "loading stale", 0, 0, 0,
        (c, a) -> ServerCommands.help(c, HELP));
  }

  private static String str(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  static void get(Client c, byte[][] argv) {
    List<String> patterns = new ArrayList<>();
    for (int i = 2; i < argv.length; i++) {
      patterns.add(str(argv[i]));
    }
    List<Map.Entry<String, String>> found = c.kiln.config().get(patterns);
    c.out.map(found.size());
    for (Map.Entry<String, String> e : found) {
      c.out.bulk(e.getKey().getBytes(StandardCharsets.ISO_8859_1));
      c.out.bulk(e.getValue().getBytes(StandardCharsets.ISO_8859_1));
    }
  }

  static void set(Client c, byte[][] argv) {
    List<String> args = new ArrayList<>();
    for (int i = 2; i < argv.length; i++) {
      args.add(str(argv[i]));
    }
    for (int i = 0; i + 1 < args.size(); i += 2) {
      if (args.get(i).equalsIgnoreCase("maxclients")) {
        long allowed = io.kiln.server.FileLimits.clientsAllowed();
        Long wanted = io.kiln.resp.Numbers.toLong(argv[i + 3]);
        if (wanted != null && wanted > allowed) { // more than the open-files limit allows
          c.error(Errors.maxclientsOverFileLimit(allowed));
          return;
        }
      }
    }
    try {
      String tls = tlsReloadedBy(args);
      Config trial = tls == null ? null : c.kiln.config().trial(args);
      if (trial != null && io.kiln.server.Server.usesTls(trial)) {
        setReloadingTls(c, args, trial, tls);
        return;
      }
      c.kiln.config().set(args);
    } catch (ConfigException e) {
      c.error(e.getMessage());
      return;
    }
    c.ok();
  }

  /** The first directive of {@code args} whose change rebuilds the TLS context, or null. */
  private static String tlsReloadedBy(List<String> args) {
    for (int i = 0; i + 1 < args.size(); i += 2) {
      io.kiln.config.Directive d = io.kiln.config.Directives.lookup(args.get(i));
      if (d != null && TlsContext.RELOADING.contains(d.name())) {
        return d.name();
      }
    }
    return null;
  }

  /**
   * CONFIG SET of a tls-* directive while the TLS port listens: as Redis's applyTlsCfg, the
   * context is rebuilt from the new values (files read on a worker while this client waits) and
   * the change is kept only if that works; otherwise the old values and context stay.
   */
  private static void setReloadingTls(Client c, List<String> args, Config trial, String name) {
    if (c.inExec()) {
      // Inside EXEC the reply cannot wait for a worker without reordering the others.
      c.error(Errors.TLS_RELOAD_IN_MULTI);
      return;
    }
    c.suspend();
    c.kiln.vertx().executeBlocking(() -> TlsContext.build(trial), false).compose(context -> {
      try {
        c.kiln.config().set(args);
      } catch (ConfigException e) {
        return Future.failedFuture(e);
      }
      return c.kiln.useTls(context);
    }).onComplete(ar -> {
      boolean drop = c.replyMode == Client.ReplyMode.OFF;
      int mark = c.out.mark();
      if (ar.succeeded()) {
        c.ok();
      } else if (ar.cause() instanceof ConfigException ce) {
        c.error(ce.getMessage());
      } else {
        if (!(ar.cause() instanceof TlsContext.Failure)) {
          log.warn("TLS listeners not updated: {}", TlsContext.reason(ar.cause()));
        }
        log.warn("Failed applying new configuration. Possibly related to new {} setting. "
            + "Restoring previous settings.", name);
        c.error(Errors.tlsUpdateFailed(name));
      }
      if (drop) {
        c.out.truncate(mark);
      }
      c.flush();
      c.resume();
    });
  }

  static void resetstat(Client c, byte[][] argv) {
    for (ShardVerticle s : c.kiln.shards()) {
      if (s == c.home) {
        s.shard().stats.reset();
        s.latency().reset();
        s.resetEvictionStats();
      }
    }
    Info.resetPeak();
    c.ok();
  }

  /** Rewriting is blocking file I/O: a worker does it while this client's input waits. */
  static void rewrite(Client c, byte[][] argv) {
    Config config = c.kiln.config();
    if (config.configFile() == null) {
      c.error(Errors.CONFIG_NO_FILE);
      return;
    }
    if (c.inExec()) {
      // Inside EXEC the reply cannot wait for a worker without reordering the others.
      c.error(Errors.CONFIG_REWRITE_IN_MULTI);
      return;
    }
    // the users as they are now, taken on the event loop that owns the ACL
    java.util.List<String> users = AclCommands.userLinesForConfig(c);
    c.suspend();
    c.kiln.vertx().executeBlocking(() -> {
      config.rewrite(users);
      return null;
    }, false).onComplete(ar -> {
      boolean drop = c.replyMode == Client.ReplyMode.OFF;
      int mark = c.out.mark();
      if (ar.succeeded()) {
        log.info("CONFIG REWRITE executed with success.");
        c.ok();
      } else if (ar.cause() instanceof ConfigException ce) {
        c.error(ce.getMessage());
      } else {
        log.warn("CONFIG-REWRITE failed: {}", ar.cause().toString());
        c.error(Errors.CONFIG_REWRITE_FAILED + ar.cause().getMessage());
      }
      if (drop) {
        c.out.truncate(mark);
      }
      c.flush();
      c.resume();
    });
  }
}
