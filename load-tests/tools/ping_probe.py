#!/usr/bin/env python3
"""PING latency probe: one connection, one PING every 10 ms, until SIGTERM or the duration.

Prints the sample count, the median and 99th percentile, how many took over 20 ms, the longest,
and the 10 worst with their wall-clock time (ms). Used by the side-by-side shell scripts to see pauses (GC, table growth,
snapshot start) that averages hide. With SAMPLES_FILE, also writes every sample there as
"<unix time of the reply> <ms>" (window_stats.py picks a window out of it).
Usage: ping_probe.py PORT MAX_SECONDS [SAMPLES_FILE]
"""
import signal
import socket
import sys
import time

port, duration = int(sys.argv[1]), float(sys.argv[2])
samples_file = sys.argv[3] if len(sys.argv) > 3 else None
sock = socket.create_connection(("127.0.0.1", port))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
samples, longest, over_20, all_ms, timed = 0, 0.0, 0, [], []


def clock(t):
    return time.strftime("%H:%M:%S", time.localtime(t)) + f".{int(t * 1000) % 1000:03d}"


def report(*_):
    xs = sorted(all_ms) or [0.0]
    p50, p99 = xs[len(xs) // 2], xs[min(len(xs) - 1, int(len(xs) * 0.99))]
    print(f"samples={samples} p50_ms={p50:.2f} p99_ms={p99:.2f} over_20ms={over_20} "
          f"max_ms={longest:.1f}")
    print("worst:", " ".join(f"{round(ms, 1)}@{clock(t)}" for t, ms in sorted(timed, key=lambda w: -w[1])[:10]))
    if samples_file:
        with open(samples_file, "w") as f:
            f.writelines(f"{t:.6f} {ms:.3f}\n" for t, ms in timed)
    sys.stdout.flush()
    sys.exit(0)


signal.signal(signal.SIGTERM, report)
end = time.time() + duration
while time.time() < end:
    t = time.perf_counter()
    sock.sendall(b"PING\r\n")
    buf = b""
    while not buf.endswith(b"\r\n"):
        chunk = sock.recv(64)
        if not chunk:  # the server closed the connection: report what was measured
            report()
        buf += chunk
    ms = (time.perf_counter() - t) * 1000
    samples += 1
    all_ms.append(ms)
    longest = max(longest, ms)
    over_20 += ms > 20
    now = time.time()
    timed.append((now, ms))
    time.sleep(0.01)
report()
