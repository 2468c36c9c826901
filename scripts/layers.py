#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks keel's layering from the built objects (nm), not from includes.

Usage: layers.py BUILD_DIR
Prints one line per violation and exits 1 if there is any:
  - a cycle between lib/ subsystems (lib/base, lib/crypto, ...), or
    between two files of lib/;
  - a cycle between keel-init's units (init/*.o);
  - a lib/ object that prints or exits (lib/ returns errors; only keel's
    command layer prints, only keel-init decides what to do).
"""
import os
import subprocess
import sys

NO_PRINT = {"printf", "fprintf", "vfprintf", "puts", "fputs", "perror",
            "exit", "abort", "putchar", "fputc", "fwrite"}


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True,
                         check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRC":
            defined.add(parts[2])
    return defined, undefined


def graph(objs, unit_of):
    owner, needs = {}, {}
    for o in objs:
        d, u = symbols(o)
        for s in d:
            owner[s] = unit_of(o)
        needs[o] = u
    edges = {}
    for o, u in needs.items():
        for s in u:
            if s in owner and owner[s] != unit_of(o):
                edges.setdefault(unit_of(o), set()).add(owner[s])
    return edges


def cycles(edges):
    found, state, stack = [], {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                found.append(stack[stack.index(m):] + [m])
            elif not state.get(m):
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(edges):
        if not state.get(n):
            visit(n)
    return found


def objects(top):
    for root, _, files in os.walk(top):
        for f in sorted(files):
            if f.endswith(".o"):
                yield os.path.join(root, f)


def main():
    build = sys.argv[1]
    bad = 0
    lib = list(objects(os.path.join(build, "lib")))
    sub = lambda o: os.path.relpath(o, build).split(os.sep)[1]
    for c in cycles(graph(lib, sub)):
        print("lib cycle between subsystems: " + " -> ".join(c))
        bad += 1
    rel = lambda o: os.path.relpath(o, build)[:-2]
    for c in cycles(graph(lib, rel)):
        print("lib cycle between files: " + " -> ".join(c))
        bad += 1
    init = list(objects(os.path.join(build, "init")))
    unit = lambda o: os.path.basename(o)[:-2]
    for c in cycles(graph(init, unit)):
        print("keel-init cycle: " + " -> ".join(c))
        bad += 1
    for o in lib:
        used = symbols(o)[1] & NO_PRINT
        if used:
            print("%s prints or exits: %s" % (os.path.relpath(o, build),
                                              ", ".join(sorted(used))))
            bad += 1
    if not lib or not init:
        print("no objects under %s/lib or %s/init" % (build, build))
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
