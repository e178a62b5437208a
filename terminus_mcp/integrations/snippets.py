"""The ready-to-paste config files under ``integrations/clients/``, rendered from the specs.

``python -m terminus_mcp.integrations.snippets integrations/clients`` rewrites them; a test
fails when a committed file differs from what the specs give, so the two cannot drift.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from terminus_mcp.integrations.clients import (
    CLIENTS,
    DEFAULT_SERVER_NAME,
    ClientSpec,
    Launch,
    TransportKind,
)
from terminus_mcp.integrations.installer import render_toml_table

TRANSPORTS: tuple[TransportKind, ...] = ("stdio", "http")


def snippet_name(spec: ClientSpec, transport: TransportKind) -> str:
    """File name of one snippet, e.g. ``cursor.stdio.json``."""
    return f"{spec.id}.{transport}.{spec.format}"


def render_snippet(spec: ClientSpec, transport: TransportKind) -> str:
    """The smallest config file that registers terminus-mcp with ``spec``'s client."""
    entry = spec.entry(Launch(transport=transport))
    if spec.format == "toml":
        return render_toml_table(f"{spec.servers_key}.{DEFAULT_SERVER_NAME}", entry)
    return json.dumps({spec.servers_key: {DEFAULT_SERVER_NAME: entry}}, indent=2) + "\n"


def all_snippets() -> dict[str, str]:
    """Every snippet by file name."""
    return {
        snippet_name(spec, transport): render_snippet(spec, transport)
        for spec in CLIENTS.values()
        for transport in TRANSPORTS
    }


def write_snippets(folder: Path) -> list[Path]:
    """Write every snippet into ``folder``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in all_snippets().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_snippets(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        sys.stderr.write(f"wrote {written_path}\n")
