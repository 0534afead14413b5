#!/usr/bin/env python3
"""PING latency probe: one connection, one PING every 10 ms, until SIGTERM or the duration.

Prints the sample count, the median and 99th percentile, how many took over 20 ms, the longest,
and the 10 worst with their wall-clock time (ms). Used by the side-by-side shell scripts to see pauses (GC, table growth,
snapshot start) that averages hide. Usage: ping_probe.py PORT MAX_SECONDS
"""
import signal
import socket
import sys
import time

port, duration = int(sys.argv[1]), float(sys.argv[2])
sock = socket.create_connection(("127.0.0.1", port))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
samples, longest, over_20, all_ms, stamped = 0, 0.0, 0, [], []


def report(*_):
    xs = sorted(all_ms) or [0.0]
    p50, p99 = xs[len(xs) // 2], xs[min(len(xs) - 1, int(len(xs) * 0.99))]
    print(f"samples={samples} p50_ms={p50:.2f} p99_ms={p99:.2f} over_20ms={over_20} "
          f"max_ms={longest:.1f}")
    print("worst:", " ".join(f"{ms}@{t}" for t, ms in sorted(stamped, key=lambda w: -w[1])[:10]))
    sys.stdout.flush()
    sys.exit(0)


signal.signal(signal.SIGTERM, report)
end = time.time() + duration
while time.time() < end:
    t = time.perf_counter()
    sock.sendall(b"PING\r\n")
    buf = b""
    while not buf.endswith(b"\r\n"):
        buf += sock.recv(64)
    ms = (time.perf_counter() - t) * 1000
    samples += 1
    all_ms.append(ms)
    longest = max(longest, ms)
    over_20 += ms > 20
    now = time.time()
    stamped.append((time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}",
                    round(ms, 1)))
    time.sleep(0.01)
report()
