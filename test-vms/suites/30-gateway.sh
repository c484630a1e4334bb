#!/usr/bin/env bash
# Lab suite 30: torgate as the lab's gateway. Two client VMs fetch by name with a plain curl (DNS answered by
# torgate, TCP through tun0, SOCKS to the lab's tor), SHA-256 exact for 1K/1M/10M/100M; dig from a client is
# answered by torgate (A in the test zone, AAAA and MX → NODATA with SOA as documented in DnsEngine, PTR, over
# TCP, NXDOMAIN for special-use and, in resolve mode, unknown names); different clients use different circuits
# (STREAM events). A leak capture on the upstream link runs through all of it: zero leaked packets while tor
# talks to relays. Then every probe of suite 20 with torgate running: zero leaks, and torgate still serves.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=../lib/gwsuite.sh
. "$here/lib/gwsuite.sh"
# shellcheck source=../lib/torstreams.sh
. "$here/lib/torstreams.sh"
TG_LOG_TAG=suite-30
tg_need_root
check() { tg_check "$@"; }
trap 'tg_streams_stop; gs_cleanup' EXIT
t_start=$SECONDS

gs_up 2 || { tg_summary 30-gateway; exit 1; }
gs_capture_start gw-traffic
tg_streams_start

# --- fetches by name through the transparent gateway ---------------------------------------------------------
declare -A circ tag
for c in c1 c2; do
  mark=$(tg_streams_mark)
  check "$c: plain curl http://$TORNET_WEB_NAME/ through torgate" \
    test "$(gs_in "$c" curl -sS --max-time 30 "http://$TORNET_WEB_NAME/")" = "hello from $TORNET_WEB_NAME"
  read -r circ[$c] tag[$c] _ < <(tg_streams_since "$mark" 80 | tail -n 1) || true
  echo "    $c: tor circuit ${circ[$c]:-?}, torgate isolation tag ${tag[$c]:-?}"
done
check "c1 and c2 streams seen on the tor client's control port" test -n "${circ[c1]:-}" -a -n "${circ[c2]:-}"
check "c1 and c2 used different circuits (${circ[c1]:-?} vs ${circ[c2]:-?})" test "${circ[c1]:-a}" != "${circ[c2]:-a}"
check "c1 and c2 carried different isolation tags" test "${tag[c1]:-a}" != "${tag[c2]:-a}"
check "c1: 1K SHA-256 exact" gs_sha_ok c1 1K.bin 30
check "c2: 1M SHA-256 exact (web2)" gs_sha_ok c2 1M.bin 60 "$TORNET_WEB2_NAME"
check "c1: 10M SHA-256 exact" gs_sha_ok c1 10M.bin 90
check "c2: 10M SHA-256 exact (web2)" gs_sha_ok c2 10M.bin 90 "$TORNET_WEB2_NAME"
check "c1: 100M SHA-256 exact (within 180 s)" gs_sha_ok c1 100M.bin 180

