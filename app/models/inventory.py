"""Everything in the Models list: registered functions/models, checkpoint files in the models folder
(detectors and SAM 2 alike) and models placed in the offline Hugging Face cache."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.models import hf_cache
from app.models.manager import ModelManager
from app.models.registry import Registration, Registry


@dataclass(frozen=True)
class ModelEntry:
    """One row. ``kind`` is ``registered``, ``checkpoint`` or ``huggingface``; ``role`` says what it is
    used for; ``registration`` is set for rows that can run as detectors (registered, detector files)."""

    title: str
    kind: str
    role: str
    target: str
    registration: Registration | None = None
    path: Path | None = None
    repo_id: str | None = None

    def describe(self) -> str:
        params = " ".join(self.registration.params) if self.registration and self.kind == "registered" else ""
        return f"{self.title}  [{self.role}]  {self.target} {params}".rstrip()


def inventory(registry: Registry | None, manager: ModelManager) -> list[ModelEntry]:
    rows: list[ModelEntry] = []
    registered_targets = set()
    for item in registry or []:
        rows.append(ModelEntry(item.name, "registered", item.kind, item.target, registration=item))
        registered_targets.add(item.target)
    for model in manager.installed():
        if str(model.path) in registered_targets:
            continue
        is_sam = (model.entry is not None and model.entry.family == "sam2") or model.path.name.startswith("sam2")
        role = "SAM 2: interactors, trackers" if is_sam else "detector"
        registration = None if is_sam else Registration(model.name, "model", str(model.path))
        rows.append(ModelEntry(model.name, "checkpoint", role, str(model.path), registration, model.path))
    for placed in hf_cache.placed(manager.root):
        rows.append(ModelEntry(placed.repo_id, "huggingface", "Hugging Face cache (offline)",
                               ", ".join(placed.files), path=placed.folder, repo_id=placed.repo_id))
    return rows
