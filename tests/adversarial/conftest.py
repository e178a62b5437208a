"""The adversarial suite's options, markers and report.

Every test here is one *check*, marked ``@pytest.mark.check(kind, name)`` where ``kind`` is
``attack``, ``fault``, ``load`` or ``input``. A test tells the report what it saw through the
``figure`` fixture (``figure.note("contained by ...")``, ``figure.count(n)`` for inputs tried).
At the end of the run ``pytest_terminal_summary`` prints one line per check and a summary::

    PASS attack fork-bomb: contained by pids limit (pids.max=64), session recovered in 0.4 s

Options: ``--adversarial-full`` runs the 2-minute load form (default: about 20 s);
``--adversarial-disruptive`` also runs the checks marked ``disruptive`` (they restart the
Docker daemon, which disturbs everything else using it), deselected otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

KINDS = ("attack", "fault", "load", "input")


@dataclass
class Figure:
    """What one check saw, for its line in the report."""

    notes: list[str] = field(default_factory=list)
    inputs: int = 0

    def note(self, text: str) -> None:
        self.notes.append(text)

    def count(self, inputs: int) -> None:
        self.inputs += inputs


@dataclass(frozen=True)
class Record:
    kind: str
    name: str
    outcome: str
    detail: str
    inputs: int


FIGURE_KEY = pytest.StashKey[Figure]()
RECORDS_KEY = pytest.StashKey[list[Record]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "check(kind, name): one line of the adversarial report")
    config.addinivalue_line(
        "markers", "disruptive: restarts shared services; runs only with --adversarial-disruptive"
    )
    config.stash[RECORDS_KEY] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, disruptive = [], []
    for item in items:
        (disruptive if item.get_closest_marker("disruptive") else kept).append(item)
    if config.getoption("--adversarial-disruptive"):
        # Last, so a daemon restart cannot disturb any other test of the session.
        items[:] = kept + disruptive
        return
    if disruptive:
        config.hook.pytest_deselected(items=disruptive)
        items[:] = kept


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Figure:
    """Where a check writes what it saw (shown on its report line)."""
    found = Figure()
    request.node.stash[FIGURE_KEY] = found
    return found


@pytest.fixture
def full_run(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--adversarial-full"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    marker = item.get_closest_marker("check")
    failed_early = call.when == "setup" and report.failed  # type: ignore[attr-defined]
    if marker is None or not (call.when == "call" or failed_early):
        return report
    kind, name = marker.args
    assert kind in KINDS, f"unknown check kind {kind!r} on {item.nodeid}"
    figure = item.stash.get(FIGURE_KEY, Figure())
    if hasattr(report, "wasxfail"):  # a known open problem: shown, not hidden
        outcome = "OPEN" if report.skipped else "PASS"  # type: ignore[attr-defined]
        detail = "; ".join([*figure.notes, report.wasxfail])  # type: ignore[attr-defined]
    elif report.passed:  # type: ignore[attr-defined]
        outcome, detail = "PASS", "; ".join(figure.notes) or "held"
    elif report.skipped:  # type: ignore[attr-defined]
        outcome, detail = "SKIP", "skipped"
    else:
        outcome = "FAIL"
        crash = getattr(report.longrepr, "reprcrash", None)  # type: ignore[attr-defined]
        message = crash.message if crash is not None else str(report.longrepr)
        detail = message.strip().splitlines()[0][:200] if message.strip() else "failed"
        if figure.notes:
            detail += " (seen: " + "; ".join(figure.notes) + ")"
    item.config.stash[RECORDS_KEY].append(Record(kind, name, outcome, detail, figure.inputs))
    return report


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    records = config.stash.get(RECORDS_KEY, [])
    if not records:
        return
    write = terminalreporter.write_line
    terminalreporter.section("adversarial report")
    for record in sorted(records, key=lambda r: (KINDS.index(r.kind), r.name)):
        write(f"{record.outcome} {record.kind} {record.name}: {record.detail}")

    def tally(kind: str) -> tuple[int, int]:
        mine = [r for r in records if r.kind == kind]
        return len(mine), sum(1 for r in mine if r.outcome == "PASS")

    attacks, contained = tally("attack")
    faults, survived = tally("fault")
    loads, held = tally("load")
    inputs_checks, answered = tally("input")
    tried = sum(r.inputs for r in records if r.kind == "input")
    still_open = sum(1 for r in records if r.outcome == "OPEN")
    write("")
    write(
        f"attacks tried {attacks}, contained {contained}; "
        f"faults {faults}, survived {survived}; "
        f"load checks {loads}, held {held}; "
        f"bad inputs tried {tried} in {inputs_checks} checks, handled in {answered}; "
        f"known open: {still_open}"
    )
