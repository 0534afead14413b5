#!/usr/bin/env bash
# Big values without stalls (issue 21, item 4): Kiln and redis-server 7.0 side by side, each
# given the same work on a key of its own:
#  1. APPEND of 1 MiB chunks until the string is MB MiB (default 511): time per call;
#  2. SETRANGE at the end (4 KiB each, 200 calls): time per call;
#  3. meanwhile a second connection sends PING every ms: its worst and p99 round trip is the
#     event-loop stall a client next to the big writes sees;
#  4. VmRSS of the process before and after (/proc/PID/status); the live data: Kiln's heap after
#     a full collection (jcmd GC.run, GC.heap_info) and Redis's used_memory; VmRSS after that;
#     the size error past proto-max-bulk-len.
#   load-tests/big-values.sh [MB]      JAVA_OPTS (Kiln's JVM flags; default -Xmx3g)
#   JAR=path/to/kiln.jar to measure another build (e.g. the commit before, for a before/after)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mb="${1:-511}"
jar="${JAR:-$here/../target/kiln.jar}"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests
tmp="$(mktemp -d /tmp/big-values.XXXXXX)"
mkdir -p "$tmp/kiln" "$tmp/redis"
kport=7495
rport=7496
java ${JAVA_OPTS:--Xmx3g} -jar "$jar" --port $kport --bind 127.0.0.1 --save "" \
  --dir "$tmp/kiln" > "$tmp/kiln.log" 2>&1 &
kiln=$!
redis-server --port $rport --bind 127.0.0.1 --save "" --dir "$tmp/redis" > "$tmp/redis.log" 2>&1 &
redis=$!
trap 'kill $kiln $redis 2>/dev/null || true; wait 2>/dev/null; rm -rf "$tmp"' EXIT
for p in $kport $rport; do
  for _ in $(seq 1 200); do redis-cli -p $p ping >/dev/null 2>&1 && break; sleep 0.1; done
done
sleep 3 # Kiln's startup rehearsal of the snapshot code is over by then

python3 - "$mb" Kiln $kport $kiln Redis $rport $redis <<'EOF'
import re, socket, subprocess, sys, threading, time

mb = int(sys.argv[1])
servers = [(sys.argv[i], int(sys.argv[i + 1]), int(sys.argv[i + 2])) for i in (2, 5)]

def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0

def cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += [b"$%d\r\n" % len(a), a, b"\r\n"]
    return b"".join(out)

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.s.makefile("rb")
    def call(self, *args):
        self.s.sendall(cmd(*args))
        line = self.f.readline()
        if line[:1] == b"$":
            n = int(line[1:])
            if n >= 0:
                self.f.read(n + 2)
        return line.rstrip(b"\r\n").decode()

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]

def run(name, port, pid):
    main, probe = Conn(port), Conn(port)
    main.call("DEL", "big")
    rss0 = rss_mb(pid)
    rtts, stop = [], threading.Event()
    def probing():
        while not stop.is_set():
            t = time.perf_counter()
            probe.call("PING")
            rtts.append(time.perf_counter() - t)
            time.sleep(0.001)
    th = threading.Thread(target=probing)
    th.start()
    chunk = b"x" * (1 << 20)
    app = []
    for _ in range(mb):
        t = time.perf_counter()
        r = main.call("APPEND", "big", chunk)
        app.append(time.perf_counter() - t)
    assert r == ":%d" % (mb << 20), r
    small = b"y" * 4096
    sr = []
    for i in range(200):
        t = time.perf_counter()
        r = main.call("SETRANGE", "big", (mb << 20) + i * 4096, small)
        sr.append(time.perf_counter() - t)
    stop.set()
    th.join()
    length = main.call("STRLEN", "big")
    err = main.call("SETRANGE", "big", 512 << 20, "z")
    rss1 = rss_mb(pid)
    if name == "Kiln":  # the live heap: what a full collection keeps (then RSS again)
        subprocess.run(["jcmd", str(pid), "GC.run"], capture_output=True)
        info = subprocess.run(["jcmd", str(pid), "GC.heap_info"], capture_output=True, text=True)
        live = int(re.search(r"used (\d+)K", info.stdout).group(1)) / 1024
    else:
        mem = main.s.sendall(cmd("INFO", "memory")) or main.f.readline()
        body = main.f.read(int(mem[1:]) + 2).decode()
        live = int(re.search(r"used_memory:(\d+)", body).group(1)) / 1024 / 1024
    rss2 = rss_mb(pid)
    ms = lambda x: x * 1000
    return dict(name=name, app_med=ms(pct(app, .5)), app_p99=ms(pct(app, .99)), app_max=ms(max(app)),
                sr_med=ms(pct(sr, .5)), sr_p99=ms(pct(sr, .99)), sr_max=ms(max(sr)),
                ping_p99=ms(pct(rtts, .99)), ping_max=ms(max(rtts)), pings=len(rtts),
                rss0=rss0, rss1=rss1, live=live, rss2=rss2, strlen=length, err=err)

res = [run(*s) for s in servers]
k, r = res
print(f"APPEND of 1 MiB x {mb}, then SETRANGE of 4 KiB at the end x 200 (ms per call, round trip)")
rows = [("APPEND median", "app_med"), ("APPEND p99", "app_p99"), ("APPEND max", "app_max"),
        ("SETRANGE median", "sr_med"), ("SETRANGE p99", "sr_p99"), ("SETRANGE max", "sr_max"),
        ("PING p99 (stall)", "ping_p99"), ("PING max (stall)", "ping_max"),
        ("VmRSS before MB", "rss0"), ("VmRSS after MB", "rss1"),
        ("live heap/used_memory", "live"), ("VmRSS after full GC", "rss2")]
print(f"{'':20s} {'Kiln':>10s} {'Redis':>10s} {'Kiln/Redis':>11s}")
for label, key in rows:
    ratio = k[key] / r[key] if r[key] else float("inf")
    print(f"{label:20s} {k[key]:10.2f} {r[key]:10.2f} {ratio:11.2f}")
print(f"RSS growth MB        {k['rss1'] - k['rss0']:10.0f} {r['rss1'] - r['rss0']:10.0f}")
for x in res:
    print(f"{x['name']}: STRLEN {x['strlen']}, {x['pings']} pings; past the limit: {x['err']}")
EOF
