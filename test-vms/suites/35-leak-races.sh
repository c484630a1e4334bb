#!/usr/bin/env bash
# Lab suite 35: the leak scenarios of #7 that need torgate running and real flows through it, each with its
# anti-test (a deliberate hole opened, the same detector, leakcheck.sh on the upstream link, must flag it):
#   midstream  flows established through torgate, then torgate killed (-9) and restarted: the clients' kernels
#              and raw segments with the flows' real numbers (data, ACK, FIN, RST, out of window) reach a gateway
#              that does not know the flows. Zero leaks, and the clients get a RST (an error, not a hang).
#              Anti-test: the same with a kernel route from client 1 upstream opened across the restart.
#   closerace  the close races of the known transparent-proxy leak (tools/races.py close): data after the
#              gateway's FIN, FIN then RST, an abort (RST) then late segments, retransmissions a second after the
#              flow is gone. Zero leaks. Anti-test: the very configuration that leaks on a REDIRECT proxy, packets
#              conntrack calls INVALID routed by the main table (leakcheck.sh holect): the detector flags them.
#   ipv6       (#4) IPv6 from the clients: link-local, multicast, a router solicitation, UDP, ICMPv6 and TCP to
#              global addresses and to the gateway's link-local address. For this scenario only the clients get
#              a global address and a route via the gateway's fe80::1, and the gateway routes their IPv6 into tun0
#              (as it does IPv4), so torgate sees it: every IPv6 packet on tun0 is dropped and counted as ipv6
#              (torgate ctl status), and nothing leaks. Anti-test: client 1's IPv6 routed upstream
#              (leakcheck.sh hole6client) is flagged.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=../lib/gwsuite.sh
. "$here/lib/gwsuite.sh"
TG_LOG_TAG=suite-35
tg_need_root
check() { tg_check "$@"; }
work=$(mktemp -d /tmp/tgs-suite35.XXXXXX)
cleanup() {
  bash "$GS_LEAK" hole close c1 >/dev/null 2>&1 || true
  bash "$GS_LEAK" holect close c1 >/dev/null 2>&1 || true
  bash "$GS_LEAK" hole6client close c1 >/dev/null 2>&1 || true
  gs_cleanup
  rm -rf "$work"
}
trap cleanup EXIT
t_start=$SECONDS

gs_up 2 || { tg_summary 35-leak-races; exit 1; }
RACES=$here/tools/races.py
web=$TORNET_WEB_IP
check "warm-up: c1 fetches by name (1K, SHA-256 exact)" gs_sha_ok c1 1K.bin 60
check "warm-up: c2 fetches by name (1K, SHA-256 exact)" gs_sha_ok c2 1K.bin 60

# anti_capture NAME CMD...: one capture around CMD (a hole is open); prints leakcheck's summary; sets ANTI_OUT.
anti_capture() {
  local name=$1; shift
  bash "$GS_LEAK" start "$name"
  "$@" || true
  ANTI_OUT=$(bash "$GS_LEAK" stop "$name") || true
  echo "$ANTI_OUT" | head -n 4 | sed 's/^/    /'
}
leaked_of() { sed -n 's/.* \([0-9]*\) leaked .*/\1/p' <<<"$1" | head -n 1; }
pcap_count() { tcpdump -nn -r "$TG_STATE_DIR/leaks/$1.pcap" "$2" 2>/dev/null | wc -l; }   # NAME FILTER

# --- midstream: packets of flows the restarted gateway does not know ----------------------------------------
# restart_midstream NAME [HOLE]: c1 and c2 hold 5 flows each through torgate; torgate is killed and restarted
# (HOLE=1: c1's kernel route upstream is open across the restart); then every flow sends mid-stream packets.
restart_midstream() {
  local name=$1 hole=${2:-0} c pid=() t0
  rm -f "$work/ready-c1" "$work/ready-c2" "$work/go"
  for c in c1 c2; do
    gs_in "$c" timeout 120 "$TG_PY" "$RACES" hold "$web" 80 5 "$work/ready-$c" "$work/go" >"$work/hold-$c.out" 2>&1 &
    pid+=($!)
  done
  tg_wait_until 30 "the held flows" test -e "$work/ready-c1" -a -e "$work/ready-c2" || true
  gs_capture_start "$name"
  t0=$SECONDS
  kill -9 "$(cat "$LAB_GATEWAY_PIDFILE")"
  [ "$hole" = 1 ] && bash "$GS_LEAK" hole open c1
  bash "$GS_LAB" gateway start >/dev/null 2>&1
  echo "    torgate killed and restarted in $((SECONDS - t0)) s; the held flows now send mid-stream packets"
  touch "$work/go"
  for p in "${pid[@]}"; do wait "$p" || true; done
  sed 's/^/    c1 /' "$work/hold-c1.out"; sed 's/^/    c2 /' "$work/hold-c2.out"
}
raw_flows() { sed -n 's/.* raw_flows=\([0-9]*\).*/\1/p' "$work/hold-$1.out"; }
reset_flows() { sed -n 's/.* reset_or_closed=\([0-9]*\).*/\1/p' "$work/hold-$1.out"; }

