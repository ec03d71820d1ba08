"""Model checkpoints on disk: resolve names to files, add local files, verify, download on request.

Checkpoints live in :func:`app.paths.models_dir` (platformdirs cache, or ``$FIELDMARK_HOME/cache/models``).
Nothing here touches the network unless :meth:`ModelManager.download` is called explicitly, and that
call has a timeout. Errors say what to put where.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app import paths
from app.models import catalog
from app.models.catalog import CatalogEntry

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin")
_CHUNK = 1 << 20


class ModelError(Exception):
    """A model file problem, with a message meant for the user."""


class ModelNotFoundError(ModelError):
    """The named model is not on disk."""


class BrokenModelError(ModelError):
    """The file exists but is not a usable checkpoint (empty, truncated, wrong format, bad checksum)."""


class DownloadCancelled(ModelError):
    """A download was cancelled by the user."""


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


class ModelManager:
    """Find, add, verify and download model checkpoints.

    Parameters
    ----------
    root:
        The models folder; defaults to :func:`app.paths.models_dir`.
    registry:
        Optional :class:`app.models.registry.Registry`, so registered ``model`` names resolve too.
    """

    def __init__(self, root: Path | None = None, registry: object | None = None) -> None:
        self.root = Path(root) if root is not None else paths.models_dir()
        self.registry = registry

    # ----------------------------------------------------------------------------------- lookup
    def resolve(self, name_or_path: str | Path) -> Path:
        """The checkpoint file for a catalog name, a registered model name, a file name in the models
        folder or a path. Raises :class:`ModelNotFoundError` / :class:`BrokenModelError` with a message
        saying what to put where."""
        text = str(name_or_path).strip()
        if not text:
            raise ModelNotFoundError("no model given: pass a catalog name (e.g. yolo11n), a file name or a path")
        candidate = Path(text).expanduser()
        if candidate.is_file():
            check_readable(candidate)
            return candidate.resolve()
        entry = catalog.find(text)
        if entry is not None:
            return self._resolve_entry(entry)
        registered = self.registry.get(text) if self.registry is not None else None
        if registered is not None and registered.kind == "model" and registered.target != text:
            return self.resolve(registered.target)
        in_root = self.root / candidate.name
        if in_root.is_file():
            check_readable(in_root)
            return in_root
        if candidate.parent != Path(".") or candidate.suffix:
            raise ModelNotFoundError(
                f"model file {text} does not exist; put it at that path or copy it into {self.root}")
        names = ", ".join(e.name for e in catalog.CATALOG)
        raise ModelNotFoundError(
            f"unknown model {text!r}: use a path to a checkpoint file, a file in {self.root}, a registered "
            f"model, or one of: {names}")

    def path_for(self, entry: CatalogEntry) -> Path:
        return self.root / entry.filename

    def _resolve_entry(self, entry: CatalogEntry) -> Path:
        path = self.path_for(entry)
        if not path.is_file():
            raise ModelNotFoundError(self.missing_message(entry))
        check_readable(path)
        return path

    def missing_message(self, entry: CatalogEntry) -> str:
        return (f"{entry.name} is not installed: download {entry.filename} (about {entry.approx_mb} MB) from "
                f"{entry.url} and put it in {self.root}, or run `fieldmark models add PATH` on a copy you have "
                f"(or `fieldmark models download {entry.name}` where the network allows)")

    def installed(self) -> list[InstalledModel]:
        """Checkpoint files present in the models folder (catalog ones named by their catalog name)."""
        found: list[InstalledModel] = []
        if not self.root.is_dir():
            return found
        for path in sorted(self.root.iterdir()):
            if not path.is_file() or path.suffix.lower() not in CHECKPOINT_SUFFIXES:
                continue
            entry = catalog.find(path.name)
            found.append(InstalledModel(entry.name if entry else path.name, path, path.stat().st_size, entry))
        return found

    # ----------------------------------------------------------------------------------- add / verify
    def add(self, source: str | Path, *, overwrite: bool = False) -> Path:
        """Copy a local checkpoint into the models folder (atomically) and return its new path.

        A file named like a catalog checkpoint with a known checksum must match it."""
        source = Path(source).expanduser()
        if not source.is_file():
            raise ModelNotFoundError(f"{source}: no such file")
        check_readable(source)
        entry = catalog.find(source.name)
        if entry is not None and entry.sha256:
            actual = sha256_of(source)
            if actual != entry.sha256:
                raise BrokenModelError(
                    f"{source}: SHA-256 {actual} does not match the official {entry.filename} ({entry.sha256})")
        target = self.root / source.name
        if target.exists() and not overwrite:
            if target.resolve() == source.resolve():
                return target
            raise ModelError(f"{target} already exists; remove it first or add with overwrite")
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".adding-", suffix=source.suffix)
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        return target

    def verify(self, name_or_path: str | Path) -> VerifyResult:
        """Check a model file: present, structurally sound, and matching its published checksum."""
        name = str(name_or_path)
        try:
            path = self.resolve(name_or_path)
        except ModelNotFoundError as exc:
            return VerifyResult(name, None, "missing", message=str(exc))
        except BrokenModelError as exc:
            return VerifyResult(name, None, "broken", message=str(exc))
        entry = catalog.find(path.name)
        actual = sha256_of(path)
        if entry is None or not entry.sha256:
            return VerifyResult(name, path, "unverified", actual, None,
                                f"{path.name}: readable; no published checksum to compare (SHA-256 {actual})")
        if actual != entry.sha256:
            return VerifyResult(name, path, "mismatch", actual, entry.sha256,
                                f"{path}: SHA-256 {actual} does not match the official {entry.sha256}; "
                                f"download it again from {entry.url}")
        return VerifyResult(name, path, "ok", actual, entry.sha256, f"{path.name}: checksum OK")

    # ----------------------------------------------------------------------------------- download
    def download(
        self,
        name: str,
        *,
        timeout: float = 30.0,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
        opener: Callable[..., object] = urllib.request.urlopen,
    ) -> Path:
        """Download a catalog checkpoint into the models folder, on explicit request only.

        ``timeout`` bounds each network wait; ``progress(done_bytes, total_bytes)`` is called per
        chunk (total 0 when unknown); setting ``cancel`` stops it. The file appears only once complete
        (and verified where a checksum is known)."""
        entry = catalog.find(name)
        if entry is None:
            raise ModelNotFoundError(f"{name!r} is not a known checkpoint; known: "
                                     + ", ".join(e.name for e in catalog.CATALOG))
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.path_for(entry)
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".download-", suffix=entry.filename)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                self._fetch(entry, out, timeout, progress, cancel, opener)
            check_readable(tmp)
            if entry.sha256 and sha256_of(tmp) != entry.sha256:
                raise BrokenModelError(f"downloaded {entry.filename} does not match its published checksum")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target

    @staticmethod
    def _fetch(entry, out, timeout, progress, cancel, opener) -> None:
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
