"""Imports run one way: from a higher layer of the package to a lower one, never back.

The layers, lowest first (a package may import its own modules and any lower layer):

0. ``terminus_mcp`` itself (the version), ``errors`` (the one exception tree) and
   ``user_cache`` (cache folders and checksums of what is downloaded).
1. ``network_policy``: the network modes and the host check that settings validate with.
2. ``settings``: one settings model, built once and passed down.
3. ``sandbox`` (where commands run), ``models`` (the model backends and reply parsing),
   ``integrations`` (client configuration files), ``localmodel`` (a small real model served on
   the CPU): independent of each other.
4. ``agent``: the loop that drives a model and a sandbox session.
5. ``direct``: the direct mode, rules in the model's place (not a model, so not in ``models``).
6. ``task_store`` (what finished tasks leave behind) and ``environments`` (a project's
   toolchain set up once for its tasks).
7. ``service`` (the main job as a Python API) and ``doctor`` (checks of the machine).
8. ``server`` (MCP) and ``eval`` (task suites): users of the service.
9. ``cli``, then ``__main__``.

Every import in the package is read from the source (``ast``, so imports inside functions
and ``TYPE_CHECKING`` blocks count too). A new upward or sideways import fails the test; the
few that exist today are listed with the change that removes them, and an entry that no
longer matches an import fails too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import terminus_mcp

PACKAGE = Path(terminus_mcp.__file__).parent

LAYERS: list[set[str]] = [
    {"terminus_mcp", "errors", "user_cache"},
    {"network_policy"},
    {"settings"},
    {"sandbox", "models", "integrations", "localmodel"},
    {"agent"},
    {"direct"},
    {"task_store", "environments"},
    {"service", "doctor"},
    {"server", "eval"},
    {"cli"},
    {"__main__"},
]
LAYER = {name: level for level, names in enumerate(LAYERS) for name in names}

KNOWN_UPWARD: set[tuple[str, str]] = set()
"""Imports that go up today, each with the change that removes it (none left)."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer_of(module: str) -> tuple[str, int]:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else parts[0]
    assert top in LAYER, f"{module}: package {top!r} has no layer; add it to LAYERS"
    return top, LAYER[top]


def package_imports() -> set[tuple[str, str]]:
    """(importing module, imported module) for every import of a ``terminus_mcp`` module."""
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module]
            elif isinstance(node, ast.ImportFrom) and node.level > 0:
                raise AssertionError(f"{source}: relative import; write the absolute module")
            else:
                continue
            found.update((source, t) for t in targets if t.split(".")[0] == "terminus_mcp")
    return found


def crossings(imports: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The imports that go to the same or a higher layer in another package."""
    bad = set()
    for source, target in imports:
        (source_top, source_level), (target_top, target_level) = (
            _layer_of(source),
            _layer_of(target),
        )
        if source_top != target_top and target_level >= source_level:
            bad.add((source, target))
    return bad


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _known(crossing: tuple[str, str], entry: tuple[str, str]) -> bool:
    return _within(crossing[0], entry[0]) and _within(crossing[1], entry[1])


def test_imports_only_go_down_the_layers() -> None:
    imports = package_imports()
    assert len(imports) > 100  # the scan sees the package's imports
    new = {c for c in crossings(imports) if not any(_known(c, e) for e in KNOWN_UPWARD)}
    assert new == set(), (
        "imports that go up or sideways (see the layer order in this test's docstring): "
        f"{sorted(new)}"
    )


def test_the_list_of_known_crossings_only_shrinks() -> None:
    found = crossings(package_imports())
    stale = {e for e in KNOWN_UPWARD if not any(_known(c, e) for c in found)}
    assert stale == set(), f"these crossings are gone; remove them from KNOWN_UPWARD: {stale}"


def test_the_check_catches_an_upward_import() -> None:
    upward = {("terminus_mcp.sandbox.shell", "terminus_mcp.agent.loop")}
    sideways = {("terminus_mcp.sandbox.shell", "terminus_mcp.models.base")}
    downward = {("terminus_mcp.agent.loop", "terminus_mcp.sandbox.api")}
    assert crossings(upward | sideways | downward) == upward | sideways
