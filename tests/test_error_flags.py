"""Every flag an error message tells the user to pass is a flag some command accepts.

The messages are read from the source (the ``fix=`` and ``why=`` of every error raised), the
flags from the real ``terminus-mcp`` parser, so a renamed or invented flag fails here.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import terminus_mcp
from terminus_mcp.cli.main import build_parser

PACKAGE = Path(terminus_mcp.__file__).parent
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def _accepted_flags(parser: argparse.ArgumentParser) -> set[str]:
    flags: set[str] = set()
    for action in parser._actions:
        flags.update(s for s in action.option_strings if s.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                flags |= _accepted_flags(sub)
    return flags


def _advice_strings() -> list[tuple[str, str]]:
    """(where, text) for each string literal passed as ``fix=`` or ``why=`` in the package."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.keyword) and node.arg in ("fix", "why"):
                for part in ast.walk(node.value):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        where = f"{path.relative_to(PACKAGE.parent)}:{part.lineno}"
                        found.append((where, part.value))
    return found


def test_error_advice_names_only_flags_that_exist() -> None:
    accepted = _accepted_flags(build_parser())
    advice = _advice_strings()
    named = [(where, flag) for where, text in advice for flag in FLAG.findall(text)]
    assert len(named) > 10, named  # the scan does see the advice that names flags
    unknown = [(where, flag) for where, flag in named if flag not in accepted]
    assert unknown == [], f"advice names flags no command accepts: {unknown}"


def test_the_scan_catches_an_invented_flag() -> None:
    assert "--allowed-roots" not in _accepted_flags(build_parser())
    assert FLAG.findall("add it (TERMINUS_ALLOWED_ROOTS or --allowed-roots)") == ["--allowed-roots"]
