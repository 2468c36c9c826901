#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Numbers for make bench: mean, median and minimum of a set of timings.
#
# Usage: stats.py hf FILE NAME   a command's timings from hyperfine's JSON
#                                or CSV export: "MEAN MEDIAN MIN N" (s)
#        stats.py nums           numbers one per line on stdin: the same
# Prints nothing (exit 1) when there is no such command or no number.
import csv
import json
import statistics
import sys


def hyperfine(path, name):
    if path.endswith(".json"):
        for r in json.load(open(path))["results"]:
            if r["command"] == name:
                t = r.get("times") or [r["mean"]]
                return r["mean"], r["median"], r["min"], len(t)
        return None
    for r in csv.DictReader(open(path)):
        if r["command"] == name:
            # the CSV has no run count
            return (float(r["mean"]), float(r["median"]),
                    float(r["min"]), 0)
    return None


def numbers(lines):
    v = [float(x) for x in lines if x.strip()]
    if not v:
        return None
    return statistics.mean(v), statistics.median(v), min(v), len(v)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "hf":
        s = hyperfine(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 2 and sys.argv[1] == "nums":
        s = numbers(sys.stdin.read().split("\n"))
    else:
        sys.exit("usage: stats.py hf FILE NAME | stats.py nums")
    if s is None:
        sys.exit(1)
    print("%.9g %.9g %.9g %d" % s)


main()
