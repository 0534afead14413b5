package io.kiln.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.kiln.support.NodeProject;
import io.kiln.support.RealRedis;
import io.kiln.support.SharedKiln;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * node-redis (npm {@code redis}, pinned in src/test/node/redis-csc/package-lock.json), unchanged,
 * with its RESP3 client-side cache: src/test/node/redis-csc/csc.mjs reads a key twice (the second
 * from its cache), sees another client's write and a FLUSHALL empty the cache, and prints what it
 * saw. The same line is expected from redis-server 7.0 (where installed) and from Kiln. The
 * packages are installed into target/redis-csc-node with {@code npm ci} (the npm registry must be
 * reachable the first time); the test skips where node is absent. Test thread.
 */
class NodeRedisCacheTest {
  @RegisterExtension
  static final SharedKiln kiln = new SharedKiln();

  static final String EXPECTED = "{\"first\":\"v1\",\"second\":\"v1\",\"hits\":1,"
      + "\"cachedBefore\":1,\"cachedAfterWrite\":0,\"third\":\"v2\",\"cachedAfterFlush\":0,"
      + "\"fourth\":null}";

  @Test
  void nodeRedisCacheIsInvalidatedByWritesAndFlushesAsOnRedis() throws Exception {
    Path dir = NodeProject.install("redis-csc", "redis", List.of("csc.mjs"));
    if (RealRedis.installed()) {
      try (RealRedis redis = RealRedis.start()) {
        assertThat(run(dir, redis.port())).as("node-redis on redis-server").isEqualTo(EXPECTED);
      }
    }
    assertThat(run(dir, kiln.port())).as("node-redis on Kiln").isEqualTo(EXPECTED);
  }

  private static String run(Path dir, int port) throws Exception {
    NodeProject.Result r = NodeProject.run(dir, 60, "node", "csc.mjs", Integer.toString(port));
    assertThat(r.exit()).as("node csc.mjs: %s", r.output()).isZero();
    return r.output().strip();
  }
}
