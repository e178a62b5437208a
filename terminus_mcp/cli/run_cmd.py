"""``terminus-mcp run "QUERY"``: run one delegated task from the shell and print its answer.

This is the same code path as the MCP tool ``run_terminal_task``
(:meth:`terminus_mcp.service.TerminusService.run_task`). The answer goes to stdout (``--json``:
the whole result), progress lines to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import anyio

from terminus_mcp.agent.result import TaskResult, TaskStatus
from terminus_mcp.cli.common import add_setting_flag, settings_from_args
from terminus_mcp.service import TaskEvent, TaskRequest, TerminusService

EPILOG = """\
exit status:
  0  the task completed: the model (or the direct mode) gave its final answer
  1  the task ended without one: incomplete (turn limit, loop, malformed replies; in
     direct mode, parts of the query the rules could not do, listed under "Not done:"
     with what to do), failed (model endpoint or sandbox broke), timed_out or
     cancelled; the answer is still printed, built from what ran
  2  the task could not start (bad settings, workdir outside the allowed roots, no Docker)
  130  interrupted (Ctrl-C); the sandbox is removed first
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "run",
        help="run one delegated task and print the compact answer",
        description=(
            "Run one delegated task end to end in a sandbox: the subagent runs the commands "
            "and prints its <final_answer>. Without a model configured, the direct mode runs "
            "the commands the query names (or the project's standard build/test command)."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("query", help="what to execute and what to look for in the output")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="project folder mounted at /workspace (default: the current folder)",
    )
    parser.add_argument(
        "--session",
        metavar="NAME",
        help="reuse (or create) a named sandbox session; it outlives this command until it "
        "has been idle for session_idle_ttl_s",
    )
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="deadline for the task")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    add_setting_flag(parser, "backend", choices=["auto", "direct", "openai", "vllm"])
    add_setting_flag(parser, "model")
    add_setting_flag(parser, "base_url")
    add_setting_flag(parser, "max_turns", type=int)
    add_setting_flag(parser, "network", choices=["none", "allowlist", "open"])
    add_setting_flag(parser, "allow_hosts", metavar="HOST,...")
    parser.set_defaults(handler=_run)


def _progress(event: TaskEvent) -> None:
    if event.message:
        print(f"terminus-mcp: {event.message}", file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    request = TaskRequest(
        query=args.query,
        workdir=args.workdir or Path.cwd(),
        session_id=args.session,
        timeout_s=args.timeout,
    )
    on_event = None if args.quiet or args.json else _progress

    async def main() -> TaskResult:
        async with TerminusService(settings) as service:
            return await service.run_task(request, on_event)

    result = anyio.run(main)
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        print(result.answer)
        if result.error and result.status is TaskStatus.FAILED:
            print(f"terminus-mcp: {result.error}", file=sys.stderr)
    return 0 if result.status is TaskStatus.COMPLETED else 1
