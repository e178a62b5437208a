"""``terminus-mcp env show|build|prune`` and ``run`` as a user runs them: subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.environments.conftest import HOST_BUNDLE, own

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("remove_what_tests_create")]


def cli(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERMINUS_")}
    env.update(
        TERMINUS_ALLOWED_ROOTS=str(workspace.parent),
        TERMINUS_STATE_DIR=str(workspace.parent / ".state-cli"),
        TERMINUS_SANDBOX_USER="1000:1000",
        TERMINUS_CA_BUNDLE=str(HOST_BUNDLE),
        XDG_CONFIG_HOME=str(workspace.parent / ".config"),
    )
    return subprocess.run(
        [sys.executable, "-m", "terminus_mcp", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_env_show_build_run_prune(workspace: Path) -> None:
    (workspace / ".terminus.toml").write_text(
        '[environment]\nsetup = ["echo built-by-setup > $HOME/built"]\n'
    )
    own(workspace)
    where = ["--workdir", str(workspace)]
    shown = cli(workspace, "env", "show", *where)
    assert shown.returncode == 0, shown.stderr
    assert f"source:     defined by {workspace}/.terminus.toml" in shown.stdout
    assert "  - echo built-by-setup > $HOME/built" in shown.stdout
    assert "state:      not set up for the current files" in shown.stdout

    built = cli(workspace, "env", "build", *where)
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("terminus-mcp-env:")
    assert "terminus-mcp: setting up: echo built-by-setup > $HOME/built" in built.stderr
    assert "state:      ready: terminus-mcp-env:" in cli(workspace, "env", "show", *where).stdout

    ran = cli(workspace, "run", "Run `cat $HOME/built`", *where, "--backend", "direct")
    assert ran.returncode == 0, ran.stderr
    assert "built-by-setup" in ran.stdout
    assert "(set up earlier, reused)" in ran.stderr

    pruned = cli(workspace, "env", "prune", *where)
    assert pruned.stdout.strip().endswith("1 removed")
    assert "not set up" in cli(workspace, "env", "show", *where).stdout


def test_env_show_names_file_and_line_of_a_malformed_file(workspace: Path) -> None:
    (workspace / ".terminus.toml").write_text('[environment]\nsetup = "x"\nnetwork = 3\n')
    shown = cli(workspace, "env", "show", "--workdir", str(workspace))
    assert shown.returncode == 2
    assert shown.stderr.startswith(
        f"terminus-mcp: error: {workspace}/.terminus.toml, line 3: [environment] network:"
    )
    assert "Fix:" in shown.stderr
    assert "Traceback" not in shown.stderr
