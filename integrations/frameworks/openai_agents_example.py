"""OpenAI Agents SDK (`pip install openai-agents`): call terminus-mcp's `run_terminal_task`.

`run_task` opens the SDK's own MCP server wrapper and calls the tool directly, with no LLM,
which is how the test suite runs it. To let an agent decide when to delegate, hand the same
server object to an agent: `Agent(name=..., instructions=..., mcp_servers=[server])` and
`await Runner.run(agent, "fix the failing build")`.

    python integrations/frameworks/openai_agents_example.py --workdir path/to/project
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from _common import Target, Task, parse, text_of
from agents.mcp import MCPServer, MCPServerStdio, MCPServerStreamableHttp

# A delegated task answers within wait_seconds (45 s by default): leave headroom above it.
CALL_TIMEOUT_S = 120.0


def connect(target: Target) -> MCPServer:
    """The SDK's MCP server object for ``target`` (enter it with ``async with``)."""
    if target.url:
        return MCPServerStreamableHttp(
            params={"url": target.url, "timeout": 30, "sse_read_timeout": CALL_TIMEOUT_S},
            client_session_timeout_seconds=CALL_TIMEOUT_S,
            name="terminus",
        )
    command, *args = target.command
    return MCPServerStdio(
        params={"command": command, "args": args, "env": target.environment()},
        client_session_timeout_seconds=CALL_TIMEOUT_S,
        name="terminus",
    )


async def run_task(target: Target, task: Task) -> str:
    """Connect, check the tool is offered, run one task, and return the answer's text."""
    async with connect(target) as server:
        names = {tool.name for tool in await server.list_tools()}
        if "run_terminal_task" not in names:
            raise RuntimeError(f"the server offers no run_terminal_task (it has {sorted(names)})")
        result = await server.call_tool(
            "run_terminal_task", {"query": task.query, "workdir": task.workdir}
        )
        return text_of(result)


def main(argv: Sequence[str] | None = None) -> int:
    target, task = parse(argv, __doc__ or "")
    print(asyncio.run(run_task(target, task)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
