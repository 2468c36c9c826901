#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# A TCP proxy for tests that cuts connections: the first CUTS connections
# are closed (RST) after AFTER bytes from the server; later ones pass.
# Listens on 127.0.0.1 only. Usage: cutproxy.py LISTEN_PORT TO_PORT AFTER CUTS
import socket
import struct
import sys
import threading

listen_port, to_port, after, cuts = (int(a) for a in sys.argv[1:5])
lock = threading.Lock()
seen = 0


def pipe(src, dst, limit):
    sent = 0
    try:
        while True:
            want = 65536 if limit is None else min(65536, limit - sent)
            if want <= 0:
                break
            data = src.recv(want)
            if not data:
                break
            dst.sendall(data)
            sent += len(data)
    except OSError:
        pass
    # both directions end at once (shutdown wakes the other thread's recv,
    # where a close alone would wait for it), then an abortive close
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    for s in (src, dst):
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            s.close()
        except OSError:
            pass


def serve(client):
    global seen
    with lock:
        seen += 1
        limit = after if seen <= cuts else None
    server = socket.create_connection(("127.0.0.1", to_port))
    threading.Thread(target=pipe, args=(client, server, None),
                     daemon=True).start()
    pipe(server, client, limit)


ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", listen_port))
ls.listen(16)
print("ready", flush=True)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
