"""The manifest of a field package: what was exported from where, at which version, and the media it carries.

It is stored as JSON inside the package (table ``package_meta``) with a SHA-256 of its own text and of
the export base, so a changed or damaged manifest is told apart from a package edited on a laptop
(the package's annotations change there; its manifest, base and media never do).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

FORMAT = "fieldmark-package"
FORMAT_VERSION = 1  # bumped when a package can no longer be read by an older Fieldmark
PACKAGE_SUFFIX = ".fmpkg"


class PackageError(Exception):
    """A package cannot be exported, opened or merged as asked; the message is written for the user."""


@dataclass
class PackagedJob:
    """One job of a package: its uid (the same as the source job's), where it came from and its base."""

    uid: str
    source_job_id: int
    source_task_uid: str
    task_name: str
    base_version: int  # the job's revision at export
    assignee: str
    frame_count: int
    # SHA-256 of the job's frame list (package frame i = the job's i-th frame). The list itself stays in the
    # project: with honeypots, it would tell which frames are validation frames.
    frames_sha256: str
    package_job_id: int = 0


@dataclass
class MediaEntry:
    name: str  # the key in the package's media table and the file name once unpacked
    sha256: str
    size: int


@dataclass
class Manifest:
    package_id: str
    project_uid: str
    project_name: str
    schema_revision: str
    label_schema: str  # SHA-256 of the label schema (labels, sublabels, attribute specs)
    created: str
    tool_version: str
    exported_by: str
    jobs: list[PackagedJob] = field(default_factory=list)
    media: list[MediaEntry] = field(default_factory=list)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, where: str) -> Manifest:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PackageError(f"{where}: the package manifest is not valid JSON ({exc}).") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise PackageError(f"{where} is not a Fieldmark field package (its manifest has no package format).")
        version = data.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise PackageError(
                f"{where} was written by a newer Fieldmark (package format {version}, this one reads "
                f"{FORMAT_VERSION}); update Fieldmark to merge it."
            )
        try:
            jobs = [PackagedJob(**job) for job in data.pop("jobs")]
            media = [MediaEntry(**entry) for entry in data.pop("media")]
            return cls(jobs=jobs, media=media, **data)
        except (KeyError, TypeError) as exc:
            raise PackageError(f"{where}: the package manifest is incomplete or damaged ({exc}).") from exc

    def job(self, uid: str) -> PackagedJob:
        for job in self.jobs:
            if job.uid == uid:
                return job
        raise PackageError(f"The package {self.package_id} has no job {uid}.")


def frames_digest(frames: list[int]) -> str:
    return hashlib.sha256(json.dumps([int(f) for f in frames]).encode()).hexdigest()


def describe(manifest: Manifest) -> dict[str, Any]:
    """A short summary (for `fieldmark package info` and the dialogs)."""
    return {
        "package": manifest.package_id,
        "project": f"{manifest.project_name} ({manifest.project_uid})",
        "created": manifest.created,
        "by": manifest.exported_by,
        "jobs": [
            {"job": j.source_job_id, "task": j.task_name, "frames": j.frame_count, "base version": j.base_version,
             "assignee": j.assignee}
            for j in manifest.jobs
        ],
        "media files": len(manifest.media),
        "media bytes": sum(m.size for m in manifest.media),
    }
