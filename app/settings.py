"""User preferences: a typed schema with defaults in one place, stored as JSON in the config dir.

Window geometry and dock layout are kept by the GUI in QSettings; everything else lives here so the
CLI and headless code read the same values. Writes are atomic (temp file + ``os.replace``).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from app import paths

SCHEMA_VERSION = 1
MAX_RECENT = 10


@dataclass
class Preferences:
    recent_projects: list[str] = field(default_factory=list)
    fill_opacity: float = 0.3
    prefetch_frames: int = 4
    frame_cache_mib: int = 512
    device: str = "auto"  # "auto" | "cpu" | "cuda"
    torch_threads: int = 1
    shortcuts: dict[str, str] = field(default_factory=dict)  # action id -> key sequence overrides
    welcome_shown: bool = False
    tool_options: dict[str, Any] = field(default_factory=dict)  # brush size, propagate count (app.widgets.tool_memory)
    # Quality reports may use a GT job that is not yet accepted/completed (CVAT's rule says no): one
    # choice shared by the project window's reports and the job window's quality panel.
    quality_allow_unfinished_gt: bool = False

    def add_recent(self, path: str | Path) -> None:
        """A project file (stored resolved) or a team project URL (stored as given: it never holds a password)."""
        path = str(path) if "://" in str(path) else str(Path(path).resolve())
        self.recent_projects = [path] + [p for p in self.recent_projects if p != path]
        del self.recent_projects[MAX_RECENT:]


def settings_path() -> Path:
    override = os.environ.get("FIELDMARK_SETTINGS")
    return Path(override) if override else paths.config_dir() / "settings.json"


def load() -> Preferences:
    path = settings_path()
    try:
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Preferences()
    known = {f.name for f in fields(Preferences)}
    return Preferences(**{k: v for k, v in raw.items() if k in known})


def save(prefs: Preferences) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"schema_version": SCHEMA_VERSION, **asdict(prefs)}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".settings-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    os.replace(tmp, path)


def update(**changes: Any) -> Preferences:
    """Load, change the named fields, save: keeps what other windows saved meanwhile."""
    prefs = load()
    for name, value in changes.items():
        if name not in Preferences.__dataclass_fields__:
            raise KeyError(f"no preference {name!r}")
        setattr(prefs, name, value)
    save(prefs)
    return prefs
