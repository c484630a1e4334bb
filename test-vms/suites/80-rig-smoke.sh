#!/usr/bin/env bash
# Lab suite 80: the benchmark rig and the JMH suite cannot rot. `bench/rig/rig.sh --smoke` measures every path
# (sink alone, kernel forwarding, iptables REDIRECT + redsocks, torgate) once, briefly; every path must produce
# every number (the rig exits non-zero and prints "PATH: FAILED: reason" otherwise), the HTML plot must exist,
# and nothing of the rig may be left behind. Anti-test: with torgate's jar missing the same rig must fail and
# say why, so a path that cannot measure is never passed off as measured. Then a smoke-size JMH run (one fork,
# no warm-up, one 1 s iteration) over a fast subset must complete with a score for every benchmark. The download
# profiler (bench/rig/profile.sh) must measure one stream, too.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=../lib/common.sh
. "$here/lib/common.sh"
TG_LOG_TAG=suite-80
tg_need_root
check() { tg_check "$@"; }
work=$(mktemp -d /tmp/tgb-suite80.XXXXXX)
trap 'rm -rf "$work"' EXIT
# shellcheck source=../../scripts/jdk.sh
. "$root/scripts/jdk.sh" >/dev/null
cd "$root"
if [ ! -f bench/target/benchmarks.jar ] || [ ! -f java/gateway/target/torgate.jar ]; then
  mvn -B -ntp -q install -DskipTests
fi

rig_smoke() { # OUT [ENV...]: runs the smoke rig, output in OUT/stdout
  local o=$1; shift
  mkdir -p "$o"
  env "$@" timeout --kill-after=10 200 bash bench/rig/rig.sh --smoke --out "$o" >"$o/stdout" 2>"$o/stderr"
}
every_path_ok() {
  local p rc=0
  for p in sink kernel redsocks torgate; do
    grep -qx "$p: ok" "$work/run/stdout" ||
      { echo "    $p: $(grep "^$p: " "$work/run/stdout" || echo 'no line')"; rc=1; }
  done
  return $rc
}
numbers_positive() { # every required metric of every path is a positive number
  /usr/bin/python3 - "$work/run/results.tsv" <<'PY'
import sys
need = ["up_gbps", "down_gbps", "crr1_rate", "crr16_rate", "rr_p50_us", "rr_p99_us"]
have = {}
for line in open(sys.argv[1]):
    p, m, _, v = line.rstrip("\n").split("\t")
    if m in need:
        have[(p, m)] = float(v)
bad = [(p, m) for p in ("sink", "kernel", "redsocks", "torgate") for m in need if have.get((p, m), 0) <= 0]
for p, m in bad:
    print("    missing or not positive: %s %s" % (p, m))
sys.exit(1 if bad else 0)
PY
}
gateway_measured() { # CPU% and RSS of the gateway processes were read
  local p m
  for p in redsocks torgate; do
    for m in cpu_down rss_kb idle_rss_kb; do
      grep -qP "^$p\t$m\t" "$work/run/results.tsv" || { echo "    no $m for $p"; return 1; }
    done
  done
}
nothing_left() {
  local ns p cmd
  for ns in tgb-c tgb-gw tgb-s; do [ -e "/run/netns/$ns" ] && { echo "    namespace $ns left"; return 1; }; done
  for p in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    [[ $cmd == *"$work/"* || $cmd == *io.torgate.bench.sink.* ]] &&
      { echo "    process left: ${p#/proc/} $cmd"; return 1; }
  done
  return 0
}
plot_has_curves() { [ "$(grep -c '<polyline' "$work/run/latency.html")" -ge 8 ]; }

t0=$SECONDS
check "rig --smoke (all paths) exits 0 within 200 s" rig_smoke "$work/run"
echo "  (rig took $((SECONDS - t0)) s)"
sed 's/^/    /' "$work/run/stdout"
check "every path says ok" every_path_ok
check "every path has positive throughput, rates and latencies" numbers_positive
check "gateway CPU% and RSS (also with idle streams) measured for redsocks and torgate" gateway_measured
check "latency plot written with a curve per path and kind" plot_has_curves
check "no rig namespace or process left" nothing_left

# Anti-test: a path that cannot be built must fail the rig, with its reason in the table.
failed_path_reported() {
  mkdir -p "$work/anti"
  if RIG_TORGATE_JAR=/nonexistent/torgate.jar timeout --kill-after=10 120 \
    bash bench/rig/rig.sh --smoke --paths kernel,torgate --no-footprint --out "$work/anti" \
    >"$work/anti/stdout" 2>&1; then
    echo "    the rig passed without a torgate jar"; return 1
  fi
  grep -q '^torgate: FAILED: .*nonexistent' "$work/anti/stdout" && grep -qx 'kernel: ok' "$work/anti/stdout" \
    || { tail -n 5 "$work/anti/stdout"; return 1; }
}
check "rig fails and says why when the torgate path cannot start (kernel still measured)" failed_path_reported
check "no rig namespace or process left after the failed run" nothing_left

# The download profiler (bench/rig/profile.sh, no perf): one torgate stream down; with offload on (the default)
# torgate must be writing super-segments, i.e. more bytes per packet written to tun0 than the MTU.
profile_measures() {
  timeout --kill-after=10 120 bash bench/rig/profile.sh --dir down --out "$work/prof" >"$work/prof.txt" \
    2>"$work/prof.err" || { tail -n 5 "$work/prof.err"; return 1; }
  sed 's/^/    /' "$work/prof.txt"
  /usr/bin/python3 - "$work/prof.txt" <<'PY'
import sys
kv = dict(f.split("=", 1) for f in open(sys.argv[1]).read().split() if "=" in f)
gbps, size = float(kv.get("gbps", 0)), float(kv.get("bytes_per_data_pkt", 0))
ok = gbps > 0 and float(kv.get("data_pkts_per_s", 0)) > 0 and size > 1500
sys.exit(0 if ok else 1)
PY
}
check "profile.sh measures a torgate download, written as super-segments (> 1500 B per packet)" profile_measures
check "no rig namespace or process left after the profile" nothing_left

# Smoke-size JMH: one fork, no warm-up, one 1 s iteration, fail on error.
jmh_subset='io.torgate.bench.wire.ChecksumBenchmark|io.torgate.bench.tor.Socks5CodecBenchmark.parseReply'
jmh_smoke() {
  timeout --kill-after=10 180 java -jar bench/target/benchmarks.jar -f 1 -wi 0 -i 1 -r 1 -foe true "$jmh_subset" \
    >"$work/jmh.txt" 2>&1 || { tail -n 20 "$work/jmh.txt"; return 1; }
  # The summary table has a row per benchmark and parameter: full and incremental (2 sizes each), parseReply.
  local rows row='(ChecksumBenchmark|Socks5CodecBenchmark)\.[a-zA-Z]+ .*(avgt|thrpt) +[0-9.]+ '
  rows=$(grep -cE "$row" "$work/jmh.txt" || true)
  [ "$rows" -ge 5 ] || { tail -n 10 "$work/jmh.txt"; return 1; }
}
check "JMH smoke (-f 1 -wi 0 -i 1 -r 1) completes with a score per benchmark" jmh_smoke

tg_summary 80-rig-smoke
