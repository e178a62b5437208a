"""``terminus-mcp sandbox build|ls|prune``: the image and the containers the project creates."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from terminus_mcp.cli.common import settings_from_args
from terminus_mcp.sandbox.engine import docker_client
from terminus_mcp.sandbox.image import (
    build_image,
    image_is_current,
    list_resources,
    proxy_dockerfile_path,
    prune,
)
from terminus_mcp.sandbox.persist import reap_expired


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("sandbox", help="build the sandbox image; list or prune containers")
    actions = parser.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)
    build = actions.add_parser(
        "build",
        help="build the default sandbox image",
        description=(
            "Build sandbox/Dockerfile (the sandbox image) and sandbox/Dockerfile.proxy (the "
            "egress proxy of allowlist sandboxes). With --offline (never ask an image "
            "registry), or when the base image can be neither found nor pulled, a missing "
            "Debian base is bootstrapped from the Debian mirror first (needs root and "
            "debootstrap; the mirror is the debian_mirror setting or the host's apt sources)."
        ),
    )
    build.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="never pull; bootstrap a missing base from Debian packages",
    )
    build.add_argument("--tag", help="sandbox image tag (default: the sandbox_image setting)")
    build.add_argument(
        "--proxy-tag", help="egress proxy image tag (default: the proxy_image setting)"
    )
    build.add_argument(
        "--dockerfile", type=Path, help="another Dockerfile to build (instead of both images)"
    )
    build.add_argument(
        "--if-missing",
        action="store_true",
        help="do nothing when the image exists and was built from the current Dockerfile",
    )
    build.set_defaults(handler=_build)
    ls = actions.add_parser(
        "ls",
        help="list sandbox containers (named sessions with their idle time) and images",
        description="List what terminus-mcp created; named sessions past their idle TTL "
        "are removed first.",
    )
    ls.set_defaults(handler=_ls)
    prune_parser = actions.add_parser(
        "prune", help="remove every sandbox container (stop running servers first)"
    )
    prune_parser.add_argument("--images", action="store_true", help="also remove built images")
    prune_parser.set_defaults(handler=_prune)


def _build(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    settings = settings_from_args(args)
    client = docker_client(settings)
    targets: list[tuple[str, Path | None, str]] = [
        (args.tag or settings.sandbox_image, args.dockerfile, "sandbox")
    ]
    if args.dockerfile is None:
        targets.append((args.proxy_tag or settings.proxy_image, proxy_dockerfile_path(), "proxy"))
    for tag, dockerfile, kind in targets:
        if args.if_missing and image_is_current(client, tag, dockerfile):
            print(f"{tag} is up to date")
            continue
        started = time.monotonic()
        image_id = build_image(
            client,
            tag,
            offline=args.offline,
            dockerfile=dockerfile,
            mirror=settings.debian_mirror,
            kind=kind,
        )
        size = client.images.get(image_id).attrs.get("Size", 0) / 1e6
        took = time.monotonic() - started
        print(f"built {tag} ({image_id}, {size:.0f} MB, {took:.0f} s)")
    return 0


def _ls(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    client = docker_client(settings)
    for name in reap_expired(client, settings.state_dir):
        print(f"removed expired session {name}")
    found = list_resources(client, settings.state_dir)
    if not found:
        print("no sandbox containers or images")
    for item in found:
        extra = f"  session={item.session}" if item.session else ""
        if item.idle_s is not None:
            extra += f"  idle={_duration(item.idle_s)}  ttl={_duration(item.ttl_s or 0)}"
        role = f" ({item.role})" if item.role else ""
        print(f"{item.kind:9}  {item.id:12}  {item.status:8}  {item.name}{role}{extra}")
    return 0


def _duration(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


def _prune(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    removed = prune(docker_client(settings), images=args.images)
    for item in removed:
        print(f"removed {item.kind} {item.id} {item.name}")
    print(f"{len(removed)} removed")
    return 0
