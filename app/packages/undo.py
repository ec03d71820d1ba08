"""Undoing a merge: before a merge commits, each job's annotations as they were are saved to a snapshot file
in this workstation's data folder (``merge-undo/<package id>.fmproj``, an ordinary project file); undo
puts them back in one transaction, gives the package its jobs again (so it can be merged anew) and drops
a replica the merge made. Refused when a job changed after the merge (that work would be lost).

The snapshot lives on the workstation that merged: undo is offered there.
"""

from __future__ import annotations

from pathlib import Path

from app import paths
from app.domain.project import FrameInfo
from app.packages import fieldwork
from app.packages.manifest import PackageError
from app.packages.stream import read_job
from app.storage.errors import ProjectError
from app.storage.store import Project

MERGED_KEYS = ("merged", "mode", "counts", "after_version", "replica_job")


def snapshot_path(package_id: str) -> Path:
    return paths.data_dir() / "merge-undo" / f"{package_id}.fmproj"


def save_snapshot(project: Project, package_id: str, job_ids: list[int]) -> Path:
    """Write the jobs' current annotations to the package's snapshot file (replacing an older one)."""
    from app.packages.export import copy_labels

    path = snapshot_path(package_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    discard_snapshot(package_id)
    snapshot = Project.create(path, name=f"before merging {package_id}")
    try:
        copy_labels(project, snapshot)
        for job_id in job_ids:
            size = len(project.frames(project.job(job_id).task_id))
            task = snapshot.create_task(f"job {job_id}", [FrameInfo(i, str(i), 1, 1) for i in range(size)])
            snapshot.update_task_options(task.id, {"job_id": job_id})
            snapshot_job = snapshot.jobs(task.id)[0].id
            for _range, chunk in read_job(project, job_id, project.job(job_id).frame_list()):  # bounded memory
                snapshot.add_annotations(snapshot_job, chunk, keep_uids=True)
    except BaseException:
        snapshot.close()
        discard_snapshot(package_id)
        raise
    snapshot.close()
    return path


def discard_snapshot(package_id: str) -> None:
    path = snapshot_path(package_id)
    for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _merged_jobs(project: Project, package_id: str) -> list[tuple[int, dict]]:
    out = []
    for job in project.jobs():
        record = job.options.get(fieldwork.RECORDS, {}).get(package_id)
        if record and record.get("merged"):
            out.append((job.id, record))
    return out


def undo_merge(project: Project, package_id: str) -> list[int]:
    """Put the jobs merged from ``package_id`` back as they were before the merge; returns their ids."""
    jobs = _merged_jobs(project, package_id)
    if not jobs:
        raise PackageError(f"No job of {project.location.display} has a merge of package {package_id} to undo.")
    for job_id, record in jobs:
        if project.job(job_id).revision != record.get("after_version"):
            raise PackageError(f"Job {job_id} was changed after the merge; undoing it would lose that work. "
                               "Nothing was changed.")
    path = snapshot_path(package_id)
    if not path.is_file():
        raise PackageError(f"The undo data of package {package_id} is not on this workstation ({path}); undo the "
                           "merge where it was made.")
    try:
        snapshot = Project.open(path, read_only=True)
    except ProjectError as exc:
        raise PackageError(f"The undo data {path} cannot be read ({exc}).") from exc
    try:
        saved = {int(t.options["job_id"]): (snapshot.jobs(t.id)[0].id, len(snapshot.frames(t.id)))
                 for t in snapshot.tasks()}
        with project.transaction():
            fieldwork.check_free(project, [j for j, _ in jobs])
            for job_id, record in jobs:
                if "replica_job" in record:
                    project.delete_job(int(record["replica_job"]))
                project.clear_annotations(job_id)
                snapshot_job, size = saved[job_id]
                for _range, chunk in read_job(snapshot, snapshot_job, range(size)):  # bounded memory
                    project.add_annotations(job_id, chunk, keep_uids=True)
                _unmark(project, job_id, package_id)
            fieldwork.lease_for_package(project, [j for j, _ in jobs], package_id)
    finally:
        snapshot.close()
    discard_snapshot(package_id)
    return [j for j, _ in jobs]


def _unmark(project: Project, job_id: int, package_id: str) -> None:
    """The job's record of the package: the merge undone (its merge keys dropped)."""
    options = project.job(job_id).options
    entry = {k: v for k, v in options[fieldwork.RECORDS][package_id].items() if k not in MERGED_KEYS}
    options[fieldwork.RECORDS][package_id] = {**entry, "merge_undone": True}
    project.update_job(job_id, options=options)
