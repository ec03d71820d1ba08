"""`fieldmark open PATH` and plain `fieldmark`: start the GUI (Qt is imported only here)."""

from __future__ import annotations

import argparse


def run_gui(path: str | None, *, demo: bool = False) -> int:
    from app.widgets.application import run

    return run(path, demo=demo)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("open", help="open a project in the GUI")
    parser.add_argument("path", nargs="?", help="project file (.fmproj) or postgresql://user@host:port/dbname")
    parser.add_argument("--demo", action="store_true", help="open the bundled demo project (created on first use)")
    parser.set_defaults(func=lambda args: run_gui(args.path, demo=args.demo))
