"""A chosen command that could not do its step at all gives way to the next candidate, read
from real captured output (tests/fixtures/captured/README.md)."""

from __future__ import annotations

from pathlib import Path

from terminus_mcp.direct.attempts import gave_way
from terminus_mcp.direct.plan import plan_task
from terminus_mcp.direct.probe import read_probe
from terminus_mcp.direct.query import read_query
from terminus_mcp.direct.steps import Kind

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

MS_PROBE = (
    "@@terminus-probe file package.json\n"
    '{"name": "ms", "scripts": {"precommit": "lint-staged", "lint": "eslint lib/* bin/*", '
    '"test": "mocha tests.js"}}\n'
    "@@terminus-probe runnable\nnpm\nnpx\nnode\n"
    "@@terminus-probe files\n.eslintrc.json\nindex.js\npackage.json\nnode_modules/\n"
)
"""ms 2.1.3's layout as the probe lists it (its package.json cut to the scripts)."""


def test_a_stale_project_script_gives_way_to_the_next_candidate() -> None:
    """ms publishes ``"lint": "eslint lib/* bin/*"`` without a lib/: ESLint stops (exit 2)
    before linting anything, so the eslint configuration's own command runs next."""
    output = (FIXTURES / "captured" / "npm-run-lint-stale-pattern.txt").read_text()
    why = gave_way(output, 2)
    assert why == 'No files matching the pattern "lib/*" were found.'
    reading = read_query("Lint the code with eslint and tell me about the errors.")
    w = read_probe(MS_PROBE)
    first = plan_task(reading, w)
    assert [a.command for a in first.actions] == ["npm run lint"]
    plan = plan_task(reading, w, {"npm run lint": why})
    assert [(a.command, a.kind, a.gave_way) for a in plan.actions] == [
        ("npm run lint", Kind.LINT, why),
        ("npx eslint .", Kind.LINT, None),
    ]
    assert plan.actions[0].chose == (
        "Tried `npm run lint` to run the linters: package.json script `lint`: eslint lib/* "
        'bin/*; it could not run the linters: No files matching the pattern "lib/*" were found.'
    )
    assert plan.not_done == []


def test_findings_and_failures_are_the_answer_not_a_reason_to_try_another_command() -> None:
    tool_outputs = FIXTURES / "tool_outputs"
    for case, exit_code in (
        ("eslint-stylish", 1),
        ("pytest-plain", 1),
        ("gcc-make", 2),
        ("maven-test", 1),
    ):
        assert gave_way((tool_outputs / f"{case}.txt").read_text(), exit_code) is None, case
    assert gave_way("sh: 1: eslint: not found\n", 127) == (
        "its program was not found (sh: 1: eslint: not found)"
    )
