#!/bin/bash
# Regenerates the replay/capture fixtures in this directory (run as root from anywhere; needs ip, tcpdump, curl,
# python3). http-session.pcap: a real kernel client (curl, 10.99.0.2) fetching twice from python's http.server
# (10.99.0.1:8000) across a veth pair between two namespaces, captured by tcpdump on the client's side (Ethernet
# frames, both directions). bad-packets.pcap: crafted packets, one per drop class (make-bad-packets.py).
# lab-c1-session.pcapng is not made here: it is what `torgate capture` wrote on the lab's gateway in lab suite 70
# (test-vms/suites/70-capture.sh keeps it as test-vms/.state/captures/70-c1-session.pcapng).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
c=tgcapfix-c; s=tgcapfix-s
cleanup() { ip netns del $c 2>/dev/null || true; ip netns del $s 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add $c; ip netns add $s
ip link add tgcf0 netns $c type veth peer name tgcf1 netns $s
ip -n $c addr add 10.99.0.2/24 dev tgcf0; ip -n $c link set tgcf0 up; ip -n $c link set lo up
ip -n $s addr add 10.99.0.1/24 dev tgcf1; ip -n $s link set tgcf1 up; ip -n $s link set lo up
# No offloads: the capture then holds the packets as the wire carries them (correct checksums, MSS-sized).
ip netns exec $c ethtool -K tgcf0 tx off rx off gso off tso off gro off >/dev/null 2>&1 || true
ip netns exec $s ethtool -K tgcf1 tx off rx off gso off tso off gro off >/dev/null 2>&1 || true
mkdir -p /tmp/tgcapfix-www && head -c 3000 /dev/zero | tr '\0' 'x' > /tmp/tgcapfix-www/file.txt
ip netns exec $s python3 -m http.server 8000 --bind 10.99.0.1 --directory /tmp/tgcapfix-www >/dev/null 2>&1 &
srv=$!
ip netns exec $c tcpdump -i tgcf0 -U -s 0 -w "$here/http-session.pcap" 'tcp port 8000' 2>/dev/null &
dump=$!
sleep 1.5
ip netns exec $c curl -s -o /dev/null --http1.0 http://10.99.0.1:8000/file.txt
ip netns exec $c curl -s -o /dev/null --http1.0 http://10.99.0.1:8000/
sleep 1
kill $dump $srv; wait $dump $srv 2>/dev/null || true
python3 "$here/make-bad-packets.py" "$here/bad-packets.pcap"
