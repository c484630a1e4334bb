# Run in namespace wirecap; dnsmasq runs in wirecap2 (10.99.0.2) across a veth with TX checksum offload off,
# so UDP checksums in the capture are real, not CHECKSUM_PARTIAL.
tcpdump -i wc0 -w /tmp/wiso/cap/veth.pcap -s 0 -U 2>/dev/null &
TD=$!
ip netns exec wirecap2 dnsmasq -C /dev/null -k --user=root --no-resolv --no-hosts --listen-address=10.99.0.2 \
  --bind-interfaces --local=/test.zone/ --address=/www.test.zone/10.1.2.3 --cname=alias.test.zone,www.test.zone \
  --ptr-record=3.2.1.10.in-addr.arpa,www.test.zone --pid-file=/tmp/wiso/cap/dnsmasq.pid &
DM=$!
sleep 1.5
ping -c1 -W1 -R 10.99.0.2
ping -c1 -W1 -s 2000 10.99.0.2
python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"hello torgate\n", ("10.99.0.2", 9999))'
dig @10.99.0.2 www.test.zone A +noedns +tries=1
dig @10.99.0.2 www.test.zone A +tries=1
dig @10.99.0.2 www.test.zone A +tcp
dig @10.99.0.2 alias.test.zone A +tries=1
dig @10.99.0.2 missing.test.zone A +tries=1
dig @10.99.0.2 www.test.zone AAAA +dnssec +bufsize=1232 +tries=1
dig @10.99.0.2 -x 10.1.2.3 +tries=1
getent ahosts www.test.zone
sleep 1
kill $DM $TD
wait
