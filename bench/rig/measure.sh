# shellcheck shell=bash
# Measurements of the benchmark rig (sourced by lib.sh's caller after lib.sh). Each sample is one line of
# $RESULTS: PATH<TAB>METRIC<TAB>REP<TAB>VALUE. A failed measurement is a line with METRIC "error" and the reason,
# never a zero.

rig_record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"; }
rig_fail() { rig_record "$1" error - "$2"; rig_log "$1: FAILED: $2"; }
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -n 1; }

# CPU ticks (utime + stime, fields 14 and 15 of /proc/PID/stat; the command field may hold spaces).
rig_ticks() {
  local pid=$1
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || { echo 0; return; }
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat"
}
rig_now() { date +%s.%N; }
rig_cpu_begin() { CPU_T0=$(rig_now); CPU_GW0=$(rig_ticks "$GW_PID"); CPU_SK0=$(rig_ticks "$SINK_PID"); }
# rig_cpu_end PATH LABEL REP: records gateway (and sink) CPU% over the interval since rig_cpu_begin.
rig_cpu_end() {
  local t1 gw sk
  t1=$(rig_now); gw=$(rig_ticks "$GW_PID"); sk=$(rig_ticks "$SINK_PID")
  if [ -n "$GW_PID" ]; then
    rig_record "$1" "cpu_$2" "$3" "$(awk -v a="$CPU_GW0" -v b="$gw" -v t0="$CPU_T0" -v t1="$t1" -v hz="$CLK_TCK" \
      'BEGIN { printf "%.1f", (b - a) / hz / (t1 - t0) * 100 }')"
  fi
  if [ "$1" != kernel ] && [ "$1" != sink ]; then
    rig_record "$1" "sinkcpu_$2" "$3" "$(awk -v a="$CPU_SK0" -v b="$sk" -v t0="$CPU_T0" -v t1="$t1" \
      -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", (b - a) / hz / (t1 - t0) * 100 }')"
  fi
}
rig_status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }

# rig_load PATH ARGS...: runs RigLoad in the client namespace (through SOCKS for the sink path).
rig_load() {
  local p=$1; shift
  local socks=()
  [ "$p" = sink ] && socks=(--socks $GW_ADDR:$SINK_PORT)
  ip netns exec $NS_C timeout --kill-after=5 60 "$RIG_JAVA" -XX:+UseSerialGC -Xss256k -Xmx256m -cp "$BENCH_JAR" \
    io.torgate.bench.sink.RigLoad "${socks[@]}" "$@"
}

rig_reachable() {
  local line
  line=$(rig_load "$1" --mode crr --conns 1 --seconds 1 --warmup 0.2 --target $S_ADDR:$RR_PORT) || return 1
  echo "$line"
  [ "$(kv ops "$line")" -gt 0 ]
}

