"""Host variables handed to sandboxes (``pass_env``), and masking their values in any text.

Values travel as :class:`pydantic.SecretStr` into the session's shell environment only (never
the container's configuration, so never a committed image). Every text that leaves a setup or
a task (answers, transcripts, logs, errors) goes through :class:`Redactor` first.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from pydantic import SecretStr

from terminus_mcp.errors import ConfigError

MIN_MASKED_LENGTH = 4
"""Shorter values are not masked (masking ``1`` would mangle every number); such values are
refused as secrets instead."""


def read_pass_env(
    names: Iterable[str], environ: Mapping[str, str] | None = None, *, setting: str = "pass_env"
) -> dict[str, SecretStr]:
    """The values of host variables ``names``.

    Raises:
        ConfigError: a variable is not set, or its value is too short to be masked safely.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, SecretStr] = {}
    missing = [name for name in names if name not in environ]
    if missing:
        shown = ", ".join(missing)
        raise ConfigError(
            f"{setting} names {shown}, which {'is' if len(missing) == 1 else 'are'} not set in "
            "the environment of terminus-mcp",
            fix=f"export {missing[0]} before starting terminus-mcp, or remove it from "
            f"{setting} (TERMINUS_{setting.upper()})",
        )
    for name in names:
        value = environ[name]
        if len(value) < MIN_MASKED_LENGTH:
            raise ConfigError(
                f"{setting}: the value of {name} is shorter than {MIN_MASKED_LENGTH} characters",
                why="so short a value cannot be masked in outputs without mangling them",
                fix=f"hand over a real credential in {name}, or remove it from {setting}",
            )
        values[name] = SecretStr(value)
    return values


class Redactor:
    """Replaces secret values with ``[secret NAME]`` in text."""

    def __init__(self, secrets: Mapping[str, SecretStr] | None = None) -> None:
        pairs = [(name, value.get_secret_value()) for name, value in (secrets or {}).items()]
        # Longest first, so a value that contains another is masked whole.
        self._pairs = sorted(pairs, key=lambda pair: len(pair[1]), reverse=True)

    def __bool__(self) -> bool:
        return bool(self._pairs)

    def __call__(self, text: str) -> str:
        for name, value in self._pairs:
            if value in text:
                text = text.replace(value, f"[secret {name}]")
        return text
