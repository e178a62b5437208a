"""The commands a project's own automation runs: CI steps, tox commands, nox sessions.

GitHub Actions workflows (``jobs.*.steps[*].run``, with ``working-directory``) and GitLab CI
(``before_script`` and ``script`` of every job) are read with PyYAML; a file cut at the probe's
cap, or one that does not parse, still yields its single-line ``run:`` steps. ``tox.ini``
``commands`` are read with :mod:`configparser`, ``noxfile.py`` ``session.run(...)`` calls with
:mod:`ast`. Commands that use CI expressions (``${{ ... }}``) or tox substitutions that cannot be
resolved are left out: they cannot run as written.
"""

from __future__ import annotations

import ast
import configparser
import re
from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class SourcedCommand:
    """A command line and where the project says to run it."""

    command: str
    source: str
    """For example ``the CI workflow .github/workflows/ci.yml``."""


class _Loader(yaml.SafeLoader):
    """A safe loader that reads unknown tags (GitLab's ``!reference``) as plain values."""


def _unknown_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_Loader.add_multi_constructor("!", _unknown_tag)

_RUN_LINE = re.compile(r"^\s*(?:-\s+)?run:\s*(?P<command>[^|>\s].*?)\s*$")


def _script_lines(script: object) -> list[str]:
    """The command lines of a ``run:`` block or a ``script:`` list (continuations joined)."""
    items = script if isinstance(script, list) else [script]
    lines: list[str] = []
    for item in items:
        if not isinstance(item, str):
            continue
        pending = ""
        for raw in item.splitlines():
            line = raw.strip()
            if line.endswith("\\"):
                pending += line[:-1].strip() + " "
                continue
            line = (pending + line).strip()
            pending = ""
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def _usable(command: str) -> bool:
    return "${{" not in command and "$(" not in command


def _github(data: object) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, dict):
        return found
    for job in jobs.values():
        steps = job.get("steps") if isinstance(job, dict) else None
        if not isinstance(steps, list):
            continue
        for step in steps:
            if isinstance(step, dict) and "run" in step:
                folder = step.get("working-directory")
                found += [
                    (c, folder if isinstance(folder, str) else None)
                    for c in _script_lines(step["run"])
                ]
    return found


def _gitlab(data: object) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    if not isinstance(data, dict):
        return found
    for name, job in data.items():
        if str(name).startswith(".") or not isinstance(job, dict) or "script" not in job:
            continue
        for key in ("before_script", "script"):
            found += [(c, None) for c in _script_lines(job.get(key))]
    return found


def ci_commands(files: dict[str, str]) -> list[SourcedCommand]:
    """Every usable command the CI files run, in file and step order."""
    commands: list[SourcedCommand] = []
    for path in sorted(files):
        text = files[path]
        gitlab = path.endswith(".gitlab-ci.yml")
        source = f"the CI {'configuration' if gitlab else 'workflow'} {path}"
        try:
            data = yaml.load(text, Loader=_Loader)
            found = _gitlab(data) if gitlab else _github(data)
        except yaml.YAMLError:
            found = [
                (m["command"], None) for line in text.splitlines() if (m := _RUN_LINE.match(line))
            ]
        for command, folder in found:
            if _usable(command):
                if folder and folder not in (".", "./"):
                    command = f"cd {folder} && {command}"
                commands.append(SourcedCommand(command, source))
    return commands


_TOX_SUBSTITUTIONS = (
    (re.compile(r"\{posargs:([^{}]*)\}"), r"\1"),
    (re.compile(r"\{posargs\}"), ""),
    (re.compile(r"\{toxinidir\}/?"), "./"),
    (re.compile(r"\{envpython\}"), "python3"),
    # The installed package tox tests is the project's own source when run in place.
    (re.compile(r"\{envsitepackagesdir\}/?"), ""),
    (re.compile(r"\{envbindir\}/"), ""),
)


def tox_commands(text: str) -> list[SourcedCommand]:
    """The ``commands`` of ``[testenv]`` and then of the other ``[testenv:*]`` sections."""
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    sections = [s for s in parser.sections() if s == "testenv" or s.startswith("testenv:")]
    commands: list[SourcedCommand] = []
    for section in sorted(sections, key=lambda s: s != "testenv"):
        value = parser.get(section, "commands", fallback="")
        # A line ending in a backslash goes on on the next one.
        value = re.sub(r"\\[ \t]*\n", " ", value)
        envname = section.partition(":")[2] or "py"
        for line in value.splitlines():
            line = line.strip().lstrip("-").strip().replace("{envname}", envname)
            for pattern, replacement in _TOX_SUBSTITUTIONS:
                line = pattern.sub(replacement, line)
            line = " ".join(line.split())
            if line and "{" not in line and not line.startswith("#"):
                commands.append(SourcedCommand(line, f"tox.ini [{section}] commands"))
    return commands


def nox_commands(text: str) -> list[SourcedCommand]:
    """``session.run("prog", "arg", ...)`` calls with literal arguments, per nox session."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    commands: list[SourcedCommand] = []
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef) or not function.decorator_list:
            continue
        for node in ast.walk(function):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "run"
                and node.args
                and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
            ):
                continue
            words = [str(a.value) for a in node.args if isinstance(a, ast.Constant)]
            commands.append(
                SourcedCommand(" ".join(words), f"noxfile.py session `{function.name}`")
            )
    return commands
