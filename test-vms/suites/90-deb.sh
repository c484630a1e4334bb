#!/usr/bin/env bash
# Lab suite 90: the torgate .deb as a Qubes NetVM would use it. Builds deploy/target/torgate_*.deb (if not
# built), unpacks a fresh Debian bookworm root (debootstrap minbase, cached as .state/deb/base-bookworm.tar:
# the first run takes ~2.5 min more), and checks: `dpkg -i` stops on the missing dependencies and
# `apt-get install -f` resolves them; the launcher runs on the bundled runtime (no java in the root); a purge
# and a plain reinstall work. Then, in the lab's gateway namespace, the units run from the root as systemd
# would run them (deploy/test/unit-runner.py: PID 1 here is not systemd): without the qvm-service flag
# nothing starts; with it tor bootstraps as debian-tor, the gateway runs as torgate with only CAP_NET_ADMIN,
# says READY=1 and pings the watchdog, and the lab's clients browse through it (by address and by name).
# `systemctl stop` (SIGTERM to the runner) leaves the clients failing closed, with nothing leaking upstream.
# Finally `dpkg -r` (in the gateway namespace: its prerm removes the routing and nftables state) and
# `dpkg -P` leave no file behind. Bounded: ~6 min on a warm cache.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=../lib/common.sh
. "$here/lib/common.sh"
TG_LOG_TAG=suite-90
tg_need_root
export LAB_PREFIX=${LAB_PREFIX:-tgd}   # its own lab: another suite's (tgs) or a developer's (tg) keeps running
L=$here/lab.sh
LC=$here/leakcheck.sh
RUNNER=$top/deploy/test/unit-runner.py
cache=$TG_STATE_DIR/deb
mkdir -p "$cache"
R=$(mktemp -d /var/tmp/tgd-root.XXXXXX)
ev=$R.events; mkdir -p "$ev"
check() { tg_check "$@"; }
runner_pids=()
cleanup() {
  local p
  for p in "${runner_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${runner_pids[@]}"; do timeout 30 tail --pid="$p" -f /dev/null 2>/dev/null || true; done
  for m in "$R/dev" "$R/proc" "$R/sys"; do mountpoint -q "$m" && umount -l "$m"; done
  rm -rf "$cache/last-run"; cp -r "$ev" "$cache/last-run" 2>/dev/null || true   # the units' logs, for a post-mortem
  rm -rf "$R" "$ev"
  bash "$L" down >/dev/null 2>&1 || true
}
trap cleanup EXIT
t_start=$SECONDS

# --- the package and the base root ------------------------------------------------------------------------
# shellcheck source=../../scripts/jdk.sh
. "$top/scripts/jdk.sh" >/dev/null
deb=$(ls "$top"/deploy/target/torgate_*_amd64.deb 2>/dev/null | head -n 1 || true)
# Rebuilt when missing or older than any deploy file or the gateway jar.
if [ -n "$deb" ] && [ -n "$(find "$top/deploy" "$top/java/gateway/target/torgate.jar" -path "$top/deploy/target" \
    -prune -o -type f -newer "$deb" -print 2>/dev/null | head -n 1)" ]; then
  deb=""
fi
if [ -z "$deb" ]; then
  [ -f "$top/java/gateway/target/torgate.jar" ] || (cd "$top" && mvn -B -ntp -q install -DskipTests)
  (cd "$top" && mvn -B -ntp -q -f deploy/pom.xml package)
  deb=$(ls "$top"/deploy/target/torgate_*_amd64.deb | head -n 1)
fi
check "the .deb was built ($(du -h "$deb" | cut -f1))" test -s "$deb"
if [ ! -s "$cache/base-bookworm.tar" ]; then
  tg_log "debootstrap (first run only; ~2.5 min)"
  command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
  rm -rf "$cache/base-root"
  debootstrap --variant=minbase bookworm "$cache/base-root" http://deb.debian.org/debian >"$cache/debootstrap.log"
  tar -C "$cache/base-root" -cf "$cache/base-bookworm.tar" . && rm -rf "$cache/base-root"
