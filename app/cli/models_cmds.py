"""`fieldmark auto-annotate` (mirrors `cvat-cli task auto-annotate`); `fieldmark models ...` is in
:mod:`app.cli.models_admin`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.cli.common import CliError, open_project, resolve_task
from app.cli.models_admin import add_function_args
from app.models.functions import (
    FunctionLoadError,
    load_function_file,
    load_function_module,
    parse_params,
    require_detection,
)
from app.models.manager import ModelError


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


def _is_sam3(args: argparse.Namespace) -> bool:
    return bool(args.model) and str(args.model).split(":", 1)[0].strip().lower() == "sam3"


def _load_sam3(args: argparse.Namespace, labels: Any) -> Any:
    """SAM 3 needs the task's labels: each becomes a text prompt (``-p prompts=str:car=parked car;...``)."""
    from app.models.sam3.concept import create
    from app.models.sam3.tokens import PromptError

    try:
        params = parse_params(args.param or [])
        return create(args.model, labels=labels, **params)
    except (ModelError, PromptError, ValueError, TypeError) as exc:
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
    function = None if _is_sam3(args) else _load(args)
    with open_project(args.project) as project:
        task_id = resolve_task(project, args.task)
        if function is None:
            function = _load_sam3(args, project.labels())
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


def parse_threshold(text: str) -> float:
    """cvat-cli's ``--conf-threshold`` type: a number from 0 to 1 (same messages)."""
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("must be a number") from exc
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


CLEAR_HELP = ("remove the task's existing annotations (shapes, tags and tracks of every annotation job; "
              "ground-truth jobs are kept), as cvat-cli does; each job's old annotations go when its last "
              "frame is written, so a cancelled run keeps those of the jobs it did not finish")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("auto-annotate", help="run a model or a CVAT auto-annotation function over a task")
    p.add_argument("project")
    p.add_argument("--task", help="task id or name (default: the only task)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--function-file", help="a .py file defining a CVAT detection function")
    source.add_argument("--function-module", help="an importable module defining a CVAT detection function")
    source.add_argument("--model", help="a checkpoint path or name (YOLO or torchvision detector), or sam3[:PATH] "
                             "(SAM 3: every label is a text prompt; -p prompts=str:LABEL=TEXT;...)")
    add_function_args(p)
    p.add_argument("--conf-threshold", type=parse_threshold, default=None,
                   help="confidence threshold for filtering detections (0 to 1), passed to the function")
    p.add_argument("--conv-mask-to-poly", action="store_true", help="ask the function for polygons instead of masks")
    p.add_argument("--clear-existing", action="store_true", help=CLEAR_HELP)
    p.add_argument("--allow-unmatched-labels", action="store_true",
                   help="drop outputs of function labels missing from the project instead of failing")
    p.set_defaults(func=cmd_auto_annotate)
