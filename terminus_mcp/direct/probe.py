"""One look at the workspace before the direct mode picks commands: the probe and its reading.

:func:`probe_command` builds a single POSIX ``sh`` command that prints, in labelled sections,
everything the rules need: the top-level files, which words of the query (and of the CI and tox
files) the sandbox can run, the Makefile targets ``make -qp`` knows, ``package.json``, the CI
configuration, ``tox.ini`` and ``noxfile.py``, config section headers, whether
``CMakeLists.txt`` registers tests, and whether the sandbox has a network interface. Every
section is capped, so a huge repository cannot flood it; the least important sections come
first because an observation that is still too long keeps its end.

:func:`read_probe` turns the output back into a :class:`Workspace`. The probe's own output is
not the task's: its command starts with :data:`~terminus_mcp.agent.fallback.PROBE_MARK`, which
keeps it out of ``raw_output_tokens`` and out of the answer.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

from terminus_mcp.agent.fallback import PROBE_MARK
from terminus_mcp.direct.steps import MAKE_TARGETS
from terminus_mcp.sandbox.api import SETUP_ENV

SECTION = "@@terminus-probe "
"""Prefix of the line that opens each section of the probe's output."""

CI_FILES = ".github/workflows/*.yml .github/workflows/*.yaml .gitlab-ci.yml"
MAX_CI_FILES = 8
CI_FILE_CHARS = 6000
MAX_FILES = 300
MAX_TARGETS = 300
MAX_WORDS = 3000
TEST_SCRIPTS = (
    "tests/run*.sh test/run*.sh tests/test.sh test/test.sh run_tests.sh run-tests.sh "
    "runtests.sh test.sh tests.sh scripts/test.sh scripts/run_tests.sh scripts/run-tests.sh"
)
"""Where projects without a test runner keep the script that runs their test suites."""
PYTHON_TESTS = (
    "test_*.py *_test.py tests/test_*.py tests/*_test.py test/test_*.py "
    "*/tests/test_*.py */tests/*_test.py src/*/tests/test_*.py"
)
"""Where Python test files are looked for: the top, tests/ or test/, and the tests/ folder of a
package (``toolz/tests/``, ``src/pkg/tests/``)."""
TOOLS = (
    "mkdir",
    "find",
    "bash",
    "sh",
    "cd",
    "make",
    "cmake",
    "ctest",
    "python3",
    "python",
    "pytest",
    "tox",
    "nox",
    "node",
    "npm",
    "npx",
    "yarn",
    "pnpm",
    "cargo",
    "go",
    "mvn",
    "gradle",
    "dotnet",
    "java",
    "javac",
    "gcc",
    "cc",
    "tsc",
)
"""Programs the command choice may pick; the probe checks which of them the sandbox has."""

_KEPT_TARGETS = "|".join(t for targets in MAKE_TARGETS.values() for t in targets)
"""Targets listed even past the cap: the ones the command choice looks for."""
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.+-]*")


def _section(name: str, body: str) -> str:
    return f"echo '{SECTION}{name}'; {body}"


