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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError

from app.domain.annotations import Annotations, Shape, Tag, Track
from app.domain.enums import JobType
from app.packages import container, fieldwork
from app.packages.checks import check_package
from app.packages.comparison import Comparison
from app.packages.frames import to_source
from app.packages.identity import job_by_uid, label_schema_hash
from app.packages.manifest import Manifest, PackagedJob, PackageError, frames_digest
from app.packages.stream import read_job
from app.packages.three_way import Plan
from app.packages.undo import discard_snapshot, save_snapshot
from app.storage.errors import ProjectError
from app.storage.store import Project, now_iso

POLICIES = ("ask", "package", "project", "replica")
SIDES = ("package", "project")
Obj = Shape | Track | Tag


class MergeConflictsError(PackageError):
    """The ``ask`` policy met conflicts: nothing was written; the caller shows them and picks a policy."""


@dataclass
class JobMerge:
    entry: PackagedJob
    job_id: int
    fast_forward: bool
    plan: Plan  # counts and conflicts; which object goes where is in the comparison table
    frames: list[int]  # package frame i is source frame frames[i]
    comparison: Comparison = field(repr=False)

    def conflicts(self) -> list[dict[str, Any]]:
        return [{"job": self.job_id, **c} for c in self.comparison.conflicts(self.entry.uid)]


@dataclass
class MergePreview:
    """A verified, compared package, ready to apply. Holds a temporary comparison table: :meth:`close` it
    when not applying (:func:`apply_merge` closes it after a successful merge)."""

    path: Path
    manifest: Manifest
    comparison: Comparison = field(repr=False)
    jobs: list[JobMerge] = field(default_factory=list)

    def conflicts(self) -> list[dict[str, Any]]:
        return [c for job in self.jobs for c in job.conflicts()]

    def close(self) -> None:
        self.comparison.close()

    def versions(self, project: Project, conflict: Mapping[str, Any]) -> tuple[Obj | None, Obj | None]:
        """Both versions of a conflicting object, ``(package's, project's)`` (``None``: deleted on that side),
        in the source task's frame numbers, read when asked (the merge dialog draws them)."""
        job = next(j for j in self.jobs if j.job_id == conflict["job"])
        uid, kind = conflict["uid"], conflict["kind"]

        def find(handle: Project, job_id: int, frame: int | None) -> Obj | None:
            if frame is None:
                return None
            if kind == "track":
                objects: list[Obj] = list(handle.tracks(job_id))
            elif kind == "tag":
                objects = list(handle.frame_tags(job_id, frame))
            else:
                objects = list(handle.frame_shapes(job_id, frame))
            return next((o for o in objects if o.uid == uid), None)

        package = _open_package(self.path)
        try:
            frame = conflict.get("package_frame")
            found = find(package, job.entry.package_job_id, None if frame is None else job.frames.index(frame))
            if found is not None:
                to_source(_group([found]), job.frames, self.path.name)
        finally:
            package.close()
        return found, find(project, job.job_id, conflict.get("project_frame"))


def _objects(annotations: Annotations) -> Iterator[Obj]:
    yield from annotations.shapes
    yield from annotations.tracks
    yield from annotations.tags


def _job_frames(project: Project, job_id: int, entry: PackagedJob) -> list[int]:
    frames = project.job(job_id).frame_list()
    if len(frames) != entry.frame_count or frames_digest(frames) != entry.frames_sha256:
        raise PackageError(f"The frames of job {job_id} changed since the package was exported (honeypots redrawn, "
                           "or the job was resized); its annotations cannot be placed; nothing was merged.")
    return frames


def _open_package(path: Path) -> Project:
    try:
        return Project.open(path, read_only=True)
    except ProjectError as exc:
        raise PackageError(f"{path} cannot be read as a package ({exc})") from exc


def _package_chunks(package: Project, path: Path, job: JobMerge) -> Iterator[Annotations]:
    """The package job's objects chunk by chunk, renumbered to the source task's frames."""
    try:
        for _range, chunk in read_job(package, job.entry.package_job_id, range(len(job.frames))):
            yield to_source(chunk, job.frames, path.name)
    except (DBAPIError, sqlite3.DatabaseError, ValueError) as exc:  # damage the checks could not see
        raise PackageError(f"{path} is damaged: its annotations cannot be read ({exc}).") from exc


def prepare_merge(project: Project, path: str | Path,
                  progress: Callable[[int, int], None] | None = None) -> MergePreview:
    """Verify the package and compare it with the project; writes nothing. Streams both sides chunk by chunk
    into a temporary comparison table (:mod:`app.packages.comparison`): memory does not grow with the job."""
    path = Path(path)
    manifest = check_package(project, path, progress)
    preview = MergePreview(path, manifest, Comparison())
    try:
        for rows in container.iter_base(path):
            preview.comparison.add_base(rows)
        package = _open_package(path)
        try:
            if label_schema_hash(package) != manifest.label_schema:
                raise PackageError(f"The labels or attributes in {path.name} were changed on the laptop; its "
                                   "annotations would not fit the project's labels. Nothing was merged.")
            package_jobs = {j.id for j in package.jobs()}
            for entry in manifest.jobs:
                if entry.package_job_id not in package_jobs:
                    raise PackageError(f"{path} lost its job {entry.source_job_id}: the package was changed outside "
                                       "Fieldmark.")
                job_id = job_by_uid(project, entry.uid)
                assert job_id is not None  # checked
                frames = _job_frames(project, job_id, entry)
                revision = project.track_job(job_id)  # a write elsewhere before the apply is refused, not overwritten
                job = JobMerge(entry, job_id, revision == entry.base_version, Plan(), frames, preview.comparison)
                for chunk in _package_chunks(package, path, job):
                    preview.comparison.add_package(entry.uid, _objects(chunk))
                    if progress is not None:
                        progress(0, 0)  # a chance to cancel
                for _range, chunk in read_job(project, job_id, frames):
                    preview.comparison.add_project(entry.uid, _objects(chunk))
                job.plan = preview.comparison.classify(entry.uid)
                preview.jobs.append(job)
        finally:
            package.close()
    except BaseException:
        for job in preview.jobs:
            project.untrack_job(job.job_id)
        for entry in manifest.jobs:
            job_id = job_by_uid(project, entry.uid)
            if job_id is not None:
                project.untrack_job(job_id)
        preview.close()
        raise
    return preview


