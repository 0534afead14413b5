#!/usr/bin/env python3
"""Resets the latency monitor, starts a BGSAVE (or a BGREWRITEAOF) and polls INFO over one connection until it ends, the way a backup script
polls rdb_bgsave_in_progress (aof_rewrite_in_progress), without spawning a redis-cli per poll (each costs milliseconds of
CPU, which on a small machine lands in the latency the probe measures).

Prints the save's duration in seconds, the peak used_memory_rss seen while it ran, and the
commands the server processed meanwhile (INFO total_commands_processed: the benchmark's writes,
so that save times are compared at the write rate they were taken under), then the unix times
at which BGSAVE was sent and at which the poll saw it over.
With bgrewriteaof, three more figures follow, each the largest seen while it ran (-1: not
available): Kiln's rewrite buffer in memory (the gauge kiln_aof_rewrite_buffer_bytes, read from
METRICS_PORT's /metrics once a second), the size of the buffer's spill file
(DIR/temp-rewriteaof-buf-*.aof, stat-ed at every poll: no server work) and the child's
copy-on-write (Redis 7.0's INFO current_cow_size).
Usage: save_poll.py PORT [INTERVAL_SECONDS] [bgsave|bgrewriteaof [DIR [METRICS_PORT]]]
"""
import glob
import os
import socket
import sys
import time

port = int(sys.argv[1])
interval = float(sys.argv[2]) if len(sys.argv) > 2 else 0.2
kind = sys.argv[3] if len(sys.argv) > 3 else "bgsave"
if kind not in ("bgsave", "bgrewriteaof"):
    sys.exit("save_poll.py: bgsave or bgrewriteaof, not " + kind)
rewrite = kind == "bgrewriteaof"
spill_dir = sys.argv[4] if len(sys.argv) > 4 else None
metrics_port = int(sys.argv[5]) if len(sys.argv) > 5 else 0
sock = socket.create_connection(("127.0.0.1", port))
reader = sock.makefile("rb")


def command(*args):
    sock.sendall(b"".join([b"*%d\r\n" % len(args)]
                          + [b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args]))
    line = reader.readline()
    if line[:1] == b"$":
        body = reader.read(int(line[1:]) + 2)
        return body[:-2].decode()
    if line[:1] == b"-":
        sys.exit("error: " + line.decode().strip())
    return line.decode().strip()


def fields(section):
    return dict(l.split(":", 1) for l in command("INFO", section).split("\r\n") if ":" in l)


def buffer_gauge():
    """kiln_aof_rewrite_buffer_bytes from GET /metrics, or -1."""
    try:
        with socket.create_connection(("127.0.0.1", metrics_port), timeout=2) as m:
            m.sendall(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            body = b""
            while chunk := m.recv(65536):
                body += chunk
        for line in body.decode(errors="replace").splitlines():
            if line.startswith("kiln_aof_rewrite_buffer_bytes"):
                return int(float(line.split()[-1]))
    except OSError:
        pass
    return -1


def spill_size():
    sizes = [-1]
    for f in glob.glob(os.path.join(spill_dir, "temp-rewriteaof-buf-*.aof")):
        try:
            sizes.append(os.stat(f).st_size)
        except OSError:
            pass  # removed between glob and stat
    return max(sizes)


commands0 = int(fields("stats")["total_commands_processed"])
command("LATENCY", "RESET")  # the latency monitor's samples then belong to the save
t0 = time.perf_counter()
start = time.time()
command(kind.upper())
peak = 0
buf_peak, spill_peak, cow_peak = -1, -1, -1
last_scrape = 0.0
while True:
    peak = max(peak, int(fields("memory")["used_memory_rss"]))
    persistence = fields("persistence")
    if rewrite:
        cow_peak = max(cow_peak, int(persistence.get("current_cow_size", -1)))
        if spill_dir:
            spill_peak = max(spill_peak, spill_size())
        if metrics_port and time.perf_counter() - last_scrape >= 1:
            last_scrape = time.perf_counter()
            buf_peak = max(buf_peak, buffer_gauge())
    # a rewrite asked for during a save is scheduled: it has not ended until it ran
    if rewrite and (persistence["aof_rewrite_in_progress"], persistence["aof_rewrite_scheduled"]) \
            == ("0", "0") or not rewrite and persistence["rdb_bgsave_in_progress"] == "0":
        break
    time.sleep(interval)
secs = time.perf_counter() - t0
end = time.time()
print(f"{secs:.3f} {peak} {int(fields('stats')['total_commands_processed']) - commands0}"
      f" {start:.6f} {end:.6f}" + (f" {buf_peak} {spill_peak} {cow_peak}" if rewrite else ""))
