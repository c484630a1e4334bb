#!/usr/bin/python3
"""Leak probes that need a real TCP flow through the gateway: mid-stream packets after a gateway restart, and
the close races of the known transparent-proxy leak. Run inside a client namespace.

Usage:
  races.py hold TARGET PORT N READY GO    open N connections to TARGET:PORT (each sends half an HTTP request
                                          and waits), touch READY; once GO exists (60 s at most), every flow
                                          sends mid-stream packets: the rest of its request through the socket
                                          (the kernel's own data segment), then raw segments with the flow's
                                          real sequence numbers (data, ACK, FIN|ACK, RST) and out-of-window data.
  races.py close TARGET PORT N            N flows per close race: each fetches `GET /` (HTTP/1.0, so the server
                                          closes) and, right after the gateway's FIN or RST, sends what a client
                                          racing the teardown sends: data, FIN, RST, a late ACK, out-of-window
                                          data, through the socket and raw with the flow's real numbers.
Sequence numbers come from an AF_PACKET capture of the flow on eth0 in the same process (no guessing).
Everything is bounded (socket timeouts, 60 s at most per run). Prints one line per race:
`RACE flows=N raw=N sock_errors=N` and exits 0 unless the arguments are wrong or no flow got established
(the probes would then test nothing).

These are the packets a Linux transparent proxy built on REDIRECT leaks: conntrack calls them INVALID (the flow
it knew is closed, or it never saw it), so the NAT rule never redirects them and the kernel routes them out in
the clear (tor's TransparentProxy documentation, "TransparentProxyLeaks"). The lab's anti-test opens exactly that
hole (leakcheck.sh hole ctinvalid) and the same capture must flag these packets.
"""
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe import csum  # noqa: E402  (the Internet checksum, RFC 1071: one copy for both tools)

ETH_P_IP = 0x0800
ETH_P_ALL = 0x0003   # outgoing frames reach only ETH_P_ALL taps (dev_queue_xmit_nit)
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def packet(src, dst, sport, dport, flags, seq, ack, payload=b""):
    """An IPv4 TCP segment with correct checksums (RFC 791, RFC 9293 3.1)."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    pseudo = struct.pack("!4s4sBBH", socket.inet_aton(src), socket.inet_aton(dst), 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp + payload)) + tcp[18:] + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.randrange(65536), 0x4000, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + tcp


class Sniffer:
    """Follows the sequence numbers of our flows from an AF_PACKET socket on eth0 (both directions)."""

    def __init__(self, dev="eth0"):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
        self.sock.bind((dev, ETH_P_ALL))
        self.sock.setblocking(False)
        self.snd_nxt = {}   # (laddr, lport, raddr, rport) -> next sequence number we send
        self.rcv_nxt = {}   # same key -> next sequence number we expect from the peer
        self.seen = {}      # same key -> flags seen from the peer (OR)

    def drain(self):
        while True:
            try:
                data, addr = self.sock.recvfrom(65535)
            except BlockingIOError:
                return
            if addr[1] != ETH_P_IP or len(data) < 40 or data[9] != 6:
                continue
            ihl = (data[0] & 0x0F) * 4
            src, dst = socket.inet_ntoa(data[12:16]), socket.inet_ntoa(data[16:20])
            total = struct.unpack("!H", data[2:4])[0]
            sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", data[ihl:ihl + 14])
            length = total - ihl - (off >> 4) * 4 + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)
            if addr[2] == socket.PACKET_OUTGOING:
                key = (src, sport, dst, dport)
                end = (seq + length) & 0xFFFFFFFF
                if key not in self.snd_nxt or ((end - self.snd_nxt[key]) & 0xFFFFFFFF) < 0x80000000:
                    self.snd_nxt[key] = end
            else:
                key = (dst, dport, src, sport)
                end = (seq + length) & 0xFFFFFFFF
                if key not in self.rcv_nxt or ((end - self.rcv_nxt[key]) & 0xFFFFFFFF) < 0x80000000:
                    self.rcv_nxt[key] = end
                self.seen[key] = self.seen.get(key, 0) | flags


class Prober:
    def __init__(self):
        self.raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.raw.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
        self.sniffer = Sniffer()
        self.raw_sent = 0
        self.sock_errors = 0

    def send(self, key, flags, seq, ack, payload=b""):
        src, sport, dst, dport = key
        try:
            self.raw.sendto(packet(src, dst, sport, dport, flags, seq, ack, payload), (dst, 0))
            self.raw_sent += 1
        except OSError:
            self.sock_errors += 1

    def midstream(self, key, tag):
        """Raw segments with the flow's real numbers: data, a pure ACK, FIN|ACK, RST, and out-of-window data."""
        self.sniffer.drain()
        snd, rcv = self.sniffer.snd_nxt.get(key), self.sniffer.rcv_nxt.get(key)
        if snd is None or rcv is None:
            return False
        data = b"X-Torgate-Race: %s\r\n" % tag.encode()
        self.send(key, PSH | ACK, snd, rcv, data)
        self.send(key, ACK, snd + len(data), rcv)
        self.send(key, FIN | ACK, snd + len(data), rcv)
        self.send(key, RST, snd + len(data) + 1, 0)
        self.send(key, PSH | ACK, snd + 0x40000000, rcv, data)     # far outside any window
        self.send(key, ACK, snd, rcv + 0x40000000)                  # acknowledges data never sent
        return True


