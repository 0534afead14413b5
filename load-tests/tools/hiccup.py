#!/usr/bin/env python3
"""The machine's own floor under any server's pauses: sleeps 1 ms at a time for SECONDS on the
CPU it runs on (pin it with taskset) and reports how late the wake-ups were.

With nothing else running, a late wake-up is time the kernel kept this thread off its CPU (a
kernel thread that does not yield, the hypervisor): no server's event loop on that CPU can be
answered faster. Prints the wake-up count, the longest lateness, and how many were 1, 2, ... ms
or more late.
Usage: hiccup.py SECONDS
"""
import sys
import time

seconds = float(sys.argv[1])
counts, longest, wakeups = {}, 0.0, 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    before = time.monotonic_ns()
    time.sleep(0.001)
    late_ms = (time.monotonic_ns() - before - 1_000_000) / 1e6
    wakeups += 1
    longest = max(longest, late_ms)
    if late_ms >= 1:
        counts[int(late_ms)] = counts.get(int(late_ms), 0) + 1
print(f"wakeups={wakeups} max_late_ms={longest:.2f} "
      + " ".join(f">={ms}ms:{n}" for ms, n in sorted(counts.items())))
