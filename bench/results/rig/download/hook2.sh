pid=$1; out=$2; mkdir -p $out
sleep 2
ip netns exec tgt-gw timeout 1 tcpdump -i tun0 -s 80 -w $out/tun0.pcap 2>/dev/null
ip netns exec tgt-gw timeout 0.6 tcpdump -i vif1 -s 80 -w $out/vif1.pcap 2>/dev/null
ip netns exec tgt-gw timeout 0.4 tcpdump -i lo -s 80 -w $out/lo.pcap 2>/dev/null
true
