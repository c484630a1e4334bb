#!/usr/bin/env python3
# In flight (highest sequence sent minus the latest ACK seen), ACK count and the client's window, from
# `tcpdump -r vif1.pcap -nn -tt -S` on stdin (capture on the gateway's client-side veth during a download).
import bisect
import re
import sys

data, acks = [], []
for line in sys.stdin:
    t = float(line.split()[0])
    m = re.search(r"seq (\d+):(\d+)", line)
    if "10.200.0.80.5201 >" in line and m:
        data.append((t, int(m.group(1)), int(m.group(2))))
    a = re.search(r"ack (\d+), win (\d+)", line)
    if "10.137.0.11" in line.split(">")[0] and a and ".5201:" in line:
        acks.append((t, int(a.group(1)), int(a.group(2))))
print("data packets", len(data), "client ACKs", len(acks))
t0 = data[0][0]
at = [x[0] for x in acks]
top, resent, samples = 0, 0, []
for (t, s, e) in data:
    resent += s < top
    top = max(top, e)
    i = bisect.bisect_right(at, t) - 1
    if i >= 0:
        samples.append((t - t0, top - acks[i][1], acks[i][2]))
print("segments below the highest sent (retransmissions)", resent)
for k in range(0, len(samples), max(1, len(samples) // 25)):
    print("%.4f s  in flight %7d  window field %d" % samples[k])
dur = data[-1][0] - t0
print("%.3f s, %d bytes, %.2f Gbit/s; max in flight %d" % (dur, top - data[0][1], (top - data[0][1]) * 8 / dur / 1e9,
                                                            max(s[1] for s in samples)))
