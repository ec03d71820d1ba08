"""Which objects of a job are hidden, locked or pinned: view state, not annotations (exports and other users do
not see it), kept per user and job so that it survives closing the job. CVAT keeps it in the browser
and loses it on reload; here it is a small JSON file per project in the user's config folder.

Qt-free. A damaged file is ignored (the flags start empty), never an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from app import paths

log = logging.getLogger(__name__)
ObjectKey = tuple[str, int]


def _file(project_path: str | Path) -> Path:
    """The flags file of a project: ``project_path`` is its file or, for a team project, its URL."""
    place = str(project_path) if "://" in str(project_path) else str(Path(project_path).resolve())
    digest = hashlib.sha1(place.encode()).hexdigest()[:16]
    return paths.config_dir() / "view-state" / f"{digest}.json"


def _read(file: Path) -> dict:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _keys(items: object) -> set[ObjectKey]:
    out: set[ObjectKey] = set()
    for item in items if isinstance(items, list) else []:
        if isinstance(item, list) and len(item) == 2 and item[0] in ("shape", "track") and isinstance(item[1], int):
            out.add((item[0], item[1]))
    return out


FLAGS = ("hidden", "locked", "pinned")


def load(project_path: str | Path, job_id: int) -> dict[str, set[ObjectKey]]:
    """The job's flags as last saved: ``{"hidden": keys, "locked": keys, "pinned": keys}``."""
    job = _read(_file(project_path)).get(str(job_id), {})
    if not isinstance(job, dict):
        job = {}
    return {flag: _keys(job.get(flag)) for flag in FLAGS}


def save(project_path: str | Path, job_id: int, flags: dict[str, set[ObjectKey]]) -> None:
    """Write the job's flags (atomically: a crash leaves the old file)."""
    file = _file(project_path)
    data = _read(file)
    data["project"] = str(project_path)
    data[str(job_id)] = {flag: sorted(map(list, flags.get(flag, set()))) for flag in FLAGS}
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, file)
    except OSError as exc:
        log.warning("hide/lock state of job %s not saved: %s", job_id, exc)
