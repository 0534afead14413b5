#!/usr/bin/env python3
"""The PING samples (ping_probe.py's SAMPLES_FILE) whose reply came within [START, END] (unix
times): count, median, 99th percentile and longest, then the five longest with their time.
Used to report the probe during a save alone, without the second before it.
Usage: window_stats.py SAMPLES_FILE START END
"""
import sys
import time

path, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
picked = []
for line in open(path):
    t, ms = line.split()
    if start <= float(t) <= end:
        picked.append((float(t), float(ms)))
xs = sorted(ms for _, ms in picked) or [0.0]
p50, p99 = xs[len(xs) // 2], xs[min(len(xs) - 1, int(len(xs) * 0.99))]
print(f"samples={len(picked)} p50_ms={p50:.2f} p99_ms={p99:.2f} max_ms={xs[-1]:.1f}")
worst = sorted(picked, key=lambda s: -s[1])[:5]
print(" ".join(f"{ms:.1f}@{time.strftime('%H:%M:%S', time.localtime(t))}.{int(t * 1000) % 1000:03d}"
               for t, ms in worst))
