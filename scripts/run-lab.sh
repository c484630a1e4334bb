#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, starts the lab (a private Tor network, a gateway
# namespace running torgate on tun0, two client VMs) and shows that it works: the client VMs fetch a page by
# name through the transparent gateway, each on its own Tor circuit. Leaves the lab running. Run as root.
# Usage: bash scripts/run-lab.sh [--clients N] [--skip-build] [--no-gateway]
#   --no-gateway     no torgate: clients reach Tor only through the lab tor's SocksPort
#   TORGATE_CMD=...  run another gateway command in the lab instead of torgate (see test-vms/lab.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
clients=2 build=1 gateway=(); demo=()
while [ $# -gt 0 ]; do
  case $1 in
    --clients) clients=$2; shift 2 ;;
    --skip-build) build=0; shift ;;
    --no-gateway) gateway=(--no-gateway); demo=(--socks); shift ;;
    *) echo "usage: $0 [--clients N] [--skip-build] [--no-gateway]" >&2; exit 2 ;;
  esac
done

step() { echo; echo "=== $*"; }

step "1/4 setup: packages and a JDK >= 21"
bash scripts/setup.sh
# shellcheck source=jdk.sh
. scripts/jdk.sh

if [ "$build" = 1 ]; then
  step "2/4 build: native library and Java modules (mvn install -DskipTests)"
  mvn -B -ntp -q install -DskipTests
else
  step "2/4 build: skipped (--skip-build)"
fi

step "3/4 lab: private Tor network (3 authorities, 3 exits, 1 middle), gateway namespace with torgate," \
  "$clients client VMs"
bash test-vms/lab.sh up --clients "$clients" "${gateway[@]}"
bash test-vms/lab.sh status

step "4/4 does it work? client VMs fetch a page by name (plain curl) through the transparent gateway"
demo_clients=()
for i in $(seq 1 "$clients"); do demo_clients+=("c$i"); done
bash test-vms/demo.sh "${demo[@]}" "${demo_clients[@]}"

cat <<'EOF'

What you just saw: each client VM ran a plain `curl http://web.lab.test/`. Its resolver (10.139.1.1, as in a
Qubes client qube) was answered by torgate, the gateway in tg-gw: a virtual address standing for the name. The
connection to it went into tun0 (policy routing: client traffic goes nowhere else), torgate terminated TCP in
its userspace stack and asked the lab's tor client over SOCKS to connect BY NAME, so the exit of the private
Tor network resolved it and fetched the page. Each client VM got its own circuit (torgate's per-client
isolation credentials). Everything else a client sends (UDP, ICMP, IPv6, ...) is dropped; if torgate dies,
tun0 goes with it and client traffic meets an `unreachable` route (fails closed).

Explore:
  bash test-vms/lab.sh status                                         # what runs where
  bash test-vms/lab.sh exec c1 curl -sS http://web2.lab.test/files/1M.bin | sha256sum
  bash test-vms/lab.sh exec c1 dig web.lab.test                       # answered by torgate
  bash test-vms/lab.sh exec c1 ping -c1 -W2 198.18.0.10               # dropped: only TCP and DNS go through
  bash test-vms/lab.sh gateway counters                               # torgate ctl status + clients + streams
  bash test-vms/lab.sh gateway ctl streams                            # torgate's open streams and their circuits
  bash test-vms/lab.sh exec gw ip rule; bash test-vms/lab.sh exec gw ip route show table 100
  cat test-vms/.state/lab/tg/torgate.toml                             # the generated gateway configuration
  eval "$(bash test-vms/lab.sh env)"; python3 test-vms/tools/torctl.py "$LAB_TOR_CONTROL" \
      --cookie "$LAB_TOR_COOKIE" cmd "GETINFO circuit-status"
  bash test-vms/lab.sh gateway stop; bash test-vms/lab.sh exec c1 curl -m 5 http://web.lab.test/   # fails closed
  bash test-vms/lab.sh gateway start                                  # torgate again
  bash test-vms/leakcheck.sh --help                                   # capture upstream and classify
Tear down (nothing left behind: namespaces, links, processes):
  bash test-vms/lab.sh down
EOF
