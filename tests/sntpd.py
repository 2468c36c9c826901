#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A small SNTP server for keel's tests: answers every request with a
clock that is OFFSET seconds ahead of this machine's (or at AT, counting
from its start), echoing the request's transmit stamp as RFC 4330 says.

Usage: sntpd.py ADDRESS PORT [--offset S | --at UNIX] [--kiss CODE]
Prints "sntpd: ready" once bound, and one line per answer.
"""
import socket
import struct
import sys
import time

NTP_UNIX = 2208988800


def stamp(t):
    sec = int(t)
    frac = int((t - sec) * (1 << 32)) & 0xffffffff
    return struct.pack("!II", (sec + NTP_UNIX) & 0xffffffff, frac)


def main():
    addr, port = sys.argv[1], int(sys.argv[2])
    args = sys.argv[3:]
    start = time.time()
    offset, kiss = 0.0, None
    if "--offset" in args:
        offset = float(args[args.index("--offset") + 1])
    if "--at" in args:
        offset = float(args[args.index("--at") + 1]) - start
    if "--kiss" in args:
        kiss = args[args.index("--kiss") + 1].encode()[:4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("sntpd: ready", flush=True)
    while True:
        req, peer = s.recvfrom(1024)
        if len(req) < 48 or req[0] & 7 != 3:
            continue
        rec = time.time() + offset
        if kiss:
            head = struct.pack("!BBbb", 0x24, 0, 6, -20) + b"\0" * 8 + kiss
        else:
            head = struct.pack("!BBbbII", 0x24, 2, 6, -20, 0x10, 0x10)
            head += b"GPS\0"
        reply = head + stamp(rec - 1) + req[40:48] + stamp(rec)
        reply += stamp(time.time() + offset)
        s.sendto(reply, peer)
        print("sntpd: answered %s:%d" % peer, flush=True)


if __name__ == "__main__":
    main()
