#!/usr/bin/env bash
# Shows that the lab works: each client VM fetches a page by name through the lab's tor client, and the
# control port tells which circuit each stream used (STREAM events carry the client's source address).
# Needs `lab.sh up`. Exit 0 only when every client got the page and the clients used different circuits.
# Usage: demo.sh [CLIENT...]   (default: c1 c2)
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
TG_LOG_TAG=demo
eval "$(bash "$TG_VMS_DIR/lab.sh" env)"
eval "$(bash "$TG_VMS_DIR/tornet.sh" --ns "$LAB_NET_NS" env)"
[ $# -gt 0 ] || set -- c1 c2
ctl() { "$TG_PY" "$TG_VMS_DIR/tools/torctl.py" "$LAB_TOR_CONTROL" --cookie "$LAB_TOR_COOKIE" "$@"; }

events=$(mktemp /tmp/tg-demo-events.XXXXXX)
trap 'rm -f "$events"; [ -n "${watcher:-}" ] && kill "$watcher" 2>/dev/null; true' EXIT
"$TG_PY" "$TG_VMS_DIR/tools/torctl.py" "$LAB_TOR_CONTROL" --cookie "$LAB_TOR_COOKIE" events STREAM 60 >"$events" &
watcher=$!
sleep 0.5

declare -A circ_of
order=()
status=0
names=("$TORNET_WEB_NAME" "$TORNET_WEB2_NAME")
i=0
for c in "$@"; do
  ns=$LAB_CLIENT_PREFIX${c#c}
  addr=$(ip -n "$ns" -4 -br addr show dev eth0 | awk '{print $3}'); addr=${addr%/32}
  name=${names[$((i % 2))]}; i=$((i + 1))
  url="http://$name/"
  if body=$(ip netns exec "$ns" curl -sS --max-time 30 --socks5-hostname "$LAB_TOR_SOCKS_TCP" "$url" 2>&1); then
    echo "  $ns ($addr): curl --socks5-hostname $LAB_TOR_SOCKS_TCP $url -> \"$body\""
  else
    echo "  $ns ($addr): FAILED: $body"; status=1; continue
  fi
  # "650 STREAM <id> NEW 0 <target> SOURCE_ADDR=<client>:<port>", later "650 STREAM <id> SUCCEEDED <circuit>"
  # (control-spec 4.1.2): the client's address is only on NEW, the circuit only from SENTCONNECT on.
  for _ in $(seq 1 20); do
    circ=$(awk -v a="SOURCE_ADDR=$addr:" '$4 == "NEW" && index($0, a) { s = $3 }
      s != "" && $3 == s && $4 == "SUCCEEDED" { c = $5 } END { print c }' "$events")
    [ -n "$circ" ] && break
    sleep 0.25
  done
  circ_of[$ns]=${circ:-?}; order+=("$ns")
done
kill "$watcher" 2>/dev/null || true; wait "$watcher" 2>/dev/null || true; watcher=""

circuits=$(ctl cmd "GETINFO circuit-status")
echo
echo "Circuits used (from the tor client's control port, GETINFO circuit-status):"
seen=""
for ns in "${order[@]}"; do
  c=${circ_of[$ns]}
  path=$(awk -v id="$c" '$1 == id { print $3 }' <<<"$circuits" | sed -E 's/\$[0-9A-F]+~//g; s/,/ -> /g')
  echo "  $ns: circuit $c: ${path:-(closed)}"
  if [ "$c" = "?" ]; then status=1
  elif [[ " $seen " == *" $c "* ]]; then echo "  (circuit $c is shared: isolation failed)"; status=1; fi
  seen="$seen $c"
done
[ "$status" = 0 ] && echo "  -> one circuit per client VM (tor's IsolateClientAddr;" \
  "with 7 relays two circuits may share a path)."
exit "$status"
