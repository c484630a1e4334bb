#!/usr/bin/env bash
# Lab suite 60: per-client policy (issue 9) with torgate as the gateway of two clients, c1 named alice and c2
# named bob in [[clients]], every change made by rewriting the gateway's configuration and sending SIGHUP:
#   reload  alice and bob both download by name; bob's firewall is changed to drop the web server's name and the
#           gateway reloads mid-download: alice's download completes SHA-256 exact, bob's stream is reset at the
#           reload (the reload says "1 flow(s) reset"), bob's new connections to that name are refused at once
#           while another name still works for him, alice is untouched, and `torgate ctl clients --json` counts
#           bob's firewall_reset and firewall refusals and nothing for alice;
#   badcfg  a configuration that fails validation is refused with file:line:key in the log and changes nothing;
#   limit   bob gets streams = 2 and profile = "browser": of his 6 parallel slow downloads 2 complete and 4 are
#           refused at once (stream_limit_client), while alice's 6 parallel downloads all complete SHA-256 exact;
#           `ctl clients` shows bob's streams with the browser isolation profile, alice's with the default;
#   restart through `torgate ctl reload --json`: a changed [tun] mtu is reported as needing a restart (the TUN
#           keeps its MTU), the policy change applies.
# Own lab prefix (tgp) unless LAB_PREFIX is set; the lab and its Tor network are taken down at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export LAB_PREFIX=${LAB_PREFIX:-tgp}
# shellcheck source=../lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=../lib/gwsuite.sh
. "$here/lib/gwsuite.sh"
TG_LOG_TAG=suite-60
tg_need_root
check() { tg_check "$@"; }
work=$(mktemp -d /tmp/tgp-suite60.XXXXXX)
trap 'gs_cleanup; rm -rf "$work"' EXIT
t_start=$SECONDS

gs_up 2 || { tg_summary 60-policy; exit 1; }
# tun0 exists before the gateway has finished starting; its first SIGHUP must find it running.
check "torgate logged 'running' (start-up done) within 60 s" \
  tg_wait_until 60 "torgate's start-up" grep -q "torgate: running on" "$LAB_GATEWAY_LOG"
st=$(dirname "$LAB_GATEWAY_CONFIG")
cp "$LAB_GATEWAY_CONFIG" "$work/base.toml"
. "$here/../scripts/jdk.sh" >/dev/null
ALICE=$LAB_ADDR_1
BOB=$LAB_ADDR_2
web=$TORNET_WEB_NAME

# policy EXTRA: the lab's configuration plus the two named clients and EXTRA (TOML appended after them).
policy() {
  { cat "$work/base.toml"; cat <<EOF

[[clients]]
name = "alice"
range = "$ALICE"

[[clients]]
name = "bob"
range = "$BOB"
$1
EOF
  } >"$LAB_GATEWAY_CONFIG"
}

reloads() { grep -c "$1" "$LAB_GATEWAY_LOG" || true; }
more_reloads() { [ "$(reloads "$RELOAD_WHAT")" -gt "$RELOAD_BEFORE" ]; }
# reload WHAT: SIGHUP to torgate, then waits (10 s) for one more log line with WHAT ("reloaded:" for a reload that
# took, "refused" for one that did not); prints it.
reload() {
  RELOAD_WHAT=$1
  RELOAD_BEFORE=$(reloads "$1")
  kill -HUP "$(cat "$LAB_GATEWAY_PIDFILE")"
  tg_wait_until 10 "the reload's log line" more_reloads || return 1
  grep -A3 "$1" "$LAB_GATEWAY_LOG" | tail -n 4 | sed 's/^/    log: /'
}

ctl_clients() { "$JAVA_HOME/bin/java" -jar "$st/torgate.jar" ctl --socket "$st/control.sock" clients --json; }
# refused ADDRESS REASON: the client's count for a drop reason in `ctl clients --json` (0 when absent).
refused() {
  ctl_clients | "$TG_PY" -c 'import json, sys
rows = [r for r in json.load(sys.stdin) if r["client"] == sys.argv[1]]
print(sum(r["drops_by_reason"].get(sys.argv[2], 0) for r in rows))' "$1" "$2"
}
drops_of() {
  ctl_clients | "$TG_PY" -c 'import json, sys
rows = [r for r in json.load(sys.stdin) if r["client"] == sys.argv[1]]
print(sum(r["drops"] for r in rows))' "$1"
}
downloading() { # CLIENT: an established connection to port 80
  [ "$(gs_in "$1" ss -Htn state established '( dport = :80 )' | wc -l)" -ge 1 ]
}

