#!/usr/bin/env python3
"""Tiny MCP server on the official Python SDK (mcp 2.x), speaking BOTH eras:
2025-11-25 (initialize handshake) and 2026-07-28 (server/discover + per-request _meta).

The foreign 2026-07-28 server of the interop run: our client (`interop-python`, see
run.sh) drives it on both eras, over Streamable HTTP and stdio.

    python py_server.py                 # stdio
    python py_server.py http 3918       # Streamable HTTP on 127.0.0.1:3918/mcp

Tools: echo(message), count(steps) [progress], ask_name() [elicitation: a server request
on 2025-11-25, input_required on 2026-07-28], touch(uri) [resource-updated event].
Resource: demo://hello ; Prompt: greet(name).
"""

import sys

import anyio
import mcp_types as types
from pydantic import BaseModel

from mcp.server import MCPServer
from mcp.server.mcpserver import Context

mcp = MCPServer("py-interop-server")


@mcp.tool()
def echo(message: str) -> str:
    """Echo the message back."""
    return f"Echo: {message}"


@mcp.tool()
async def count(steps: int, ctx: Context) -> str:
    """Report `steps` progress notifications, then finish."""
    for i in range(1, steps + 1):
        await anyio.sleep(0.1)
        await ctx.report_progress(i, steps, f"step {i}")
    return f"counted {steps}"


class Name(BaseModel):
    name: str


ASK = "What is your name?"
SCHEMA = {"type": "object", "properties": {"name": {"type": "string", "title": "Name"}}, "required": ["name"]}


@mcp.tool()
async def ask_name(ctx: Context) -> str | types.InputRequiredResult:
    """Ask the user for their name via elicitation (either era)."""
    if ctx.protocol_version in ("2026-07-28",):
        # 2026-07-28: no server->client requests; return input_required, client retries.
        resp = (ctx.input_responses or {}).get("name")
        if resp is None:
            return types.InputRequiredResult(
                input_requests={
                    "name": types.ElicitRequest(
                        params=types.ElicitRequestFormParams(message=ASK, requested_schema=SCHEMA)
                    )
                }
            )
        assert isinstance(resp, types.ElicitResult)
        return f"Hello, {(resp.content or {}).get('name')} ({resp.action})"
    result = await ctx.elicit(ASK, Name)
    if result.action == "accept":
        return f"Hello, {result.data.name} (accept)"
    return f"no name ({result.action})"


@mcp.tool()
async def touch(uri: str, ctx: Context) -> str:
    """Tell subscribers that the resource at `uri` changed (either era)."""
    if ctx.protocol_version in ("2026-07-28",):
        # 2026-07-28: events reach clients through their subscriptions/listen streams.
        await ctx.notify_resource_updated(uri)
    else:
        await ctx.session.send_resource_updated(uri)
    return f"touched {uri}"


@mcp.resource("demo://hello", mime_type="text/plain")
def hello() -> str:
    return "hello resource"


@mcp.prompt()
def greet(name: str = "world") -> str:
    return f"Please greet {name}."


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "http":
        mcp.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        mcp.run()