def probe_command(words: Iterable[str]) -> str:
    """The probe, checking that the sandbox can run each of ``words`` (plus :data:`TOOLS` and
    the words of the CI, tox and nox files)."""
    checked = sorted({*TOOLS, *(w for w in words if w and "\n" not in w)})
    quoted = " ".join(shlex.quote(w) for w in checked[:MAX_WORDS])
    config = f"{CI_FILES} tox.ini noxfile.py"
    sections = [
        _section(
            "ci",
            f'n=0; for f in {CI_FILES}; do [ -f "$f" ] || continue; '
            f"n=$((n+1)); [ $n -le {MAX_CI_FILES} ] || break; "
            f'echo "{SECTION}file $f"; '
            f"grep -v '^[[:space:]]*#' \"$f\" | head -c {CI_FILE_CHARS}; echo; done",
        ),
        _section("file tox.ini", "head -c 6000 tox.ini; echo"),
        _section("file noxfile.py", "head -c 6000 noxfile.py; echo"),
        _section("file package.json", "head -c 16000 package.json; echo"),
        _section("config", "grep -sE '^\\[' pyproject.toml setup.cfg tox.ini | head -n 100"),
        _section(
            "ctest",
            "grep -sqE 'enable_testing|add_test|include[[:space:]]*\\([[:space:]]*CTest' "
            "CMakeLists.txt && echo yes",
        ),
        _section(
            "pytests",
            f"ls -1d {PYTHON_TESTS} 2>/dev/null | head -n 5",
        ),
        _section(
            "testscripts",
            f'for f in {TEST_SCRIPTS}; do [ -f "$f" ] && [ -x "$f" ] && echo "$f"; done '
            "| head -n 3",
        ),
        _section(
            "nocov",
            "grep -sqE -- '--cov' pytest.ini setup.cfg tox.ini pyproject.toml "
            "&& ! python3 -c 'import pytest_cov' 2>/dev/null && echo yes",
        ),
        _section("localbin", "ls -1 node_modules/.bin 2>/dev/null | head -n 300"),
        _section(
            "make",
            "if [ -f Makefile ] || [ -f makefile ] || [ -f GNUmakefile ]; then "
            "timeout 20 make -qp 2>/dev/null | awk -F: "
            "'/^# Not a target/ {skip=1; next} "
            "/^[A-Za-z0-9_][^:=#%$ \\t]*:([^=]|$)/ { if (!skip) print $1 } {skip=0}' "
            f"| sort -u | awk '/^({_KEPT_TARGETS})$/ {{ print; next }} n++ < {MAX_TARGETS}'; fi",
        ),
        _section("java", "find src -name '*.java' 2>/dev/null | head -n 1"),
        _section("network", "ls /sys/class/net"),
        _section("setup", f'printf "%s\\n" "${SETUP_ENV}"'),
        _section(
            "runnable",
            f"{{ printf '%s\\n' {quoted}; for f in {config}; do [ -f \"$f\" ] && "
            "head -c 8000 \"$f\"; done | grep -oE '(\\./)?[A-Za-z_][A-Za-z0-9_.+-]*'; } "
            f"| sort -u | head -n {MAX_WORDS} | while IFS= read -r w; do "
            'command -v "$w" >/dev/null 2>&1 && printf \'%s\\n\' "$w"; done',
        ),
        _section("files", f"ls -1Ap | head -n {MAX_FILES}"),
    ]
    return f"{PROBE_MARK} ( {'; '.join(sections)}; ) 2>/dev/null; true"


