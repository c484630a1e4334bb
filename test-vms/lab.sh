#!/usr/bin/env bash
# The lab: client "VMs" as network namespaces wired like Qubes client qubes, a gateway namespace and the
# private Tor network upstream (tornet.sh).
#
#   tg-c1..N  client VMs: eth0 10.137.0.1N/32, default via 10.137.0.1 (onlink), DNS 10.139.1.1 and 10.139.1.2
#   tg-gw     the gateway VM: one "vif" per client (vifN, 10.137.0.1/32 on each, as a Qubes NetVM has), the
#             upstream link up0 10.250.0.2/30 (default route), the lab's tor client, later tun0 and torgate.
#             The kernel never forwards client packets upstream: `ip rule iif vifN lookup 100`, and table 100
#             holds only `default dev tun0` (once the gateway made tun0) and an `unreachable default` fallback,
#             so client traffic fails closed when tun0 is gone; nftables rules drop anything from a vif that
#             would leave by another interface than tun0, and anything the namespace itself sends upstream
#             that is not TCP to the relays (second layer).
#   tg-net    upstream (tornet.sh): relays, DNS, HTTP servers; its end of the gateway link is gwlink0 10.250.0.1
#             (where the leak suite captures).
#
# Several labs can run side by side: LAB_PREFIX (default tg) names the namespaces PREFIX-gw, PREFIX-c1..N and
# PREFIX-net (the test suites use tgs, a developer's lab stays untouched). up and down are serialized by a lock.
#
# Usage: lab.sh up [--clients N] [--no-gateway | --gateway CMD] | down [--keep-tornet] | status | exec CLIENT CMD...
#        | route-tun
#        lab.sh gateway start [CMD] | gateway stop    (start, restart or stop the gateway in a running lab)
#        lab.sh gateway counters                      (torgate ctl status, clients, streams; tun0's counters)
#        lab.sh gateway ctl ARGS...                   (torgate ctl ARGS... against the running torgate)
#   --gateway CMD (or env TORGATE_CMD): started with `bash -c CMD` in tg-gw once the lab is up, with these
#   variables set: TG_TUN (tun0), TG_CLIENT_NET, TG_GW_ADDR, TG_DNS_ADDRS, TG_TOR_SOCKS, TG_TOR_CONTROL,
#   TG_TOR_COOKIE (the lab's tor client) and TG_CLIENT_TORRC (tornet's client fragment, for a managed tor).
#   lab.sh waits (60 s at most) for tun0 to appear in tg-gw and routes the clients into it; after a gateway
#   restart re-creates tun0, `lab.sh route-tun` restores that route (the kernel drops it with the device).
#   The default gateway is torgate itself (gateway.sh: the embedded default, configured from those variables,
#   log in .state/lab/PREFIX/gateway.log). With `--no-gateway` clients reach Tor only through the lab tor's
#   SocksPort on 10.137.0.1:9050 (TorVM's Tor-aware port); everything else fails closed.
#   CLIENT for exec: c1, tg-c1, gw, net.
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
TG_LOG_TAG=lab

P=${LAB_PREFIX:-tg}
[[ $P =~ ^[a-z][a-z0-9]{0,5}$ ]] || tg_die "LAB_PREFIX must be 1-6 lowercase letters/digits"
GW=$P-gw
NET=$P-net
CPREFIX=$P-c
RUN=/run/torgate-lab/lab-$P
# As for tornet: a lab started from another checkout is used through the state directory it recorded.
OWN_ST=$TG_STATE_DIR/lab/$P
ST=$OWN_ST
if [ -s "$RUN/owner" ]; then ST=$(cat "$RUN/owner"); fi
MARK=$ST/
GW_ADDR=10.137.0.1
CLIENT_NET=10.137.0.0/24
DNS1=10.139.1.1
DNS2=10.139.1.2
UP_NET_IP=10.250.0.1     # tg-net end (gwlink0)
UP_GW_IP=10.250.0.2      # tg-gw end (up0)
NET_IF=gwlink0
UP_IF=up0
TUN=tun0
TABLE=100

client_addr() { echo "10.137.0.$((10 + $1))"; }
tornet() { bash "$TG_VMS_DIR/tornet.sh" --ns "$NET" "$@"; }
clients_list() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${CPREFIX}[0-9]+$" | sort -V || true; }

# --- the gateway namespace -------------------------------------------------------------------------------------

