# shellcheck shell=bash
# Functions of the benchmark rig (sourced by rig.sh, which sets root, out, RESULTS, REPS, T_*, WARM, BENCH_JAR,
# TORGATE_JAR, RIG_JAVA, CLK_TCK, footprint). Every namespace is named tgb-*; every process we start is recorded
# in $PIDS and ended by its id; every command that could hang runs under timeout.

NS_C=tgb-c NS_GW=tgb-gw NS_S=tgb-s
C_ADDR=10.137.0.11 GW_ADDR=10.137.0.1 S_ADDR=10.200.0.80 UP_ADDR=10.200.0.1
SINK_PORT=1080 RR_PORT=7000 STREAM_PORT=7001 IPERF_PORT=5201 REDSOCKS_PORT=12345
PIDS=/run/tgb-rig.pids
GW_PID=""    # the measured gateway process of the current path (empty for kernel forwarding)
SINK_PID=""

rig_log() { printf '[%s] rig: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
rig_die() { rig_log "ERROR: $*"; exit 1; }

# rig_bg NS LOG CMD...: starts CMD in namespace NS in the background, records its pid, prints it.
rig_bg() {
  local ns=$1 log=$2; shift 2
  ip netns exec "$ns" "$@" >"$log" 2>&1 &
  echo $! >>"$PIDS"
  echo $!
}

# rig_kill PID: TERM, then KILL after 5 s; only a pid we recorded.
rig_kill() {
  local pid=$1 i
  [ -n "$pid" ] && grep -qx "$pid" "$PIDS" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Ends what we recorded, then deletes our namespaces (anything still inside them is ours: we created them).
rig_cleanup() {
  local pid ns pids
  if [ -f "$PIDS" ]; then
    while read -r pid; do rig_kill "$pid"; done <"$PIDS"
    rm -f "$PIDS"
  fi
  for ns in $NS_C $NS_GW $NS_S; do
    [ -e "/run/netns/$ns" ] || continue
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    # shellcheck disable=SC2086
    [ -n "$pids" ] && { kill $pids 2>/dev/null || true; sleep 0.5; kill -9 $pids 2>/dev/null || true; }
    ip netns del "$ns" 2>/dev/null || true
  done
  touch "$PIDS"
}

# rig_begin: takes the rig's lock (one run at a time on the machine), arranges the cleanup for any exit, clears
# what an earlier run left and builds the namespaces.
rig_begin() {
  exec 9>/run/tgb-rig.lock
  flock -w 30 9 || rig_die "another rig run holds /run/tgb-rig.lock"
  trap rig_cleanup EXIT
  trap 'exit 143' TERM INT
  rig_cleanup
  rig_topology
}

rig_topology() {
  local ns
  for ns in $NS_C $NS_GW $NS_S; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # Thousands of connections per second: widen the port range, let TIME_WAIT ports be reused (timestamps on).
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1 \
      net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.core.somaxconn=4096
  done
  ip link add vif1 netns $NS_GW mtu 1500 type veth peer name eth0 netns $NS_C mtu 1500
  ip link add up0 netns $NS_GW mtu 1500 type veth peer name eth0 netns $NS_S mtu 1500
  ip -n $NS_C addr add $C_ADDR/32 dev eth0
  ip -n $NS_C link set eth0 up
  ip -n $NS_C route add $GW_ADDR dev eth0
  ip -n $NS_C route add default via $GW_ADDR
  ip -n $NS_GW addr add $GW_ADDR/32 dev vif1
  ip -n $NS_GW link set vif1 up
  ip -n $NS_GW route add $C_ADDR/32 dev vif1
  ip -n $NS_GW addr add $UP_ADDR/24 dev up0
  ip -n $NS_GW link set up0 up
  ip -n $NS_S addr add $S_ADDR/24 dev eth0
  ip -n $NS_S link set eth0 up
  ip -n $NS_S route add default via $UP_ADDR
  ip netns exec $NS_GW sysctl -qw net.ipv4.ip_forward=0
}


# rig_wait SECONDS CMD...: polls until CMD succeeds.
rig_wait() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.2; done
}

rig_start_servers() {
  ulimit -n "$(ulimit -Hn)"   # 2,000 idle streams are 4,000 sockets in the sink
  rig_bg $NS_S "$out/logs/iperf3.log" iperf3 -s -p $IPERF_PORT >/dev/null
  rig_bg $NS_S "$out/logs/rig-server.log" "$RIG_JAVA" -XX:+UseParallelGC -Xmx512m -Xss256k -cp "$BENCH_JAR" \
    io.torgate.bench.sink.RigServer --rr $S_ADDR:$RR_PORT --stream $S_ADDR:$STREAM_PORT >/dev/null
  # 2 x 64 KiB of direct buffers per session: 2,000 idle streams need 256 MiB of them.
  SINK_PID=$(rig_bg $NS_GW "$out/logs/sink.log" "$RIG_JAVA" -XX:+UseParallelGC -Xmx256m -XX:MaxDirectMemorySize=1g \
    -cp "$BENCH_JAR" \
    io.torgate.bench.sink.SocksSink --listen 127.0.0.1:$SINK_PORT --listen $GW_ADDR:$SINK_PORT)
  rig_wait 30 grep -q 'listening' "$out/logs/sink.log" || rig_die "the sink did not start: $(cat "$out/logs/sink.log")"
  rig_wait 30 grep -q 'rig-server:' "$out/logs/rig-server.log" || rig_die "RigServer did not start"
  rig_wait 10 ip netns exec $NS_S sh -c "ss -ltn | grep -q :$IPERF_PORT" || rig_die "iperf3 -s did not start"
}

# --- paths: setup prints a reason and fails when the path cannot be built ------------------------------------

rig_setup_sink() { GW_PID=$SINK_PID; }
rig_teardown_sink() { GW_PID=""; }

rig_setup_kernel() { GW_PID=""; ip netns exec $NS_GW sysctl -qw net.ipv4.ip_forward=1; }
rig_teardown_kernel() { ip netns exec $NS_GW sysctl -qw net.ipv4.ip_forward=0; }

rig_setup_redsocks() {
  command -v redsocks >/dev/null || { echo "redsocks is not installed"; return 1; }
  cat >"$out/redsocks.conf" <<EOF
base { log_debug = off; log_info = off; log = stderr; daemon = off; redirector = iptables; }
redsocks { local_ip = $GW_ADDR; local_port = $REDSOCKS_PORT; ip = 127.0.0.1; port = $SINK_PORT; type = socks5; }
EOF
  ip netns exec $NS_GW iptables -t nat -A PREROUTING -i vif1 -p tcp -j REDIRECT --to-ports $REDSOCKS_PORT || return 1
  GW_PID=$(rig_bg $NS_GW "$out/logs/redsocks.log" redsocks -c "$out/redsocks.conf")
  rig_wait 10 ip netns exec $NS_GW sh -c "ss -ltn | grep -q :$REDSOCKS_PORT" ||
    { cat "$out/logs/redsocks.log"; return 1; }
}
rig_teardown_redsocks() {
  rig_kill "$GW_PID"; GW_PID=""
  ip netns exec $NS_GW iptables -t nat -F PREROUTING 2>/dev/null || true
}

# The documented small-VM JVM configuration (the deploy launcher and the lab use the same file).
RIG_TORGATE_JVM=${RIG_TORGATE_JVM:-@$root/deploy/defaults/jvm.options}

# torgate with its default [tun] offload = true (virtio-net header, checksum + TCP segmentation offload).
rig_setup_torgate() { rig_start_torgate true "$out/torgate.toml"; }
rig_teardown_torgate() { rig_stop_torgate; }
# The same with [tun] offload = false: the plain TUN path, MTU-sized packets both ways.
rig_setup_torgate-plain() { rig_start_torgate false "$out/torgate-plain.toml"; }
rig_teardown_torgate-plain() { rig_stop_torgate; }
# The default path from another build, for before/after ratios in one run: RIG_TORGATE_BASE_JAR (e.g. main's jar
# built in another directory) with RIG_TORGATE_BASE_JVM (default: RIG_TORGATE_JVM) and RIG_TORGATE_BASE_TOML_EXTRA
# (default: none; RIG_TORGATE_TOML_EXTRA is for this build's paths, whose keys an older jar may refuse).
rig_setup_torgate-base() {
  TORGATE_JAR=${RIG_TORGATE_BASE_JAR:?torgate-base needs RIG_TORGATE_BASE_JAR} \
    RIG_TORGATE_TOML_EXTRA=${RIG_TORGATE_BASE_TOML_EXTRA:-} RIG_TORGATE_SOCKS="" \
    RIG_TORGATE_JVM=${RIG_TORGATE_BASE_JVM:-$RIG_TORGATE_JVM} rig_start_torgate true "$out/torgate-base.toml"
}
rig_teardown_torgate-base() { rig_stop_torgate; }
# Two workers on one TUN queue, and two workers on two queues ([tun] queues = 2: a reader per queue, each worker
# writing on its own); with offload. Compared with each other in the same run (issue 8, multi-queue).
rig_setup_torgate-w2() { rig_start_torgate true "$out/torgate-w2.toml" 1 2; }
rig_teardown_torgate-w2() { rig_stop_torgate; }
rig_setup_torgate-mq() { rig_start_torgate true "$out/torgate-mq.toml" 2 2; }
rig_teardown_torgate-mq() { rig_stop_torgate; }

# rig_start_torgate OFFLOAD CONF [QUEUES WORKERS]: generates CONF (unless RIG_TORGATE_CONFIG names one) and
# starts torgate.
rig_start_torgate() {
  [ -f "$TORGATE_JAR" ] || { echo "missing $TORGATE_JAR (run with --build)"; return 1; }
  local conf=${RIG_TORGATE_CONFIG:-$2}
  [ -n "${RIG_TORGATE_CONFIG:-}" ] || rig_torgate_config "$1" "${3:-}" "${4:-}" >"$conf"
  # shellcheck disable=SC2086
  GW_PID=$(rig_bg $NS_GW "$out/logs/torgate.log" "$RIG_JAVA" $RIG_TORGATE_JVM --enable-native-access=ALL-UNNAMED \
    -jar "$TORGATE_JAR" run --config "$conf")
  # tun0 appears before torgate sets it up; a route into a device that is down is refused.
  if ! rig_wait 40 sh -c "ip -n $NS_GW -o link show tun0 up | grep -q tun0"; then
    echo "tun0 not up within 40 s; torgate log:"; tail -n 5 "$out/logs/torgate.log"; return 1
  fi
  # torgate opens tun0 before it builds and starts its workers (1-4 s later on a loaded machine): a SYN sent in
  # between waits for them, and the reachability check's 1 s ran out before the first exchange in some runs.
  if ! rig_wait 40 grep -q "torgate running" "$out/logs/torgate.log"; then
    echo "torgate not running within 40 s; torgate log:"; tail -n 5 "$out/logs/torgate.log"; return 1
  fi
  ip -n $NS_GW route add default dev tun0 table 100 &&
    ip -n $NS_GW rule add iif vif1 lookup 100 priority 100 &&
    ip -n $NS_GW rule add iif vif1 unreachable priority 101 &&
    ip netns exec $NS_GW sysctl -qw net.ipv4.conf.vif1.forwarding=1 net.ipv4.conf.tun0.forwarding=1 \
      net.ipv4.conf.tun0.rp_filter=0
}
rig_stop_torgate() {
  ip -n $NS_GW rule del iif vif1 lookup 100 priority 100 2>/dev/null || true
  ip -n $NS_GW rule del iif vif1 unreachable priority 101 2>/dev/null || true
  ip netns exec $NS_GW sysctl -qw net.ipv4.conf.vif1.forwarding=0 2>/dev/null || true
  rig_kill "$GW_PID"; GW_PID=""
}

# The generated configuration: the example's defaults, the sink as upstream, limits raised for the load.
# rig_torgate_config OFFLOAD [QUEUES WORKERS] (without them: the defaults, one queue and one worker)
rig_torgate_config() {
  cat <<EOF
# Generated by bench/rig/rig.sh: the sink stands in for Tor's SocksPort.
[tun]
name = "tun0"
mtu = 1500
address = "10.139.1.254/32"
offload = ${1:-true}
${2:+queues = $2}
[network]
client_ranges = ["10.137.0.0/16"]
gateway_addresses = ["10.139.1.1", "10.139.1.2"]
[socks]
endpoint = "127.0.0.1:$SINK_PORT"
${RIG_TORGATE_SOCKS:-}
[limits]
syns_in_flight_per_client = 256
streams_per_client = 16384
streams = 16384
${RIG_TORGATE_LIMITS:-}
${3:+[pipeline]}
${3:+workers = $3}
${RIG_TORGATE_TOML_EXTRA:-}
EOF
}
