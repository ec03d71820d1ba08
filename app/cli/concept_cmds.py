"""`fieldmark concept ...`: SAM 3 concept prompts without a window (Qt-free work in
:mod:`app.models.sam3.prompting`, :mod:`app.models.sam3.saved` and :mod:`app.models.sam3.video`).

- ``concept prompts PROJECT``: the saved prompts (one JSON object a line);
- ``concept save PROJECT --name N --label L [--text T] [--box X1,Y1,X2,Y2[,neg] --frame F] [--threshold]``;
- ``concept delete PROJECT --name N``;
- ``concept run PROJECT --job J (--prompt NAME | --label L ...) [--from A --to B]``: the prompt on each
  frame, one undoable change; Ctrl-C keeps the whole frames done.

Video concept tracking is ``fieldmark track ... --tracker sam3[:PATH]`` (:func:`track_concept_cli`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.cli.common import CliError, ctrl_c_cancels, open_project, progress_printer


def _box(text: str) -> Any:
    from app.models.sam3.engine import Exemplar

    parts = [p.strip() for p in text.split(",")]
    negative = len(parts) == 5 and parts[4].lower() in ("neg", "negative", "0")
    if len(parts) not in (4, 5) or (len(parts) == 5 and not negative and parts[4].lower() not in ("pos", "1")):
        raise CliError(f"--box {text!r}: write X1,Y1,X2,Y2 (add ,neg for a wrong hit)")
    try:
        return Exemplar(tuple(float(v) for v in parts[:4]), not negative)  # type: ignore[arg-type]
    except ValueError:
        raise CliError(f"--box {text!r}: X1,Y1,X2,Y2 must be numbers") from None


def prompt_from_args(project: Any, args: argparse.Namespace) -> Any:
    """The saved prompt ``--prompt`` names, or one made of --label/--text/--box/--frame (checked)."""
    from app.models.sam3.prompting import DEFAULT_THRESHOLD, ConceptPrompt
    from app.models.sam3.saved import get_prompt
    from app.models.sam3.tokens import PromptError

    try:
        if getattr(args, "prompt", None):
            prompt = get_prompt(project, args.prompt)
            if args.threshold is not None:
                prompt = ConceptPrompt(prompt.label, prompt.text, prompt.exemplars, prompt.frame, args.threshold,
                                       prompt.name)
        else:
            if not args.label:
                raise CliError("name a saved prompt (--prompt NAME) or give --label (and --text and/or --box)")
            exemplars = tuple(_box(b) for b in args.box or ())
            frame = args.box_frame if exemplars else None
            if exemplars and frame is None:
                raise CliError("--box needs --box-frame (the frame the boxes were drawn on)")
            prompt = ConceptPrompt(args.label, args.text or "", exemplars, frame,
                                   DEFAULT_THRESHOLD if args.threshold is None else args.threshold,
                                   getattr(args, "name", "") or "")
        prompt.check()
    except PromptError as exc:
        raise CliError(str(exc)) from exc
    return prompt


def _label(project: Any, name: str) -> Any:
    from app.models.sam3.prompting import concept_label
    from app.models.sam3.tokens import PromptError

    try:
        return concept_label(project.labels(), name)
    except PromptError as exc:
        raise CliError(str(exc)) from exc


def _segmenter(args: argparse.Namespace, label: Any) -> Any:
    from app.models.model_files import ModelError
    from app.models.sam3.prompting import load_segmenter

    try:
        return load_segmenter(args.model, device=args.device or None, max_points=args.max_points or None,
                              as_polygon=args.polygons)
    except ModelError as exc:
        raise CliError(str(exc)) from exc


def _job_frames(project: Any, args: argparse.Namespace, start: int | None, stop: int | None) -> tuple[Any, list[int]]:
    if not str(args.job).isdigit():
        raise CliError(f"--job takes a job id (a number), got {args.job!r}")
    job = project.job(int(args.job))
    frames = sorted(job.frame_list())
    start = frames[0] if start is None else start
    stop = frames[-1] if stop is None else stop
    for value, what in ((start, "--from"), (stop, "--to")):
        if value not in frames:
            raise CliError(f"{what} {value} is not a frame of job {job.id} ({frames[0]}-{frames[-1]})")
    order = [f for f in frames if min(start, stop) <= f <= max(start, stop)]
    return job, order if stop >= start else order[::-1]


def _print_progress() -> Any:
    return progress_printer()


# ------------------------------------------------------------------------------------ commands
def cmd_prompts(args: argparse.Namespace) -> int:
    from app.models.sam3.saved import saved_prompts

    with open_project(args.project, read_only=True) as project:
        prompts, problems = saved_prompts(project)
    for problem in problems:
        print(f"skipped: {problem}", file=sys.stderr)
    for prompt in prompts:
        print(json.dumps(prompt.to_dict()))
    return 0


def cmd_save(args: argparse.Namespace) -> int:
    from app.models.sam3.saved import save_prompt
    from app.models.sam3.tokens import PromptError

    with open_project(args.project) as project:
        prompt = prompt_from_args(project, args)
        try:
            save_prompt(project, prompt, overwrite=args.overwrite)
        except PromptError as exc:
            raise CliError(str(exc)) from exc
    print(f"saved prompt {prompt.name!r} ({prompt.label}: {prompt.text or 'example boxes'})")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from app.models.sam3.saved import delete_prompt
    from app.models.sam3.tokens import PromptError

    with open_project(args.project) as project:
        try:
            delete_prompt(project, args.name)
        except PromptError as exc:
            raise CliError(str(exc)) from exc
    print(f"deleted prompt {args.name!r}")
    return 0


def _over_frames(args: argparse.Namespace, start: int | None, stop: int | None, walk: Any, build: Any,
                 title: str, refusal: str) -> Any:
    """The shared run of ``concept run`` and ``track --tracker sam3``: the prompt and label from the
    arguments, the job's frames ``start``..``stop``, ``walk`` (find or track) over them with Ctrl-C as
    a cancel, then ``build``'s command written as one undoable change. ``refusal`` (``{frame}``: the
    boxes' frame) is said when the prompt has example boxes only and a frame is not theirs."""
    from app.core.work import CancelToken
    from app.media.sources import open_task_source
    from app.models.sam3.tokens import PromptError

    token = CancelToken()
    with open_project(args.project) as project:
        prompt = prompt_from_args(project, args)
        label = _label(project, prompt.label)
        job, order = _job_frames(project, args, start, stop)
        if not all(prompt.runs_on(f) for f in order):
            why = refusal.format(frame=prompt.frame)
            raise CliError(f"prompt {prompt.name or prompt.label!r} has example boxes {why}")
        segmenter = _segmenter(args, label)
        source = open_task_source(project, job.task_id)
        try:
            with ctrl_c_cancels(token, "the current frame (it is dropped)"):
                result = walk(source, order, segmenter, prompt, str(label.type.value), key=job.task_id,
                              token=token, progress=_print_progress())
        except (PromptError, ValueError) as exc:
            raise CliError(f"{exc}; nothing was written") from exc
        finally:
            source.close()
        command = build(project, job.id, label, result, text=f"{title}: {prompt.name or prompt.text}")
        if command is not None:
            command.redo()
    return result


