"""LlamaIndex (`pip install llama-index-tools-mcp`): call terminus-mcp's `run_terminal_task`.

`run_task` uses LlamaIndex's `BasicMCPClient` to call the tool directly, with no LLM. To let an
agent decide when to delegate, turn the server into tools:
`await McpToolSpec(client=client).to_tool_list_async()` and give them to a `FunctionAgent`.

Not exercised by this repository's tests: llama-index-core (0.14.x) requires
`setuptools>=80.9`, while the CPU build of vLLM in the test environment pins
`setuptools==78.1.1`, and older llama-index-tools-mcp releases need `mcp<2`. Run this example
from its own environment; it reaches terminus-mcp over stdio or HTTP:

    python -m venv /tmp/li && /tmp/li/bin/pip install llama-index-tools-mcp
    /tmp/li/bin/python integrations/frameworks/llamaindex_example.py \
        --command "$(command -v terminus-mcp) serve" --workdir path/to/project
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from _common import Target, Task, parse, text_of
from llama_index.tools.mcp import BasicMCPClient

# A delegated task answers within wait_seconds (45 s by default): leave headroom above it.
CALL_TIMEOUT_S = 120


def connect(target: Target) -> BasicMCPClient:
    """LlamaIndex's MCP client for ``target`` (a URL ending in /mcp means streamable HTTP)."""
    if target.url:
        return BasicMCPClient(target.url, timeout=CALL_TIMEOUT_S)
    command, *args = target.command
    return BasicMCPClient(command, args=args, env=target.environment(), timeout=CALL_TIMEOUT_S)


async def run_task(target: Target, task: Task) -> str:
    """Check the tool is offered, run one task, and return the answer's text."""
    client = connect(target)
    names = {tool.name for tool in (await client.list_tools()).tools}
    if "run_terminal_task" not in names:
        raise RuntimeError(f"the server offers no run_terminal_task (it has {sorted(names)})")
    result = await client.call_tool(
        "run_terminal_task", {"query": task.query, "workdir": task.workdir}
    )
    return text_of(result)


def main(argv: Sequence[str] | None = None) -> int:
    target, task = parse(argv, __doc__ or "")
    print(asyncio.run(run_task(target, task)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
