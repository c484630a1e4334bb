# shellcheck shell=bash
# Which circuit did a client's connection use? The lab's tor client reports every stream on its control port
# (STREAM events, control-spec 4.1.2). Behind torgate every stream comes from the gateway's Unix SOCKS socket,
# so SOURCE_ADDR cannot tell clients apart; instead each client's fetch runs alone and the streams that appear
# during it are that client's. SOCKS_PASSWORD is torgate's isolation key, whose first 16 hex digits are the
# client's tag (io.torgate.tor.IsolationKeys: a keyed hash of the client address), so two clients' tags differ.
# Needs LAB_TOR_CONTROL and LAB_TOR_COOKIE (lab.sh env) and common.sh.

TG_STREAMS_FILE="" TG_STREAMS_PID=""

# tg_streams_start: records STREAM events in a temporary file until tg_streams_stop (at most 30 minutes).
tg_streams_start() {
  TG_STREAMS_FILE=$(mktemp /tmp/tg-streams.XXXXXX)
  "$TG_PY" "$TG_VMS_DIR/tools/torctl.py" "$LAB_TOR_CONTROL" --cookie "$LAB_TOR_COOKIE" events STREAM 1800 \
    >"$TG_STREAMS_FILE" 2>/dev/null &
  TG_STREAMS_PID=$!
  sleep 0.5
}

tg_streams_stop() {
  [ -n "$TG_STREAMS_PID" ] && { kill "$TG_STREAMS_PID" 2>/dev/null; wait "$TG_STREAMS_PID" 2>/dev/null || true; }
  [ -n "$TG_STREAMS_FILE" ] && rm -f "$TG_STREAMS_FILE"
  TG_STREAMS_PID="" TG_STREAMS_FILE=""
  return 0
}

# tg_streams_mark: prints the current position (a line count) in the event log.
tg_streams_mark() { wc -l <"$TG_STREAMS_FILE"; }

# tg_streams_since MARK PORT: prints "CIRCUIT TAG TARGET" for each user stream to PORT that was opened after MARK
# and succeeded (waits up to 5 s for the SUCCEEDED event), one line per stream.
tg_streams_since() {
  local mark=$1 port=$2 out i
  for i in $(seq 1 20); do
    out=$(tail -n +"$((mark + 1))" "$TG_STREAMS_FILE" | awk -v port=":$port" '
      $1 == "650" && $2 == "STREAM" && $4 == "NEW" && / PURPOSE=USER/ && index($6, port) {
        want[$3] = $6; match($0, /SOCKS_PASSWORD="[0-9a-f]+/); tag[$3] = substr($0, RSTART + 16, 16) }
      $4 == "SUCCEEDED" && ($3 in want) && !($3 in done) { done[$3] = 1; print $5, tag[$3], want[$3] }')
    [ -n "$out" ] && { echo "$out"; return 0; }
    sleep 0.25
  done
  return 1
}

# tg_resolves_since MARK NAME: prints "CIRCUIT TAG" for each RESOLVE of NAME (PURPOSE=DNS_REQUEST: a SOCKS
# RESOLVE, torgate's resolve mode) opened after MARK and sent on a circuit (waits up to 5 s), one line per RESOLVE.
tg_resolves_since() {
  local mark=$1 name=$2 out i
  for i in $(seq 1 20); do
    out=$(tail -n +"$((mark + 1))" "$TG_STREAMS_FILE" | awk -v target="$name:0" '
      $1 == "650" && $2 == "STREAM" && $4 == "NEWRESOLVE" && $6 == target && / PURPOSE=DNS_REQUEST/ {
        match($0, /SOCKS_PASSWORD="[0-9a-f]+/); tag[$3] = substr($0, RSTART + 16, 16) }
      $4 == "SENTRESOLVE" && ($3 in tag) && !($3 in done) { done[$3] = 1; print $5, tag[$3] }')
    [ -n "$out" ] && { echo "$out"; return 0; }
    sleep 0.25
  done
  return 1
}

# tg_circuit_path ID: the relays of a circuit by nickname, "a -> b -> c" (GETINFO circuit-status), or nothing.
tg_circuit_path() {
  "$TG_PY" "$TG_VMS_DIR/tools/torctl.py" "$LAB_TOR_CONTROL" --cookie "$LAB_TOR_COOKIE" \
    cmd "GETINFO circuit-status" 2>/dev/null \
    | awk -v id="$1" '$1 == id { print $3 }' | sed -E 's/\$[0-9A-F]+~//g; s/,/ -> /g'
}