def cmd_run(args: argparse.Namespace) -> int:
    from app.models.sam3.video import find_on_frames, shapes_command

    result = _over_frames(args, args.from_frame, args.to_frame, find_on_frames, shapes_command, "SAM 3",
                          "on frame {frame} and no text: run it on that frame only (--from F --to F)")
    print(f"{result.summary()}; one undoable change" if result.cancelled else result.summary(),
          file=sys.stderr if result.cancelled else sys.stdout)
    return 130 if result.cancelled else 0


def track_concept_cli(args: argparse.Namespace) -> int:
    """``fieldmark track --tracker sam3[:PATH]``: tracks of every instance of the concept (--prompt or
    --label/--text) from --frame to --to-frame (backward when --to-frame is before --frame)."""
    from app.models.sam3.video import track_concept, tracks_command

    if args.objects or args.function_file or args.function_module or args.param:
        raise CliError("--tracker sam3 follows a concept (--prompt or --label/--text); --objects, functions and "
                       "-p do not apply")
    args.model = args.tracker
    result = _over_frames(args, args.frame, args.to_frame, track_concept, tracks_command, "SAM 3 tracks",
                          "and no text: tracking a concept through frames needs its text")
    if result.cancelled:
        print(f"{result.summary()}; whole frames only, one undoable change", file=sys.stderr)
        return 130
    print(result.summary())
    return 0


# ------------------------------------------------------------------------------------ parsers
def add_prompt_args(p: argparse.ArgumentParser, *, saved: bool = True) -> None:
    if saved:
        p.add_argument("--prompt", help="a saved prompt's name (see `fieldmark concept prompts`)")
    p.add_argument("--label", help="the task label the instances get (rectangle, polygon, mask or any)")
    p.add_argument("--text", help="the text prompt, e.g. 'parked car' (default: none, example boxes only)")
    p.add_argument("--box", action="append", metavar="X1,Y1,X2,Y2[,neg]",
                   help="an example box (repeat; ,neg marks a wrong hit)")
    p.add_argument("--box-frame", type=int, help="the frame the example boxes were drawn on")
    p.add_argument("--threshold", type=float, default=None, help="score threshold 0-1 (default 0.5)")


def add_model_args(p: argparse.ArgumentParser, *, model: bool = True) -> None:
    if model:
        p.add_argument("--model", default="sam3", help="sam3 (the imported checkpoint) or sam3:PATH")
    p.add_argument("--device", default="", help="auto (CUDA when present, default), cpu or cuda[:N]")
    p.add_argument("--max-points", type=int, default=32, help="polygon vertex budget (0: keep every corner)")
    p.add_argument("--polygons", action="store_true", help="'any' labels get polygons instead of masks")


def register(subparsers: argparse._SubParsersAction) -> None:
    top = subparsers.add_parser("concept", help="SAM 3 concept prompts: save, list, run on frames")
    sub = top.add_subparsers(dest="concept_cmd", required=True)
    p = sub.add_parser("prompts", help="list the project's saved SAM 3 prompts (JSON lines)")
    p.add_argument("project")
    p.set_defaults(func=cmd_prompts)
    p = sub.add_parser("save", help="save a SAM 3 prompt in the project")
    p.add_argument("project")
    p.add_argument("--name", required=True)
    add_prompt_args(p, saved=False)
    p.add_argument("--overwrite", action="store_true", help="replace a saved prompt of that name")
    p.set_defaults(func=cmd_save)
    p = sub.add_parser("delete", help="delete a saved SAM 3 prompt")
    p.add_argument("project")
    p.add_argument("--name", required=True)
    p.set_defaults(func=cmd_delete)
    p = sub.add_parser("run", help="run a SAM 3 prompt on a job's frames (one undoable change)")
    p.add_argument("project")
    p.add_argument("--job", required=True, help="job id")
    p.add_argument("--from", dest="from_frame", type=int, default=None, help="first frame (default: the job's first)")
    p.add_argument("--to", dest="to_frame", type=int, default=None, help="last frame (default: the job's last)")
    add_prompt_args(p)
    add_model_args(p)
    p.set_defaults(func=cmd_run)
