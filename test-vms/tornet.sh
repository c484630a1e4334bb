#!/usr/bin/env bash
# A private Tor network for the lab (see ../shared/TORNET.md): 3 directory authorities, 3 exits and 1 middle
# relay, a DNS server for the test zone `lab.test` and two HTTP servers, all inside one upstream network
# namespace (tg-net), on addresses of its lo. Instance K (0 for tg-net; other --ns names get their own K, so
# several networks can run side by side, e.g. the test suites' next to a developer's) uses:
#   10.251.K.1    every relay (ORPorts 5001-5007, authority DirPorts 7001-7003)
#   198.18.K.10   web.lab.test, 198.18.K.11 web2.lab.test (HTTP on port 80), 198.18.K.25 mx.lab.test
#   198.18.K.53   the zone's DNS server (dnsmasq), which the exits use as their resolver
# The servers are in 198.18.0.0/15 (RFC 2544, benchmarking), not in a private range: tor refuses reverse
# lookups (RESOLVE_PTR) of private addresses, and a gateway may refuse private destinations. No packet can
# reach the internet from these namespaces anyway. Other namespaces reach the network over veth links
# (lab.sh adds the gateway's); the root namespace does through tgnet-root (K=0; 10.252.K.2/30, peer
# 10.252.K.1 in the namespace) with routes to 10.251.K.0/24 and 198.18.K.0/24.
#
# Usage: tornet.sh [--ns NAME] up [--client] [--timeout SECONDS (180)] | down | status | env
#   up      starts the network and returns only when a throw-away client tor in the root namespace has
#           bootstrapped to 100% and fetched a page from ready.lab.test through an exit (TORNET pitfall 2).
#           With --client that client keeps running (SOCKS and control socket, see `env`).
#   down    stops everything `up` started (also after a crash) and deletes the namespace and links.
#   env     prints shell-sourceable variables: addresses, names, the client torrc fragment, the files served.
# Keys (authority certificates, relay identities) are made once per instance under
# test-vms/.state/tornet/NAME/keys and reused; the served files once for all under test-vms/.state/tornet/files.
# up and down of one instance are serialized by a lock (at most 300 s of waiting).
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
TG_LOG_TAG=tornet

NS=${TORNET_NS:-tg-net}
while [ $# -gt 0 ]; do
  case $1 in
    --ns) NS=$2; shift 2 ;;
    *) break ;;
  esac
done
CMD=${1:-status}; shift || true

# Instance number: 0 for the default namespace, 1..200 from the name otherwise (addresses and ports below).
if [ "$NS" = tg-net ]; then K=0; else K=$(( $(printf '%s' "$NS" | cksum | cut -d' ' -f1) % 200 + 1 )); fi
RUN=/run/torgate-lab/tornet-$NS    # sockets and pidfiles (short paths: Unix sockets are limited to 107 bytes)
# The namespace is machine-wide, and so is RUN: a network started from another checkout of this repository is
# used (status, env, down) through the state directory it recorded in $RUN/owner.
use_state() { # DIR: keys (kept), node data directories, logs; the files served sit beside it
  ST=$1
  FILES=$(dirname "$ST")/files     # files served (made once, shared by every instance)
  KEYS=$ST/keys
  MARK=$ST/                        # every process we start has this path on its command line
}
OWN_ST=$TG_STATE_DIR/tornet/$NS
use_state "$OWN_ST"
if [ -s "$RUN/owner" ]; then use_state "$(cat "$RUN/owner")"; fi

RELAY_IP=10.251.$K.1
RELAY_NET=10.251.$K.0/24
WEB_IP=198.18.$K.10
WEB2_IP=198.18.$K.11
MX_IP=198.18.$K.25
DNS_IP=198.18.$K.53
SVC_NET=198.18.$K.0/24
ROOT_IF=tgnet-root                 # root-namespace end of the root link
[ "$K" = 0 ] || ROOT_IF=tgnet-r$K
ROOT_IP=10.252.$K.2
NET_ROOT_IF=root0                  # the namespace's end of the root link
NET_ROOT_IP=10.252.$K.1
ZONE=lab.test
AUTHS=(a1 a2 a3)
EXITS=(e1 e2 e3)
MIDDLES=(m1)
NODES=("${AUTHS[@]}" "${EXITS[@]}" "${MIDDLES[@]}")
CLIENT_SOCKS_PORT=$((19050 + K))   # root-namespace TCP SocksPort of the --client tor (loopback only)

