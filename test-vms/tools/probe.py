#!/usr/bin/python3
"""Leak probes: run inside a client namespace; sends traffic that must never leave the gateway in the clear.

Usage: probe.py [--only KIND[,KIND...]] TARGET...
KINDs: tcp (connect to many ports), allports (a raw SYN to each of the 65535 ports of the first TARGET),
udp (QUIC, NTP, STUN, DNS, ...), dns (queries to outside resolvers),
icmp (every ICMP type), proto (every IP protocol number), badtcp (ACK/FIN/RST/NULL/XMAS for unknown flows),
frag (IP fragments), spoof (spoofed sources), bcast (broadcast and multicast), ipv6 (link-local, global,
router solicitation, multicast). TARGETs are IPv4 addresses (upstream). Everything is bounded: sockets are
non-blocking or time out within 0.5 s; one run takes a few seconds. Prints one line per kind:
`KIND sent=N errors=N` (errors: the kernel refused to send or the peer was unreachable, i.e. fail closed).
Exit 0 unless the arguments are wrong.
"""
import errno
import os
import random
import select
import socket
import struct
import sys
import time

TCP_PORTS = [21, 22, 25, 53, 80, 110, 143, 443, 465, 587, 853, 993, 995, 1080, 3128, 5001, 5004, 7001, 8080,
             8443, 9001, 9030, 9040, 9050, 9051, 9150]
UDP_PORTS = [53, 67, 68, 69, 123, 137, 161, 443, 500, 514, 1194, 1900, 3478, 4500, 5060, 5353, 19302, 51820]
OUTSIDE_RESOLVERS = ["8.8.8.8", "1.1.1.1", "9.9.9.9", "10.139.1.1", "10.139.1.2"]


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ident=0, frag=0, ttl=64):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, ttl, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def tcp_seg(src, dst, sport, dport, flags, seq=0, ack=0, payload=b""):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = struct.pack("!4s4sBBH", socket.inet_aton(src), socket.inet_aton(dst), 0, 6, len(hdr) + len(payload))
    c = csum(pseudo + hdr + payload)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload


class Counter:
    def __init__(self):
        self.sent = 0
        self.errors = 0

    def attempt(self, fn):
        try:
            fn()
            self.sent += 1
        except OSError:
            self.errors += 1


def my_addr():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("10.139.1.1", 9))
        return s.getsockname()[0]
    except OSError:
        return "10.137.0.99"
    finally:
        s.close()


def raw_sender():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    return s


def probe_tcp(targets, c):
    socks = []
    for t in targets:
        for p in TCP_PORTS:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex((t, p))
            if rc in (0, errno.EINPROGRESS):
                c.sent += 1
                socks.append(s)
            else:
                c.errors += 1
                s.close()
    deadline = time.time() + 0.5
    while socks and time.time() < deadline:
        _, w, _ = select.select([], socks, [], max(0.0, deadline - time.time()))
        for s in w:
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                c.errors += 1
            socks.remove(s)
            s.close()
    for s in socks:
        s.close()


def probe_allports(targets, c, src):
    """A SYN to every TCP port (1-65535) of the first target, as raw packets: no socket per port."""
    s = raw_sender()
    t = targets[0]
    for port in range(1, 65536):
        seg = tcp_seg(src, t, 42000 + (port % 1000), port, 0x02, seq=port)
        c.attempt(lambda: s.sendto(ipv4(src, t, 6, seg), (t, 0)))
    s.close()


def probe_udp(targets, c, ports=UDP_PORTS):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for t in targets:
        for p in ports:
            c.attempt(lambda: s.sendto(b"\x0d" + os.urandom(31), (t, p)))
    s.close()


def dns_query(name):
    q = struct.pack("!HHHHHH", random.randrange(65536), 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)


def probe_dns(targets, c):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for r in OUTSIDE_RESOLVERS + list(targets):
        c.attempt(lambda: s.sendto(dns_query("web.lab.test"), (r, 53)))
        c.attempt(lambda: s.sendto(dns_query("example.com"), (r, 53)))
    s.close()
    for r in OUTSIDE_RESOLVERS[:3]:   # DNS over TCP and DoT
        probe_tcp_once(r, 53, c)
        probe_tcp_once(r, 853, c)


def probe_tcp_once(host, port, c):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.3)
    try:
        s.connect((host, port))
        c.sent += 1
    except OSError:
        c.errors += 1
    finally:
        s.close()


def probe_icmp(targets, c, src):
    s = raw_sender()
    for t in targets:
        for typ in range(256):
            body = struct.pack("!BBHHH", typ, 0, 0, os.getpid() & 0xFFFF, typ) + b"torgate-probe"
            body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
            c.attempt(lambda: s.sendto(ipv4(src, t, 1, body), (t, 0)))
    s.close()


def probe_proto(targets, c, src):
    s = raw_sender()
    for t in targets[:1]:
        for proto in range(256):
            c.attempt(lambda: s.sendto(ipv4(src, t, proto, b"\0" * 24), (t, 0)))
    s.close()