restart_midstream rs-midstream
gs_capture_stop rs-midstream
check "midstream: c1 and c2 sent mid-stream segments on all 10 held flows" \
  test "$(raw_flows c1)" = 5 -a "$(raw_flows c2)" = 5
check "midstream: the restarted torgate answered every held flow with a RST (clients see an error)" \
  test "$(reset_flows c1)" = 5 -a "$(reset_flows c2)" = 5
check "midstream: the restarted torgate serves new flows (1M by name, SHA-256 exact)" gs_sha_ok c2 1M.bin 60

restart_midstream anti-rs-midstream 1 >"$work/anti-midstream.out" 2>&1
ANTI_OUT=$(bash "$GS_LEAK" stop anti-rs-midstream) || true
GS_CAPTURES=()
bash "$GS_LEAK" hole close c1
echo "$ANTI_OUT" | head -n 3 | sed 's/^/    /'
mid=$(pcap_count anti-rs-midstream "tcp and src host $LAB_ADDR_1 and dst port 80 and tcp[tcpflags] & tcp-syn == 0")
check "anti-test midstream: with c1's route upstream open, the detector flags the leak" \
  test "$(leaked_of "$ANTI_OUT")" -gt 0
check "anti-test midstream: flagged packets include c1's mid-stream segments (no SYN) to port 80 ($mid)" \
  test "$mid" -gt 0
check "after the anti-test: c1 fetches by name again" gs_sha_ok c1 1K.bin 60

# --- close races of the transparent-proxy leak ---------------------------------------------------------------
gs_capture_start closerace
for c in c1 c2; do
  gs_in "$c" timeout 90 "$TG_PY" "$RACES" close "$web" 80 5 >"$work/close-$c.out" 2>&1 || true
done
sed 's/^/    c1 /' "$work/close-c1.out"
gs_capture_stop closerace
races_done() { [ "$(grep -c 'flows=5 ' "$work/close-$1.out")" = 4 ]; }
check "closerace: c1 ran all 4 races on 5 flows each" races_done c1
check "closerace: c2 ran all 4 races on 5 flows each" races_done c2

bash "$GS_LEAK" holect open c1
anti_capture anti-closerace gs_in c1 timeout 90 "$TG_PY" "$RACES" close "$web" 80 5
invalid=$(ip netns exec "$LAB_GW_NS" nft list table inet leakcheck_ct | sed -n 's/.*packets \([0-9]*\).*/\1/p')
bash "$GS_LEAK" holect close c1
echo "    conntrack called $invalid of c1's packets INVALID"
late=$(pcap_count anti-closerace "tcp and src host $LAB_ADDR_1 and dst port 80")
check "anti-test closerace: INVALID packets routed upstream (the REDIRECT leak) are flagged" \
  test "$(leaked_of "$ANTI_OUT")" -gt 0
check "anti-test closerace: flagged packets are c1's late segments to port 80 ($late)" test "$late" -gt 0

