"""``terminus-mcp serve``: run the MCP server over stdio, SSE or streamable HTTP."""

from __future__ import annotations

import argparse

from terminus_mcp.cli.common import add_setting_flag, settings_from_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "serve",
        help="serve run_terminal_task to MCP clients",
        description=(
            "Serve the MCP server. stdio (the default) is what IDE clients launch; sse and http "
            "(streamable HTTP, at /mcp) bind 127.0.0.1 unless --host says otherwise, and any "
            "non-loopback address needs TERMINUS_AUTH_TOKEN or --auth-token-file."
        ),
    )
    add_setting_flag(parser, "transport", choices=["stdio", "sse", "http"])
    add_setting_flag(parser, "host")
    add_setting_flag(parser, "port", type=int)
    add_setting_flag(parser, "auth_token_file", metavar="FILE")
    add_setting_flag(parser, "backend", choices=["auto", "direct", "openai", "vllm"])
    add_setting_flag(parser, "base_url", metavar="URL")
    add_setting_flag(parser, "model")
    add_setting_flag(parser, "sandbox_image", metavar="IMAGE")
    add_setting_flag(parser, "max_concurrent_tasks", type=int, metavar="N")
    add_setting_flag(parser, "wait_seconds", type=float, metavar="S")
    add_setting_flag(parser, "log_level", choices=["debug", "info", "warning", "error"])
    network = parser.add_mutually_exclusive_group()
    network.add_argument(
        "--network",
        dest="setting_network",
        nargs="?",
        const="open",
        default=None,
        choices=["none", "allowlist", "open"],
        help="network of new sandboxes (bare --network: open)",
    )
    network.add_argument(
        "--no-network",
        dest="setting_network",
        action="store_const",
        const="none",
        help="sandboxes get only loopback (the default)",
    )
    add_setting_flag(parser, "allow_hosts", metavar="HOST,...")
    parser.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from terminus_mcp.server.transports import serve

    serve(settings_from_args(args))
    return 0
