#!/usr/bin/python3
"""Minimal Tor control-port client for the lab scripts (control-spec.txt sections 3.5, 3.9, 4.1).

Usage:
  torctl.py ENDPOINT [--cookie FILE] cmd "GETINFO circuit-status" ...   # one reply block per command
  torctl.py ENDPOINT [--cookie FILE] events STREAM,CIRC SECONDS [REGEX]   # print events, stop at REGEX
  torctl.py ENDPOINT [--cookie FILE] exits                              # relays with the Exit flag
ENDPOINT is a Unix socket path (ControlSocket) or HOST:PORT. Authentication: with --cookie, AUTHENTICATE with the hex
of that cookie file (CookieAuthentication 1); without, AUTHENTICATE with no secret.
Exit status 0 when every command got a 250 reply, 1 otherwise, 2 on connection errors.
Bounded: every read has a timeout (10 s for commands).
"""
import os
import re
import socket
import sys
import time


def connect(endpoint, timeout):
    if "/" in endpoint:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(endpoint)
    else:
        host, port = endpoint.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=timeout)
    return s


class Control:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("control connection closed")
            self.buf += chunk
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln.decode("utf-8", "replace")

    def reply(self):
        """Reads one reply (control-spec 2.3): lines until 'NNN ' ; data blocks 'NNN+' end with '.'."""
        lines = []
        while True:
            ln = self.line()
            lines.append(ln)
            if len(ln) >= 4 and ln[3] == "+":
                while True:
                    d = self.line()
                    lines.append(d)
                    if d == ".":
                        break
            elif len(ln) >= 4 and ln[3] == " ":
                return lines

    def command(self, cmd):
        self.sock.sendall(cmd.encode() + b"\r\n")
        while True:
            rep = self.reply()
            if not rep[0].startswith("650"):
                return rep


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    endpoint = argv[1]
    args = argv[2:]
    cookie = None
    if args[0] == "--cookie":
        cookie = args[1]
        args = args[2:]
    try:
        sock = connect(endpoint, 10)
    except OSError as e:
        print("torctl: cannot connect to %s: %s" % (endpoint, e), file=sys.stderr)
        return 2
    c = Control(sock)
    auth = "AUTHENTICATE"
    if cookie:
        with open(cookie, "rb") as f:
            auth += " " + f.read().hex()
    rep = c.command(auth)
    if not rep[0].startswith("250"):
        print("torctl: authentication failed: %s" % rep, file=sys.stderr)
        return 1
    mode = args[0]
    ok = True
    if mode == "cmd":
        for cmd in args[1:]:
            rep = c.command(cmd)
            ok = ok and rep[-1].startswith("250")
            print("\n".join(rep))
    elif mode == "exits":
        rep = c.command("GETINFO ns/all")
        n = sum(1 for ln in rep if ln.startswith("s ") and " Exit" in ln and " Running" in ln)
        print(n)
        ok = n > 0
    elif mode == "events":
        seconds = float(args[2])
        until = re.compile(args[3]) if len(args) > 3 else None
        rep = c.command("SETEVENTS " + args[1].replace(",", " "))
        ok = rep[0].startswith("250")
        deadline = time.time() + seconds
        while ok and time.time() < deadline:
            sock.settimeout(max(0.05, deadline - time.time()))
            try:
                ln = c.line()
            except (socket.timeout, TimeoutError):
                break
            print(ln, flush=True)
            if until and until.search(ln):
                break
    else:
        print("torctl: unknown mode %s" % mode, file=sys.stderr)
        return 2
    sock.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
