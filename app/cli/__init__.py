"""Command-line interface. Each module in this package that defines ``register(subparsers)`` adds
subcommands; :func:`main` discovers them, so features add commands without touching this file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from app import __version__
from app.cli.common import CliError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldmark", description="Fieldmark: offline annotation for images and video."
    )
    parser.add_argument("--version", action="version", version=f"fieldmark {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_") or module_info.name == "common":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # argparse does not collect positionals that come after options (`create P --labels L IMG...`);
    # commands that take a list set `intermixed` to receive them.
    intermixed = getattr(args, "intermixed", None)
    if extra and intermixed and not any(e.startswith("-") for e in extra):
        getattr(args, intermixed).extend(extra)
    elif extra:
        parser.error("unrecognized arguments: " + " ".join(extra))
    if args.command is None:
        from app.cli.gui import run_gui

        return run_gui(None)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"fieldmark {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
