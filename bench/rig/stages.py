#!/usr/bin/env python3
"""Where a relayed connection's time goes: per-stage medians of sequential connect-request-close (RigLoad crr,
--conns 1) through torgate, from a packet capture taken in the gateway namespace while it runs:

    ip netns exec tgb-gw timeout -s INT 1.5 tcpdump -ni any -tt -c 4000 tcp > capture.txt
    python3 bench/rig/stages.py capture.txt

The capture sees every hop the gateway makes: the client's segments on tun0, torgate's SOCKS connection to the
sink on lo (port 1080), and the sink's connection to the server on up0. Only sequential load can be attributed
this way (one connection at a time: the next SOCKS connection after a SYN is that SYN's). Stages, per connection:

    SYN on tun0 -> SOCKS connect()       reader + worker wake-ups and the flow's set-up
    connect -> first SOCKS bytes         from connect() until the SOCKS bytes are written
    first SOCKS bytes -> SYN-ACK         the SOCKS exchange (the sink connects the server) and the worker's reply
    SYN-ACK -> request                   the client's side (its connect() returns, it writes)
    request -> written to SOCKS          reader + worker wake-ups for a data segment
    request -> response                  the whole round trip through sink and server
    response -> FIN                      the server's close reaching the client

With [socks] preconnect the SOCKS socket was connected before the SYN: such a connection has no "SOCKS connect()"
time (its two stages are left out of the medians) and its SOCKS socket is the first one written after the SYN.
"""
import re
import statistics
import sys

LINE = re.compile(r'(\d+\.\d+) (\S+)\s+(In|Out)\s+IP (\S+) > (\S+): Flags \[([^\]]*)\].*length (\d+)')
STAGES = [
    ('syn', 'socks_syn', 'SYN on tun0 -> SOCKS connect()'),
    ('socks_syn', 'socks_out', 'connect -> first SOCKS bytes'),
    ('socks_out', 'synack', 'first SOCKS bytes -> SYN-ACK on tun0'),
    ('syn', 'synack', 'SYN -> SYN-ACK (the held SYN)'),
    ('synack', 'request', 'SYN-ACK -> request (client side)'),
    ('request', 'request_socks', 'request on tun0 -> written to SOCKS'),
    ('request', 'response', 'request -> response on tun0'),
    ('response', 'fin', 'response -> FIN on tun0'),
    ('syn', 'fin', 'SYN -> FIN (one connection)'),
]


def packets(path):
    for line in open(path):
        m = LINE.match(line)
        if m:
            yield (float(m[1]), m[2], m[3], m[4], m[5].rstrip(':'), m[6], int(m[7]))


def connection(rows, i):
    """The stage times of the connection whose SYN entered tun0 at rows[i], or None if incomplete."""
    client = rows[i][3]
    c = {'syn': rows[i][0]}
    for t, dev, direction, src, dst, flags, length in rows[i + 1:]:
        if dev == 'tun0' and flags == 'S' and src != client:
            break  # the next connection began
        if dev == 'lo' and flags == 'S' and dst.endswith('.1080') and 'socks_port' not in c:
            c['socks_syn'], c['socks_port'] = t, src
        elif dev == 'lo' and src == c.get('socks_port') and length > 0:
            c.setdefault('request_socks' if 'request' in c else 'socks_out', t)
        elif dev == 'lo' and dst.endswith('.1080') and length > 0 and 'socks_port' not in c:
            c['socks_port'], c['socks_out'] = src, t  # a pre-connected socket: no connect() after the SYN
        elif dev == 'tun0' and direction == 'In' and dst == client:
            if flags == 'S.':
                c['synack'] = t
            elif length > 0:
                c.setdefault('response', t)
            if 'F' in flags:
                c['fin'] = t
                break
        elif dev == 'tun0' and direction == 'Out' and src == client and length > 0:
            c.setdefault('request', t)
    return c if all(a in c and b in c for a, b, _ in STAGES if 'socks_syn' not in (a, b)) else None


def main(path):
    rows = list(packets(path))
    conns = [c for i, r in enumerate(rows) if r[1] == 'tun0' and r[2] == 'Out' and r[5] == 'S'
             for c in [connection(rows, i)] if c]
    if not conns:
        sys.exit(f'{path}: no complete connection (a sequential crr capture in the gateway namespace is needed)')
    print(f'{path}: {len(conns)} connections; median (p90) in microseconds')
    pooled = sum('socks_syn' not in c for c in conns)
    if pooled:
        print(f'  ({pooled} of them on a pre-connected SOCKS socket)')
    for a, b, label in STAGES + [('syn', 'socks_out', 'SYN -> first SOCKS bytes')]:
        d = sorted((c[b] - c[a]) * 1e6 for c in conns if a in c and b in c)
        if not d:
            print(f'  {label:40s}       -')
            continue
        print(f'  {label:40s} {statistics.median(d):7.0f} ({d[int(0.9 * (len(d) - 1))]:.0f})')


if __name__ == '__main__':
    main(sys.argv[1])