# --- DNS answered by torgate ----------------------------------------------------------------------------------
dig_c1() { gs_in c1 dig +time=3 +tries=2 "$@" 2>&1; }
status_of() { sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$1" | head -n 1; }
answers() { sed -n 's/.*ANSWER: \([0-9]*\),.*/\1/p' <<<"$1" | head -n 1; }
has_soa() { grep -qE '^[^;].*[[:space:]]IN[[:space:]]+SOA[[:space:]]' <<<"$1"; }
nodata() { [ "$(status_of "$1")" = NOERROR ] && [ "$(answers "$1")" = 0 ] && has_soa "$1"; }
nxdomain() { [ "$(status_of "$1")" = NXDOMAIN ] && has_soa "$1"; }
mapped_a() { # OUT ADDR: NOERROR from the gateway's address, a virtual address from 10.192.0.0/10
  [ "$(status_of "$1")" = NOERROR ] && [[ $1 == *"SERVER: $LAB_DNS1#53"* ]] && [[ $2 =~ ^10\.(19[2-9]|2[0-5][0-9])\. ]]
}
out=$(dig_c1 "$TORNET_WEB_NAME")
addr=$(awk '$4 == "A" {print $5}' <<<"$out" | head -n 1)
echo "    dig $TORNET_WEB_NAME -> ${addr:-none} ($(grep -o 'SERVER: [^ ]*' <<<"$out"))"
check "dig A $TORNET_WEB_NAME: NOERROR from $LAB_DNS1, a virtual address in 10.192.0.0/10 (mapped mode)" \
  mapped_a "$out" "$addr"
check "dig AAAA: NODATA (NOERROR, no answer, SOA)" nodata "$(dig_c1 AAAA "$TORNET_WEB_NAME")"
check "dig MX $TORNET_ZONE: NODATA with SOA (documented: torgate answers only A and PTR)" \
  nodata "$(dig_c1 MX "$TORNET_ZONE")"
check "dig -x of the virtual address: PTR $TORNET_WEB_NAME" \
  test "$(gs_in c1 dig +short +time=3 +tries=2 -x "${addr:-0.0.0.0}")" = "$TORNET_WEB_NAME."
check "dig -x $TORNET_WEB_IP: PTR $TORNET_WEB_NAME (RESOLVE_PTR through tor)" \
  test "$(gs_in c1 dig +short +time=5 +tries=2 -x "$TORNET_WEB_IP")" = "$TORNET_WEB_NAME."
check "dig +tcp A $TORNET_WEB_NAME @$LAB_DNS2: the same virtual address" \
  test "$(gs_in c2 dig +tcp +short +time=3 +tries=2 "@$LAB_DNS2" "$TORNET_WEB_NAME")" = "${addr:-x}"
check "dig host.invalid: NXDOMAIN with SOA (RFC 6761, answered locally)" nxdomain "$(dig_c1 host.invalid)"

# --- mapped mode across a torgate restart: the same address, and it still carries the name --------------------
bash "$GS_LAB" gateway start >/dev/null 2>&1   # SIGTERM (the map is saved), then a new torgate loads it
check "restart: torgate came back with its map ($(wc -l <"$LAB_GATEWAY_STATE/dns-map" 2>/dev/null || echo 0) names)" \
  test -s "$LAB_GATEWAY_STATE/dns-map"
# Before any query reaches the new torgate (addresses are handed out in order, so a query first could get the
# same address from an empty map): a connection to the old address must find the name in the loaded map.
mark=$(tg_streams_mark)
check "restart: curl http://${addr:-?}/ (the address alone, no DNS) gets $TORNET_WEB_NAME's page" \
  test "$(gs_in c1 curl -sS --max-time 30 "http://${addr:-0.0.0.0}/")" = "hello from $TORNET_WEB_NAME"
read -r _ _ target < <(tg_streams_since "$mark" 80 | tail -n 1) || true
check "restart: that connection carried the hostname to tor (STREAM target ${target:-none})" \
  test "${target:-}" = "$TORNET_WEB_NAME:80"
check "restart: dig A $TORNET_WEB_NAME gives the same virtual address ${addr:-?}" \
  test "$(gs_lookup c2 "$TORNET_WEB_NAME")" = "${addr:-x}"
check "mapped name that does not exist: the connection fails within 30 s (exit says NXDOMAIN)" \
  gs_fails_within 30 gs_in c1 curl -sS --max-time 40 "http://nope.$TORNET_ZONE/"

tg_streams_stop
gs_capture_stop gw-traffic
check "scenario gw-traffic: the capture saw tor talking to relays (allowed ${GS_ALLOWED:-0} > 0)" \
  test "${GS_ALLOWED:-0}" -gt 0

# --- resolve mode: A from the exit, NXDOMAIN for unknown names --------------------------------------------------
bash "$GS_LAB" gateway start "TG_DNS_MODE=resolve $(bash "$here/gateway.sh" cmd)"
gs_capture_start gw-resolve
tg_streams_start
# curl by name: torgate answers the client's query with a SOCKS RESOLVE carrying that client's credentials (the
# same client tag as its TCP streams); the other client's RESOLVE of the same name carries its own.
declare -A rtag stag
for c in c1 c2; do
  mark=$(tg_streams_mark)
  check "resolve mode: $c: plain curl http://$TORNET_WEB2_NAME/ through torgate" \
    test "$(gs_in "$c" curl -sS --max-time 30 "http://$TORNET_WEB2_NAME/")" = "hello from $TORNET_WEB2_NAME"
  read -r _ stag[$c] _ < <(tg_streams_since "$mark" 80 | tail -n 1) || true
  tags=$(tg_resolves_since "$mark" "$TORNET_WEB2_NAME" | awk '{print $2}' | sort -u | xargs) || true
  rtag[$c]=$tags
  echo "    $c: RESOLVE $TORNET_WEB2_NAME with client tag(s) ${tags:-none}; its TCP stream's tag ${stag[$c]:-?}"
  check "resolve mode: $c's query went through tor's RESOLVE with $c's credentials only" \
    test -n "${stag[$c]:-}" -a "${rtag[$c]}" = "${stag[$c]:-x}"
done
check "resolve mode: c1's and c2's RESOLVEs carried different credentials" test "${rtag[c1]}" != "${rtag[c2]}"
tg_streams_stop
check "resolve mode: dig A $TORNET_WEB_NAME = $TORNET_WEB_IP" \
  test "$(gs_in c1 dig +short +time=5 +tries=2 "$TORNET_WEB_NAME")" = "$TORNET_WEB_IP"
check "resolve mode: dig nope.$TORNET_ZONE: NXDOMAIN with SOA" \
  nxdomain "$(gs_in c1 dig +time=5 +tries=2 "nope.$TORNET_ZONE" 2>&1)"
check "resolve mode: c2 fetches 1M by name, SHA-256 exact" gs_sha_ok c2 1M.bin 60
gs_capture_stop gw-resolve
bash "$GS_LAB" gateway start

# --- the probes of suite 20 with torgate running --------------------------------------------------------------
targets=("$TORNET_WEB_IP" "$TORNET_DNS_IP" "$TORNET_RELAY_IP" "$LAB_UP_NET_IP" "$LAB_GW_ADDR" "$LAB_DNS1" 8.8.8.8
         192.168.1.1)
probe() { gs_in "$1" timeout 60 "$TG_PY" "$here/tools/probe.py" --only "$2" "${targets[@]}"; }
# The drop reason torgate must count for each kind (torgate ctl status; issue #4). TCP: the ports of its own DNS
# address other than 53; broadcast: what reaches tun0 is UDP to subnet broadcasts (255.255.255.255 and multicast
# stay in the gateway namespace). dns is answered, allports meets the SYN caps and SOCKS refusals, ipv6 has no
# route here (suite 35 routes it into tun0).
declare -A reason=([tcp]=to_gateway [udp]=udp_port [icmp]=icmp [proto]=protocol [badtcp]=no_flow [frag]=fragment
                   [spoof]=spoofed_source [bcast]=udp_port)
for k in tcp allports udp dns icmp proto badtcp frag spoof bcast ipv6; do
  r=${reason[$k]:-}
  [ -z "$r" ] || n0=$(gs_drops "$r")
  gs_capture_start "gw-probe-$k"
  probe c1 "$k" | sed 's/^/    c1 /'; probe c2 "$k" >/dev/null
  gs_capture_stop "gw-probe-$k"
  if [ -n "$r" ]; then
    n1=$(gs_drops "$r")
    check "gw-probe-$k: torgate counted the drops as $r (+$((n1 - n0)))" test "$n0" -ge 0 -a "$n1" -gt "$n0"
  fi
done
check "after the probes torgate still runs" tg_pid_alive "$LAB_GATEWAY_PIDFILE" ""
check "after the probes: c2 fetches by name, SHA-256 exact" gs_sha_ok c2 1M.bin 60

check "lab down" bash "$GS_LAB" down
echo "    suite time: $((SECONDS - t_start)) s"
tg_summary 30-gateway "(pcaps in $TG_STATE_DIR/leaks/)"