def apply_merge(project: Project, preview: MergePreview, policy: str = "ask",
                choices: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Write the merge in one transaction and return the report (also kept in each job's record).

    ``choices`` (conflict uid -> ``package`` or ``project``) settles conflicts one by one (the merge
    dialog); with policy ``package`` or ``project`` it overrides the policy for those objects; with ``ask``
    every conflict needs a choice. Under ``replica`` the job is left as it is and choices do not apply."""
    if policy not in POLICIES:
        raise PackageError(f"Unknown merge policy {policy!r}; use one of {', '.join(POLICIES)}.")
    choices = dict(choices or {})
    bad = sorted({side for side in choices.values() if side not in SIDES})
    if bad:
        raise PackageError(f"Unknown conflict choice {bad[0]!r}; use package or project.")
    comparison = preview.comparison
    for job in preview.jobs:
        comparison.resolve(job.entry.uid, policy if policy in SIDES else None,
                           {} if policy == "replica" else choices)
    conflicts = preview.conflicts()
    open_conflicts = [c for c in conflicts if c["uid"] not in choices]
    if policy == "ask" and open_conflicts:
        for job in preview.jobs:
            project.untrack_job(job.job_id)
        shown = "; ".join(f"job {c['job']} frame {c['frame']} {c['kind']} {c['uid'][:8]}: {c['what']}"
                          for c in open_conflicts[:10])
        more = f" (and {len(open_conflicts) - 10} more)" if len(open_conflicts) > 10 else ""
        raise MergeConflictsError(
            f"{preview.path.name} conflicts with changes made in the project: {len(open_conflicts)} object(s) "
            f"changed on both sides: {shown}{more}. Nothing was merged; choose --policy package, project or "
            "replica.")
    manifest = preview.manifest
    report: dict[str, Any] = {"package": manifest.package_id, "file": preview.path.name, "policy": policy,
                              "merged": now_iso(), "jobs": []}
    try:
        save_snapshot(project, manifest.package_id, [job.job_id for job in preview.jobs])  # for undo
        package = _open_package(preview.path)
        try:
            with project.transaction():
                fieldwork.release(project, manifest.package_id)
                for job in preview.jobs:
                    job_conflicts = [c for c in conflicts if c["job"] == job.job_id]
                    report["jobs"].append(_apply_job(project, package, preview.path, job, policy, choices,
                                                     job_conflicts, manifest.package_id))
        except BaseException:
            discard_snapshot(manifest.package_id)
            raise
        finally:
            package.close()
    finally:
        for job in preview.jobs:
            project.untrack_job(job.job_id)
    report["totals"] = {key: sum(j["counts"][key] for j in report["jobs"]) for key in report["jobs"][0]["counts"]}
    preview.close()
    return report


_RESOLVED = {"package": "package version kept", "project": "project version kept",
             "replica": "package in the replica job"}


def _apply_job(project: Project, package: Project, path: Path, job: JobMerge, policy: str,
               choices: Mapping[str, str], conflicts: list[dict[str, Any]], package_id: str) -> dict[str, Any]:
    """One job's part of the merge's transaction, written chunk by chunk (each chunk's write is checked
    against the job's version, so a write elsewhere meanwhile rolls the whole merge back)."""
    if policy == "replica":
        mode = "replica"
        info = project.job(job.job_id)
        replica = project.create_job(info.task_id, JobType.CONSENSUS_REPLICA, info.frame_list(), parent_id=job.job_id)
        for chunk in _package_chunks(package, path, job):
            project.add_annotations(replica.id, chunk)  # new ids and uids
    elif job.fast_forward:
        mode = "fast-forward"
        project.clear_annotations(job.job_id)
        for chunk in _package_chunks(package, path, job):
            project.add_annotations(job.job_id, chunk, keep_uids=True)  # new ids
    else:
        mode = "three-way"
        gone = job.comparison.removals(job.entry.uid)
        project.delete_annotations(job.job_id, shape_ids=gone["shape"], track_ids=gone["track"],
                                   tag_ids=gone["tag"])
        for chunk in _package_chunks(package, path, job):
            take = job.comparison.to_take(job.entry.uid, (o.uid for o in _objects(chunk)))
            if take:
                project.add_annotations(job.job_id, _group([o for o in _objects(chunk) if o.uid in take]),
                                        keep_uids=True)
    counts = job.plan.counts()
    for conflict in conflicts:
        side = policy if policy == "replica" else choices.get(conflict["uid"], policy)
        conflict["resolved"] = _RESOLVED[side]
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


def merge_package(project: Project, path: str | Path, policy: str = "ask",
                  choices: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Verify, compare and apply in one call (the CLI's ``fieldmark package merge``)."""
    preview = prepare_merge(project, path)
    try:
        return apply_merge(project, preview, policy, choices)
    finally:
        preview.close()
