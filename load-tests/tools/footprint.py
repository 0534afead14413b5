#!/usr/bin/env python3
"""Resident memory of servers idle, holding N idle connections, and after those close.

For each NAME=PORT argument: reads the server's process id from INFO server (Kiln's launcher
runs the server in a child JVM, so the listening process is the one to measure), then reports
VmRSS from /proc/PID/status (a) idle, (b) with N more connections open, each having sent one
PING and read its reply, and (c) after they close, once RSS has come back to within 10% of (a)
or AFTER_S seconds (default 30) have passed. Settled values: RSS is sampled every 0.5 s until
two samples agree within 1% (at most 20 s). Prints one line per server:
NAME pid idle_kb open_kb closed_kb closed_after_s. Usage: footprint.py N NAME=PORT...
"""
import os
import socket
import sys
import time

n = int(sys.argv[1])
after_s = float(os.environ.get("AFTER_S", "30"))


def command(port, *args):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
        if data.startswith(b"$"):
            head, _, rest = data.partition(b"\r\n")
            if len(rest) >= int(head[1:]) + 2:
                break
        elif data.endswith(b"\r\n"):
            break
    s.close()
    return data.decode()


def pid_of(port):
    for line in command(port, b"INFO", b"server").split("\r\n"):
        if line.startswith("process_id:"):
            return int(line.split(":")[1])
    raise SystemExit("no process_id in INFO server on port %d" % port)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


def settled(pid):
    a = rss_kb(pid)
    deadline = time.time() + 20
    while time.time() < deadline:
        time.sleep(0.5)
        b = rss_kb(pid)
        if abs(b - a) * 100 <= a:
            return b
        a = b
    return a


for arg in sys.argv[2:]:
    name, port = arg.split("=")
    port = int(port)
    pid = pid_of(port)
    idle = settled(pid)
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        socks.append(s)
    for s in socks:
        got = b""
        while not got.endswith(b"\r\n"):
            got += s.recv(64)
        assert got == b"+PONG\r\n", got
    opened = settled(pid)
    for s in socks:
        s.close()
    t0 = time.time()
    closed = rss_kb(pid)
    while closed > idle * 1.1 and time.time() - t0 < after_s:
        time.sleep(0.5)
        closed = rss_kb(pid)
    print(name, pid, idle, opened, closed, "%.1f" % (time.time() - t0), flush=True)