fi
tar -C "$R" -xf "$cache/base-bookworm.tar"
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"; chmod 755 "$R/usr/sbin/policy-rc.d"   # no daemons now
cp /etc/resolv.conf "$R/etc/resolv.conf"
# A /dev as a Debian system has it (udev makes /dev/net/tun 0666; this machine's own is 0600, which would
# stop the unprivileged gateway for a reason no real NetVM has).
mount -t tmpfs -o mode=755,size=1m tgd-dev "$R/dev"
mkdir "$R/dev/net" "$R/dev/pts" "$R/dev/shm"
for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0 net/tun:10:200; do
  IFS=: read -r name major minor <<<"$n"
  mknod -m 666 "$R/dev/$name" c "$major" "$minor"
done
ln -s /proc/self/fd "$R/dev/fd"
mount -t proc proc "$R/proc"; mount -t sysfs sysfs "$R/sys"
cp "$deb" "$R/tmp/torgate.deb"
in_root() { chroot "$R" "$@"; }
status_of() { in_root dpkg-query -W -f='${Status}' torgate 2>/dev/null || true; }

out=$(in_root dpkg -i /tmp/torgate.deb 2>&1) && rc=0 || rc=$?
check "dpkg -i on a bare root stops on the missing dependencies" \
  bash -c "[ $rc != 0 ] && grep -q 'dependency problems' <<<'$out'"
check "apt-get install -f installs tor, nftables, iproute2 and configures torgate" \
  bash -c "timeout 300 chroot '$R' apt-get install -f -y -q --no-install-recommends -o Dpkg::Use-Pty=0 \
    >'$ev/apt.log' 2>&1 || { tail -n 20 '$ev/apt.log'; false; }"
check "torgate is 'install ok installed'" test "$(status_of)" = "install ok installed"
check "no system java in the root; the launcher runs on the bundled runtime" \
  bash -c "! chroot '$R' sh -c 'command -v java' && chroot '$R' /usr/bin/torgate --version | grep -q torgate"
check "postinst made the user torgate and enabled both units" bash -c "chroot '$R' id torgate >/dev/null &&
  [ -L '$R/etc/systemd/system/multi-user.target.wants/torgate.service' ] &&
  [ -L '$R/etc/systemd/system/multi-user.target.wants/torgate-tor.service' ]"
check "the packaged nftables rules parse (torgate-net check)" \
  unshare --net chroot "$R" /usr/lib/torgate/torgate-net check
check "dpkg -P (prerm in a throw-away namespace)" unshare --net chroot "$R" dpkg -P torgate
snapshot() { # every path in the root but package databases, caches, logs, pseudo-filesystems and /rw (the user's)
  (cd "$R" && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/lib/apt -o -path ./var/cache -o -path ./var/log \
    -o -path ./proc -o -path ./dev -o -path ./sys -o -path ./tmp -o -path ./rw -o -path ./run/qubes-service \) \
    -prune -o -print | grep -v -E '^\./etc/(passwd|group|shadow|gshadow)-$' | sort)
}
snapshot >"$ev/before"
check "dpkg -i with the dependencies present succeeds" in_root dpkg -i /tmp/torgate.deb

# --- the service against the lab --------------------------------------------------------------------------
check "lab up (2 clients, no gateway) within 360 s" timeout --kill-after=10 360 bash "$L" up --clients 2 --no-gateway
eval "$(bash "$here/tornet.sh" --ns "$LAB_PREFIX-net" env)"
eval "$(bash "$L" env)"
mkdir -p "$R/rw/config/torgate"
# The user's extra torrc: the private network's client fragment (its GeoIP paths point into the host's state).
: >"$R/rw/config/torgate/empty-geoip"
sed -e "s#^GeoIPFile .*#GeoIPFile /rw/config/torgate/empty-geoip#" \
    -e "s#^GeoIPv6File .*#GeoIPv6File /rw/config/torgate/empty-geoip#" "$TORNET_CLIENT_TORRC" \
    >"$R/rw/config/torgate/torrc"
