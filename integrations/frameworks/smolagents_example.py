"""smolagents (`pip install 'smolagents[mcp]'`): call terminus-mcp's `run_terminal_task`.

`run_task` loads the server's tools as smolagents tools and calls one directly, with no LLM.
To let an agent decide when to delegate, pass `tools.tools` to `CodeAgent(tools=..., model=...)`
inside the same `with` block.

Not exercised by this repository's tests: smolagents' MCP support goes through `mcpadapt`
(0.1.19), which imports `streamablehttp_client`, a name the 2.x MCP SDK that terminus-mcp runs
on no longer has. Run this example from its own environment with `mcp<2`; it reaches
terminus-mcp over stdio or HTTP:

    python -m venv /tmp/sa && /tmp/sa/bin/pip install 'smolagents[mcp]'
    /tmp/sa/bin/python integrations/frameworks/smolagents_example.py \
        --command "$(command -v terminus-mcp) serve" --workdir path/to/project
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from _common import Target, Task, parse
from mcp import StdioServerParameters
from smolagents import ToolCollection


def server_parameters(target: Target) -> StdioServerParameters | dict[str, Any]:
    """What ``ToolCollection.from_mcp`` takes for ``target``."""
    if target.url:
        return {"url": target.url, "transport": "streamable-http"}
    command, *args = target.command
    return StdioServerParameters(command=command, args=args, env=target.environment())


def run_task(target: Target, task: Task) -> str:
    """Load the tools, run one task through the smolagents tool, return the answer's text."""
    # trust_remote_code: smolagents asks the caller to confirm it trusts the server's tools.
    with ToolCollection.from_mcp(server_parameters(target), trust_remote_code=True) as tools:
        by_name = {tool.name: tool for tool in tools.tools}
        if "run_terminal_task" not in by_name:
            raise RuntimeError(f"the server offers no run_terminal_task (it has {sorted(by_name)})")
        return str(by_name["run_terminal_task"](query=task.query, workdir=task.workdir))


def main(argv: Sequence[str] | None = None) -> int:
    target, task = parse(argv, __doc__ or "")
    print(run_task(target, task))
    return 0


if __name__ == "__main__":
    sys.exit(main())