make_gw() {
  tg_netns_create "$GW"
  ip netns exec "$GW" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
  ip link add "$NET_IF" netns "$NET" type veth peer name "$UP_IF" netns "$GW"
  ip -n "$NET" addr add "$UP_NET_IP/30" dev "$NET_IF"
  ip -n "$NET" link set "$NET_IF" up
  ip -n "$GW" addr add "$UP_GW_IP/30" dev "$UP_IF"
  # No IPv6 on the upstream link: the kernel's own router solicitations and MLD reports would be upstream
  # packets that are not tor talking to a relay (the leak detector would rightly flag them).
  ip netns exec "$GW" sysctl -qw "net.ipv6.conf.$UP_IF.disable_ipv6=1"
  ip netns exec "$NET" sysctl -qw "net.ipv6.conf.$NET_IF.disable_ipv6=1"
  ip -n "$GW" link set "$UP_IF" up
  ip -n "$GW" route add default via "$UP_NET_IP" dev "$UP_IF"
  # Fail closed: when tun0 (and with it its route) is gone, client traffic meets this, never the main table.
  ip -n "$GW" route add unreachable default metric 4096 table "$TABLE"
  # Second layer: nothing from a vif leaves except by tun0; and the gateway namespace itself sends upstream only
  # TCP to the relays (tor). Without the output rule the kernel's own answers to client packets (ICMP errors,
  # RSTs to spoofed sources routed by the main table) leave upstream: the leak suite caught exactly that.
  eval "$(tornet env)"
  printf '%s\n' 'table inet torgate_lab {' ' chain forward {' \
    '  type filter hook forward priority 0; policy accept;' \
    "  iifname \"vif*\" oifname != \"$TUN\" counter drop comment \"client traffic leaves only by $TUN\"" \
    "  iifname \"$TUN\" oifname != \"vif*\" counter drop comment \"the gateway's packets go only to clients\"" \
    ' }' ' chain output {' '  type filter hook output priority 0; policy accept;' \
    "  oifname \"$UP_IF\" ip daddr $TORNET_RELAY_NET meta l4proto tcp accept" \
    "  oifname \"$UP_IF\" counter drop comment \"upstream: only tor to the relays\"" \
    ' }' '}' | ip netns exec "$GW" nft -f -
}

make_client() { # N
  local n=$1 ns=$CPREFIX$1 addr
  addr=$(client_addr "$n")
  tg_netns_create "$ns"
  ip link add "vif$n" netns "$GW" type veth peer name eth0 netns "$ns"
  # Qubes style: the NetVM side carries the gateway address /32 and a host route to the client.
  ip -n "$GW" addr add "$GW_ADDR/32" dev "vif$n"
  ip -n "$GW" link set "vif$n" up
  ip -n "$GW" route add "$addr/32" dev "vif$n"
  # Routing into tun0 is forwarding from the vif's point of view: the vif needs forwarding on, while
  # ip_forward (all) and up0 stay off. Policy routing decides where it may go: table $TABLE only.
  ip netns exec "$GW" sysctl -qw "net.ipv4.conf.vif$n.forwarding=1" "net.ipv4.conf.vif$n.rp_filter=0"
  ip -n "$GW" rule add iif "vif$n" lookup "$TABLE" priority 100
  ip -n "$ns" addr add "$addr/32" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add "$GW_ADDR" dev eth0
  ip -n "$ns" route add default via "$GW_ADDR" dev eth0 onlink
  mkdir -p "/etc/netns/$ns"
  printf 'nameserver %s\nnameserver %s\noptions timeout:2 attempts:1\n' "$DNS1" "$DNS2" >"/etc/netns/$ns/resolv.conf"
}

# --- the lab's tor client in tg-gw ----------------------------------------------------------------------------

start_gw_tor() {
  local d=$ST/tor frag
  eval "$(tornet env)"
  frag=$TORNET_CLIENT_TORRC
  rm -rf "$d"; mkdir -p "$d/data" "$RUN"; chmod 700 "$d/data" "$RUN"
  {
    cat "$frag"
    cat <<EOF
DataDirectory $d/data
PidFile $RUN/tor.pid
Log notice file $d/notice.log
SafeLogging 0
RunAsDaemon 1
SocksPort unix:$RUN/socks IsolateSOCKSAuth ExtendedErrors
SocksPort 127.0.0.1:9050 IsolateSOCKSAuth ExtendedErrors
SocksPort $GW_ADDR:9050 IsolateSOCKSAuth IsolateClientAddr ExtendedErrors
ControlSocket $RUN/control
CookieAuthentication 1
# As deploy/defaults/torrc.defaults: conflux weakens per-client isolation (java/tor Torrc.CONFLUX_OFF).
ConfluxEnabled 0
EOF
  } >"$d/torrc"
  ip netns exec "$GW" tor -f "$d/torrc" --hush >"$d/start.log" 2>&1 \
    || { cat "$d/start.log" >&2; tg_die "the lab's tor client did not start"; }
}

