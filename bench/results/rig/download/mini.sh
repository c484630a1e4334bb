#!/usr/bin/env bash
# Mini rig (session 3, download investigation): own namespaces tgt-*, iperf3 streams only, paths in sequence.
# usage: mini.sh OUTDIR PATHS REPS SECONDS   (env TORGATE_JAR, RIG_TORGATE_JVM, RIG_TORGATE_LIMITS, HOOK)
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd); here=$root/bench/rig
out=$1; paths=$2; reps=$3; secs=$4
mkdir -p "$out/logs" "$out/hist"; out=$(cd "$out" && pwd); RESULTS=$out/results.tsv; : >"$RESULTS"
. "$here/lib.sh"; . "$here/measure.sh"
NS_C=tgt-c NS_GW=tgt-gw NS_S=tgt-s PIDS=/run/tgt-mini.pids
. "$root/scripts/jdk.sh" >/dev/null
BENCH_JAR=${RIG_BENCH_JAR:-$root/bench/target/benchmarks.jar}; TORGATE_JAR=${TORGATE_JAR:-$root/java/gateway/target/torgate.jar}
RIG_JAVA=$JAVA_HOME/bin/java; CLK_TCK=$(getconf CLK_TCK); REPS=$reps T_STREAM=$secs WARM=0.3 footprint=0
trap rig_cleanup EXIT; trap 'exit 143' TERM INT
rig_cleanup; rig_topology; rig_start_servers
echo "load before: $(uptime)" | tee "$out/meta.txt"
IFS=, read -r -a pl <<<"$paths"
for spec in "${pl[@]}"; do
  lim=""; case $spec in *"#"*) lim=${spec#*#}; spec=${spec%%#*} ;; esac
  export RIG_TORGATE_LIMITS="$(tr ';' '\n' <<<"$lim")"
  p=${spec%%:*}; label=$p
  if [ "$spec" != "$p" ]; then TORGATE_JAR=${spec#*:}; label=$p-$(basename "$(dirname "$TORGATE_JAR")"); fi
  [ -z "$lim" ] || label=$label-$(tr -dc 'a-z0-9' <<<"$lim" | cut -c1-24)
  rig_setup_"$p" >"$out/logs/setup-$p.log" 2>&1 || { cat "$out/logs/setup-$p.log"; continue; }
  rig_reachable "$p" >/dev/null || echo "$p unreachable"
  for r in $(seq 1 "$reps"); do
    for d in ${DIRS:-up down}; do
      if [ -n "${HOOK:-}" ] && [ "$d" = down ] && [ "$p" = torgate ]; then bash -c "$HOOK" "$GW_PID" "$out/$label" & hp=$!; else hp=""; fi
      rig_stream "$label" "$d" "$r" || true
      [ -z "$hp" ] || wait "$hp" || true
    done
  done
  rig_teardown_"$p" || true
done
echo "load after: $(uptime)" | tee -a "$out/meta.txt"
awk -F'\t' '$2 ~ /gbps|cpu_/ {print}' "$RESULTS" | sort -k2,2 -k1,1 | awk -F'\t' '{a[$1" "$2]=a[$1" "$2]" "$4} END{for(k in a) print k": "a[k]}' | sort
