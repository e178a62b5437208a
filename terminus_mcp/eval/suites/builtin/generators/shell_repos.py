"""Shell-build fixture repositories for the built-in suite: ``python shell_repos.py KIND OUTDIR``.

The build scripts print what real build tools print: carriage-return progress bars, ANSI colours
and a line per step, so that the raw output is long and the facts that matter are few.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

BUILD_SH = r"""#!/usr/bin/env bash
# A noisy asset pipeline: progress bars, colours, one line per asset.
set -u
green=$'\e[32m'; red=$'\e[1;31m'; dim=$'\e[2m'; reset=$'\e[0m'
hashes='####################'
bar() {  # bar LABEL: a 0..100% progress bar redrawn with carriage returns
  for ((pct = 0; pct <= 100; pct += 5)); do
    printf '\r%s [%-20s] %3d%%' "$1" "${hashes:0:pct/5}" "$pct"
  done
  printf '\n'
}
total=$(wc -l < assets/manifest.txt)
echo "${dim}== assetpipe 4.2.0: building ${total} assets ==${reset}"
count=0
while IFS=' ' read -r name size; do
  count=$((count + 1))
  bar "compress ${name}"
  if [[ ! -f "assets/${name}" ]]; then
    where="assets/manifest.txt:${count}"
    echo "${red}error:${reset} asset '${name}' is listed in ${where} but the file is missing"
    echo "${red}BUILD FAILED${reset} after ${count} of ${total} assets"
    exit 3
  fi
  echo "${green}ok${reset} ${name} ${dim}(${size} bytes -> $((size / 3)) bytes, ratio 0.33)${reset}"
done < assets/manifest.txt
echo "${green}BUILD SUCCEEDED${reset}: ${count} assets written to dist/ in 4.87s"
"""


def _write(root: Path, relative: str, text: str, mode: int = 0o644) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def _assets(root: Path, count: int, *, missing: str | None) -> None:
    lines = []
    for i in range(count):
        name = f"sprite_{i:03d}.png"
        lines.append(f"{name} {1000 + 37 * i}")
        _write(root, f"assets/{name}", "PNG" * 4)
    if missing is not None:
        lines.insert(count * 2 // 3, f"{missing} 52211")
    _write(root, "assets/manifest.txt", "\n".join(lines) + "\n")
    _write(root, "build.sh", BUILD_SH, 0o755)


def noisy_build_failure(root: Path) -> None:
    """150 assets; one listed in the manifest does not exist, so the build stops."""
    _assets(root, 150, missing="logo@2x.png")


def noisy_build_success(root: Path) -> None:
    """140 assets, all present: the build succeeds after a long, colourful log."""
    _assets(root, 140, missing=None)


KINDS: dict[str, Callable[[Path], None]] = {
    "noisy-build-failure": noisy_build_failure,
    "noisy-build-success": noisy_build_success,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in KINDS:
        sys.stderr.write(f"usage: shell_repos.py {{{','.join(KINDS)}}} OUTDIR\n")
        return 2
    KINDS[argv[0]](Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