gw_ctl() { "$TG_PY" "$TG_VMS_DIR/tools/torctl.py" "$RUN/control" --cookie "$ST/tor/data/control_auth_cookie" "$@"; }
gw_tor_ready() { # bootstrap 100% and at least one exit in the consensus
  local out
  out=$(gw_ctl cmd "GETINFO status/bootstrap-phase" 2>/dev/null) || return 1
  [[ $out == *PROGRESS=100* ]] && gw_ctl exits >/dev/null 2>&1
}

# --- the gateway hook -----------------------------------------------------------------------------------------

route_tun() {
  ip -n "$GW" link show "$TUN" >/dev/null 2>&1 || tg_die "no $TUN in $GW (is the gateway running?)"
  ip -n "$GW" link set "$TUN" up
  # The gateway's answers enter by tun0 and are forwarded to the vifs: tun0 must forward (the input device's
  # flag decides), and its sources (any upstream address) are not reachable through tun0 by the main table,
  # so strict reverse-path filtering would drop them. The forward chain keeps them off every other interface.
  ip netns exec "$GW" sysctl -qw "net.ipv4.conf.$TUN.forwarding=1" "net.ipv4.conf.$TUN.rp_filter=0"
  ip -n "$GW" route replace default dev "$TUN" metric 0 table "$TABLE"
}

stop_gateway() { # ends the gateway (its process group: bash -c CMD and what it started); a tun0 it
  # opened non-persistent goes with it
  local pid
  if tg_pid_alive "$RUN/gateway.pid" ""; then
    pid=$(cat "$RUN/gateway.pid")
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    tg_wait_until 10 "the gateway to exit" bash -c "! kill -0 $pid" || kill -9 -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/gateway.pid"
}

start_gateway() { # CMD
  local cmd=$1
  eval "$(tornet env)"
  tg_log "starting the gateway in $GW: $cmd"
  ip netns exec "$GW" env TG_TUN="$TUN" TG_CLIENT_NET="$CLIENT_NET" TG_GW_ADDR="$GW_ADDR" \
    TG_DNS_ADDRS="$DNS1,$DNS2" TG_TOR_SOCKS="$RUN/socks" TG_TOR_CONTROL="$RUN/control" \
    TG_TOR_COOKIE="$ST/tor/data/control_auth_cookie" TG_CLIENT_TORRC="$TORNET_CLIENT_TORRC" TG_GW_STATE="$ST" \
    setsid bash -c "$cmd" </dev/null >"$ST/gateway.log" 2>&1 &
  echo $! >"$RUN/gateway.pid"
  tg_wait_until "${TG_GATEWAY_WAIT:-60}" "$TUN in $GW" ip -n "$GW" link show "$TUN" \
    || { tail -n 30 "$ST/gateway.log" >&2; tg_die "the gateway did not create $TUN"; }
  route_tun
}

# gateway_ctl ARGS...: `torgate ctl ARGS...` against the running torgate's control socket (its configuration
# names it; the jar is the copy the gateway runs). Exit 4 when no control socket answers (ctl's own code).
gateway_ctl() {
  [ -S "$ST/control.sock" ] || { echo "no control socket $ST/control.sock (is torgate the gateway?)" >&2; return 4; }
  # shellcheck source=../scripts/jdk.sh
  . "$TG_VMS_DIR/../scripts/jdk.sh" >/dev/null
  "$JAVA_HOME/bin/java" -jar "$ST/torgate.jar" ctl --config "$ST/torgate.toml" --timeout 10 "$@"
}

# The gateway's counters: torgate's own (ctl status: drops by reason; ctl clients: the per-client table; ctl
# streams: open streams with their circuit) and what the kernel counts on tun0. A gateway without a control
# socket (another TORGATE_CMD) shows only tun0's counters and its log.
gateway_counters() {
  local d=/sys/class/net/$TUN/statistics
  if ! ip -n "$GW" link show "$TUN" >/dev/null 2>&1; then echo "$TUN: absent (no gateway)"; return 1; fi
  ip netns exec "$GW" sh -c "printf '$TUN: %s packets / %s bytes to torgate, %s packets / %s bytes from torgate, \
%s dropped (no reader)\n' \$(cat $d/tx_packets $d/tx_bytes $d/rx_packets $d/rx_bytes $d/tx_dropped)"
  if gateway_ctl status >/dev/null 2>&1; then
    echo "torgate ctl status:"; gateway_ctl status | sed 's/^/  /'
    echo "torgate ctl clients:"; gateway_ctl clients | sed 's/^/  /'
    echo "torgate ctl streams (open now):"; gateway_ctl streams | sed 's/^/  /'
    return 0
  fi
  echo "gateway log ($ST/gateway.log; no control socket answered):"
  grep -E '^(INFO|WARNING|SEVERE|torgate):' "$ST/gateway.log" 2>/dev/null | tail -n 8 | sed 's/^/  /'
}

