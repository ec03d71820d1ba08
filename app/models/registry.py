"""Registered models and auto-annotation functions, persisted as JSON in the config folder.

A registration gives a model or a CVAT auto-annotation function a name once (file or module,
parameters), so the Automatic annotation dialog, the Detectors tab and the CLI list it, like CVAT's
model list. Writes are atomic (temp file + ``os.replace``).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app import paths

KINDS = ("function-file", "function-module", "model")
SCHEMA_VERSION = 1


class RegistryError(ValueError):
    """The registry file or an entry is invalid."""


@dataclass
class Registration:
    """One registered model or function.

    ``kind`` is ``function-file`` (``target`` = path of a .py file), ``function-module`` (``target`` =
    importable module name) or ``model`` (``target`` = checkpoint name or path, run through the built-in
    YOLO / torchvision adapters). ``params`` are ``name=type:value`` strings as cvat-cli's ``-p``.
    """

    name: str
    kind: str
    target: str
    params: list[str] = field(default_factory=list)
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise RegistryError(f"registration {self.name!r}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not self.name.strip():
            raise RegistryError("a registration needs a non-empty name")


def registry_path() -> Path:
    return paths.config_dir() / "models.json"


class Registry:
    """The list of registrations stored in ``path`` (default: ``<config dir>/models.json``)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or registry_path()
        self._items: dict[str, Registration] = {}
        self.reload()

    def reload(self) -> None:
        self._items = {}
        if not self.path.exists():
            return
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            entries = raw.get("registrations", [])
            for entry in entries:
                item = Registration(**entry)
                self._items[item.name] = item
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise RegistryError(f"{self.path}: cannot read the model registry ({exc})") from exc

    def __iter__(self):
        return iter(sorted(self._items.values(), key=lambda r: r.name.lower()))

    def __len__(self) -> int:
        return len(self._items)

    def get(self, name: str) -> Registration | None:
        return self._items.get(name)

    def add(self, registration: Registration, *, replace: bool = False) -> None:
        if registration.name in self._items and not replace:
            raise RegistryError(f"a model or function named {registration.name!r} is already registered")
        self._items[registration.name] = registration
        self._save()

    def remove(self, name: str) -> None:
        if self._items.pop(name, None) is None:
            raise RegistryError(f"nothing named {name!r} is registered")
        self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"schema_version": SCHEMA_VERSION, "registrations": [asdict(r) for r in self]}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".models-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
        os.replace(tmp, self.path)
