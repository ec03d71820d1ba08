"""What a merge verifies before it reads a single annotation: the package file (readable, complete,
unchanged manifest and media), that it was made for this project, with this label schema and a schema
revision this Fieldmark knows, and that it was not merged already. One clear message per case."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.packages import container, fieldwork
from app.packages.identity import job_by_uid, label_schema_hash, project_uid
from app.packages.manifest import Manifest, PackageError
from app.storage.database import is_known_revision
from app.storage.store import Project


def check_package(project: Project, path: Path,
                  progress: Callable[[int, int], None] | None = None) -> Manifest:
    """The verified manifest of the package at ``path`` for a merge into ``project`` (its export base is
    covered by the manifest's checksum: :func:`container.iter_base` reads it afterwards)."""
    manifest = container.read_manifest(path)
    if not is_known_revision(manifest.schema_revision):
        raise PackageError(f"{path} was made by a newer Fieldmark (schema {manifest.schema_revision}); "
                           "update Fieldmark to merge it.")
    uid = project_uid(project)
    if uid != manifest.project_uid:
        raise PackageError(f"{path} belongs to another project ({manifest.project_name}, {manifest.project_uid}), "
                           f"not to {project.location.display}.")
    if label_schema_hash(project) != manifest.label_schema:
        raise PackageError(f"The labels or attributes of {project.location.display} changed since {path.name} was "
                           "exported; restore them (or merge into a copy made before the change).")
    container.verify(path, manifest, progress)
    for job in manifest.jobs:
        job_id = job_by_uid(project, job.uid)
        if job_id is None:
            raise PackageError(f"Job {job.source_job_id} of {path.name} no longer exists in "
                               f"{project.location.display}; nothing was merged.")
        record = fieldwork.records(project, job_id).get(manifest.package_id, {})
        if record.get("merged"):
            raise PackageError(f"{path.name} was already merged into job {job_id} on {record['merged']}; "
                               "nothing was changed.")
        holder = project.job_lease(job_id)
        if holder is not None and holder.token not in (manifest.package_id, project._lease_token):
            raise PackageError(f"Job {job_id} is being edited by {holder.describe()}; merge when it is closed.")
    return manifest