policy ""
check "SIGHUP loads alice and bob" reload "reloaded:"
check "warm-up fetch from alice" gs_sha_ok c1 1K.bin 60
check "warm-up fetch from bob" gs_sha_ok c2 1K.bin 60

# --- reload: a firewall change while both download ------------------------------------------------------------
gs_in c1 curl -sS --limit-rate 1M --max-time 120 -o "$work/alice.bin" -w '%{exitcode}\n' \
  "http://$web/files/10M.bin" >"$work/alice.rc" 2>"$work/alice.err" &
alice_pid=$!
gs_in c2 curl -sS --limit-rate 1M --max-time 120 -o /dev/null -w '%{exitcode}\n' \
  "http://$web/files/100M.bin" >"$work/bob.rc" 2>"$work/bob.err" &
bob_pid=$!
both_downloading() { downloading c1 && downloading c2; }
check "reload: both downloads under way within 30 s" tg_wait_until 30 "both downloads" both_downloading
sleep 2
policy "firewall = \"no-web\"

[firewalls.no-web]
default = \"accept\"
rules = [{ action = \"drop\", host = \"$web\" }]"
t_reload=$SECONDS
check "reload: SIGHUP applies bob's new firewall" reload "reloaded:"
check "reload: the reload reset exactly one flow (bob's)" grep -q "1 flow(s) reset by the firewall" "$LAB_GATEWAY_LOG"
wait "$bob_pid" || true
bob_took=$((SECONDS - t_reload))
echo "    bob's download ended $bob_took s after the reload: exit $(cat "$work/bob.rc"), $(cat "$work/bob.err")"
# Cut, not finished: the 100M at 1 MB/s needs ~100 s. curl notices the RST at its next read, which its rate limit
# may delay by a few seconds (1-6 s measured under load).
check "reload: bob's download was cut (curl exit not 0) within 20 s of the reload" \
  test "$(cat "$work/bob.rc")" != 0 -a "$bob_took" -le 20
wait "$alice_pid" || true
echo "    alice's download: exit $(cat "$work/alice.rc") after $((SECONDS - t_reload)) s past the reload"
check "reload: alice's 10M download completed SHA-256 exact" \
  test "$(sha256sum <"$work/alice.bin" | cut -d' ' -f1)" = "$(gs_want 10M.bin)"
for attempt in 1 2; do
  rc=0; gs_in c2 curl -sS --max-time 20 -o /dev/null "http://$web/files/1K.bin" 2>"$work/bob2.err" || rc=$?
  echo "    bob's new connection $attempt: curl exit $rc: $(cat "$work/bob2.err"); ctl firewall count" \
    "$(refused "$BOB" firewall)"
  check "reload: bob's new connection $attempt to $web is refused at once (curl exit 7)" test "$rc" = 7
done
check "reload: bob still reaches another name ($TORNET_WEB2_NAME)" gs_sha_ok c2 1K.bin 60 "$TORNET_WEB2_NAME"
check "reload: alice still reaches $web" gs_sha_ok c1 1K.bin 60
echo "    ctl clients --json:"; ctl_clients | sed 's/^/      /'
check "reload: ctl counts bob's reset stream (firewall_reset = 1)" test "$(refused "$BOB" firewall_reset)" = 1
check "reload: ctl counts bob's refused connections (firewall >= 2)" test "$(refused "$BOB" firewall)" -ge 2
check "reload: ctl counts no refusal for alice" test "$(drops_of "$ALICE")" = 0
name_of() {
  ctl_clients | "$TG_PY" -c 'import json, sys
print(" ".join(str(r["name"]) for r in json.load(sys.stdin) if r["client"] == sys.argv[1]))' "$1"
}
check "reload: ctl names the clients as [[clients]] does (alice, bob)" \
  test "$(name_of "$ALICE")/$(name_of "$BOB")" = alice/bob

# --- badcfg: a configuration that fails validation changes nothing --------------------------------------------
policy "profile = \"no-such-profile\""
check "badcfg: the reload is refused and the log names file, line and key" reload "refused"
check "badcfg: the error says torgate.toml:LINE:COL: clients[1].profile" \
  grep -qE "torgate.toml:[0-9]+:[0-9]+: clients\[1\]\.profile: unknown profile" "$LAB_GATEWAY_LOG"
rc=0; gs_in c2 curl -sS --max-time 20 -o /dev/null "http://$web/files/1K.bin" 2>/dev/null || rc=$?
check "badcfg: bob's firewall is still in force (curl exit 7)" test "$rc" = 7

# --- limit: bob may have 2 streams --------------------------------------------------------------------------
policy "streams = 2
profile = \"browser\""
check "limit: SIGHUP gives bob streams = 2 and the browser isolation profile, and lifts his firewall" \
  reload "reloaded:"
parallel() { # CLIENT PREFIX: 6 parallel 1M downloads at 100 KB/s, one "exitcode" line each
  local targets=() i addr
  addr=$(gs_lookup "$1" "$web")
  for i in 1 2 3 4 5 6; do targets+=(-o "$work/$2$i.bin" "http://$web/files/1M.bin"); done
  gs_in "$1" curl -s -Z --parallel-immediate --parallel-max 6 --limit-rate 100k --max-time 120 \
    -w '%{exitcode}\n' --resolve "$web:80:$addr" "${targets[@]}" >"$work/$2.codes" 2>/dev/null || true
}
before=$(refused "$BOB" stream_limit_client)
parallel c2 bob &
p_bob=$!
parallel c1 alice &
p_alice=$!
wait "$p_bob" "$p_alice"
echo "    bob's exit codes: $(sort "$work/bob.codes" | uniq -c | xargs); alice's: $(sort "$work/alice.codes" | uniq -c | xargs)"
check "limit: bob's 6 parallel downloads: 2 complete, 4 refused (curl exit 7)" \
  test "$(grep -cx 0 "$work/bob.codes")" = 2 -a "$(grep -cx 7 "$work/bob.codes")" = 4
check "limit: ctl counts bob's 4 stream_limit_client refusals" \
  test "$(( $(refused "$BOB" stream_limit_client) - before ))" = 4
ok=0
for i in 1 2 3 4 5 6; do
  [ "$(sha256sum <"$work/alice$i.bin" | cut -d' ' -f1)" = "$(gs_want 1M.bin)" ] && ok=$((ok + 1))
done
check "limit: alice's 6 parallel downloads all complete SHA-256 exact (unaffected)" \
  test "$ok" = 6 -a "$(grep -cx 0 "$work/alice.codes")" = 6
check "limit: ctl counts no refusal for alice" test "$(drops_of "$ALICE")" = 0
profile_of() { # ADDRESS: the isolation profile of the client's latest stream (ctl clients)
  ctl_clients | "$TG_PY" -c 'import json, sys
print(" ".join(str(r["profile"]) for r in json.load(sys.stdin) if r["client"] == sys.argv[1]))' "$1"
}
echo "    isolation profile of the latest stream: bob $(profile_of "$BOB"), alice $(profile_of "$ALICE")"
check "limit: bob's streams got his [[clients]] profile (browser), alice's the default" \
  test "$(profile_of "$BOB")/$(profile_of "$ALICE")" = browser/default

# --- restart: what cannot change live is reported, the rest still applies ------------------------------------
# This one through `torgate ctl reload --json` (the same reload as SIGHUP, with the outcome as the answer).
sed -i 's/^mtu = .*/mtu = 1400/' "$work/base.toml"
policy "streams = 3"
out=$("$JAVA_HOME/bin/java" -jar "$st/torgate.jar" ctl --socket "$st/control.sock" reload --json) || true
echo "    ctl reload --json: $out"
check "restart: ctl reload applies the policy and reports [tun] as needing a restart" \
  "$TG_PY" -c 'import json, sys
r = json.loads(sys.argv[1])
sys.exit(0 if r["needs_restart"] == ["tun"] and "client limits" in ", ".join(r["applied"]) else 1)' "$out"
check "restart: the log line names tun" grep -q "needs restart tun;" "$LAB_GATEWAY_LOG"
check "restart: the TUN keeps its running MTU (1500)" \
  bash -c "ip -n '$LAB_GW_NS' link show '$LAB_TUN' | grep -q 'mtu 1500'"

echo "    suite time $((SECONDS - t_start)) s"
tg_summary 60-policy
