"""Whole eval runs on the real Docker engine: a scripted model backend, and the command line with
a fixture-folder suite (the suites' CI gates are in test_eval_gates.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from terminus_mcp.cli.main import main
from terminus_mcp.eval.runner import run_suite
from terminus_mcp.eval.suite import load_suite
from terminus_mcp.models.scripted import ScriptedBackend
from terminus_mcp.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.docker]


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(backend="direct", state_dir=tmp_path / "state", **values)  # type: ignore[arg-type]


@pytest.mark.parametrize("grounding", [False, True], ids=["model-alone", "grounded"])
async def test_scripted_model_backend_is_driven_and_scored(
    tmp_path: Path, docker_client: object, grounding: bool
) -> None:
    suite = load_suite("builtin").select(["py-pytest-failures"])
    answer = (
        "<final_answer>\nCommand: python3 -m pytest -v\n"
        "Summary: 3 failed, 356 passed. test_restock_missing_sku: KeyError 'SKU-0042'.\n"
        "</final_answer>"
    )
    backend = ScriptedBackend(
        [ScriptedBackend.call("python3 -m pytest -v", timeout=60000), answer], name="scripted"
    )
    settings = _settings(tmp_path, grounding=grounding)
    report = await run_suite(suite, settings, backend=backend, work_root=tmp_path)
    (row,) = report.rows
    assert backend.remaining == 0
    assert report.backend == "scripted"
    assert report.model_used
    assert (row.status, row.done, row.turns, row.commands) == ("completed", True, 2, 1)
    if grounding:
        # The two failures the model left out come from the real output: 7 of 7 facts.
        assert row.answer.startswith(answer)
        assert "Also in the output (added by grounding):" in row.answer
        assert (row.facts_found, row.facts_total) == (7, 7)
        assert row.grounding_added == 2
    else:
        # Facts met: test_restock_missing_sku, KeyError SKU-0042, 3 failed, 356 passed (4 of 7).
        assert row.answer == answer
        assert (row.facts_found, row.facts_total) == (4, 7)
    assert row.subagent_tokens > 0
    assert 0 < row.answer_tokens < row.baseline_tokens
    # What the scripted model saw is the real pytest run in a real sandbox.
    observation = backend.requests[1][-1].content
    assert "3 failed, 356 passed" in observation


def _fixture_suite(root: Path) -> Path:
    repo = root / "suite" / "fixtures" / "hello"
    repo.mkdir(parents=True)
    (repo / "gen.sh").write_text(
        "printf 'line %s\\n' $(seq 1 400) > data.txt\necho hello-from-setup >> data.txt\n"
    )
    (root / "suite" / "hello.toml").write_text(
        'description = "setup writes a file; the task reads it"\n'
        'setup = ["sh gen.sh"]\n'
        'query = "Run `cat data.txt` and report its last line."\n'
        'baseline_commands = ["cat data.txt"]\n'
        "timeout_s = 30\n"
        "key_facts = ['hello-from-setup']\n"
        "forbidden = ['line 200']\n\n"
        "[repository]\n"
        'fixture = "fixtures/hello"\n'
    )
    return root / "suite"


def test_command_line_prints_json_and_writes_the_report(
    tmp_path: Path,
    docker_client: object,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    suite = _fixture_suite(tmp_path)
    monkeypatch.setenv("TERMINUS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    status = main(
        [
            "eval",
            "--suite",
            str(suite),
            "--backend",
            "direct",
            "--json",
            "--report",
            str(tmp_path / "out"),
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    data = json.loads(captured.out)
    (row,) = data["rows"]
    assert row["name"] == "hello"
    assert row["error"] is None, captured.err
    assert row["recall"] == 1.0
    assert row["forbidden_hits"] == []
    assert data["overall_recall"] == 1.0
    assert data["median_ratio"] == row["ratio"] < 0.5
    assert "[1/1] hello: completed" in captured.err  # the progress line
    assert "key-fact recall 100.0%" in captured.err  # the table, on stderr with --json
    assert (tmp_path / "out" / "report.md").read_text().count("`hello`") >= 1
    assert (tmp_path / "out" / "chart.png").read_bytes()[:4] == b"\x89PNG"
