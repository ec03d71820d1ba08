"""`fieldmark auto-annotate` (mirrors `cvat-cli task auto-annotate`); `fieldmark models ...` is in
:mod:`app.cli.models_admin`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.cli.common import CliError, ctrl_c_cancels, open_project, resolve_task
from app.cli.models_admin import add_function_args
from app.models.functions import FunctionLoadError, parse_params
from app.models.manager import ModelError


def _recipe(args: argparse.Namespace) -> Any:
    from app.models.recipe import FunctionRecipe

    try:
        params = parse_params(args.param or [])
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if args.function_file:
        return FunctionRecipe("file", args.function_file, params)
    if args.function_module:
        return FunctionRecipe("module", args.function_module, params)
    return FunctionRecipe("model", args.model, params)


def _backend(args: argparse.Namespace, recipe: Any) -> tuple[Any, Any]:
    """The backend and the recipe it runs, checked before the project is opened: in-process, the
    function is loaded here; on Ray, Ray must import and files resolve (the actors load the function)."""
    from app.models.backends import InProcess, OnRay
    from app.models.ray_backend import RaySettings, RayUnavailable, import_ray

    try:
        if args.ray is None:
            return InProcess(recipe.load()), recipe
        settings = RaySettings(address=args.ray or None, workers=args.workers, gpus_per_worker=args.gpus_per_worker,
                               batch_size=args.batch_size, frames_as=args.frames_as)
        import_ray()
        return OnRay(settings), recipe.resolved()
    except (FunctionLoadError, ModelError, ValueError, TypeError, RayUnavailable) as exc:
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
    from app.models.ray_backend import RayUnavailable
    from app.models.run_log import RunConflict, prepare_run, run_key
    from app.models.runner import AutoAnnotationError, RunOptions, plan_task
    from app.models.writer import AutoAnnotationRun

    try:
        options = RunOptions(conf_threshold=args.conf_threshold, conv_mask_to_poly=args.conv_mask_to_poly,
                             clear_existing=args.clear_existing, allow_unmatched_labels=args.allow_unmatched_labels,
                             frame_timeout=args.frame_timeout)
        params = parse_params(args.param or [])
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    sam3 = _is_sam3(args)
    if sam3 and args.ray is not None:
        raise CliError("SAM 3 runs in this process only (it needs the task's labels as prompts); drop --ray")
    identity = function_identity(args)
    with open_project(args.project) as project:
        task_id = resolve_task(project, args.task)
        try:
            run = prepare_run(project, task_id, plan_task(project, task_id), run_key(identity, params, options),
                              identity, resume=args.resume, clear_existing=args.clear_existing)
        except RunConflict as exc:
            raise CliError(str(exc)) from exc
        writer = AutoAnnotationRun(project, clear_existing=run.clear_existing, run=run)  # the GUI's write path too
        try:  # after the run checks: a refused run loads no model
            if sam3:
                from app.models.backends import InProcess

                backend, recipe = InProcess(_load_sam3(args, project.labels())), _recipe(args)
            else:
                backend, recipe = _backend(args, _recipe(args))
        except CliError:
            writer.revert()  # the run leaves no trace (a resumed one stays resumable)
            raise
        if run.resumed:
            print(run.note(), file=sys.stderr)
        source = open_task_source(project, task_id)
        token = CancelToken()
        try:
            with ctrl_c_cancels(token):
                result = backend.run(recipe, run.items, source, project.labels(), writer, options,
                                     progress=_progress_printer([len(run.items)]), token=token)
            writer.finish(result.cancelled)
        except (AutoAnnotationError, RayUnavailable) as exc:
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
    if result.failed:
        print(f"error: {len(result.failed)} frames failed twice on lost Ray workers and were not written: "
              f"{', '.join(result.failed)}", file=sys.stderr)
        return 1
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
    source.add_argument("--model", help="a checkpoint path or name (YOLO or torchvision detector), or sam3[:PATH] "
                             "(SAM 3: every label is a text prompt; -p prompts=str:LABEL=TEXT;...)")
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
    add_ray_args(p)
    p.set_defaults(func=cmd_auto_annotate)


def add_ray_args(p: argparse.ArgumentParser) -> None:
    ray = p.add_argument_group("distributed run on Ray (docs/models.md, 'Auto-annotation on Ray')")
    ray.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                     help="run on Ray: without ADDRESS a local Ray is started for the run; with one (host:port "
                          "or ray://host:port) the run joins that cluster")
    ray.add_argument("--workers", type=int, default=2, help="model replicas (Ray actors), default 2")
    ray.add_argument("--gpus-per-worker", type=float, default=0.0, help="GPUs each replica reserves (default 0)")
    ray.add_argument("--batch-size", type=int, default=4, help="frames sent to a replica at a time (default 4)")
    ray.add_argument("--frames-as", choices=("bytes", "paths"), default="bytes",
                     help="'bytes': this process reads the image files and sends them; 'paths': the workers "
                          "read them (they must see the same storage at the same paths)")