# --- IPv6 from the clients (#4) ------------------------------------------------------------------------------
gw6() { ip -n "$LAB_GW_NS" -6 "$@"; }
ipv6_route() { # on|off: clients get 2001:db8:137::1N/64 via fe80::1; the gateway routes their IPv6 into tun0
  local n ns
  for n in 1 2; do
    ns=$(gs_ns "c$n")
    if [ "$1" = on ]; then
      ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0
      ip netns exec "$LAB_GW_NS" sysctl -qw "net.ipv6.conf.vif$n.disable_ipv6=0" \
        "net.ipv6.conf.vif$n.force_forwarding=1"
      gw6 addr replace fe80::1/64 dev "vif$n"
      gw6 rule del iif "vif$n" lookup "$LAB_TABLE" priority 100 2>/dev/null || true
      gw6 rule add iif "vif$n" lookup "$LAB_TABLE" priority 100
      ip -n "$ns" -6 addr replace "2001:db8:137::1$n/64" dev eth0 nodad
      ip -n "$ns" -6 route replace default via fe80::1 dev eth0
    else
      ip -n "$ns" -6 addr del "2001:db8:137::1$n/64" dev eth0 2>/dev/null || true
      while gw6 rule del iif "vif$n" lookup "$LAB_TABLE" priority 100 2>/dev/null; do :; done
      ip netns exec "$LAB_GW_NS" sysctl -qw "net.ipv6.conf.vif$n.force_forwarding=0"
    fi
  done
  if [ "$1" = on ]; then
    gw6 route replace unreachable default metric 4096 table "$LAB_TABLE"
    gw6 route replace default dev "$LAB_TUN" table "$LAB_TABLE"
  else
    gw6 route flush table "$LAB_TABLE" 2>/dev/null || true
  fi
}
probe6() { gs_in "$1" timeout 60 "$TG_PY" "$here/tools/probe.py" --only ipv6 "$web"; }
tun6_count() { # on | off | N: nft counters of the IPv6 packets the gateway namespace routes into tun0 (what
  # torgate reads): all of them (N=1), the TCP SYNs among them (N=2), IPv6 from tun0 to the clients (N=3), and
  # the gateway namespace's own IPv6 into tun0 (N=4: the kernel's router solicitations and MLD reports on tun0)
  case $1 in
    on) printf '%s\n' 'table inet tgs_v6count {' ' chain count {' \
          '  type filter hook forward priority 10; policy accept;' \
          "  oifname \"$LAB_TUN\" meta nfproto ipv6 counter" \
          "  oifname \"$LAB_TUN\" meta nfproto ipv6 tcp flags & (syn | ack) == syn counter" \
          "  iifname \"$LAB_TUN\" meta nfproto ipv6 counter" ' }' \
          ' chain out {' '  type filter hook output priority 10; policy accept;' \
          "  oifname \"$LAB_TUN\" meta nfproto ipv6 counter" ' }' '}' \
          | ip netns exec "$LAB_GW_NS" nft -f - ;;
    off) ip netns exec "$LAB_GW_NS" nft delete table inet tgs_v6count 2>/dev/null || true ;;
    *) ip netns exec "$LAB_GW_NS" nft list table inet tgs_v6count | sed -n 's/.*packets \([0-9]*\).*/\1/p' \
         | sed -n "${1}p" ;;
  esac
}

# A new tun0 that sends no router solicitations of its own (they would reach torgate at moments of the kernel's
# choosing, between two readings of the counters); torgate's ipv6 counter comes from its control socket.
ip netns exec "$LAB_GW_NS" sysctl -qw net.ipv6.conf.default.router_solicitations=0
bash "$GS_LAB" gateway start >/dev/null 2>&1
ipv6_route on
v6drops() { gs_drops ipv6; }
sleep 2   # the kernel's MLD reports for the new tun0
tun6_count on
d0=$(v6drops)
gs_capture_start ipv6
probe6 c1 | sed 's/^/    c1 /'; probe6 c2 >/dev/null
# TCP over IPv6 from a real client: towards an upstream address, and the gateway's own link-local address.
check "ipv6: curl -6 to an upstream address fails within 5 s (c1)" \
  gs_fails_within 5 gs_in c1 curl -sS -6 --max-time 3 "http://[2001:db8::10]/"
check "ipv6: curl -6 to the gateway's fe80::1 port 9050 fails within 5 s (c2)" \
  gs_fails_within 5 gs_in c2 curl -sS -6 --max-time 3 "http://[fe80::1%eth0]:9050/"
sleep 1   # the last probes reach torgate's classifier
gs_capture_stop ipv6
on_tun=$(($(tun6_count 1) + $(tun6_count 4))); syn6=$(tun6_count 2); back6=$(tun6_count 3) own6=$(tun6_count 4)
tun6_count off
d1=$(v6drops)
echo "    IPv6 packets into tun0: $on_tun ($syn6 TCP SYNs; $own6 the gateway namespace's own);" \
  "torgate counted $((d1 - d0)) ipv6 drops"
check "ipv6: client IPv6 reached torgate through tun0 ($on_tun packets)" test "${on_tun:-0}" -gt 0
check "ipv6: torgate dropped and counted every one as ipv6 ($((d1 - d0)) = $on_tun)" test "$((d1 - d0))" = "$on_tun"
check "ipv6: TCP SYNs over IPv6 were among them ($syn6), and torgate answered no IPv6 packet ($back6)" \
  test "${syn6:-0}" -gt 0 -a "${back6:-x}" = 0

bash "$GS_LEAK" hole6client open c1
anti_capture anti-ipv6 probe6 c1
bash "$GS_LEAK" hole6client close c1
from6=$(pcap_count anti-ipv6 "ip6 and src host 2001:db8:137::11")
check "anti-test ipv6: with c1's IPv6 routed upstream the detector flags it" test "$(leaked_of "$ANTI_OUT")" -gt 0
check "anti-test ipv6: flagged packets include c1's own ($from6 from 2001:db8:137::11)" test "$from6" -gt 0
ipv6_route off
bash "$GS_LAB" gateway start >/dev/null 2>&1
check "after the IPv6 scenario: c1 fetches by name (1K, SHA-256 exact)" gs_sha_ok c1 1K.bin 60

check "lab down" bash "$GS_LAB" down
echo "    suite time: $((SECONDS - t_start)) s"
tg_summary 35-leak-races "(pcaps in $TG_STATE_DIR/leaks/)"
