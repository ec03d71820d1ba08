"""Checkpoints the user has said to trust, by SHA-256, kept as JSON in the models folder.

A trusted file may be handed to a library whose loader runs code from it (see
:mod:`app.models.checkpoint_scan`). Trust is tied to the exact bytes: a changed file is no longer
trusted. Writes are atomic (temp file + ``os.replace``).
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

TRUST_FILE = "trusted.json"


class TrustStoreError(ValueError):
    """The trust file cannot be read."""


class TrustStore:
    """``{sha256: {"name": file name, "trusted_at": ISO time}}`` in ``<folder>/trusted.json``."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / TRUST_FILE

    def _read(self) -> dict[str, dict[str, str]]:
        if not self.path.exists():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            entries = raw["trusted"]
            if not isinstance(entries, dict):
                raise TypeError("'trusted' is not an object")
            return entries
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise TrustStoreError(f"{self.path}: cannot read the list of trusted checkpoints ({exc})") from exc

    def contains(self, sha256: str) -> bool:
        return sha256 in self._read()

    def entries(self) -> dict[str, dict[str, str]]:
        return dict(self._read())

    def add(self, sha256: str, name: str) -> None:
        entries = self._read()
        entries[sha256] = {"name": name, "trusted_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self._write(entries)

    def remove(self, sha256: str) -> bool:
        entries = self._read()
        if entries.pop(sha256, None) is None:
            return False
        self._write(entries)
        return True

    def _write(self, entries: dict[str, dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".trusted-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"schema_version": 1, "trusted": entries}, handle, indent=2)
        os.replace(tmp, self.path)
