package io.kiln.keyspace;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * Chained hash table from binary keys to values, modelled on Redis's {@code dict.c}.
 *
 * <h2>Threading</h2>
 * A {@code Dict} is owned by exactly one thread (the shard's event loop). It is <b>not thread-safe</b> and does
 * no synchronisation of any kind; every call, including reads, must come from the owning thread.
 *
 * <h2>Incremental rehashing</h2>
 * Tables are power-of-two arrays of singly linked chains. The dict never stops the world to resize: when the load
 * factor reaches 1 (or, on {@link #tryShrink()}, drops below 10%) a second table of the new size is allocated and
 * buckets migrate from the old table ({@code t0}) to the new one ({@code t1}) a few at a time. Every lookup,
 * insert and removal migrates one bucket (skipping at most ten empty ones); the idle cron should additionally call
 * {@link #rehashStep(int)}. While rehashing, new keys go to {@code t1} and
 * lookups consult both tables. Buckets of {@code t0} below the rehash index are always empty. While a snapshot
 * {@linkplain #hold() holds} the dict, entries stay in their buckets: migration waits and the table grows only at
 * five entries per bucket, so that the snapshot can {@linkplain #walk walk} the buckets in memory order.
 *
 * <p>Allocating one flat array for a large table would itself stall: it is a huge allocation that must be zeroed
 * and may force the collector to make room (measured: 25 ms at 4M buckets and 375 ms at 8M under ZGC). So a table
 * larger than {@value #SEGMENT_SIZE} buckets is a directory of fixed-size segments, each allocated on the first
 * write into it; a null segment reads as empty buckets. No single operation allocates more than a few segments.
 *
 * <h2>Keys</h2>
 * Keys are compared by content. The dict keeps a reference to the caller's array, so callers must never mutate a
 * key after inserting it. The hash ({@link #hash(byte[])}) is MurmurHash3 (x86, 32-bit) with a per-process random
 * seed, so bucket placement cannot be predicted by clients trying to provoke collisions.
 *
 * <h2>Iteration</h2>
 * {@link #forEach(Consumer)} and the visitor of {@link #scan(long, Consumer)} run with rehashing paused, so the
 * callback may freely read the dict ({@link #getNode}, {@link #get}) and mutate the fields of the nodes it is
 * given ({@code value}, {@code expireAt}, {@code lru}), and may replace values with {@link #putNode} for keys
 * that are present. Any structural change from inside a callback (inserting a new key, removing, clearing)
 * throws {@link ConcurrentModificationException}. Between {@code scan} calls anything may change; see
 * {@link #scan(long, Consumer)} for the guarantee that then holds.
 *
 * @param <V> value type
 */
public final class Dict<V> {

    /**
     * One entry. The keyspace stores expiry and LRU clock directly on the node so that no per-entry wrapper
     * object is needed.
     */
    public static final class Node<V> {
        public final byte[] key;
        public V value;
        /** Absolute expiry time (unit chosen by the keyspace); 0 means no expiry. */
        public long expireAt;
        /** Access clock maintained by the keyspace for eviction. */
        public int lru;
        /**
         * Snapshot epoch maintained by the keyspace: the last snapshot that captured (or did not
         * need) this entry.
         */
        public int epoch;
        /**
         * What the keyspace last counted for this entry in its memory model ({@link Footprint}); the top bit marks
         * an entry whose count is due after the current command. Fits the node's alignment padding: no extra bytes.
         */
        public int mem;
        /**
         * The key's {@link #hash}, kept (8 more bytes per node with alignment) so that moving a node to a grown
         * table and passing other keys in a chain never read their key arrays: on a large table each such read is a
         * cache miss (loading 11M keys: 19.2 s without it, 16.5 s with it).
         */
        final int hash;
        Node<V> next;

        Node(byte[] key, int hash, V value, Node<V> next) {
            this.key = key;
            this.hash = hash;
            this.value = value;
            this.next = next;
        }
    }

    private static final int INITIAL_SIZE = 4;
    /** Largest table size: a power of two whose directory of segments is still small. */
    private static final int MAX_SIZE = 1 << 30;
    private static final int SEGMENT_BITS = 14;
    /** Buckets per segment (64 KB of references with compressed oops). Package-private for tests. */
    static final int SEGMENT_SIZE = 1 << SEGMENT_BITS;
    private static final int SEGMENT_MASK = SEGMENT_SIZE - 1;
    /** {@link #tryShrink()} resizes when fewer than this percentage of buckets would be used (Redis's HASHTABLE_MIN_FILL). */
    private static final int MIN_FILL_PERCENT = 10;
    /** A rehash step of n buckets gives up after visiting 10*n empty buckets, bounding its cost. */
    private static final int EMPTY_VISITS_PER_BUCKET = 10;
    /** While held, the table grows only at this many entries per bucket. */
    private static final int FORCE_RESIZE_RATIO = 5;

    private static final int SEED = new SecureRandom().nextInt();
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * Main table; null until the first insert (empty dicts cost no table). A table is a directory of segments:
     * bucket {@code i} is {@code t[i >>> SEGMENT_BITS][i & SEGMENT_MASK]}. Tables of up to SEGMENT_SIZE buckets
     * have one eagerly allocated segment of exactly their size; larger ones allocate segments lazily.
     */
    private Node<V>[][] t0;
    /** Target table; non-null exactly while rehashing. */
    private Node<V>[][] t1;
    private int used0;
    private int used1;
    /** Next bucket of t0 to migrate; -1 when not rehashing. */
    private int rehashIdx = -1;
    /** Greater than 0 while a forEach/scan callback runs: rehashing is paused and structural changes are refused. */
    private int pauses;
    /**
     * Greater than 0 while a snapshot walks the dict in bucket order ({@link #hold()}): no entry changes bucket, so
     * no migration step runs and no resize starts, except a growth once the table holds {@value #FORCE_RESIZE_RATIO}
     * entries per bucket (Redis's dict_force_resize_ratio while a child runs), which only adds a table for new keys.
     */
    private int holds;

    /** Non-empty buckets migrated so far (exposed for tests that bound per-operation work). */
    long rehashedBuckets;
    /** Empty buckets skipped by migration so far (exposed for tests that bound per-operation work). */
    long skippedBuckets;
    /** Bucket slots allocated so far, in directories and segments (exposed for tests that bound per-operation work). */
    long allocatedSlots;

    public Dict() {
    }

    public int size() {
        return used0 + used1;
    }

    /** Buckets allocated in both tables (Redis's dictSlots), for the memory model. */
    public long slots() {
        return (t0 == null ? 0 : capacity(t0)) + (t1 == null ? 0 : capacity(t1));
    }

    /**
     * Visits the first {@code max} nodes in table order (all of them when {@code max <= 0}) and returns how many
     * it visited; changes nothing, rehashing included. How a memory estimate samples a large collection.
     */
    public int visitFirst(int max, Consumer<Node<V>> visitor) {
        int seen = 0;
        for (int table = 0; table < 2; table++) {
            Node<V>[][] t = table == 0 ? t0 : t1;
            if (t == null) {
                continue;
            }
            for (Node<V>[] segment : t) {
                if (segment == null) {
                    continue;
                }
                for (Node<V> head : segment) {
                    for (Node<V> n = head; n != null; n = n.next) {
                        if (max > 0 && seen >= max) {
                            return seen;
                        }
                        visitor.accept(n);
                        seen++;
                    }
                }
            }
        }
        return seen;
    }

    public boolean isRehashing() {
        return t1 != null;
    }

    /**
     * Sizes an empty dict for {@code expected} keys, as Redis's loader does on a dump file's RESIZEDB: the keys
     * that follow then go in without the incremental rehashes that growing to that size would cost. Does nothing
     * unless the dict is empty; a large table's segments are still allocated only as keys land in them.
     */
    public void presize(long expected) {
        if (size() == 0 && t1 == null && pauses == 0 && holds == 0 && expected > INITIAL_SIZE) {
            t0 = newTable(tableSizeFor((int) Math.min(expected, MAX_SIZE)));
            used0 = 0;
            rehashIdx = -1;
        }
    }

    /** Returns the node for {@code key}, or null. Performs one rehash step if rehashing. */
    public Node<V> getNode(byte[] key) {
        if (size() == 0) {
            return null;
        }
        rehash(1);
        return lookup(hash(key), key);
    }

    public V get(byte[] key) {
        Node<V> node = getNode(key);
        return node == null ? null : node.value;
    }

    /**
     * Inserts {@code key} or replaces the value of its existing node. A replaced node keeps its
     * {@code expireAt} and {@code lru}.
     *
     * @return the new or existing node
     */
    public Node<V> putNode(byte[] key, V value) {
        return findOrInsert(key, hash(key), value, true);
    }

    /** Returns the existing node for {@code key} unchanged, or inserts a new node with {@code value}. */
    public Node<V> addNodeIfAbsent(byte[] key, V value) {
        return findOrInsert(key, hash(key), value, false);
    }

    /** {@link #addNodeIfAbsent(byte[], Object)} for a key whose {@link #hash} the caller computed already. */
    public Node<V> addNodeIfAbsent(byte[] key, int hash, V value) {
        return findOrInsert(key, hash, value, false);
    }

    /**
     * Brings the buckets of {@code hashes[0..n)}, and the first entry of each, into the CPU's cache, so that
     * inserting those keys right after waits for memory once instead of n times. On a large table every new key's
     * bucket is a cache miss; here the n reads do not depend on each other, so the CPU has them in flight together
     * (loading 11M keys: the event loop spent most of its time waiting on that miss in {@link #lookup}). At most
     * {@link #WALK_GROUP} keys: the heads are held in the walk's reused group array, cleared after.
     */
    public void prefetch(int[] hashes, int n) {
        Node<V>[][] t = t1 != null ? t1 : t0;
        if (t == null) {
            return;
        }
        int mask = capacity(t) - 1;
        Node<V>[] heads = walkGroup();
        n = Math.min(n, heads.length);
        for (int i = 0; i < n; i++) {
            heads[i] = head(t, hashes[i] & mask);
        }
        int sum = 0;
        for (int i = 0; i < n; i++) {
            if (heads[i] != null) {
                sum += heads[i].hash;
                heads[i] = null;
            }
        }
        touched += sum;
    }

    /** Unlinks and returns the node for {@code key}, or returns null if absent. */
    public Node<V> removeNode(byte[] key) {
        if (size() == 0) {
            return null;
        }
        rehash(1);
        int h = hash(key);
        Node<V> removed = unlink(t0, h, key);
        if (removed != null) {
            used0--;
        } else if (t1 != null) {
            removed = unlink(t1, h, key);
            if (removed != null) {
                used1--;
            }
        }
        return removed;
    }

    /**
     * Returns a random node, or null if empty. Like Redis: pick random buckets until a non-empty one is found,
     * then a uniformly random node of its chain. Nodes in long chains are therefore slightly less likely; on a
     * very sparse table the bucket search takes many tries, which {@link #tryShrink()} keeps in check.
     */
    public Node<V> randomNode(RandomGenerator rnd) {
        if (size() == 0) {
            return null;
        }
        rehash(1);
        Node<V> head;
        if (t1 != null) {
            // Buckets of t0 below rehashIdx are empty, so draw from t0[rehashIdx..] followed by all of t1.
            int size0 = capacity(t0);
            long span = (long) size0 - rehashIdx + capacity(t1);
            do {
                long i = rehashIdx + rnd.nextLong(span);
                head = i < size0 ? head(t0, (int) i) : head(t1, (int) (i - size0));
            } while (head == null);
        } else {
            int size0 = capacity(t0);
            do {
                head = head(t0, rnd.nextInt(size0));
            } while (head == null);
        }
        int chainLength = 0;
        for (Node<V> n = head; n != null; n = n.next) {
            chainLength++;
        }
        Node<V> pick = head;
        for (int skip = rnd.nextInt(chainLength); skip > 0; skip--) {
            pick = pick.next;
        }
        return pick;
    }

    /** Nodes {@link #fairRandomNode} draws among (Redis's GETFAIR_NUM_ENTRIES). */
    private static final int FAIR_SAMPLE = 15;

    /**
     * A random node drawn more evenly than {@link #randomNode}, as Redis's dictGetFairRandomKey: collects up to
     * {@value #FAIR_SAMPLE} nodes from consecutive buckets after a random one (every node, in a small dict) and
     * picks one of them uniformly, so that a node sharing its bucket is not less likely (HRANDFIELD, SRANDMEMBER,
     * RANDOMKEY). Null if empty.
     */
    @SuppressWarnings("unchecked")
    public Node<V> fairRandomNode(RandomGenerator rnd) {
        int want = Math.min(FAIR_SAMPLE, size());
        if (want == 0) {
            return null;
        }
        rehash(1);
        Node<V>[] found = new Node[want];
        int n = 0;
        int cap0 = capacity(t0);
        int cap1 = t1 == null ? 0 : capacity(t1);
        int span = Math.max(cap0, cap1);
        int idx = rnd.nextInt(span);
        for (int step = 0; n < want && step < want * 10; step++, idx = (idx + 1) % span) {
            for (int table = 0; table < 2 && n < want; table++) {
                Node<V>[][] t = table == 0 ? t0 : t1;
                if (t == null || (table == 0 && idx % cap0 < rehashIdx)) {
                    continue;
                }
                for (Node<V> e = head(t, idx % capacity(t)); e != null && n < want; e = e.next) {
                    found[n++] = e;
                }
            }
        }
        return n == 0 ? randomNode(rnd) : found[rnd.nextInt(n)];
    }

    /**
     * One call of a Redis-compatible SCAN. Start with cursor 0; each call visits every node of one or more buckets
     * and returns the cursor to pass next, or 0 when the scan is complete.
     *
     * <p>Guarantee (same as Redis): every element present in the dict for the whole duration of the scan is visited
     * at least once, even if the table grows, shrinks or rehashes between calls. Elements may be visited more than
     * once, and elements added or removed during the scan may or may not be visited.
     *
     * <p>How: the cursor is a bucket index that is incremented on its <em>reversed</em> bits, i.e. the highest index
     * bit is the fastest-changing one (an 8-bucket table is visited 0, 4, 2, 6, 1, 5, 3, 7). Bucket {@code b} of a
     * table with mask {@code m} holds exactly the keys with {@code hash & m == b}, so the buckets already visited are
     * exactly those whose low bits, read reversed, sort before the cursor's. That description does not depend on
     * the table size: when the table doubles, bucket {@code b} splits into {@code b} and {@code b | (m+1)}, which
     * are adjacent in reversed order, so nothing is skipped; when it halves, the cursor's low bits select the merged
     * bucket that may contain some keys already visited (they are returned again) but none that were missed.
     *
     * <p>The visitor runs with rehashing paused and must not structurally modify the dict (see class doc).
     */
    public long scan(long cursor, Consumer<Node<V>> visitor) {
        if (size() == 0) {
            return 0;
        }
        pauses++;
        try {
            if (t1 == null) {
                long mask = capacity(t0) - 1;
                visitChain(head(t0, (int) (cursor & mask)), visitor);
                return nextCursor(cursor, mask);
            }
            // While rehashing, keys of one bucket of the smaller table are spread over several buckets of the larger
            // table: those whose index agrees with it in the low bits (smallMask). Visit the small bucket, then all
            // those expansions of it in the large table, so that it does not matter which table a key is in now.
            Node<V>[][] small = t0;
            Node<V>[][] large = t1;
            if (capacity(small) > capacity(large)) {
                small = t1;
                large = t0;
            }
            long smallMask = capacity(small) - 1;
            long largeMask = capacity(large) - 1;
            visitChain(head(small, (int) (cursor & smallMask)), visitor);
            do {
                visitChain(head(large, (int) (cursor & largeMask)), visitor);
                cursor = nextCursor(cursor, largeMask);
                // The bits the large table has beyond the small one (smallMask ^ largeMask) are the *highest* bits of
                // the large index, i.e. the lowest bits of the reversed counter. They cycle through all values and
                // return to 0 exactly when the increment carries into the bits shared with the small table, i.e.
                // when every expansion of the current small bucket has been visited.
            } while ((cursor & (smallMask ^ largeMask)) != 0);
            return cursor;
        } finally {
            pauses--;
        }
    }

    /**
     * Advances a SCAN cursor: increments the bucket index {@code cursor & mask} in reversed bit order.
     * Setting every bit above the mask first makes the increment of the reversed value carry straight through those
     * (now low, all-ones) bits into the masked ones; when the masked bits overflow, the carry runs off the top and
     * the result is 0, signalling the end of the scan.
     */
    private static long nextCursor(long cursor, long mask) {
        cursor |= ~mask;
        cursor = Long.reverse(cursor);
        cursor++;
        return Long.reverse(cursor);
    }

    /**
     * Keeps every entry in its bucket until {@link #release()}: while held, {@link #walk} visits the buckets in
     * memory order and still sees every entry present at the hold (a SCAN cursor jumps across the table and takes
     * a cache miss per bucket). Inserts and removals go on; lookups may meet longer chains meanwhile.
     */
    public void hold() {
        holds++;
    }

    /** Ends a {@link #hold()}; migration and resizing resume with the next operation. */
    public void release() {
        holds--;
    }

    /**
     * Visits every node of up to {@code buckets} buckets from {@code position} (0 to start), in memory order: the
     * buckets of the first table, then those of the second while one exists. Returns the position to continue
     * from, or -1 once every bucket has been visited. Between calls the dict must be {@linkplain #hold() held}, or
     * entries may move to buckets already visited. The visitor runs as in {@link #scan}.
     */
    public long walk(long position, int buckets, Consumer<Node<V>> visitor) {
        if (t0 == null) {
            return -1;
        }
        pauses++;
        try {
            int size0 = capacity(t0);
            long end = size0 + (t1 == null ? 0L : capacity(t1));
            long stop = Math.min(end, position + buckets);
            Node<V>[] group = walkGroup();
            int n = 0;
            while (position < stop) {
                Node<V>[][] table = position < size0 ? t0 : t1;
                int idx = (int) (position < size0 ? position : position - size0);
                Node<V>[] segment = table[idx >>> SEGMENT_BITS];
                if (segment == null) {
                    position += SEGMENT_SIZE - (idx & SEGMENT_MASK); // a segment never written is all empty
                    continue;
                }
                for (Node<V> e = segment[idx & SEGMENT_MASK]; e != null; e = e.next) {
                    if (n == group.length) {
                        visitGroup(group, n, visitor);
                        n = 0;
                    }
                    group[n++] = e;
                }
                position++;
            }
            visitGroup(group, n, visitor);
            return position >= end ? -1 : position;
        } finally {
            pauses--;
        }
    }

    /**
     * Visits every node once. Rehashing is paused for the duration; {@code action} may read the dict and update
     * node fields but must not insert or remove keys (doing so throws {@link ConcurrentModificationException}).
     */
    public void forEach(Consumer<Node<V>> action) {
        if (size() == 0) {
            return;
        }
        pauses++;
        try {
            visitTable(t0, action);
            if (t1 != null) {
                visitTable(t1, action);
            }
        } finally {
            pauses--;
        }
    }

    /**
     * Migrates up to {@code buckets} non-empty buckets (visiting at most ten times as many empty ones).
     *
     * @return true while more rehash work remains
     */
    public boolean rehashStep(int buckets) {
        return rehash(buckets);
    }

    /**
     * Starts an incremental shrink if the table is sparse: not already rehashing, larger than the initial size
     * and less than 10% full. The new size is the smallest power of two holding all current entries.
     */
    public void tryShrink() {
        if (t1 != null || t0 == null || pauses > 0 || holds > 0) {
            return;
        }
        int size0 = capacity(t0);
        if (size0 > INITIAL_SIZE && (long) used0 * 100 / size0 < MIN_FILL_PERCENT) {
            startRehash(tableSizeFor(used0));
        }
    }

    /** MurmurHash3 x86_32 of {@code key} with this process's random seed. */
    public static int hash(byte[] key) {
        int len = key.length;
        int h = SEED;
        int blockEnd = len & ~3;
        for (int i = 0; i < blockEnd; i += 4) {
            h ^= mixK((int) INT_LE.get(key, i));
            h = Integer.rotateLeft(h, 13) * 5 + 0xe6546b64;
        }
        int k = 0;
        switch (len & 3) {
            case 3:
                k ^= (key[blockEnd + 2] & 0xff) << 16;
                // fall through
            case 2:
                k ^= (key[blockEnd + 1] & 0xff) << 8;
                // fall through
            case 1:
                k ^= key[blockEnd] & 0xff;
                h ^= mixK(k);
                break;
            default:
                break;
        }
        h ^= len;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    private static int mixK(int k) {
        k *= 0xcc9e2d51;
        k = Integer.rotateLeft(k, 15);
        return k * 0x1b873593;
    }

    /** Bucket count of table 0 or 1 (0 if that table does not exist); for tests. */
    int tableSize(int table) {
        Node<V>[][] t = table == 0 ? t0 : t1;
        return t == null ? 0 : capacity(t);
    }

    private Node<V> findOrInsert(byte[] key, int h, V value, boolean replace) {
        rehash(1);
        Node<V> node = lookup(h, key);
        if (node != null) {
            if (replace) {
                node.value = value;
            }
            return node;
        }
        checkNotPaused();
        expandIfNeeded();
        Node<V>[][] t = t1 != null ? t1 : t0;
        int idx = h & (capacity(t) - 1);
        node = new Node<>(key, h, value, head(t, idx));
        setHead(t, idx, node);
        if (t1 != null) {
            used1++;
        } else {
            used0++;
        }
        return node;
    }

    private Node<V> lookup(int h, byte[] key) {
        if (t0 == null) {
            return null;
        }
        Node<V> node = find(t0, h, key);
        if (node == null && t1 != null) {
            node = find(t1, h, key);
        }
        return node;
    }

    private static <V> Node<V> find(Node<V>[][] table, int h, byte[] key) {
        for (Node<V> n = head(table, h & (capacity(table) - 1)); n != null; n = n.next) {
            if (n.hash == h && Arrays.equals(n.key, key)) {
                return n;
            }
        }
        return null;
    }

    private Node<V> unlink(Node<V>[][] table, int h, byte[] key) {
        int idx = h & (capacity(table) - 1);
        Node<V> prev = null;
        for (Node<V> n = head(table, idx); n != null; prev = n, n = n.next) {
            if (n.hash == h && Arrays.equals(n.key, key)) {
                checkNotPaused();
                if (prev == null) {
                    setHead(table, idx, n.next);
                } else {
                    prev.next = n.next;
                }
                n.next = null; // a caller holding the removed node must not keep the rest of the chain alive
                return n;
            }
        }
        return null;
    }

    /** Grows when the load factor reaches 1 (Redis's policy); never while already rehashing. */
    private void expandIfNeeded() {
        if (t0 == null) {
            t0 = newTable(INITIAL_SIZE);
        } else if (t1 == null && used0 >= (long) capacity(t0) * (holds > 0 ? FORCE_RESIZE_RATIO : 1)
                && capacity(t0) < MAX_SIZE) {
            int newSize = tableSizeFor(used0 + 1);
            if (growth == null || growth.allowed(8L * newSize, (double) used0 / capacity(t0))) {
                startRehash(newSize);
            }
        }
    }

    /** Asked before the table grows (Redis's dictType expandAllowed). */
    public interface Growth {
        /** May the table grow by a new one of {@code moreBytes}, at {@code loadFactor} now? */
        boolean allowed(long moreBytes, double loadFactor);
    }

    /** Null: the table always grows at load factor 1. */
    private Growth growth;

    /** Sets who decides whether the table may grow (the keyspace: maxmemory), or null. */
    public void growth(Growth g) {
        this.growth = g;
    }

    private void startRehash(int newSize) {
        if (newSize != capacity(t0)) {
            t1 = newTable(newSize);
            rehashIdx = 0;
        }
    }

    /**
     * Migrates up to {@code n} non-empty buckets from t0 to t1, giving up after {@code 10 * n} empty ones; swaps the
     * tables when t0 is drained. Does nothing while paused.
     *
     * @return true while more rehash work remains
     */
    private boolean rehash(int n) {
        if (t1 == null) {
            return false;
        }
        if (pauses > 0 || holds > 0) {
            return true;
        }
        long emptyVisits = (long) n * EMPTY_VISITS_PER_BUCKET;
        int mask1 = capacity(t1) - 1;
        while (n-- > 0 && used0 != 0) {
            // used0 != 0 guarantees a non-empty bucket at or after rehashIdx.
            while (head(t0, rehashIdx) == null) {
                rehashIdx++;
                skippedBuckets++;
                if (--emptyVisits == 0) {
                    return true;
                }
            }
            Node<V> e = head(t0, rehashIdx);
            while (e != null) {
                Node<V> next = e.next;
                int idx = e.hash & mask1;
                e.next = head(t1, idx);
                setHead(t1, idx, e);
                used0--;
                used1++;
                e = next;
            }
            setHead(t0, rehashIdx, null);
            rehashIdx++;
            rehashedBuckets++;
        }
        if (used0 == 0) {
            t0 = t1;
            used0 = used1;
            t1 = null;
            used1 = 0;
            rehashIdx = -1;
            return false;
        }
        return true;
    }

    private void checkNotPaused() {
        if (pauses > 0) {
            throw new ConcurrentModificationException("Dict structurally modified inside a forEach/scan callback");
        }
    }

    /** How many nodes {@link #walk} gathers before its visitor sees them (see {@link #visitGroup}). */
    static final int WALK_GROUP = 32;
    /** The nodes {@link #walk} (or {@link #prefetch}) gathered and their values; reused, cleared after each group. */
    private Node<V>[] walkNodes;
    private Object[] walkValues;
    /** Keeps the read-ahead loads of {@link #visitGroup} and {@link #prefetch} from being optimised away. */
    private int touched;

    @SuppressWarnings("unchecked")
    private Node<V>[] walkGroup() {
        if (walkNodes == null) {
            walkNodes = (Node<V>[]) new Node[WALK_GROUP];
            walkValues = new Object[WALK_GROUP];
        }
        return walkNodes;
    }

    /**
     * Visits the {@code n} gathered nodes after reading every node's value, then every string value's length,
     * in passes over the whole group. On a large table each node and each value is a cache miss; loads issued
     * back to back for different nodes overlap, where a visitor taking one node at a time waits for each miss in
     * turn (a snapshot's walk of 10M keys: 2.1-2.5 s of event-loop time before, 1.5-1.8 s after).
     */
    private void visitGroup(Node<V>[] group, int n, Consumer<Node<V>> visitor) {
        Object[] values = walkValues;
        for (int i = 0; i < n; i++) {
            values[i] = group[i].value;
        }
        int sum = 0;
        for (int i = 0; i < n; i++) {
            if (values[i] instanceof byte[] b) {
                sum += b.length;
            }
        }
        touched = sum;
        for (int i = 0; i < n; i++) {
            visitor.accept(group[i]);
            group[i] = null;
            values[i] = null;
        }
    }

    private static <V> void visitChain(Node<V> head, Consumer<Node<V>> visitor) {
        for (Node<V> n = head; n != null; n = n.next) {
            visitor.accept(n);
        }
    }

    private static <V> void visitTable(Node<V>[][] table, Consumer<Node<V>> visitor) {
        for (Node<V>[] segment : table) {
            if (segment != null) {
                for (Node<V> head : segment) {
                    visitChain(head, visitor);
                }
            }
        }
    }

    /** Smallest power of two >= n, clamped to [INITIAL_SIZE, MAX_SIZE]. */
    private static int tableSizeFor(int n) {
        if (n <= INITIAL_SIZE) {
            return INITIAL_SIZE;
        }
        if (n >= MAX_SIZE) {
            return MAX_SIZE;
        }
        return Integer.highestOneBit(n - 1) << 1;
    }

    private static int capacity(Node<?>[][] table) {
        return table.length == 1 ? table[0].length : table.length << SEGMENT_BITS;
    }

    private static <V> Node<V> head(Node<V>[][] table, int idx) {
        Node<V>[] segment = table[idx >>> SEGMENT_BITS];
        return segment == null ? null : segment[idx & SEGMENT_MASK];
    }

    private void setHead(Node<V>[][] table, int idx, Node<V> node) {
        Node<V>[] segment = table[idx >>> SEGMENT_BITS];
        if (segment == null) {
            if (node == null) {
                return; // clearing a bucket of a segment that was never written
            }
            segment = newSegment(SEGMENT_SIZE);
            table[idx >>> SEGMENT_BITS] = segment;
        }
        segment[idx & SEGMENT_MASK] = node;
    }

    /** A table of {@code size} buckets: one eager segment if small, else a directory of lazily created segments. */
    @SuppressWarnings("unchecked")
    private Node<V>[][] newTable(int size) {
        if (size <= SEGMENT_SIZE) {
            Node<V>[][] table = (Node<V>[][]) new Node[1][];
            table[0] = newSegment(size);
            allocatedSlots++;
            return table;
        }
        allocatedSlots += size >>> SEGMENT_BITS;
        return (Node<V>[][]) new Node[size >>> SEGMENT_BITS][];
    }

    @SuppressWarnings("unchecked")
    private Node<V>[] newSegment(int size) {
        allocatedSlots += size;
        return (Node<V>[]) new Node[size];
    }
}
