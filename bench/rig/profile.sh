#!/usr/bin/env bash
# Where the gateway's single-stream time goes (issue 8, the download gap): the rig's topology with torgate alone,
# one iperf3 stream for 12 s, and over its middle 6 s the TUN packet counts (super-segments out, ACKs in), the
# gateway's CPU, and with --perf a system-wide `perf record -g` with the JIT's symbols (perf-PID.map).
#
# Usage: bash bench/rig/profile.sh [--dir down|up] [--perf] [--rps MASK] [--pin CPU] --out DIR
#   --rps MASK  writes MASK to tun0's rx-0 rps_cpus: the kernel's work on what torgate writes (forwarding,
#               segmentation, the client's receive) then runs on those CPUs instead of inside the worker's write().
#   --pin CPU   pins every torgate thread to CPU (taskset), e.g. with --rps set to the other CPU.
#   Needs root, iperf3, python3, perf (with --perf), bench/target/benchmarks.jar and java/gateway/target/torgate.jar.
#   Takes the rig's lock (/run/tgb-rig.lock); queue behind other rig runs with flock /tmp/tgb-rig-queue.lock.
# Output: one line on stdout (Gbit/s, gateway CPU%, super-segments and ACKs per second, bytes per super-segment)
# and DIR/perf.data (read it with `perf report -i DIR/perf.data --comm torgate-shard-0 --children`).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/bench/rig
dir=down perf=0 rps="" pin="" out=""
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dir=$2; shift ;;
    --perf) perf=1 ;;
    --rps) rps=$2; shift ;;
    --pin) pin=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$out" ] || { echo "--out DIR is required" >&2; exit 2; }
[ "$dir" = down ] || [ "$dir" = up ] || { echo "--dir is down or up" >&2; exit 2; }
mkdir -p "$out/logs"; out=$(cd "$out" && pwd)
RESULTS=$out/results.tsv; : >"$RESULTS"
# shellcheck source=../../scripts/jdk.sh
. "$root/scripts/jdk.sh" >/dev/null
RIG_JAVA=$JAVA_HOME/bin/java CLK_TCK=$(getconf CLK_TCK)
BENCH_JAR=${RIG_BENCH_JAR:-$root/bench/target/benchmarks.jar}
TORGATE_JAR=${RIG_TORGATE_JAR:-$root/java/gateway/target/torgate.jar}
REPS=1 footprint=0
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=measure.sh
. "$here/measure.sh"
# The JIT writes its symbols for perf at exit; frame pointers give perf whole Java stacks.
[ "$perf" = 1 ] && RIG_TORGATE_JVM="$RIG_TORGATE_JVM -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit \
-XX:+PreserveFramePointer"

rig_begin
rig_start_servers
rig_setup_torgate >"$out/logs/setup.log" 2>&1 || rig_die "torgate did not start: $(tail -n 3 "$out/logs/setup.log")"
if [ -n "$rps" ]; then
  ip netns exec $NS_GW sh -c "echo $rps >/sys/class/net/tun0/queues/rx-0/rps_cpus"
fi
[ -z "$pin" ] || taskset -a -p -c "$pin" "$GW_PID" >/dev/null

# tun0's counters from the gateway kernel's side: RX = what torgate wrote, TX = what torgate read.
tun_counts() { ip -n $NS_GW -s link show tun0 | awk 'f == 1 { print $1, $2; f = 0 } /RX:|TX:/ { f = 1 }' | xargs; }
rev=(); [ "$dir" = down ] && rev=(-R)
ip netns exec $NS_C timeout 40 iperf3 -c $S_ADDR -p $IPERF_PORT -t 12 "${rev[@]}" -J >"$out/iperf.json" 2>&1 &
client=$!
sleep 3
c0=$(tun_counts) t0=$(rig_now) k0=$(rig_ticks "$GW_PID")
if [ "$perf" = 1 ]; then
  perf record -F 999 -a -g -o "$out/perf.data" -- sleep 6 >"$out/logs/perf.log" 2>&1
else
  sleep 6
fi
c1=$(tun_counts) t1=$(rig_now) k1=$(rig_ticks "$GW_PID")
wait "$client" || true
rig_stop_torgate
/usr/bin/python3 - "$out/iperf.json" "$c0" "$c1" "$t0" "$t1" "$k0" "$k1" "$CLK_TCK" "$dir" <<'EOF'
import json, sys
report, c0, c1 = sys.argv[1], [int(x) for x in sys.argv[2].split()], [int(x) for x in sys.argv[3].split()]
t0, t1, k0, k1, tck, direction = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), \
    int(sys.argv[8]), sys.argv[9]
secs = t1 - t0
gbps = json.load(open(report))["end"]["sum_received"]["bits_per_second"] / 1e9
# RX = written by torgate (data down, ACKs up), TX = read by torgate.
wrote_b, wrote_p, read_b, read_p = (c1[i] - c0[i] for i in range(4))
data_b, data_p, ack_p = (wrote_b, wrote_p, read_p) if direction == "down" else (read_b, read_p, wrote_p)
print("dir=%s gbps=%.3f gw_cpu=%.1f%% data_pkts_per_s=%.0f bytes_per_data_pkt=%.0f acks_per_s=%.0f" % (
    direction, gbps, (k1 - k0) * 100.0 / tck / secs, data_p / secs, data_b / max(data_p, 1), ack_p / secs))
EOF
