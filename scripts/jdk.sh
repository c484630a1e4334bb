# shellcheck shell=bash
# Source this file: it exports JAVA_HOME (and PATH) for a JDK >= 21, which torgate needs to build
# (it compiles with --release 21). Debian 12's default java is 17, so we look beyond PATH:
# $JAVA_HOME, then `javac` on PATH, then every JDK under /usr/lib/jvm and /opt, newest first.
tg_jdk_major() { # prints the feature version of the JDK at $1, or nothing
  local rel="$1/release" v
  [ -x "$1/bin/javac" ] || return 0
  if [ -f "$rel" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel")
  else
    v=$("$1/bin/javac" -version 2>&1 | sed -n 's/^javac \([0-9]*\).*/\1/p')
  fi
  echo "$v"
}

tg_find_jdk() {
  local cand c m best="" bestm=0
  cand=()
  [ -n "${JAVA_HOME:-}" ] && cand+=("$JAVA_HOME")
  if command -v javac >/dev/null 2>&1; then
    cand+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  for c in /usr/lib/jvm/* /opt/*jdk* /opt/java/*; do [ -d "$c" ] && cand+=("$c"); done
  for c in "${cand[@]}"; do
    m=$(tg_jdk_major "$c")
    [ -n "$m" ] || continue
    if [ "$m" -ge 21 ] && [ "$m" -gt "$bestm" ]; then best=$c; bestm=$m; fi
  done
  [ -n "$best" ] || return 1
  echo "$best"
}

if TG_JDK=$(tg_find_jdk); then
  export JAVA_HOME="$TG_JDK"
  export PATH="$JAVA_HOME/bin:$PATH"
else
  cat >&2 <<'MSG'
torgate: no JDK >= 21 found (looked at $JAVA_HOME, javac on PATH, /usr/lib/jvm/*, /opt).
  Install one, for example:  apt-get install openjdk-21-jdk   (Debian 13 / bookworm-backports)
  or Eclipse Temurin 21+ from adoptium.net, then re-run (or set JAVA_HOME to it).
MSG
  return 1 2>/dev/null || exit 1
fi
