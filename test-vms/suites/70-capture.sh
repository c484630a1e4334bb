#!/usr/bin/env bash
# Lab suite 70: packet capture on a running torgate, through its control socket (`torgate capture`, no restart),
# read back with the real tshark:
#   filtered  a capture of client c1 only while c1 and c2 both browse, c1 also sends a UDP datagram to port 123
#             (udp_port), a ping (icmp) and a TCP ACK for no connection (no_flow, answered with a RST): the file
#             opens in tshark and holds exactly c1's flows (one TCP stream to the web server, the no_flow stream,
#             DNS, the two other probes), none of c2's; each drop carries "dropped: REASON" as its packet comment;
#             received packets are inbound and the gateway's answers (DNS, SYN-ACK, data, RST) outbound;
#   reason    a capture of dir=dropped reason=udp_port keeps only the udp_port drops;
#   rotation  64 KiB files, a 256 KiB cap, a 10 MB download: several files, none above 64 KiB, the total under the
#             cap, older files deleted, every file readable;
#   whole     a 1 MB download captured with the default settings: the TSO super-segments the gateway sends (up to
#             64 KiB) are in the file at full length (cap_len = len), every payload byte with no sequence hole;
#   dump      `capture dump c1`: the flight recorder's last 64 packets of c1 (configured in the lab's gateway).
# The filtered capture is replayed offline (`torgate replay`) twice with the same output.
# Own lab (LAB_PREFIX tgr by default), torn down on exit; bounded (curl and tshark under timeouts).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export LAB_PREFIX=${LAB_PREFIX:-tgr}
# shellcheck source=../lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=../lib/gwsuite.sh
. "$here/lib/gwsuite.sh"
TG_LOG_TAG=suite-70
tg_need_root
check() { tg_check "$@"; }
work=$(mktemp -d "/tmp/$LAB_PREFIX-suite70.XXXXXX")
trap 'gs_cleanup; rm -rf "$work"' EXIT
t_start=$SECONDS
RECORDER=64

export TORGATE_CMD="TG_FLIGHT_RECORDER=$RECORDER $(bash "$here/gateway.sh" cmd)"
gs_up 2 || { tg_summary 70-capture; exit 1; }
. "$here/../scripts/jdk.sh" >/dev/null
jar=$(dirname "$LAB_GATEWAY_CONFIG")/torgate.jar    # the copy the running gateway uses
capdir=$(dirname "$LAB_GATEWAY_CONFIG")/capture     # [capture] directory: path= and dump FILE are inside it
cap() { timeout --kill-after=5 60 "$JAVA_HOME/bin/java" -jar "$jar" capture --config "$LAB_GATEWAY_CONFIG" "$@"; }
shark() { timeout --kill-after=5 60 tshark -n -r "$@" 2>/dev/null; }
IN=0x00000001; OUT=0x00000002   # pcapng epb_flags direction as tshark prints it
c1=$LAB_ADDR_1
c2=$LAB_ADDR_2

# A TCP ACK from c1 for a connection that does not exist (raw socket; the kernel adds the IP header).
no_flow_ack() {
  gs_in c1 python3 - "$c1" "$TORNET_WEB_IP" <<'EOF'
import socket, struct, sys
src, dst = sys.argv[1], sys.argv[2]
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF
tcp = struct.pack('!HHIIBBHHH', 40999, 80, 1000, 2000, 5 << 4, 0x10, 65535, 0, 0)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(tcp))
tcp = tcp[:16] + struct.pack('!H', csum(pseudo + tcp)) + tcp[18:]
socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP).sendto(tcp, (dst, 0))
EOF
}

# --- filtered: client c1 only ----------------------------------------------------------------------------------
out=$(cap status) || true
check "capture status through the control socket: nothing running ($out)" grep -q '^no capture running' <<<"$out"
rm -rf "$capdir"
out=$(cap start "client=$c1" path=f prefix=c1) || true
echo "    $out"
check "capture start client=$c1 (through the control socket, no restart)" grep -q '^capturing to ' <<<"$out"
check "c1: plain curl through torgate while captured" \
  test "$(gs_in c1 curl -sS --max-time 30 "http://$TORNET_WEB_NAME/")" = "hello from $TORNET_WEB_NAME"
check "c2: plain curl through torgate (not captured)" \
  test "$(gs_in c2 curl -sS --max-time 30 "http://$TORNET_WEB_NAME/")" = "hello from $TORNET_WEB_NAME"
