#!/usr/bin/env python3
"""The writers and the checker of load-tests/aof-crash.sh (standard library only, RESP over
sockets).

  aof_crash.py write PORT CYCLE WRITERS DELAY_MS KILL_PID STATE_FILE [SYNCED_OFFSET_FILE]
      WRITERS connections, each sending one command at a time (the next only after the reply):
      for seq = 1, 2, ...: SET c<CYCLE>:w<id>:<seq> <seq>, INCR c<CYCLE>:n<id>,
      RPUSH c<CYCLE>:l<id> <seq>. DELAY_MS after the writers started it sends SIGKILL to
      KILL_PID, then waits for every connection to fail and writes STATE_FILE (JSON): per writer
      the commands sent and the commands acknowledged (a reply was read), and the write rate.
      and when each reply came. The synced offset file is read just before the kill (used only if the kill tore it).
  aof_crash.py verify PORT CYCLE STATE_FILE
      Reads back every key of the cycle and checks, per writer, that what is there is exactly
      the effect of a prefix of its command stream, no shorter than what was acknowledged and no
      longer than what was sent. Prints one JSON line: ok, acked, recovered, lost, errors.
"""
import json
import os
import signal
import socket
import sys
import threading
import time


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.s.makefile("rb")

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def send(self, data):
        self.s.sendall(data)

    def reply(self):
        line = self.f.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("connection closed")
        t, body = line[:1], line[1:-2]
        if t in (b"+", b":"):
            return body.decode()
        if t == b"-":
            return RuntimeError(body.decode())
        if t == b"$":
            n = int(body)
            if n < 0:
                return None
            data = self.f.read(n + 2)
            if len(data) != n + 2:
                raise ConnectionError("connection closed")
            return data[:-2].decode()
        if t == b"*":
            n = int(body)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ConnectionError("unexpected reply %r" % line)

    def call(self, *args):
        self.send(self.encode(*args))
        return self.reply()


def commands(cycle, wid, seq):
    """The writer's command stream: three commands per seq."""
    return [
        ("SET", "c%d:w%d:%d" % (cycle, wid, seq), seq),
        ("INCR", "c%d:n%d" % (cycle, wid)),
        ("RPUSH", "c%d:l%d" % (cycle, wid), seq),
    ]


def write(port, cycle, writers, delay_ms, kill_pid, state_file, synced_file=None):
    # ack_times[i]: when command i's reply came, seconds from the writers' start
    state = [{"sent": 0, "acked": 0, "error": None, "ack_times": []} for _ in range(writers)]
    conns = [Conn(port) for _ in range(writers)]
    go = threading.Event()

    def run(wid):
        st, c = state[wid], conns[wid]
        go.wait()
        try:
            seq = 0
            while True:
                seq += 1
                for cmd in commands(cycle, wid, seq):
                    st["sent"] += 1
                    c.send(Conn.encode(*cmd))
                    r = c.reply()
                    # the reply each command must have, or the stream is not what we think
                    want = "OK" if cmd[0] == "SET" else str(seq)
                    if r != want:
                        st["error"] = "%s got %r, want %r" % (cmd[0], r, want)
                        return
                    st["ack_times"].append(round(time.monotonic() - t0, 4))
                    st["acked"] += 1
        except (OSError, ConnectionError) as e:
            if st["error"] is None and not killed.is_set():
                st["error"] = "connection failed before the kill: %s" % e

    killed = threading.Event()
    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(writers)]
    for t in threads:
        t.start()
    global t0
    t0 = time.monotonic()
    go.set()
    time.sleep(delay_ms / 1000.0)  # the random moment of the crash: the point of the test
    acked_at_kill = sum(s["acked"] for s in state)
    synced_before = None
    if synced_file:
        try:
            with open(synced_file) as f:
                synced_before = f.read().strip() or None
        except OSError:
            pass
    killed.set()
    os.kill(kill_pid, signal.SIGKILL)
    t1 = time.monotonic()
    for t in threads:
        t.join(30)
    for c in conns:
        c.s.close()
    with open(state_file, "w") as f:
        json.dump({"cycle": cycle, "writers": state, "seconds": t1 - t0,
                   "acked_at_kill": acked_at_kill,
                   "synced_before_kill": int(synced_before) if synced_before else None}, f)


