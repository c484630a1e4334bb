# How resolved-veth.pcap was made (as root; no systemd PID 1 needed). systemd-resolved 252.39 (Debian 12) is not
# installed: its package's postinst would point the machine's /etc/resolv.conf at a stub nobody runs. Instead:
#   apt-get download systemd-resolved && dpkg-deb -x systemd-resolved_*.deb root
# The binary uses the installed systemd's libsystemd-shared-252.so. It runs in namespace tglr1 (10.99.0.1), in a
# private mount namespace with a tmpfs on /run (its runtime directory stays off the host), as the
# systemd-resolve user it insists on (added to /etc/netns/tglr1/passwd and group, which `ip netns exec` mounts
# over /etc's). It takes its upstream server from /etc/netns/tglr1/resolv.conf (nameserver 10.99.0.2), where
# dnsmasq serves test.zone in tglr2 across a veth with TX checksum offload off (real UDP checksums). dig asks
# resolved's stub on 127.0.0.53; the capture on rc0 holds only resolved's own upstream queries and their answers.
R=/tmp/tgl-resolved
ip netns add tglr1; ip netns add tglr2
ip -n tglr1 link set lo up; ip -n tglr2 link set lo up
ip link add rc0 netns tglr1 type veth peer name rc1 netns tglr2
ip -n tglr1 addr add 10.99.0.1/24 dev rc0; ip -n tglr2 addr add 10.99.0.2/24 dev rc1
ip -n tglr1 link set rc0 up; ip -n tglr2 link set rc1 up
ip netns exec tglr1 ethtool -K rc0 tx off; ip netns exec tglr2 ethtool -K rc1 tx off
mkdir -p /etc/netns/tglr1; echo 'nameserver 10.99.0.2' >/etc/netns/tglr1/resolv.conf
cp /etc/passwd /etc/netns/tglr1/passwd; cp /etc/group /etc/netns/tglr1/group
echo 'systemd-resolve:x:990:990:systemd Resolver:/:/usr/sbin/nologin' >>/etc/netns/tglr1/passwd
echo 'systemd-resolve:x:990:' >>/etc/netns/tglr1/group
ip netns exec tglr2 dnsmasq -C /dev/null -k --user=root --no-resolv --no-hosts --listen-address=10.99.0.2 \
  --bind-interfaces --local=/test.zone/ --address=/www.test.zone/10.1.2.3 \
  --ptr-record=3.2.1.10.in-addr.arpa,www.test.zone --pid-file=$R/dnsmasq.pid &
ip netns exec tglr1 tcpdump -i rc0 -w $R/resolved.pcap -s 0 -U udp port 53 &
TD=$!
ip netns exec tglr1 unshare -m --propagation private \
  sh -c "mount -t tmpfs tmpfs /run && mkdir -p /run/systemd && exec $R/root/lib/systemd/systemd-resolved" &
sleep 2
for q in "www.test.zone A" "www.test.zone AAAA" "-x 10.1.2.3" "missing.test.zone A" "web.lab.test A"; do
  ip netns exec tglr1 dig @127.0.0.53 +tries=1 +time=3 $q   # $q unquoted: name and type are two arguments
done
sleep 1; kill $TD
# then: kill resolved and dnsmasq, ip netns del tglr1 tglr2, rm -r /etc/netns/tglr1 $R