@dataclass(frozen=True)
class Workspace:
    """What the probe saw."""

    files: frozenset[str] = frozenset()
    """Top-level file names."""
    dirs: frozenset[str] = frozenset()
    """Top-level folder names."""
    runnable: frozenset[str] = frozenset()
    """Words the sandbox can run: builtins, keywords, programs on its PATH, executable paths."""
    make_targets: frozenset[str] = frozenset()
    """Targets of the Makefile as ``make -qp`` lists them."""
    package_json: str | None = None
    ci_files: dict[str, str] = field(default_factory=dict)
    """CI configuration files (path to text, comment lines removed, capped)."""
    tox_ini: str | None = None
    noxfile: str | None = None
    config_sections: frozenset[str] = frozenset()
    """``FILE:[section]`` headers of pyproject.toml, setup.cfg and tox.ini."""
    ctest: bool = False
    """``CMakeLists.txt`` registers tests (``enable_testing``, ``add_test``, ``CTest``)."""
    python_tests: tuple[str, ...] = ()
    """A few Python test files (``test_*.py``, ``*_test.py``): :data:`PYTHON_TESTS`."""
    test_scripts: tuple[str, ...] = ()
    """Executable test scripts (:data:`TEST_SCRIPTS`), such as ``tests/run.sh``."""
    pytest_cov_missing: bool = False
    """The pytest configuration passes ``--cov`` options, and pytest-cov is not installed."""
    local_bins: frozenset[str] = frozenset()
    """Programs the project installed in ``node_modules/.bin``."""
    java_sources: bool = False
    """There are ``.java`` files under ``src/``."""
    network: bool | None = None
    """Whether the sandbox has an interface besides loopback (``None``: unknown)."""
    setup: str | None = None
    """The setup commands the project's environment already ran (``TERMINUS_SETUP``)."""

    def has(self, *names: str) -> bool:
        return any(name in self.files for name in names)

    def has_suffix(self, *suffixes: str) -> bool:
        return any(f.endswith(suffixes) for f in self.files)

    def can_run(self, word: str) -> bool:
        return word in self.runnable

    @property
    def makefile(self) -> str | None:
        return next((m for m in ("GNUmakefile", "makefile", "Makefile") if m in self.files), None)

    @property
    def npm_scripts(self) -> dict[str, str]:
        """``package.json`` scripts (empty without a package.json or a ``scripts`` object)."""
        return _scripts(self.package_json) if self.package_json else {}

    @property
    def npm_dependencies(self) -> bool:
        """Whether ``package.json`` declares dependencies to install."""
        return bool(self.package_json) and bool(_DEPENDENCIES.search(self.package_json or ""))


_DEPENDENCIES = re.compile(r'"(?:dev|peer|optional)?[dD]ependencies"\s*:\s*\{\s*"')
_SCRIPTS = re.compile(r'"scripts"\s*:\s*\{(.*?)\}', re.DOTALL)
_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _scripts(text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except ValueError:
        # Cut at the probe's cap: read the scripts object by pattern.
        found = _SCRIPTS.search(text)
        if not found:
            return {}
        return {json.loads(f'"{k}"'): json.loads(f'"{v}"') for k, v in _PAIR.findall(found[1])}
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(scripts, dict):
        return {}
    return {str(k): v for k, v in scripts.items() if isinstance(v, str)}


def read_probe(output: str) -> Workspace:
    """Parse the probe's output (an observation's output, possibly cut at its start)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        if line.startswith(SECTION):
            current = sections.setdefault(line[len(SECTION) :].strip(), [])
        elif current is not None:
            current.append(line)

    def text(name: str) -> str | None:
        lines = sections.get(name)
        body = "\n".join(lines).strip() if lines is not None else ""
        return body or None

    def names(name: str) -> frozenset[str]:
        return frozenset(s for line in sections.get(name, []) if (s := line.strip()))

    listing = names("files")
    interfaces = names("network")
    ci_files = {
        name.removeprefix("file "): "\n".join(lines)
        for name, lines in sections.items()
        if name.startswith("file ") and name.removeprefix("file ") not in _OWN_FILES
    }
    return Workspace(
        files=frozenset(f for f in listing if not f.endswith("/")),
        dirs=frozenset(f.rstrip("/") for f in listing if f.endswith("/")),
        runnable=names("runnable"),
        make_targets=names("make"),
        package_json=text("file package.json"),
        ci_files=ci_files,
        tox_ini=text("file tox.ini"),
        noxfile=text("file noxfile.py"),
        config_sections=names("config"),
        ctest="yes" in names("ctest"),
        python_tests=tuple(sorted(names("pytests"))),
        test_scripts=tuple(sorted(names("testscripts"))),
        pytest_cov_missing="yes" in names("nocov"),
        local_bins=names("localbin"),
        java_sources=bool(names("java")),
        network=bool(interfaces - {"lo"}) if interfaces else None,
        setup=text("setup"),
    )


_OWN_FILES = frozenset({"tox.ini", "noxfile.py", "package.json"})


def query_words(query: str) -> set[str]:
    """Words of the query worth checking as programs: each word as written and in lower case."""
    words = set(_WORD.findall(query))
    return words | {w.lower() for w in words}
