"""Merge a field package back into its project (an SQLite file or a team project: the same code path).

:func:`prepare_merge` verifies the package (:mod:`app.packages.checks`) and compares each job three ways
(:mod:`app.packages.three_way`); :func:`apply_merge` writes the outcome under a policy in ONE transaction
(every job of the package, the leases given back and the merge recorded, or nothing at all), after
saving the jobs as they were for :func:`app.packages.undo.undo_merge`. The package file is only read.

A job that did not change in the project since the export is fast-forwarded: its annotations become
the package's. Policies for conflicts: ``ask`` (refuse and list them, the caller decides), ``package``
(the field version wins), ``project`` (the project's version wins) and ``replica`` (the job stays as the
project has it and the package's job comes in as a consensus replica of it, for review).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError

from app.domain.annotations import Annotations, Shape, Tag, Track
from app.domain.enums import JobType
from app.packages import fieldwork
from app.packages.checks import check_package
from app.packages.frames import to_source
from app.packages.identity import digest, job_by_uid, label_schema_hash
from app.packages.manifest import Manifest, PackagedJob, PackageError, frames_digest
from app.packages.three_way import Plan, compare, resolve
from app.packages.undo import discard_snapshot, save_snapshot
from app.storage.errors import ProjectError
from app.storage.store import Project, now_iso

POLICIES = ("ask", "package", "project", "replica")
Obj = Shape | Track | Tag


class MergeConflictsError(PackageError):
    """The ``ask`` policy met conflicts: nothing was written; the caller shows them and picks a policy."""


@dataclass
class JobMerge:
    entry: PackagedJob
    job_id: int
    fast_forward: bool
    plan: Plan
    package: dict[str, Obj]  # uid -> object, in source frame numbers
    project: dict[str, Obj]  # uid -> object as the project has it (with its row ids)
    package_digests: dict[str, str]

    def conflicts(self) -> list[dict[str, Any]]:
        out = []
        for uid, what in sorted(self.plan.conflicts.items()):
            obj = self.package.get(uid) or self.project.get(uid)
            kind = type(obj).__name__.lower()
            out.append({"job": self.job_id, "frame": obj.frame, "kind": kind, "uid": uid, "what": what})  # type: ignore[union-attr]
        return sorted(out, key=lambda c: (c["frame"], c["kind"], c["uid"]))


@dataclass
class MergePreview:
    path: Path
    manifest: Manifest
    jobs: list[JobMerge] = field(default_factory=list)

    def conflicts(self) -> list[dict[str, Any]]:
        return [c for job in self.jobs for c in job.conflicts()]


def _by_uid(annotations: Annotations) -> dict[str, Obj]:
    return {o.uid: o for objs in (annotations.shapes, annotations.tracks, annotations.tags) for o in objs}  # type: ignore[misc]


def _job_frames(project: Project, job_id: int, entry: PackagedJob) -> list[int]:
    frames = project.job(job_id).frame_list()
    if len(frames) != entry.frame_count or frames_digest(frames) != entry.frames_sha256:
        raise PackageError(f"The frames of job {job_id} changed since the package was exported (honeypots redrawn, "
                           "or the job was resized); its annotations cannot be placed; nothing was merged.")
    return frames


def _read_package_jobs(project: Project, path: Path, manifest: Manifest) -> dict[str, Annotations]:
    try:
        package = Project.open(path, read_only=True)
    except ProjectError as exc:
        raise PackageError(f"{path} cannot be read as a package ({exc})") from exc
    try:
        if label_schema_hash(package) != manifest.label_schema:
            raise PackageError(f"The labels or attributes in {path.name} were changed on the laptop; its annotations "
                               "would not fit the project's labels. Nothing was merged.")
        out = {}
        for entry in manifest.jobs:
            ids = [j.id for j in package.jobs()]
            if entry.package_job_id not in ids:
                raise PackageError(f"{path} lost its job {entry.source_job_id}: the package was changed outside "
                                   "Fieldmark.")
            frames = _job_frames(project, job_by_uid(project, entry.uid), entry)  # type: ignore[arg-type]
            out[entry.uid] = to_source(package.annotations(entry.package_job_id), frames, path.name)
        return out
    except (DBAPIError, sqlite3.DatabaseError, ValueError) as exc:  # damage the checks could not see
        raise PackageError(f"{path} is damaged: its annotations cannot be read ({exc}).") from exc
    finally:
        package.close()


def prepare_merge(project: Project, path: str | Path,
                  progress: Callable[[int, int], None] | None = None) -> MergePreview:
    """Verify the package and compare it with the project; writes nothing."""
    path = Path(path)
    manifest, base = check_package(project, path, progress)
    package_jobs = _read_package_jobs(project, path, manifest)
    preview = MergePreview(path, manifest)
    for entry in manifest.jobs:
        job_id = job_by_uid(project, entry.uid)
        assert job_id is not None  # checked
        revision = project.track_job(job_id)  # a write elsewhere before the apply is refused, not overwritten
        package_objects = _by_uid(package_jobs[entry.uid])
        project_objects = _by_uid(project.annotations(job_id))
        package_digests = {uid: digest(o) for uid, o in package_objects.items()}
        job_base = {uid: d for uid, (job_uid, d) in base.items() if job_uid == entry.uid}
        plan = compare(job_base, package_digests, {uid: digest(o) for uid, o in project_objects.items()})
        preview.jobs.append(JobMerge(entry, job_id, revision == entry.base_version, plan, package_objects,
                                     project_objects, package_digests))
    return preview


def apply_merge(project: Project, preview: MergePreview, policy: str = "ask") -> dict[str, Any]:
    """Write the merge in one transaction and return the report (also kept in each job's record)."""
    if policy not in POLICIES:
        raise PackageError(f"Unknown merge policy {policy!r}; use one of {', '.join(POLICIES)}.")
    conflicts = preview.conflicts()
    if policy == "ask" and conflicts:
        for job in preview.jobs:
            project.untrack_job(job.job_id)
        shown = "; ".join(f"job {c['job']} frame {c['frame']} {c['kind']} {c['uid'][:8]}: {c['what']}"
                          for c in conflicts[:10])
        more = f" (and {len(conflicts) - 10} more)" if len(conflicts) > 10 else ""
        raise MergeConflictsError(
            f"{preview.path.name} conflicts with changes made in the project: {len(conflicts)} object(s) "
            f"changed on both sides: {shown}{more}. Nothing was merged; choose --policy package, project or "
            "replica.")
    manifest = preview.manifest
    report: dict[str, Any] = {"package": manifest.package_id, "file": preview.path.name, "policy": policy,
                              "merged": now_iso(), "jobs": []}
    try:
        save_snapshot(project, manifest.package_id, [job.job_id for job in preview.jobs])  # for undo
        try:
            with project.transaction():
                fieldwork.release(project, manifest.package_id)
                for job in preview.jobs:
                    report["jobs"].append(_apply_job(project, job, policy, manifest.package_id))
        except BaseException:
            discard_snapshot(manifest.package_id)
            raise
    finally:
        for job in preview.jobs:
            project.untrack_job(job.job_id)
    report["totals"] = {key: sum(j["counts"][key] for j in report["jobs"]) for key in report["jobs"][0]["counts"]}
    return report


def _apply_job(project: Project, job: JobMerge, policy: str, package_id: str) -> dict[str, Any]:
    plan = job.plan
    conflicts = job.conflicts()
    if policy in ("package", "project"):
        resolve(plan, job.package_digests, policy)
    if policy == "replica":
        mode = "replica"
        info = project.job(job.job_id)
        replica = project.create_job(info.task_id, JobType.CONSENSUS_REPLICA, info.frame_list(), parent_id=job.job_id)
        project.add_annotations(replica.id, _group(list(job.package.values())))  # new ids and uids
    elif job.fast_forward:
        mode = "fast-forward"
        project.clear_annotations(job.job_id)
        project.add_annotations(job.job_id, _group(list(job.package.values())), keep_uids=True)  # new ids
    else:
        mode = "three-way"
        gone = [job.project[uid] for uid in (plan.take | plan.delete) if uid in job.project]
        project.replace_annotations(
            job.job_id,
            remove_shapes=[o.id for o in gone if isinstance(o, Shape)],
            remove_tracks=[o.id for o in gone if isinstance(o, Track)],
            remove_tags=[o.id for o in gone if isinstance(o, Tag)],
            add=_group([job.package[uid] for uid in plan.take]),
            keep_ids=False, keep_uids=True)
    counts = plan.counts()
    for conflict in conflicts:
        conflict["resolved"] = {"package": "package version kept", "project": "project version kept",
                                "replica": "package in the replica job"}[policy]
    result = {"job": job.job_id, "mode": mode, "counts": counts, "conflicts": conflicts}
    if policy == "replica":
        result["replica_job"] = replica.id
    extra = {"replica_job": result["replica_job"]} if "replica_job" in result else {}
    fieldwork.set_record(project, job.job_id, package_id, merged=now_iso(), mode=mode, counts=counts,
                         after_version=project.job(job.job_id).revision, **extra)
    return result


def _group(objects: list[Obj]) -> Annotations:
    return Annotations(shapes=[o for o in objects if isinstance(o, Shape)],
                       tracks=[o for o in objects if isinstance(o, Track)],
                       tags=[o for o in objects if isinstance(o, Tag)])


def merge_package(project: Project, path: str | Path, policy: str = "ask") -> dict[str, Any]:
    """Verify, compare and apply in one call (the CLI's ``fieldmark package merge``)."""
    return apply_merge(project, prepare_merge(project, path), policy)
