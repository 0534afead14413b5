package io.kiln.command;

import io.kiln.keyspace.Dict;
import io.kiln.keyspace.Notify;
import io.kiln.resp.Errors;
import io.kiln.resp.Numbers;
import io.kiln.server.Client;
import io.kiln.types.GrowableString;
import java.util.ArrayList;
import java.util.List;

/**
 * BITFIELD and BITFIELD_RO: signed and unsigned integers of 1 to 64 (signed) or 63 (unsigned)
 * bits at arbitrary bit offsets of a string, with the WRAP, SAT and FAIL overflow policies.
 * The overflow checks follow Redis's arithmetic exactly (two's complement wrapping included),
 * so edge cases reply as Redis's do. Stateless; event loop.
 */
final class Bitfield {
  private Bitfield() {}

  private static final int GET = 0;
  private static final int SET = 1;
  private static final int INCRBY = 2;

  private static final int WRAP = 0;
  private static final int SAT = 1;
  private static final int FAIL = 2;

  private record Op(int code, long offset, long value, int bits, boolean signed, int overflow) {}

  static void run(Client c, byte[][] argv, boolean readonlyCommand) {
    List<Op> ops = new ArrayList<>();
    int overflow = WRAP;
    boolean readonly = true;
    long highestWrite = 0;
    for (int j = 2; j < argv.length; j++) {
      int remaining = argv.length - j - 1;
      byte[] sub = argv[j];
      int code;
      if (Args.is(sub, "get") && remaining >= 2) {
        code = GET;
      } else if (Args.is(sub, "set") && remaining >= 3) {
        code = SET;
      } else if (Args.is(sub, "incrby") && remaining >= 3) {
        code = INCRBY;
      } else if (Args.is(sub, "overflow") && remaining >= 1) {
        byte[] type = argv[++j];
        if (Args.is(type, "wrap")) {
          overflow = WRAP;
        } else if (Args.is(type, "sat")) {
          overflow = SAT;
        } else if (Args.is(type, "fail")) {
          overflow = FAIL;
        } else {
          c.error(Errors.BITFIELD_OVERFLOW_TYPE);
          return;
        }
        continue;
      } else {
        c.error(Errors.SYNTAX);
        return;
      }
      byte[] type = argv[j + 1];
      boolean signed;
      if (type.length > 0 && type[0] == 'i') {
        signed = true;
      } else if (type.length > 0 && type[0] == 'u') {
        signed = false;
      } else {
        c.error(Errors.BITFIELD_TYPE);
        return;
      }
      Long bits = Numbers.toLong(java.util.Arrays.copyOfRange(type, 1, type.length));
      if (bits == null || bits < 1 || (signed && bits > 64) || (!signed && bits > 63)) {
        c.error(Errors.BITFIELD_TYPE);
        return;
      }
      long offset = BitmapCommands.bitOffset(c, argv[j + 2], (int) (long) bits);
      if (offset == BitmapCommands.BAD_OFFSET) {
        return;
      }
      long value = 0;
      if (code != GET) {
        readonly = false;
        highestWrite = Math.max(highestWrite, offset + bits - 1);
        Long v = Numbers.toLong(argv[j + 3]);
        if (v == null) {
          c.error(Errors.NOT_INTEGER);
          return;
        }
        value = v;
      }
      ops.add(new Op(code, offset, value, (int) (long) bits, signed, overflow));
      j += code == GET ? 2 : 3;
    }

    Object s; // byte[] or GrowableString
    boolean[] created = {false}; // the key was created or its string grown for this call
    Dict.Node<Object> node = null;
    if (readonly) {
      Object v = c.db().get(argv[1]);
      if (Args.notString(v)) {
        c.error(Errors.WRONGTYPE);
        return;
      }
      s = v;
    } else {
      if (readonlyCommand) {
        c.error(Errors.BITFIELD_RO_GET_ONLY);
        return;
      }
      node = BitmapCommands.stringForBitWrite(c, argv[1], highestWrite, created);
      if (node == null) {
        return;
      }
      // a fresh copy owned by this command, or a grown string whose writes copy what a snapshot
      // still shares: safe to write into
      s = node.value;
    }

    c.out.array(ops.size());
    int changes = 0;
    for (Op op : ops) {
      if (op.code == GET) {
        long v = read(s, op.offset, op.bits);
        c.out.integer(op.signed ? signExtend(v, op.bits) : v);
        continue;
      }
      long old = read(s, op.offset, op.bits);
      Long result = op.signed ? signedOp(op, signExtend(old, op.bits), s)
          : unsignedOp(op, old, s);
      if (result == null) {
        c.out.nullBulk(); // OVERFLOW FAIL: nothing written, not a change (no dirty, no event)
      } else {
        // a change only where the bits moved, or the string was created or grown (as Redis)
        if (created[0] || read(s, op.offset, op.bits) != old) {
          changes++;
        }
        c.out.integer(result);
      }
    }
    if (changes > 0) {
      c.db().touched(argv[1]);
      c.shard.dirty += changes;
      c.db().notify(Notify.STRING, "setbit", argv[1]);
    }
  }

