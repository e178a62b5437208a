"""Running a suite: each task in fresh sandboxes, once as the baseline and once delegated.

For every task the runner

1. writes the repository (generator or fixture) into a fresh folder and runs the task's setup
   commands there in a sandbox;
2. copies that folder twice, so the baseline and the delegated run each start from the same
   untouched state;
3. runs the ``baseline_commands`` in a fresh sandbox on the first copy, as a main agent would
   run them itself, and counts their output's tokens (:mod:`terminus_mcp.eval.scoring`);
4. delegates the query through :class:`~terminus_mcp.service.TerminusService` on the second copy
   (a fresh sandbox, removed afterwards), under the task's deadline;
5. scores the answer, asks the judge when there is one, and removes both folders.

Tasks run one after the other: wall times stay comparable and a small machine stays usable.
A task the harness cannot run (its generator fails, say) becomes a row with an ``error``; an
engine that is gone or an image that is missing stops the whole run.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio

from terminus_mcp.agent.result import TaskResult, TaskStatus
from terminus_mcp.errors import DockerUnavailable, ImageMissing, TerminusError
from terminus_mcp.eval import fetch, scoring
from terminus_mcp.eval.judge import Judge
from terminus_mcp.eval.results import EvalReport, TaskRow
from terminus_mcp.eval.suite import Suite, TaskSpec
from terminus_mcp.models.base import ModelBackend
from terminus_mcp.sandbox.api import AllowedWorkdir, ExecResult, Sandboxes, Session, SessionSpec
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.sandbox.workspace import resolve_workdir
from terminus_mcp.service import TaskRequest, TerminusService
from terminus_mcp.settings import Settings

logger = logging.getLogger(__name__)

SANDBOX_UID = 1000
"""The sandbox user of the default image; workspaces made by root are handed to it."""
GENERATOR_TIMEOUT_S = 120.0
DEADLINE_GRACE_S = 30.0
"""Extra seconds past a task's deadline before the runner cancels the delegated task itself
(the service enforces the deadline first, with status ``timed_out``; this guards against a
hang in the harness)."""


class Progress(Protocol):
    """Told when each task starts and ends (for a progress bar)."""

    def task_started(self, index: int, total: int, task: TaskSpec) -> None: ...

    def task_finished(self, index: int, total: int, row: TaskRow) -> None: ...


@dataclass(frozen=True)
class Baseline:
    """What the main agent would have read running the baseline commands itself."""

    outputs: list[str]
    tokens: int


class TaskSetupError(TerminusError):
    """A task's repository could not be prepared (generator, fixture or setup failed)."""


async def run_suite(
    suite: Suite,
    settings: Settings,
    *,
    backend: ModelBackend | None = None,
    judge: Judge | None = None,
    progress: Progress | None = None,
    work_root: Path | None = None,
) -> EvalReport:
    """Run every task of ``suite`` and return the report.

    ``backend`` replaces the backend the settings select (a scripted model in tests); it is
    closed at the end, like a configured one. Workspaces live in a temporary folder under
    ``work_root`` (the system's temp folder by default), added to the allowed roots for this
    run. Project environments are off: the baseline runs the task's commands as they are, so
    the delegated run must too (a task's own setup commands prepare its repository).

    Raises:
        DockerUnavailable, ImageMissing: no sandbox can run at all.
        ModelError, ConfigError: the backend cannot be built or started.
    """
    started = time.time()
    made = await anyio.to_thread.run_sync(
        lambda: tempfile.mkdtemp(prefix="terminus-eval-", dir=work_root)
    )
    base = Path(await anyio.Path(made).resolve())
    settings = settings.model_copy(
        update={"allowed_roots": [*settings.allowed_roots, base], "project_environments": False}
    )
    rows: list[TaskRow] = []
    backend_name = ""
    model_used = False
    try:
        async with (
            SandboxManager(settings) as sandboxes,
            TerminusService(settings, backend=backend, sandboxes=sandboxes) as service,
        ):
            for index, task in enumerate(suite.tasks):
                if progress is not None:
                    progress.task_started(index, len(suite.tasks), task)
                folder = base / f"{index:02d}"
                row, result = await _run_task(task, folder, sandboxes, service, judge)
                if result is not None:
                    backend_name, model_used = result.backend, result.model_used
                rows.append(row)
                if progress is not None:
                    progress.task_finished(index, len(suite.tasks), row)
    finally:
        await anyio.to_thread.run_sync(lambda: shutil.rmtree(base, ignore_errors=True))
    return EvalReport(
        suite=suite.name,
        backend=backend_name or (backend.name if backend is not None else settings.backend),
        model_used=model_used,
        started_at=started,
        wall_s=time.time() - started,
        rows=rows,
    )