def connect(target, port, timeout=20):
    s = socket.create_connection((target, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def key_of(s):
    la, lp = s.getsockname()
    ra, rp = s.getpeername()
    return la, lp, ra, rp


def cmd_hold(target, port, n, ready, go):
    p = Prober()
    flows = []
    for _ in range(n):
        try:
            s = connect(target, port)
            s.sendall(b"GET / HTTP/1.1\r\nHost: " + target.encode() + b"\r\n")   # half a request: the server waits
            flows.append(s)
        except OSError:
            p.sock_errors += 1
    if not flows:
        print("hold: no flow established", flush=True)
        return 1
    time.sleep(0.3)
    p.sniffer.drain()
    open(ready, "w").close()
    deadline = time.time() + 60
    while not os.path.exists(go) and time.time() < deadline:
        time.sleep(0.1)
        p.sniffer.drain()   # keep the capture buffer small
    raw_flows = 0
    for s in flows:
        k = key_of(s)
        try:
            s.sendall(b"X-Torgate-After-Restart: 1\r\n")   # the kernel's own mid-stream data segment
        except OSError:
            p.sock_errors += 1
        time.sleep(0.05)
        if p.midstream(k, "after-restart"):
            raw_flows += 1
    time.sleep(1.0)   # the kernel retransmits its data; the new gateway answers (RST) or drops
    ended = 0
    for s in flows:
        s.settimeout(0.2)
        try:
            if s.recv(1) == b"":
                ended += 1
        except socket.timeout:
            pass
        except OSError:
            ended += 1
        s.close()
    print("RACE midstream flows=%d raw=%d raw_flows=%d reset_or_closed=%d sock_errors=%d"
          % (len(flows), p.raw_sent, raw_flows, ended, p.sock_errors), flush=True)
    return 0 if raw_flows else 1


def one_close(p, target, port, race):
    """One flow through the gateway, closed by the server; then the race named RACE."""
    try:
        s = connect(target, port)
    except OSError:
        p.sock_errors += 1
        return False
    k = key_of(s)
    try:
        s.sendall(b"GET / HTTP/1.0\r\nHost: " + target.encode() + b"\r\n\r\n")
        while s.recv(65536):       # until the gateway's FIN (the exit closed the stream)
            pass
    except OSError:
        p.sock_errors += 1
    p.sniffer.drain()
    ok = False
    if race == "data-after-fin":   # the client still writes after the peer's FIN (legal: half-close)
        try:
            s.send(b"late data\r\n")
        except OSError:
            p.sock_errors += 1
        ok = p.midstream(k, race)
        s.close()
    elif race == "fin-rst":        # our FIN, then at once a RST and data with the same numbers
        s.close()
        time.sleep(0.01)
        ok = p.midstream(k, race)
    elif race == "abort":          # SO_LINGER 0: the kernel sends RST; then late segments of the dead flow
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        ok = p.midstream(k, race)
    elif race == "late":           # everything closed and gone; retransmissions arrive a second later
        s.close()
        time.sleep(1.0)
        ok = p.midstream(k, race)
    return ok


RACES = ["data-after-fin", "fin-rst", "abort", "late"]


def cmd_close(target, port, n):
    total = 0
    for race in RACES:
        p = Prober()
        flows = sum(1 for _ in range(n) if one_close(p, target, port, race))
        total += flows
        print("RACE %s flows=%d raw=%d sock_errors=%d" % (race, flows, p.raw_sent, p.sock_errors), flush=True)
    return 0 if total else 1


def main(argv):
    try:
        if len(argv) == 7 and argv[1] == "hold":
            return cmd_hold(argv[2], int(argv[3]), int(argv[4]), argv[5], argv[6])
        if len(argv) == 5 and argv[1] == "close":
            return cmd_close(argv[2], int(argv[3]), int(argv[4]))
    except ValueError:
        pass
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
