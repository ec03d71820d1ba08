"""`fieldmark auto-annotate` (mirrors `cvat-cli task auto-annotate`); `fieldmark models ...` is in
:mod:`app.cli.models_admin`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.cli.common import CliError, ctrl_c_cancels, open_project, resolve_task
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


def function_identity(args: argparse.Namespace) -> str:
    """What the run's key calls the function: its file (absolute), module or model."""
    from pathlib import Path

    if args.function_file:
        return f"file:{Path(args.function_file).resolve()}"
    if args.function_module:
        return f"module:{args.function_module}"
    return f"model:{args.model}"


def cmd_auto_annotate(args: argparse.Namespace) -> int:
    from app.core.work import CancelToken
    from app.media.sources import open_task_source
    from app.models.run_log import RunConflict, prepare_run, run_key
    from app.models.runner import AutoAnnotationError, RunOptions, plan_task, run_detection
    from app.models.writer import AutoAnnotationRun

    try:
        options = RunOptions(conf_threshold=args.conf_threshold, conv_mask_to_poly=args.conv_mask_to_poly,
                             clear_existing=args.clear_existing, allow_unmatched_labels=args.allow_unmatched_labels,
                             frame_timeout=args.frame_timeout)
        params = parse_params(args.param or [])
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    identity = function_identity(args)
    with open_project(args.project) as project:
        task_id = resolve_task(project, args.task)
        try:
            run = prepare_run(project, task_id, plan_task(project, task_id), run_key(identity, params, options),
                              identity, resume=args.resume, clear_existing=args.clear_existing)
        except RunConflict as exc:
            raise CliError(str(exc)) from exc
        writer = AutoAnnotationRun(project, clear_existing=run.clear_existing, run=run)  # the GUI's write path too
        try:
            function = _load(args)  # after the run checks: a refused run loads no model
        except CliError:
            writer.revert()  # the run leaves no trace (a resumed one stays resumable)
            raise
        if run.resumed:
            print(run.note(), file=sys.stderr)
        source = open_task_source(project, task_id)
        token = CancelToken()
        try:
            with ctrl_c_cancels(token):
                result = run_detection(function, run.items, source, project.labels(), writer, options,
                                       progress=_progress_printer([len(run.items)]), token=token,
                                       function_name=identity.partition(":")[2])
            writer.finish(result.cancelled)
        except AutoAnnotationError as exc:
            writer.revert()  # also for a setup error (label mapping): the run leaves no trace
            raise CliError(str(exc)) from exc
        except KeyboardInterrupt:
            writer.finish(True)
            raise CliError(f"interrupted; kept {len(writer.recorded)} of {len(run.items)} frames "
                           f"(continue with --resume)", 130) from None
        finally:
            source.close()
    if result.message:
        raise CliError(f"{result.summary()} (continue with --resume)")
    if result.cancelled:
        print(f"{result.summary()} (continue with --resume)", file=sys.stderr)
        return 130
    print(f"annotated {result.frames_done} frames: {result.shapes} shapes, {result.tags} tags "
          f"({result.seconds:.1f}s, model {result.detect_seconds:.1f}s)")
    return 0


def parse_timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("must be a number of seconds") from exc
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


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
    source.add_argument("--model", help="a checkpoint path or name (YOLO or torchvision detector)")
    add_function_args(p)
    p.add_argument("--conf-threshold", type=parse_threshold, default=None,
                   help="confidence threshold for filtering detections (0 to 1), passed to the function")
    p.add_argument("--conv-mask-to-poly", action="store_true", help="ask the function for polygons instead of masks")
    p.add_argument("--clear-existing", action="store_true", help=CLEAR_HELP)
    p.add_argument("--allow-unmatched-labels", action="store_true",
                   help="drop outputs of function labels missing from the project instead of failing")
    p.add_argument("--resume", action="store_true",
                   help="continue the task's unfinished run of the same function and options, skipping the frames "
                        "it finished (a task with an unfinished run refuses a plain re-run)")
    p.add_argument("--frame-timeout", type=parse_timeout, default=None, metavar="SECONDS",
                   help="stop the run when the function's detect() takes longer than this on one frame; finished "
                        "frames are kept, nothing is written for that frame")
    p.set_defaults(func=cmd_auto_annotate)
