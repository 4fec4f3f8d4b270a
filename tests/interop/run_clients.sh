#!/usr/bin/env bash
# Run every official-SDK interop client against one MCP server.
#
#   ./run_clients.sh stdio <server-command> [args...]
#   ./run_clients.sh http  <url>                        (server already listening)
#
# Client matrix (each prints PASS/FAIL lines and "N passed, N failed"):
#   ts1          @modelcontextprotocol/sdk 1.x      (initialize handshake, 2025-11-25)
#   ts2-legacy   @modelcontextprotocol/client 2.x   (initialize handshake)
#   ts2-auto     @modelcontextprotocol/client 2.x   (server/discover probe, falls back)
#   py-auto      mcp 2.x (default mode: server/discover probe, falls back)
#   py-legacy    mcp 2.x (initialize handshake only)
# CLIENTS="ts1 py-legacy" restricts the matrix. Tool/prompt names etc. come from the
# MCP_* env vars documented in ts_client.mjs / py_client.py.
# Each client fails unless it negotiated the version expected of it: EXPECT_LEGACY
# (default 2025-11-25) for ts1, ts2-legacy and py-legacy, EXPECT_AUTO (default 2026-07-28)
# for ts2-auto and py-auto; set EXPECT_AUTO=2025-11-25 for a server without 2026-07-28, or
# an empty value to accept any version. The summary shows each client's negotiated version.
# Needs: `npm ci` done in this directory, and PYTHON pointing at a python with
# requirements.txt installed (default: ./venv/bin/python).
set -u
here="$(cd "$(dirname "$0")" && pwd)"
PYTHON="${PYTHON:-$here/venv/bin/python}"
kind="${1:?stdio|http}"; shift
if [ "$kind" = http ]; then target=(--url "$1"); else target=("$@"); fi
CLIENTS="${CLIENTS:-ts1 ts2-legacy ts2-auto py-auto py-legacy}"
EXPECT_LEGACY="${EXPECT_LEGACY-2025-11-25}"
EXPECT_AUTO="${EXPECT_AUTO-2026-07-28}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
total_fail=0; summary=()
for c in $CLIENTS; do
  case "$c" in
    ts1)        cmd=(env MCP_EXPECT_PROTOCOL="$EXPECT_LEGACY" node "$here/ts_client.mjs") ;;
    ts2-legacy) cmd=(env MCP_EXPECT_PROTOCOL="$EXPECT_LEGACY" MCP_TS_MODE=legacy node "$here/ts2_client.mjs") ;;
    ts2-auto)   cmd=(env MCP_EXPECT_PROTOCOL="$EXPECT_AUTO" MCP_TS_MODE=auto node "$here/ts2_client.mjs") ;;
    py-auto)    cmd=(env MCP_EXPECT_PROTOCOL="$EXPECT_AUTO" MCP_PY_MODE=auto "$PYTHON" "$here/py_client.py") ;;
    py-legacy)  cmd=(env MCP_EXPECT_PROTOCOL="$EXPECT_LEGACY" MCP_PY_MODE=legacy "$PYTHON" "$here/py_client.py") ;;
    *) echo "unknown client $c"; exit 2 ;;
  esac
  echo "=== $c ($kind)"
  start=$(date +%s.%N)
  timeout 150 "${cmd[@]}" "${target[@]}" | tee "$log"
  rc=${PIPESTATUS[0]}
  dur=$(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$start" "$(date +%s.%N)")
  [ $rc -eq 0 ] || total_fail=$((total_fail + 1))
  proto=$(sed -n 's/^  negotiated protocol \([^ ]*\).*/\1/p' "$log" | head -n 1)
  summary+=("$c: rc=$rc ${dur}s protocol=${proto:-none}")
done
echo "=== summary"; printf '  %s\n' "${summary[@]}"
n=$(echo $CLIENTS | wc -w)
echo "$((n - total_fail)) passed, $total_fail failed"
[ $total_fail -eq 0 ]
