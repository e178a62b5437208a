"""Helpers every command shares: settings flags and loading settings from parsed arguments."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from terminus_mcp.settings import Settings, load_settings


def add_setting_flag(
    parser: argparse.ArgumentParser,
    name: str,
    *flags: str,
    **kwargs: Any,
) -> None:
    """Add a flag that overrides setting ``name``; its help is the setting's docstring."""
    field = Settings.model_fields[name]
    kwargs.setdefault("help", (field.description or "").split(". ")[0].replace("``", "`"))
    kwargs.setdefault("default", None)
    kwargs.setdefault("dest", f"setting_{name}")
    if "choices" not in kwargs and kwargs.get("action") is None:
        kwargs.setdefault("metavar", name.upper())
    parser.add_argument(*(flags or (f"--{name.replace('_', '-')}",)), **kwargs)


def settings_from_args(args: argparse.Namespace, **overrides: Any) -> Settings:
    """Effective settings for a command: its setting flags, then env, file and defaults."""
    cli = {
        key[len("setting_") :]: value
        for key, value in vars(args).items()
        if key.startswith("setting_") and value is not None
    }
    cli.update({k: v for k, v in overrides.items() if v is not None})
    config = getattr(args, "config", None)
    return load_settings(cli, config_file=Path(config) if config else None)
