package io.kiln.keyspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DictTest {

    private static byte[] key(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] key(int i) {
        return key("key:" + i);
    }

    private static String str(byte[] k) {
        return new String(k, StandardCharsets.UTF_8);
    }

    private static Dict<Integer> filled(int n) {
        Dict<Integer> d = new Dict<>();
        for (int i = 0; i < n; i++) {
            d.putNode(key(i), i);
        }
        return d;
    }

    private static void finishRehash(Dict<?> d) {
        while (d.rehashStep(1000)) {
            // keep going
        }
    }

    @Test
    void emptyDictHasNothing() {
        Dict<String> d = new Dict<>();
        assertThat(d.size()).isZero();
        assertThat(d.get(key("a"))).isNull();
        assertThat(d.getNode(key("a"))).isNull();
        assertThat(d.removeNode(key("a"))).isNull();
        assertThat(d.randomNode(new SplittableRandom(1))).isNull();
        assertThat(d.scan(0, n -> { throw new AssertionError(); })).isZero();
        assertThat(d.isRehashing()).isFalse();
    }

    @Test
    void binaryKeysAreComparedByContent() {
        Dict<String> d = new Dict<>();
        byte[][] keys = {
            {}, {0}, {0, 0}, {0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0, 0}, {1, 0, 0, 0}, {0, 0, 0, 1},
            {(byte) 0xff}, {(byte) 0xff, 0}, {0, (byte) 0xff}, {1, 2, 3, 4, 5, 6, 7}, {1, 2, 3, 4, 5, 6, 8}
        };
        for (int i = 0; i < keys.length; i++) {
            d.putNode(keys[i], "v" + i);
        }
        assertThat(d.size()).isEqualTo(keys.length);
        for (int i = 0; i < keys.length; i++) {
            assertThat(d.get(keys[i].clone())).as("key #%d looked up by a copy", i).isEqualTo("v" + i);
        }
        assertThat(d.get(new byte[] {0, 0, 0, 0, 0, 0})).isNull();
    }

    @Test
    void hashDependsOnContentOnly() {
        for (int len = 0; len < 12; len++) {
            byte[] a = new byte[len];
            for (int i = 0; i < len; i++) {
                a[i] = (byte) (i * 37 + 1);
            }
            assertThat(Dict.hash(a.clone())).isEqualTo(Dict.hash(a));
        }
        assertThat(Dict.hash(new byte[] {0})).isNotEqualTo(Dict.hash(new byte[] {0, 0}));
    }

    @Test
    void putReplacesValueButKeepsNodeAndMetadata() {
        Dict<String> d = new Dict<>();
        Dict.Node<String> first = d.putNode(key("k"), "a");
        first.expireAt = 1234;
        first.lru = 7;
        Dict.Node<String> second = d.putNode(key("k"), "b");
        assertThat(second).isSameAs(first);
        assertThat(second.value).isEqualTo("b");
        assertThat(second.expireAt).isEqualTo(1234);
        assertThat(second.lru).isEqualTo(7);
        assertThat(d.size()).isEqualTo(1);
        assertThat(d.get(key("k"))).isEqualTo("b");
    }

    @Test
    void addNodeIfAbsentDoesNotReplace() {
        Dict<String> d = new Dict<>();
        Dict.Node<String> inserted = d.addNodeIfAbsent(key("k"), "a");
        Dict.Node<String> existing = d.addNodeIfAbsent(key("k"), "b");
        assertThat(existing).isSameAs(inserted);
        assertThat(existing.value).isEqualTo("a");
        assertThat(d.size()).isEqualTo(1);
    }

    @Test
    void removeReturnsNodeAndForgetsKey() {
        Dict<Integer> d = filled(100);
        Dict.Node<Integer> removed = d.removeNode(key(42));
        assertThat(removed).isNotNull();
        assertThat(removed.value).isEqualTo(42);
        assertThat(str(removed.key)).isEqualTo("key:42");
        assertThat(d.getNode(key(42))).isNull();
        assertThat(d.removeNode(key(42))).isNull();
        assertThat(d.size()).isEqualTo(99);
        for (int i = 0; i < 100; i++) {
            if (i != 42) {
                assertThat(d.get(key(i))).isEqualTo(i);
            }
        }
    }

    @Test
    void growsThroughManyRehashesWhileAllKeysStayReadable() {
        Dict<Integer> d = new Dict<>();
        int n = 20_000;
        int rehashEpisodes = 0;
        boolean wasRehashing = false;
        for (int i = 0; i < n; i++) {
            d.putNode(key(i), i);
            boolean rehashing = d.isRehashing();
            if (rehashing && !wasRehashing) {
                rehashEpisodes++;
            }
            wasRehashing = rehashing;
            if (rehashing && i % 97 == 0) {
                for (int j = 0; j <= i; j++) {
                    assertThat(d.get(key(j))).as("key %d after %d puts", j, i + 1).isEqualTo(j);
                }
            }
        }
        assertThat(rehashEpisodes).isGreaterThanOrEqualTo(12);
        assertThat(d.size()).isEqualTo(n);
        finishRehash(d);
        assertThat(d.tableSize(0)).isEqualTo(32_768);
        for (int j = 0; j < n; j++) {
            assertThat(d.get(key(j))).isEqualTo(j);
        }
    }

    @Test
    void removingDuringRehashKeepsTheRestReadable() {
        Dict<Integer> d = filled(4096);
        d.putNode(key(4096), 4096); // load factor reached 1: starts growing
        assertThat(d.isRehashing()).isTrue();
        for (int i = 0; i <= 4096; i += 2) {
            assertThat(d.removeNode(key(i))).isNotNull();
        }
        for (int i = 0; i <= 4096; i++) {
            assertThat(d.get(key(i))).isEqualTo(i % 2 == 0 ? null : i);
        }
        assertThat(d.size()).isEqualTo(2048);
    }

    @Test
    void presizeOfAnEmptyDictTakesTheExpectedKeysWithoutRehashing() {
        Dict<Integer> d = new Dict<>();
        d.presize(100_000);
        assertThat(d.tableSize(0)).isEqualTo(131_072);
        for (int i = 0; i < 100_000; i++) {
            d.putNode(key(i), i);
            assertThat(d.isRehashing()).as("after %d keys", i + 1).isFalse();
        }
        assertThat(d.rehashedBuckets).isZero();
        for (int i = 0; i < 100_000; i++) {
            assertThat(d.get(key(i))).isEqualTo(i);
        }
    }

    @Test
    void presizeLeavesADictWithKeysAlone() {
        Dict<Integer> d = filled(10);
        int before = d.tableSize(0);
        d.presize(1_000_000);
        assertThat(d.tableSize(0)).isEqualTo(before);
        assertThat(d.size()).isEqualTo(10);
        Dict<Integer> huge = new Dict<>();
        huge.presize(Long.MAX_VALUE); // a corrupt count: capped, and segments are only made on use
        huge.putNode(key(1), 1);
        assertThat(huge.get(key(1))).isEqualTo(1);
        assertThat(huge.allocatedSlots).isLessThan(1 << 20);
    }

    @Test
    void tryShrinkShrinksSparseTableIncrementally() {
        Dict<Integer> d = filled(10_000);
        finishRehash(d);
        assertThat(d.tableSize(0)).isEqualTo(16_384);
        for (int i = 100; i < 10_000; i++) {
            d.removeNode(key(i));
        }
        finishRehash(d);
        d.tryShrink();
        assertThat(d.isRehashing()).isTrue();
        assertThat(d.tableSize(1)).isEqualTo(128);
        for (int i = 0; i < 100; i++) {
            assertThat(d.get(key(i))).isEqualTo(i);
        }
        finishRehash(d);
        assertThat(d.tableSize(0)).isEqualTo(128);
        assertThat(d.size()).isEqualTo(100);
        for (int i = 0; i < 100; i++) {
            assertThat(d.get(key(i))).isEqualTo(i);
        }
    }

    @Test
    void tryShrinkLeavesReasonablyFullTableAlone() {
        Dict<Integer> d = filled(1000);
        finishRehash(d);
        for (int i = 0; i < 850; i++) {
            d.removeNode(key(i));
        }
        finishRehash(d);
        d.tryShrink(); // 150 of 1024 buckets: 14% full
        assertThat(d.isRehashing()).isFalse();
        assertThat(d.tableSize(0)).isEqualTo(1024);
    }

    @Test
    void randomNodeReturnsOnlyPresentNodesAndManyDistinctOnes() {
        Dict<Integer> d = filled(2000);
        for (int i = 0; i < 2000; i += 2) {
            d.removeNode(key(i));
        }
        d.putNode(key(5000), 5000);
        SplittableRandom rnd = new SplittableRandom(7);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            Dict.Node<Integer> n = d.randomNode(rnd);
            assertThat(d.getNode(n.key)).isSameAs(n);
            seen.add(str(n.key));
        }
        assertThat(seen).hasSizeGreaterThan(950);
    }

    @Test
    void randomNodeWorksWhileRehashing() {
        Dict<Integer> d = filled(1 << 12);
        d.putNode(key(-1), -1);
        assertThat(d.isRehashing()).isTrue();
        SplittableRandom rnd = new SplittableRandom(3);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 200 && d.isRehashing(); i++) {
            Dict.Node<Integer> n = d.randomNode(rnd);
            assertThat(d.getNode(n.key)).isSameAs(n);
            seen.add(str(n.key));
        }
        assertThat(seen).hasSizeGreaterThan(150);
    }

    @Test
    void forEachVisitsEveryNodeExactlyOnceEvenWhileRehashing() {
        int n = 2 * Dict.SEGMENT_SIZE; // large enough for segmented tables, growing into a partly allocated one
        Dict<Integer> d = filled(n);
        d.putNode(key(-1), -1);
        d.rehashStep(10);
        assertThat(d.isRehashing()).isTrue();
        IdentityHashMap<Dict.Node<Integer>, Integer> visits = new IdentityHashMap<>();
        d.forEach(node -> {
            assertThat(d.get(node.key)).isEqualTo(node.value); // reads inside the callback are allowed
            visits.merge(node, 1, Integer::sum);
        });
        assertThat(visits).hasSize(n + 1);
        assertThat(visits.values()).containsOnly(1);
    }

    @Test
    void structuralChangeInsideForEachThrows() {
        Dict<Integer> d = filled(10);
        assertThatThrownBy(() -> d.forEach(n -> d.putNode(key("new"), 0)))
            .isInstanceOf(ConcurrentModificationException.class);
        assertThatThrownBy(() -> d.forEach(n -> d.removeNode(n.key)))
            .isInstanceOf(ConcurrentModificationException.class);
        d.forEach(n -> d.putNode(n.key, n.value + 1)); // replacing values is not structural
        assertThat(d.get(key(3))).isEqualTo(4);
        d.putNode(key("after"), 1); // the pause ended even though callbacks threw
        assertThat(d.size()).isEqualTo(11);
    }

    @Test
    void scanVisitsEverythingWhenNothingChanges() {
        Dict<Integer> d = filled(5000);
        Set<String> seen = new HashSet<>();
        long cursor = 0;
        do {
            cursor = d.scan(cursor, n -> seen.add(str(n.key)));
        } while (cursor != 0);
        assertThat(seen).hasSize(5000);
    }

    @Test
    void scanReturnsStableElementsWhileTableGrows() {
        Dict<Integer> d = new Dict<>();
        List<byte[]> stable = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            stable.add(key("stable:" + i));
            d.putNode(stable.get(i), i);
        }
        Set<String> seen = new HashSet<>();
        int added = 0;
        int calls = 0;
        int peakSize = 0;
        long cursor = 0;
        do {
            cursor = d.scan(cursor, n -> seen.add(str(n.key)));
            calls++;
            // Insert enough between calls to force several doublings and leave rehashes half done (capped, or the
            // table would outgrow the scan forever).
            for (int j = 0; j < 200 && added < 20_000; j++) {
                d.putNode(key("grow:" + added++), 0);
            }
            d.removeNode(key("grow:" + calls));
            peakSize = Math.max(peakSize, d.size());
        } while (cursor != 0);
        assertThat(peakSize).isGreaterThan(15_000); // the table did grow a lot during the scan
        for (byte[] k : stable) {
            assertThat(seen).contains(str(k));
        }
    }

    @Test
    void scanReturnsStableElementsWhenTableShrinksMidScan() {
        Dict<Integer> d = filled(20_000);
        finishRehash(d);
        List<byte[]> stable = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            stable.add(key("stable:" + i));
            d.putNode(stable.get(i), i);
        }
        Set<String> seen = new HashSet<>();
        long cursor = 0;
        int removed = 0;
        int shrinks = 0;
        do {
            cursor = d.scan(cursor, n -> seen.add(str(n.key)));
            // Remove volatile keys in chunks; once sparse, shrink (and let the shrink proceed only partially).
            for (int j = 0; j < 2000 && removed < 20_000; j++) {
                d.removeNode(key(removed++));
            }
            if (!d.isRehashing()) {
                int before = d.tableSize(0);
                d.tryShrink();
                if (d.isRehashing() && d.tableSize(1) < before) {
                    shrinks++;
                }
            }
            d.rehashStep(3);
        } while (cursor != 0);
        assertThat(shrinks).isGreaterThan(0);
        for (byte[] k : stable) {
            assertThat(seen).contains(str(k));
        }
    }

    /** Stable keys present for a whole iteration, and churn keys added and removed around them. */
    private static final class Churn {
        final SplittableRandom rnd;
        final Dict<Integer> d = new Dict<>();
        final int stableCount;
        final List<byte[]> churn = new ArrayList<>();
        int next;

        Churn(long seed) {
            rnd = new SplittableRandom(seed);
            stableCount = rnd.nextInt(1, 300);
            for (int i = 0; i < stableCount; i++) {
                d.putNode(key("stable:" + i), i);
            }
            int churnCount = rnd.nextInt(0, 5000);
            for (int i = 0; i < churnCount; i++) {
                churn.add(key("churn:" + i));
                d.putNode(churn.get(i), i);
            }
            next = churn.size();
        }

        /** One random change between two iteration steps. */
        void step() {
            switch (rnd.nextInt(4)) {
                case 0 -> { // grow, capped so that the iteration terminates
                    for (int j = rnd.nextInt(2000); j > 0 && churn.size() < 20_000; j--) {
                        byte[] k = key("churn:" + next++);
                        churn.add(k);
                        d.putNode(k, 0);
                    }
                }
                case 1 -> { // delete most churn keys and shrink
                    for (int j = churn.size() - 1; j >= 0 && rnd.nextInt(20) != 0; j--) {
                        d.removeNode(churn.remove(j));
                    }
                    d.tryShrink();
                }
                case 2 -> d.rehashStep(rnd.nextInt(1, 50));
                default -> {
                }
            }
        }

        void assertStableSeen(Set<String> seen, long seed) {
            for (int i = 0; i < stableCount; i++) {
                assertThat(seen).as("seed %d", seed).contains("stable:" + i);
            }
        }
    }

    @Test
    void scanContractHoldsUnderRandomChurn() {
        for (long seed = 0; seed < 30; seed++) {
            Churn c = new Churn(seed);
            Set<String> seen = new HashSet<>();
            long cursor = 0;
            do {
                cursor = c.d.scan(cursor, n -> seen.add(str(n.key)));
                c.step();
            } while (cursor != 0);
            c.assertStableSeen(seen, seed);
        }
    }

    @Test
    void heldWalkReturnsStableElementsUnderRandomChurn() {
        for (long seed = 0; seed < 30; seed++) {
            Churn c = new Churn(seed);
            Set<String> seen = new HashSet<>();
            c.d.hold(); // a hold may begin in the middle of a rehash
            long position = 0;
            do {
                position = c.d.walk(position, c.rnd.nextInt(1, 64), n -> seen.add(str(n.key)));
                c.step();
            } while (position >= 0);
            c.d.release();
            c.assertStableSeen(seen, seed);
        }
    }

    @Test
    void aHeldDictMovesNothingAndGrowsOnlyAtFivePerBucket() {
        Dict<Integer> d = filled(1000);
        finishRehash(d);
        int size = d.tableSize(0);
        d.hold();
        for (int i = 1000; i < 5 * size - 1; i++) {
            d.putNode(key(i), i);
        }
        assertThat(d.isRehashing()).isFalse();
        assertThat(d.tableSize(0)).isEqualTo(size);
        d.putNode(key(-1), -1);
        d.putNode(key(-2), -2);
        assertThat(d.isRehashing()).as("grown at five per bucket").isTrue();
        long migrated = d.rehashedBuckets;
        assertThat(d.rehashStep(100)).isTrue();
        assertThat(d.rehashedBuckets).as("nothing migrates while held").isEqualTo(migrated);
        d.release();
        finishRehash(d);
        assertThat(d.size()).isEqualTo(5 * size + 1);
        for (int i = 0; i < 5 * size - 1; i++) {
            assertThat(d.get(key(i))).isEqualTo(i);
        }
    }

    @Test
    void structuralChangeInsideScanThrows() {
        Dict<Integer> d = filled(10);
        assertThatThrownBy(() -> {
            long cursor = 0;
            do { // the first buckets may be empty: keep scanning until the visitor runs
                cursor = d.scan(cursor, n -> d.removeNode(n.key));
            } while (cursor != 0);
        }).isInstanceOf(ConcurrentModificationException.class);
        assertThat(d.size()).isEqualTo(10);
    }

    @Test
    void noPutMigratesMoreThanOneBucketAmong2MillionInserts() {
        Dict<Boolean> d = new Dict<>();
        int n = 2_000_000;
        long maxMoved = 0;
        long maxSkipped = 0;
        for (int i = 0; i < n; i++) {
            byte[] k = ("k" + i).getBytes(StandardCharsets.US_ASCII);
            long moved = d.rehashedBuckets;
            long skipped = d.skippedBuckets;
            d.putNode(k, Boolean.TRUE);
            maxMoved = Math.max(maxMoved, d.rehashedBuckets - moved);
            maxSkipped = Math.max(maxSkipped, d.skippedBuckets - skipped);
        }
        assertThat(d.size()).isEqualTo(n);
        assertThat(d.rehashedBuckets).as("rehashing did happen").isGreaterThan(1_000_000);
        assertThat(maxMoved).isEqualTo(1);
        assertThat(maxSkipped).isLessThanOrEqualTo(10);
        assertThat(d.get(key("k" + (n - 1)))).isTrue();
    }

    @Test
    void noPutAllocatesMoreThanAFewSegmentsAmong2MillionInserts() {
        Dict<Boolean> d = new Dict<>();
        int n = 2_000_000;
        long maxAllocated = 0;
        for (int i = 0; i < n; i++) {
            byte[] k = ("k" + i).getBytes(StandardCharsets.US_ASCII);
            long allocated = d.allocatedSlots;
            d.putNode(k, Boolean.TRUE);
            maxAllocated = Math.max(maxAllocated, d.allocatedSlots - allocated);
        }
        finishRehash(d);
        assertThat(d.tableSize(0)).isEqualTo(1 << 21);
        // A migrated bucket splits into at most 2 target buckets, plus the inserted node's bucket, plus the
        // directory of the new table: far less than the 2M-bucket table a flat array would allocate at once.
        assertThat(maxAllocated).isLessThanOrEqualTo(3L * Dict.SEGMENT_SIZE + (1 << 21) / Dict.SEGMENT_SIZE);
    }
}
