"""`fieldmark track` (trackers and CVAT tracking functions) and `fieldmark interact` (SAM 2 and CVAT
interaction functions) without a window. The work is Qt-free: :mod:`app.models.trackers` and
:mod:`app.models.interact_once`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.cli.common import CliError, ctrl_c_cancels, open_project, progress_printer
from app.cli.models_admin import add_function_args


def _params(args: argparse.Namespace) -> dict[str, Any]:
    from app.models.functions import parse_params

    try:
        return parse_params(args.param or [])
    except ValueError as exc:
        raise CliError(str(exc)) from exc


def _job(project: Any, job: str) -> Any:
    if not job.isdigit():
        raise CliError(f"--job takes a job id (a number), got {job!r}")
    return project.job(int(job))


def _user_code_error(exc: BaseException, where: str) -> CliError:
    if isinstance(exc, SystemExit):
        what = f"called sys.exit({exc.code!r})"
    elif isinstance(exc, KeyboardInterrupt):
        what = "raised KeyboardInterrupt"
    else:
        what = f"failed: {type(exc).__name__}: {exc}"
    return CliError(f"{where} {what}; nothing was written")


# ------------------------------------------------------------------------------------ track
def cmd_track(args: argparse.Namespace) -> int:
    from app.core.work import CancelToken
    from app.media.sources import open_task_source
    from app.models.function_call import UserInterrupt
    from app.models.trackers.base import TrackerError
    from app.models.trackers.plan import PlanError
    from app.models.trackers.request import objects_for, parse_objects, tracker_for
    from app.models.trackers.runner import track_objects

    if (args.tracker or "").split(":", 1)[0].strip().lower() == "sam3":
        from app.cli.concept_cmds import track_concept_cli

        return track_concept_cli(args)
    params = _params(args)
    try:
        chosen = parse_objects(args.objects) if args.objects else None
        tracker = tracker_for(args.tracker, function_file=args.function_file, function_module=args.function_module,
                              params=params, image_size=args.image_size)
    except (TrackerError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    token = CancelToken()
    with open_project(args.project) as project:
        job = _job(project, args.job)
        source = open_task_source(project, job.task_id)
        try:
            shape_ids, track_ids = objects_for(project, job.id, args.frame, chosen) if chosen else (None, None)
            with ctrl_c_cancels(token, "the current frame (it is dropped)"):
                outcome = track_objects(project, job.id, source, tracker, args.frame, args.to_frame,
                                        shape_ids=shape_ids, track_ids=track_ids,
                                        convert_shapes=args.convert_shapes_to_tracks, progress=progress_printer(),
                                        token=token)
        except (TrackerError, PlanError, ValueError) as exc:
            raise CliError(f"{exc}; nothing was written" if not isinstance(exc, PlanError) else str(exc)) from exc
        except UserInterrupt:
            raise CliError("interrupted at once; nothing was written", 130) from None
        except (Exception, SystemExit, KeyboardInterrupt) as exc:  # noqa: BLE001 - a tracking function's own error
            raise _user_code_error(exc, f"tracker {tracker.name}") from exc
        finally:
            source.close()
            tracker.close()
    for reason in outcome.plan.skipped:
        print(f"skipped {reason}", file=sys.stderr)
    if outcome.cancelled:
        print(f"{outcome.summary()}; whole frames only, one undoable change", file=sys.stderr)
        return 130
    print(outcome.summary())
    return 0


# ------------------------------------------------------------------------------------ interact
def _interactor(args: argparse.Namespace) -> Any:
    from app.models.functions import FunctionLoadError, load_function_file, load_function_module
    from app.models.interaction_functions import FunctionInteractor, InteractionFunctionError

    params = _params(args)
    try:
        if args.function_file:
            return FunctionInteractor(load_function_file(args.function_file, params), args.function_file)
        if args.function_module:
            return FunctionInteractor(load_function_module(args.function_module, params), args.function_module)
    except (FunctionLoadError, InteractionFunctionError) as exc:
        raise CliError(str(exc)) from exc
    kind, _, model = (args.interactor or "sam2").partition(":")
    if kind != "sam2" or params:
        raise CliError(f"unknown interactor {args.interactor!r}: use sam2, sam2:MODEL, --function-file or "
                       "--function-module (-p is for functions)")
    from app.models.sam2_image import Sam2Interactor

    name = model or "sam2.1-tiny"
    return Sam2Interactor(name, name=name, image_size=args.image_size, device="auto")


def _store(project: Any, job: Any, frame: int, label_name: str, made: Any) -> int:
    from app.domain.annotations import Shape
    from app.domain.enums import Source
    from app.editing.commands import add_shapes

    label = project.labels().by_name(label_name)
    if label is None:
        raise CliError(f"no label named {label_name!r} in {project.path.name}")
    if not label.type.accepts(made.type):
        raise CliError(f"label {label_name!r} does not accept {made.type.value} shapes")
    shape = Shape(type=made.type, frame=frame, label_id=label.id, points=made.points, source=Source.SEMI_AUTO,
                  score=made.score, attributes=label.default_attributes())
    command = add_shapes(project, job.id, [shape], text=f"Add {made.type.value} (interact)")
    command.redo()
    return int(command.after.shapes[0].id or 0)


def cmd_interact(args: argparse.Namespace) -> int:
    from app.domain.enums import ShapeType
    from app.media.sources import open_task_source
    from app.models.interact_once import InteractError, interact, parse_prompts

    if args.store and not args.label:
        raise CliError("--store needs --label NAME")
    try:
        prompts = parse_prompts(args.points or [], args.box)
    except InteractError as exc:
        raise CliError(str(exc)) from exc
    interactor = _interactor(args)
    with open_project(args.project, read_only=not args.store) as project:
        job = _job(project, args.job)
        if args.frame not in job.frame_list():
            raise CliError(f"frame {args.frame} is not a frame of job {job.id}")
        source = open_task_source(project, job.task_id)
        try:
            image = source.read(args.frame)
        finally:
            source.close()
        output = ShapeType.MASK if args.output == "mask" else ShapeType.POLYGON
        try:
            made = interact(interactor, (job.task_id, args.frame), image, prompts, output=output,
                            max_points=args.max_points)
        except InteractError as exc:
            raise CliError(str(exc)) from exc
        except (Exception, SystemExit, KeyboardInterrupt) as exc:  # noqa: BLE001 - the model's or function's error
            raise _user_code_error(exc, f"interactor {getattr(interactor, 'name', '')}") from exc
        answer = {"frame": args.frame, "job": job.id, **made.to_json()}
        if args.label:
            answer["label"] = args.label
        if args.store:
            answer["id"] = _store(project, job, args.frame, args.label, made)
    print(json.dumps(answer))
    return 0


# ------------------------------------------------------------------------------------ parsers
def _function_source(p: argparse.ArgumentParser, builtin: str, builtin_help: str) -> None:
    source = p.add_mutually_exclusive_group()
    source.add_argument(f"--{builtin}", help=builtin_help)
    source.add_argument("--function-file", help="a .py file defining a CVAT function")
    source.add_argument("--function-module", help="an importable module defining a CVAT function")
    add_function_args(p)
    p.add_argument("--image-size", type=int, default=None,
                   help="SAM 2 input size (a multiple of 32; smaller is faster and less precise)")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("track", help="track objects of a job from one frame to another (forward or backward)")
    p.add_argument("project")
    p.add_argument("--job", required=True, help="job id")
    p.add_argument("--frame", type=int, required=True, help="the frame the objects are on")
    p.add_argument("--to-frame", type=int, required=True, help="the last frame to track to (before --frame: backward)")
    _function_source(p, "tracker", "mil (OpenCV TrackerMIL, rectangles), sam2 or sam2:MODEL (polygons, masks), "
                                   "sam3[:PATH] (a concept, see below); default mil")
    p.add_argument("--objects", help="ids to track: ID, shape:ID or track:ID, comma-separated (default: every "
                                     "object on --frame the tracker supports)")
    p.add_argument("--convert-shapes-to-tracks", action="store_true",
                   help="plain shapes become tracks with a keyframe per tracked frame (default: a new plain "
                        "shape per frame)")
    concept = p.add_argument_group("SAM 3 concept tracking (--tracker sam3[:PATH]): every instance of a concept "
                                   "becomes a track")
    concept.add_argument("--prompt", help="a saved SAM 3 prompt's name")
    concept.add_argument("--label", help="the label the tracks get")
    concept.add_argument("--text", help="the text prompt (default: none)")
    concept.add_argument("--box", action="append", metavar="X1,Y1,X2,Y2[,neg]", help="an example box (repeat)")
    concept.add_argument("--box-frame", type=int, help="the frame the example boxes were drawn on")
    concept.add_argument("--threshold", type=float, default=None, help="score threshold 0-1 (default 0.5)")
    concept.add_argument("--device", default="", help="auto (CUDA when present), cpu or cuda[:N]")
    concept.add_argument("--max-points", type=int, default=32, help="polygon vertex budget")
    concept.add_argument("--polygons", action="store_true", help="'any' labels get polygons instead of masks")
    p.set_defaults(func=cmd_track)

    p = subparsers.add_parser("interact", help="run an interactor (SAM 2 or a CVAT interaction function) on one frame")
    p.add_argument("project")
    p.add_argument("--job", required=True, help="job id")
    p.add_argument("--frame", type=int, required=True)
    _function_source(p, "interactor", "sam2 or sam2:MODEL (default sam2.1-tiny)")
    p.add_argument("--points", nargs="+", metavar="X,Y[,neg]", help="clicks: x,y is positive, x,y,neg negative")
    p.add_argument("--box", metavar="X1,Y1,X2,Y2", help="a bounding box")
    p.add_argument("--output", choices=("polygon", "mask"), default="polygon", help="shape type (default polygon)")
    p.add_argument("--max-points", type=int, default=None, help="simplify the polygon to at most this many vertices")
    p.add_argument("--label", help="label of the shape (printed; required with --store)")
    p.add_argument("--store", action="store_true", help="add the shape to the job (one undoable change)")
    p.set_defaults(func=cmd_interact)
