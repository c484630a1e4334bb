#!/usr/bin/env bash
# Lab suite 36: operating torgate (issue 9) against a real session. Two client VMs download slowly through torgate;
# `torgate ctl streams --json` is read and every stream's circuit id is checked against the lab tor's own control
# port (GETINFO stream-status and circuit-status through tools/torctl.py), first over tor's Unix SocksPort (streams
# paired by isolation key) then over its TCP SocksPort (paired by SOURCE_ADDR). `ctl kill` resets one client's
# download (curl sees the reset) and is counted; `ctl newnym` closes the other client's circuits and its next
# stream uses a different circuit. status, clients and metrics (control socket and HTTP) are read too.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=../lib/gwsuite.sh
. "$here/lib/gwsuite.sh"
TG_LOG_TAG=suite-36
tg_need_root
check() { tg_check "$@"; }
WORK=$(mktemp -d /tmp/tg-ops.XXXXXX)
declare -A DL   # client -> pid of its slow download
stop_downloads() { local p; for p in "${DL[@]}"; do kill "$p" 2>/dev/null || true; done; DL=(); }
trap 'stop_downloads; gs_cleanup; rm -rf "$WORK"' EXIT
t_start=$SECONDS

gs_up 2 || { tg_summary 36-ops; exit 1; }
ST=$(dirname "$LAB_GATEWAY_CONFIG")
SOCK=$ST/control.sock
A1=$LAB_ADDR_1 A2=$LAB_ADDR_2
# shellcheck source=../../scripts/jdk.sh
. "$here/../scripts/jdk.sh" >/dev/null
ctl() { timeout 40 "$JAVA_HOME/bin/java" -jar "$ST/torgate.jar" ctl --socket "$SOCK" "$@"; }
torq() { timeout 20 "$TG_PY" "$here/tools/torctl.py" "$LAB_TOR_CONTROL" --cookie "$LAB_TOR_COOKIE" cmd "$@"; }
field() { "$TG_PY" "$here/tools/ctlstreams.py" field "$WORK/streams.json" "$1" "$2"; }
jq_py() { "$TG_PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }

# slow CLIENT: a 100M download at 200 KB/s in the background (cut at 120 s), its curl exit code to $WORK/CLIENT.rc.
# The file is large so that tor's stream stays open: the client's receive buffer holds only a few MB of it.
slow() {
  rm -f "$WORK/$1.rc"
  (rc=0; gs_in "$1" curl -sS --limit-rate 200k --max-time 120 -o /dev/null \
     "http://$TORNET_WEB_NAME/files/100M.bin" 2>"$WORK/$1.err" || rc=$?; echo "$rc" >"$WORK/$1.rc") &
  DL[$1]=$!
}
# streams_ready CLIENT...: ctl streams --json (saved) shows a relaying stream with a circuit for each CLIENT.
streams_ready() {
  local a
  ctl streams --json >"$WORK/streams.json" 2>"$WORK/ctl.err" || return 1
  for a in "$@"; do [ -n "$(field "$a" circuit)" ] || return 1; done
}
# tor_check [--by METHOD] CLIENT...: torgate's circuits against tor's control port.
tor_check() {
  torq "GETINFO stream-status" >"$WORK/stream-status" && torq "GETINFO circuit-status" >"$WORK/circuit-status" \
    && "$TG_PY" "$here/tools/ctlstreams.py" check "$WORK/streams.json" "$WORK/stream-status" \
      "$WORK/circuit-status" "$@"
}
rc_is() { [ -f "$WORK/$1.rc" ] && [ "$(cat "$WORK/$1.rc")" = "$2" ]; }

# Small client receive buffers (as suite 40): Linux hands a reader the bytes it already holds before a RST's
# error, so with the default tcp_rmem (MBs at 200 KB/s) curl would take tens of seconds to notice a kill; and a
# stream whose circuit tor closed ends only once the client has read what was relayed before.
for c in c1 c2; do gs_in "$c" sysctl -qw net.ipv4.tcp_rmem="4096 16384 32768"; done

# --- status over the control socket ---------------------------------------------------------------------------
check "ctl status --json: the lab tor's control port reports bootstrap 100%" \
  test "$(ctl status --json >"$WORK/status.json" && jq_py 'd["tor"]["bootstrap_percent"]' "$WORK/status.json")" = 100
ctl status | sed 's/^/    /'

# --- streams over tor's Unix SocksPort: paired by isolation key -----------------------------------------------
slow c1; slow c2
check "ctl streams --json shows both clients' downloads with circuits (within 30 s)" \
  tg_wait_until 30 "both streams with circuits" streams_ready "$A1" "$A2"
check "every circuit id and exit in ctl streams --json matches tor's control port (Unix SocksPort)" \
  tor_check --by isolation_key "$A1" "$A2"
ctl streams >"$WORK/streams.txt" && sed 's/^/    /' "$WORK/streams.txt"
check "ctl streams table lists both clients' relaying streams" \
  test "$(grep -cE "^ *[0-9]+ +($A1|$A2) .* relaying " "$WORK/streams.txt")" -ge 2

# --- kill: c1's download is reset, counted ----------------------------------------------------------------------
id1=$(field "$A1" id)
circ2=$(field "$A2" circuit)
check "ctl kill ${id1:-?} (c1's stream)" ctl kill "${id1:-0}"
check "c1's curl ends with a reset within 10 s (exit 56: recv failure)" tg_wait_until 10 "c1's curl to end" rc_is c1 56
sed 's/^/    c1 curl: /' "$WORK/c1.err" || true
ctl streams --json >"$WORK/after-kill.json" || true
check "the killed stream is gone from ctl streams" bash -c '! grep -q "\"id\":$1," "$2"' _ "${id1:-0}" \
  "$WORK/after-kill.json"
ctl status --json >"$WORK/status.json"
check "ctl status --json counts it: drops.killed = 1" test "$(jq_py 'd["drops"]["killed"]' "$WORK/status.json")" = 1
ctl clients --json >"$WORK/clients.json"
check "ctl clients --json: c1 shows the kill, bytes down and its profile" test "$(jq_py \
  '[c for c in d if c["client"] == "'"$A1"'" and c["drops_by_reason"].get("killed") == 1 and c["bytes_down"] > 0
    and c["profile"] == "default"] != []' "$WORK/clients.json")" = True
