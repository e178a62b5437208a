"""MkDocs hooks: regenerate the configuration reference from the settings model at build time.

``docs/configuration.md`` is committed (it reads well on GitHub too) and a test fails when it
is stale; this hook makes sure a site build never publishes a stale copy either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def on_pre_build(config: Any) -> None:
    from terminus_mcp.cli.config_cmd import reference_markdown

    target = Path(config["docs_dir"]) / "configuration.md"
    text = reference_markdown()
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
