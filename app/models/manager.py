"""Model checkpoints on disk: resolve names to files, add local files, verify, download on request.

Checkpoints live in :func:`app.paths.models_dir` (platformdirs cache, or ``$FIELDMARK_HOME/cache/models``).
Nothing here touches the network unless :meth:`ModelManager.download` is called explicitly, and that
call has a timeout. Errors say what to put where.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from app import paths
from app.models import catalog
from app.models.catalog import CatalogEntry
from app.models.model_files import (  # noqa: F401 - re-exported: the manager's public names
    _CHUNK,
    CHECKPOINT_SUFFIXES,
    BrokenModelError,
    DownloadCancelled,
    InstalledModel,
    ModelError,
    ModelNotFoundError,
    UnsafeModelError,
    VerifyResult,
    check_readable,
    models_changed,
    sha256_of,
)
from app.models.trust import TrustStore, TrustStoreError


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
    def add(self, source: str | Path, *, overwrite: bool = False, trust: bool = False,
            target_name: str | None = None) -> Path:
        """Copy a local checkpoint into the models folder (atomically) and return its new path.

        A file named like a catalog checkpoint with a known checksum must match it. ``trust`` records
        the file's SHA-256 as trusted (see :meth:`ensure_safe`). ``target_name`` names the copy
        (default: the source's file name)."""
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
        target = self.root / (target_name or source.name)
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
        if trust:
            TrustStore(self.root).add(sha256_of(target), target.name)
        self.notify()
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

    def download(self, name: str, **options) -> Path:
        """Download a catalog checkpoint into the models folder, on explicit request only
        (``timeout``, ``progress(done, total)``, ``cancel``, ``opener``: see :mod:`app.models.download`)."""
        from app.models.download import download

        return download(self, name, **options)

    # ----------------------------------------------------------------------------------- remove / trust
    def remove(self, name: str) -> Path:
        """Delete an installed checkpoint (catalog name or file name in the models folder)."""
        entry = catalog.find(name)
        path = self.path_for(entry) if entry is not None else self.root / Path(name).name
        if not path.is_file():
            raise ModelNotFoundError(f"{name!r} is not installed in {self.root}")
        path.unlink()
        self.notify()
        return path

    def trust(self, path: str | Path) -> str:
        """Mark this exact file (by SHA-256) as trusted to load even where its pickle can run code."""
        path = Path(path).expanduser()
        if not path.is_file():
            raise ModelNotFoundError(f"{path}: no such file")
        digest = sha256_of(path)
        TrustStore(self.root).add(digest, path.name)
        self.notify()
        return digest

    def is_trusted(self, path: Path, digest: str | None = None) -> bool:
        """The file's SHA-256 is the catalog's published one or on the user's trusted list."""
        digest = digest or sha256_of(path)
        entry = catalog.find(path.name)
        if entry is not None and entry.sha256 == digest:
            return True
        try:
            return TrustStore(self.root).contains(digest)
        except TrustStoreError as exc:
            raise ModelError(str(exc)) from exc

    def ensure_safe(self, path: str | Path) -> None:
        """Refuse (:class:`UnsafeModelError`) a checkpoint whose loading could run code from the file,
        unless it is trusted. Call before handing any checkpoint to a library."""
        from app.models.checkpoint_scan import UnsafeCheckpointError, scan

        path = Path(path)
        try:
            scan(path)
        except UnsafeCheckpointError as exc:
            digest = sha256_of(path)
            if self.is_trusted(path, digest):
                return
            raise UnsafeModelError(
                f"{path}: refused to load: {exc.reason}. Loading it could run code stored in the file. "
                f"If you trust where it came from, run `fieldmark models trust {path}` "
                f"(or tick 'trust' when adding it); SHA-256 {digest}") from exc
        except (OSError, zipfile.BadZipFile) as exc:
            raise BrokenModelError(f"{path}: cannot read the checkpoint ({exc})") from exc

    # ----------------------------------------------------------------------------------- change events
    def notify(self) -> None:
        """Tell :data:`models_changed` listeners that this models folder changed."""
        models_changed.emit(self.root)
