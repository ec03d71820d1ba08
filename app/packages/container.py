"""The package file: an SQLite Fieldmark project (so it opens like one) with three more tables that only
packages have: ``package_meta`` (the manifest and its checksum), ``package_media`` (every frame's file,
byte for byte, with its SHA-256) and ``package_base`` (a digest of each exported object: the base of a
three-way merge). Media are unpacked beside the package (``fieldmark-media/<package id>/``) the first
time it is opened; its frames point there, relative to the package's folder.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from app.packages.manifest import PACKAGE_SUFFIX, Manifest, PackageError

MEDIA_FOLDER = "fieldmark-media"
_TABLES = (
    "CREATE TABLE package_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE package_media (name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, "
    "data BLOB NOT NULL)",
    "CREATE TABLE package_base (uid TEXT PRIMARY KEY, job_uid TEXT NOT NULL, kind TEXT NOT NULL, "
    "digest TEXT NOT NULL) WITHOUT ROWID",
)


def media_path(package_id: str, name: str) -> str:
    """A frame's path inside the package project (relative to the package's folder)."""
    return f"{MEDIA_FOLDER}/{package_id}/{name}"


def create_tables(db: sqlite3.Connection) -> None:
    for statement in _TABLES:
        db.execute(statement)


def put_media(db: sqlite3.Connection, name: str, data: bytes) -> tuple[str, int]:
    sha = hashlib.sha256(data).hexdigest()
    db.execute("INSERT INTO package_media (name, sha256, size, data) VALUES (?, ?, ?, ?)", (name, sha, len(data), data))
    return sha, len(data)


def put_base(db: sqlite3.Connection, rows: Iterable[tuple[str, str, str, str]]) -> None:
    db.executemany("INSERT INTO package_base (uid, job_uid, kind, digest) VALUES (?, ?, ?, ?)", rows)


def _checksum(manifest_text: str, base: Iterable[tuple]) -> str:
    h = hashlib.sha256(manifest_text.encode())
    for row in base:
        h.update("|".join(map(str, row)).encode())  # a damaged file may hold other types: no match, not a crash
        h.update(b"\n")
    return h.hexdigest()


def _base_rows(db: sqlite3.Connection) -> Iterator[tuple]:
    """The base rows in uid order, streamed (the primary key's order: no sort, no list in memory)."""
    return db.execute("SELECT uid, job_uid, kind, digest FROM package_base ORDER BY uid")


def seal(db: sqlite3.Connection, manifest: Manifest) -> None:
    """Write the manifest and the checksum over it and the base (the last step of an export)."""
    manifest_text = manifest.to_json()
    db.execute("INSERT INTO package_meta (key, value) VALUES ('manifest', ?)", (manifest_text,))
    checksum = _checksum(manifest_text, _base_rows(db))
    db.execute("INSERT INTO package_meta (key, value) VALUES ('checksum', ?)", (checksum,))


def _open(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise PackageError(f"No package file at {path}.")
    with path.open("rb") as handle:
        header = handle.read(16)
    if header != b"SQLite format 3\x00":
        raise PackageError(f"{path} is not a Fieldmark field package (not an SQLite file).")
    return sqlite3.connect(f"file:{path.resolve().as_posix()}?mode=ro", uri=True)


def is_package(path: str | Path) -> bool:
    """Whether ``path`` is a package file (rather than a plain project): named ``.fmpkg`` (then a damaged one
    is still told as a package) or holding a package manifest."""
    p = Path(path)
    if not p.is_file():
        return False
    if p.suffix == PACKAGE_SUFFIX:
        return True
    try:
        db = _open(p)
    except PackageError:
        return False
    try:
        return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'package_meta'").fetchone() is not None
    except sqlite3.DatabaseError:
        return False
    finally:
        db.close()


def read_manifest(path: Path) -> Manifest:
    """The manifest, after checking the file and the checksum over the manifest and the export base (read as
    a stream: memory does not grow with the number of objects)."""
    db = _open(path)
    try:
        try:
            meta = dict(db.execute("SELECT key, value FROM package_meta").fetchall())
            if "manifest" not in meta:
                raise PackageError(f"{path} has no package manifest: the export did not finish, or this is not a "
                                   "package.")
            checksum = _checksum(meta["manifest"], _base_rows(db))
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # damaged text decodes badly too
            raise PackageError(f"{path} is not a readable field package ({exc}).") from exc
    finally:
        db.close()
    manifest = Manifest.from_json(meta["manifest"], str(path))
    if meta.get("checksum") != checksum:
        raise PackageError(f"{path}: the package manifest or its export base was changed or damaged "
                           "(checksum mismatch); it cannot be merged safely.")
    return manifest


def iter_base(path: Path, batch: int = 5000) -> Iterator[list[tuple[str, str, str, str]]]:
    """The export base, ``(uid, job uid, kind, digest)`` rows in batches (checked by :func:`read_manifest`)."""
    db = _open(path)
    try:
        cursor = db.execute("SELECT uid, job_uid, kind, digest FROM package_base")
        while rows := cursor.fetchmany(batch):
            yield rows
    except sqlite3.DatabaseError as exc:
        raise PackageError(f"{path} is damaged or truncated ({exc}).") from exc
    finally:
        db.close()


def verify(path: Path, manifest: Manifest, progress: Callable[[int, int], None] | None = None) -> None:
    """Check the database's integrity and every media file against the manifest's SHA-256 and size."""
    db = _open(path)
    try:
        try:
            problem = db.execute("PRAGMA quick_check").fetchone()[0]
            if problem != "ok":
                raise PackageError(f"{path} is damaged (SQLite: {problem}).")
            stored = {r[0]: (r[1], r[2]) for r in db.execute("SELECT name, sha256, size FROM package_media")}
            for i, entry in enumerate(manifest.media):
                row = db.execute("SELECT data FROM package_media WHERE name = ?", (entry.name,)).fetchone()
                if row is None or stored.get(entry.name) != (entry.sha256, entry.size):
                    raise PackageError(f"{path}: media file {entry.name} is missing or differs from the manifest.")
                data = row[0]
                if len(data) != entry.size or hashlib.sha256(data).hexdigest() != entry.sha256:
                    raise PackageError(f"{path}: media file {entry.name} is damaged or was changed (SHA-256 mismatch).")
                if progress is not None:
                    progress(i + 1, len(manifest.media))
        except sqlite3.DatabaseError as exc:
            raise PackageError(f"{path} is damaged or truncated ({exc}).") from exc
    finally:
        db.close()


def unpack_media(path: Path, manifest: Manifest) -> Path:
    """Write the package's media beside it (once; files already there with the right size are kept).
    Each file is written to a temporary name and renamed, so a killed unpack leaves no half file."""
    folder = path.resolve().parent / MEDIA_FOLDER / manifest.package_id
    db = _open(path)
    try:
        for entry in manifest.media:
            target = folder / entry.name
            if target.is_file() and target.stat().st_size == entry.size:
                continue
            row = db.execute("SELECT data FROM package_media WHERE name = ?", (entry.name,)).fetchone()
            if row is None or hashlib.sha256(row[0]).hexdigest() != entry.sha256:
                raise PackageError(f"{path}: media file {entry.name} is missing or damaged in the package.")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            partial.write_bytes(row[0])
            os.replace(partial, target)
    except sqlite3.DatabaseError as exc:
        raise PackageError(f"{path} is damaged or truncated ({exc}).") from exc
    finally:
        db.close()
    return folder
