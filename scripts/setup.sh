#!/usr/bin/env bash
# Installs what torgate needs on a Debian 12 machine (idempotent; quick when everything is present)
# and checks for a JDK >= 21. Run as root. Used by both README commands and by .ci/run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "torgate setup: run as root (it installs packages and creates TUN devices and namespaces)" >&2
  exit 1
fi

# Build tools, the real tor, lab clients and servers, capture tools; for suite 90 (the .deb booted under a real
# systemd): debootstrap (the fresh Debian root) and systemd-container (systemd-nspawn).
pkgs=(cmake gcc make maven tor iproute2 iptables nftables iperf3 tcpdump tshark dnsutils dnsmasq curl
      libpcap0.8 python3 procps psmisc kmod redsocks wrk iputils-ping debootstrap systemd-container)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "torgate setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts a system tor on install; the lab runs its own, so keep the system one out of the way.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet tor 2>/dev/null; then
  systemctl stop tor tor@default 2>/dev/null || true
fi
[ -c /dev/net/tun ] || { mkdir -p /dev/net; mknod /dev/net/tun c 10 200; chmod 0666 /dev/net/tun; }

# shellcheck source=jdk.sh
. "$here/jdk.sh"
echo "torgate setup: JDK $(tg_jdk_major "$JAVA_HOME") at $JAVA_HOME"
