#!/usr/bin/env bash
# The end-to-end benchmark rig (issue 8, item 2). One command measures, in ONE run, every path between a client
# namespace and a server namespace through a gateway namespace (veth pairs, MTU 1500):
#
#   tgb-c (10.137.0.11) ──vif1── tgb-gw ──up0── tgb-s (10.200.0.80: iperf3 -s, RigServer)
#
#   sink      the SOCKS5 sink alone: the client speaks SOCKS5 to the sink in tgb-gw (10.137.0.1:1080), which
#             connects to the server. Shows the sink is not the bottleneck of the proxied paths.
#   kernel    kernel forwarding in tgb-gw (the ceiling).
#   redsocks  iptables REDIRECT in tgb-gw + redsocks -> the sink (the mechanism of Tor's TransPort).
#   torgate   torgate in tgb-gw (tun0, client traffic policy-routed from vif1 into tun0), upstream = the sink,
#             with its default [tun] offload = true (virtio-net header, checksum + TCP segmentation offload).
#   torgate-plain  the same with [tun] offload = false (the plain TUN path; not in the default path list).
#   torgate-base   the torgate path from another jar (env RIG_TORGATE_BASE_JAR, JVM options RIG_TORGATE_BASE_JVM),
#             e.g. main's built elsewhere: before/after ratios in one run (not in the default path list).
#   torgate-w2, torgate-mq  torgate with [pipeline] workers = 2 on one TUN queue, and on two ([tun] queues = 2);
#             not in the default path list.
#
# Per path: single-stream throughput up and down (iperf3; RigLoad up/down for the sink, which iperf3 cannot
# reach through SOCKS), sequential and 16-way connect-request-close rate (RigLoad crr), request/response
# latency on one kept connection (RigLoad rr, HdrHistogram), CPU% of the gateway process from /proc/PID/stat
# deltas and its RSS (VmRSS, VmHWM); with --footprint (default in full mode) also the RSS with N idle streams.
# Full mode repeats each measurement 3 times (the table shows medians); --smoke measures once, briefly.
#
# Usage: bash bench/rig/rig.sh [--smoke] [--paths sink,kernel,redsocks,torgate] [--out DIR] [--build]
#                              [--footprint N | --no-footprint]
#   Needs root, iperf3, redsocks, iptables, python3, bench/target/benchmarks.jar and
#   java/gateway/target/torgate.jar (--build runs `mvn -B -ntp -q install -DskipTests` first).
#   Env: RIG_TORGATE_JVM (JVM options of torgate), RIG_TORGATE_TOML_EXTRA (lines appended to its config, after
#   every section: start them with a section header, e.g. $'[pipeline]\ntun_reader = "worker"'; not for
#   torgate-base, which takes RIG_TORGATE_BASE_TOML_EXTRA), RIG_TORGATE_LIMITS (lines added to [limits]),
#   RIG_TORGATE_SOCKS (lines added to [socks], e.g. "preconnect = 2"; not for torgate-base).
# Output: the table on stdout and in DIR/table.txt, DIR/results.tsv (every sample), DIR/latency.html (plot).
# Exit status: 0 when every requested path produced every number; 1 otherwise (the table says why).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/bench/rig

smoke=0 paths=sink,kernel,redsocks,torgate out="" build=0 footprint=""
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1 ;;
    --paths) paths=$2; shift ;;
    --out) out=$2; shift ;;
    --build) build=1 ;;
    --footprint) footprint=$2; shift ;;
    --no-footprint) footprint=0 ;;
    *) echo "rig: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" -eq 0 ] || { echo "rig: run as root (namespaces, veth, iptables)" >&2; exit 2; }

# The whole run is bounded: re-run ourselves under timeout (TERM runs the cleanup trap below).
if [ -z "${TGB_INNER:-}" ]; then
  limit=$([ "$smoke" = 1 ] && echo 170 || echo 1200)
  export TGB_INNER=1
  args=(--paths "$paths"); [ "$smoke" = 1 ] && args+=(--smoke); [ -n "$out" ] && args+=(--out "$out")
  [ "$build" = 1 ] && args+=(--build); [ -n "$footprint" ] && args+=(--footprint "$footprint")
  exec timeout --kill-after=15 "$limit" bash "$0" "${args[@]}"