# --- commands -------------------------------------------------------------------------------------------------

default_gateway() { bash "$TG_VMS_DIR/gateway.sh" cmd; }
gateway_running() { tg_pid_alive "$RUN/gateway.pid" "" && ip -n "$GW" link show "$TUN" >/dev/null 2>&1; }

cmd_up() {
  local n=2 gateway=${TORGATE_CMD:-} explicit=${TORGATE_CMD:+1} t0=$SECONDS i
  [ -n "$gateway" ] || gateway=$(default_gateway)
  while [ $# -gt 0 ]; do
    case $1 in
      --clients) n=$2; shift 2 ;;
      --no-gateway) gateway=""; explicit=1; shift ;;
      --gateway) gateway=$2; explicit=1; shift 2 ;;
      *) tg_die "unknown option $1" ;;
    esac
  done
  [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 200 ] || tg_die "--clients wants 1..200"
  if lab_healthy "$n"; then # idempotent: a working lab of this size stays; only the gateway is (re)started
    tg_log "already up ($n clients)"
    # An explicitly requested gateway (or none) replaces the running one; the default keeps a running gateway.
    if [ -z "$explicit" ] && gateway_running; then return 0; fi
    stop_gateway
    if [ -n "$gateway" ]; then start_gateway "$gateway"; fi
    return 0
  fi
  cmd_down_lab
  trap 'tg_log "up failed: cleaning up the lab (tornet stays up)"
        tail -n 20 "$ST/tor/notice.log" >&2 2>/dev/null; cmd_down_lab' EXIT
  ST=$OWN_ST; MARK=$ST/
  mkdir -p "$ST" "$RUN"
  rm -f "$ST/dns-map"   # a new lab starts with an empty DNS name map
  echo "$ST" >"$RUN/owner"
  tornet up
  make_gw
  for i in $(seq 1 "$n"); do make_client "$i"; done
  start_gw_tor
  tg_wait_until 120 "the lab's tor client: bootstrap 100% and an exit" gw_tor_ready || exit 1
  [ -n "$gateway" ] && start_gateway "$gateway"
  trap - EXIT
  tg_log "lab up in $((SECONDS - t0)) s: $n clients, tor client in $GW bootstrapped"
  [ -z "$gateway" ] && tg_log "no gateway: $TUN absent, client traffic fails closed (SOCKS on $GW_ADDR:9050 only)"
  return 0
}

lab_healthy() { # N: the namespaces of a lab with N clients exist, its tor is ready, tornet is up
  [ "$(clients_list | wc -l)" = "$1" ] && tg_netns_exists "$GW" && tg_pid_alive "$RUN/tor.pid" "$MARK" \
    && gw_tor_ready && tornet status >/dev/null 2>&1
}

cmd_down_lab() { # everything but tornet
  local c
  tg_kill_pidfiles "$MARK" "$RUN/tor.pid"
  stop_gateway
  tg_kill_marked "$MARK"
  for c in $(clients_list); do tg_netns_delete "$c"; done
  tg_netns_exists "$NET" && ip -n "$NET" link del "$NET_IF" 2>/dev/null || true
  tg_netns_delete "$GW"
  rm -rf "$RUN"; rmdir /run/torgate-lab 2>/dev/null || true
}

cmd_status() {
  local c rc=0
  tornet status | tail -n 1 || rc=1
  if ! tg_netns_exists "$GW"; then echo "lab: down (no namespace $GW)"; return 3; fi
  for c in $(clients_list); do
    printf '  %-7s %s  DNS %s\n' "$c" "$(ip -n "$c" -4 -br addr show dev eth0 | awk '{print $3}')" \
      "$(awk '/^nameserver/ {printf "%s ", $2}' "/etc/netns/$c/resolv.conf")"
  done
  if gw_tor_ready; then echo "  tor client in $GW: bootstrapped (SOCKS $GW_ADDR:9050, $RUN/socks)"
  else echo "  tor client in $GW: NOT ready"; rc=1; fi
  if ip -n "$GW" link show "$TUN" >/dev/null 2>&1; then echo "  $TUN: present"
  else echo "  $TUN: absent (no gateway): client traffic fails closed"; fi
  echo "  table $TABLE: $(ip -n "$GW" route show table "$TABLE" | paste -sd ';')"
  if tg_pid_alive "$RUN/gateway.pid" ""; then echo "  gateway: running pid $(cat "$RUN/gateway.pid")"; fi
  [ "$rc" = 0 ] && echo "lab: up" || echo "lab: degraded"
  return "$rc"
}