def probe_badtcp(targets, c, src):
    s = raw_sender()
    flagsets = [0x10, 0x01, 0x04, 0x00, 0x29, 0x11, 0x14, 0x18, 0x3F]  # ACK FIN RST NULL XMAS FIN|ACK ...
    for t in targets:
        for p in (80, 443, 5001):
            for f in flagsets:
                seg = tcp_seg(src, t, 40000 + f, p, f, seq=random.randrange(2**32), ack=random.randrange(2**32),
                              payload=b"GET / HTTP/1.0\r\n\r\n" if f & 0x08 else b"")
                c.attempt(lambda: s.sendto(ipv4(src, t, 6, seg), (t, 0)))
    s.close()


def probe_frag(targets, c, src):
    s = raw_sender()
    for t in targets:
        payload = struct.pack("!HHHH", 40001, 80, 16, 0) + b"x" * 8
        c.attempt(lambda: s.sendto(ipv4(src, t, 17, payload[:8], ident=4242, frag=0x2000), (t, 0)))  # MF
        c.attempt(lambda: s.sendto(ipv4(src, t, 17, payload[8:], ident=4242, frag=1), (t, 0)))       # offset 8
        c.attempt(lambda: s.sendto(ipv4(src, t, 6, b"y" * 16, ident=4243, frag=185), (t, 0)))       # lone tail
    s.close()


def probe_spoof(targets, c):
    s = raw_sender()
    for t in targets:
        for fake in ("10.250.0.2", "198.18.0.10", "10.137.0.1", "192.0.2.2", "10.137.0.250", "127.0.0.1"):
            seg = tcp_seg(fake, t, 41000, 80, 0x02, seq=1)
            c.attempt(lambda: s.sendto(ipv4(fake, t, 6, seg), (t, 0)))
            udp = struct.pack("!HHHH", 41000, 53, 8 + 16, 0) + dns_query("x.lab")[:16]
            c.attempt(lambda: s.sendto(ipv4(fake, t, 17, udp), (t, 0)))
    s.close()


def probe_bcast(c):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 8)
    for dst in ("255.255.255.255", "10.137.0.255", "198.18.0.255", "224.0.0.1", "224.0.0.251", "239.255.255.250"):
        for p in (67, 137, 1900, 5353):
            c.attempt(lambda: s.sendto(b"torgate-probe", (dst, p)))
    s.close()


def probe_ipv6(c):
    targets = ["fe80::1%eth0", "ff02::1%eth0", "ff02::2%eth0", "2001:db8::1", "2606:4700::1111", "fd00::1",
               "::ffff:198.18.0.10"]
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    for t in targets:
        for p in (53, 123, 443):
            c.attempt(lambda: u.sendto(b"torgate-probe", socket.getaddrinfo(t, p, socket.AF_INET6)[0][4]))
    u.close()
    for t in ("2001:db8::1", "fe80::1%eth0"):
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            rc = s.connect_ex(socket.getaddrinfo(t, 80, socket.AF_INET6)[0][4])
            if rc in (0, errno.EINPROGRESS):
                c.sent += 1
            else:
                c.errors += 1
        finally:
            s.close()
    try:
        icmp = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        icmp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        icmp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
        rs = struct.pack("!BBHI", 133, 0, 0, 0)            # router solicitation (RFC 4861 4.1)
        echo = struct.pack("!BBHHH", 128, 0, 0, 1, 1) + b"torgate-probe"
        for t in ("ff02::2%eth0", "ff02::1%eth0", "2001:db8::1"):
            for m in (rs, echo):
                c.attempt(lambda: icmp.sendto(m, socket.getaddrinfo(t, 0, socket.AF_INET6)[0][4]))
        icmp.close()
    except OSError:
        c.errors += 1


KINDS = ["tcp", "allports", "udp", "dns", "icmp", "proto", "badtcp", "frag", "spoof", "bcast", "ipv6"]


def main(argv):
    kinds = KINDS
    if len(argv) > 2 and argv[1] == "--only":
        kinds = argv[2].split(",")
        argv = argv[:1] + argv[3:]
    targets = argv[1:]
    if not targets or any(k not in KINDS for k in kinds):
        print(__doc__, file=sys.stderr)
        return 2
    src = my_addr()
    for k in kinds:
        c = Counter()
        if k == "tcp":
            probe_tcp(targets, c)
        elif k == "allports":
            probe_allports(targets, c, src)
        elif k == "udp":
            probe_udp(targets, c)
        elif k == "dns":
            probe_dns(targets, c)
        elif k == "icmp":
            probe_icmp(targets, c, src)
        elif k == "proto":
            probe_proto(targets, c, src)
        elif k == "badtcp":
            probe_badtcp(targets, c, src)
        elif k == "frag":
            probe_frag(targets, c, src)
        elif k == "spoof":
            probe_spoof(targets, c)
        elif k == "bcast":
            probe_bcast(c)
        elif k == "ipv6":
            probe_ipv6(c)
        print("%-6s sent=%d errors=%d" % (k, c.sent, c.errors), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
