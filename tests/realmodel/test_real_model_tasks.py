"""The model mode meets a real model: Qwen2.5-Coder-1.5B-Instruct through llama.cpp, the real
loop, real Docker sandboxes and the ``openai`` backend, on held-out projects
(:mod:`tasks`).

Asserted, per task and over all of them:

- every task ran at least one command (no answer without evidence);
- nothing in an answer is fabricated: the product's grounding flags no claim, and every test
  name, location, count and command the answer states appears in what actually ran
  (:mod:`support.evidence`, an independent check written for these tests);
- key-fact recall over all tasks, with grounding, is at least 95%.

The tasks run once per module, one after another, and their numbers are printed (``-s``).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SANDBOX_UID, make_workspace, openai_settings
from support.evidence import Evidence, check_answer

from realmodel import tasks as real_tasks
from terminus_mcp.agent.result import TaskResult
from terminus_mcp.eval.scoring import missed_facts
from terminus_mcp.localmodel.llamacpp import LlamaCppServer
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.service import TaskRequest, TerminusService

pytestmark = [pytest.mark.anyio, pytest.mark.docker, pytest.mark.realmodel, pytest.mark.slow]

RECALL_TARGET = 0.95
TASK_TIMEOUT_S = 300.0
"""Deadline of one task; on two quiet cores a task takes 30-60 s."""


@dataclass(frozen=True)
class Run:
    task: real_tasks.RealTask
    result: TaskResult
    outputs: list[str]
    evidence: Evidence
    missed: list[str]


def _copy_project(task: real_tasks.RealTask, root: Path) -> Path:
    workspace = make_workspace(root, task.name)
    shutil.copytree(task.project, workspace, dirs_exist_ok=True)
    if os.geteuid() == 0:
        for folder, dirs, files in os.walk(workspace):
            for name in [*dirs, *files]:
                os.chown(os.path.join(folder, name), SANDBOX_UID, SANDBOX_UID)
    return workspace


@pytest.fixture(scope="module")
async def runs(
    llama_server: LlamaCppServer, sandbox_manager: SandboxManager, workspace_root: Path
) -> list[Run]:
    """Every task, delegated once to the real model."""
    settings = openai_settings(
        workspace_root / "x",
        llama_server.base_url,
        model=llama_server.model,
        request_timeout_s=TASK_TIMEOUT_S,
        request_retries=0,
        max_reply_tokens=768,
    )
    done: list[Run] = []
    async with TerminusService(settings, sandboxes=sandbox_manager) as service:
        for task in real_tasks.TASKS:
            workspace = _copy_project(task, workspace_root)
            result = await service.run_task(
                TaskRequest(query=task.query, workdir=workspace, timeout_s=TASK_TIMEOUT_S)
            )
            log = service.task_log(result.transcript_id)
            outputs = [c.output for c in log.commands]
            commands = [c.command for c in log.commands]
            run = Run(
                task=task,
                result=result,
                outputs=outputs,
                evidence=check_answer(result.answer, outputs, commands),
                missed=missed_facts(result.answer, list(task.key_facts)),
            )
            _report(run)
            done.append(run)
    return done


def _report(run: Run) -> None:
    result = run.result
    timings = result.timings.total_s if result.timings else 0.0
    print(
        f"\n[{run.task.name}] {result.status.value}, {result.turns} turns, "
        f"{len(result.commands)} commands {[c.command for c in result.commands]}, "
        f"recall {len(run.task.key_facts) - len(run.missed)}/{len(run.task.key_facts)}, "
        f"{timings:.0f} s, tokens {result.usage.subagent_prompt_tokens} prompt + "
        f"{result.usage.subagent_completion_tokens} completion, stats {result.stats}\n"
        f"grounding: {result.grounding}\n"
        f"unsupported (independent check): {run.evidence.unsupported}\n"
        f"answer:\n{result.answer}"
    )


@pytest.mark.timeout(1800)
async def test_every_task_runs_a_command(runs: list[Run]) -> None:
    without = [r.task.name for r in runs if not r.result.commands]
    assert not without, f"answered without running anything: {without}"


@pytest.mark.timeout(1800)
async def test_nothing_in_an_answer_is_fabricated(runs: list[Run]) -> None:
    """A small model does invent counts and names; what the main agent receives must never
    pass one off as fact. Every claim the independent check finds in no output must be flagged
    by grounding in the delivered answer (issue 12: "flagged ... or removed")."""
    unflagged = {}
    for r in runs:
        flagged = "\n".join(r.result.grounding.flagged) if r.result.grounding else ""
        missing = [
            claim
            for claim in r.evidence.unsupported
            if claim.split("'", 1)[-1].rsplit("'", 1)[0] not in flagged
        ]
        if missing:
            unflagged[r.task.name] = missing
    assert not unflagged, f"claims absent from the outputs and not flagged: {unflagged}"
    completed = [r for r in runs if r.result.status.value == "completed"]
    assert all(r.result.grounding is not None for r in completed), "grounding did not run"


@pytest.mark.timeout(1800)
async def test_recall_with_grounding_reaches_the_target(runs: list[Run]) -> None:
    total = sum(len(r.task.key_facts) for r in runs)
    found = total - sum(len(r.missed) for r in runs)
    misses = {r.task.name: r.missed for r in runs if r.missed}
    assert found / total >= RECALL_TARGET, (
        f"key-fact recall {found}/{total} = {found / total:.0%} is below "
        f"{RECALL_TARGET:.0%}; missed: {misses}"
    )
