"""`fieldmark package export|merge|undo|info|release|unpack`: field packages for offline laptops (docs/packages.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.cli.common import CliError, open_project
from app.packages import container, fieldwork
from app.packages.export import export_package
from app.packages.manifest import PackageError, describe
from app.packages.merge import POLICIES, apply_merge, prepare_merge
from app.packages.undo import undo_merge
from app.storage.errors import ProjectError


def _progress(enabled: bool):
    if not enabled:
        return None

    def show(what: str, done: int, total: int) -> None:
        print(f"\r{what}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    return show


def cmd_export(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        try:
            manifest = export_package(project, args.job, args.out, progress=_progress(sys.stderr.isatty()))
        except PackageError as exc:
            raise CliError(str(exc)) from exc
    size = Path(args.out).stat().st_size
    media = sum(m.size for m in manifest.media)
    jobs = ", ".join(str(j.source_job_id) for j in manifest.jobs)
    print(f"wrote {args.out}: package {manifest.package_id}, job(s) {jobs}"
          f", {len(manifest.media)} media files ({media} bytes), {size} bytes in all; the job(s) are now in the field")
    return 0


def _print_report(report: dict) -> None:
    for job in report["jobs"]:
        counts = ", ".join(f"{n} {key}" for key, n in job["counts"].items())
        extra = f", replica job {job['replica_job']}" if "replica_job" in job else ""
        print(f"job {job['job']}: {job['mode']}{extra}: {counts}")
        for c in job["conflicts"]:
            print(f"  conflict: frame {c['frame']} {c['kind']} {c['uid']}: {c['what']} ({c['resolved']})")


def cmd_merge(args: argparse.Namespace) -> int:
    path = Path(args.package)
    with open_project(args.project) as project:
        try:
            preview = prepare_merge(project, path)
            try:
                if args.dry_run:
                    print(json.dumps({"jobs": [{"job": j.job_id, "fast_forward": j.fast_forward,
                                                "counts": j.plan.counts()} for j in preview.jobs],
                                      "conflicts": preview.conflicts()}, indent=2))
                    for job in preview.jobs:
                        project.untrack_job(job.job_id)
                    return 0
                report = apply_merge(project, preview, args.policy)
            finally:
                preview.close()
        except (PackageError, ProjectError) as exc:
            raise CliError(str(exc)) from exc
    _print_report(report)
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=2), encoding="utf-8")
        print(f"report saved to {args.report}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    try:
        manifest = container.read_manifest(Path(args.package))
    except PackageError as exc:
        raise CliError(str(exc)) from exc
    print(json.dumps(describe(manifest), indent=2))
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    if (args.package is None) == (args.job is None):
        raise CliError("name the package (its file or id) or the job (--job), not both")
    if args.job is not None:
        with open_project(args.project) as project:
            lease = project.job_lease(args.job)
        if lease is None or not lease.host.startswith(fieldwork.FIELD_HOST):
            raise CliError(f"Job {args.job} is not out in a field package.")
        args.package = lease.token
    package_id = args.package
    if Path(package_id).is_file():
        try:
            package_id = container.read_manifest(Path(package_id)).package_id
        except PackageError as exc:
            raise CliError(str(exc)) from exc
    with open_project(args.project) as project:
        jobs = fieldwork.held_jobs(project, package_id)
        if not jobs:
            raise CliError(f"No job of {project.location.display} is out in package {package_id}.")
        fieldwork.release(project, package_id)
    print(f"released job(s) {', '.join(map(str, jobs))}: they can be edited in the project again; "
          "the package can still be merged later (its changes are then compared three ways)")
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    package_id = args.package
    try:
        if Path(package_id).is_file():
            package_id = container.read_manifest(Path(package_id)).package_id
        with open_project(args.project) as project:
            jobs = undo_merge(project, package_id)
    except PackageError as exc:
        raise CliError(str(exc)) from exc
    print(f"undid the merge of package {package_id}: job(s) {', '.join(map(str, jobs))} are as before it, and out "
          "in the field again (the package can be merged anew, or released)")
    return 0


def cmd_unpack(args: argparse.Namespace) -> int:
    path = Path(args.package)
    try:
        manifest = container.read_manifest(path)
        folder = container.unpack_media(path, manifest)
    except PackageError as exc:
        raise CliError(str(exc)) from exc
    print(f"media of {path.name} in {folder}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("package", help="field packages: export jobs for offline laptops, merge them back")
    sub = parser.add_subparsers(dest="package_command", metavar="ACTION", required=True)
    p = sub.add_parser("export", help="write jobs into a package file and mark them as in the field")
    p.add_argument("project", help="project file or postgresql://user@host:port/dbname")
    p.add_argument("--job", type=int, action="append", required=True, help="job id (repeat for more jobs)")
    p.add_argument("--out", required=True, help="new package file (.fmpkg)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("merge", help="verify a package and merge its work back into the project")
    p.add_argument("project", help="project file or postgresql://user@host:port/dbname")
    p.add_argument("package", help="package file")
    p.add_argument("--policy", choices=POLICIES, default="ask",
                   help="conflicts: ask (refuse and list them), package or project (that side wins), replica "
                        "(the package comes in as a consensus replica for review)")
    p.add_argument("--report", help="also save the merge report (JSON) to this file")
    p.add_argument("--dry-run", action="store_true", help="verify and compare only; write nothing")
    p.set_defaults(func=cmd_merge)
    p = sub.add_parser("info", help="show a package's manifest")
    p.add_argument("package")
    p.set_defaults(func=cmd_info)
    p = sub.add_parser("release", help="give a package's jobs back to the project without merging")
    p.add_argument("project")
    p.add_argument("package", nargs="?", help="package file or package id")
    p.add_argument("--job", type=int, help="or: the job whose package to release (an export that was interrupted)")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("undo", help="undo a merge (on the workstation that made it, while the jobs are unchanged)")
    p.add_argument("project")
    p.add_argument("package", help="package file or package id")
    p.set_defaults(func=cmd_undo)
    p = sub.add_parser("unpack", help="write a package's media beside it (fieldmark open does this itself)")
    p.add_argument("package")
    p.set_defaults(func=cmd_unpack)
