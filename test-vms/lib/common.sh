# shellcheck shell=bash
# Helpers shared by the lab scripts (tornet.sh, lab.sh, leakcheck.sh, suites). Source it; it defines
# functions only. Every wait here is bounded; every process we start is recorded in a pidfile so that
# `down` can end exactly the processes we started, even after a crash of the script that started them.

TG_VMS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TG_STATE_DIR=${TG_STATE_DIR:-$TG_VMS_DIR/.state}
TG_PY=${TG_PY:-/usr/bin/python3}   # Debian's python3 (setup.sh installs it); not a pyenv shim

tg_log() { printf '%s %s\n' "[$(date +%H:%M:%S)] ${TG_LOG_TAG:-lab}:" "$*" >&2; }
tg_die() { tg_log "ERROR: $*"; exit 1; }

tg_need_root() {
  [ "$(id -u)" -eq 0 ] || tg_die "run as root (network namespaces, veth, tor in namespaces)"
}

# tg_wait_until SECONDS DESCRIPTION CMD...: polls CMD every 0.25 s until it succeeds or time is up.
tg_wait_until() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  while ! "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      tg_log "timed out after ${limit}s waiting for: $what"
      return 1
    fi
    sleep 0.25
  done
}

tg_netns_exists() { [ -e "/run/netns/$1" ]; }

# tg_netns_create NAME: creates the namespace (fresh: a leftover of the same name is removed first), lo up.
tg_netns_create() {
  tg_netns_delete "$1"
  ip netns add "$1"
  ip -n "$1" link set lo up
}

# tg_netns_delete NAME: kills every process in the namespace (they are ours: we created it), then deletes it
# along with its veth ends (deleting one end of a veth deletes its peer) and /etc/netns/NAME.
tg_netns_delete() {
  local ns=$1 pids i
  if tg_netns_exists "$ns"; then
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      [ -z "$pids" ] && break
      # shellcheck disable=SC2086
      if [ "$i" -lt 8 ]; then kill $pids 2>/dev/null || true; else kill -9 $pids 2>/dev/null || true; fi
      sleep 0.25
    done
    ip netns del "$ns" 2>/dev/null || true
  fi
  rm -rf "/etc/netns/$ns"
}

# tg_pid_alive PIDFILE MARKER: true when the pid in PIDFILE runs and its command line contains MARKER
# (guards against a recycled pid after a crash).
tg_pid_alive() {
  local pf=$1 marker=$2 pid cmd
  [ -s "$pf" ] || return 1
  pid=$(cat "$pf")
  cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [ -n "$cmd" ] && [[ $cmd == *"$marker"* ]]
}

# tg_kill_pidfiles MARKER PIDFILE...: ends those processes together (TERM, then KILL whatever still runs after
# 5 s) and removes the pidfiles. A pidfile whose process is gone or is not ours (MARKER) is just removed.
tg_kill_pidfiles() {
  local marker=$1 pf pid i pids=() left
  shift
  for pf in "$@"; do
    tg_pid_alive "$pf" "$marker" && pids+=("$(cat "$pf")")
    rm -f "$pf"
  done
  [ ${#pids[@]} -eq 0 ] && return 0
  kill "${pids[@]}" 2>/dev/null || true
  for i in $(seq 1 50); do
    left=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
    [ "$left" = 0 ] && return 0
    sleep 0.1
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
}

# tg_kill_marked MARKER: ends every process whose command line contains MARKER, a path unique to our state
# directory (so only processes this lab started can match). Used to clean up after a crash lost a pidfile.
tg_kill_marked() {
  local marker=$1 p cmd pids=()
  for p in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    if [[ $cmd == *"$marker"* ]]; then
      [ "${p#/proc/}" = "$$" ] || [ "${p#/proc/}" = "$BASHPID" ] || pids+=("${p#/proc/}")
    fi
  done
  [ ${#pids[@]} -eq 0 ] && return 0
  kill "${pids[@]}" 2>/dev/null || true
  sleep 1
  kill -9 "${pids[@]}" 2>/dev/null || true
}

# tg_veth_delete NAME [NS]: deletes a veth end (and with it its peer) if present.
tg_veth_delete() {
  if [ -n "${2:-}" ]; then
    tg_netns_exists "$2" && ip -n "$2" link del "$1" 2>/dev/null || true
  else
    ip link del "$1" 2>/dev/null || true
  fi
}

# Suite checks: tg_check DESCRIPTION CMD... runs CMD, prints "ok"/"FAIL" and counts; tg_summary NAME prints the
# plain summary line and returns non-zero when any check failed.
TG_CHECKS=0 TG_FAILED=0 TG_FAILURES=()
tg_check() {
  local what=$1; shift
  TG_CHECKS=$((TG_CHECKS + 1))
  if "$@"; then echo "  ok   $what"; else echo "  FAIL $what"; TG_FAILED=$((TG_FAILED + 1)); TG_FAILURES+=("$what"); fi
}
tg_summary() { # NAME [EXTRA]
  echo "$1: $((TG_CHECKS - TG_FAILED))/$TG_CHECKS checks passed${2:+ $2}"
  [ "$TG_FAILED" -eq 0 ] || { printf '  failed: %s\n' "${TG_FAILURES[@]}"; return 1; }
}
