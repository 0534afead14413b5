#!/usr/bin/env python3
"""Resets the latency monitor, starts a BGSAVE and polls INFO over one connection until it ends, the way a backup script
polls rdb_bgsave_in_progress, without spawning a redis-cli per poll (each costs milliseconds of
CPU, which on a small machine lands in the latency the probe measures).

Prints the save's duration in seconds, the peak used_memory_rss seen while it ran, and the
commands the server processed meanwhile (INFO total_commands_processed: the benchmark's writes,
so that save times are compared at the write rate they were taken under), then the unix times
at which BGSAVE was sent and at which the poll saw it over.
Usage: save_poll.py PORT [INTERVAL_SECONDS]
"""
import socket
import sys
import time

port = int(sys.argv[1])
interval = float(sys.argv[2]) if len(sys.argv) > 2 else 0.2
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


commands0 = int(fields("stats")["total_commands_processed"])
command("LATENCY", "RESET")  # the latency monitor's samples then belong to the save
t0 = time.perf_counter()
start = time.time()
command("BGSAVE")
peak = 0
while True:
    peak = max(peak, int(fields("memory")["used_memory_rss"]))
    if fields("persistence")["rdb_bgsave_in_progress"] == "0":
        break
    time.sleep(interval)
secs = time.perf_counter() - t0
end = time.time()
print(f"{secs:.3f} {peak} {int(fields('stats')['total_commands_processed']) - commands0}"
      f" {start:.6f} {end:.6f}")
