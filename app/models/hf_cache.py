"""A Hugging Face hub cache inside Fieldmark's models folder, used offline.

CVAT functions often load their model by id through ``huggingface_hub`` (``hf_hub_download``,
``snapshot_download``, sam2's ``from_pretrained``, transformers). Offline, ``huggingface_hub`` finds a
file only in its cache, laid out as::

    <models>/huggingface/hub/models--ORG--NAME/refs/main          -> "<commit>" (40 hex digits)
    <models>/huggingface/hub/models--ORG--NAME/snapshots/<commit>/<file>

:func:`place` copies a checkpoint (or a folder of files) the user has into that layout;
:func:`apply_offline_env` points ``HF_HOME`` / ``HF_HUB_CACHE`` there and sets ``HF_HUB_OFFLINE=1``
before a function is loaded, so functions never try the network.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")


class HfCacheError(ValueError):
    """Bad repo id or source; the message says what to give."""


@dataclass(frozen=True)
class HfModel:
    repo_id: str
    commit: str
    files: tuple[str, ...]
    folder: Path


def hf_home(models_root: Path) -> Path:
    return Path(models_root) / "huggingface"


def hub_cache(models_root: Path) -> Path:
    return hf_home(models_root) / "hub"


def repo_folder(models_root: Path, repo_id: str) -> Path:
    return hub_cache(models_root) / ("models--" + repo_id.replace("/", "--"))


def default_filename(repo_id: str, source: Path) -> str:
    """The file name a loader asks the hub for: sam2's own table for Meta's SAM 2 ids, else the
    source's name."""
    try:
        from sam2.build_sam import HF_MODEL_ID_TO_FILENAMES
    except ImportError:
        return source.name
    known = HF_MODEL_ID_TO_FILENAMES.get(repo_id)
    return known[1] if known else source.name


def _sources(source: Path, filename: str | None, repo_id: str) -> list[tuple[Path, str]]:
    if source.is_dir():
        files = sorted(p for p in source.rglob("*") if p.is_file() and ".cache" not in p.parts)
        if not files:
            raise HfCacheError(f"{source}: the folder holds no files")
        return [(p, p.relative_to(source).as_posix()) for p in files]
    if not source.is_file():
        raise HfCacheError(f"{source}: no such file or folder")
    return [(source, filename or default_filename(repo_id, source))]


def check_repo_id(repo_id: str) -> str:
    """The id, stripped; :class:`HfCacheError` unless it looks like ``ORG/NAME``."""
    repo_id = repo_id.strip()
    if not REPO_ID.match(repo_id):
        raise HfCacheError(f"{repo_id!r} is not a Hugging Face model id (ORG/NAME, e.g. facebook/sam2.1-hiera-tiny)")
    return repo_id


def place(models_root: Path, source: str | Path, repo_id: str, *, filename: str | None = None) -> HfModel:
    """Put ``source`` (a file, or a folder copied from a hub snapshot) in the cache as ``repo_id``'s
    ``main`` revision. An earlier placement of the same id is replaced. Returns what was placed."""
    repo_id = check_repo_id(repo_id)
    pairs = _sources(Path(source).expanduser(), filename, repo_id)
    digest = hashlib.sha1(repo_id.encode())
    for path, name in pairs:
        digest.update(name.encode())
        digest.update(str(path.stat().st_size).encode())
        digest.update(str(path.stat().st_mtime_ns).encode())
    commit = digest.hexdigest()
    folder = repo_folder(models_root, repo_id)
    snapshot = folder / "snapshots" / commit
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder, prefix=".placing-"))
    try:
        for path, name in pairs:
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        if snapshot.exists():
            shutil.rmtree(snapshot)
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, snapshot)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _write_ref(folder, commit)
    for old in (folder / "snapshots").iterdir():
        if old.name != commit:
            shutil.rmtree(old, ignore_errors=True)
    return HfModel(repo_id, commit, tuple(name for _, name in pairs), snapshot)


def _write_ref(folder: Path, commit: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=folder / "refs", prefix=".main-")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(commit)
    os.replace(tmp, folder / "refs" / "main")


def placed(models_root: Path) -> list[HfModel]:
    """The models in the cache (their ``main`` revision)."""
    found = []
    cache = hub_cache(models_root)
    if not cache.is_dir():
        return found
    for folder in sorted(cache.glob("models--*")):
        try:
            commit = (folder / "refs" / "main").read_text(encoding="ascii").strip()
        except OSError:
            continue
        snapshot = folder / "snapshots" / commit
        files = tuple(sorted(p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file()))
        repo_id = folder.name[len("models--"):].replace("--", "/", 1)
        found.append(HfModel(repo_id, commit, files, snapshot))
    return found


def remove(models_root: Path, repo_id: str) -> bool:
    folder = repo_folder(models_root, repo_id)
    if not folder.is_dir():
        return False
    shutil.rmtree(folder)
    return True


def apply_offline_env(models_root: Path) -> None:
    """Point the hub at Fieldmark's cache and forbid network access (also for an already imported
    ``huggingface_hub``, whose constants are read when a download is asked for)."""
    home, cache = hf_home(models_root), hub_cache(models_root)
    os.environ.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
                       "HF_HOME": str(home), "HF_HUB_CACHE": str(cache)})
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = True
        constants.HF_HOME = str(home)
        constants.HF_HUB_CACHE = str(cache)
