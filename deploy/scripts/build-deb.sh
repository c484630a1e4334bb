#!/usr/bin/env bash
# Builds target/torgate_VERSION_amd64.deb from the shaded gateway jar: a jlink'ed runtime holding exactly the
# modules jdeps finds in the jar (so no system JDK is needed), the launcher, the units, nftables rules, the
# defaults and the maintainer scripts. Run by the deploy module's Maven build (exec-maven-plugin, package
# phase) with JAVA_HOME set; also usable by hand: build-deb.sh JAR VERSION OUTDIR.
set -euo pipefail
jar=$1 version=$2 out=$3
here=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$jar" ] || { echo "build-deb: no $jar (build java/gateway first)" >&2; exit 1; }
java_home=${JAVA_HOME:?JAVA_HOME must name a JDK >= 21}
# Debian versions may not contain '-': 0.1.0-SNAPSHOT becomes 0.1.0~SNAPSHOT (sorts before 0.1.0).
debver=${version//-/\~}
stage=$out/deb-stage
rm -rf "$stage"; mkdir -p "$stage/DEBIAN"
lib=$stage/usr/lib/torgate

# The modules the jar needs, as jdeps sees them (multi-release aware, missing deps of optional shaded
# libraries ignored). jdk.unsupported: JNA/disruptor use sun.misc.Unsafe reflectively, which jdeps cannot see.
modules=$("$java_home/bin/jdeps" --multi-release 21 --ignore-missing-deps --print-module-deps "$jar")
modules="$modules,jdk.unsupported"
echo "build-deb: jlink modules: $modules" >&2
"$java_home/bin/jlink" --add-modules "$modules" --output "$lib/runtime" --strip-debug --no-header-files \
  --no-man-pages --compress=zip-6
install -m 644 "$jar" "$lib/torgate.jar"
install -m 755 "$here/scripts/torgate-net" "$here/scripts/torgate-start" "$here/scripts/torgate-tor-prepare" \
  "$here/qubes/torgate-qubes-clients" "$lib/"
install -m 644 "$here/nftables/torgate.nft" "$here/defaults/net.conf" "$here/defaults/torgate.toml" \
  "$here/defaults/torrc.defaults" "$here/defaults/jvm.options" "$lib/"
install -D -m 755 "$here/scripts/torgate" "$stage/usr/bin/torgate"
install -D -m 644 -t "$stage/usr/lib/systemd/system" "$here/systemd/torgate.service" \
  "$here/systemd/torgate-tor.service"
install -D -m 644 -t "$stage/usr/share/doc/torgate" "$here/README.md" \
  "$here/../java/gateway/src/main/config/torgate.example.toml"
install -m 755 "$here/debian/postinst" "$here/debian/prerm" "$here/debian/postrm" "$stage/DEBIAN/"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$debver/" -e "s/@SIZE@/$size/" "$here/debian/control.in" >"$stage/DEBIAN/control"
# Reproducible-ish: fixed mtimes; root ownership without fakeroot.
find "$stage" -exec touch -h -d @0 {} +
deb=$out/torgate_${debver}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2
echo "$deb"
