"""`fieldmark open PATH` and plain `fieldmark`: start the GUI (Qt is imported only here)."""

from __future__ import annotations

import argparse
from pathlib import Path


def run_gui(path: str | None, *, demo: bool = False) -> int:
    from app.cli.common import CliError
    from app.packages import container
    from app.packages.manifest import PackageError
    from app.widgets.application import run

    if path and container.is_package(path):  # a field package: its media go beside it on first open
        try:
            container.unpack_media(Path(path), container.read_manifest(Path(path)))
        except PackageError as exc:
            raise CliError(str(exc)) from exc

    return run(path, demo=demo)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("open", help="open a project in the GUI")
    parser.add_argument("path", nargs="?", help="project file (.fmproj), field package (.fmpkg) or postgresql://user@host:port/dbname")
    parser.add_argument("--demo", action="store_true", help="open the bundled demo project (created on first use)")
    parser.set_defaults(func=lambda args: run_gui(args.path, demo=args.demo))
