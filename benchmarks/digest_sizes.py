"""Tokens of each captured tool output against the tokens of its digest.

For every ``tests/fixtures/tool_outputs/<case>.txt`` (real tools' output, see ``capture.py``
there): the raw output's tokens, the ``Summary:`` text's tokens (exit status, headline,
details), and their ratio, counted with the main-agent proxy tokenizer (``cl100k_base``,
``terminus_mcp.models.tokens.proxy_counter``). Also the time to digest a 4 MiB output of short
lines against the time to split it into lines (the baseline). Usage::

    python benchmarks/digest_sizes.py [--markdown]

Targets (exit code 1 on a miss): no digest longer than its raw output with the exit status;
the median ratio of the outputs over 500 tokens at most 25%; digesting 4 MiB at most 400 times
the time of splitting it into lines.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from terminus_mcp.agent.summaries import summary_text
from terminus_mcp.models.tokens import proxy_counter

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tool_outputs"
MEDIAN_TARGET = 0.25
SPEED_TARGET = 400.0


def _speed() -> tuple[float, float]:
    """(seconds to digest 4 MiB of test-runner lines, seconds to split them into lines)."""
    line = "tests/test_module.py::test_case_with_a_long_name PASSED           [ 50%]\n"
    output = line * (4 * 1024 * 1024 // len(line))
    start = time.perf_counter()
    output.splitlines()
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    summary_text(output, 0)
    return time.perf_counter() - start, baseline


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    counter = proxy_counter()
    manifest = json.loads((FIXTURES / "capture.json").read_text())
    rows = []
    status_tokens = {}
    for path in sorted(FIXTURES.glob("*.txt")):
        raw = path.read_bytes().decode("utf-8", errors="replace")
        code = manifest[path.stem]["exit_code"]
        summary = summary_text(raw, code)
        rows.append((path.stem, counter.count(raw), counter.count(summary)))
        status_tokens[path.stem] = counter.count(f"exit code {code}; output:")
    if args.markdown:
        print("| output | raw tokens | digest tokens | digest/raw |")
        print("| --- | ---: | ---: | ---: |")
    for name, raw_tokens, digest_tokens in rows:
        ratio = digest_tokens / raw_tokens
        if args.markdown:
            print(f"| {name} | {raw_tokens} | {digest_tokens} | {ratio:.1%} |")
        else:
            print(f"{name:28} raw {raw_tokens:6d}  digest {digest_tokens:5d}  {ratio:6.1%}")
    longer = [name for name, raw, digest in rows if digest > raw + status_tokens[name]]
    large = [digest / raw for _, raw, digest in rows if raw > 500]
    median = statistics.median(large)
    total_raw = sum(raw for _, raw, _ in rows)
    total_digest = sum(digest for _, _, digest in rows)
    took, baseline = _speed()
    print(
        f"\n{len(rows)} outputs: {total_raw} raw tokens, {total_digest} digest tokens "
        f"({total_digest / total_raw:.1%}); median ratio over {len(large)} outputs above 500 "
        f"tokens: {median:.1%} (target <= {MEDIAN_TARGET:.0%})"
    )
    print(
        f"digest of 4 MiB of short lines: {took:.2f} s, {took / baseline:.0f}x splitting it "
        f"into lines ({baseline * 1000:.1f} ms; target <= {SPEED_TARGET:.0f}x)"
    )
    failed = False
    if longer:
        print(f"MISS: digests longer than their raw output: {', '.join(longer)}", file=sys.stderr)
        failed = True
    if median > MEDIAN_TARGET:
        print(f"MISS: median ratio {median:.1%} > {MEDIAN_TARGET:.0%}", file=sys.stderr)
        failed = True
    if took / baseline > SPEED_TARGET:
        print(f"MISS: digest {took / baseline:.0f}x the baseline", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
