"""`fieldmark auto-annotate` (mirrors `cvat-cli task auto-annotate`) and `fieldmark models list|add|verify|download`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.cli.common import CliError, open_project, resolve_task
from app.models.functions import (
    FunctionLoadError,
    load_function_file,
    load_function_module,
    parse_params,
    require_detection,
)
from app.models.manager import ModelError, ModelManager
from app.models.registry import Registration, Registry, RegistryError


def _load(args: argparse.Namespace) -> Any:
    try:
        params = parse_params(args.param or [])
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    try:
        if args.function_file:
            return require_detection(load_function_file(args.function_file, params), args.function_file)
        if args.function_module:
            return require_detection(load_function_module(args.function_module, params), args.function_module)
        from app.models.adapters import function_for_model

        return function_for_model(args.model, **params)
    except (FunctionLoadError, ModelError, ValueError, TypeError) as exc:
        raise CliError(str(exc)) from exc


def _progress_printer(total_hint: list[int]) -> Any:
    def report(progress: Any) -> None:
        if sys.stderr.isatty() or progress.done == progress.total:
            eta = progress.eta
            tail = f", ETA {eta:.0f}s" if eta else ""
            print(
                f"\r{progress.done}/{progress.total} frames{tail}",
                end="" if progress.done < progress.total else "\n",
                file=sys.stderr,
                flush=True,
            )

    return report


def cmd_auto_annotate(args: argparse.Namespace) -> int:
    from app.core.work import CancelToken
    from app.media.sources import open_task_source
    from app.models.runner import AutoAnnotationError, RunOptions, plan_task, run_detection
    from app.models.writer import AutoAnnotationRun

    try:
        options = RunOptions(conf_threshold=args.conf_threshold, conv_mask_to_poly=args.conv_mask_to_poly,
                             clear_existing=args.clear_existing, allow_unmatched_labels=args.allow_unmatched_labels)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    function = _load(args)
    with open_project(args.project) as project:
        task_id = resolve_task(project, args.task)
        items = plan_task(project, task_id)
        source = open_task_source(project, task_id)
        try:
            result = run_detection(
                function,
                items,
                source,
                project.labels(),
                AutoAnnotationRun(project, clear_existing=args.clear_existing),  # the GUI's write path too
                options,
                progress=_progress_printer([len(items)]),
                token=CancelToken(),
            )
        except AutoAnnotationError as exc:
            raise CliError(str(exc)) from exc
        except KeyboardInterrupt:
            raise CliError("interrupted; frames finished before the interruption are kept", 130) from None
        finally:
            source.close()
    print(f"annotated {result.frames_done} frames: {result.shapes} shapes, {result.tags} tags "
          f"({result.seconds:.1f}s, model {result.detect_seconds:.1f}s)")
    return 0


def cmd_models_list(args: argparse.Namespace) -> int:
    from app.models import catalog

    manager = ModelManager()
    installed = {m.path.name: m for m in manager.installed()}
    print(f"models folder: {manager.root}")
    for entry in catalog.CATALOG:
        state = "installed" if entry.filename in installed else "missing"
        print(f"  {entry.name:18} {entry.task:12} {entry.filename:28} {state}")
    for name, model in installed.items():
        if model.entry is None:
            print(f"  {name:18} {'local':12} {name:28} installed")
    try:
        registry = Registry()
    except RegistryError as exc:
        raise CliError(str(exc)) from exc
    if len(registry):
        print("registered:")
        for item in registry:
            params = " ".join(f"-p {p}" for p in item.params)
            print(f"  {item.name:18} {item.kind:16} {item.target} {params}".rstrip())
    return 0


def cmd_models_add(args: argparse.Namespace) -> int:
    try:
        if args.function_file or args.function_module:
            kind = "function-file" if args.function_file else "function-module"
            target = args.function_file or args.function_module
            parse_params(args.param or [])
            if not args.name:
                raise CliError("registering a function needs --name")
            Registry().add(Registration(args.name, kind, str(target), list(args.param or []), args.description or ""))
            print(f"registered {kind} {args.name!r}")
            return 0
        if not args.path:
            raise CliError("give a checkpoint PATH, or --function-file / --function-module with --name")
        path = ModelManager().add(args.path, overwrite=args.overwrite)
        if args.name:
            Registry().add(Registration(args.name, "model", str(path), list(args.param or []), args.description or ""))
        print(f"added {path}")
    except (ModelError, RegistryError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    return 0


def cmd_models_verify(args: argparse.Namespace) -> int:
    manager = ModelManager()
    names = args.names or [m.path.name for m in manager.installed()]
    failed = 0
    for name in names:
        result = manager.verify(name)
        print(f"{result.status:10} {result.message}")
        failed += not result.ok
    return 1 if failed else 0


def cmd_models_download(args: argparse.Namespace) -> int:
    try:
        path = ModelManager().download(args.name, timeout=args.timeout)
    except ModelError as exc:
        raise CliError(str(exc)) from exc
    print(f"downloaded {path}")
    return 0


def _add_function_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("-p", "--param", action="append", metavar="NAME=TYPE:VALUE",
                   help="parameter for the function's create(); TYPE is int, float, str or bool")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("auto-annotate", help="run a model or a CVAT auto-annotation function over a task")
    p.add_argument("project")
    p.add_argument("--task", help="task id or name (default: the only task)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--function-file", help="a .py file defining a CVAT detection function")
    source.add_argument("--function-module", help="an importable module defining a CVAT detection function")
    source.add_argument("--model", help="a checkpoint path or name (YOLO or torchvision detector)")
    _add_function_args(p)
    p.add_argument("--conf-threshold", type=float, default=None, help="confidence threshold passed to the function")
    p.add_argument("--conv-mask-to-poly", action="store_true", help="ask the function for polygons instead of masks")
    p.add_argument("--clear-existing", action="store_true", help="replace existing annotations of the annotated frames")
    p.add_argument("--allow-unmatched-labels", action="store_true",
                   help="drop outputs of function labels missing from the project instead of failing")
    p.set_defaults(func=cmd_auto_annotate)

    models = subparsers.add_parser("models", help="model checkpoints and registered functions")
    sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="known checkpoints, installed files and registered functions")
    p.set_defaults(func=cmd_models_list)
    p = sub.add_parser("add", help="copy a checkpoint into the models folder, or register a function")
    p.add_argument("path", nargs="?", help="checkpoint file to add")
    p.add_argument("--name", help="register under this name")
    p.add_argument("--function-file")
    p.add_argument("--function-module")
    p.add_argument("--description")
    p.add_argument("--overwrite", action="store_true")
    _add_function_args(p)
    p.set_defaults(func=cmd_models_add)
    p = sub.add_parser("verify", help="check installed checkpoints (readable, checksum)")
    p.add_argument("names", nargs="*")
    p.set_defaults(func=cmd_models_verify)
    p = sub.add_parser("download", help="download an official checkpoint (needs network)")
    p.add_argument("name")
    p.add_argument("--timeout", type=float, default=30.0)
    p.set_defaults(func=cmd_models_download)
