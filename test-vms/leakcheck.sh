#!/usr/bin/env bash
# The leak detector: the ground truth is a capture on the upstream side of the gateway's link (gwlink0 in
# tg-net), where every packet the gateway namespace sends upstream passes. A packet is allowed only when it is
# TCP between the gateway's tor (10.250.0.2, up0) and a relay of the private network (its address and OR/Dir
# ports, from tornet.sh env), or ARP between the two ends of that link. Everything else is a leak: printed
# (tcpdump -r) and kept in test-vms/.state/leaks/NAME.pcap.
#
# Usage: leakcheck.sh start NAME          start capturing (returns once tcpdump listens; at most 10 s)
#        leakcheck.sh stop NAME           stop, classify, print the summary; exit 1 when anything leaked
#        leakcheck.sh check PCAP          classify a saved capture
#        leakcheck.sh hole open|close [CLIENT]   anti-test: let CLIENT (default c1) route upstream through the
#                                         kernel (ip rule to the main table + nft forward accept): a deliberate leak
#        leakcheck.sh hole6 open|close    anti-test: IPv6 on the gateway's upstream link (+ nft output accept; the
#                                         kernel then sends DAD, MLD and router solicitations): a deliberate leak
#        leakcheck.sh holect open|close [CLIENT]   anti-test: the known transparent-proxy leak. Packets from CLIENT
#                                         that conntrack calls INVALID (a closed or unknown flow) bypass tun0 and
#                                         are routed upstream, as they bypass a REDIRECT rule (nat sees no INVALID)
#        leakcheck.sh hole6client open|close [CLIENT]   anti-test: CLIENT's IPv6 routed upstream by the kernel
#                                         (IPv6 on up0, a route and a neighbour for it, nft forward accept)
#        leakcheck.sh filter              print the allow filter (pcap-filter syntax)
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
TG_LOG_TAG=leakcheck
eval "$(bash "$TG_VMS_DIR/lab.sh" env)"
eval "$(bash "$TG_VMS_DIR/tornet.sh" --ns "$LAB_NET_NS" env)"
DIR=$TG_STATE_DIR/leaks
RUN=/run/torgate-lab/leaks-$LAB_PREFIX
MARK=$DIR/

allow_filter() {
  local p dports="" sports="" gw=$LAB_UP_GW_IP relay=$TORNET_RELAY_IP net=$LAB_UP_NET_IP
  for p in $TORNET_OR_PORTS $TORNET_DIR_PORTS; do
    dports="$dports${dports:+ or }dst port $p"; sports="$sports${sports:+ or }src port $p"
  done
  printf '%s' "(tcp and src host $gw and dst host $relay and ($dports)) or "
  printf '%s' "(tcp and src host $relay and dst host $gw and ($sports)) or "
  printf '%s\n' "(arp and (arp src host $gw or arp src host $net) and (arp dst host $gw or arp dst host $net))"
}

classify() { # PCAP [NAME]
  local pcap=$1 name=${2:-$(basename "$1" .pcap)} total leaked allowed
  total=$(tcpdump -nn -r "$pcap" 2>/dev/null | wc -l)
  leaked=$(tcpdump -nn -r "$pcap" "not ($(allow_filter))" 2>/dev/null | wc -l)
  allowed=$((total - leaked))
  echo "leakcheck $name: $total packets upstream, $allowed tor<->relay, $leaked leaked (pcap: $pcap)"
  if [ "$leaked" -gt 0 ]; then
    echo "leaked packets (first 40):"
    tcpdump -nn -e -r "$pcap" "not ($(allow_filter))" 2>/dev/null | head -n 40 | sed 's/^/  /'
    return 1
  fi
}

cmd_start() {
  local name=$1
  tg_netns_exists "$LAB_CAPTURE_NS" || tg_die "no namespace $LAB_CAPTURE_NS (lab.sh up first)"
  mkdir -p "$DIR" "$RUN"
  tg_kill_pidfiles "$MARK" "$RUN/$name.pid"
  rm -f "$DIR/$name.pcap" "$DIR/$name.log"
  # --immediate-mode: without it packets wait in the kernel's capture ring for up to a second (TPACKET_V3 block
  # timeout) and are lost when we stop tcpdump: captures of a short attack came back empty now and then.
  ip netns exec "$LAB_CAPTURE_NS" setsid tcpdump -i "$LAB_CAPTURE_IF" -nn -U --immediate-mode -s 512 \
    -w "$DIR/$name.pcap" \
    </dev/null >"$DIR/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
  tg_wait_until 10 "tcpdump listening on $LAB_CAPTURE_IF" grep -q 'listening on' "$DIR/$name.log" \
    || { cat "$DIR/$name.log" >&2; tg_die "capture did not start"; }
}

cmd_stop() {
  local name=$1
  [ -s "$RUN/$name.pid" ] || tg_die "no capture named $name"
  sleep 0.5   # let in-flight packets reach the capture
  tg_kill_pidfiles "$MARK" "$RUN/$name.pid"
  rmdir "$RUN" /run/torgate-lab 2>/dev/null || true
  classify "$DIR/$name.pcap" "$name"
}