orport() { # NODE -> its ORPort
  local i
  for i in "${!NODES[@]}"; do [ "${NODES[$i]}" = "$1" ] && { echo $((5001 + i)); return; }; done
}
dirport() { echo $((7000 + ${1#a})); } # authorities only

# shellcheck source=lib/tornet-torrc.sh
. "$TG_VMS_DIR/lib/tornet-torrc.sh"

# --- served files ---------------------------------------------------------------------------------------------

make_files() {
  local f size
  mkdir -p "$FILES" "$ST/www/web" "$ST/www/web2"
  exec 8>"$FILES.lock"
  flock -w 300 8 || tg_die "the served files are locked by another instance for 300 s"
  if [ ! -s "$FILES/SHA256SUMS" ]; then
    tg_log "generating served files (1 KiB .. 100 MiB)"
    for size in 1K 64K 1M 10M 100M; do
      head -c "$(numfmt --from=iec "$size")" /dev/urandom >"$FILES/$size.bin"
    done
    (cd "$FILES" && sha256sum ./*.bin >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS)
  fi
  exec 8>&-
  for f in web web2; do
    echo "hello from $f.$ZONE" >"$ST/www/$f/index.html"
    ln -sfn "$FILES" "$ST/www/$f/files"
  done
}

# --- processes ------------------------------------------------------------------------------------------------

start_services() {
  mkdir -p /etc/netns/"$NS"
  echo "nameserver $DNS_IP" >/etc/netns/"$NS"/resolv.conf
  echo "nameserver $DNS_IP" >"$ST/exit-resolv.conf"
  ip netns exec "$NS" dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --no-poll --bind-interfaces \
    --listen-address="$DNS_IP" --port=53 --user=root --group=root --pid-file="$RUN/dnsmasq.pid" \
    --local="/$ZONE/" --domain-needed \
    --host-record="web.$ZONE,$WEB_IP" --host-record="web2.$ZONE,$WEB2_IP" --host-record="mx.$ZONE,$MX_IP" \
    --cname="ready.$ZONE,web.$ZONE" \
    --mx-host="$ZONE,mx.$ZONE,10" --mx-host="mx.$ZONE,mx.$ZONE,10" \
    --log-queries --log-facility="$ST/dnsmasq.log" \
    || tg_die "dnsmasq did not start (see $ST/dnsmasq.log)"
  local ip w
  for w in web web2; do
    ip=$WEB_IP; [ "$w" = web2 ] && ip=$WEB2_IP
    ip netns exec "$NS" setsid "$TG_PY" -m http.server --bind "$ip" --directory "$ST/www/$w" 80 \
      </dev/null >"$ST/http-$w.log" 2>&1 &
    echo $! >"$RUN/http-$w.pid"
  done
}

start_nodes() {
  local n
  for n in "${NODES[@]}"; do
    mkdir -p "$ST/nodes/$n"
    # Fresh state every run, keys kept: an old cached consensus would only slow the first vote down.
    find "$ST/nodes/$n" -mindepth 1 -maxdepth 1 ! -name keys -exec rm -rf {} +
    rm -rf "$ST/nodes/$n/keys"
    cp -a "$KEYS/$n/keys" "$ST/nodes/$n/keys"
    cp "$KEYS/$n/fingerprint" "$ST/nodes/$n/fingerprint"
    chmod 700 "$ST/nodes/$n"
    write_node_torrc "$n"
    # RunAsDaemon: tor returns once its configuration is parsed and its ports are open, so errors show here.
    ip netns exec "$NS" tor -f "$ST/nodes/$n.torrc" --hush >"$ST/nodes/$n.start.log" 2>&1 \
      || { cat "$ST/nodes/$n.start.log" "$ST/nodes/$n/notice.log" >&2 2>/dev/null; tg_die "tor node $n did not start"; }
  done
}

start_client() { # the client tor in the root namespace: SOCKS on a Unix socket and on 127.0.0.1:$CLIENT_SOCKS_PORT
  local d=$ST/client
  rm -rf "$d"; mkdir -p "$d/data"; chmod 700 "$d/data"
  {
    cat "$ST/client.torrc"
    cat <<EOF
DataDirectory $d/data
PidFile $RUN/client.pid
Log notice file $d/notice.log
SafeLogging 0
RunAsDaemon 1
SocksPort unix:$RUN/client.socks IsolateSOCKSAuth ExtendedErrors
SocksPort 127.0.0.1:$CLIENT_SOCKS_PORT IsolateSOCKSAuth ExtendedErrors
ControlSocket $RUN/client.control
CookieAuthentication 1
# One circuit per isolation group, so tests can compare circuits directly (TORNET.md pitfall 5).
ConfluxEnabled 0
EOF
  } >"$d/torrc"
  tor -f "$d/torrc" --hush >"$d/start.log" 2>&1 || { cat "$d/start.log" >&2; tg_die "client tor did not start"; }
}

client_ctl() {
  "$TG_PY" "$TG_VMS_DIR/tools/torctl.py" "$RUN/client.control" --cookie "$ST/client/data/control_auth_cookie" "$@"
}
client_bootstrapped() {
  local out
  out=$(client_ctl cmd "GETINFO status/bootstrap-phase" 2>/dev/null) || return 1
  [[ $out == *PROGRESS=100* ]]
}
client_has_exit() { client_ctl exits >/dev/null 2>&1; }
# Every relay bootstrapped itself: an exit that has no consensus yet fails the streams it is given (seen as
# "Have tried resolving or connecting to address ... at 3 different places" right after the client's 100%).
relays_bootstrapped() {
  local n out
  for n in "${NODES[@]}"; do
    out=$("$TG_PY" "$TG_VMS_DIR/tools/torctl.py" "$RUN/$n.control" --cookie "$ST/nodes/$n/control_auth_cookie" \
      cmd "GETINFO status/bootstrap-phase" 2>/dev/null) || return 1
    [[ $out == *PROGRESS=100* ]] || return 1
  done
}
client_fetch() { # three fetches in a row, each on a new circuit (new SOCKS credentials), so likely other exits
  local got i
  for i in 1 2 3; do
    got=$(curl -sS --max-time 15 --socks5-hostname "127.0.0.1:$CLIENT_SOCKS_PORT" \
      --proxy-user "check$i:$RANDOM" "http://ready.$ZONE/index.html" 2>/dev/null) || return 1
    [ "$got" = "hello from web.$ZONE" ] || return 1
  done
}

show_logs() {
  local n
  for n in "${NODES[@]}"; do
    echo "--- $n notice.log (tail)" >&2
    tail -n 8 "$ST/nodes/$n/notice.log" >&2 2>/dev/null || true
  done
  echo "--- client notice.log (tail)" >&2
  tail -n 15 "$ST/client/notice.log" >&2 2>/dev/null || true
}

# --- commands -------------------------------------------------------------------------------------------------

cmd_down() {
  local n pfs=("$RUN/client.pid" "$RUN/http-web.pid" "$RUN/http-web2.pid")
  for n in "${NODES[@]}"; do pfs+=("$RUN/$n.pid"); done
  tg_kill_pidfiles "$MARK" "${pfs[@]}"
  tg_kill_pidfiles "$RUN/dnsmasq.pid" "$RUN/dnsmasq.pid"
  tg_kill_marked "$MARK"   # anything whose pidfile a crash lost
  ip route del "$SVC_NET" dev "$ROOT_IF" 2>/dev/null || true
  ip route del "$RELAY_NET" dev "$ROOT_IF" 2>/dev/null || true
  tg_veth_delete "$ROOT_IF"
  tg_netns_delete "$NS"
  rm -rf "$RUN"; rmdir /run/torgate-lab 2>/dev/null || true
}

cmd_up() {
  local client=0 timeout=180 t0=$SECONDS
  while [ $# -gt 0 ]; do
    case $1 in
      --client) client=1; shift ;;
      --timeout) timeout=$2; shift 2 ;;
      *) tg_die "unknown option $1" ;;
    esac
  done
  if healthy && { [ "$client" = 0 ] || tg_pid_alive "$RUN/client.pid" "$MARK"; }; then
    tg_log "already up (namespace $NS)"; return 0
  fi
  cmd_down
  use_state "$OWN_ST"
  trap 'show_logs; tg_log "up failed: cleaning up"; cmd_down' EXIT
  mkdir -p "$ST/nodes" "$RUN"; chmod 700 "$RUN"
  echo "$ST" >"$RUN/owner"
  : >"$ST/empty-geoip"; : >"$ST/empty.torrc"
  make_keys
  make_files
  write_client_fragment

  tg_netns_create "$NS"
  # Service addresses live on lo as /32s (no dummy module needed); peers reach them through routes.
  for ip in $RELAY_IP $WEB_IP $WEB2_IP $MX_IP $DNS_IP; do ip -n "$NS" addr add "$ip/32" dev lo; done
  ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1
  ip link add "$ROOT_IF" type veth peer name "$NET_ROOT_IF" netns "$NS"
  ip addr add "$ROOT_IP/30" dev "$ROOT_IF"
  ip link set "$ROOT_IF" up
  ip -n "$NS" addr add "$NET_ROOT_IP/30" dev "$NET_ROOT_IF"
  ip -n "$NS" link set "$NET_ROOT_IF" up
  ip route replace "$RELAY_NET" via "$NET_ROOT_IP" dev "$ROOT_IF"
  ip route replace "$SVC_NET" via "$NET_ROOT_IP" dev "$ROOT_IF"

  start_services
  start_nodes
  start_client
  local deadline=$((t0 + timeout)) left
  left=$((deadline - SECONDS)); [ "$left" -gt 0 ] || left=1
  tg_wait_until "$left" "client bootstrap 100%" client_bootstrapped || exit 1
  left=$((deadline - SECONDS)); [ "$left" -gt 0 ] || left=1
  tg_wait_until "$left" "every relay's own bootstrap 100%" relays_bootstrapped || exit 1
  left=$((deadline - SECONDS)); [ "$left" -gt 0 ] || left=1
  tg_wait_until "$left" "an exit in the client's consensus" client_has_exit || exit 1
  left=$((deadline - SECONDS)); [ "$left" -gt 0 ] || left=1
  # Pitfall 4: tor gives up on a name after 3 failures: probe with ready.$ZONE (same server as web.$ZONE) so
  # early failures cannot spoil web.$ZONE for the --client tor.
  tg_wait_until "$left" "a CONNECT through an exit to ready.$ZONE" client_fetch || exit 1
  trap - EXIT
  tg_log "up in $((SECONDS - t0)) s: bootstrap 100% and a fetch through an exit worked"
  if [ "$client" = 0 ]; then
    tg_kill_pidfiles "$MARK" "$RUN/client.pid"
  else
    tg_log "client tor kept: SOCKS unix:$RUN/client.socks and 127.0.0.1:$CLIENT_SOCKS_PORT"
  fi
}

healthy() {
  local n
  tg_netns_exists "$NS" || return 1
  for n in "${NODES[@]}"; do tg_pid_alive "$RUN/$n.pid" "$MARK" || return 1; done
  tg_pid_alive "$RUN/http-web.pid" "$MARK" && tg_pid_alive "$RUN/http-web2.pid" "$MARK" \
    && tg_pid_alive "$RUN/dnsmasq.pid" "$RUN/dnsmasq.pid"
}

cmd_status() {
  local n state pid rss total=0
  if ! tg_netns_exists "$NS"; then echo "tornet: down (no namespace $NS)"; return 3; fi
  for n in "${NODES[@]}" client; do
    state=stopped; rss=0
    if tg_pid_alive "$RUN/$n.pid" "$MARK"; then
      pid=$(cat "$RUN/$n.pid"); state="running pid $pid"
      rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status"); total=$((total + rss))
      state="$state rss $((rss / 1024)) MiB"
    fi
    printf '  %-7s %s\n' "$n" "$state"
  done
  echo "  tor total RSS: $((total / 1024)) MiB"
  if healthy; then echo "tornet: up (namespace $NS, relays at $RELAY_IP)"; else echo "tornet: degraded"; return 1; fi
}

cmd_env() {
  local n ors="" dirs=""
  for n in "${NODES[@]}"; do ors="$ors $(orport "$n")"; done
  for n in "${AUTHS[@]}"; do dirs="$dirs $(dirport "$n")"; done
  cat <<EOF
TORNET_NS=$NS
TORNET_STATE=$ST
TORNET_CLIENT_TORRC=$ST/client.torrc
TORNET_RELAY_IP=$RELAY_IP
TORNET_OR_PORTS="${ors# }"
TORNET_DIR_PORTS="${dirs# }"
TORNET_RELAY_NET=$RELAY_NET
TORNET_SVC_NET=$SVC_NET
TORNET_ZONE=$ZONE
TORNET_DNS_IP=$DNS_IP
TORNET_WEB_NAME=web.$ZONE
TORNET_WEB_IP=$WEB_IP
TORNET_WEB2_NAME=web2.$ZONE
TORNET_WEB2_IP=$WEB2_IP
TORNET_MX_NAME=mx.$ZONE
TORNET_MX_IP=$MX_IP
TORNET_FILES_URL_PATH=/files
TORNET_FILES_SHA256SUMS=$FILES/SHA256SUMS
TORNET_ROOT_IF=$ROOT_IF
TORNET_CLIENT_SOCKS=$RUN/client.socks
TORNET_CLIENT_SOCKS_TCP=127.0.0.1:$CLIENT_SOCKS_PORT
TORNET_CLIENT_CONTROL=$RUN/client.control
TORNET_CLIENT_COOKIE=$ST/client/data/control_auth_cookie
EOF
}

lock() { # ARGS...: re-runs this script under a lock, one up/down at a time (tests and developers share the
  # machine). flock -o keeps the lock in flock itself, so the daemons we start do not inherit it.
  [ "${TG_TORNET_LOCKED:-}" = "tornet-$NS" ] && return 0
  # The lock is machine-wide (/run/lock), like the namespace: other checkouts of the repository take it too.
  TG_TORNET_LOCKED="tornet-$NS" exec flock -o -w 300 -E 75 "/run/lock/torgate-lab-tornet-$NS.lock" bash "$0" "$@"
}

case $CMD in
  up) tg_need_root; lock --ns "$NS" up "$@"; cmd_up "$@" ;;
  down) tg_need_root; lock --ns "$NS" down; cmd_down; tg_log "down" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 [--ns NAME] up [--client] [--timeout S] | down | status | env" >&2; exit 2 ;;
esac
