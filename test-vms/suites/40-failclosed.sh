#!/usr/bin/env bash
# Lab suite 40: torgate fails closed. A capture on the upstream link runs through each scenario (zero leaked
# packets), and clients see errors within a bound, never a hang:
#   kill9   kill -9 of torgate during ~100 active flows (two clients, rate-limited curls of the 100M file): tun0
#           goes with the process, table 100 falls back to `unreachable`; every transfer ends in an error within
#           its stall bound (nobody is left to send a RST: the client's own --speed-time is what ends it), new
#           connections fail at once (ICMP unreachable from the gateway namespace, never upstream);
#   tundel  tun0 deleted under a running torgate: new connections fail at once, nothing leaks, and torgate exits
#           by itself with the cause in its log (a gateway that no longer reads must not stay up silently:
#           outside systemd nothing would restart it; MainLabTest asserts its exit code 1);
#   torstop the lab's tor client stopped: torgate answers a SYN with RST and a PTR query through tor with
#           SERVFAIL, quickly; nothing leaks.
# After each, a restarted gateway (and tor) serves a fetch by name again, SHA-256 exact. Each scenario runs
# FC_ROUNDS times (default 2).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=../lib/gwsuite.sh
. "$here/lib/gwsuite.sh"
TG_LOG_TAG=suite-40
tg_need_root
check() { tg_check "$@"; }
work=$(mktemp -d /tmp/tgs-suite40.XXXXXX)
trap 'gs_cleanup; rm -rf "$work"' EXIT
t_start=$SECONDS
FLOWS_PER_CLIENT=50
FC_ROUNDS=${FC_ROUNDS:-2}   # every scenario runs this many times
STALL=10          # curl --speed-time: a transfer (rate-limited to 20 KB/s) that moves < 10 KB/s this long fails

gs_up 2 || { tg_summary 40-failclosed; exit 1; }
url="http://$TORNET_WEB_NAME/files/100M.bin"
established() { # established TCP connections of both clients to port 80
  local n=0 c
  for c in c1 c2; do n=$((n + $(gs_in "$c" ss -Htn state established '( dport = :80 )' | wc -l))); done
  echo "$n"
}
unreachable_fallback() { ! ip -n "$LAB_GW_NS" route show table "$LAB_TABLE" | grep -q "$LAB_TUN"; }
fetch_again() { # DESCRIPTION: after a restart, a fetch by name works
  check "$1: a fetch by name works again (1M, SHA-256 exact)" gs_sha_ok c1 1M.bin 60
}

# --- kill9 ----------------------------------------------------------------------------------------------------
scenario_kill9() {
  local round=$1
  # One fetch per client first: the flows then join a built circuit instead of all waiting for the first one.
  check "kill9#$round: warm-up fetch from c1" gs_sha_ok c1 1K.bin 60
  check "kill9#$round: warm-up fetch from c2" gs_sha_ok c2 1K.bin 60
  gs_capture_start fc-kill9-$round
  declare -A loader
  targets=(); for _ in $(seq 1 "$FLOWS_PER_CLIENT"); do targets+=(-o /dev/null "$url"); done
  for c in c1 c2; do
    # One lookup through torgate, then --resolve: 50 parallel lookups (A and AAAA each) would meet torgate's DNS
    # rate limit (a burst of 100 per client), and this scenario is about TCP flows.
    addr=$(gs_lookup "$c" "$TORNET_WEB_NAME")
    # Small receive buffers: curl --limit-rate reads slowly, and what the socket buffered before the kill (megabytes
    # with the default tcp_rmem) would keep the transfer "moving" long after torgate died.
    gs_in "$c" sysctl -qw net.ipv4.tcp_rmem="4096 16384 32768"
    # One line per transfer: "exitcode seconds". --limit-rate keeps every flow active (not finished) at little
    # CPU; --max-time bounds the run even if the stall detection failed.
    # --parallel-immediate: otherwise curl waits for the first connection to a host, hoping to reuse it.
    gs_in "$c" curl -s -Z --parallel-immediate --parallel-max "$FLOWS_PER_CLIENT" --limit-rate 20k \
      --speed-limit 10000 --speed-time "$STALL" --max-time 120 -w '%{exitcode} %{time_total}\n' \
      --resolve "$TORNET_WEB_NAME:80:$addr" "${targets[@]}" >"$work/$c.out" 2>/dev/null &
    loader[$c]=$!
  done
  wanted=$((2 * FLOWS_PER_CLIENT * 9 / 10))
  enough_flows() { [ "$(established)" -ge "$wanted" ]; }
  check "kill9#$round: at least $wanted of $((2 * FLOWS_PER_CLIENT)) flows established through torgate within 60 s" \
    tg_wait_until 60 "$wanted flows" enough_flows
  for c in c1 c2; do
    states=$(gs_in "$c" ss -Htan '( dport = :80 )' | awk '{print $1}' | sort | uniq -c | xargs)
    echo "    $c TCP states to port 80: $states"
  done
  echo "    $(established) flows established; kill -9 torgate (pid $(cat "$LAB_GATEWAY_PIDFILE"))"
  t_kill=$SECONDS
  kill -9 "$(cat "$LAB_GATEWAY_PIDFILE")"
  check "kill9#$round: tun0 is gone and table $LAB_TABLE falls back to unreachable (within 5 s)" \
    tg_wait_until 5 "fallback" unreachable_fallback
  check "kill9#$round: a new connection fails within 5 s" \
    gs_fails_within 5 gs_in c1 curl -sS --max-time 30 "http://$TORNET_WEB_NAME/"
  for c in c1 c2; do wait "${loader[$c]}" || true; done
  waited=$((SECONDS - t_kill))
  echo "    all transfers ended $waited s after the kill (stall bound $STALL s)"
  check "kill9#$round: every transfer ended within $((STALL + 20)) s of the kill (no hang)" \
    test "$waited" -le $((STALL + 20))
  for c in c1 c2; do
    n=$(wc -l <"$work/$c.out"); bad=$(awk '$1 != 0' "$work/$c.out" | wc -l)
    codes=$(cut -d' ' -f1 "$work/$c.out" | sort | uniq -c | xargs)
    echo "    $c: $n transfers, $bad ended in an error (exit codes, count code: $codes)"
    check "kill9#$round: $c's $FLOWS_PER_CLIENT transfers all ended in an error" \
      test "$n" = "$FLOWS_PER_CLIENT" -a "$bad" = "$FLOWS_PER_CLIENT"
  done
  gs_capture_stop fc-kill9-$round
  bash "$GS_LAB" gateway start
  fetch_again "kill9#$round"
}

