// node-redis's client-side cache (RESP3) against a server: run by io.kiln.server.NodeRedisCacheTest.
// Prints one JSON line with what the cache saw; exits 0 unless something threw.
import { createClient, BasicClientSideCache } from 'redis';

const url = `redis://127.0.0.1:${process.argv[2]}`;
const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0 });
const reader = createClient({ url, RESP: 3, clientSideCache: cache });
const writer = createClient({ url });
await reader.connect();
await writer.connect();

/** Resolves once cond() holds, or after 10 s (the caller checks what it got). */
async function until(cond) {
  const deadline = Date.now() + 10_000;
  while (!cond() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

const out = {};
await writer.set('csc:k', 'v1');
out.first = await reader.get('csc:k');
out.second = await reader.get('csc:k');
out.hits = cache.stats().hitCount;
out.cachedBefore = cache.size();
await writer.set('csc:k', 'v2');
await until(() => cache.size() === 0);
out.cachedAfterWrite = cache.size();
out.third = await reader.get('csc:k');
await writer.flushAll();
await until(() => cache.size() === 0);
out.cachedAfterFlush = cache.size();
out.fourth = await reader.get('csc:k');
console.log(JSON.stringify(out));
await reader.quit();
await writer.quit();
