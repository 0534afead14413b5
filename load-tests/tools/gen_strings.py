#!/usr/bin/env python3
"""N SETs of 16-byte values as a RESP stream for redis-cli --pipe, keys key:%012d (the names
redis-benchmark -r gives), so that a benchmark afterwards overwrites the same keys.
Usage: gen_strings.py N > load.resp
"""
import sys

n = int(sys.argv[1])
out = sys.stdout.buffer
v = b"x" * 16
for i in range(n):
    k = b"key:%012d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n%s\r\n" % (len(k), k, v))