echo "UPSTREAM=$(ip -n "$LAB_GW_NS" route show default | awk '{print $5}')" >"$R/rw/config/torgate/net.conf"
unit() { # NAME [RUNNER-OPTS]: runs the unit in the background like `systemctl start`, pid in runner_pids
  local name=$1; shift
  python3 "$RUNNER" --root "$R" --netns "$LAB_GW_NS" --unit "$R/usr/lib/systemd/system/$name.service" \
    --state "$ev" "$@" &
  runner_pids+=("$!")
}
events() { cat "$ev/$1.events" 2>/dev/null || true; }
unit torgate; tg_wait_until 10 "runner" grep -q -E '^(condition-failed|done)' "$ev/torgate.events" || true
check "without the qvm-service flag the unit does not start (condition-failed)" \
  bash -c "grep -q '^condition-failed' '$ev/torgate.events'"
: >"$ev/torgate.events"
mkdir -p "$R/run/qubes-service"; touch "$R/run/qubes-service/torgate"    # qvm-service --enable NETVM torgate
t0=$SECONDS
unit torgate-tor
check "tor (torgate-tor.service) bootstraps within 150 s" \
  tg_wait_until 150 "tor bootstrap" grep -q 'Bootstrapped 100%' "$ev/torgate-tor.log"
echo "    tor bootstrapped in $((SECONDS - t0)) s"
uid_of() { sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }
tor_pid=$(sed -n 's/^started [0-9.]* pid=//p' "$ev/torgate-tor.events" | tail -n 1)
check "tor runs as debian-tor" test "$(uid_of "$tor_pid")" = "$(chroot "$R" id -u debian-tor)"
t0=$SECONDS
unit torgate --continue-without-ready
tg_wait_until 75 "READY=1 or the start timeout" grep -q -E '^(ready|no-ready|done)' "$ev/torgate.events" || true
check "the gateway sent READY=1 over NOTIFY_SOCKET ($((SECONDS - t0)) s)" grep -q '^ready' "$ev/torgate.events"
grep -q '^ready' "$ev/torgate.events" || { cat "$ev/torgate.events"; tail -n 15 "$ev/torgate.log"; } | sed 's/^/    /'
main_pid=$(sed -n 's/^started [0-9.]* pid=//p' "$ev/torgate.events" | tail -n 1)
caps_only_net_admin() { # PID: runs as torgate, effective and bounding capability sets = CAP_NET_ADMIN (bit 12)
  [ -n "$1" ] && [ "$(uid_of "$1")" = "$(chroot "$R" id -u torgate)" ] &&
    grep -q '^CapEff:.*0000000000001000$' "/proc/$1/status" && grep -q '^CapBnd:.*0000000000001000$' "/proc/$1/status"
}
check "the gateway runs as torgate with CAP_NET_ADMIN only" caps_only_net_admin "$main_pid"
check "ExecStartPost routed the clients into $LAB_TUN (table 7467)" \
  bash -c "ip -n '$LAB_GW_NS' route show table 7467 | grep -q 'default dev $LAB_TUN'"
fetch() { # CLIENT URL: one page through the gateway, a few tries while the first circuits build
  local i
  for i in 1 2 3; do
    ip netns exec "$LAB_CLIENT_PREFIX${1#c}" curl -sS -m 30 "$2" 2>/dev/null && return 0
    sleep 2
  done
  return 1
}
check "c1 browses through torgate by address (http://$TORNET_WEB_IP/)" \
  test "$(fetch c1 "http://$TORNET_WEB_IP/")" = "hello from $TORNET_WEB_NAME"
check "c2 browses through torgate by name (DNS via torgate: http://$TORNET_WEB2_NAME/)" \
  test "$(fetch c2 "http://$TORNET_WEB2_NAME/")" = "hello from $TORNET_WEB2_NAME"
