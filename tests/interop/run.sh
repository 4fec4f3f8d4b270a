#!/usr/bin/env bash
# Interop with the official SDKs, as CI runs it, over stdio and Streamable HTTP:
#   * the official TypeScript (1.x and 2.x) and Python clients drive our calculator server
#     over stdio, then over HTTP (`calculator --http`), each on the era it is expected to
#     negotiate (ts1, ts2-legacy, py-legacy: 2025-11-25; ts2-auto, py-auto: 2026-07-28);
#   * our client (`interop-everything`) drives the official reference server
#     (server-everything, 2025-11-25 only) over stdio, then in its streamableHttp mode;
#   * our client (`interop-python`) drives a server built on the official Python SDK
#     (py_server.py) on 2026-07-28 over HTTP and stdio, and on 2025-11-25 over HTTP.
#
#   tests/interop/run.sh <target-dir>      (after `cargo build -p calculator -p mcpwire-tests --bins`)
#
# Installs the pinned packages itself (npm lock file, PyPI requirements) into this folder.
# Every stage runs even when an earlier one failed; the script fails if any stage failed.
# Servers it starts are stopped after their stage, and on any exit (trap).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="${1:?usage: run.sh <cargo target dir, e.g. target/debug>}"
target="$(cd "$target" && pwd)"
everything="$here/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
logs="$(mktemp -d)"

# ---------- servers started in the background, stopped by process id ----------
pids=()
stop_server() { # pid
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # Forget it, so that a later cleanup cannot hit a process that reused the id.
  local rest=() p
  for p in "${pids[@]}"; do [ "$p" = "$pid" ] || rest+=("$p"); done
  pids=("${rest[@]}")
}
cleanup() {
  while [ ${#pids[@]} -gt 0 ]; do stop_server "${pids[0]}"; done
  rm -rf "$logs"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server <log> <command...>: starts it in the background; sets $server_pid.
start_server() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
}

# wait_listening <pid> <port> <seconds> <log>: until 127.0.0.1:<port> accepts connections.
wait_listening() {
  local pid=$1 port=$2 deadline=$((SECONDS + $3)) log=$4
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "FAIL the server exited before listening on port $port:"
      tail -n 20 "$log"
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "FAIL nothing listening on port $port after $3 s:"
      tail -n 20 "$log"
      return 1
    fi
    sleep 0.1
  done
}

# wait_log <log> <fixed string> <seconds>
wait_log() {
  local deadline=$((SECONDS + $3))
  until grep -qF -- "$2" "$1"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# ---------- stages ----------
results=()
failed=0
stage() { # name function [args...]
  local name=$1 start=$SECONDS rc=0
  shift
  echo
  echo "--- $name"
  "$@" || rc=$?
  if [ $rc -eq 0 ]; then
    results+=("ok   $name ($((SECONDS - start)) s)")
  else
    results+=("FAIL $name (exit $rc, $((SECONDS - start)) s)")
    failed=$((failed + 1))
  fi
}

clients_calculator_stdio() {
  PYTHON="$here/venv/bin/python" ./run_clients.sh stdio "$target/calculator"
}

clients_calculator_http() {
  local port log="$logs/calculator-http.log" rc=0
  port=$(free_port)
  start_server "$log" "$target/calculator" --http "127.0.0.1:$port"
  local pid=$server_pid
  wait_listening "$pid" "$port" 20 "$log" || { stop_server "$pid"; return 1; }
  PYTHON="$here/venv/bin/python" ./run_clients.sh http "http://127.0.0.1:$port/mcp" || rc=$?
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "FAIL the calculator died during the run"
    rc=1
  fi
  stop_server "$pid"
  [ $rc -eq 0 ] || { echo "calculator log:"; tail -n 40 "$log"; }
  return $rc
}

ours_everything_stdio() {
  timeout 120 "$target/interop-everything" node "$everything" stdio
}

ours_everything_http() {
  local port log="$logs/everything-http.log" rc=0
  port=$(free_port)
  start_server "$log" env PORT="$port" node "$everything" streamableHttp
  local pid=$server_pid
  wait_listening "$pid" "$port" 30 "$log" || { stop_server "$pid"; return 1; }
  timeout 120 "$target/interop-everything" --url "http://127.0.0.1:$port/mcp" || rc=$?
  # Our transport ends its session with DELETE when the client closes.
  if wait_log "$log" "Received session termination request" 3; then
    echo "PASS session ended with DELETE"
  else
    echo "FAIL the server saw no DELETE ending the session"
    rc=1
  fi
  stop_server "$pid"
  [ $rc -eq 0 ] || { echo "server-everything log (tail):"; grep -v '^Received MCP POST request$' "$log" | tail -n 40; }
  return $rc
}

ours_python_http() {
  local port log="$logs/py-server-http.log" rc=0 mode
  port=$(free_port)
  start_server "$log" "$here/venv/bin/python" "$here/py_server.py" http "$port"
  local pid=$server_pid
  wait_listening "$pid" "$port" 30 "$log" || { stop_server "$pid"; return 1; }
  for mode in auto legacy; do
    echo "=== interop-python --mode $mode (http)"
    timeout 120 "$target/interop-python" --mode "$mode" --url "http://127.0.0.1:$port/mcp" || rc=1
  done
  # The legacy session is ended with DELETE (uvicorn's access log).
  if wait_log "$log" '"DELETE /mcp HTTP/1.1" 200' 3; then
    echo "PASS legacy session ended with DELETE"
  else
    echo "FAIL the server saw no DELETE ending the legacy session"
    rc=1
  fi
  stop_server "$pid"
  [ $rc -eq 0 ] || { echo "py_server log (tail):"; tail -n 40 "$log"; }
  return $rc
}

ours_python_stdio() {
  timeout 120 "$target/interop-python" --mode auto "$here/venv/bin/python" "$here/py_server.py"
}

# ---------- run ----------
cd "$here"
echo "--- installing the official SDKs (npm ci, pip)"
npm ci --no-audit --no-fund --loglevel=error
if [ ! -x venv/bin/python ]; then
  python3 -m venv venv
fi
venv/bin/pip install --quiet --no-input --disable-pip-version-check --only-binary=:all: -r requirements.txt

# What the official clients exercise on the calculator.
export MCP_ECHO_TOOL=add MCP_ECHO_ARGS='{"a":2,"b":3}' MCP_ECHO_EXPECT=5
export MCP_PROGRESS_TOOL=sum_to MCP_PROGRESS_ARGS='{"n":100}' MCP_MIN_PROGRESS=1
export MCP_RESOURCE_URI=calc://constants
export MCP_PROMPT=explain MCP_PROMPT_ARGS='{"operation":"divide"}'
export MCP_ELICIT_TOOL=round MCP_ELICIT_ARGS='{"value":1.23456}' MCP_ELICIT_CONTENT='{"places":2}'
# The negotiated version each client must end up on (see run_clients.sh).
export EXPECT_LEGACY=2025-11-25 EXPECT_AUTO=2026-07-28

stage "official clients -> calculator (stdio)" clients_calculator_stdio
stage "our client -> server-everything (stdio)" ours_everything_stdio
stage "official clients -> calculator (Streamable HTTP)" clients_calculator_http
stage "our client -> server-everything (Streamable HTTP)" ours_everything_http
stage "our client -> Python SDK server (Streamable HTTP, 2026-07-28 and 2025-11-25)" ours_python_http
stage "our client -> Python SDK server (stdio, 2026-07-28)" ours_python_stdio

echo
echo "--- interop summary ($SECONDS s)"
printf '  %s\n' "${results[@]}"
[ $failed -eq 0 ]
