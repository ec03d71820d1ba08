"""Licences the user has accepted for model weights, kept as JSON in the models folder.

SAM 3's weights are under Meta's SAM License; the user accepts it once (CLI flag or a dialog quoting
its name) and the acceptance is recorded with the SHA-256 and name of the file it came with and the
time. Writes are atomic (temp file + ``os.replace``).
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from app.models.model_files import ModelError

LICENCE_NAME = "SAM License"
LICENCE_FILE = "licences.json"


class LicenceStore:
    """``{licence name: {"sha256", "file", "accepted_at"}}`` in ``<models folder>/licences.json``."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LICENCE_FILE

    def entries(self) -> dict[str, dict[str, str]]:
        if not self.path.exists():
            return {}
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))["accepted"]
            if not isinstance(entries, dict):
                raise TypeError("'accepted' is not an object")
            return entries
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise ModelError(f"{self.path}: cannot read the accepted licences ({exc})") from exc

    def accepted(self, licence: str) -> bool:
        return licence in self.entries()

    def accept(self, licence: str, sha256: str, file: str) -> None:
        entries = self.entries()
        entries[licence] = {"sha256": sha256, "file": file,
                            "accepted_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".licences-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"schema_version": 1, "accepted": entries}, handle, indent=2)
        os.replace(tmp, self.path)