# --- tundel ---------------------------------------------------------------------------------------------------
scenario_tundel() {
  local round=$1
  gs_capture_start fc-tundel-$round
  local gw_pid; gw_pid=$(cat "$LAB_GATEWAY_PIDFILE")
  ip -n "$LAB_GW_NS" link del "$LAB_TUN"
  check "tundel#$round: table $LAB_TABLE falls back to unreachable" tg_wait_until 5 "fallback" unreachable_fallback
  check "tundel#$round: torgate exits by itself within 10 s" tg_wait_until 10 "torgate to exit" \
    bash -c "! kill -0 $gw_pid"
  check "tundel#$round: torgate's log names the cause (the thread reading $LAB_TUN died)" \
    grep -qE "packet path stopped: (torgate-tun-reader(-[0-9]+)?|torgate-shard-[0-9]+) died: .*TUN $LAB_TUN read failed" "$LAB_GATEWAY_LOG"
  grep -E "packet path stopped|torgate: exiting" "$LAB_GATEWAY_LOG" | sed 's/^/    log: /'
  check "tundel#$round: a new connection fails within 5 s" \
    gs_fails_within 5 gs_in c1 curl -sS --max-time 30 "http://$TORNET_WEB_NAME/"
  check "tundel#$round: DNS gets no answer within 5 s (nothing reaches a resolver)" \
    gs_fails_within 5 gs_in c2 dig +time=2 +tries=1 "$TORNET_WEB2_NAME"
  gs_in c1 "$TG_PY" "$here/tools/probe.py" --only tcp,udp,icmp "$TORNET_WEB_IP" 8.8.8.8 >/dev/null
  gs_capture_stop fc-tundel-$round
  bash "$GS_LAB" gateway start
  fetch_again "tundel#$round"
}

# --- torstop --------------------------------------------------------------------------------------------------
scenario_torstop() {
  local round=$1
  gs_capture_start fc-torstop-$round
  tor_pid=$(cat "$LAB_TOR_PIDFILE")
  kill -TERM "$tor_pid"
  check "torstop#$round: the lab's tor client exited" tg_wait_until 15 "tor to exit" bash -c "! kill -0 $tor_pid"
  check "torstop#$round: curl by name fails within 5 s (torgate answers the SYN with RST)" \
    gs_fails_within 5 gs_in c1 curl -sS --max-time 30 "http://$TORNET_WEB2_NAME/"
  rc=0; out=$(gs_in c1 curl -sS --max-time 30 "http://$TORNET_WEB2_NAME/" 2>&1) || rc=$?
  echo "    curl (exit $rc) says: $out"
  # Exit 7 is a refused connection (a RST to the SYN, or ICMP unreachable); with tun0 up and torgate running, the
  # only one who can refuse is torgate.
  refused_by_torgate() {
    [ "$rc" = 7 ] && ip -n "$LAB_GW_NS" link show "$LAB_TUN" >/dev/null 2>&1 && tg_pid_alive "$LAB_GATEWAY_PIDFILE" ""
  }
  check "torstop#$round: the connection was refused by torgate (curl exit 7, tun0 up, torgate running)" \
    refused_by_torgate
  t0=$SECONDS
  out=$(gs_in c2 dig +time=4 +tries=1 -x "$TORNET_WEB2_IP" 2>&1 || true)
  echo "    dig -x $TORNET_WEB2_IP: $(sed -n 's/.*\(status: [A-Z]*\).*/\1/p' <<<"$out") in $((SECONDS - t0)) s"
  check "torstop#$round: a PTR query through tor is answered SERVFAIL within 5 s" \
    bash -c "[[ '$(grep -o 'status: [A-Z]*' <<<"$out")' == 'status: SERVFAIL' ]] && [ $((SECONDS - t0)) -le 5 ]"
  gs_capture_stop fc-torstop-$round
  check "torstop#$round: lab up restarts tor and torgate (within 180 s)" \
    timeout --kill-after=10 180 bash "$GS_LAB" up --clients 2
  fetch_again "torstop#$round"
}

# Each scenario runs FC_ROUNDS times (issue 7: "repeated"): a fail-closed property that held once by luck (a
# timing window, state left over from the previous scenario) has to hold every time.
for round in $(seq 1 "$FC_ROUNDS"); do
  scenario_kill9 "$round"
  scenario_tundel "$round"
  scenario_torstop "$round"
done

check "lab down" bash "$GS_LAB" down
echo "    suite time: $((SECONDS - t_start)) s"
tg_summary 40-failclosed "(pcaps in $TG_STATE_DIR/leaks/)"
