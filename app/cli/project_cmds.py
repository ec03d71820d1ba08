"""`fieldmark create` and `fieldmark info`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.cli.common import CliError, open_project
from app.domain.labels_json import LabelSpecError, labels_from_json
from app.media.errors import MediaError
from app.media.ingest import create_task_from_media
from app.storage.errors import ProjectError
from app.storage.location import parse_location
from app.storage.project_checks import discard
from app.storage.store import Project


def cmd_create(args: argparse.Namespace) -> int:
    try:
        path = parse_location(args.paths[0])
    except ProjectError as exc:
        raise CliError(str(exc)) from exc
    args.media = args.paths[1:]
    try:
        labels = labels_from_json(json.loads(Path(args.labels).read_text(encoding="utf-8"))) if args.labels else []
    except (OSError, ValueError, LabelSpecError) as exc:
        raise CliError(f"{args.labels}: {exc}") from exc
    if path.path is not None and path.path.exists():
        raise CliError(f"{path} already exists")
    # Validate the media before the project file exists, so a bad input leaves nothing behind.
    try:
        project = Project.create(path, args.name or path.stem, labels, media_root=args.media_root)
    except ProjectError as exc:
        raise CliError(str(exc)) from exc
    try:
        media_root = project.settings().get("media_root")
        if args.media:
            task = create_task_from_media(
                project, args.task_name or "task", [Path(m) for m in args.media], copy_media=args.copy_media,
                segment_size=args.segment_size, overlap=args.overlap, consensus_replicas=args.consensus_replicas,
            )
            print(f"created {path} with task {task.id} ({task.size} frames, {len(project.jobs(task.id))} jobs)")
        else:
            print(f"created {path}")
        if media_root is not None:
            print(f"media root: {media_root} (a workstation that mounts it elsewhere maps it with "
                  f"fieldmark team map-media {path} LOCAL_PATH)")
    except (MediaError, ProjectError) as exc:
        project.close()
        discard(path)
        raise CliError(str(exc)) from exc
    project.close()
    return 0


def project_info(project: Project) -> dict:
    tasks = []
    for task in project.tasks():
        jobs = []
        for job in project.jobs(task.id):
            jobs.append({
                "id": job.id, "type": job.type.value, "stage": job.stage.value, "state": job.state.value,
                "start_frame": job.start_frame, "stop_frame": job.stop_frame, "frames": len(job.frame_list()),
                "parent_id": job.parent_id, "assignee": job.assignee, "annotations": project.counts(job_id=job.id),
            })
        tasks.append({
            "id": task.id, "name": task.name, "mode": task.mode.value, "media_type": task.media_type,
            "frames": task.size, "segment_size": task.segment_size, "overlap": task.overlap,
            "consensus_replicas": task.consensus_replicas, "subset": task.subset, "jobs": jobs,
            "annotations": project.counts(task_id=task.id),
        })
    labels = [{"id": label.id, "name": label.name, "type": label.type.value,
               "attributes": [a.name for a in label.attributes], "sublabels": [s.name for s in label.sublabels]}
              for label in project.labels()]
    return {"path": project.location.display, "name": project.name, "labels": labels, "tasks": tasks,
            "annotations": project.counts()}


def _print_counts(prefix: str, counts: dict) -> None:
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(counts["by_type"].items()))
    print(f"{prefix}shapes {counts['shapes']}, tracks {counts['tracks']}, tags {counts['tags']}"
          + (f" ({kinds})" if kinds else ""))


def cmd_info(args: argparse.Namespace) -> int:
    with open_project(args.project, read_only=True) as project:
        info = project_info(project)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"{info['name']}  ({info['path']})")
    print("labels: " + (", ".join(f"{label['name']} ({label['type']})" for label in info["labels"]) or "none"))
    for task in info["tasks"]:
        print(f"task {task['id']} {task['name']!r}: {task['frames']} frames, {task['media_type']}")
        for job in task["jobs"]:
            print(f"  job {job['id']} [{job['type']}] frames {job['start_frame']}-{job['stop_frame']} "
                  f"({job['frames']}), {job['stage']}/{job['state']}")
            _print_counts("    ", job["annotations"])
    _print_counts("total: ", info["annotations"])
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("create", help="create a project from a labels JSON plus images or a video")
    p.add_argument("paths", nargs="+", metavar="PROJECT [MEDIA ...]",
                   help="path of the new project file (.fmproj) or postgresql://user@host:port/dbname of an empty "
                        "database (a team project), then image files or folders, or one video file")
    p.add_argument("--labels", help="labels JSON in CVAT's raw label format")
    p.add_argument("--name", help="project name (default: the file name)")
    p.add_argument("--task-name", help="name of the task created from the media")
    p.add_argument("--copy-media", action="store_true",
                   help="copy the media into a folder beside the project file, or under a team project's media root")
    p.add_argument("--media-root", metavar="PATH",
                   help="team projects: the shared media folder that media paths are stored relative to (each "
                        "workstation can map it to its own mount point: fieldmark team map-media)")
    p.add_argument("--segment-size", type=int, default=0, help="frames per job (0: one job)")
    p.add_argument("--overlap", type=int, default=0)
    p.add_argument("--consensus-replicas", type=int, default=0)
    p.set_defaults(func=cmd_create, intermixed="paths")

    p = subparsers.add_parser("info", help="tasks, jobs, frames and annotation counts of a project")
    p.add_argument("project", help="project file or postgresql:// URL")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_info)
