"""Which auto-annotation run a new run is: a fresh one, the continuation of an unfinished one, or a
refused duplicate (Qt-free; the CLI and the GUI dialog both use it).

A run is identified by its *key*: the function (file, module or model, with its parameters) and the
options that change its output (threshold, masks to polygons, unmatched labels, label mapping). The
project records every run and the frames it finished (:mod:`app.storage.store_runs`, written in the
same transaction as the frames' annotations by :class:`app.models.writer.AutoAnnotationRun`).

Rules (:func:`prepare_run`):

- ``resume``: continue the newest unfinished run of the task with the same key, skipping its finished
  frames; its ``clear_existing`` choice is kept. No unfinished run: a fresh run starts.
- no ``resume`` and the task has an unfinished run: refused (:class:`RunConflict`) instead of
  annotating its frames a second time, unless ``clear_existing`` (which removes the task's
  annotations anyway); the unfinished runs are marked ``superseded`` by the new run's first batch
  (same transaction), so a new run that fails before writing anything leaves them resumable.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.models.runner import RunOptions, WorkItem

if TYPE_CHECKING:
    from app.storage.store import Project
    from app.storage.store_runs import RunInfo


class RunConflict(ValueError):
    """The run cannot start as asked (an unfinished run exists, or --resume finds another function)."""


def run_key(function: str, params: dict[str, Any] | None, options: RunOptions) -> str:
    """The identity of a run as JSON text: same text, same run."""
    mapping = options.mapping.to_cvat() if options.mapping is not None else None
    return json.dumps({"function": function, "params": params or {}, "conf_threshold": options.conf_threshold,
                       "conv_mask_to_poly": options.conv_mask_to_poly,
                       "allow_unmatched_labels": options.allow_unmatched_labels, "mapping": mapping},
                      sort_keys=True, default=str)


@dataclass
class PreparedRun:
    """A run ready to go: its id, the items still to do and what earlier sessions already finished."""

    run_id: int
    items: list[WorkItem]
    resumed: bool = False
    clear_existing: bool = False
    finished: dict[int, set[int]] = field(default_factory=dict)  # job id -> frames done before
    supersedes: list[int] = field(default_factory=list)  # unfinished runs a clear_existing run replaces

    @property
    def frames_before(self) -> int:
        return sum(len(f) for f in self.finished.values())

    def note(self) -> str:
        if not self.resumed:
            return f"run #{self.run_id}"
        return (f"resuming run #{self.run_id}: {self.frames_before} frames already done, "
                f"{len(self.items)} to go")


def unfinished_run(project: Project, task_id: int) -> RunInfo | None:
    runs = project.runs(task_id, unfinished=True)
    return runs[0] if runs else None


def conflict_message(run: RunInfo) -> str:
    return (f"the task has an unfinished auto-annotation {run.summary()}; continue it (--resume, or Continue in "
            "the dialog) with the same function and options, or start over with --clear-existing (Clean old "
            "annotations), which removes the task's annotations")


def prepare_run(project: Project, task_id: int, items: Sequence[WorkItem], key: str, description: str, *,
                resume: bool, clear_existing: bool) -> PreparedRun:
    """Start or continue a run (see the module docstring). Raises :class:`RunConflict`."""
    pending = unfinished_run(project, task_id)
    if resume and clear_existing:
        raise RunConflict("--resume continues a run as it was started; do not combine it with --clear-existing")
    if resume and pending is not None:
        match = next((r for r in project.runs(task_id, unfinished=True) if r.key == key), None)
        if match is None:
            raise RunConflict(f"cannot resume: the unfinished {pending.summary()} used another function or other "
                              "options; run it with the same ones, or start over with --clear-existing")
        finished: dict[int, set[int]] = {}
        for item in items:
            if item.frame in match.frames:
                finished.setdefault(item.job_id, set()).add(item.frame)
        project.set_run_state(match.id, "running")
        todo = [item for item in items if item.frame not in match.frames]
        return PreparedRun(match.id, todo, True, bool(match.options.get("clear_existing")), finished)
    if pending is not None and not resume and not clear_existing:
        raise RunConflict(conflict_message(pending))
    older = [r.id for r in project.runs(task_id, unfinished=True)] if clear_existing else []
    run_id = project.start_run(task_id, key, description, {"clear_existing": clear_existing}, len(items))
    return PreparedRun(run_id, list(items), False, clear_existing, supersedes=older)


def registration_identity(registration: Any) -> tuple[str, dict[str, Any]]:
    """A registered function or model as a run names it (the same as the CLI for the same file/module)."""
    from pathlib import Path

    from app.models.functions import parse_params

    prefix = {"function-file": "file", "function-module": "module"}.get(registration.kind, "model")
    target = str(Path(registration.target).resolve()) if prefix == "file" else registration.target
    return f"{prefix}:{target}", parse_params(registration.params or [])


def key_options(key: str) -> dict[str, Any]:
    """The options recorded in a run key (to continue a run with them)."""
    return json.loads(key)
