#!/usr/bin/env bash
# Lab suite 50: faults on the client links, and transfers through torgate and Tor stay byte-exact. Under each
# fault a client VM resolves the name through torgate (dig, retrying as a resolver does) and fetches the 10M
# file by name (SHA-256 exact, bounded), while the other client fetches 1M; a leak capture runs throughout.
#   loss 5%, reorder 25% (with delay), duplicate 5%: both directions of both client links;
#   corrupt 1%: both directions: packets from the clients to torgate (torgate must drop them by their checksum:
#   RFC 9293 3.1, and the client retransmits) and from torgate to the clients (the client's kernel drops them,
#   TcpInCsumErrors must grow, and torgate must retransmit what was lost: the SHA-256 stays exact).
# With `tc netem` (sch_netem) the faults are netem's. This machine's kernel has no sch_netem (the check below
# says so), so the same faults are made with nftables and htb instead, in each client's output and on the
# gateway side towards the clients: `numgen random` drop (loss), `dup to` (duplication), a random 25% put in a
# slow htb class (those packets wait behind a queue: reordering with delay; the client's TCPOFOQueue counter
# must show out-of-order arrivals), and a raw payload write without checksum update at the gateway's vif
# ingress (corruption towards torgate; the client's tx checksum offload is off so its checksums are final before
# the write) and at the client's eth0 ingress (corruption towards the client; the vif's tx checksum offload is
# off so the checksums torgate left to the kernel are final before the write).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=../lib/gwsuite.sh
. "$here/lib/gwsuite.sh"
TG_LOG_TAG=suite-50
tg_need_root
check() { tg_check "$@"; }
trap gs_cleanup EXIT
t_start=$SECONDS
BOUND=150   # seconds for one 10M transfer under faults

gs_up 2 || { tg_summary 50-netem; exit 1; }
NETEM=0
ip netns exec "$LAB_GW_NS" tc qdisc add dev lo root netem delay 0ms 2>/dev/null \
  && { NETEM=1; ip netns exec "$LAB_GW_NS" tc qdisc del dev lo root; }
[ "$NETEM" = 1 ] || echo "    no sch_netem in this kernel ($(uname -r)): faults made with nftables + htb"

client_addr() { local v="LAB_ADDR_$1"; echo "${!v}"; }
nft_c() { local n=$1; shift; ip netns exec "$(gs_ns "c$n")" nft "$@"; }   # N ARGS...
nft_g() { ip netns exec "$LAB_GW_NS" nft "$@"; }

# fault_on KIND / fault_off: KIND is loss, reorder, duplicate or corrupt, on both client links.
fault_on() {
  local kind=$1 n a c_rule g_rule
  for n in 1 2; do
    a=$(client_addr "$n")
    if [ "$NETEM" = 1 ]; then
      case $kind in
        loss) set -- loss 5% ;; reorder) set -- delay 10ms reorder 25% 50% ;;
        duplicate) set -- duplicate 5% ;; corrupt) set -- corrupt 1% ;;
      esac
      ip netns exec "$LAB_GW_NS" tc qdisc replace dev "vif$n" root netem "$@"
      ip netns exec "$(gs_ns "c$n")" tc qdisc replace dev eth0 root netem "$@"
      continue
    fi
    case $kind in
      loss) c_rule="numgen random mod 100 < 5 counter drop"; g_rule=$c_rule ;;
      duplicate) c_rule="numgen random mod 100 < 5 counter dup to $LAB_GW_ADDR device \"eth0\""
                 g_rule="numgen random mod 100 < 5 counter dup to $a device \"vif$n\"" ;;
      reorder) c_rule="numgen random mod 100 < 25 counter meta priority set 1:20"; g_rule=$c_rule
               slow_class "$(gs_ns "c$n")" eth0; slow_class "$LAB_GW_NS" "vif$n" ;;
      corrupt) ip netns exec "$(gs_ns "c$n")" ethtool -K eth0 tx off >/dev/null
               nft_g -f - <<NFT
table netdev tgs_fault_$n {
  chain in { type filter hook ingress device "vif$n" priority 0;
    ip protocol tcp numgen random mod 100 < 1 counter @th,64,32 set 0x0badf00d; }
}
NFT
               # Towards the client: on the client's side of the link, after the checksum is final. torgate
               # hands the kernel partial checksums (offload); with the vif's TX checksum offload off, the
               # kernel completes them before the packet crosses the veth, as a real wire would carry them. The
               # write lands in the payload (TCP header + 32 bytes: data bytes with timestamps), so a corruption
               # let through would break the SHA-256.
               ip netns exec "$LAB_GW_NS" ethtool -K "vif$n" tx off >/dev/null
               nft_c "$n" -f - <<NFT
table netdev tgs_fault {
  chain in { type filter hook ingress device "eth0" priority 0;
    ip protocol tcp numgen random mod 100 < 1 counter @th,256,32 set 0x0badf00d; }
}
NFT
               continue ;;
    esac
    # Family ip: `dup` exists only there (nft: "unsupported family" in inet).
    nft_c "$n" -f - <<NFT
