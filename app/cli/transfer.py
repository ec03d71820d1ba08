"""`fieldmark import` and `fieldmark export`: CVAT XML 1.1, COCO 1.0, Ultralytics YOLO, labelme, Pascal VOC,
mask PNGs, Datumaro JSON and MOT."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.common import CliError, open_project
from app.formats.errors import FormatError
from app.formats.exporter import EXPORT_FORMATS, export_project
from app.formats.importer import (
    FORMATS,
    ImportResult,
    import_file,
    import_file_as_new_project,
    import_file_as_new_tasks,
)
from app.media.errors import MediaError
from app.storage.errors import ProjectError
from app.storage.location import parse_location
from app.storage.project_checks import project_exists


def _progress(quiet: bool) -> Any:
    if quiet or not sys.stderr.isatty():
        return None

    def report(done: int, total: int) -> None:
        print(f"\r{done}/{total}", end="", file=sys.stderr, flush=True)

    return report


def _summary(result: ImportResult, project: str) -> dict[str, Any]:
    return {"project": project, "task_id": result.task_id, "task_ids": result.task_ids, "job_ids": result.job_ids,
            "created_task": result.created_task, "labels": result.report.describe(),
            "annotations": result.counts, "warnings": result.warnings, "notes": result.notes}


def cmd_import(args: argparse.Namespace) -> int:
    source = Path(args.path)
    try:
        project_path = parse_location(args.project)
        if not project_exists(project_path):
            if args.task or args.job:
                raise CliError(f"{project_path} does not exist; --task/--job need an existing project")
            result = import_file_as_new_project(project_path, source, args.format,
                                                create_missing_labels=args.create_labels,
                                                progress=_progress(args.quiet), task_name=args.task_name or "",
                                                copy_media=args.copy_media, media_root=args.media_root)
        else:
            with open_project(project_path) as project:
                hints = list(project.labels())
                sizes = {f.name: (f.width, f.height) for t in project.tasks() for f in project.frames(t.id)}
                if args.new_task and not (args.task or args.job):  # written as it is read (CVAT XML)
                    result = import_file_as_new_tasks(
                        project, source, args.format, create_missing_labels=args.create_labels,
                        create_missing=args.create_labels, label_hints=hints, frame_sizes=sizes,
                        progress=_progress(args.quiet), task_name=args.task_name or "", copy_media=args.copy_media)
                else:  # a .zip is extracted for the whole import: its images are copied into new tasks
                    result = import_file(
                        project, source, args.format, task=args.task, job=int(args.job) if args.job else None,
                        new_task=args.new_task, replace=args.replace, create_missing_labels=args.create_labels,
                        create_missing=args.create_labels, frame_sizes=sizes, label_hints=hints,
                        progress=_progress(args.quiet), task_name=args.task_name or "", copy_media=args.copy_media)
    except (FormatError, ProjectError, MediaError) as exc:
        raise CliError(str(exc)) from exc
    return _report(result, project_path, args)


def _report(result: ImportResult, project_path: object, args: argparse.Namespace) -> int:
    summary = _summary(result, str(project_path))
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        c = result.counts
        where = f"task {result.task_id}" if len(result.task_ids) <= 1 else \
            f"tasks {', '.join(map(str, result.task_ids))} (one per subset)"
        print(f"imported into {where} of {project_path}: shapes {c['shapes']}, tracks {c['tracks']}, "
              f"tags {c['tags']}; {summary['labels']}")
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    options: dict[str, Any] = {}
    if args.format == "yolo":
        options = {"yolo_task": args.yolo_task, "names_as": args.names_as}
    try:
        with open_project(args.project, read_only=True) as project:
            result = export_project(project, args.format, Path(args.out), task=args.task,
                                    job=int(args.job) if args.job else None, with_images=args.with_images,
                                    progress=_progress(args.quiet), **options)
    except (FormatError, ProjectError, MediaError) as exc:
        raise CliError(str(exc)) from exc
    c = result.counts
    layout = f" ({result.layout})" if result.layout else ""
    print(f"exported {result.frames} frames, shapes {c['shapes']}, tracks {c['tracks']}, tags {c['tags']} "
          f"to {result.path}{layout}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "import", help="import CVAT XML, COCO, YOLO, labelme, Pascal VOC, mask PNG, Datumaro or MOT annotations "
                         "(creates the project if absent)")
    p.add_argument("project", help="project file or postgresql://user@host:port/dbname URL; created with one task "
                                   "when the file does not exist or the database is empty")
    p.add_argument("path", help="dataset file, folder or .zip")
    p.add_argument("--format", required=True, choices=FORMATS)
    target = p.add_mutually_exclusive_group()
    target.add_argument("--task", help="task id or name: everything goes into it, whatever the subsets (default: "
                                       "a dataset with subsets goes to the task of each subset, or a new one, as "
                                       "CVAT imports into a project; one without subsets to the only task)")
    target.add_argument("--job", help="job id")
    target.add_argument("--new-task", action="store_true", help="add the dataset as new tasks (one per subset)")
    p.add_argument("--task-name", help="name of a task created by the import")
    p.add_argument("--copy-media", action="store_true",
                   help="copy the dataset's images (when the import creates a task) beside the project file, or "
                        "under a team project's media root; nothing is left half-copied on failure")
    p.add_argument("--media-root", metavar="PATH",
                   help="when the import creates a team project: its shared media folder (see fieldmark create)")
    p.add_argument("--replace", action="store_true", help="delete the target's annotations first (default: append)")
    p.add_argument("--create-labels", action="store_true",
                   help="create labels, keypoints and attributes the project (or the file's own header) lacks")
    p.add_argument("--json", action="store_true", help="machine-readable summary")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_import)

    p = subparsers.add_parser("export", help="export a job, a task or the project (CVAT XML, COCO, YOLO, Darknet "
                                                    "YOLO 1.1, labelme, VOC, masks, Datumaro, MOT)")
    p.add_argument("project", help="project file or postgresql:// URL")
    p.add_argument("out", help="output folder or .zip (an .xml file for CVAT without images)")
    p.add_argument("--format", required=True, choices=EXPORT_FORMATS,
                   help="cvat writes the video layout when there are tracks; cvat-images/cvat-video choose")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--task", help="task id or name")
    target.add_argument("--job", help="job id")
    p.add_argument("--with-images", action="store_true", help="copy the images (decode video frames) too")
    p.add_argument("--yolo-task", choices=("auto", "detect", "segment", "pose", "obb"), default="auto",
                   help="Ultralytics task (auto: pose for skeletons, segment for polygons/masks, obb for rotated "
                        "boxes, else detect)")
    p.add_argument("--names-as", choices=("dict", "list"), default="dict", help="how data.yaml lists class names")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_export)
