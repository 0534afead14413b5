#!/usr/bin/env python3
"""Holds N idle blocked clients (BLPOP on a key of their own, no timeout) and one subscriber.

Prints "ready" once INFO reports the N blocked clients, then keeps the connections open until
SIGTERM, reading and discarding whatever the server sends (the subscriber's messages). Used by
blocked-clients.sh. Usage: hold_clients.py PORT N
"""
import selectors
import signal
import socket
import sys
import time

port, n = int(sys.argv[1]), int(sys.argv[2])
sel = selectors.DefaultSelector()
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    key = b"idle:%d" % i
    s.sendall(b"*3\r\n$5\r\nBLPOP\r\n$%d\r\n%s\r\n$1\r\n0\r\n" % (len(key), key))
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    socks.append(s)
sub = socket.create_connection(("127.0.0.1", port))
sub.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nnews\r\n")
sub.setblocking(False)
sel.register(sub, selectors.EVENT_READ)

admin = socket.create_connection(("127.0.0.1", port))
deadline = time.time() + 120
while True:
    admin.sendall(b"*2\r\n$4\r\nINFO\r\n$7\r\nclients\r\n")
    time.sleep(0.05)
    info = admin.recv(65536).decode()
    blocked = [l for l in info.split("\r\n") if l.startswith("blocked_clients:")]
    if blocked and int(blocked[0].split(":")[1]) >= n:
        break
    if time.time() > deadline:
        sys.exit(f"only {blocked} blocked after 120 s")
admin.close()
print("ready", flush=True)

running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
while running:
    for key, _ in sel.select(timeout=0.5):
        try:
            if not key.fileobj.recv(65536):
                sel.unregister(key.fileobj)
        except BlockingIOError:
            pass
