"""Where the subsets of a dataset go when it is imported into an existing project.

CVAT has two imports: a dataset imported into a *project* becomes one task per subset, and annotations
uploaded to a *task* all go into that task whatever their subsets. Fieldmark follows both:

- **Into the project** (no task or job named, the project already has tasks): each part of the dataset
  (a subset; in a project export, a task of the file) goes to the existing task with that subset — and,
  when several tasks share it, the one with the part's name — with frames matched by name; a part that no
  task matches becomes a new task, as a new-project import would make it. A dataset of one part keeps the
  old rule when the project has one task (it goes into that task); otherwise it is matched the same way.
- **Into a named task or job**: everything goes there; when the dataset has several subsets a notice names
  the subsets that were merged.
"""

from __future__ import annotations

from dataclasses import replace

from app.domain.project import TaskInfo
from app.formats.dataset import Dataset, DatasetPart, dataset_parts, split_annotations
from app.storage.errors import ProjectError

_NO_SUBSET = ("", "default")  # CVAT writes "default" for frames without a subset


def _subset(name: str) -> str:
    return "" if name in _NO_SUBSET else name


def applies(dataset: Dataset, tasks: list[TaskInfo], *, task: object, job: object, new_task: bool) -> bool:
    """Whether an import without a named target is split by subset (see the module doc)."""
    if task is not None or job is not None or new_task or not tasks:
        return False
    parts = dataset_parts(dataset)
    return len(parts) > 1 or (len(tasks) > 1 and _subset(parts[0].subset) != "")


def match(tasks: list[TaskInfo], part: DatasetPart, parts: list[DatasetPart]) -> TaskInfo | None:
    """The existing task that receives ``part`` (None: create one). Tasks with the part's subset are candidates;
    when there are several, or several parts share the subset, the one named as the part is taken."""
    subset = _subset(part.subset)
    candidates = [t for t in tasks if _subset(t.subset) == subset] if subset else []
    shared = sum(1 for p in parts if _subset(p.subset) == subset) > 1
    if not subset or len(candidates) > 1 or shared:
        candidates = [t for t in (candidates if subset else tasks) if t.name == part.name]
    if len(candidates) > 1:
        listed = ", ".join(f"{t.id} ({t.name!r})" for t in candidates)
        raise ProjectError(f"tasks {listed} all match subset {part.subset!r} of the dataset; import into one of "
                           "them with --task (everything then goes into that task)")
    return candidates[0] if candidates else None


def split(dataset: Dataset) -> list[tuple[DatasetPart, Dataset]]:
    """The dataset as one dataset per part, frames renumbered 0..n-1 (consumes ``dataset.annotations``)."""
    parts = dataset_parts(dataset)
    files = dataset.meta.get("image_files") or [None] * len(dataset.frames)
    meta = {k: v for k, v in dataset.meta.items() if k not in ("warnings", "image_files", "name", "subsets")}
    out = []
    for part, ann in zip(parts, split_annotations(dataset.annotations, parts)):
        frames = [replace(dataset.frames[i], index=k) for k, i in enumerate(part.indices)]
        out.append((part, Dataset(labels=dataset.labels, frames=frames, annotations=ann,
                                  meta={**meta, "name": part.name or part.subset,
                                        "image_files": [files[i] for i in part.indices]})))
    return out


def merged_notice(dataset: Dataset, task_name: str) -> str | None:
    """The notice of an import into one named task of a dataset with several subsets (None when it has one)."""
    subsets = list(dict.fromkeys(_subset(f.subset) or "(none)" for f in dataset.frames))
    if len(subsets) < 2:
        return None
    return (f"the dataset's subsets {', '.join(repr(s) for s in subsets)} were all imported into task "
            f"{task_name!r}; import into the project without a task to get one task per subset")
