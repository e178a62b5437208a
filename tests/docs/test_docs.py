"""The documentation site builds with ``mkdocs build --strict``, and its tagged snippets run.

A fenced block right after a ``<!-- test: bash -->`` or ``<!-- test: python -->`` comment is
run as written, with the installed ``terminus-mcp`` on PATH, in an empty project folder and a
temporary HOME, so a snippet can never touch the real home folder. Blocks without the tag are
illustrations (client-specific commands, output samples) and are not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
VENV_BIN = Path(sys.executable).parent
TAGGED = re.compile(r"<!-- test: (bash|python) -->\n```(?:bash|python)\n(.*?)\n```", re.DOTALL)


def tagged_snippets() -> list[tuple[str, str, str]]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for number, match in enumerate(TAGGED.finditer(page.read_text()), start=1):
            found.append((f"{page.relative_to(DOCS)}#{number}", match.group(1), match.group(2)))
    return found


SNIPPETS = tagged_snippets()


def test_the_docs_have_tested_snippets() -> None:
    kinds = {kind for _, kind, _ in SNIPPETS}
    assert len(SNIPPETS) >= 3
    assert kinds == {"bash", "python"}


def clean_environment(home: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TERMINUS_", "XDG_", "CODEX_HOME"))
    }
    env["HOME"] = str(home)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.mark.docker
@pytest.mark.parametrize(("where", "kind", "code"), SNIPPETS, ids=[s[0] for s in SNIPPETS])
def test_snippet_runs(where: str, kind: str, code: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    project = home / "project"
    project.mkdir(parents=True)
    command = (
        ["bash", "-euo", "pipefail", "-c", code] if kind == "bash" else [sys.executable, "-c", code]
    )
    done = subprocess.run(
        command,
        cwd=project,
        env=clean_environment(home),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"{where} failed:\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{where} printed nothing"
    if "run_terminal_task" in code:
        assert "<final_answer>" in done.stdout, f"{where} got no final answer:\n{done.stdout}"


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    configuration = (DOCS / "configuration.md").read_text()
    done = subprocess.run(
        [str(VENV_BIN / "mkdocs"), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr
    assert (tmp_path / "site" / "configuration" / "index.html").is_file()
    assert not (tmp_path / "site" / "hooks.py").exists()
    # The build regenerates the reference only when stale; a fresh one stays byte-identical.
    assert (DOCS / "configuration.md").read_text() == configuration
