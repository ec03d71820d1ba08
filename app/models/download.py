"""Download an official checkpoint into the models folder, on explicit request only.

Each network wait has a timeout, progress is reported per chunk, a cancel event stops it, and the file
appears only once complete (and verified where a checksum is known).
"""

from __future__ import annotations

import os
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from app.models import catalog
from app.models.catalog import CatalogEntry
from app.models.model_files import (
    _CHUNK,
    BrokenModelError,
    DownloadCancelled,
    ModelError,
    ModelNotFoundError,
    check_readable,
    sha256_of,
)


class _Folder(Protocol):
    """What a download needs of the model manager (a protocol, so this module does not import it)."""

    root: Path

    def path_for(self, entry: CatalogEntry) -> Path: ...

    def notify(self) -> None: ...


def download(
    manager: _Folder,
    name: str,
    *,
    timeout: float = 30.0,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    opener: Callable[..., object] = urllib.request.urlopen,
) -> Path:
    """Download catalog checkpoint ``name`` into ``manager.root``; see :meth:`ModelManager.download`."""
    entry = catalog.find(name)
    if entry is None:
        raise ModelNotFoundError(f"{name!r} is not a known checkpoint; known: "
                                 + ", ".join(e.name for e in catalog.CATALOG))
    manager.root.mkdir(parents=True, exist_ok=True)
    target = manager.path_for(entry)
    fd, tmp_name = tempfile.mkstemp(dir=manager.root, prefix=".download-", suffix=entry.filename)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            _fetch(entry, out, timeout, progress, cancel, opener)
        check_readable(tmp)
        if entry.sha256 and sha256_of(tmp) != entry.sha256:
            raise BrokenModelError(f"downloaded {entry.filename} does not match its published checksum")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    manager.notify()
    return target


def _fetch(entry: CatalogEntry, out, timeout, progress, cancel, opener) -> None:
    try:
        response = opener(entry.url, timeout=timeout)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ModelError(f"cannot download {entry.name} from {entry.url} ({exc}); the network may be off: "
                         f"copy {entry.filename} into the models folder by hand") from exc
    with response:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        while True:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled(f"download of {entry.name} cancelled")
            try:
                chunk = response.read(_CHUNK)
            except (OSError, TimeoutError) as exc:
                raise ModelError(f"download of {entry.name} failed after {done} bytes ({exc})") from exc
            if not chunk:
                break
            out.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    if total and done != total:
        raise ModelError(f"download of {entry.name} stopped at {done} of {total} bytes")