def verify(port, cycle, state_file):
    with open(state_file) as f:
        st = json.load(f)
    c = Conn(port)
    acked = recovered = lost = nkeys = 0
    window = 0.0  # the oldest lost acknowledged command: how long before the kill it was acked
    errors = []  # not the effect of a prefix of what was sent: wrong under any policy
    losses = []  # acknowledged commands missing: wrong under always, measured under everysec
    for wid, w in enumerate(st["writers"]):
        sent_seq = (w["sent"] + 2) // 3  # the SETs sent
        keys = ["c%d:w%d:%d" % (cycle, wid, s) for s in range(1, sent_seq + 2)]
        c.send(b"".join(Conn.encode("GET", k) for k in keys)
               + Conn.encode("GET", "c%d:n%d" % (cycle, wid))
               + Conn.encode("LRANGE", "c%d:l%d" % (cycle, wid), 0, -1))
        vals = [c.reply() for _ in keys]
        counter = c.reply()
        lst = c.reply()
        # SETs present: a prefix 1..s with the right values, nothing after it
        s = 0
        while s < len(vals) and vals[s] is not None:
            s += 1
        if vals[:s] != [str(i) for i in range(1, s + 1)] or any(v is not None for v in vals[s:]):
            errors.append("w%d: SET keys are not a prefix 1..%d with their values: %s" % (
                wid, s, [i + 1 for i, v in enumerate(vals) if v != (str(i + 1) if i < s else None)][:10]))
        n = int(counter) if counter is not None else 0
        if lst != [str(i) for i in range(1, len(lst) + 1)]:
            errors.append("w%d: list is not 1..%d in order: %s" % (wid, len(lst), lst[:10]))
        m = len(lst)
        # a prefix of SET_1 INCR_1 RPUSH_1 SET_2 ... leaves s >= n >= m >= s - 1
        if not (s >= n >= m >= s - 1):
            errors.append("w%d: SETs %d, counter %d, list %d: not the effect of a prefix" % (wid, s, n, m))
        prefix = s + n + m
        nkeys += s + (n > 0) + (m > 0)
        if prefix > w["sent"]:
            errors.append("w%d: %d commands' effects, only %d sent" % (wid, prefix, w["sent"]))
        if prefix < w["acked"]:
            window = max(window, st["seconds"] - w["ack_times"][prefix])
            losses.append("w%d: LOST acknowledged writes: acked %d commands (last SET seq %d), "
                          "recovered %d (last SET seq %d)" % (wid, w["acked"], (w["acked"] + 2) // 3,
                                                             prefix, s))
        acked += w["acked"]
        recovered += min(prefix, w["acked"])
        lost += max(0, w["acked"] - prefix)
    rate = acked / st["seconds"] if st["seconds"] > 0 else 0
    print(json.dumps({"ok": not errors and not losses, "consistent": not errors, "acked": acked, "recovered": recovered, "lost": lost,
                      "keys": nkeys, "rate": round(rate, 1),
                      "lost_seconds": round(lost / rate, 3) if rate else 0.0,
                      "lost_window": round(window, 3),
                      "writer_errors": [w["error"] for w in st["writers"] if w["error"]],
                      "errors": errors, "losses": losses[:3]}))


if __name__ == "__main__":
    if len(sys.argv) >= 8 and sys.argv[1] == "write":
        a = sys.argv[2:]
        write(int(a[0]), int(a[1]), int(a[2]), float(a[3]), int(a[4]), a[5],
              a[6] if len(a) > 6 else None)
    elif len(sys.argv) == 5 and sys.argv[1] == "verify":
        verify(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(__doc__)
