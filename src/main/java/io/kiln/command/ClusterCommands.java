package io.kiln.command;

import io.kiln.resp.Errors;
import io.kiln.server.Client;

/**
 * The Redis Cluster commands (cluster family), as a Redis server started without
 * cluster-enabled answers them: every subcommand of CLUSTER replies that cluster support is
 * disabled, so clients that probe for a cluster see a standalone server, and a script that calls
 * one is refused as in Redis (CLUSTER RESET is noscript). Flags and arities are Redis's. Event
 * loop.
 */
public final class ClusterCommands {
  private ClusterCommands() {}

  static void register(CommandTable t) {
    CommandSpec cluster = t.container("cluster", -2, "");
    t.sub(cluster, "addslots", -3, "admin stale no_async_loading", 0, 0, 0,
        ClusterCommands::disabled);
    t.sub(cluster, "addslotsrange", -4, "admin stale no_async_loading", 0, 0, 0,
        ClusterCommands::disabled);
    t.sub(cluster, "bumpepoch", 2, "admin stale no_async_loading", 0, 0, 0,
        ClusterCommands::disabled);
    t.sub(cluster, "count-failure-reports", 3, "admin stale", 0, 0, 0, ClusterCommands::disabled);
    t.sub(cluster, "countkeysinslot", 3, "stale", 0, 0, 0, ClusterCommands::disabled);
    t.sub(cluster, "delslots", -3, "admin stale no_async_loading", 0, 0, 0,
        ClusterCommands::disabled);
    t.sub(cluster, "delslotsrange", -4, "admin stale no_async_loading", 0, 0, 0,
        ClusterCommands::disabled);
    t.sub(cluster, "failover", -2, "admin stale no_async_loading", 0, 0, 0,
        ClusterCommands::disabled);
    t.sub(cluster, "flushslots", 2, "admin stale no_async_loading", 0, 0, 0,
        ClusterCommands::disabled);
    t.sub(cluster, "forget", 3, "admin stale no_async_loading", 0, 0, 0, ClusterCommands::disabled);
    t.sub(cluster, "getkeysinslot", 4, "stale", 0, 0, 0, ClusterCommands::disabled);
    t.sub(cluster, "help", 2, "loading stale", 0, 0, 0, ClusterCommands::disabled);
    t.sub(cluster, "info", 2, "stale", 0, 0, 0, ClusterCommands::disabled);
    t.sub(cluster, "keyslot", 3, "stale", 0, 0, 0, ClusterCommands::disabled);
    t.sub(cluster, "links", 2, "stale", 0, 0, 0, ClusterCommands::disabled);
    t.sub(cluster, "meet", -4, "admin stale no_async_loading", 0, 0, 0, ClusterCommands::disabled);
    t.sub(cluster, "myid", 2, "stale", 0, 0, 0, ClusterCommands::disabled);
    t.sub(cluster, "nodes", 2, "stale", 0, 0, 0, ClusterCommands::disabled);
    t.sub(cluster, "replicas", 3, "admin stale", 0, 0, 0, ClusterCommands::disabled);
    t.sub(cluster, "replicate", 3, "admin stale no_async_loading", 0, 0, 0,
        ClusterCommands::disabled);
    t.sub(cluster, "reset", -2, "admin noscript stale", 0, 0, 0, ClusterCommands::disabled);
    t.sub(cluster, "saveconfig", 2, "admin stale no_async_loading", 0, 0, 0,
        ClusterCommands::disabled);
    t.sub(cluster, "set-config-epoch", 3, "admin stale no_async_loading", 0, 0, 0,
        ClusterCommands::disabled);
    t.sub(cluster, "setslot", -4, "admin stale no_async_loading", 0, 0, 0,
        ClusterCommands::disabled);
    t.sub(cluster, "shards", 2, "stale", 0, 0, 0, ClusterCommands::disabled);
    t.sub(cluster, "slaves", 3, "admin stale", 0, 0, 0, ClusterCommands::disabled);
    t.sub(cluster, "slots", 2, "stale", 0, 0, 0, ClusterCommands::disabled);
    // a cluster replica's read mode and redirection: standalone Redis refuses them the same way
    t.add("asking", 1, "fast", 0, 0, 0, ClusterCommands::disabled);
    t.add("readonly", 1, "fast loading stale", 0, 0, 0, ClusterCommands::disabled);
    t.add("readwrite", 1, "fast loading stale", 0, 0, 0, ClusterCommands::disabled);
  }

  static void disabled(Client c, byte[][] argv) {
    c.error(Errors.CLUSTER_DISABLED);
  }
}
