#!/usr/bin/env python3
"""Interop smoke client built on the official Python MCP SDK (PyPI `mcp`, 2.x).

Usage:
    python py_client.py <server-command> [server-args...]        # stdio
    python py_client.py --url http://127.0.0.1:3001/mcp           # Streamable HTTP

Same checks and env vars as ts_client.mjs:
    initialize/discover, tools/list, tools/call (echo-style), tools/call with a
    progress callback, resources/list + resources/read, prompts/list + prompts/get,
    a tool that makes the server elicit (answered automatically with "accept").
Prints one line per check, then "N passed, N failed"; exits 1 on any failure.

Env vars (defaults fit @modelcontextprotocol/server-everything 2026.8.31):
    MCP_ECHO_TOOL, MCP_ECHO_ARGS, MCP_ECHO_EXPECT, MCP_PROGRESS_TOOL, MCP_PROGRESS_ARGS,
    MCP_MIN_PROGRESS, MCP_RESOURCE_URI, MCP_PROMPT, MCP_PROMPT_ARGS, MCP_ELICIT_TOOL,
    MCP_ELICIT_ARGS, MCP_ELICIT_CONTENT, MCP_SKIP, MCP_TIMEOUT_MS, MCP_SERVER_ENV
    MCP_EXPECT_PROTOCOL = fail the connect check unless this version was negotiated
    MCP_PY_MODE = auto (default: probe server/discover at 2026-07-28, fall back to
                  initialize) | legacy (initialize handshake only) | 2026-07-28 (pin modern era)
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

import anyio

import mcp_types as types
from mcp import Client
from mcp.client.context import ClientRequestContext
from mcp.client.stdio import StdioServerParameters


def _json(name: str, default: Any) -> Any:
    v = os.environ.get(name)
    return json.loads(v) if v not in (None, "") else default


def _str(name: str, default: str) -> str:
    v = os.environ.get(name)
    return default if v is None else v


CFG = {
    "echo_tool": _str("MCP_ECHO_TOOL", "echo"),
    "echo_args": _json("MCP_ECHO_ARGS", {"message": "hello interop"}),
    "echo_expect": _str("MCP_ECHO_EXPECT", "hello interop"),
    "progress_tool": _str("MCP_PROGRESS_TOOL", "trigger-long-running-operation"),
    "progress_args": _json("MCP_PROGRESS_ARGS", {"duration": 1, "steps": 3}),
    "min_progress": int(_str("MCP_MIN_PROGRESS", "1")),
    "resource_uri": _str("MCP_RESOURCE_URI", ""),
    "prompt": _str("MCP_PROMPT", "simple-prompt"),
    "prompt_args": _json("MCP_PROMPT_ARGS", {}),
    "elicit_tool": _str("MCP_ELICIT_TOOL", "trigger-elicitation-request"),
    "elicit_args": _json("MCP_ELICIT_ARGS", {}),
    "elicit_content": _json("MCP_ELICIT_CONTENT", {"name": "Interop Tester"}),
    "skip": {s.strip() for s in _str("MCP_SKIP", "").split(",") if s.strip()},
    "timeout": float(_str("MCP_TIMEOUT_MS", "30000")) / 1000.0,
    "mode": _str("MCP_PY_MODE", "auto"),
    "expect_protocol": _str("MCP_EXPECT_PROTOCOL", ""),
}

passed = 0
failed = 0
elicitations: list[Any] = []
notifications: list[str] = []


def ok(name: str, detail: str = "") -> None:
    global passed
    passed += 1
    print(f"PASS {name}" + (f": {detail}" if detail else ""), flush=True)


def fail(name: str, err: BaseException) -> None:
    global failed
    failed += 1
    shown = err
    # anyio task groups wrap what went wrong; show the innermost single cause.
    while isinstance(getattr(shown, "exceptions", None), tuple) and len(shown.exceptions) == 1:
        shown = shown.exceptions[0]
    print(f"FAIL {name}: {type(shown).__name__}: {shown}", flush=True)
    traceback.print_exception(err, file=sys.stderr)


def short(v: Any) -> str:
    s = v if isinstance(v, str) else json.dumps(v, default=str)
    return s if len(s) <= 200 else s[:200] + "…"


def text_of(result: types.CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


def value_for(prop: dict[str, Any]) -> Any:
    """Derive an accept-able answer from one property of a restricted JSON schema."""
    if "default" in prop:
        return prop["default"]
    if prop.get("enum"):
        return prop["enum"][0]
    if prop.get("oneOf") and "const" in prop["oneOf"][0]:
        return prop["oneOf"][0]["const"]
    t = prop.get("type")
    if t == "boolean":
        return True
    if t in ("integer", "number"):
        return prop.get("minimum", 1)
    if t == "array":
        items = prop.get("items", {})
        for key in ("enum",):
            if items.get(key):
                return [items[key][0]]
        for key in ("anyOf", "oneOf"):
            if items.get(key) and "const" in items[key][0]:
                return [items[key][0]["const"]]
        return ["x"]
    fmt = prop.get("format")
    return {
        "email": "interop@example.com",
        "uri": "https://example.com/",
        "date": "2000-01-01",
        "date-time": "2000-01-01T00:00:00Z",
    }.get(fmt, "interop")


async def on_elicit(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
    elicitations.append(params)
    if isinstance(params, types.ElicitRequestURLParams):
        print(f"  <- elicitation/create (url mode) {params.url} answered decline", flush=True)
        return types.ElicitResult(action="decline")
    props: dict[str, Any] = (params.requested_schema or {}).get("properties", {})
    content = {k: value_for(p) for k, p in props.items()}
    content.update(CFG["elicit_content"])
    content = {k: v for k, v in content.items() if k in props}
    print(f'  <- elicitation/create "{short(params.message)}" answered accept {short(content)}', flush=True)
    return types.ElicitResult(action="accept", content=content)


async def on_message(message: Any) -> None:
    if isinstance(message, Exception):
        print(f"  [transport exception] {message!r}", file=sys.stderr, flush=True)
    else:
        notifications.append(getattr(message, "method", type(message).__name__))


async def run_checks(client: Client) -> None:
    if "tools" not in CFG["skip"]:
        try:
            r = await client.list_tools()
            ok("tools/list", f"{len(r.tools)} tools: {', '.join(t.name for t in r.tools)}")
        except Exception as e:  # noqa: BLE001
            fail("tools/list", e)

    if "call" not in CFG["skip"]:
        name = CFG["echo_tool"]
        try:
            r = await client.call_tool(name, CFG["echo_args"])
            if r.is_error:
                raise RuntimeError("isError: " + text_of(r))
            t = text_of(r)
            if CFG["echo_expect"] and CFG["echo_expect"] not in t:
                raise RuntimeError(f"result text {short(t)} lacks {CFG['echo_expect']}")
            ok(f"tools/call {name}", short(t))
        except Exception as e:  # noqa: BLE001
            fail(f"tools/call {name}", e)

    if "progress" not in CFG["skip"]:
        name = CFG["progress_tool"]
        seen: list[tuple[float, float | None, str | None]] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            seen.append((progress, total, message))
            print(f"  <- progress {progress}/{total if total is not None else '?'}{' ' + message if message else ''}", flush=True)

        try:
            r = await client.call_tool(name, CFG["progress_args"], progress_callback=on_progress)
            if r.is_error:
                raise RuntimeError("isError: " + text_of(r))
            if len(seen) < CFG["min_progress"]:
                raise RuntimeError(f"only {len(seen)} progress notifications (< {CFG['min_progress']})")
            if any(b[0] <= a[0] for a, b in zip(seen, seen[1:])):
                raise RuntimeError(f"progress not increasing: {seen}")
            ok(f"tools/call {name} with progress", f"{len(seen)} notifications; {short(text_of(r))}")
        except Exception as e:  # noqa: BLE001
            fail(f"tools/call {name} with progress", e)

    if "resource" not in CFG["skip"]:
        try:
            lst = await client.list_resources()
            try:
                tm = await client.list_resource_templates()
                templates = ", ".join(t.uri_template for t in tm.resource_templates)
            except Exception as e:  # noqa: BLE001
                templates = f"(error {e})"
            print(f"  resources/list: {len(lst.resources)} (nextCursor={lst.next_cursor}), templates: {templates}", flush=True)
            uri = CFG["resource_uri"] or (str(lst.resources[0].uri) if lst.resources else "")
            if not uri:
                raise RuntimeError("resources/list is empty and MCP_RESOURCE_URI not set")
            r = await client.read_resource(uri)
            if not r.contents:
                raise RuntimeError("no contents")
            c = r.contents[0]
            body = f"text {len(c.text)} chars" if isinstance(c, types.TextResourceContents) else f"blob {len(c.blob)} b64 chars"
            ok(f"resources/read {uri}", f"{len(r.contents)} content(s), mimeType={c.mime_type}, {body}")
        except Exception as e:  # noqa: BLE001
            fail("resources/read", e)

    if "prompt" not in CFG["skip"]:
        name = CFG["prompt"]
        try:
            lst = await client.list_prompts()
            print(f"  prompts/list: {', '.join(p.name for p in lst.prompts)}", flush=True)
            r = await client.get_prompt(name, CFG["prompt_args"] or None)
            if not r.messages:
                raise RuntimeError("no messages")
            ok(f"prompts/get {name}", f"{len(r.messages)} message(s): {short(r.messages[0].content.model_dump(exclude_none=True))}")
        except Exception as e:  # noqa: BLE001
            fail(f"prompts/get {name}", e)

    if "elicitation" not in CFG["skip"]:
        name = CFG["elicit_tool"]
        try:
            before = len(elicitations)
            r = await client.call_tool(name, CFG["elicit_args"])
            if r.is_error:
                raise RuntimeError("isError: " + text_of(r))
            if len(elicitations) == before:
                raise RuntimeError("server never sent an elicitation (elicitation/create or input_required)")
            ok(f"tools/call {name} (elicitation answered)", short(text_of(r)))
        except Exception as e:  # noqa: BLE001
            fail(f"tools/call {name} (elicitation)", e)

    if notifications:
        print(f"  other notifications received: {', '.join(sorted(set(notifications)))}", flush=True)


async def main(argv: list[str]) -> int:
    url = None
    if argv and argv[0] == "--url":
        url = argv[1]
        argv = argv[2:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not url and not argv:
        print("usage: py_client.py <server-command> [args...] | --url <http://host:port/mcp>", file=sys.stderr)
        return 2
    server: Any
    if url:
        server = url
    else:
        server = StdioServerParameters(command=argv[0], args=argv[1:], env=_json("MCP_SERVER_ENV", None))

    client = Client(
        server,
        mode=CFG["mode"],
        client_info=types.Implementation(name="interop-py-client", version="0.1.0"),
        read_timeout_seconds=CFG["timeout"],
        # Setting elicitation_callback is what makes the SDK declare
        # capabilities.elicitation = {form: {}, url: {}}.
        elicitation_callback=on_elicit,
        message_handler=on_message,
        cache=None,  # no client-side response cache (2026-07-28 ttlMs hints) in tests
    )
    try:
        async with client:
            si = client.server_info
            era = "discover" if client.session.discover_result is not None else "initialize"
            caps = client.server_capabilities.model_dump(exclude_none=True)
            print(f"  negotiated protocol {client.protocol_version} via {era} (mode {CFG['mode']})", flush=True)
            expect = CFG["expect_protocol"]
            if expect and client.protocol_version != expect:
                raise RuntimeError(f"negotiated protocol {client.protocol_version}, expected {expect}")
            ok("connect", f"via {era}, protocol={client.protocol_version}, server={si.name if si else None}@{si.version if si else None}, caps={','.join(caps)}")
            await run_checks(client)
    except BaseException as e:  # noqa: BLE001
        if passed == 0:
            fail("connect", e)
        else:
            fail("session", e)

    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


def _watchdog() -> None:
    print("FAIL watchdog: overall timeout (120s)", flush=True)
    os._exit(1)


if __name__ == "__main__":
    import threading

    t = threading.Timer(120.0, _watchdog)
    t.daemon = True
    t.start()
    sys.exit(anyio.run(main, sys.argv[1:]))