ns_of() {
  case $1 in
    gw | "$GW") echo "$GW" ;;
    net | "$NET") echo "$NET" ;;
    c[0-9]*) echo "$CPREFIX${1#c}" ;;
    "$CPREFIX"[0-9]*) echo "$1" ;;
    *) tg_die "unknown lab machine $1 (c1.., gw, net)" ;;
  esac
}

lock() { # ARGS...: re-runs this script under a lock, one up/down at a time (tests and developers share the
  # machine). flock -o keeps the lock in flock itself, so the daemons we start do not inherit it.
  [ "${TG_LAB_LOCKED:-}" = "lab-$P" ] && return 0
  # Machine-wide (/run/lock), like the namespaces: other checkouts of the repository take it too.
  TG_LAB_LOCKED="lab-$P" exec flock -o -w 300 -E 75 "/run/lock/torgate-lab-lab-$P.lock" bash "$0" "$@"
}

CMD=${1:-status}; shift || true
case $CMD in
  up) tg_need_root; lock up "$@"; cmd_up "$@" ;;
  down) tg_need_root; lock down "$@"; cmd_down_lab
        if [ "${1:-}" = --keep-tornet ]; then tg_log "down (tornet $NET stays up)"
        else tornet down; tg_log "down"; fi ;;
  status) cmd_status ;;
  exec) tg_need_root; [ $# -ge 2 ] || tg_die "usage: lab.sh exec CLIENT CMD..."
        ns=$(ns_of "$1"); shift; tg_netns_exists "$ns" || tg_die "no namespace $ns (lab up?)"
        exec ip netns exec "$ns" "$@" ;;
  route-tun) tg_need_root; route_tun ;;
  gateway) tg_need_root
           case ${1:-} in
             start) [ $# -le 2 ] || tg_die "usage: lab.sh gateway start [CMD]   (default: torgate)"
                    tg_netns_exists "$GW" || tg_die "no lab (lab.sh up first)"
                    stop_gateway; start_gateway "${2:-$(default_gateway)}" ;;
             stop) stop_gateway ;;
             counters) gateway_counters ;;
             ctl) shift; gateway_ctl "$@" ;;
             *) tg_die "usage: lab.sh gateway start [CMD] | stop | counters | ctl ARGS..." ;;
           esac ;;
  env) cat <<EOF
LAB_PREFIX=$P
LAB_GW_NS=$GW
LAB_NET_NS=$NET
LAB_CLIENT_PREFIX=$CPREFIX
LAB_GW_ADDR=$GW_ADDR
LAB_CLIENT_NET=$CLIENT_NET
LAB_DNS1=$DNS1
LAB_DNS2=$DNS2
LAB_UP_NET_IP=$UP_NET_IP
LAB_UP_GW_IP=$UP_GW_IP
LAB_CAPTURE_NS=$NET
LAB_CAPTURE_IF=$NET_IF
LAB_TUN=$TUN
LAB_TABLE=$TABLE
LAB_TOR_SOCKS=$RUN/socks
LAB_TOR_SOCKS_TCP=$GW_ADDR:9050
LAB_TOR_CONTROL=$RUN/control
LAB_TOR_COOKIE=$ST/tor/data/control_auth_cookie
LAB_TOR_LOG=$ST/tor/notice.log
LAB_TOR_PIDFILE=$RUN/tor.pid
LAB_GATEWAY_PIDFILE=$RUN/gateway.pid
LAB_GATEWAY_LOG=$ST/gateway.log
LAB_GATEWAY_CONFIG=$ST/torgate.toml
LAB_GATEWAY_STATE=$ST
EOF
       for c in $(clients_list); do echo "LAB_ADDR_${c#"$CPREFIX"}=$(client_addr "${c#"$CPREFIX"}")"; done ;;
  *) echo "usage: $0 up [--clients N] [--no-gateway|--gateway CMD] | down [--keep-tornet] | status" \
       "| exec CLIENT CMD... | route-tun | gateway start [CMD]|stop|counters|ctl ARGS... | env" >&2
     exit 2 ;;
esac
