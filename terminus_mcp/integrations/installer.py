"""Write or merge the terminus-mcp entry into an MCP client's config file, safely.

The rules, each covered by a test:

- Only the one named entry (``terminus`` by default) changes; every other server and setting in
  the file is kept, in order.
- Within that entry, keys the user added by hand (an ``Authorization`` header, Codex's
  ``bearer_token_env_var``, a client's own options) are kept: only the keys ``install`` writes
  are replaced, maps such as ``env`` and ``headers`` are merged key by key, and the keys of the
  other transport go when the transport changes.
- Idempotent: when the file already holds the same entry, nothing is written and no backup made.
- Before a file changes, a copy is kept next to it as ``FILE.bak-<UTC timestamp>``.
- A file that does not parse (or parses to the wrong shape) is refused with a message saying what
  is wrong, why the file is left alone, and the entry to paste by hand; it is never touched.
- JSON files are re-serialized (keeping their indentation); Codex's TOML file is edited in place:
  only the lines of the ``[mcp_servers.<name>]`` table are replaced, so comments elsewhere survive,
  and the result is parsed back and compared before anything is written.

Planning (:func:`plan_install`) reads files and computes every change; :func:`apply_plan`
writes them. ``--dry-run`` prints the plan's diffs and stops there.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from terminus_mcp.errors import ConfigError
from terminus_mcp.integrations.clients import (
    DEFAULT_SERVER_NAME,
    ClientSpec,
    Launch,
    Locations,
    Scope,
    TransportKind,
    merge_keys,
)
from terminus_mcp.integrations.instructions import upsert_block

_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_CURSOR_RULE_HEADER = (
    "---\ndescription: When to delegate terminal work to terminus-mcp\nalwaysApply: true\n---\n\n"
)


class InstallRefused(ConfigError):
    """A config file cannot be changed safely; ``entry_text`` is what to paste by hand."""

    def __init__(self, what: str, *, why: str, fix: str, entry_text: str) -> None:
        self.entry_text = entry_text
        super().__init__(what, why=why, fix=fix)


@dataclass(frozen=True)
class FileChange:
    """The planned new content of one file; ``before`` is None when the file does not exist."""

    path: Path
    before: str | None
    after: str
    purpose: str

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        """A unified diff from the current content to the planned one ('' when unchanged)."""
        if not self.changed:
            return ""
        before = (self.before or "").splitlines(keepends=True)
        after = self.after.splitlines(keepends=True)
        source = str(self.path) if self.before is not None else "/dev/null"
        lines = difflib.unified_diff(before, after, fromfile=source, tofile=str(self.path))
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class InstallPlan:
    """Every file ``install`` would write for one client, plus what the user should know."""

    client: ClientSpec
    changes: list[FileChange]
    notes: list[str] = field(default_factory=list)

    @property
    def pending(self) -> list[FileChange]:
        return [change for change in self.changes if change.changed]


@dataclass(frozen=True)
class Applied:
    """One file written by :func:`apply_plan`, and the backup kept of its old content."""

    path: Path
    backup: Path | None


def plan_install(
    client: ClientSpec,
    launch: Launch,
    *,
    scope: Scope,
    where: Locations,
    name: str = DEFAULT_SERVER_NAME,
    with_instructions: bool = False,
) -> InstallPlan:
    """Compute the changes that register ``launch`` as server ``name`` with ``client``.

    Raises:
        ConfigError: the client has no such scope, ``name`` is not a plain identifier, or a file
            to change is malformed (nothing is written in any of these cases).
    """
    if not _NAME_RE.match(name):
        raise ConfigError(
            f"server name {name!r} is not allowed",
            why="a name may hold only letters, digits, '-' and '_'",
            fix="pass a plain --name such as 'terminus'",
        )
    path = client.config_path(scope, where)
    if path is None:
        scopes = ", ".join(client.config_paths)
        raise ConfigError(
            f"{client.title} has no {scope}-scope configuration file",
            why=f"{client.title} reads MCP servers only at scope: {scopes}",
            fix=f"run again with --scope {next(iter(client.config_paths))}",
        )
    before = _read(path)
    entry = keep_user_keys(
        _current_entry(client, before or "", name),
        client.entry(launch),
        stale=client.transport_keys(_other(launch)) - client.transport_keys(launch.transport),
    )
    if client.format == "toml":
        after = merge_toml(before or "", client.servers_key, name, entry, path=path)
    else:
        after = merge_json(
            before or "", client.servers_key, name, entry, path=path, jsonc=client.jsonc_allowed
        )
    changes = [FileChange(path, before, after, purpose=f"{client.title} MCP configuration")]
    notes = [*client.notes, "Timeout: " + client.timeout_note + "."]
    if with_instructions:
        target = client.instruction_path(scope, where)
        if target is None:
            notes.append(
                f"{client.title} has no {scope}-scope instruction file; the server still sends "
                "the instruction block as its MCP instructions."
            )
        else:
            changes.append(_instruction_change(target))
    return InstallPlan(client, changes, notes)


def keep_user_keys(
    old: dict[str, Any] | None, new: dict[str, Any], *, stale: frozenset[str]
) -> dict[str, Any]:
    """The entry to write: ``new``, plus what ``old`` holds beyond it, less the ``stale`` keys.

    ``stale`` are keys only the other transport writes (``command`` when the entry becomes
    HTTP): they go. Every other key of ``old`` that ``new`` lacks is the user's and stays; maps
    in both (``env``, ``headers``) are merged, ``new`` winning.
    """
    if old is None:
        return new
    kept = {key: value for key, value in old.items() if key not in stale and key not in new}
    return {**merge_keys({k: v for k, v in old.items() if k in new}, new), **kept}


def _other(launch: Launch) -> TransportKind:
    return "http" if launch.transport == "stdio" else "stdio"


def _current_entry(client: ClientSpec, text: str, name: str) -> dict[str, Any] | None:
    """The entry ``name`` in ``text`` as the client reads it; None when absent or unreadable
    (an unreadable file is refused later, with the reason)."""
    try:
        data = tomllib.loads(text) if client.format == "toml" else json.loads(text or "{}")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError):
        return None
    servers = data.get(client.servers_key) if isinstance(data, dict) else None
    entry = servers.get(name) if isinstance(servers, dict) else None
    return entry if isinstance(entry, dict) else None


def apply_plan(plan: InstallPlan, *, now: datetime | None = None) -> list[Applied]:
    """Write every pending change of ``plan``, keeping a backup of each file that existed.

    Each file is written to a temporary sibling and renamed over the old one, so a crash leaves
    either the old or the new content, never half of one. The old file's mode is kept.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    applied: list[Applied] = []
    for change in plan.pending:
        backup = _backup(change.path, stamp) if change.before is not None else None
        _write_atomic(change.path, change.after)
        applied.append(Applied(change.path, backup))
    return applied