async def _run_task(
    task: TaskSpec,
    folder: Path,
    sandboxes: Sandboxes,
    service: TerminusService,
    judge: Judge | None,
) -> tuple[TaskRow, TaskResult | None]:
    try:
        roots = service.settings.allowed_roots
        pristine = await prepare_repository(task, folder / "repo", sandboxes, roots)
        baseline_dir = resolve_workdir(
            await _copy_for_sandbox(pristine, folder / "baseline"), roots
        )
        agent_dir = await _copy_for_sandbox(pristine, folder / "agent")
        baseline = await run_baseline(task, baseline_dir, sandboxes)
        started = time.monotonic()
        result = await _delegate(task, agent_dir, service)
        wall_s = time.monotonic() - started
    except (DockerUnavailable, ImageMissing):
        raise
    except TerminusError as exc:
        logger.warning("eval task %s could not run: %s", task.name, exc)
        return _error_row(task, str(exc)), None
    finally:
        await anyio.to_thread.run_sync(lambda: shutil.rmtree(folder, ignore_errors=True))
    row = score(task, result, baseline, wall_s)
    if judge is not None:
        row = await judge.grade_row(task, row, baseline.outputs)
    return row, result


def score(task: TaskSpec, result: TaskResult, baseline: Baseline, wall_s: float) -> TaskRow:
    """The row of one task from its delegated result and its baseline."""
    answer = result.answer
    answer_tokens = scoring.proxy_tokens(answer)
    missed = scoring.missed_facts(answer, task.key_facts)
    usage = result.usage
    return TaskRow(
        name=task.name,
        description=task.description,
        status=result.status.value,
        done=result.status is TaskStatus.COMPLETED,
        facts_found=len(task.key_facts) - len(missed),
        facts_total=len(task.key_facts),
        missed_facts=missed,
        forbidden_hits=scoring.forbidden_hits(answer, task.forbidden),
        answer_tokens=answer_tokens,
        baseline_tokens=baseline.tokens,
        ratio=scoring.reduction_ratio(answer_tokens, baseline.tokens),
        turns=result.turns,
        commands=sum(not c.probe for c in result.commands),
        wall_s=result.timings.total_s if result.timings is not None else wall_s,
        subagent_tokens=usage.subagent_prompt_tokens + usage.subagent_completion_tokens,
        prompt_tokens=usage.subagent_prompt_tokens,
        completion_tokens=usage.subagent_completion_tokens,
        model_s=result.timings.model_s if result.timings is not None else 0.0,
        malformed_replies=result.stats.malformed_replies,
        refused_answers=result.stats.refused_answers,
        loop_stopped=result.stats.loop_stopped,
        grounding_added=len(result.grounding.added) if result.grounding else 0,
        grounding_flagged=len(result.grounding.flagged) if result.grounding else 0,
        answer=answer,
        error=result.error,
    )


def _error_row(task: TaskSpec, error: str) -> TaskRow:
    return TaskRow(
        name=task.name,
        description=task.description,
        status="error",
        done=False,
        facts_found=0,
        facts_total=len(task.key_facts),
        missed_facts=list(task.key_facts),
        error=error,
    )


async def prepare_repository(
    task: TaskSpec, target: Path, sandboxes: Sandboxes, allowed_roots: Sequence[Path]
) -> Path:
    """Write the task's repository into ``target`` (copied, generated, or fetched), apply its
    patches, install its Node.js tools, and run its setup commands there (``target`` lies inside
    ``allowed_roots``).

    Raises:
        TaskSetupError: the generator fails, or a setup command exits non-zero.
        FetchError: a project cannot be fetched or patched.
    """
    repo = task.repository
    if repo.fixture is not None:
        source = task.repository_path(repo.fixture)
        await anyio.to_thread.run_sync(lambda: shutil.copytree(source, target, symlinks=True))
    elif repo.fetch is not None:
        archive = await anyio.to_thread.run_sync(fetch.fetch_archive, repo.fetch)
        await anyio.to_thread.run_sync(fetch.unpack, archive, target)
    else:
        assert repo.generator is not None
        script = task.repository_path(repo.generator)
        await anyio.Path(target).mkdir(parents=True)
        await _generate(task, [sys.executable, str(script), *repo.args, str(target)])
    for patch in repo.patches:
        await anyio.to_thread.run_sync(fetch.apply_patch, task.repository_path(patch), target)
    if repo.node_tools:
        await anyio.to_thread.run_sync(fetch.install_node_tools, repo.node_tools, target)
    await anyio.to_thread.run_sync(_give_to_sandbox, target)
    if task.setup:
        await _run_setup(task, resolve_workdir(target, allowed_roots), sandboxes)
    return target


