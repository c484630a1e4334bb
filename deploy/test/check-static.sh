#!/usr/bin/env bash
# Static checks of the deploy files (Maven test phase of the deploy module): every shell script parses, the
# nftables ruleset is accepted by the kernel's parser (nft -c in a throw-away network namespace, so the host's
# rules are never touched), and every unit file has the keys the design requires. An anti-test makes sure the
# nft check can fail: a ruleset with a typo must be rejected.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
fail=0
no() { echo "check-static: FAIL $*" >&2; fail=1; }
for s in "$here"/scripts/* "$here"/qubes/* "$here"/debian/postinst "$here"/debian/prerm "$here"/debian/postrm; do
  bash -n "$s" || no "$s does not parse"
done
defines='define TUN = "tun0"
define UPSTREAM = "eth0"
define TOR_UID = 101
define MARK = 0x7467'
nft_check() { unshare --net sh -c 'nft -c -f -' ; }
printf '%s\n%s\n' "$defines" "$(cat "$here/nftables/torgate.nft")" | nft_check || no "torgate.nft rejected by nft -c"
if printf '%s\n%s\n' "$defines" "$(sed 's/policy drop/policy dorp/' "$here/nftables/torgate.nft")" \
    | nft_check 2>/dev/null; then
  no "anti-test: nft -c accepted a broken ruleset (the check cannot fail)"
fi
unit=$here/systemd/torgate.service
for k in Type=notify WatchdogSec= CapabilityBoundingSet=CAP_NET_ADMIN AmbientCapabilities=CAP_NET_ADMIN \
    ProtectSystem=strict ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes RuntimeDirectory=torgate \
    StateDirectory=torgate User=torgate ConditionPathExists=\|/run/qubes-service/torgate NotifyAccess=main SuccessExitStatus=143 \
    DevicePolicy=closed 'DeviceAllow=/dev/net/tun rw'; do
  grep -q "^$k" "$unit" || no "$unit lacks $k"
done
grep -q '^User=debian-tor' "$here/systemd/torgate-tor.service" || no "tor does not run as debian-tor"
[ "$fail" = 0 ] && echo "check-static: ok (scripts parse, nft -c accepts the rules and rejects a broken copy, units)"
exit "$fail"