check "the gateway pings the watchdog (WATCHDOG=1 seen)" grep -q '^watchdog' "$ev/torgate.events"
check "client naming: torgate-qubes-clients lists both clients" bash -c "
  ip netns exec '$LAB_GW_NS' chroot '$R' /usr/lib/torgate/torgate-qubes-clients - | grep -q '^$LAB_ADDR_1	vif1' &&
  ip netns exec '$LAB_GW_NS' chroot '$R' /usr/lib/torgate/torgate-qubes-clients - | grep -q '^$LAB_ADDR_2	vif2'"

# --- systemctl stop: fail closed ----------------------------------------------------------------------------
kill -TERM "${runner_pids[-1]}" 2>/dev/null || true
tg_wait_until 40 "the unit to stop" grep -q '^done' "$ev/torgate.events" || true
check "the unit stopped (SIGTERM, ExecStopPost ran)" \
  bash -c "grep -q '^stopped' '$ev/torgate.events' && grep -q '^ExecStopPost [0-9.]* rc=0' '$ev/torgate.events'"
check "stopped: table 7467 holds only the unreachable fallback" \
  bash -c "t=\$(ip -n '$LAB_GW_NS' route show table 7467); [[ \$t == *unreachable* ]] && [[ \$t != *$LAB_TUN* ]]"
fast_error() { # CMD...: fails (non-zero) within 5 s
  local t=$SECONDS
  if timeout 10 "$@" >/dev/null 2>&1; then echo "    unexpectedly succeeded: $*"; return 1; fi
  [ $((SECONDS - t)) -le 5 ] || { echo "    took $((SECONDS - t)) s: $*"; return 1; }
}
bash "$LC" start deb-stopped
check "stopped: c1's HTTP fails at once" \
  fast_error ip netns exec "${LAB_CLIENT_PREFIX}1" curl -sS -m 8 "http://$TORNET_WEB_IP/"
ip netns exec "${LAB_CLIENT_PREFIX}1" timeout 60 "$TG_PY" "$here/tools/probe.py" --only tcp "$TORNET_WEB_IP" \
  "$TORNET_RELAY_IP" >/dev/null 2>&1 || true
out=$(bash "$LC" stop deb-stopped) || true
echo "$out" | head -n 1 | sed 's/^/    /'
leaked=$(sed -n 's/.* \([0-9]*\) leaked .*/\1/p' <<<"$out" | head -n 1)
check "stopped: zero packets leaked upstream" test "$leaked" = 0
kill -TERM "${runner_pids[-2]}" 2>/dev/null || true; timeout 30 tail --pid="${runner_pids[-2]}" -f /dev/null || true

# --- removal ------------------------------------------------------------------------------------------------
check "dpkg -r in the gateway namespace" ip netns exec "$LAB_GW_NS" chroot "$R" dpkg -r torgate
check "prerm removed the nftables table and the fwmark rule" bash -c "
  ! ip netns exec '$LAB_GW_NS' nft list table inet torgate >/dev/null 2>&1 &&
  ! ip -n '$LAB_GW_NS' rule show | grep -q 'lookup 7467'"
check "dpkg -r removed the program files" bash -c "[ ! -e '$R/usr/lib/torgate/torgate.jar' ] &&
  [ ! -e '$R/usr/bin/torgate' ] && [ ! -e '$R/usr/lib/systemd/system/torgate.service' ]"
check "dpkg -P torgate" unshare --net chroot "$R" dpkg -P torgate
rm -rf "$R/run/qubes-service"
snapshot >"$ev/after"
check "purge leaves no file behind (root identical to before the install)" diff -u "$ev/before" "$ev/after"
check "purge removed the user and group" bash -c "! grep -q '^torgate:' '$R/etc/passwd' '$R/etc/group' '$R/etc/shadow'"
t1=$SECONDS
check "lab down" bash "$L" down
echo "    suite time $((SECONDS - t_start)) s (lab down $((SECONDS - t1)) s)"
tg_summary 90-deb
