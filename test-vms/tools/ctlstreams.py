#!/usr/bin/python3
"""Checks `torgate ctl streams --json` against tor's own control port (lab suite 36).

Usage:
  ctlstreams.py check STREAMS.json STREAM_STATUS CIRCUIT_STATUS [--by source_addr|isolation_key] CLIENT...
      For every CLIENT address: it has a relaying stream whose circuit torgate reports; tor's
      `GETINFO stream-status` (file STREAM_STATUS, torctl.py output) shows that tor stream on the same circuit;
      tor's `GETINFO circuit-status` (CIRCUIT_STATUS) has that circuit BUILT with torgate's exit as its last hop.
      --by: every checked stream was paired by that method. Prints one line per stream; exit 0 when all match.
  ctlstreams.py field STREAMS.json CLIENT FIELD
      Prints FIELD of CLIENT's first relaying stream (e.g. id, circuit), or nothing.
"""
import json
import sys


def relaying(streams, client):
    return [s for s in streams if s["client"] == client and s["state"] == "relaying"]


def status_lines(path):
    """Data lines of a GETINFO reply printed by torctl.py (control-spec 2.3): a single value sits on the
    "250-key=value" line itself, several follow a "250+key=" line up to the terminating dot."""
    out = []
    for ln in open(path, encoding="utf-8"):
        ln = ln.rstrip("\n")
        if ln.startswith("250-") or ln.startswith("250+"):
            value = ln.split("=", 1)[1] if "=" in ln else ""
            if value:
                out.append(value)
            continue
        if ln.startswith("250 ") or ln == "." or not ln:
            continue
        out.append(ln)
    return out


def check(args):
    streams = json.load(open(args[0], encoding="utf-8"))
    tor_streams = {}
    for ln in status_lines(args[1]):
        f = ln.split()
        if len(f) >= 4:
            tor_streams[f[0]] = (f[1], f[2], f[3])
    circuits = {}
    for ln in status_lines(args[2]):
        f = ln.split()
        if len(f) >= 3:
            circuits[f[0]] = (f[1], f[2].split(",")[-1])
    rest = args[3:]
    by = None
    if rest and rest[0] == "--by":
        by, rest = rest[1], rest[2:]
    ok = True
    for client in rest:
        mine = relaying(streams, client)
        if not mine:
            print("  %s: no relaying stream in ctl streams" % client)
            ok = False
            continue
        for s in mine:
            circ, tid, exit_ = s.get("circuit"), s.get("tor_stream"), s.get("exit")
            line = "  %s stream %s -> %s: circuit %s (tor stream %s, by %s), exit %s" % (
                client, s["id"], s["hostname"] or s["destination"], circ, tid, s.get("circuit_matched_by"), exit_)
            bad = []
            if circ is None or tid is None:
                bad.append("no circuit from torgate")
            else:
                t = tor_streams.get(str(tid))
                if t is None:
                    bad.append("tor has no stream %s" % tid)
                elif t[1] != circ:
                    bad.append("tor says stream %s is on circuit %s" % (tid, t[1]))
                c = circuits.get(circ)
                if c is None:
                    bad.append("tor has no circuit %s" % circ)
                elif c[0] != "BUILT" or c[1] != exit_:
                    bad.append("tor's circuit %s is %s with last hop %s" % (circ, c[0], c[1]))
            if by and s.get("circuit_matched_by") != by:
                bad.append("paired by %s, expected %s" % (s.get("circuit_matched_by"), by))
            print(line + (": MISMATCH " + "; ".join(bad) if bad else ": matches tor's control port"))
            ok = ok and not bad
    return 0 if ok else 1


def field(args):
    streams = json.load(open(args[0], encoding="utf-8"))
    mine = relaying(streams, args[1])
    if mine and mine[0].get(args[2]) is not None:
        print(mine[0][args[2]])
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("check", "field"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(check(sys.argv[2:]) if sys.argv[1] == "check" else field(sys.argv[2:]))