async def _generate(task: TaskSpec, argv: list[str]) -> None:
    try:
        with anyio.fail_after(GENERATOR_TIMEOUT_S):
            done = await anyio.run_process(argv, check=False)
    except TimeoutError:
        raise TaskSetupError(
            f"the generator of task {task.name} did not finish",
            why=f"{' '.join(argv)} ran longer than {GENERATOR_TIMEOUT_S:.0f} s",
            fix=f"make the generator of {task.source} faster",
        ) from None
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace")[-2000:].strip()
        raise TaskSetupError(
            f"the generator of task {task.name} failed with exit code {done.returncode}",
            why=tail or "it printed nothing on stderr",
            fix=f"run `{' '.join(argv)}` by hand and correct {task.source}",
        )


async def _run_setup(task: TaskSpec, workdir: AllowedWorkdir, sandboxes: Sandboxes) -> None:
    session = await sandboxes.create(SessionSpec(workdir=workdir, labels={"eval-task": task.name}))
    try:
        for command in task.setup:
            result = await session.run(command, timeout_s=task.timeout_s)
            if not result.ok:
                raise TaskSetupError(
                    f"setup command of task {task.name} failed: {command}",
                    why=_failure(result),
                    fix=f"correct the setup commands in {task.source}",
                )
    finally:
        await sandboxes.close(session.id)


async def run_baseline(task: TaskSpec, workdir: AllowedWorkdir, sandboxes: Sandboxes) -> Baseline:
    """Run the baseline commands in a fresh sandbox and count what a main agent would read."""
    session = await sandboxes.create(SessionSpec(workdir=workdir, labels={"eval-task": task.name}))
    outputs: list[str] = []
    try:
        await _check_tools(task, session)
        for command in task.baseline_commands:
            result = await session.run(command, timeout_s=task.timeout_s)
            outputs.append(result.output)
    finally:
        await sandboxes.close(session.id)
    tokens = await anyio.to_thread.run_sync(scoring.baseline_tokens, outputs)
    return Baseline(outputs=outputs, tokens=tokens)


async def _check_tools(task: TaskSpec, session: Session) -> None:
    """Refuse a task whose ``tools`` the sandbox image lacks, naming them."""
    if not task.tools:
        return
    probe = "; ".join(f"command -v {tool} >/dev/null || echo {tool}" for tool in task.tools)
    result = await session.run(probe, timeout_s=30)
    missing = result.output.split()
    if missing:
        raise TaskSetupError(
            f"task {task.name} needs {', '.join(missing)}, which the sandbox image lacks",
            why=f"`command -v` finds no {', '.join(missing)} on the PATH of the sandbox image",
            fix="build a sandbox image with those toolchains (terminus-mcp sandbox build) or "
            "leave the task out with --task",
        )


async def _delegate(task: TaskSpec, workdir: Path, service: TerminusService) -> TaskResult:
    request = TaskRequest(
        query=task.query, description=task.name, workdir=workdir, timeout_s=task.timeout_s
    )
    with anyio.move_on_after(task.timeout_s + DEADLINE_GRACE_S) as scope:
        return await service.run_task(request)
    raise TaskSetupError(
        f"task {task.name} did not return within its deadline",
        why=f"it ran past timeout_s = {task.timeout_s:g} s plus {DEADLINE_GRACE_S:g} s "
        f"(cancelled: {scope.cancelled_caught})",
        fix=f"raise timeout_s in {task.source}, or look for a hang in the loop",
    )


def _failure(result: ExecResult) -> str:
    state = "timed out" if result.timed_out else f"exit code {result.exit_code}"
    return f"{state}; output ends with: {result.output[-1500:].strip()}"


async def _copy_for_sandbox(source: Path, target: Path) -> Path:
    def copy() -> None:
        shutil.copytree(source, target, symlinks=True)
        _give_to_sandbox(target)

    await anyio.to_thread.run_sync(copy)
    return target


def _give_to_sandbox(root: Path) -> None:
    """Make ``root`` writable by the sandbox user: chown to it when we are root (the sandbox
    runs as the workspace owner, or uid 1000 for a root-owned one)."""
    if os.geteuid() != 0:
        return
    os.chown(root, SANDBOX_UID, SANDBOX_UID)
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            os.chown(os.path.join(folder, name), SANDBOX_UID, SANDBOX_UID, follow_symlinks=False)