gs_in c1 python3 -c "import socket; socket.socket(2, 2).sendto(b'12345678', ('$TORNET_WEB_IP', 123))"
gs_in c1 ping -c 1 -W 1 "$TORNET_WEB_IP" >/dev/null 2>&1 || true
no_flow_ack
sleep 1
out=$(cap stop) || true
echo "    $out"
check "capture stop: packets written, none lost" grep -qE '^stopped: [1-9][0-9]* packets written, 0 lost' <<<"$out"
file=$(ls "$capdir"/f/c1-*.pcapng 2>/dev/null | head -n 1)
fields=$(shark "$file" -T fields -E separator=, -e ip.src -e ip.dst -e ip.proto -e tcp.srcport -e tcp.dstport \
  -e udp.dstport -e frame.comment -e frame.packet_flags_direction) || fields=""
echo "$fields" >"$work/fields.txt"
echo "    $file: $(wc -l <"$work/fields.txt") packets"
check "the capture opens in tshark" test -n "$fields"
check "every packet is c1's (from or to $c1), none of c2's ($c2)" \
  test -z "$(awk -F, -v c="$c1" '$1 != c && $2 != c' "$work/fields.txt")"
tcp_streams=$(shark "$file" -T fields -e tcp.stream | grep . | sort -un | wc -l)
check "exactly 2 TCP streams: the curl and the no_flow ACK (got $tcp_streams)" test "$tcp_streams" = 2
check "the curl's stream: to port 80, SYN received and SYN-ACK sent" \
  test "$(shark "$file" -Y "tcp.flags.syn == 1 && tcp.port == 80 && tcp.port != 40999" | grep -c .)" -ge 2
check "DNS of the curl: queries received and answers sent (udp port 53 both ways)" \
  test "$(shark "$file" -Y 'udp.srcport == 53 && frame.packet_flags_direction == 2' | grep -c .)" -ge 1
check "udp/123 dropped with comment 'dropped: udp_port'" \
  grep -q "^$c1,$TORNET_WEB_IP,17,,,123,dropped: udp_port,$IN\$" "$work/fields.txt"
check "ping dropped with comment 'dropped: icmp'" grep -q "^$c1,$TORNET_WEB_IP,1,,,,dropped: icmp,$IN\$" "$work/fields.txt"
check "no_flow ACK: received, then 'dropped: no_flow', and the gateway's RST sent" bash -c "
  grep -q '^$c1,$TORNET_WEB_IP,6,40999,80,,,$IN\$' '$work/fields.txt' &&
  grep -q '^$c1,$TORNET_WEB_IP,6,40999,80,,dropped: no_flow,$IN\$' '$work/fields.txt' &&
  grep -q '^$TORNET_WEB_IP,$c1,6,80,40999,,,$OUT\$' '$work/fields.txt'"
check "only the three probes carry drop comments" \
  test "$(grep -c 'dropped: ' "$work/fields.txt")" = 3
cp "$file" "$work/c1-session.pcapng"
r1=$(timeout 60 "$JAVA_HOME/bin/java" -jar "$jar" replay --config "$LAB_GATEWAY_CONFIG" "$file" 2>&1) || true
r2=$(timeout 60 "$JAVA_HOME/bin/java" -jar "$jar" replay --config "$LAB_GATEWAY_CONFIG" "$file" 2>&1) || true
echo "$r1" | tail -n 2 | sed 's/^/    /'
check "torgate replay of the capture: same output twice, the curl's flow established, the 3 drops reproduced, \
no checksum drop" bash -c '
  [ "$1" = "$2" ] && grep -q "drop udp_port " <<<"$1" && grep -q "drop icmp " <<<"$1" &&
  grep -q "drop no_flow " <<<"$1" && grep -q ":80 ESTABLISHED=>" <<<"$1" && ! grep -q "checksum" <<<"$1"' \
  _ "$r1" "$r2"

# --- reason filter ---------------------------------------------------------------------------------------------
cap start "client=$c1" dir=dropped reason=udp_port path=r prefix=r >/dev/null || true
gs_in c1 python3 -c "import socket; socket.socket(2, 2).sendto(b'x', ('$TORNET_WEB_IP', 5353))"
gs_in c1 ping -c 1 -W 1 "$TORNET_WEB_IP" >/dev/null 2>&1 || true
gs_in c1 curl -sS --max-time 30 -o /dev/null "http://$TORNET_WEB_NAME/" || true
sleep 1
cap stop >/dev/null || true
check "dir=dropped reason=udp_port: exactly the one udp_port drop" \
  test "$(shark "$(ls "$capdir"/r/r-*.pcapng | head -n 1)" -T fields -e udp.dstport -e frame.comment)" \
  = "$(printf '5353\tdropped: udp_port')"

