"""Reading a delegated query without a model: the commands it names and every part it asks for.

Explicit commands come from a ``Commands:`` list, ``$ ``-prefixed lines and fenced code blocks.
The rest of the query is cut into parts (sentences, then clauses joined by "and", "then" or a
comma), and each part is read as one of:

- code spans (`` `cd src && npm test` ``): commands when the sandbox can run their first word,
  which only the probe can tell (:meth:`Reading.words` are the words it checks);
- a step: install the dependencies, build, run the tests, run the linters;
- a version question ("which Node version");
- "show the traceback";
- a report ("report the failures", "tell me whether it passes"): answered by the summaries of
  the commands the query names, or, when it names none, a step ("do the tests pass?");
- a change to the code ("fix", "refactor"): not something the direct mode does;
- a statement ("the build was green yesterday"): context, nothing to do;
- anything else that reads as a request: listed under "Not done:" with the reason.

A query with no backticks that is itself a command line (``pytest -x -q``, ``pwd``) is one
command when the sandbox can run its first word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum

from terminus_mcp.direct.steps import Kind, programs

_LIST_HEADER = re.compile(r"^\s*(?:commands?|run)(?: to run)?\s*:\s*(.*)$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.*)$")
_DOLLAR = re.compile(r"^\s*\$ (.+)$")
_FENCE = re.compile(r"```[\w+-]*\n(.*?)```", re.DOTALL)
_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")
_PAREN = re.compile(r"\(([^()]*)\)")
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")
_CLAUSE = re.compile(
    r"\s*,\s*(?:and\s+then|and|then|but|also)?\s*|\s+(?:and\s+then|and|then|but|also)\s+",
    re.IGNORECASE,
)


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_PROSE = _set(
    "the a an and then sure whether if please report tell me what why how which that all it "
    "its them this those these is are be"
)
_STEP_WORDS = _set("test tests build check install lint")
_FILLER = re.compile(
    r"^(?:please|kindly|also|now|first|then|next|finally|and|just|quickly|can you|could you|"
    r"would you|i want you to|i need you to|i'd like you to|go ahead and|try to)\b\s*",
    re.IGNORECASE,
)
_EDIT = re.compile(
    r"^(?:fix|edit|change|modify|refactor|rewrite|write|implement|add|remove|delete|rename|"
    r"update|upgrade|bump|commit|push|deploy|publish|release|create|patch|format|migrate)\b",
    re.IGNORECASE,
)
_INSTALL = re.compile(
    r"\b(?:install|set\s*up|setup|restore|fetch|download)\b.*\b(?:dep(?:endenc(?:y|ies))?s?|"
    r"packages?|requirements|modules|node_modules|librar(?:y|ies)|gems|crates)\b"
    r"|\binstall\b\s*$",
    re.IGNORECASE,
)
_VERSION = re.compile(
    r"(?:which|what)\s+(?:is\s+the\s+)?(?:version\s+of\s+(?:the\s+)?)?(?P<a>[\w.+#-]+)\s+"
    r"(?:version|release)"
    r"|\bversions?\s+of\s+(?:the\s+)?(?P<b>[\w.+#-]+)"
    r"|\b(?P<c>[\w.+#-]+)\s+(?:--)?version\b",
    re.IGNORECASE,
)
_TRACEBACK = re.compile(r"\b(?:traceback|stack\s*trace|backtrace|call\s*stack)s?\b", re.I)
_REPORT = re.compile(
    r"^(?:report|show|tell|list|summari[sz]e|print|give|explain|describe|say|let\s+me\s+know|"
    r"find\s+out|check\s+(?:whether|if)|see\s+(?:whether|if)|confirm|note|what|which|why|how|"
    r"whether|is|are|does|do|did|was|were|has|have|can|could|will)\b",
    re.IGNORECASE,
)
_REPORT_ANYWHERE = re.compile(
    r"\b(?:fail\w*|pass\w*|error\w*|warning\w*|results?|outcome|succe\w*|broken|wrong|output|"
    r"problems?|issues?|hang\w*|green|red|happen\w*)\b",
    re.IGNORECASE,
)
_BUILD = re.compile(r"\b(?:build|builds|building|compile[sd]?|compiling|compilation)\b", re.I)
_TEST = re.compile(
    r"\b(?:tests?|test\s*suite|testsuite|unit\s*tests?|specs?|pytest|ctest|jest|testing)\b", re.I
)
_LINT = re.compile(r"\b(?:lint|linters?|linting|type[\s-]?check\w*|style\s+checks?)\b", re.I)
_STATEMENT = re.compile(
    r"^(?:the|this|that|it|its|it's|i|i'm|i've|we|we're|my|our|there|a|an|these|those|they|"
    r"you|he|she|one|some|every|each|no|not|nothing|because|since|when|while|if|as|so|but)\b",
    re.IGNORECASE,
)
_REQUEST = re.compile(
    r"^(?:run|execute|check|verify|ensure|make\s+sure|find|investigate|debug|figure|look|see|"
    r"try|do|get|open|start|stop|kill|restart|measure|profile|benchmark|time|count|compare|"
    r"clean|generate|search|grep|analy[sz]e|inspect|diagnose|review|audit)\b",
    re.IGNORECASE,
)
_TOOL_ALIASES = {
    "nodejs": "node",
    "node.js": "node",
    "golang": "go",
    "rust": "rustc",
    "maven": "mvn",
    "c++": "g++",
    "jdk": "java",
    "typescript": "tsc",
}
_NOT_TOOLS = _set("the which what this its project sandbox current latest new old")


class PartKind(StrEnum):
    SPANS = "spans"
    STEP = "step"
    VERSION = "version"
    TRACEBACK = "traceback"
    REPORT = "report"
    EDIT = "edit"
    STATEMENT = "statement"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Part:
    """One thing the query asks for (or says)."""

    text: str
    """The part as written (code spans restored)."""
    kind: PartKind
    spans: tuple[str, ...] = ()
    """Code spans in the part, in order (commands if the sandbox can run their first word)."""
    steps: tuple[Kind, ...] = ()
    """For STEP, the steps asked for; for REPORT and SPANS, the steps the words mention."""
    tools: tuple[str, ...] = ()
    """For VERSION: the program names to try, best first."""
    plain_kind: PartKind = PartKind.STATEMENT
    """For SPANS: how the words read with the spans left out (for spans that are not
    commands, such as a file name)."""


@dataclass(frozen=True)
class Reading:
    """What a query names and asks for."""

    explicit: list[str] = field(default_factory=list)
    """Commands from a ``Commands:`` list, ``$ `` lines and fenced blocks, in order."""
    parts: list[Part] = field(default_factory=list)
    bare: str | None = None
    """The whole query, when it may be a command line itself."""
    test_runner: str | None = None
    """The test runner the query says the tests use (``they use unittest, not pytest``)."""

    @property
    def words(self) -> set[str]:
        """First words of code spans and of the bare query, and version tool names: the words
        the probe checks the sandbox can run."""
        found: set[str] = set()
        for part in self.parts:
            for span in part.spans:
                found.update(programs(span)[:1])
            found.update(part.tools)
        if self.bare:
            found.update(programs(self.bare)[:1])
        return found


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] == "`":
        text = text[1:-1].strip()
    return text


def _explicit(query: str) -> tuple[list[str], str]:
    """Commands from lists, ``$`` lines and fences; and the query without those lines."""
    commands: list[str] = []

    def fence(match: re.Match[str]) -> str:
        for line in match[1].splitlines():
            line = line.strip().removeprefix("$ ").strip()
            if line and not line.startswith("#"):
                commands.append(line)
        return "\n"

    rest = _FENCE.sub(fence, query)
    kept: list[str] = []
    in_list = False
    for line in rest.splitlines():
        header = _LIST_HEADER.match(line)
        if header and (in_list or not _SPAN.search(header[1])):
            in_list = True
            if inline := _unquote(header[1]):
                commands.append(inline)
            continue
        bullet = _BULLET.match(line)
        if in_list and bullet:
            commands.append(_unquote(bullet[1]))
            continue
        in_list = False
        if dollar := _DOLLAR.match(line):
            commands.append(dollar[1].strip())
            continue
        kept.append(line)
    return [c for c in commands if c], "\n".join(kept)


def _version_tools(text: str) -> tuple[str, ...]:
    for match in _VERSION.finditer(text):
        name = (match["a"] or match["b"] or match["c"] or "").lower().rstrip(".?")
        if not name or name in _NOT_TOOLS:
            continue
        name = _TOOL_ALIASES.get(name, name.removesuffix(".js"))
        return (name, f"{name}3")
    return ()


_PATH = re.compile(r"\S*/\S*")


def _steps(text: str) -> tuple[Kind, ...]:
    text = _PATH.sub(" ", text)  # build/ and tests/ are folders, not steps
    found = []
    if _INSTALL.search(text):
        found.append(Kind.INSTALL)
    if _BUILD.search(text):
        found.append(Kind.BUILD)
    if _TEST.search(text):
        found.append(Kind.TEST)
    if _LINT.search(text):
        found.append(Kind.LINT)
    return tuple(found)


def _classify(text: str, spans: tuple[str, ...]) -> Part:
    plain = _FILLER.sub("", text.strip()).strip()
    while (shorter := _FILLER.sub("", plain).strip()) != plain:
        plain = shorter
    steps = _steps(plain)
    if spans:
        words = _classify(text, ())
        return Part(text, PartKind.SPANS, spans, steps, words.tools, words.kind)
    if not plain or not re.search(r"[A-Za-z]", plain):
        return Part(text, PartKind.STATEMENT)
    if _EDIT.match(plain):
        return Part(text, PartKind.EDIT)
    if _INSTALL.search(plain):
        return Part(text, PartKind.STEP, steps=(Kind.INSTALL,))
    if tools := _version_tools(plain):
        return Part(text, PartKind.VERSION, tools=tools)
    if _TRACEBACK.search(plain):
        return Part(text, PartKind.TRACEBACK)
    if _REPORT.match(plain):
        return Part(text, PartKind.REPORT, steps=steps)
    if steps:
        return Part(text, PartKind.STEP, steps=steps)
    if _REPORT_ANYWHERE.search(plain) and not _REQUEST.match(plain):
        return Part(text, PartKind.REPORT)
    if _STATEMENT.match(plain):
        return Part(text, PartKind.STATEMENT)
    return Part(text, PartKind.UNKNOWN)


def _parts(text: str) -> list[Part]:
    spans: list[str] = []

    def hide(match: re.Match[str]) -> str:
        spans.append(match[1].strip())
        return f"\x00{len(spans) - 1}\x00"

    hidden = _SPAN.sub(hide, text)
    # Asides in parentheses explain; only the code spans in them count.
    hidden = _PAREN.sub(
        lambda m: " ".join(f"\x00{i}\x00" for i in _PLACEHOLDER.findall(m[1])), hidden
    )
    parts = []
    for sentence in _SENTENCE.split(hidden):
        clauses = [c.strip(" \t.!?;:,") for c in _CLAUSE.split(sentence)]
        clauses = [c for c in clauses if c]
        for i, clause in enumerate(clauses):
            part = _part(clause, spans)
            if part.kind is PartKind.UNKNOWN and len(clause.split()) <= 2 and i + 1 < len(clauses):
                # "Configure and build with `cmake ...`": a lone verb shares the next object.
                clauses[i + 1] = f"{clause} and {clauses[i + 1]}"
                continue
            parts.append(part)
    return parts


def _part(clause: str, spans: list[str]) -> Part:
    indexes = tuple(int(i) for i in _PLACEHOLDER.findall(clause))
    shown = _PLACEHOLDER.sub(lambda m: f"`{spans[int(m[1])]}`", clause)
    part = _classify(_PLACEHOLDER.sub(" ", clause), tuple(spans[i] for i in indexes))
    return replace(part, text=shown)


def _bare(query: str) -> str | None:
    single = query.strip()
    if not single or "\n" in single or "`" in single:
        return None
    words = single.rstrip(".").split()
    if len(words) == 1 and words[0].lower() in _STEP_WORDS:
        return None
    if _PROSE.intersection(w.lower() for w in words[1:]):
        return None
    return single.rstrip(".")


TEST_RUNNERS = ("unittest", "pytest")
"""Test runners a query may name in prose, each with a command of its own."""
_RUNNER = re.compile(
    r"(?:\b(not|no|without|instead\s+of|rather\s+than)\s+)?\b("
    + "|".join(TEST_RUNNERS)
    + r")\b(?![\w-])",  # pytest-cov is a plugin, not the runner
    re.IGNORECASE,
)


def _test_runner(text: str) -> str | None:
    """The one test runner ``text`` names and does not rule out (``not pytest``)."""
    named = {m[2].lower() for m in _RUNNER.finditer(text) if not m[1]}
    return named.pop() if len(named) == 1 else None


def read_query(query: str) -> Reading:
    """Read ``query`` into its explicit commands, its parts, the bare command it may be, and the
    test runner it names in prose."""
    explicit, rest = _explicit(query)
    bare = _bare(query) if not explicit else None
    return Reading(
        explicit=list(dict.fromkeys(explicit)),
        parts=_parts(rest),
        bare=bare,
        test_runner=_test_runner(_SPAN.sub(" ", rest)),
    )