  private static Long signedOp(Op op, long oldval, Object s) {
    long[] wrapped = new long[1];
    int overflow;
    long newval;
    long retval;
    if (op.code == INCRBY) {
      overflow = signedOverflow(oldval, op.value, op.bits, op.overflow, wrapped);
      newval = overflow != 0 ? wrapped[0] : oldval + op.value;
      retval = newval;
    } else {
      newval = op.value;
      overflow = signedOverflow(newval, 0, op.bits, op.overflow, wrapped);
      if (overflow != 0) {
        newval = wrapped[0];
      }
      retval = oldval;
    }
    if (overflow != 0 && op.overflow == FAIL) {
      return null; // FAIL policy: nothing written, null reply
    }
    write(s, op.offset, op.bits, newval);
    return retval;
  }

  private static Long unsignedOp(Op op, long oldval, Object s) {
    long[] wrapped = new long[1];
    int overflow;
    long newval;
    long retval;
    if (op.code == INCRBY) {
      newval = oldval + op.value;
      overflow = unsignedOverflow(oldval, op.value, op.bits, op.overflow, wrapped);
      if (overflow != 0) {
        newval = wrapped[0];
      }
      retval = newval;
    } else {
      newval = op.value;
      overflow = unsignedOverflow(newval, 0, op.bits, op.overflow, wrapped);
      if (overflow != 0) {
        newval = wrapped[0];
      }
      retval = oldval;
    }
    if (overflow != 0 && op.overflow == FAIL) {
      return null; // FAIL policy: nothing written, null reply
    }
    write(s, op.offset, op.bits, newval);
    return retval;
  }

  /**
   * Whether {@code value + incr} overflows a signed field of {@code bits}: 1 upward, -1
   * downward, 0 not; for WRAP and SAT {@code limit[0]} gets the value to store instead.
   */
  static int signedOverflow(long value, long incr, int bits, int policy, long[] limit) {
    long max = bits == 64 ? Long.MAX_VALUE : (1L << (bits - 1)) - 1;
    long min = -max - 1;
    long maxIncr = max - value; // may wrap, only used where it cannot matter (as in Redis)
    long minIncr = min - value;
    if (value > max || (bits != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr)) {
      if (policy == WRAP) {
        limit[0] = wrap(value, incr, bits);
      } else if (policy == SAT) {
        limit[0] = max;
      }
      return 1;
    }
    if (value < min || (bits != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr)) {
      if (policy == WRAP) {
        limit[0] = wrap(value, incr, bits);
      } else if (policy == SAT) {
        limit[0] = min;
      }
      return -1;
    }
    return 0;
  }

  private static long wrap(long value, long incr, int bits) {
    long r = value + incr;
    if (bits < 64) {
      long mask = -1L << bits;
      if ((r & (1L << (bits - 1))) != 0) {
        r |= mask;
      } else {
        r &= ~mask;
      }
    }
    return r;
  }

  /** As {@link #signedOverflow} for an unsigned field; {@code value} is read as unsigned. */
  static int unsignedOverflow(long value, long incr, int bits, int policy, long[] limit) {
    long max = (1L << bits) - 1; // bits <= 63
    long maxIncr = max - value;
    long minIncr = -value;
    if (Long.compareUnsigned(value, max) > 0 || (incr > 0 && incr > maxIncr)) {
      if (policy == WRAP) {
        limit[0] = (value + incr) & max;
      } else if (policy == SAT) {
        limit[0] = max;
      }
      return 1;
    }
    if (incr < 0 && incr < minIncr) {
      if (policy == WRAP) {
        limit[0] = (value + incr) & max;
      } else if (policy == SAT) {
        limit[0] = 0;
      }
      return -1;
    }
    return 0;
  }

  /** The {@code bits}-bit unsigned field at bit {@code offset}; bits past the end read as 0. */
  static long read(Object s, long offset, int bits) {
    long v = 0;
    int len = Strs.length(s);
    for (int i = 0; i < bits; i++) {
      long p = offset + i;
      long byteIdx = p >> 3;
      int bit = byteIdx < len ? (Strs.byteAt(s, (int) byteIdx) >> (7 - (int) (p & 7))) & 1 : 0;
      v = (v << 1) | bit;
    }
    return v;
  }

  static long signExtend(long v, int bits) {
    if (bits < 64 && (v & (1L << (bits - 1))) != 0) {
      v |= -1L << bits;
    }
    return v;
  }

  /** Writes the low {@code bits} bits of {@code v} at bit {@code offset} (the array is big enough). */
  static void write(Object s, long offset, int bits, long v) {
    for (int i = 0; i < bits; i++) {
      long p = offset + i;
      int idx = (int) (p >> 3);
      int mask = 1 << (7 - (int) (p & 7));
      boolean one = ((v >>> (bits - 1 - i)) & 1) != 0;
      if (s instanceof byte[] b) {
        b[idx] = (byte) (one ? b[idx] | mask : b[idx] & ~mask);
      } else {
        GrowableString g = (GrowableString) s;
        int cur = g.byteAt(idx);
        g.setByte(idx, (byte) (one ? cur | mask : cur & ~mask));
      }
    }
  }
}