# --- rotation and the disk cap ---------------------------------------------------------------------------------
out=$(cap start "client=$c1" path=rot prefix=rot max-file=64k max-total=256k) || true
check "capture start with 64 KiB files and a 256 KiB cap" grep -q '^capturing to ' <<<"$out"
check "c1: 10M SHA-256 exact while captured" gs_sha_ok c1 10M.bin 90
sleep 1
out=$(cap stop) || true
echo "    $out"
deleted=$(sed -n 's/.*, \([0-9]*\) files deleted.*/\1/p' <<<"$out")
total=$(cat "$capdir"/rot/rot-*.pcapng | wc -c)
biggest=$(stat -c %s "$capdir"/rot/rot-*.pcapng | sort -n | tail -n 1)
nfiles=$(ls "$capdir"/rot/rot-*.pcapng | wc -l)
echo "    $nfiles files kept, $total bytes, largest $biggest, $deleted deleted"
check "rotation: the total stays under the 256 KiB cap ($total bytes)" test "$total" -le 262144
check "rotation: no file above 64 KiB (largest $biggest)" test "$biggest" -le 65536
check "rotation: several files kept and older ones deleted ($nfiles kept, ${deleted:-0} deleted)" \
  test "$nfiles" -ge 3 -a "${deleted:-0}" -ge 1
bad=0
for f in "$capdir"/rot/rot-*.pcapng; do shark "$f" -T fields -e frame.number | tail -n 1 | grep -q . || bad=$((bad + 1)); done
check "rotation: every kept file opens in tshark" test "$bad" = 0

# --- super-segments: whole, not cut at 2 KiB -------------------------------------------------------------------
# With [tun] offload (the default) the gateway sends TSO super-segments of up to 64 KiB; the capture keeps them whole
# (full length in the file), so the download's every payload byte is in the capture with its sequence number.
out=$(cap start "client=$c1" path=big prefix=big) || true
check "c1: 1M SHA-256 exact while captured (default file size)" gs_sha_ok c1 1M.bin 60
sleep 1
out=$(cap stop) || true
echo "    $out"
check "capture stop: nothing cut short" grep -q ', 0 cut short$' <<<"$out"
shark "$(ls "$capdir"/big/big-*.pcapng | head -n 1)" -Y "tcp.srcport == 80 && tcp.len > 0" \
  -T fields -e frame.len -e frame.cap_len -e tcp.len -e tcp.seq >"$work/big.txt" || true
read -r supers cutrecs bytes gaps <<<"$(awk -F'\t' '{ if ($1 > 1500) s++; if ($2 != $1) c++; b += $3
  if (NR > 1 && $4 > hi) g++; if ($4 + $3 > hi) hi = $4 + $3 } END { print s + 0, c + 0, b + 0, g + 0 }' "$work/big.txt")"
echo "    $(wc -l <"$work/big.txt") data segments sent, $supers above the 1500-byte MTU, $bytes payload bytes, $gaps gaps"
check "super-segments recorded ($supers frames above the MTU), none cut (cap_len = len for all)" \
  test "$supers" -ge 1 -a "$cutrecs" = 0
check "the sent payload is all there: $bytes bytes >= 1 MiB, no sequence hole" \
  test "$bytes" -ge 1048576 -a "$gaps" = 0

# --- flight recorder dump --------------------------------------------------------------------------------------
gs_in c1 python3 -c "import socket; socket.socket(2, 2).sendto(b'last', ('$TORNET_WEB_IP', 124))"
sleep 0.5
out=$(cap dump "$c1" dump.pcapng) || true
echo "    $out"
check "capture dump $c1: the flight recorder's last $RECORDER packets" \
  grep -q "^dumped $RECORDER packets of $c1 to $capdir/dump.pcapng" <<<"$out"
check "dump: opens in tshark, $RECORDER packets, the newest is the udp/124 drop" bash -c "
  [ \"\$(tshark -n -r '$capdir/dump.pcapng' -T fields -e frame.number 2>/dev/null | wc -l)\" = $RECORDER ] &&
  tshark -n -r '$capdir/dump.pcapng' -T fields -e udp.dstport -e frame.comment 2>/dev/null | tail -n 1 |
    grep -q '^124	dropped: udp_port\$'"
out=$(cap dump 10.137.250.250 empty.pcapng) || true
check "capture dump of a client without packets: 0 packets, an empty capture tshark reads" bash -c "
  grep -q '^dumped 0 packets' <<<'$out' && tshark -n -r '$capdir/empty.pcapng' >/dev/null 2>&1"
mkdir -p "$TG_STATE_DIR/captures"
cp "$work/c1-session.pcapng" "$TG_STATE_DIR/captures/70-c1-session.pcapng" 2>/dev/null || true
tg_summary 70-capture "($((SECONDS - t_start)) s; session capture kept in $TG_STATE_DIR/captures/)"
