#!/usr/bin/env bash
# Shows that the lab works: each client VM fetches a page by name with a plain `curl http://NAME/` — DNS
# answered by the gateway (torgate) on 10.139.1.1, the TCP connection routed into tun0, carried by torgate to
# the lab's tor client over SOCKS — and the tor client's control port tells which circuit each client's stream
# used (lib/torstreams.sh). Then torgate's own view: its open streams (each client holding a slow download) with
# their circuits, its counters (drops by reason) and its per-client table, through its control socket.
# Needs `lab.sh up` (with its default gateway).
# With --socks, the clients use the lab tor's SocksPort (10.137.0.1:9050) instead (a lab without a gateway).
# Exit 0 only when every client got the page and no two clients shared a circuit.
# Usage: demo.sh [--socks] [CLIENT...]   (default: c1 c2)
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=lib/torstreams.sh
. "$TG_VMS_DIR/lib/torstreams.sh"
TG_LOG_TAG=demo
eval "$(bash "$TG_VMS_DIR/lab.sh" env)"
eval "$(bash "$TG_VMS_DIR/tornet.sh" --ns "$LAB_NET_NS" env)"
socks=0
[ "${1:-}" = --socks ] && { socks=1; shift; }
[ $# -gt 0 ] || set -- c1 c2
if [ "$socks" = 0 ] && ! ip -n "$LAB_GW_NS" link show "$LAB_TUN" >/dev/null 2>&1; then
  tg_die "no $LAB_TUN in $LAB_GW_NS: no gateway runs (lab.sh gateway start, or demo.sh --socks)"
fi
trap tg_streams_stop EXIT
tg_streams_start

declare -A circ_of tag_of
order=()
status=0
names=("$TORNET_WEB_NAME" "$TORNET_WEB2_NAME")
i=0
for c in "$@"; do
  ns=$LAB_CLIENT_PREFIX${c#c}
  addr=$(ip -n "$ns" -4 -br addr show dev eth0 | awk '{print $3}'); addr=${addr%/32}
  name=${names[$((i % 2))]}; i=$((i + 1))
  url="http://$name/"
  via=() shown="curl $url"
  if [ "$socks" = 1 ]; then
    via=(--socks5-hostname "$LAB_TOR_SOCKS_TCP"); shown="curl --socks5-hostname $LAB_TOR_SOCKS_TCP $url"
  fi
  mark=$(tg_streams_mark)
  if body=$(ip netns exec "$ns" curl -sS --max-time 30 "${via[@]}" "$url" 2>&1); then
    echo "  $ns ($addr): $shown -> \"$body\""
  else
    echo "  $ns ($addr): $shown FAILED: $body"; status=1; continue
  fi
  if [ "$socks" = 0 ]; then
    answer=$(ip netns exec "$ns" dig +short +time=2 +tries=1 "$name" 2>/dev/null | head -n 1)
    echo "      (name answered by the gateway: $answer, a virtual address that tun0 carries to torgate)"
  fi
  read -r circ tag _ < <(tg_streams_since "$mark" 80 | tail -n 1) || true
  circ_of[$ns]=${circ:-?} tag_of[$ns]=${tag:-?}; order+=("$ns")
done

echo
echo "Circuits used (STREAM events from the tor client's control port; path from GETINFO circuit-status):"
seen=""
for ns in "${order[@]}"; do
  c=${circ_of[$ns]}
  path=$(tg_circuit_path "$c")
  if [ "$socks" = 0 ]; then echo "  $ns: circuit $c: ${path:-(closed)}   (torgate isolation tag ${tag_of[$ns]})"
  else echo "  $ns: circuit $c: ${path:-(closed)}"; fi
  if [ "$c" = "?" ]; then echo "  (no stream of $ns seen on the control port)"; status=1
  elif [[ " $seen " == *" $c "* ]]; then echo "  (circuit $c is shared: isolation FAILED)"; status=1; fi
  seen="$seen $c"
done
[ "$status" = 0 ] && echo "  -> different circuits for different client VMs (asserted; with 7 relays two circuits may" \
  "share a path, never a circuit)."
if [ "$socks" = 0 ]; then
  # A slow download per client (bounded: 20 s at most, ended below), so torgate's stream table has open streams.
  slow=()
  for c in "$@"; do
    ip netns exec "$LAB_CLIENT_PREFIX${c#c}" curl -s --max-time 20 --limit-rate 100k -o /dev/null \
      "http://${names[0]}/files/100M.bin" &
    slow+=($!)
  done
  sleep 3
  echo
  echo "Open streams now (torgate ctl streams; each client VM is downloading a file slowly):"
  bash "$TG_VMS_DIR/lab.sh" gateway ctl streams 2>&1 | sed 's/^/  /' || true
  kill "${slow[@]}" 2>/dev/null || true
  wait "${slow[@]}" 2>/dev/null || true
  echo
  echo "Gateway counters (torgate ctl status and clients; tun0's kernel counters):"
  bash "$TG_VMS_DIR/lab.sh" gateway counters | sed '/^torgate ctl streams/,$d; s/^/  /'
fi
exit "$status"
