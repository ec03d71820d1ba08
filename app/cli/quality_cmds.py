"""`fieldmark quality ...` (compare two CVAT exports, project reports, settings, GT jobs, honeypots,
workflow) and `fieldmark consensus merge`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.common import CliError, open_project, resolve_task
from app.quality.csv_export import write_csv
from app.quality.report_json import write_report_json
from app.quality.settings import QualitySettings, SettingsError, effective_settings, save_settings


def _print_summary(title: str, summary: dict[str, Any]) -> None:
    print(title)
    print(f"  frames {summary['validation_frames']}/{summary['total_frames']} "
          f"({summary['validation_frame_share']:.1%}), conflicts {summary['conflict_count']} "
          f"({summary['error_count']} errors, {summary['warning_count']} warnings)")
    print(f"  valid {summary['valid_count']}, ds {summary['ds_count']}, gt {summary['gt_count']}, "
          f"total {summary['total_count']}: accuracy {summary['accuracy']:.4f}, precision {summary['precision']:.4f}, "
          f"recall {summary['recall']:.4f}")
    for name, n in sorted(summary["conflicts_by_type"].items()):
        print(f"    {name}: {n}")


def _load_settings(path: str | None) -> QualitySettings:
    if not path:
        return QualitySettings()
    try:
        return QualitySettings.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise CliError(f"{path}: {exc}") from exc


def cmd_compare(args: argparse.Namespace) -> int:
    from app.formats.errors import FormatError
    from app.quality.compare_files import compare_files

    settings = _load_settings(args.settings)
    try:
        report = compare_files(args.gt, args.ds, settings)
    except (OSError, FormatError) as exc:
        raise CliError(str(exc)) from exc
    summary = report.summary()
    if args.json:
        write_report_json(args.json, report)
    if args.csv:
        write_csv(args.csv, [("job", 0, report)])
    _print_summary(f"{args.ds} vs {args.gt}", summary)
    return 0


def _scope(args: argparse.Namespace, project) -> tuple[str, int]:
    if args.job is not None:
        return "job", int(args.job)
    if args.task is not None:
        return "task", resolve_task(project, args.task)
    return "project", 0


def cmd_report(args: argparse.Namespace) -> int:
    from app.quality import service, storage

    with open_project(args.project, read_only=not args.save) as project:
        scope, target = _scope(args, project)
        try:
            if scope == "project":
                report, results = service.compute_project(project, require_accepted_gt=not args.any_gt)
                rows = [("project", 0, report)] + [("task", t, r.task) for t, r in results.items()]
                if args.save:
                    storage.save_project_report(project, report, results)
            else:
                task_id = project.job(target).task_id if scope == "job" else target
                only = target if scope == "job" and not args.save else None  # a stored task report needs every job
                result = service.compute_task(project, task_id, require_accepted_gt=not args.any_gt, only_job=only)
                if args.save:
                    storage.save_task_result(project, task_id, result)
                if scope == "job":
                    if target not in result.jobs:
                        raise CliError(f"job {target} is not compared (GT job, or excluded by job_filter)")
                    report = result.jobs[target]
                    rows = [("job", target, report)]
                else:
                    report = result.task
                    rows = [("task", target, report)] + [("job", j, r) for j, r in result.jobs.items()]
        except service.QualityError as exc:
            raise CliError(str(exc)) from exc
    if args.json:
        write_report_json(args.json, report)
    if args.csv:
        write_csv(args.csv, rows)
    for kind, ident, rep in rows:
        _print_summary(f"{kind} {ident}" if kind != "project" else "project", rep.summary())
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from app.quality import storage

    with open_project(args.project, read_only=True) as project:
        scope, target = _scope(args, project)
        for info in storage.history(project, scope, target):
            reason = storage.outdated_reason(project, info)
            s = info.summary
            print(f"#{info.id} {info.created} accuracy {s['accuracy']:.4f} conflicts {s['conflict_count']}"
                  + (f"  [out of date: {reason}]" if reason else ""))
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    with open_project(args.project, read_only=not (args.set or args.inherit)) as project:
        task_id = resolve_task(project, args.task) if args.task is not None else None
        settings, inherited = effective_settings(project, task_id)
        if args.inherit:
            if task_id is None:
                raise CliError("--inherit applies to a task (--task)")
            project.set_quality_settings(None, task_id=task_id)
            settings, inherited = effective_settings(project, task_id)
        if args.set:
            values = settings.to_dict()
            for item in args.set:
                key, _, raw = item.partition("=")
                try:
                    values[key] = json.loads(raw)
                except ValueError:
                    values[key] = raw
            if task_id is not None:
                values["inherit"] = False
            try:
                settings = QualitySettings.from_dict(values)
            except SettingsError as exc:
                raise CliError(str(exc)) from exc
            save_settings(project, settings, task_id)
            inherited = False
    print(json.dumps({**settings.to_dict(), "inherited": inherited}, indent=1))
    return 0


def cmd_gt_job(args: argparse.Namespace) -> int:
    from app.quality.gt_frames import FrameSelection, FrameSelectionError, create_gt_job, parse_frames

    with open_project(args.project) as project:
        task_id = resolve_task(project, args.task)
        try:
            selection = FrameSelection(method=args.method, frame_count=args.count, frame_share=args.share,
                                       frames_per_job_count=args.per_job_count,
                                       frames_per_job_share=args.per_job_share,
                                       frames=parse_frames(args.frames or ""), seed=args.seed)
            job = create_gt_job(project, task_id, selection)
        except FrameSelectionError as exc:
            raise CliError(str(exc)) from exc
        print(f"created Ground Truth job {job.id} with {len(job.frame_list())} frames "
              f"(seed {job.options['frame_selection'].get('seed')})")
    return 0


def cmd_honeypots(args: argparse.Namespace) -> int:
    from app.quality.gt_frames import FrameSelectionError
    from app.quality.honeypots import redraw_honeypots, setup_honeypots

    with open_project(args.project) as project:
        try:
            if args.redraw_job is not None:
                job = redraw_honeypots(project, int(args.redraw_job), seed=args.seed)
                print(f"job {job.id}: honeypots now {[p['real_frame'] for p in job.options['honeypots']]}")
                return 0
            task_id = resolve_task(project, args.task)
            gt = setup_honeypots(project, task_id, pool_count=args.pool_count, pool_share=args.pool_share,
                                 frames_per_job=args.per_job, seed=args.seed)
        except FrameSelectionError as exc:
            raise CliError(str(exc)) from exc
        print(f"created validation pool (Ground Truth job {gt.id}, {len(gt.frame_list())} frames), "
              f"{args.per_job} honeypot(s) per job")
    return 0


def cmd_workflow(args: argparse.Namespace) -> int:
    from app.quality import workflow

    with open_project(args.project) as project:
        try:
            if args.action == "submit":
                outcome = workflow.submit(project, int(args.job), require_accepted_gt=not args.any_gt)
                value = "n/a" if outcome.value is None else f"{outcome.value:.4f}"
                print(f"job {args.job}: {outcome.decision} ({outcome.metric} {value}, threshold "
                      f"{outcome.threshold}, attempt {outcome.attempts})")
            elif args.action == "accept":
                workflow.accept(project, int(args.job))
            elif args.action == "reject":
                workflow.reject(project, int(args.job), reason=args.reason or "")
            else:
                workflow.send_to_validation(project, int(args.job))
        except workflow.WorkflowError as exc:
            raise CliError(str(exc)) from exc
    return 0


def cmd_consensus_merge(args: argparse.Namespace) -> int:
    from app.quality.consensus import merge_task

    with open_project(args.project) as project:
        task_id = resolve_task(project, args.task)
        results = merge_task(project, task_id, threshold=args.iou_threshold, job_id=args.job)
    if not results:
        print("nothing to merge (no parent job in the annotation stage with worked-on replicas)", file=sys.stderr)
        return 1
    for parent, frames in results.items():
        clusters = sum(f.clusters for f in frames)
        full = sum(f.full for f in frames)
        print(f"job {parent}: merged {clusters} objects over {len(frames)} frames ({full} drawn by every replica)")
    return 0


def _scope_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--job", help="job id")
    g.add_argument("--task", help="task id or name")
    g.add_argument("--project", dest="whole_project", action="store_true", help="the whole project")


def register(subparsers: argparse._SubParsersAction) -> None:
    q = subparsers.add_parser("quality", help="quality control: compare with Ground Truth (CVAT v2.73 rules)")
    qs = q.add_subparsers(dest="quality_command", metavar="ACTION", required=True)

    p = qs.add_parser("compare", help="compare two CVAT-for-images job exports (GT.xml, DS.xml)")
    p.add_argument("gt")
    p.add_argument("ds")
    p.add_argument("--settings", help="quality settings JSON (CVAT's names; omitted keys take the defaults)")
    p.add_argument("--json", help="write summary, conflicts and the full report")
    p.add_argument("--csv", help="write summary, per-label and conflict rows")
    p.set_defaults(func=cmd_compare)

    p = qs.add_parser("report", help="compute a job, task or project report")
    p.add_argument("project")
    _scope_args(p)
    p.add_argument("--json")
    p.add_argument("--csv")
    p.add_argument("--save", action="store_true", help="store the report in the project (history)")
    p.add_argument("--any-gt", action="store_true", help="do not require the GT job to be accepted and completed")
    p.set_defaults(func=cmd_report)

    p = qs.add_parser("history", help="stored reports, newest first, with out-of-date marks")
    p.add_argument("project")
    _scope_args(p)
    p.set_defaults(func=cmd_history)

    p = qs.add_parser("settings", help="show or change quality settings (project, or --task)")
    p.add_argument("project")
    p.add_argument("--task")
    p.add_argument("--set", action="append", metavar="NAME=VALUE")
    p.add_argument("--inherit", action="store_true", help="make the task use the project's settings again")
    p.set_defaults(func=cmd_settings)

    p = qs.add_parser("gt-job", help="create the task's Ground Truth job")
    p.add_argument("project")
    p.add_argument("--task")
    p.add_argument("--method", choices=["random_uniform", "random_per_job", "manual"], default="random_uniform")
    p.add_argument("--count", type=int)
    p.add_argument("--share", type=float)
    p.add_argument("--per-job-count", type=int)
    p.add_argument("--per-job-share", type=float)
    p.add_argument("--frames", help="frame numbers and ranges, e.g. 1,3,5-9 (manual)")
    p.add_argument("--seed", type=int)
    p.set_defaults(func=cmd_gt_job)

    p = qs.add_parser("honeypots", help="validation pool with honeypots mixed into the jobs, or re-draw a job's")
    p.add_argument("project")
    p.add_argument("--task")
    p.add_argument("--pool-count", type=int)
    p.add_argument("--pool-share", type=float)
    p.add_argument("--per-job", type=int, default=1)
    p.add_argument("--redraw-job", help="re-draw this job's honeypots")
    p.add_argument("--seed", type=int)
    p.set_defaults(func=cmd_honeypots)

    for action in ("submit", "accept", "reject", "send-to-validation"):
        p = qs.add_parser(action, help=f"workflow: {action} a job")
        p.add_argument("project")
        p.add_argument("--job", required=True)
        p.add_argument("--reason")
        p.add_argument("--any-gt", action="store_true")
        p.set_defaults(func=cmd_workflow, action=action)

    c = subparsers.add_parser("consensus", help="consensus replicas")
    cs = c.add_subparsers(dest="consensus_command", metavar="ACTION", required=True)
    p = cs.add_parser("merge", help="merge replica jobs into their parent jobs")
    p.add_argument("project")
    p.add_argument("--task")
    p.add_argument("--job", type=int, help="only this parent job")
    p.add_argument("--iou-threshold", type=float)
    p.set_defaults(func=cmd_consensus_merge)
