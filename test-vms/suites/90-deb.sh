#!/usr/bin/env bash
# Lab suite 90: the torgate .deb as a Qubes NetVM uses it, under a real systemd. Builds deploy/target/torgate_*.deb
# (if stale), unpacks a fresh Debian bookworm root (debootstrap minbase, cached as .state/deb/base-bookworm.tar:
# the first run takes ~2.5 min more) and gives it systemd, as a template has. In a chroot: `dpkg -i` stops on the
# missing dependencies and `apt-get install -f` resolves them; the launcher runs on the bundled runtime (no java
# in the root); a purge works. Then the root BOOTS: systemd-nspawn --boot runs its systemd as PID 1 inside the
# lab's gateway namespace (so the booted system's tun0, routes and nftables serve the lab's clients; the nspawn
# options are explained at boot_netvm below), driven by systemctl/journalctl through nsenter. In the running
# system: `dpkg -i` (postinst enables the units); without the qvm-service flag nothing starts; an anti-test (a
# launcher that forks instead of exec'ing, so READY=1 comes from a pid NotifyAccess=main refuses) never becomes
# active; with the flag tor bootstraps as debian-tor, `systemctl start torgate` returns only after READY=1, the
# hardening is in force (capabilities, NoNewPrivileges, seccomp, read-only /usr and /proc/sys, hidden /home, the
# device allow-list), the clients browse by address and by name, SIGSTOP of the gateway makes the watchdog restart
# it, `systemctl stop torgate` ends in success (not failed) and leaves the clients failing closed with nothing
# leaking upstream, and `dpkg -r` /
# `dpkg -P` in the running system remove the routing and nftables state and every file. Bounded: ~6 min warm.
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
cache=$TG_STATE_DIR/deb
mkdir -p "$cache"
R=$(mktemp -d /var/tmp/tgd-root.XXXXXX)
ev=$R.events; mkdir -p "$ev"
check() { tg_check "$@"; }
nspawn_pid=""
leader=""
# Runs a command inside the booted NetVM: all of its PID 1's namespaces, its root and working directory.
in_vm() { nsenter --target "$leader" --mount --uts --ipc --net --pid --cgroup --root --wd -- "$@"; }
vmctl() { timeout 120 nsenter --target "$leader" --mount --uts --ipc --net --pid --cgroup --root --wd -- systemctl "$@"; }
prop() { vmctl show -p "$2" --value "$1" 2>/dev/null; }   # UNIT PROPERTY
unmount_chroot() { local m; for m in "$R/dev" "$R/proc" "$R/sys"; do if mountpoint -q "$m"; then umount -l "$m"; fi; done; }
cleanup() {
  if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
    [ -n "$leader" ] && in_vm journalctl -b --no-pager >"$ev/journal.txt" 2>&1 || true
    kill -TERM "$nspawn_pid" 2>/dev/null || true   # nspawn: SIGTERM = orderly shutdown of the container
    timeout 40 tail --pid="$nspawn_pid" -f /dev/null 2>/dev/null || kill -KILL "$nspawn_pid" 2>/dev/null || true
  fi
  unmount_chroot
  rm -rf "$cache/last-run"; cp -r "$ev" "$cache/last-run" 2>/dev/null || true   # journal + console, for a post-mortem
  rm -rf "$R" "$ev" "$R.tun"
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
  # package, not install: the shared ~/.m2 stays untouched.
  [ -f "$top/java/gateway/target/torgate.jar" ] || (cd "$top" && mvn -B -ntp -q -pl java/gateway -am package -DskipTests)
  (cd "$top" && mvn -B -ntp -q -f deploy/pom.xml package)
  deb=$(ls "$top"/deploy/target/torgate_*_amd64.deb | head -n 1)
fi
check "the .deb was built ($(du -h "$deb" | cut -f1))" test -s "$deb"
command -v systemd-nspawn >/dev/null || apt-get install -y -q --no-install-recommends systemd-container >/dev/null
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
mount -t tmpfs -o mode=755,size=1m tgd-dev "$R/dev"
mkdir "$R/dev/net" "$R/dev/pts" "$R/dev/shm"
for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  IFS=: read -r name major minor <<<"$n"
  mknod -m 666 "$R/dev/$name" c "$major" "$minor"
done
ln -s /proc/self/fd "$R/dev/fd"
mount -t proc proc "$R/proc"; mount -t sysfs sysfs "$R/sys"
in_root() { chroot "$R" "$@"; }
apt_root() { timeout 300 chroot "$R" apt-get "$@" -y -q --no-install-recommends -o Dpkg::Use-Pty=0; }
status_of() { in_root dpkg-query -W -f='${Status}' torgate 2>/dev/null || true; }
check "the root gets systemd, as a Debian template has it" \
  bash -c "$(declare -f apt_root); R='$R'; apt_root install systemd dbus >'$ev/apt-systemd.log' 2>&1 ||
    { tail -n 20 '$ev/apt-systemd.log'; false; }"
cp "$deb" "$R/var/cache/torgate.deb"   # /var/cache: outside the before/after snapshots, visible after the boot

out=$(in_root dpkg -i /var/cache/torgate.deb 2>&1) && rc=0 || rc=$?
check "dpkg -i on a bare root stops on the missing dependencies" \
  bash -c "[ $rc != 0 ] && grep -q 'dependency problems' <<<'$out'"
check "apt-get install -f installs tor, nftables, iproute2 and configures torgate" \
  bash -c "$(declare -f apt_root); R='$R'; apt_root install -f >'$ev/apt.log' 2>&1 || { tail -n 20 '$ev/apt.log'; false; }"
check "torgate is 'install ok installed'" test "$(status_of)" = "install ok installed"
check "no system java in the root; the launcher runs on the bundled runtime" \
  bash -c "! chroot '$R' sh -c 'command -v java' && chroot '$R' /usr/bin/torgate --version | grep -q torgate"
check "postinst (no running systemd) made the user torgate and enabled both units by their links" bash -c "
  chroot '$R' id torgate >/dev/null && [ -L '$R/etc/systemd/system/multi-user.target.wants/torgate.service' ] &&
  [ -L '$R/etc/systemd/system/multi-user.target.wants/torgate-tor.service' ]"
check "the packaged nftables rules parse (torgate-net check)" \
  unshare --net chroot "$R" /usr/lib/torgate/torgate-net check
check "dpkg -P (prerm in a throw-away namespace)" bash -c "unshare --net chroot '$R' dpkg -P torgate >/dev/null"
# README, install step 2: Debian's own tor client is not needed next to torgate-tor.
check "systemctl disable tor (Debian's own tor client)" bash -c "chroot '$R' systemctl disable tor >/dev/null 2>&1 &&
  [ ! -e '$R/etc/systemd/system/multi-user.target.wants/tor.service' ]"
rm -f "$R/usr/sbin/policy-rc.d"
unmount_chroot

# --- boot the NetVM in the lab's gateway namespace --------------------------------------------------------
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
# /dev/net/tun as udev makes it on a Debian system (0666); nspawn would copy this machine's 0600 node, which
# would stop the unprivileged gateway for a reason no real NetVM has.
mknod -m 666 "$R.tun" c 10 200
# The nspawn options, each needed (found by removing it):
#   --register=no --keep-unit      PID 1 of this machine is not systemd: no machined to register with, no
#                                  host manager to make a scope unit (nspawn would fail on the missing bus)
#   --network-namespace-path       the lab's gateway namespace: vif1/vif2, the upstream link, tun0 goes there
#   --capability=CAP_NET_ADMIN     nspawn keeps it only with a private network it made itself; torgate-net
#                                  (nft, ip rule) and the gateway's ambient CAP_NET_ADMIN need it in the bound
#   SYSTEMD_NSPAWN_API_VFS_WRITABLE=network   /proc/sys/net writable (ip_forward, IPv6 forwarding off):
#                                  read-only by default for the same reason as above
#   SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 + --system-call-filter=bpf   this host mounts cgroup v1 controllers
#                                  (hybrid); the container's systemd then cannot enforce DevicePolicy= (the v1
#                                  devices controller is not delegated) and silently allows every device. On a
#                                  pure cgroup2 hierarchy it attaches a BPF device program, which nspawn's seccomp
#                                  filter forbids unless bpf() is allowed
#   --bind=NODE:/dev/net/tun       the 0666 node above
boot_netvm() {
  SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 SYSTEMD_NSPAWN_API_VFS_WRITABLE=network \
    systemd-nspawn --boot --directory="$R" --machine="$LAB_PREFIX-netvm" --quiet --console=read-only \
    --register=no --keep-unit --network-namespace-path="/run/netns/$LAB_GW_NS" --capability=CAP_NET_ADMIN \
    --system-call-filter=bpf --bind="$R.tun:/dev/net/tun" </dev/null >"$ev/console.log" 2>&1 &
  nspawn_pid=$!
  tg_wait_until 30 "the NetVM's PID 1" pgrep -P "$nspawn_pid" -x systemd || return 1
  leader=$(pgrep -P "$nspawn_pid" -x systemd)
  tg_wait_until 30 "systemd's private socket" test -S "/proc/$leader/root/run/systemd/private" || return 1
  # is-system-running --wait: returns once the boot is finished (running, or degraded when a unit failed).
  state=$(timeout 90 nsenter --target "$leader" --mount --uts --ipc --net --pid --cgroup --root --wd -- \
    systemctl is-system-running --wait 2>/dev/null || true)
  [ "$state" = running ] || { echo "    system state '$state'"; in_vm systemctl --failed --no-legend | sed 's/^/    /'; return 1; }
}
t0=$SECONDS
check "the root boots under systemd-nspawn: systemd is PID 1, system 'running' (no failed unit)" boot_netvm
echo "    booted in $((SECONDS - t0)) s"
[ -n "$leader" ] || { tg_summary 90-deb; exit 1; }
check "PID 1 of the NetVM is systemd, on a pure cgroup2 hierarchy" bash -c "
  [ \"\$(cat /proc/$leader/comm)\" = systemd ] && [ \"\$(nsenter -t $leader -m stat -f -c %T /sys/fs/cgroup)\" = cgroup2fs ]"
check "Debian's own tor client stays off" test "$(vmctl is-active tor@default)" = inactive

snapshot() { # every path in the root but package databases, caches, logs, pseudo-filesystems and /rw (the user's)
  (cd "$R" && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/lib/apt -o -path ./var/cache -o -path ./var/log \
    -o -path ./proc -o -path ./dev -o -path ./sys -o -path ./tmp -o -path ./rw -o -path ./run \) \
    -prune -o -print | grep -v -E '^\./etc/(passwd|group|shadow|gshadow)-$' | sort)
}
snapshot >"$ev/before"
check "dpkg -i in the running system" bash -c "$(declare -f in_vm); leader=$leader
  in_vm dpkg -i /var/cache/torgate.deb >'$ev/dpkg-i.log' 2>&1 || { tail -n 20 '$ev/dpkg-i.log'; false; }"
check "postinst: systemctl enable (both units enabled)" \
  test "$(vmctl is-enabled torgate torgate-tor 2>/dev/null | tr '\n' ' ')" = "enabled enabled "

# --- the qvm-service toggle --------------------------------------------------------------------------------
vmctl start torgate || true
check "without the qvm-service flag, systemctl start leaves torgate and torgate-tor inactive (condition)" bash -c "
  [ '$(prop torgate ActiveState)' = inactive ] && [ '$(prop torgate ConditionResult)' = no ] &&
  [ '$(prop torgate-tor ActiveState)' = inactive ] && [ '$(prop torgate-tor ConditionResult)' = no ]"
in_vm sh -c 'mkdir -p /run/qubes-service && touch /run/qubes-service/torgate'   # qvm-service --enable NETVM torgate

# --- tor ---------------------------------------------------------------------------------------------------
t0=$SECONDS
vmctl start torgate-tor || true
check "torgate-tor.service is active and tor bootstraps within 150 s" \
  tg_wait_until 150 "tor bootstrap" bash -c "$(declare -f in_vm); leader=$leader
    in_vm journalctl -b -u torgate-tor --no-pager | grep -q 'Bootstrapped 100%'"
echo "    tor bootstrapped in $((SECONDS - t0)) s"
status_field() { in_vm sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }   # PID FIELD (in the NetVM)
tor_pid=$(prop torgate-tor MainPID)
check "tor runs as debian-tor, empty capability bounding set, NoNewPrivs" bash -c "
  [ '$(status_field "$tor_pid" Uid | awk '{print $1}')' = '$(in_vm id -u debian-tor)' ] &&
  [ '$(status_field "$tor_pid" CapBnd)' = 0000000000000000 ] && [ '$(status_field "$tor_pid" NoNewPrivs)' = 1 ]"

# --- anti-test: READY=1 from a pid that is not the main pid never activates the unit -------------------------
# A launcher that runs the gateway as a child (no exec): the JVM still sends READY=1, but NotifyAccess=main makes
# systemd drop it. The unit must time out, never be active, and never route the clients into tun0.
dropin=/proc/$leader/root/run/systemd/system/torgate.service.d   # the NetVM's /run, seen from here
mkdir -p "$dropin"
cat >"$dropin/anti-ready.conf" <<'UNIT'
[Service]
ExecStart=
ExecStart=/bin/sh -c '/usr/lib/torgate/torgate-start; exit $?'
TimeoutStartSec=15
Restart=no
UNIT
vmctl daemon-reload
anti_routed=no
( for _ in $(seq 80); do
    ip -n "$LAB_GW_NS" route show table 7467 2>/dev/null | grep -q "dev $LAB_TUN" && { echo yes >"$ev/anti-routed"; break; }
    sleep 0.25
  done ) &
watcher=$!
vmctl start torgate >/dev/null 2>&1 && rc=0 || rc=$?
wait "$watcher" 2>/dev/null || true
[ -s "$ev/anti-routed" ] && anti_routed=yes
result=$(prop torgate Result)
refused=$(in_vm journalctl -b -u torgate --no-pager | grep -c 'reception only permitted for main PID' || true)
check "anti-test: READY=1 from a forked child -> start fails (rc $rc, result $result), never routed ($anti_routed)" \
  test "$rc" != 0 -a "$result" = timeout -a "$anti_routed" = no
check "anti-test: systemd refused the child's READY=1 (NotifyAccess=main; $refused refusals in the journal)" \
  test "$refused" -ge 1
vmctl stop torgate || true
rm -rf "$dropin"
vmctl daemon-reload; vmctl reset-failed torgate || true

# --- the gateway -------------------------------------------------------------------------------------------
t0=$SECONDS
vmctl start torgate && rc=0 || rc=$?
t_active=$SECONDS
check "systemctl start torgate returns once READY=1 arrived ($((SECONDS - t0)) s): active, STATUS from the gateway" \
  bash -c "[ $rc = 0 ] && [ '$(prop torgate ActiveState)' = active ] && [ '$(prop torgate StatusText)' = 'running on $LAB_TUN' ]"
[ "$rc" = 0 ] || in_vm journalctl -b -u torgate --no-pager | tail -n 15 | sed 's/^/    /'
main_pid=$(prop torgate MainPID)
check "the gateway runs as torgate; CapEff = CapBnd = CapAmb = CAP_NET_ADMIN; NoNewPrivs; seccomp filter" bash -c "
  [ '$(status_field "$main_pid" Uid | awk '{print $1}')' = '$(in_vm id -u torgate)' ] &&
  [ '$(status_field "$main_pid" CapEff)' = 0000000000001000 ] && [ '$(status_field "$main_pid" CapBnd)' = 0000000000001000 ] &&
  [ '$(status_field "$main_pid" CapAmb)' = 0000000000001000 ] && [ '$(status_field "$main_pid" NoNewPrivs)' = 1 ] &&
  [ '$(status_field "$main_pid" Seccomp)' = 2 ]"
# In the gateway's own mount namespace (nsenter as root: only the mounts stop the writes, not permissions).
in_svc() { in_vm nsenter --target "$main_pid" --mount -- "$@"; }
check "ProtectSystem=strict: /usr and /etc read-only for the gateway, its StateDirectory writable" bash -c "
  $(declare -f in_vm in_svc); leader=$leader main_pid=$main_pid
  ! in_svc touch /usr/lib/torgate/probe 2>/dev/null && ! in_svc touch /etc/probe 2>/dev/null &&
  in_svc touch /var/lib/torgate/probe && in_svc rm /var/lib/torgate/probe"
check "ProtectKernelTunables: /proc/sys read-only for the gateway (writable in the NetVM outside it)" bash -c "
  $(declare -f in_vm in_svc); leader=$leader main_pid=$main_pid
  f=/proc/sys/net/ipv4/ip_forward; v=\$(in_vm cat \$f)
  ! in_svc sh -c \"echo \$v > \$f\" 2>/dev/null && in_vm sh -c \"echo \$v > \$f\""
check "ProtectHome + PrivateTmp: /home inaccessible, /tmp private" bash -c "
  $(declare -f in_vm in_svc); leader=$leader main_pid=$main_pid
  in_svc stat -c %a /home | grep -qx 0 && in_svc grep ' /tmp ' /proc/self/mountinfo | grep -q 'systemd-private-.*torgate.service'"
# DevicePolicy=closed + DeviceAllow=/dev/net/tun: a process in the gateway's cgroup cannot open another device
# (here a kmsg node, opened read-only and closed); the same open outside the cgroup works (the check can fail).
in_vm mknod -m 666 /dev/tgd-probe c 1 11
cg=$(in_vm sed -n 's/^0:://p' "/proc/$main_pid/cgroup")
# (Not in the NetVM's cgroup namespace: a process may only move between cgroups its namespace can see.)
in_cg() { nsenter --target "$leader" --mount --pid --root --wd -- sh -c "echo \$\$ >/sys/fs/cgroup$cg/cgroup.procs || exit 7
  exec 3</dev/tgd-probe"; }
in_cg 2>/dev/null && rc=0 || rc=$?
check "DevicePolicy=closed: in the gateway's cgroup another device cannot be opened (rc $rc); outside it can" \
  bash -c "$(declare -f in_vm); leader=$leader; [ $rc != 0 ] && [ $rc != 7 ] && in_vm sh -c 'exec 3</dev/tgd-probe'"
in_vm rm -f /dev/tgd-probe
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
check "client naming: torgate-qubes-clients lists both clients" bash -c "
  $(declare -f in_vm); leader=$leader
  in_vm /usr/lib/torgate/torgate-qubes-clients - | grep -q '^$LAB_ADDR_1	vif1' &&
  in_vm /usr/lib/torgate/torgate-qubes-clients - | grep -q '^$LAB_ADDR_2	vif2'"

# --- the watchdog ------------------------------------------------------------------------------------------
# Alive past WatchdogSec=30 with the same pid: the pings arrive (else systemd would have killed it).
wd0=$(prop torgate WatchdogTimestampMonotonic)
[ $((SECONDS - t_active)) -ge 36 ] || sleep $((36 - (SECONDS - t_active)))
check "WATCHDOG=1 pings: still active with the same pid $((SECONDS - t_active)) s after READY, watchdog timestamp moved" \
  bash -c "[ '$(prop torgate ActiveState)' = active ] && [ '$(prop torgate MainPID)' = '$main_pid' ] &&
    [ '$(prop torgate NRestarts)' = 0 ] && [ '$(prop torgate WatchdogTimestampMonotonic)' != '$wd0' ]"
t0=$SECONDS
in_vm sh -c "kill -STOP $main_pid"   # (the shell's kill: minbase has no procps)
restarted() { [ "$(prop torgate NRestarts)" = 1 ] && [ "$(prop torgate ActiveState)" = active ] &&
  [ "$(prop torgate MainPID)" != "$main_pid" ]; }
check "kill -STOP of the gateway: systemd's watchdog kills it and restarts it (within 90 s)" \
  tg_wait_until 90 "the watchdog restart" restarted
echo "    restarted $((SECONDS - t0)) s after SIGSTOP"
check "the journal names the watchdog" bash -c "$(declare -f in_vm); leader=$leader
  in_vm journalctl -b -u torgate --no-pager | grep -q 'Watchdog timeout'"
check "after the restart c1 browses again" test "$(fetch c1 "http://$TORNET_WEB_IP/")" = "hello from $TORNET_WEB_NAME"

# --- systemctl stop: fail closed ----------------------------------------------------------------------------
vmctl stop torgate && rc=0 || rc=$?
state="$(prop torgate ActiveState)/$(prop torgate Result)"
# A JVM ends on SIGTERM with status 143: without SuccessExitStatus=143 every stop would leave the unit failed.
check "systemctl stop torgate: inactive, result success ($state), not failed" test "$rc/$state" = 0/inactive/success
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

# --- removal, in the running system -------------------------------------------------------------------------
check "dpkg -r in the running system (prerm stops and disables the units)" bash -c "
  $(declare -f in_vm vmctl); leader=$leader; in_vm dpkg -r torgate >'$ev/dpkg-r.log' 2>&1 &&
  [ \"\$(vmctl show -p ActiveState --value torgate-tor)\" = inactive ]"
check "prerm removed the nftables table and the fwmark rule" bash -c "
  ! ip netns exec '$LAB_GW_NS' nft list table inet torgate >/dev/null 2>&1 &&
  ! ip -n '$LAB_GW_NS' rule show | grep -q 'lookup 7467'"
check "dpkg -r removed the program files" bash -c "[ ! -e '$R/usr/lib/torgate/torgate.jar' ] &&
  [ ! -e '$R/usr/bin/torgate' ] && [ ! -e '$R/usr/lib/systemd/system/torgate.service' ]"
check "dpkg -P torgate in the running system" bash -c "$(declare -f in_vm); leader=$leader
  in_vm dpkg -P torgate >'$ev/dpkg-p.log' 2>&1 || { tail -n 20 '$ev/dpkg-p.log'; false; }"
snapshot >"$ev/after"
check "purge leaves no file behind (root identical to before the install)" diff -u "$ev/before" "$ev/after"
check "purge removed the user and group" bash -c "! grep -q '^torgate:' '$R/etc/passwd' '$R/etc/group' '$R/etc/shadow'"
in_vm journalctl -b --no-pager >"$ev/journal.txt" 2>&1 || true
t0=$SECONDS
in_vm systemctl poweroff --no-block >/dev/null 2>&1 || true
if timeout 40 tail --pid="$nspawn_pid" -f /dev/null; then wait "$nspawn_pid" && rc=0 || rc=$?; nspawn_pid=""; else rc=timeout; fi
check "the NetVM powers off cleanly (nspawn exits 0 within 40 s)" test "$rc" = 0
echo "    powered off in $((SECONDS - t0)) s"
t1=$SECONDS
check "lab down" bash "$L" down
echo "    suite time $((SECONDS - t_start)) s (lab down $((SECONDS - t1)) s)"
tg_summary 90-deb
