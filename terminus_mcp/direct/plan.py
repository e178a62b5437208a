"""From what the query asks and what the probe saw to the commands the direct mode runs.

Every part of the query ends up either as a command (with a one-line reason when the rules chose
it) or in ``not_done`` with the reason; statements are context and need neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from terminus_mcp.direct.probe import Workspace
from terminus_mcp.direct.project import Choice, choose
from terminus_mcp.direct.query import Part, PartKind, Reading
from terminus_mcp.direct.steps import Kind, kind_of, kinds_of, programs

ADVICE = (
    "name the command to run in backticks (for example `make test`), or configure a model "
    "(--backend openai --base-url URL)"
)
MAX_TRIES = 3
"""Commands tried for one step, at most, when the ones before could not do it."""
_VERSION_FLAGS = {"go": "version", "java": "-version", "javac": "-version"}


@dataclass(frozen=True)
class Action:
    """One command to run."""

    command: str
    kind: Kind | None = None
    """The step it does, when known (a test step is checked for "no tests ran")."""
    chose: str | None = None
    """Why the rules chose it, when the query did not name it."""
    gave_way: str | None = None
    """Why it could not do its step, when it ran and the next candidate was tried."""


@dataclass
class Plan:
    """The commands to run, in order, and the parts of the query that will not be done."""

    actions: list[Action] = field(default_factory=list)
    not_done: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    """Parts done before the task began (dependencies installed by environment setup)."""
    traceback: bool = False
    """The query asks to see the traceback."""

    def add(self, action: Action) -> None:
        if all(a.command != action.command for a in self.actions):
            self.actions.append(action)

    def skip(self, part: str, reason: str) -> None:
        self.not_done.append(f"{part}: {reason}")


def _starts_runnable(w: Workspace, command: str) -> bool:
    first = programs(command)[:1]
    return bool(first) and w.can_run(first[0])


def _step(
    plan: Plan,
    w: Workspace,
    part: Part,
    kind: Kind,
    runner: str | None,
    failed: Mapping[str, str],
    named: set[Kind],
) -> None:
    """Choose the command for one step; a chosen command that ran and could not do the step
    at all (``failed``: command to why) gives way to the next candidate. A step a command the
    query names does (``named``) needs no other command."""
    if kind in named:
        return
    if kind is Kind.INSTALL and w.setup:
        plan.done.append(f"{part.text}: done by the project's environment setup (`{w.setup}`)")
        return
    if kind is Kind.INSTALL and w.network is False:
        plan.skip(
            part.text,
            "the sandbox has no network, so nothing can be downloaded (allow it with "
            "TERMINUS_NETWORK=true or `network = true` in the settings)",
        )
        return
    tried: list[str] = []
    while True:
        choice = choose(w, kind, runner, skip=tried)
        if not isinstance(choice, Choice):
            if not tried:
                plan.skip(part.text, choice.reason)
            return
        line = f"Chose `{choice.command}` to {kind.value}: {choice.reason}."
        why = failed.get(choice.command)
        if why is None or len(tried) >= MAX_TRIES - 1:
            plan.add(Action(choice.command, kind, line))
            return
        line = (
            f"Tried `{choice.command}` to {kind.value}: {choice.reason}; it could not "
            f"{kind.value}: {why.rstrip('.')}."
        )
        plan.add(Action(choice.command, kind, line, gave_way=why))
        tried.append(choice.command)


def _version(plan: Plan, w: Workspace, part: Part) -> None:
    tool = next((t for t in part.tools if w.can_run(t)), None)
    if tool is None:
        plan.skip(part.text, f"`{part.tools[0]}` is not installed in the sandbox")
        return
    plan.add(Action(f"{tool} {_VERSION_FLAGS.get(tool, '--version')}"))


def _spans(plan: Plan, w: Workspace, part: Part) -> bool:
    """Add the part's runnable spans; False when none is a command."""
    found = False
    for span in part.spans:
        if _starts_runnable(w, span):
            plan.add(Action(span, kind_of(span)))
            found = True
    return found


def _span_problem(w: Workspace, part: Part) -> str:
    first = [p for span in part.spans for p in programs(span)[:1]]
    return (
        f"{', '.join(f'`{f}`' for f in first)} is not a command the sandbox can run "
        "(not a shell builtin, nor a program on its PATH)"
    )


def needs_probe(reading: Reading) -> bool:
    """Whether the plan depends on the workspace: not for a query whose only commands are
    explicit (``$`` lines, fences, a ``Commands:`` list) and whose other parts only ask for a
    report (which is then about those commands)."""
    if not reading.explicit:
        return True
    return any(
        part.kind in (PartKind.SPANS, PartKind.STEP, PartKind.VERSION) for part in reading.parts
    )


def plan_task(reading: Reading, w: Workspace, failed: Mapping[str, str] | None = None) -> Plan:
    """The commands for ``reading`` in workspace ``w``, and what will not be done. ``failed``:
    the commands run so far that could not do their step at all, with why
    (:func:`~terminus_mcp.direct.attempts.gave_way`)."""
    failed = failed or {}
    named_kinds = {
        kind
        for command in [
            *reading.explicit,
            *(s for p in reading.parts for s in p.spans if _starts_runnable(w, s)),
        ]
        for kind in kinds_of(command)
    }
    plan = Plan()
    for command in reading.explicit:
        plan.add(Action(command, kind_of(command)))
    if not reading.explicit and reading.bare and _starts_runnable(w, reading.bare):
        plan.add(Action(reading.bare, kind_of(reading.bare)))
        return plan
    reports: list[Part] = []
    named = bool(reading.explicit)
    for part in reading.parts:
        kind = part.kind
        if kind is PartKind.SPANS:
            if _spans(plan, w, part):
                named = True
                continue
            kind = part.plain_kind
            if kind in (PartKind.STATEMENT, PartKind.UNKNOWN, PartKind.EDIT):
                plan.skip(part.text, _span_problem(w, part))
                continue
        if kind is PartKind.STEP:
            for step in part.steps:
                _step(plan, w, part, step, reading.test_runner, failed, named_kinds)
        elif kind is PartKind.VERSION:
            _version(plan, w, part)
        elif kind is PartKind.TRACEBACK:
            plan.traceback = True
            reports.append(part)
        elif kind is PartKind.REPORT:
            reports.append(part)
        elif kind is PartKind.EDIT:
            plan.skip(
                part.text,
                "the direct mode runs commands and reports their output; it does not change "
                "files (configure a model: --backend openai --base-url URL)",
            )
        elif kind is PartKind.UNKNOWN:
            plan.skip(part.text, f"no rule of the direct mode reads this request; {ADVICE}")
    # A report on commands the query names is about them; with none named, "do the tests
    # pass?" asks for the step it names.
    if not named:
        for part in reports:
            covered = {a.kind for a in plan.actions}
            for step in part.steps:
                if step not in covered:
                    _step(plan, w, part, step, reading.test_runner, failed, named_kinds)
    if not plan.actions:
        for part in reports:
            plan.skip(part.text, f"nothing was run to report on; {ADVICE}")
    if not plan.actions and not plan.not_done and not plan.done:
        plan.skip(
            " ".join(p.text for p in reading.parts) or "the query",
            f"no command or step (build, test, install) was found in it; {ADVICE}",
        )
    return plan
