"""The task store: one retention policy (age, count, size) for logs, transcripts on disk."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from terminus_mcp import task_store
from terminus_mcp.agent.fallback import CommandRun
from terminus_mcp.agent.recorder import TaskRecorder
from terminus_mcp.errors import TaskNotFound
from terminus_mcp.sandbox.api import ExecResult
from terminus_mcp.settings import load_settings
from terminus_mcp.task_store import TaskStore, new_task_id

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(output: str = "ok\n") -> TaskRecorder:
    recorder = TaskRecorder("q", transcript_id=new_task_id())
    result = ExecResult(command="echo ok", exit_code=0, output=output, duration_s=0.1)
    recorder.add_run(CommandRun(command="echo ok", timeout_ms=1000, result=result))
    return recorder


def store(tmp_path: Path, clock: Clock, **settings: object) -> TaskStore:
    values: dict[str, object] = {"state_dir": str(tmp_path / "state")}
    return TaskStore(load_settings({**values, **settings}), clock=clock)


async def test_logs_expire_by_age_like_results(tmp_path: Path) -> None:
    clock = Clock()
    kept = store(tmp_path, clock, result_ttl_s=60)
    old, new = record(), record()
    await kept.keep(old)
    clock.now += 50
    await kept.keep(new)
    clock.now += 20  # old is 70 s old, new 20 s
    with pytest.raises(TaskNotFound, match=old.transcript_id):
        kept.get(old.transcript_id)
    assert kept.get(new.transcript_id).commands[0].output == "ok\n"


async def test_logs_are_bounded_by_count_and_by_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = store(tmp_path, Clock(), max_kept_results=2)
    first, second, third = record(), record(), record()
    for recorder in (first, second, third):
        await kept.keep(recorder)
    with pytest.raises(TaskNotFound):
        kept.get(first.transcript_id)
    assert kept.get(second.transcript_id).query == "q"

    monkeypatch.setattr(task_store, "MAX_KEPT_LOG_CHARS", 150)
    big = record("x" * 100)
    await kept.keep(big)  # second (3 chars) + third (3) + big (100) would fit; count says 2
    assert kept.get(big.transcript_id).chars == 100
    bigger = record("y" * 100)
    await kept.keep(bigger)  # big + bigger = 200 chars > 150: big goes
    with pytest.raises(TaskNotFound):
        kept.get(big.transcript_id)
    assert kept.get(bigger.transcript_id).chars == 100


async def test_the_transcript_is_named_by_the_task_id_and_private(tmp_path: Path) -> None:
    kept = store(tmp_path, Clock())
    recorder = record()
    await kept.keep(recorder)
    path = kept.transcript_path(recorder.transcript_id)
    assert path == tmp_path / "state" / "transcripts" / f"{recorder.transcript_id}.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert '"echo ok"' in path.read_text()
