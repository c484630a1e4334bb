#!/usr/bin/env bash
# Builds bench/target/benchmarks.jar (every module, tests skipped) with a JDK >= 21 and runs JMH with the
# arguments given, e.g.:   bash bench/run.sh TunThroughputBenchmark      (TUN benchmarks need root)
#                          bash bench/run.sh -l                          (list benchmarks)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=../scripts/jdk.sh
. "$root/scripts/jdk.sh"
mvn -B -ntp -q -pl bench -am package -DskipTests
exec java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar "$@"