# --- JSON -----------------------------------------------------------------------------------


def merge_json(
    text: str, servers_key: str, name: str, entry: dict[str, Any], *, path: Path, jsonc: bool
) -> str:
    """``text`` (a JSON object, or empty) with ``[servers_key][name]`` set to ``entry``.

    Returns ``text`` unchanged when it already holds an equal entry.

    Raises:
        ConfigError: ``text`` is not a JSON object, or ``servers_key`` is not an object.
    """
    pasteable = _pasteable_json(servers_key, name, entry)
    if not text.strip():
        data: dict[str, Any] = {}
    else:
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            why = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
            if _looks_like_jsonc(text):
                why += (
                    "; it seems to hold comments or trailing commas (JSONC), which the client "
                    "accepts but rewriting would lose"
                    if jsonc
                    else "; comments and trailing commas are not JSON"
                )
            raise InstallRefused(
                f"{path} is not valid JSON, so it was left untouched",
                why=why,
                fix="correct the file, or add the entry printed below to it by hand",
                entry_text=pasteable,
            ) from None
        if not isinstance(parsed, dict):
            raise InstallRefused(
                f"{path} does not hold a JSON object, so it was left untouched",
                why=f"its top level is a {type(parsed).__name__}",
                fix="make the top level an object, or move the file aside and run again",
                entry_text=pasteable,
            )
        data = parsed
    servers = data.get(servers_key)
    if servers is None:
        servers = data[servers_key] = {}
    if not isinstance(servers, dict):
        raise InstallRefused(
            f"{path}: {servers_key!r} is not an object, so the file was left untouched",
            why=f"it is a {type(servers).__name__}; the client expects a map of server names",
            fix=f"turn {servers_key!r} into an object, or add the entry printed below by hand",
            entry_text=pasteable,
        )
    if servers.get(name) == entry:
        return text
    servers[name] = entry
    return json.dumps(data, indent=_indent_of(text), ensure_ascii=False) + "\n"


def _pasteable_json(servers_key: str, name: str, entry: dict[str, Any]) -> str:
    return json.dumps({servers_key: {name: entry}}, indent=2)


def _looks_like_jsonc(text: str) -> bool:
    return bool(re.search(r"^\s*//|/\*|,\s*[}\]]", text, re.MULTILINE))


