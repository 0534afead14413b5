package io.kiln.types;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The HLL encoding's own invariants (byte-level parity with Redis is the corpus's job). */
class HyperLogLogTest {
  @Test
  void sparseAndDenseHoldTheSameRegistersUnderRandomUpdates() {
    SplittableRandom rnd = new SplittableRandom(7);
    for (int round = 0; round < 20; round++) {
      HyperLogLog.Sketch sparse = HyperLogLog.Sketch.empty();
      int[] expect = new int[HyperLogLog.REGISTERS];
      int updates = 1 + rnd.nextInt(1500);
      for (int i = 0; i < updates; i++) {
        // clustered registers exercise VAL runs and their merging
        int r = rnd.nextBoolean() ? rnd.nextInt(HyperLogLog.REGISTERS) : rnd.nextInt(40);
        int v = 1 + rnd.nextInt(32);
        int changed = sparse.set(r, v, 1_000_000);
        assertThat(changed).isEqualTo(v > expect[r] ? 1 : 0);
        expect[r] = Math.max(expect[r], v);
      }
      assertThat(sparse.encoding()).isEqualTo(HyperLogLog.SPARSE);
      byte[] bytes = sparse.bytes();
      assertThat(HyperLogLog.isHll(bytes)).isTrue();
      HyperLogLog.Sketch dense = new HyperLogLog.Sketch(bytes);
      assertThat(dense.toDense()).isTrue();
      assertThat(dense.bytes()).hasSize(HyperLogLog.DENSE_SIZE);
      assertThat(HyperLogLog.registers(dense.bytes())).isEqualTo(expect);
      assertThat(HyperLogLog.count(bytes)).isEqualTo(HyperLogLog.count(dense.bytes()));
    }
  }

  @Test
  void aRegisterAbove32TurnsASparseValueDense() {
    HyperLogLog.Sketch s = HyperLogLog.Sketch.empty();
    s.set(5, 3, 3000);
    assertThat(s.encoding()).isEqualTo(HyperLogLog.SPARSE);
    assertThat(s.set(9, 33, 3000)).isEqualTo(1);
    assertThat(s.encoding()).isEqualTo(HyperLogLog.DENSE);
    int[] regs = HyperLogLog.registers(s.bytes());
    assertThat(regs[5]).isEqualTo(3);
    assertThat(regs[9]).isEqualTo(33);
  }

  @Test
  void theLastRegisterIsReadAndWrittenWithinTheValue() {
    HyperLogLog.Sketch s = HyperLogLog.Sketch.empty();
    assertThat(s.toDense()).isTrue();
    s.set(HyperLogLog.REGISTERS - 1, 63, 3000);
    byte[] v = s.bytes();
    assertThat(v[v.length - 1] & 0xff).isEqualTo(63 << 2);
    assertThat(HyperLogLog.registers(v)[HyperLogLog.REGISTERS - 1]).isEqualTo(63);
  }

  @Test
  void selfTestPasses() {
    assertThat(HyperLogLog.selfTest(1, 3000)).isNull();
  }
}
