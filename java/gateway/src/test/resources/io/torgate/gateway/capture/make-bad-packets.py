#!/usr/bin/env python3
"""Writes bad-packets.pcap: a classic pcap (LINKTYPE_RAW) from client 10.99.0.2 with one packet per drop class,
then one good SYN, at fixed timestamps. Built field by field so the file is independent of torgate's writer."""
import struct, sys

def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ip4(a):
    return bytes(int(x) for x in a.split('.'))

def ipv4(src, dst, proto, payload, flags_frag=0x4000, ident=1):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, flags_frag, 64, proto, 0, ip4(src), ip4(dst))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload

def l4sum(src, dst, proto, seg):
    return csum(ip4(src) + ip4(dst) + struct.pack('!BBH', 0, proto, len(seg)) + seg)

def tcp(src, sp, dst, dp, flags, seq=1000, ack=0, bad=False):
    seg = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0)
    c = l4sum(src, dst, 6, seg) ^ (0x5A5A if bad else 0)
    return ipv4(src, dst, 6, seg[:16] + struct.pack('!H', c) + seg[18:])

def udp(src, sp, dst, dp, payload, frag=0x4000):
    seg = struct.pack('!HHHH', sp, dp, 8 + len(payload), 0) + payload
    seg = seg[:6] + struct.pack('!H', l4sum(src, dst, 17, seg)) + seg[8:]
    return ipv4(src, dst, 17, seg, flags_frag=frag)

C, S = '10.99.0.2', '10.99.0.1'
ipv6 = bytes([0x60, 0, 0, 0, 0, 20, 6, 64]) + bytes(15) + b'\2' + bytes([0x20, 1, 0x0d, 0xb8]) + bytes(11) + b'\1' \
    + struct.pack('!HHIIBBHHH', 40000, 80, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
icmp_body = struct.pack('!BBHHH', 8, 0, 0, 7, 1) + b'ping'
icmp_body = icmp_body[:2] + struct.pack('!H', csum(icmp_body)) + icmp_body[4:]
packets = [
    ipv6,                                                 # ipv6
    udp(C, 40001, S, 123, bytes(48)),                     # udp_port (NTP)
    tcp('192.0.2.7', 40002, S, 80, 0x02),                 # spoofed_source
    udp(C, 40003, S, 53, bytes(40), frag=0x2000),         # fragment (MF set)
    tcp(C, 40004, S, 80, 0x02, bad=True),                 # bad_tcp_checksum
    ipv4(C, S, 1, icmp_body),                             # icmp
    tcp(C, 40005, S, 80, 0x10, seq=5000, ack=7000),       # no_flow (an ACK for no connection)
    tcp(C, 40006, S, 80, 0x02),                           # a good SYN: LISTEN, SYN-RECEIVED
]
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
    for i, p in enumerate(packets):
        f.write(struct.pack('<IIII', 1700000000 + i, 250000, len(p), len(p)))
        f.write(p)