def _indent_of(text: str) -> int | str:
    match = re.search(r"^[{\[][ \t]*\r?\n([ \t]+)\S", text)
    if match is None:
        return 2
    indent = match.group(1)
    return indent if "\t" in indent else len(indent)


# --- TOML (Codex) ---------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_HEADER = re.compile(r"^\s*\[(\[?)\s*(.+?)\s*\]\]?\s*(#.*)?$")


def merge_toml(text: str, servers_key: str, name: str, entry: dict[str, Any], *, path: Path) -> str:
    """``text`` with the ``[servers_key.name]`` table replaced by ``entry``; other lines kept.

    Returns ``text`` unchanged when it already holds an equal entry.

    Raises:
        ConfigError: ``text`` is not valid TOML, ``servers_key`` is not a table, or the entry is
            written in a form (inline table, dotted keys) this editor cannot replace safely.
    """
    block = render_toml_table(f"{servers_key}.{name}", entry)
    try:
        original = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InstallRefused(
            f"{path} is not valid TOML, so it was left untouched",
            why=str(exc),
            fix="correct the file, or add the table printed below to it by hand",
            entry_text=block,
        ) from None
    servers = original.get(servers_key, {})
    if not isinstance(servers, dict):
        raise InstallRefused(
            f"{path}: {servers_key!r} is not a table, so the file was left untouched",
            why=f"it is a {type(servers).__name__}",
            fix="turn it into a table, or add the table printed below by hand",
            entry_text=block,
        )
    if servers.get(name) == entry:
        return text
    kept = _drop_table(text, (servers_key, name))
    kept = kept.rstrip("\n")
    result = (kept + "\n\n" if kept.strip() else "") + block
    _check_toml_edit(original, result, servers_key, name, entry, path=path, block=block)
    return result


def render_toml_table(header: str, entry: dict[str, Any]) -> str:
    """``entry`` as one TOML table (nested dicts become inline tables), ending with a newline."""
    lines = [f"[{header}]"]
    lines += [f"{_toml_key(key)} = {_toml_value(value)}" for key, value in entry.items()]
    return "\n".join(lines) + "\n"


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_string(value: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes; DEL is the one extra control char.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _header_path(raw: str) -> tuple[str, ...]:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+)', raw)
    return tuple(next(p for p in groups if p) if any(groups) else "" for groups in parts)


def _drop_table(text: str, table: tuple[str, ...]) -> str:
    """``text`` without the lines of table ``table`` and its sub-tables."""
    kept: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        match = _HEADER.match(line)
        if match:
            inside = _header_path(match.group(2))[: len(table)] == table
        if not inside:
            kept.append(line)
    return "".join(kept)


def _check_toml_edit(
    original: dict[str, Any],
    result: str,
    servers_key: str,
    name: str,
    entry: dict[str, Any],
    *,
    path: Path,
    block: str,
) -> None:
    def without_entry(data: dict[str, Any]) -> dict[str, Any]:
        copy = {k: v for k, v in data.items() if k != servers_key}
        others = {k: v for k, v in data.get(servers_key, {}).items() if k != name}
        if others:
            copy[servers_key] = others
        return copy

    try:
        edited = tomllib.loads(result)
    except tomllib.TOMLDecodeError as exc:
        problem = f"the edited file would not parse ({exc})"
    else:
        if edited.get(servers_key, {}).get(name) != entry:
            problem = "the edited file would not hold the new entry"
        elif without_entry(edited) != without_entry(original):
            problem = "the edit would change settings outside the entry"
        else:
            return
    raise InstallRefused(
        f"cannot edit {path} safely, so it was left untouched",
        why=f"{problem}; the [{servers_key}.{name}] entry is probably written as an inline "
        "table or with dotted keys",
        fix="replace that entry by hand with the table printed below",
        entry_text=block,
    )


# --- instruction files and file writing -----------------------------------------------------


def _instruction_change(path: Path) -> FileChange:
    before = _read(path)
    current = before or ""
    if path.suffix == ".mdc" and not current:
        current = _CURSOR_RULE_HEADER
    return FileChange(path, before, upsert_block(current), purpose="instructions for the agent")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}", why=str(exc), fix="check the file") from exc


def _backup(path: Path, stamp: str) -> Path:
    candidate = path.with_name(f"{path.name}.bak-{stamp}")
    counter = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak-{stamp}-{counter}")
        counter += 1
    shutil.copy2(path, candidate)
    return candidate


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.terminus-{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        if path.exists():
            shutil.copymode(path, temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