ctl clients | sed 's/^/    /'

# --- newnym: c2's circuits closed, its next stream on a new circuit ---------------------------------------------
ctl newnym "$A2" --json >"$WORK/newnym.json" || true
sed 's/^/    newnym: /' "$WORK/newnym.json"
check "ctl newnym $A2: epoch 1, at least one circuit closed" \
  test "$(jq_py 'd["epoch"] == 1 and (d["circuits_closed"] or 0) >= 1' "$WORK/newnym.json")" = True
check "c2's download on the closed circuit ends (within 15 s)" tg_wait_until 15 "c2's curl to end" test -f "$WORK/c2.rc"
slow c2
check "c2's next download gets a circuit (within 30 s)" tg_wait_until 30 "c2's new stream" streams_ready "$A2"
circ2b=$(field "$A2" circuit)
echo "    c2 circuit before newnym ${circ2:-?}, after ${circ2b:-?}"
check "after newnym c2's new stream uses a different circuit" test -n "$circ2b" -a "${circ2:-x}" != "$circ2b"
check "and it matches tor's control port" tor_check "$A2"
stop_downloads

# --- streams over tor's TCP SocksPort: paired by SOURCE_ADDR; metrics over HTTP ------------------------------------
bash "$GS_LAB" gateway start "TG_SOCKS_ENDPOINT=127.0.0.1:9050 TG_METRICS=127.0.0.1:9469 $(bash "$here/gateway.sh" cmd)"
check "gateway restarted with the TCP SocksPort; ctl answers (within 30 s)" \
  tg_wait_until 30 "ctl status" ctl status
slow c1; slow c2
check "ctl streams --json shows both downloads with circuits (TCP SocksPort, within 30 s)" \
  tg_wait_until 30 "both streams with circuits" streams_ready "$A1" "$A2"
check "every circuit id and exit matches tor's control port, paired by SOURCE_ADDR" \
  tor_check --by source_addr "$A1" "$A2"
ip netns exec "$LAB_GW_NS" curl -sS --max-time 10 http://127.0.0.1:9469/metrics >"$WORK/metrics.txt" || true
check "GET /metrics (127.0.0.1:9469 in the gateway namespace): per-client bytes for both clients" \
  test "$(grep -cE "^torgate_client_bytes_total\{client=\"($A1|$A2)\",name=\"[^\"]*\",direction=\"down\"\} [1-9]" \
    "$WORK/metrics.txt")" = 2
check "GET /metrics: SOCKS connect histogram counted the streams, tor bootstrap 100" \
  bash -c 'grep -qE "^torgate_socks_connect_seconds_count [1-9]" "$1" \
    && grep -qx "torgate_tor_bootstrap_percent 100" "$1"' \
  _ "$WORK/metrics.txt"
check "GET /metrics: the DNS answer latency histogram counted the clients' lookups (HELP, TYPE, +Inf = count)" \
  bash -c 'grep -qx "# TYPE torgate_dns_answer_seconds histogram" "$1" \
    && inf=$(sed -n "s/^torgate_dns_answer_seconds_bucket{le=\"+Inf\"} //p" "$1") \
    && [ "${inf:-0}" -ge 1 ] && grep -qx "torgate_dns_answer_seconds_count $inf" "$1"' _ "$WORK/metrics.txt"
check "ctl metrics serves the same families" \
  test "$(ctl metrics | grep -c '^# TYPE ')" = "$(grep -c '^# TYPE ' "$WORK/metrics.txt")"

# --- ctl reload: a broken file is refused with its errors and changes nothing; a good one is applied -----------
cp "$LAB_GATEWAY_CONFIG" "$WORK/torgate.toml.good"
printf '\n[bogus]\nx = 1\n' >>"$LAB_GATEWAY_CONFIG"
rc=0; ctl reload >"$WORK/reload.out" 2>"$WORK/reload.err" || rc=$?
sed 's/^/    reload: /' "$WORK/reload.err"
check "ctl reload of a broken file: exit 1, the error names file, line and key" \
  bash -c '[ "$1" = 1 ] && grep -qE "torgate\.toml:[0-9]+:[0-9]+: bogus: unknown section" "$2"' _ "$rc" \
  "$WORK/reload.err"
check "the running gateway goes on (downloads still relaying)" streams_ready "$A1" "$A2"
cp "$WORK/torgate.toml.good" "$LAB_GATEWAY_CONFIG"
check "ctl reload of the good file: applied" \
  bash -c 'timeout 40 "$1" -jar "$2" ctl --socket "$3" reload | grep -q "^reloaded: "' \
  _ "$JAVA_HOME/bin/java" "$ST/torgate.jar" "$SOCK"
stop_downloads

check "lab down" bash "$GS_LAB" down
echo "    suite time: $((SECONDS - t_start)) s"
tg_summary 36-ops
