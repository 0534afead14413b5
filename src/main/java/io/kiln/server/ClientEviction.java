package io.kiln.server;

import io.kiln.command.ClientCommands;
import io.kiln.config.Config;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * maxmemory-clients, as Redis 7.0's client eviction: when what this shard's connections cost
 * (query and reply buffers and their fixed part, {@link Client#memory}) passes the limit, the
 * connections that cost the most are closed until the rest fit. The limit is bytes, or a share
 * of maxmemory ("10%"; off while maxmemory is 0); 0 turns it off. Connections marked CLIENT
 * NO-EVICT ON are never closed. Each closed one counts in INFO's evicted_clients and is logged
 * at the verbose level, as Redis does. Kiln runs one shard (more are refused), so the limit
 * covers every connection.
 *
 * <p>Thread: the shard's event loop; the limit and the count are also read by INFO.
 */
final class ClientEviction {
  private static final Logger log = LoggerFactory.getLogger(ClientEviction.class);

  private final ShardVerticle home;
  private volatile long limit;
  private volatile long evicted;

  ClientEviction(ShardVerticle home, Config config) {
    this.home = home;
    java.util.function.Consumer<Config> read = cfg -> {
      long v = cfg.getLong("maxmemory-clients");
      limit = v >= 0 ? v : cfg.getLong("maxmemory") * -v / 100;
    };
    read.accept(config);
    config.onChange("maxmemory-clients", read);
    config.onChange("maxmemory", read);
  }

  /** Connections closed by maxmemory-clients since the start (INFO evicted_clients). */
  long evicted() {
    return evicted;
  }

  /** True when the connections' total may be over the limit (one volatile read). */
  boolean mayBeOver(long clientsMemory) {
    long l = limit;
    return l != 0 && clientsMemory > l;
  }

  /** Closes the costliest evictable connections until the shard's connections fit the limit. */
  void check() {
    long l = limit;
    if (l == 0) {
      return;
    }
    long total = home.clientsMemory();
    List<Client> candidates = new ArrayList<>();
    for (Client c : home.clients().values()) {
      if (c.isClosing()) {
        total -= c.countedMemory; // already on its way out
      } else if (!c.noEvict && !c.isScript() && !c.isReplay()) {
        candidates.add(c);
      }
    }
    if (total <= l) {
      return;
    }
    candidates.sort(Comparator.comparingLong((Client c) -> c.countedMemory).reversed());
    for (Client c : candidates) {
      if (total <= l) {
        break;
      }
      if (log.isDebugEnabled()) {
        log.debug("Evicting client: {}", ClientCommands.infoLine(c));
      }
      total -= c.countedMemory;
      evicted++;
      c.close();
    }
  }
}
