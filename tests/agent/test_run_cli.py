"""``terminus-mcp run`` as a user runs it: a subprocess, direct mode, a real sandbox."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.docker]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERMINUS_")}
    env.update(
        TERMINUS_ALLOWED_ROOTS=str(root),
        TERMINUS_STATE_DIR=str(root / ".state"),
        TERMINUS_SANDBOX_USER="1000:1000",
        XDG_CONFIG_HOME=str(root / ".config"),
    )
    return subprocess.run(
        [sys.executable, "-m", "terminus_mcp", "run", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_run_prints_the_answer_and_progress(workspace: Path) -> None:
    shutil.copytree(FIXTURES / "python-failing-tests", workspace, dirs_exist_ok=True)
    for path in [workspace, *workspace.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)
    done = _cli(
        workspace.parent, "run the tests", "--workdir", str(workspace), "--backend", "direct"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("<final_answer>\n(direct mode: no model was used)\n")
    assert "tests/test_inventory.py::test_discount_is_subtracted" in done.stdout
    assert "terminus-mcp: [2/10] $ python3 -m pytest -p no:cacheprovider" in done.stderr


def test_run_json_and_exit_status_of_an_incomplete_task(workspace: Path) -> None:
    done = _cli(workspace.parent, "what now?", "--workdir", str(workspace), "--json")
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["status"] == "incomplete"
    assert "Not done:" in result["answer"]
    assert result["model_used"] is False
    assert done.stderr == ""


def test_run_refuses_a_workdir_outside_the_allowed_roots(workspace: Path, tmp_path: Path) -> None:
    done = _cli(workspace, "Run `ls`", "--workdir", str(tmp_path))
    assert done.returncode == 2
    assert "is outside the allowed roots" in done.stderr
    assert done.stdout == ""