table ip tgs_fault {
  chain out {
    type filter hook output priority 0;
    oifname "eth0" $c_rule
  }
}
NFT
    nft_g -f - <<NFT
table ip tgs_fault_$n {
  chain fault {
    type filter hook forward priority 10;
    oifname "vif$n" $g_rule
  }
}
NFT
  done
}
slow_class() { # NS DEV: htb with a fast default class and a slow class 1:20 (packets put there wait)
  ip netns exec "$1" tc qdisc replace dev "$2" root handle 1: htb default 10
  ip netns exec "$1" tc class add dev "$2" parent 1: classid 1:10 htb rate 10gbit quantum 1514
  ip netns exec "$1" tc class add dev "$2" parent 1: classid 1:20 htb rate 4mbit quantum 1514
}
fault_counted() { # how many packets the nft fault rules hit (all tables)
  { nft_c 1 list ruleset; nft_c 2 list ruleset; nft_g list ruleset; } 2>/dev/null \
    | awk '/numgen random/ { for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }'
}
fault_off() {
  local n t
  for n in 1 2; do
    ip netns exec "$(gs_ns "c$n")" tc qdisc del dev eth0 root 2>/dev/null || true
    ip netns exec "$LAB_GW_NS" tc qdisc del dev "vif$n" root 2>/dev/null || true
    ip netns exec "$(gs_ns "c$n")" ethtool -K eth0 tx on >/dev/null 2>&1 || true
    ip netns exec "$LAB_GW_NS" ethtool -K "vif$n" tx on >/dev/null 2>&1 || true
    nft_c "$n" delete table ip tgs_fault 2>/dev/null || true
    nft_c "$n" delete table netdev tgs_fault 2>/dev/null || true
    for t in "ip tgs_fault_$n" "netdev tgs_fault_$n"; do nft_g delete table $t 2>/dev/null || true; done
  done
}
ofo() { gs_in c1 nstat -az TcpExtTCPOFOQueue 2>/dev/null | awk '$1 == "TcpExtTCPOFOQueue" {print $2}'; }
csum_errors() { # segments the clients' kernels dropped for a bad checksum (corruption towards the clients)
  local n=0 c
  for c in c1 c2; do n=$((n + $(gs_in "$c" nstat -az TcpInCsumErrors | awk '$1 == "TcpInCsumErrors" {print $2}'))); done
  echo "$n"
}

# fetch_exact CLIENT FILE NAME: resolves NAME through torgate (dig retries lost queries), then a plain curl by
# name (pinned to that answer, so curl's single-try resolver does not turn a lost query into a failure).
fetch_exact() {
  local c=$1 f=$2 name=$3 addr got want t0=$SECONDS
  addr=$(gs_lookup "$c" "$name")
  [ -n "$addr" ] || { echo "    $c: no DNS answer for $name"; return 1; }
  want=$(gs_want "$f")
  got=$(gs_in "$c" curl -sS --max-time "$BOUND" --resolve "$name:80:$addr" "http://$name/files/$f" \
        | sha256sum | cut -d' ' -f1) || true
  echo "    $c: $name/files/$f ($addr) in $((SECONDS - t0)) s: sha256 ${got:0:16}..., want ${want:0:16}..."
  [ "$got" = "$want" ]
}

scenario() { # KIND
  local kind=$1 bg o0 hits
  echo "  -- $kind"
  o0=$(ofo) e0=$(csum_errors)
  fault_on "$kind"
  gs_capture_start "netem-$kind"
  fetch_exact c2 1M.bin "$TORNET_WEB2_NAME" >"/tmp/tgs-suite50-$kind.bg" 2>&1 &
  bg=$!
  check "$kind: c1 fetches 10M by name through torgate, SHA-256 exact within $BOUND s" \
    fetch_exact c1 10M.bin "$TORNET_WEB_NAME"
  check "$kind: c2 meanwhile fetches 1M, SHA-256 exact" wait "$bg"
  sed 's/^/  /' "/tmp/tgs-suite50-$kind.bg"; rm -f "/tmp/tgs-suite50-$kind.bg"
  gs_capture_stop "netem-$kind"
  if [ "$NETEM" = 0 ]; then
    hits=$(fault_counted)
    check "$kind: the fault hit packets ($hits)" test "$hits" -gt 0
  fi
  if [ "$kind" = corrupt ]; then
    e1=$(csum_errors)
    check "corrupt: the clients dropped corrupted segments from torgate by checksum (TcpInCsumErrors +$((e1 - e0)))" \
      test "$e1" -gt "$e0"
  fi
  [ "$kind" = reorder ] && check "reorder: c1 received segments out of order (TCPOFOQueue +$(($(ofo) - o0)))" \
    test "$(ofo)" -gt "$o0"
  fault_off
}

for k in loss reorder duplicate corrupt; do scenario "$k"; done
check "after the faults: a clean fetch by name works (1M, SHA-256 exact)" gs_sha_ok c1 1M.bin 60

check "lab down" bash "$GS_LAB" down
echo "    suite time: $((SECONDS - t_start)) s"
tg_summary 50-netem "(pcaps in $TG_STATE_DIR/leaks/)"