nft_gw() { ip netns exec "$LAB_GW_NS" nft "$@"; }
nft_hole_del() { # CHAIN: deletes every rule a hole added to that chain
  local handle
  for handle in $(nft_gw -a list chain inet torgate_lab "$1" 2>/dev/null \
                  | sed -n 's/.*leakcheck hole.*# handle \([0-9]*\).*/\1/p'); do
    nft_gw delete rule inet torgate_lab "$1" handle "$handle"
  done
}

hole() { # open|close CLIENT: client traffic routed upstream by the kernel, past the forward rule
  local n=${2#c}
  n=${n#"$LAB_CLIENT_PREFIX"}
  case $1 in
    open)
      ip -n "$LAB_GW_NS" rule add iif "vif$n" lookup main priority 50
      nft_gw insert rule inet torgate_lab forward iifname "vif$n" accept comment '"leakcheck hole"'
      ;;
    close)
      while ip -n "$LAB_GW_NS" rule del iif "vif$n" lookup main priority 50 2>/dev/null; do :; done
      nft_hole_del forward
      ;;
    *) tg_die "hole open|close [CLIENT]" ;;
  esac
}

hole6() { # open|close: IPv6 on the upstream link, past the output rule
  case $1 in
    open)
      nft_gw insert rule inet torgate_lab output meta nfproto ipv6 accept comment '"leakcheck hole"'
      ip netns exec "$LAB_GW_NS" sysctl -qw "net.ipv6.conf.up0.disable_ipv6=0"
      ;;
    close)
      ip netns exec "$LAB_GW_NS" sysctl -qw "net.ipv6.conf.up0.disable_ipv6=1"
      nft_hole_del output
      ;;
    *) tg_die "hole6 open|close" ;;
  esac
}

vif_of() { local n=${1#c}; n=${n#"$LAB_CLIENT_PREFIX"}; echo "vif$n"; }
CT_MARK=0x7a

holect() { # open|close CLIENT: ct state invalid from the client's vif is marked and routed by the main table
  local vif
  vif=$(vif_of "$2")
  case $1 in
    open)
      printf '%s\n' 'table inet leakcheck_ct {' ' chain pre {' \
        '  type filter hook prerouting priority mangle; policy accept;' \
        "  iifname \"$vif\" ct state invalid counter meta mark set $CT_MARK" ' }' '}' | nft_gw -f -
      ip -n "$LAB_GW_NS" rule add fwmark "$CT_MARK" lookup main priority 45
      nft_gw insert rule inet torgate_lab forward iifname "$vif" meta mark "$CT_MARK" accept \
        comment '"leakcheck hole"'
      ;;
    close)
      while ip -n "$LAB_GW_NS" rule del fwmark "$CT_MARK" lookup main priority 45 2>/dev/null; do :; done
      nft_hole_del forward
      nft_gw delete table inet leakcheck_ct 2>/dev/null || true
      ;;
    *) tg_die "holect open|close [CLIENT]" ;;
  esac
}

hole6client() { # open|close CLIENT: IPv6 from the client's vif routed upstream (main table, up0)
  local vif mac
  vif=$(vif_of "$2")
  case $1 in
    open)
      mac=$(ip -n "$LAB_CAPTURE_NS" link show "$LAB_CAPTURE_IF" | awk '/link\/ether/ {print $2}')
      ip netns exec "$LAB_GW_NS" sysctl -qw "net.ipv6.conf.up0.disable_ipv6=0" "net.ipv6.conf.$vif.force_forwarding=1"
      ip -n "$LAB_GW_NS" -6 neigh replace fe80::1 lladdr "$mac" dev up0 nud permanent
      ip -n "$LAB_GW_NS" -6 route replace default via fe80::1 dev up0
      ip -n "$LAB_GW_NS" -6 rule add iif "$vif" lookup main priority 50
      nft_gw insert rule inet torgate_lab forward iifname "$vif" meta nfproto ipv6 accept comment '"leakcheck hole"'
      nft_gw insert rule inet torgate_lab output meta nfproto ipv6 accept comment '"leakcheck hole"'
      ;;
    close)
      while ip -n "$LAB_GW_NS" -6 rule del iif "$vif" lookup main priority 50 2>/dev/null; do :; done
      ip netns exec "$LAB_GW_NS" sysctl -qw "net.ipv6.conf.up0.disable_ipv6=1"
      nft_hole_del forward
      nft_hole_del output
      ;;
    *) tg_die "hole6client open|close [CLIENT]" ;;
  esac
}

case ${1:-} in
  start) [ $# -eq 2 ] || tg_die "usage: leakcheck.sh start NAME"; tg_need_root; cmd_start "$2" ;;
  stop) [ $# -eq 2 ] || tg_die "usage: leakcheck.sh stop NAME"; tg_need_root; cmd_stop "$2" ;;
  check) [ $# -eq 2 ] || tg_die "usage: leakcheck.sh check PCAP"; classify "$2" ;;
  hole) tg_need_root; hole "${2:-}" "${3:-c1}" ;;
  hole6) tg_need_root; hole6 "${2:-}" ;;
  holect) tg_need_root; holect "${2:-}" "${3:-c1}" ;;
  hole6client) tg_need_root; hole6client "${2:-}" "${3:-c1}" ;;
  filter) allow_filter ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; [ "${1:-}" = --help ] ;;
esac
