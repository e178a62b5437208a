"""The generic digest on the real output of the builtin suite's noisy scripts: generated with
the suite's own generators and run for real, so the progress bars, colours and per-item lines
are what the scripts print."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from terminus_mcp.agent.summaries import summary_text

GENERATORS = Path(__file__).parents[2] / "terminus_mcp/eval/suites/builtin/generators"


def _run(tmp_path: Path, generator: str, kind: str, command: list[str]) -> tuple[str, int]:
    """Generate the ``kind`` repository and run ``command`` in it: (combined output, exit)."""
    root = tmp_path / kind
    subprocess.run([sys.executable, str(GENERATORS / generator), kind, str(root)], check=True)
    done = subprocess.run(
        command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60
    )
    return done.stdout.decode(), done.returncode


def test_a_clean_generation_step_keeps_its_result_line_not_its_last_rows(tmp_path: Path) -> None:
    output, code = _run(
        tmp_path, "python_repos.py", "build-then-test", ["python3", "scripts/gen_rates.py"]
    )
    assert code == 0
    assert "[gen] rate table line 042: }" in output  # the noise is there to leave out
    assert summary_text(output, code).splitlines() == [
        "exit code 0; 43 lines of output, no error or warning lines; result:",
        "[gen] wrote shop/rates.py (40 zones)",
    ]


def test_a_clean_noisy_build_keeps_only_its_verdict(tmp_path: Path) -> None:
    output, code = _run(tmp_path, "shell_repos.py", "noisy-build-success", ["bash", "build.sh"])
    assert code == 0
    assert summary_text(output, code).splitlines() == [
        "exit code 0; 282 lines of output, no error or warning lines; result:",
        "BUILD SUCCEEDED: 140 assets written to dist/ in 4.87s",
    ]


def test_a_failed_noisy_build_keeps_the_error_not_the_progress_before_it(tmp_path: Path) -> None:
    output, code = _run(tmp_path, "shell_repos.py", "noisy-build-failure", ["bash", "build.sh"])
    assert code == 3
    assert "sprite_099.png" in output  # the progress is there to leave out
    assert summary_text(output, code).splitlines() == [
        "exit code 3; 204 lines of output; relevant lines:",
        "error: asset 'logo@2x.png' is listed in assets/manifest.txt:101 but the file is missing",
        "BUILD FAILED after 101 of 151 assets",
    ]


def test_a_tail_of_nothing_but_progress_is_kept_as_where_the_run_stopped() -> None:
    lines = [f"compress sprite_{i:03d}.png [####################] 100%" for i in range(30)]
    summary = summary_text("\n".join(lines), 137).splitlines()
    assert summary[-1] == "compress sprite_029.png [####################] 100%"
    assert len(summary) == 6


def test_a_failed_suite_run_keeps_the_failures_not_the_checks_that_passed(tmp_path: Path) -> None:
    generators = GENERATORS.parents[1] / "realworld/generators"
    root = tmp_path / "suites"
    subprocess.run(
        [sys.executable, str(generators / "projects.py"), "shell-suites", str(root)], check=True
    )
    done = subprocess.run(
        ["bash", "tests/run.sh"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=60,
    )
    output = done.stdout.decode()
    assert done.returncode == 1
    assert "3 passed, 0 failed" in output  # the passing suites are there to leave out
    summary = summary_text(output, done.returncode).splitlines()
    assert "FAIL keeps 3 newest (line 6 of tests/suite_rotate.sh)" in summary
    assert "FAILED suites: suite_names.sh suite_rotate.sh" in summary
    assert not [line for line in summary if " 0 failed" in line or line.startswith("ok ")]