fi

# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=measure.sh
. "$here/measure.sh"
cd "$root"
. "$root/scripts/jdk.sh" >/dev/null
if [ "$build" = 1 ]; then mvn -B -ntp -q install -DskipTests; fi
BENCH_JAR=${RIG_BENCH_JAR:-$root/bench/target/benchmarks.jar}
TORGATE_JAR=${RIG_TORGATE_JAR:-$root/java/gateway/target/torgate.jar}
[ -f "$BENCH_JAR" ] || rig_die "missing $BENCH_JAR (run with --build)"

out=${out:-${TMPDIR:-/tmp}/tgb-rig-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out/hist" "$out/logs"
out=$(cd "$out" && pwd)
RESULTS=$out/results.tsv
: >"$RESULTS"
if [ "$smoke" = 1 ]; then
  REPS=1 T_STREAM=2 T_CRR=1 T_RR=1 WARM=0.3; footprint=${footprint:-200}
else
  REPS=3 T_STREAM=5 T_CRR=3 T_RR=3 WARM=0.5; footprint=${footprint:-2000}
fi
RIG_JAVA=${RIG_JAVA:-$JAVA_HOME/bin/java}
CLK_TCK=$(getconf CLK_TCK)

rig_begin

{ echo "# rig $(date -u +%FT%TZ) smoke=$smoke reps=$REPS paths=$paths footprint=$footprint"
  echo "# torgate JVM: $RIG_TORGATE_JVM${RIG_TORGATE_LIMITS:+; extra [limits]: $(tr '\n' ';' <<<"$RIG_TORGATE_LIMITS")}"
  [ -z "${RIG_TORGATE_TOML_EXTRA:-}" ] || echo "# torgate config extra: $(tr '\n' ';' <<<"$RIG_TORGATE_TOML_EXTRA")"
  [ -z "${RIG_TORGATE_SOCKS:-}" ] || echo "# torgate [socks] extra: $(tr '\n' ';' <<<"$RIG_TORGATE_SOCKS")"
  [ -z "${RIG_TORGATE_BASE_JAR:-}" ] || echo "# torgate-base: $RIG_TORGATE_BASE_JAR${RIG_TORGATE_BASE_TOML_EXTRA:+; \
config extra: $(tr '\n' ';' <<<"$RIG_TORGATE_BASE_TOML_EXTRA")}"
  echo "# uptime: $(uptime)"; } >"$out/meta.txt"
rig_log "load before: $(uptime)"

rig_start_servers
IFS=, read -r -a path_list <<<"$paths"
for p in "${path_list[@]}"; do
  case $p in sink | kernel | redsocks | torgate | torgate-plain | torgate-base | torgate-w2 | torgate-mq) ;;
    *) rig_die "unknown path $p" ;;
  esac
  rig_log "path $p"
  # Not in $(...): setup sets GW_PID, which a subshell would lose.
  if rig_setup_"$p" >"$out/logs/setup-$p.log" 2>&1; then
    if check=$(rig_reachable "$p" 2>&1); then
      rig_measure_path "$p" || true
    else
      rig_fail "$p" "no exchange through the path: $(tail -n 3 <<<"$check" | tr '\n' ' ')"
    fi
  else
    rig_fail "$p" "setup failed: $(tail -n 3 "$out/logs/setup-$p.log" | tr '\n' ' ')"
  fi
  rig_teardown_"$p" || true
done
echo "# uptime after: $(uptime)" >>"$out/meta.txt"
rig_log "load after: $(uptime)"

status=0
/usr/bin/python3 "$here/report.py" --results "$RESULTS" --meta "$out/meta.txt" --paths "$paths" \
  --hist "$out/hist" --html "$out/latency.html" | tee "$out/table.txt" || status=1
rig_log "results in $out (table.txt, results.tsv, latency.html)"
exit $status
