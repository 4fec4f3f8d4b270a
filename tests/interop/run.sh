#!/usr/bin/env bash
# Interop with the official SDKs, as CI runs it:
#   * the official TypeScript (1.x and 2.x) and Python clients drive our calculator server
#     over stdio, on both protocol eras;
#   * our client drives the official reference server (server-everything) over stdio.
#
#   tests/interop/run.sh <target-dir>      (after `cargo build -p calculator -p mcpwire-tests`)
#
# Installs the pinned packages itself (npm lock file, PyPI requirements) into this folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="${1:?usage: run.sh <cargo target dir, e.g. target/debug>}"
target="$(cd "$target" && pwd)"

cd "$here"
echo "--- installing the official SDKs (npm ci, pip)"
npm ci --no-audit --no-fund --loglevel=error
if [ ! -x venv/bin/python ]; then
  python3 -m venv venv
fi
venv/bin/pip install --quiet --no-input --disable-pip-version-check --only-binary=:all: -r requirements.txt

echo "--- official clients -> calculator (stdio)"
export MCP_ECHO_TOOL=add MCP_ECHO_ARGS='{"a":2,"b":3}' MCP_ECHO_EXPECT=5
export MCP_PROGRESS_TOOL=sum_to MCP_PROGRESS_ARGS='{"n":100}' MCP_MIN_PROGRESS=1
export MCP_RESOURCE_URI=calc://constants
export MCP_PROMPT=explain MCP_PROMPT_ARGS='{"operation":"divide"}'
export MCP_ELICIT_TOOL=round MCP_ELICIT_ARGS='{"value":1.23456}' MCP_ELICIT_CONTENT='{"places":2}'
PYTHON="$here/venv/bin/python" ./run_clients.sh stdio "$target/calculator"

echo "--- our client -> server-everything (stdio)"
timeout 120 "$target/interop-everything" node "$here/node_modules/@modelcontextprotocol/server-everything/dist/index.js" stdio
