"""JavaScript fixture repositories for the built-in suite: ``python node_repos.py KIND OUTDIR``.

The projects use only Node's own test runner (``node --test``) and standard library, so they run
in a sandbox without npm registry access.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _passing_file(root: Path, topic: str, count: int) -> None:
    lines = [
        "import { test } from 'node:test';",
        "import assert from 'node:assert/strict';",
        f"import {{ slugify }} from '../src/{topic}.mjs';",
        "",
    ]
    for i in range(count):
        lines.append(
            f"test('{topic} slug case {i:03d}', () => {{\n"
            f"  assert.equal(slugify('Item {i}'), 'item-{i}');\n}});"
        )
    _write(root, f"test/{topic}.test.mjs", "\n".join(lines) + "\n")
    _write(
        root,
        f"src/{topic}.mjs",
        "export function slugify(text) {\n  return text.toLowerCase().replace(/\\s+/g, '-');\n}\n",
    )


def _package(root: Path) -> None:
    _write(
        root,
        "package.json",
        '{\n  "name": "router-kit",\n  "type": "module",\n'
        '  "scripts": { "test": "node --test" }\n}\n',
    )


def node_test_failures(root: Path) -> None:
    """240 tests with ``node --test``; two fail, one with a diff and one with a thrown error."""
    _package(root)
    for topic in ("paths", "headers", "cookies", "mime"):
        _passing_file(root, topic, 60)
    _write(
        root,
        "src/router.mjs",
        "export function matchRoute(pattern, path) {\n"
        "  const keys = [];\n"
        "  const source = pattern.replace(/:(\\w+)/g, (_, key) => { keys.push(key); "
        "return '([^/]+)'; });\n"
        "  const found = new RegExp('^' + source + '$').exec(path);\n"
        "  if (!found) return null;\n"
        "  return Object.fromEntries(keys.map((key, i) => [key, found[i]]));\n"
        "}\n\n"
        "export function parseQuery(text) {\n"
        "  return Object.fromEntries(text.split('&').map((pair) => {\n"
        "    const [key, value] = pair.split('=');\n"
        "    return [key, decodeURIComponent(value.trim())];\n"
        "  }));\n"
        "}\n",
    )
    _write(
        root,
        "test/router.test.mjs",
        "import { test } from 'node:test';\n"
        "import assert from 'node:assert/strict';\n"
        "import { matchRoute, parseQuery } from '../src/router.mjs';\n\n"
        "test('matchRoute extracts named params', () => {\n"
        "  assert.deepEqual(matchRoute('/users/:id/posts/:post', '/users/7/posts/42'),\n"
        "    { id: '7', post: '42' });\n"
        "});\n\n"
        "test('parseQuery accepts a flag without value', () => {\n"
        "  assert.deepEqual(parseQuery('debug&page=2'), { debug: '', page: '2' });\n"
        "});\n\n"
        "test('parseQuery decodes values', () => {\n"
        "  assert.deepEqual(parseQuery('q=a%20b'), { q: 'a b' });\n"
        "});\n",
    )


def build_script_error(root: Path) -> None:
    """A home-made bundler that logs every module, then hits a syntax error in one of them."""
    _package(root)
    for i in range(120):
        _write(
            root,
            f"src/widgets/widget{i:03d}.mjs",
            f"export const widget{i:03d} = {{ id: {i}, label: 'Widget {i}' }};\n",
        )
    _write(
        root,
        "src/widgets/widget077.mjs",
        "export const widget077 = { id: 77, label: 'Widget 77' ;\n",
    )
    _write(
        root,
        "build.mjs",
        "import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';\n"
        "import { join } from 'node:path';\n\n"
        "const dir = 'src/widgets';\n"
        "const files = readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort();\n"
        "mkdirSync('dist', { recursive: true });\n"
        "let bundle = '';\n"
        "for (const [index, file] of files.entries()) {\n"
        "  const path = join(dir, file);\n"
        "  const code = readFileSync(path, 'utf8');\n"
        "  console.log(`[bundle] (${index + 1}/${files.length}) transpiling ${path} "
        "(${code.length} bytes) -> dist/${file}`);\n"
        "  await import('./' + path);\n"
        "  bundle += code;\n"
        "}\n"
        "writeFileSync('dist/bundle.mjs', bundle);\n"
        "console.log('[bundle] done');\n",
    )


KINDS: dict[str, Callable[[Path], None]] = {
    "node-test-failures": node_test_failures,
    "build-script-error": build_script_error,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in KINDS:
        sys.stderr.write(f"usage: node_repos.py {{{','.join(KINDS)}}} OUTDIR\n")
        return 2
    KINDS[argv[0]](Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
