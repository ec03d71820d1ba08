"""Media errors; messages name every offending file."""

from __future__ import annotations

from pathlib import Path


class MediaError(Exception):
    """One or more media files cannot be read."""

    def __init__(self, message: str, files: list[Path] | None = None) -> None:
        super().__init__(message)
        self.files = files or []
