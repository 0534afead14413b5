#!/usr/bin/env python3
"""Writes the RESP command stream of one memory dataset to stdout, for `redis-cli --pipe`.

  gen_types.py hashes   1M hashes of 10 small fields      (HSET h:N f0 v0 ... f9 v9)
  gen_types.py sets     1M sets of 10 small integers      (SADD s:N i0 ... i9)
  gen_types.py zsets    1M sorted sets of 10 members      (ZADD z:N 0 m0 ... 9 m9)
  gen_types.py lists    100K lists of 100 elements        (RPUSH l:N e0 ... e99)
  gen_types.py strings  10M strings in redis-benchmark's key format (SET key:%012d xxx), so
                        that `redis-benchmark -r 10000000 -t set` afterwards only overwrites

An optional second argument scales the key count (for quick checks). Deterministic: the same
stream goes to Kiln and to redis-server.
"""
import sys


def command(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


def main():
    kind = sys.argv[1]
    scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    out = sys.stdout.buffer
    buf = []
    if kind == "hashes":
        n = int(1_000_000 * scale)
        gen = (command(b"HSET", b"h:%d" % i,
                       *[x for f in range(10) for x in (b"field%d" % f, b"v%d" % (i + f))])
               for i in range(n))
    elif kind == "sets":
        n = int(1_000_000 * scale)
        gen = (command(b"SADD", b"s:%d" % i, *[b"%d" % ((i * 7 + f * 131) % 10000) for f in range(10)])
               for i in range(n))
    elif kind == "zsets":
        n = int(1_000_000 * scale)
        gen = (command(b"ZADD", b"z:%d" % i,
                       *[x for f in range(10) for x in (b"%d" % f, b"member%d" % f)])
               for i in range(n))
    elif kind == "lists":
        n = int(100_000 * scale)
        gen = (command(b"RPUSH", b"l:%d" % i, *[b"element%d" % e for e in range(100)])
               for i in range(n))
    elif kind == "strings":
        n = int(10_000_000 * scale)
        gen = (b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$3\r\nxxx\r\n" % i for i in range(n))
    else:
        sys.exit("unknown dataset " + kind)
    for c in gen:
        buf.append(c)
        if len(buf) == 10000:
            out.write(b"".join(buf))
            buf.clear()
    out.write(b"".join(buf))


main()
