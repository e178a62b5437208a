"""LangChain / LangGraph (`pip install langchain-mcp-adapters`): call `run_terminal_task`.

`run_task` loads terminus-mcp's tools as LangChain tools and invokes one directly, with no LLM.
To let an agent decide when to delegate, give the same tools to LangGraph:
`create_react_agent(model, tools)` and `await agent.ainvoke({"messages": [...]})`.

Not exercised by this repository's tests: langchain-mcp-adapters (0.3.x) needs the 1.x MCP SDK
(`mcp<2`), while terminus-mcp runs on mcp 2.x. Run this example from its own environment; it
reaches terminus-mcp over stdio or HTTP, so the two never share an interpreter:

    python -m venv /tmp/lc && /tmp/lc/bin/pip install langchain-mcp-adapters
    /tmp/lc/bin/python integrations/frameworks/langchain_example.py \
        --command "$(command -v terminus-mcp) serve" --workdir path/to/project
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from typing import Any

from _common import Target, Task, parse
from langchain_mcp_adapters.client import MultiServerMCPClient


def connections(target: Target) -> dict[str, Any]:
    """The adapter's connection table for ``target``."""
    if target.url:
        return {"terminus": {"transport": "streamable_http", "url": target.url}}
    command, *args = target.command
    return {
        "terminus": {
            "transport": "stdio",
            "command": command,
            "args": args,
            "env": target.environment(),
        }
    }


async def run_task(target: Target, task: Task) -> str:
    """Load the tools, run one task through the LangChain tool, return the answer's text."""
    client = MultiServerMCPClient(connections(target))
    tools = {tool.name: tool for tool in await client.get_tools()}
    if "run_terminal_task" not in tools:
        raise RuntimeError(f"the server offers no run_terminal_task (it has {sorted(tools)})")
    result = await tools["run_terminal_task"].ainvoke(
        {"query": task.query, "workdir": task.workdir}
    )
    return str(result)


def main(argv: Sequence[str] | None = None) -> int:
    target, task = parse(argv, __doc__ or "")
    print(asyncio.run(run_task(target, task)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
