"""Model files: the errors, the change event and the checks the model manager and its download share.

Kept apart from :mod:`app.models.manager` so that :mod:`app.models.download` can use them without an
import circle back into the manager.
"""

from __future__ import annotations

import hashlib
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

from app.core.events import Event
from app.models.catalog import CatalogEntry

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin", ".safetensors")
_CHUNK = 1 << 20


class ModelError(Exception):
    """A model file problem, with a message meant for the user."""


class ModelNotFoundError(ModelError):
    """The named model is not on disk."""


class BrokenModelError(ModelError):
    """The file exists but is not a usable checkpoint (empty, truncated, wrong format, bad checksum)."""


class DownloadCancelled(ModelError):
    """A download was cancelled by the user."""


class UnsafeModelError(ModelError):
    """Loading the file could run code from it, and the user has not said to trust it."""


models_changed: Event[Path] = Event("models_changed")
"""Emitted with the models folder after a checkpoint is added, removed, downloaded or trusted."""


@dataclass
class VerifyResult:
    """Outcome of :meth:`ModelManager.verify`.

    ``status`` is ``ok`` (checksum matches), ``unverified`` (readable, no published checksum),
    ``mismatch``, ``broken`` or ``missing``.
    """

    name: str
    path: Path | None
    status: str
    sha256: str | None = None
    expected: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "unverified")


@dataclass
class InstalledModel:
    name: str
    path: Path
    size: int
    entry: CatalogEntry | None


def sha256_of(path: Path, cancel: threading.Event | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled(f"checksum of {path} cancelled")
            digest.update(chunk)
    return digest.hexdigest()


def check_readable(path: Path) -> None:
    """Cheap structural check of a checkpoint file; raises :class:`BrokenModelError` with the reason.

    PyTorch checkpoints are zip archives (``torch.save`` since 1.6) or raw pickles; a truncated
    download loses the zip's central directory, which :func:`zipfile.is_zipfile` detects.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise BrokenModelError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if size == 0:
        raise BrokenModelError(f"{path}: the file is empty (an interrupted download?); delete it and add it again")
    if path.suffix.lower() in (".pt", ".pth", ".ckpt"):
        if head.startswith(b"PK"):
            if not zipfile.is_zipfile(path):
                raise BrokenModelError(
                    f"{path}: the checkpoint archive is truncated or damaged (an interrupted download?); "
                    "replace it with a complete copy")
        elif not head.startswith(b"\x80"):
            raise BrokenModelError(f"{path}: not a PyTorch checkpoint (neither a torch zip archive nor a pickle)")
    elif path.suffix.lower() == ".safetensors":
        header_end = 8 + int.from_bytes(head.ljust(4, b"\0"), "little")
        if size < 9 or header_end > size:
            raise BrokenModelError(f"{path}: the safetensors file is truncated or damaged (an interrupted "
                                   "download?); replace it with a complete copy")


