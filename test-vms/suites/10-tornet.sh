#!/usr/bin/env bash
# Lab suite 10: the private Tor network. From a clean slate: `tornet.sh up` returns within its bound with a
# working network; a client tor in the root namespace fetches files by name through an exit, byte-exact
# (SHA-256); tor's RESOLVE and RESOLVE_PTR answer from the test zone at the exit; streams with different SOCKS
# credentials get different circuits; `tornet.sh down` leaves no namespace, link, route, process or run dir.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../lib/common.sh
. "$here/lib/common.sh"
TG_LOG_TAG=suite-10
tg_need_root
# The suites' own instance: a developer's network (tg-net) keeps running alongside.
export TORNET_NS=${TORNET_NS:-tgs-net}
T=$here/tornet.sh
check() { tg_check "$@"; }
trap 'bash "$T" down >/dev/null 2>&1 || true' EXIT

bash "$T" down >/dev/null 2>&1 || true
t0=$SECONDS
check "tornet up (bootstrap 100% and a CONNECT through an exit) within 240 s" \
  timeout --kill-after=10 240 bash "$T" up --client --timeout 200
echo "  (up took $((SECONDS - t0)) s)"
eval "$(bash "$T" env)"
check "status reports up" bash -c "bash '$T' status >/dev/null"

socks=$TORNET_CLIENT_SOCKS_TCP
fetch_sha() { # NAME FILE USER -> sha256 of the body
  curl -sS --max-time 60 --socks5-hostname "$socks" --proxy-user "$3:x" "http://$1/files/$2" | sha256sum | cut -d' ' -f1
}
want() { awk -v f="./$1" '$2 == f {print $1}' "$TORNET_FILES_SHA256SUMS"; }
for f in 1K.bin 1M.bin 10M.bin; do
  check "fetch http://$TORNET_WEB_NAME/files/$f through an exit, SHA-256 exact" \
    test "$(fetch_sha "$TORNET_WEB_NAME" "$f" "u-$f")" = "$(want "$f")"
done
check "fetch from $TORNET_WEB2_NAME by name" \
  test "$(curl -sS --max-time 30 --socks5-hostname "$socks" "http://$TORNET_WEB2_NAME/")" \
  = "hello from $TORNET_WEB2_NAME"
check "tor RESOLVE of $TORNET_WEB_NAME at the exit gives $TORNET_WEB_IP" \
  test "$(timeout 30 tor-resolve -5 "$TORNET_WEB_NAME" "$socks" 2>/dev/null)" = "$TORNET_WEB_IP"
check "tor RESOLVE_PTR of $TORNET_WEB2_IP gives $TORNET_WEB2_NAME" \
  test "$(timeout 30 tor-resolve -5 -x "$TORNET_WEB2_IP" "$socks" 2>/dev/null)" = "$TORNET_WEB2_NAME"
check "tor RESOLVE of a name outside the zone fails" \
  bash -c "! timeout 30 tor-resolve -5 nope.$TORNET_ZONE $socks >/dev/null 2>&1"

# Isolation is observable on the control port: different SOCKS credentials -> different circuits.
circuit_of_user() { # USER -> circuit id of its stream (from GETINFO stream-status is too short-lived: use events)
  local ev
  ev=$(mktemp)
  "$TG_PY" "$here/tools/torctl.py" "$TORNET_CLIENT_CONTROL" --cookie "$TORNET_CLIENT_COOKIE" \
    events STREAM 30 "SUCCEEDED.*SOCKS_USERNAME=\"$1\"" >"$ev" &
  local w=$!
  sleep 0.3
  curl -sS --max-time 30 --socks5-hostname "$socks" --proxy-user "$1:pw" "http://$TORNET_WEB_NAME/" >/dev/null || true
  wait "$w" || true
  awk -v u="SOCKS_USERNAME=\"$1\"" '$4 == "SUCCEEDED" && index($0, u) {print $5}' "$ev" | tail -n 1
  rm -f "$ev"
}
ca=$(circuit_of_user alice); cb=$(circuit_of_user bob); ca2=$(circuit_of_user alice)
echo "  (circuits: alice=$ca bob=$cb alice again=$ca2)"
check "different SOCKS credentials use different circuits" test -n "$ca" -a -n "$cb" -a "$ca" != "$cb"
check "the same SOCKS credentials reuse their circuit" test -n "$ca2" -a "$ca" = "$ca2"

t1=$SECONDS
check "tornet down" bash "$T" down
echo "  (down took $((SECONDS - t1)) s)"
no_leftovers() {
  local p cmd
  tg_netns_exists "$TORNET_NS" && { echo "    namespace $TORNET_NS left"; return 1; }
  ip link show "$TORNET_ROOT_IF" >/dev/null 2>&1 && { echo "    link $TORNET_ROOT_IF left"; return 1; }
  [ -n "$(ip route show "$TORNET_SVC_NET")$(ip route show "$TORNET_RELAY_NET")" ] \
    && { echo "    route left"; return 1; }
  [ -e "/run/torgate-lab/tornet-$TORNET_NS" ] && { echo "    run dir left"; return 1; }
  for p in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    [[ $cmd == *"$TORNET_STATE/"* ]] && { echo "    process left: ${p#/proc/} $cmd"; return 1; }
  done
  return 0
}
check "down leaves no namespace, link, route, run dir or process" no_leftovers

tg_summary 10-tornet
