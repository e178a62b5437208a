"""Reading a delegated query without a model: the commands it names, or what it asks for.

Commands are recognised, in this order, from an explicit ``Commands:`` list, ``$ ``-prefixed
lines and fenced code blocks; failing those, from inline code spans that look like commands;
failing those, from a query that is itself a command line. A query naming none may still ask
plainly to build or to run the tests.
"""

from __future__ import annotations

import re
from enum import StrEnum

_PROGRAMS = """
ant bash bazel bun bundle cabal cargo cat cmake ctest deno diff docker dotnet du echo env find
gcc g++ clang clang++ git go gradle gradlew grep head javac java jest just ls make meson mix mvn
mypy ninja node npm npx nox perl php pip pip3 pnpm poetry pylint pyright pytest python python3
rake rspec ruby ruff rustc sbt sh sed stack swift tail tox tsc uv vitest wc which yarn zig
"""
KNOWN_PROGRAMS = frozenset(_PROGRAMS.split())
"""Programs whose name at the start of a code span or a query marks it as a command line."""

_PROSE_WORDS = """
the a an and then sure whether if please report tell me what why how which that all it its
them this those these is are be
"""
_PROSE = frozenset(_PROSE_WORDS.split())
_LIST_HEADER = re.compile(r"^\s*(?:commands?|run)(?: to run)?\s*:\s*(.*)$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.*)$")
_DOLLAR = re.compile(r"^\s*\$ (.+)$")
_FENCE = re.compile(r"```[\w+-]*\n(.*?)```", re.DOTALL)
_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")

_BUILD = re.compile(r"\b(build|compile|compiles|compiling)\b", re.IGNORECASE)
_TEST = re.compile(r"\b(tests?|test suite|unit tests|pytest|specs?)\b", re.IGNORECASE)


class Intent(StrEnum):
    BUILD = "build"
    TEST = "test"


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] == "`":
        text = text[1:-1].strip()
    return text


def _looks_like_command(text: str) -> bool:
    words = text.split()
    if not words:
        return False
    first = words[0]
    if first.startswith(("./", "/")) or first.split("/")[-1] in KNOWN_PROGRAMS:
        return True
    return len(words) > 1 and any(w.startswith("-") for w in words[1:])


def _from_list(lines: list[str]) -> list[str]:
    commands: list[str] = []
    in_list = False
    for line in lines:
        header = _LIST_HEADER.match(line)
        if header:
            in_list = True
            inline = _unquote(header.group(1))
            if inline:
                commands.append(inline)
            continue
        if not in_list:
            continue
        bullet = _BULLET.match(line)
        if bullet:
            commands.append(_unquote(bullet.group(1)))
        elif line.strip():
            in_list = False
    return [c for c in commands if c]


def named_commands(query: str) -> list[str]:
    """The commands ``query`` names, in order (without duplicates)."""
    lines = query.splitlines()
    found = _from_list(lines)
    found += [m.group(1).strip() for line in lines if (m := _DOLLAR.match(line))]
    for block in _FENCE.findall(query):
        for line in block.splitlines():
            line = line.strip().removeprefix("$ ").strip()
            if line and not line.startswith("#"):
                found.append(line)
    if not found:
        found = [s.strip() for s in _SPAN.findall(query) if _looks_like_command(s.strip())]
    if not found:
        single = query.strip()
        words = single.lower().split()
        if (
            "\n" not in single
            and _looks_like_command(single)
            and not _PROSE.intersection(words[1:])
        ):
            found = [single.rstrip(".")]
    return list(dict.fromkeys(found))


def intents(query: str) -> list[Intent]:
    """What a plain request asks for: to build, to run the tests, or both (build first)."""
    wanted = []
    if _BUILD.search(query):
        wanted.append(Intent.BUILD)
    if _TEST.search(query):
        wanted.append(Intent.TEST)
    return wanted