# rig_stream PATH up|down REP
rig_stream() {
  local p=$1 dir=$2 rep=$3 line gbps json
  rig_cpu_begin
  if [ "$p" = sink ]; then
    line=$(rig_load "$p" --mode "$dir" --seconds "$T_STREAM" --warmup "$WARM" --target $S_ADDR:$STREAM_PORT) || true
    gbps=$(kv gbps "$line")
    [ "$(kv errors "$line")" = 0 ] || gbps=""
  else
    local rev=() omit=()
    [ "$dir" = down ] && rev=(-R)
    [ "$REPS" -gt 1 ] && omit=(-O 1)
    json=$(ip netns exec $NS_C timeout --kill-after=5 $((T_STREAM + 20)) iperf3 -c $S_ADDR -p $IPERF_PORT \
      -t "$T_STREAM" "${omit[@]}" "${rev[@]}" -J 2>&1) || true
    gbps=$(/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read());
print("%.3f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9))' <<<"$json" 2>/dev/null) || gbps=""
    line=$(tail -c 300 <<<"$json" | tr '\n' ' ')
  fi
  rig_cpu_end "$p" "$dir" "$rep"
  if [ -n "$gbps" ]; then rig_record "$p" "${dir}_gbps" "$rep" "$gbps"; else rig_fail "$p" "$dir: $line"; fi
}

# rig_crr PATH CONNS REP: connect-request-close rate and latency.
rig_crr() {
  local p=$1 n=$2 rep=$3 line
  rig_cpu_begin
  line=$(rig_load "$p" --mode crr --conns "$n" --seconds "$T_CRR" --warmup "$WARM" --target $S_ADDR:$RR_PORT \
    --hist "$out/hist/$p-crr$n-$rep.hgrm") || true
  rig_cpu_end "$p" "crr$n" "$rep"
  if [ -n "$(kv rate "$line")" ] && [ "$(kv ops "$line")" -gt 0 ]; then
    rig_record "$p" "crr${n}_rate" "$rep" "$(kv rate "$line")"
    rig_record "$p" "crr${n}_p50_us" "$rep" "$(kv p50_us "$line")"
    rig_record "$p" "crr${n}_p99_us" "$rep" "$(kv p99_us "$line")"
    rig_record "$p" "crr${n}_errors" "$rep" "$(kv errors "$line")"
  else
    rig_fail "$p" "crr$n: ${line:-no output}"
  fi
}

# rig_rr PATH REP: request/response latency on one kept connection.
rig_rr() {
  local p=$1 rep=$2 line m
  line=$(rig_load "$p" --mode rr --conns 1 --seconds "$T_RR" --warmup "$WARM" --target $S_ADDR:$RR_PORT \
    --hist "$out/hist/$p-rr-$rep.hgrm") || true
  if [ -n "$(kv rate "$line")" ] && [ "$(kv ops "$line")" -gt 0 ] && [ "$(kv errors "$line")" = 0 ]; then
    for m in rate p50_us p90_us p99_us p999_us; do rig_record "$p" "rr_$m" "$rep" "$(kv $m "$line")"; done
  else
    rig_fail "$p" "rr: ${line:-no output}"
  fi
}

# rig_footprint PATH: RSS of the gateway process with N idle streams open through it.
rig_footprint() {
  local p=$1 log=$out/logs/idle-$1.log pid socks=() opened
  [ "$p" = sink ] && socks=(--socks $GW_ADDR:$SINK_PORT)
  pid=$(rig_bg $NS_C "$log" "$RIG_JAVA" -XX:+UseSerialGC -Xss256k -Xmx512m -cp "$BENCH_JAR" \
    io.torgate.bench.sink.RigLoad "${socks[@]}" --mode idle --conns "$footprint" --seconds 300 --warmup 0 \
    --target $S_ADDR:$RR_PORT)
  if rig_wait 90 grep -q 'idle: ready' "$log"; then
    sleep 2
    opened=$(kv open "$(grep 'idle: ready' "$log")")
    rig_record "$p" idle_open 1 "$opened"
    rig_cpu_begin
    sleep 2
    rig_cpu_end "$p" idle 1
    rig_record "$p" idle_rss_kb 1 "$(rig_status_kb "$GW_PID" VmRSS)"
    # A shortfall is a finding about the gateway's limits (reported), not a failure to measure.
    [ "$opened" = "$footprint" ] || rig_record "$p" note - "idle: only $opened of $footprint streams opened ($(
      tail -n 1 "$log"))"
  else
    rig_fail "$p" "idle: $footprint streams not open within 90 s: $(tail -n 2 "$log" | tr '\n' ' ')"
  fi
  rig_kill "$pid"
}

rig_measure_path() {
  local p=$1 rep
  for rep in $(seq 1 "$REPS"); do
    rig_stream "$p" up "$rep"
    rig_stream "$p" down "$rep"
    if [ -n "$GW_PID" ] && [ "$rep" = 1 ]; then
      rig_record "$p" hwm_transfer_kb 1 "$(rig_status_kb "$GW_PID" VmHWM)"
    fi
    rig_crr "$p" 1 "$rep"
    rig_crr "$p" 16 "$rep"
    rig_rr "$p" "$rep"
  done
  if [ -n "$GW_PID" ]; then
    rig_record "$p" rss_kb 1 "$(rig_status_kb "$GW_PID" VmRSS)"
    if [ "$footprint" -gt 0 ] && [ "$p" != sink ]; then rig_footprint "$p"; fi
    rig_record "$p" hwm_kb 1 "$(rig_status_kb "$GW_PID" VmHWM)"
    kill -0 "$GW_PID" 2>/dev/null || rig_fail "$p" "the gateway process died during the measurements"
  fi
}
