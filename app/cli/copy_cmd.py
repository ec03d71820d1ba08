"""`fieldmark copy SRC DST`: copy a whole project between a file and a PostgreSQL database (either way)."""

from __future__ import annotations

import argparse
import sys

from app.cli.common import CliError
from app.storage.copy import copy_project
from app.storage.errors import ProjectError


def cmd_copy(args: argparse.Namespace) -> int:
    def progress(table: str, rows: int) -> None:
        print(f"\r{table}: {rows} rows", end="", file=sys.stderr, flush=True)

    try:
        target = copy_project(args.source, args.target, None if args.quiet or not sys.stderr.isatty() else progress)
    except ProjectError as exc:
        raise CliError(str(exc)) from exc
    print(f"copied {args.source} to {target}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "copy", help="copy a project between files and PostgreSQL databases (a new file or an empty database)")
    p.add_argument("source", help="project file or postgresql://user@host:port/dbname")
    p.add_argument("target", help="new project file, or the URL of an empty PostgreSQL database")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_copy)
