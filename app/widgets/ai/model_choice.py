"""What the user can run: registered functions/models and installed checkpoints, loaded off-thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.models.functions import load_registered, require_detection
from app.models.manager import ModelManager
from app.models.registry import Registration, Registry, RegistryError


@dataclass(frozen=True)
class Choice:
    title: str
    registration: Registration


def available(registry: Registry | None, manager: ModelManager) -> list[Choice]:
    choices: list[Choice] = []
    names = set()
    if registry is not None:
        for item in registry:
            choices.append(Choice(item.name, item))
            names.add(item.target)
    for model in manager.installed():
        if str(model.path) in names or (model.entry is not None and model.entry.family == "sam2"):
            continue  # registered already, or a SAM checkpoint (an interactor, not a detector)
        choices.append(Choice(model.name, Registration(model.name, "model", str(model.path))))
    return choices


def load_choice(choice: Choice, extra: dict[str, Any] | None = None) -> Any:
    """Load (in a worker thread) the detection function for a choice."""
    return require_detection(load_registered(choice.registration, extra), choice.title)


def safe_registry() -> Registry | None:
    try:
        return Registry()
    except RegistryError:
        return None
