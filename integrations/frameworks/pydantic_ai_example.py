"""Pydantic AI (`pip install 'pydantic-ai-slim[mcp]'`): call terminus-mcp's `run_terminal_task`.

`run_task` opens Pydantic AI's `MCPToolset` and calls the tool directly, with no LLM, which
is how the test suite runs it. To let an agent decide when to delegate, pass the toolset to an
agent: `Agent("openai:gpt-5", toolsets=[toolset])`.

    python integrations/frameworks/pydantic_ai_example.py --workdir path/to/project
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any

from _common import Target, Task, parse
from fastmcp.client import Client
from fastmcp.client.transports import StdioTransport, StreamableHttpTransport
from pydantic_ai.mcp import MCPToolset

# A delegated task answers within wait_seconds (45 s by default): leave headroom above it.
CALL_TIMEOUT_S = 120.0


def connect(target: Target) -> MCPToolset[Any]:
    """Pydantic AI's toolset for ``target`` (enter it with ``async with``)."""
    if target.url:
        transport: StdioTransport | StreamableHttpTransport = StreamableHttpTransport(target.url)
    else:
        command, *args = target.command
        transport = StdioTransport(command=command, args=args, env=target.environment())
    return MCPToolset(Client(transport, timeout=CALL_TIMEOUT_S), tool_error_behavior="error")


async def run_task(target: Target, task: Task) -> str:
    """Connect, check the tool is offered, run one task, and return the answer's text."""
    async with connect(target) as toolset:
        names = {tool.name for tool in await toolset.list_tools()}
        if "run_terminal_task" not in names:
            raise RuntimeError(f"the server offers no run_terminal_task (it has {sorted(names)})")
        result = await toolset.direct_call_tool(
            "run_terminal_task", {"query": task.query, "workdir": task.workdir}
        )
        return result if isinstance(result, str) else json.dumps(result, indent=2)


def main(argv: Sequence[str] | None = None) -> int:
    target, task = parse(argv, __doc__ or "")
    print(asyncio.run(run_task(target, task)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
