"""``terminus-mcp sandbox build|ls|prune``: the image and the containers the project creates."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from terminus_mcp.cli.common import settings_from_args
from terminus_mcp.sandbox.engine import docker_client
from terminus_mcp.sandbox.image import build_image, image_is_current, list_resources, prune


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("sandbox", help="build the sandbox image; list or prune containers")
    actions = parser.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)
    build = actions.add_parser(
        "build",
        help="build the default sandbox image",
        description=(
            "Build sandbox/Dockerfile. With --offline (never ask an image registry), or when the "
            "base image can be neither found nor pulled, a missing Debian base is bootstrapped "
            "from the Debian mirror first (needs root and debootstrap)."
        ),
    )
    build.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="never pull; bootstrap a missing base from Debian packages",
    )
    build.add_argument("--tag", help="image tag (default: the sandbox_image setting)")
    build.add_argument("--dockerfile", type=Path, help="another Dockerfile to build")
    build.add_argument(
        "--if-missing",
        action="store_true",
        help="do nothing when the image exists and was built from the current Dockerfile",
    )
    build.set_defaults(handler=_build)
    ls = actions.add_parser("ls", help="list sandbox containers and images")
    ls.set_defaults(handler=_ls)
    prune_parser = actions.add_parser(
        "prune", help="remove every sandbox container (stop running servers first)"
    )
    prune_parser.add_argument("--images", action="store_true", help="also remove built images")
    prune_parser.set_defaults(handler=_prune)


def _build(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    settings = settings_from_args(args)
    tag = args.tag or settings.sandbox_image
    client = docker_client(settings)
    if args.if_missing and image_is_current(client, tag, args.dockerfile):
        print(f"{tag} is up to date")
        return 0
    image_id = build_image(client, tag, offline=args.offline, dockerfile=args.dockerfile)
    print(f"built {tag} ({image_id})")
    return 0


def _ls(args: argparse.Namespace) -> int:
    found = list_resources(docker_client(settings_from_args(args)))
    if not found:
        print("no sandbox containers or images")
    for item in found:
        extra = f"  session={item.session}" if item.session else ""
        print(f"{item.kind:9}  {item.id:12}  {item.status:8}  {item.name}{extra}")
    return 0


def _prune(args: argparse.Namespace) -> int:
    removed = prune(docker_client(settings_from_args(args)), images=args.images)
    for item in removed:
        print(f"removed {item.kind} {item.id} {item.name}")
    print(f"{len(removed)} removed")
    return 0
