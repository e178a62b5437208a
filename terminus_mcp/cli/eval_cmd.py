"""``terminus-mcp eval``: run a task suite and report what delegation saves the main agent."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import anyio

from terminus_mcp.cli.common import add_setting_flag, settings_from_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "eval",
        help="measure answer tokens against the no-subagent baseline on a task suite",
        description=(
            "Run every task of a suite in fresh sandboxes, once as a main agent would run the "
            "commands itself (the baseline) and once delegated, and report per task and in "
            "total: done, key-fact recall, answer and baseline tokens, their ratio, turns, "
            "commands, wall time and subagent tokens. See docs/eval.md."
        ),
    )
    parser.add_argument(
        "--suite",
        default="builtin",
        metavar="NAME|PATH",
        help="a built-in suite name, a folder of task files, or one task file (default: builtin)",
    )
    parser.add_argument(
        "--task",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this task (repeatable)",
    )
    add_setting_flag(
        parser,
        "backend",
        choices=["direct", "openai", "vllm"],
        help="the subagent: direct (no model), openai (an endpoint) or vllm (in-process)",
    )
    add_setting_flag(parser, "model", metavar="NAME")
    add_setting_flag(parser, "base_url", "--base-url", metavar="URL")
    parser.add_argument(
        "--judge-url",
        metavar="URL",
        help="grade each answer with the model at this OpenAI-compatible base URL (.../v1)",
    )
    parser.add_argument(
        "--judge-model",
        metavar="NAME",
        help="the judge's model name (default: the first one the endpoint lists)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the machine-readable report on stdout"
    )
    parser.add_argument(
        "--report",
        metavar="DIR",
        type=Path,
        help="write report.md, chart.png and report.json into DIR",
    )
    parser.add_argument(
        "--deadline-scale",
        type=float,
        default=1.0,
        metavar="X",
        help="multiply every task's deadline (timeout_s) by X, for slow models (default: 1)",
    )
    parser.add_argument(
        "--compare",
        nargs="+",
        metavar="LABEL=PATH",
        help="instead of running, compare earlier runs (report.json files or --report folders) "
        "and write comparison.md and comparison.png into --report DIR",
    )
    parser.set_defaults(handler=_eval)


def _compare(args: argparse.Namespace) -> int:
    from terminus_mcp.errors import ConfigError
    from terminus_mcp.eval.compare import load_run, render_comparison, write_comparison

    runs = [load_run(spec) for spec in args.compare]
    if args.report is None:
        raise ConfigError(
            "--compare needs --report DIR", fix="add --report DIR to write the comparison there"
        )
    path = write_comparison(runs, args.report)
    sys.stdout.write(render_comparison(runs))
    print(f"comparison written to {path}", file=sys.stderr)
    return 0


def _eval(args: argparse.Namespace) -> int:
    from terminus_mcp.errors import ConfigError

    if args.compare:
        return _compare(args)
    from terminus_mcp.eval.judge import Judge
    from terminus_mcp.eval.report import ProgressBar, render_json, render_table, write_report
    from terminus_mcp.eval.results import EvalReport
    from terminus_mcp.eval.runner import run_suite
    from terminus_mcp.eval.suite import load_suite

    settings = settings_from_args(args)
    suite = load_suite(args.suite)
    if args.task:
        suite = suite.select(args.task)
    if args.deadline_scale <= 0:
        raise ConfigError(
            f"--deadline-scale must be positive, not {args.deadline_scale:g}",
            fix="pass a factor such as 5 for a model on a CPU",
        )
    if args.deadline_scale != 1.0:
        suite = suite.with_deadlines_scaled(args.deadline_scale)

    progress = ProgressBar(sys.stderr)

    async def main() -> EvalReport:
        if args.judge_url is None:
            return await run_suite(suite, settings, progress=progress)
        judge = Judge(
            args.judge_url,
            model=args.judge_model,
            api_key=os.environ.get("TERMINUS_JUDGE_API_KEY"),
        )
        async with judge:
            return await run_suite(suite, settings, judge=judge, progress=progress)

    try:
        report = anyio.run(main)
    finally:
        progress.close()
    table = render_table(report)
    if args.json:
        sys.stderr.write(table)
        sys.stdout.write(render_json(report))
    else:
        sys.stdout.write(table)
    if args.report is not None:
        path = write_report(report, args.report)
        print(f"report written to {path}", file=sys.stderr)
    return 0
