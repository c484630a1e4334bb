# shellcheck shell=bash
# Helpers of the gateway suites (30-gateway, 40-failclosed, 50-netem): the suites' own lab (LAB_PREFIX tgs) with
# torgate as its gateway, fetches from client VMs checked by SHA-256, and leak captures named by scenario (a
# failed capture prints its offending packets and keeps the pcap: leakcheck.sh). Source after common.sh.

export LAB_PREFIX=${LAB_PREFIX:-tgs}    # the suites' own lab: a developer's lab (tg) keeps running
GS_LAB=$TG_VMS_DIR/lab.sh
GS_LEAK=$TG_VMS_DIR/leakcheck.sh
GS_CAPTURES=()

# gs_up CLIENTS: the lab with torgate (the default gateway), bounded; loads the LAB_* and TORNET_* variables.
gs_up() {
  tg_check "lab up ($1 clients, torgate on tun0) within 420 s" \
    timeout --kill-after=10 420 bash "$GS_LAB" up --clients "$1" || return 1
  eval "$(bash "$GS_LAB" env)"
  eval "$(bash "$TG_VMS_DIR/tornet.sh" --ns "$LAB_NET_NS" env)"
}

# gs_cleanup: stops captures still running (their pcaps stay), then the lab and its Tor network.
gs_cleanup() {
  local c
  for c in "${GS_CAPTURES[@]}"; do bash "$GS_LEAK" stop "$c" >/dev/null 2>&1 || true; done
  bash "$GS_LAB" down >/dev/null 2>&1 || true
}

gs_ns() { echo "$LAB_CLIENT_PREFIX${1#c}"; }   # c1 -> tgs-c1
gs_in() { local ns; ns=$(gs_ns "$1"); shift; ip netns exec "$ns" "$@"; }   # CLIENT CMD...

# gs_lookup CLIENT NAME: the first IPv4 address dig gets for NAME from torgate, retrying lost queries (dig +short
# also prints ";; communications error" lines for the tries that timed out).
gs_lookup() { gs_in "$1" dig +short +time=2 +tries=6 "$2" | grep -E '^[0-9]+(\.[0-9]+){3}$' | head -n 1; }

# gs_drops REASON: torgate's own drop counter for REASON (torgate ctl --json status through its control socket).
# A restarted torgate makes tun0 before its control socket: wait for an answer (30 s at most); -1 when none came.
gs_drops() {
  local out="" i
  for i in $(seq 1 30); do
    out=$(bash "$GS_LAB" gateway ctl --json status 2>/dev/null) && break
    out=""; sleep 1
  done
  [ -n "$out" ] || { echo -1; return 0; }
  "$TG_PY" -c 'import json, sys; print(json.loads(sys.argv[1])["drops"][sys.argv[2]])' "$out" "$1"
}

# gs_want FILE: the expected SHA-256 of /files/FILE.
gs_want() { awk -v f="./$1" '$2 == f {print $1}' "$TORNET_FILES_SHA256SUMS"; }

# gs_sha_ok CLIENT FILE SECONDS [NAME]: a plain curl by name through the gateway; the body's SHA-256 is exact.
gs_sha_ok() {
  local got want name=${4:-$TORNET_WEB_NAME}
  want=$(gs_want "$2")
  got=$(gs_in "$1" curl -sS --max-time "$3" "http://$name/files/$2" | sha256sum | cut -d' ' -f1) || true
  [ "$got" = "$want" ] && return 0
  echo "    $1 http://$name/files/$2: sha256 $got, want $want"
  return 1
}

# gs_fails_within SECONDS CMD...: CMD fails (non-zero) and returns within SECONDS (an error, not a hang).
# CMD may start with `gs_in CLIENT`; otherwise it must be a program: timeout(1) cannot run a shell function, and
# its "command not found" (126/127) would otherwise pass as the failure we are looking for.
gs_fails_within() {
  local limit=$1 t0=$SECONDS rc=0 ns; shift
  if [ "$1" = gs_in ]; then ns=$(gs_ns "$2"); shift 2; set -- ip netns exec "$ns" "$@"; fi
  if [ "$(type -t "$1")" != file ]; then echo "    gs_fails_within: '$1' is not a program"; return 1; fi
  timeout --kill-after=2 $((limit + 5)) "$@" >/dev/null 2>&1 || rc=$?
  if [ "$rc" = 0 ]; then echo "    unexpectedly succeeded: $*"; return 1; fi
  if [ "$rc" = 126 ] || [ "$rc" = 127 ]; then echo "    could not run (exit $rc): $*"; return 1; fi
  [ $((SECONDS - t0)) -le "$limit" ] || { echo "    took $((SECONDS - t0)) s (limit $limit, rc $rc): $*"; return 1; }
}

# gs_capture_start NAME / gs_capture_stop NAME: one leak capture per scenario on the upstream link. stop prints
# leakcheck's summary (and on a leak the packets, pcap kept) and checks zero leaks; GS_ALLOWED holds how many
# tor<->relay packets it saw.
gs_capture_start() { bash "$GS_LEAK" start "$1"; GS_CAPTURES+=("$1"); }
gs_capture_stop() {
  local out leaked c keep=()
  out=$(bash "$GS_LEAK" stop "$1") || true
  for c in "${GS_CAPTURES[@]}"; do [ "$c" = "$1" ] || keep+=("$c"); done
  GS_CAPTURES=("${keep[@]}")
  echo "$out" | sed 's/^/    /'
  leaked=$(sed -n 's/.* \([0-9]*\) leaked .*/\1/p' <<<"$out" | head -n 1)
  GS_ALLOWED=$(sed -n 's/.*packets upstream, \([0-9]*\) tor<->relay.*/\1/p' <<<"$out" | head -n 1)
  tg_check "scenario $1: zero leaked packets (pcap $TG_STATE_DIR/leaks/$1.pcap)" test "${leaked:-x}" = 0
}
