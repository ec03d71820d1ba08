"""Reading a dataset from a .zip archive: the one place an archive is opened and extracted.

CVAT, Datumaro, Ultralytics and labelme users move datasets as zip files (CVAT's exports of YOLO 1.1,
Ultralytics YOLO, Pascal VOC, Datumaro, segmentation masks, MOT are all zips). :func:`extracted` unpacks one
into a private temporary folder and yields the dataset's root in it (the single folder the archive wraps
everything in, when it does); the folder is removed when the block ends, on error and on Ctrl-C too.

An archive is untrusted input. Refused, each with a :class:`FormatError` naming the archive and the member:

- a member whose path leaves the folder (absolute, ``..``, a drive letter, a NUL) or that is a symlink;
- an encrypted member; a file that is not a zip, or a damaged one (bad headers, CRC errors while extracting);
- a zip bomb: more than :data:`MAX_MEMBERS` members, more than :data:`MAX_TOTAL_BYTES` uncompressed, a member
  larger than :data:`RATIO_FLOOR` that inflates more than :data:`MAX_RATIO` times, or more than the free
  space of the temporary folder. The limits are checked from the headers first and again on the bytes
  actually written while each member streams out, so a header that lies about a size does not get past them.

macOS's ``__MACOSX/`` resource forks, ``._*`` AppleDouble files and ``.DS_Store`` are skipped. A member name
stored without the UTF-8 flag is read as UTF-8 when it is valid UTF-8 (what most tools write), else as the
zip standard's code page 437: never a crash.

While an extraction is open, :func:`is_extracted` tells whether a path lies in it (the importer copies those
images into the project: a project never records a path into a folder that is about to disappear) and
:func:`shown` rewrites its temporary paths in a message as ``archive.zip/member``.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

from app.formats.errors import FormatError
from app.media.images import IMAGE_SUFFIXES

#: The most an archive may hold uncompressed (all members together).
MAX_TOTAL_BYTES = 32 * 1024**3
#: The most members (files and folders) an archive may hold.
MAX_MEMBERS = 1_000_000
#: The most a member may inflate (uncompressed / compressed size) once it is larger than :data:`RATIO_FLOOR`:
#: annotation files compress 3–20 times, images hardly; a deflate bomb of zeros is about 1,000 times.
MAX_RATIO = 500
#: Members up to this size are not held to :data:`MAX_RATIO` (a small, very repetitive file is harmless).
RATIO_FLOOR = 16 * 1024**2
#: Bytes copied at a time while a member is extracted.
CHUNK = 1024**2
#: Free space kept in the temporary folder beyond what the archive needs.
SPARE_BYTES = 64 * 1024**2

#: Folder names a dataset format expects at its root (lower case): an archive whose only top folder is one of
#: these is not wrapped, so its root is the extraction folder itself.
LAYOUT_FOLDERS = frozenset({
    "annotations", "images", "labels", "gt", "img1", "masks", "instances", "jpegimages", "segmentationclass",
    "segmentationobject", "imagesets", "obj_train_data", "obj_valid_data", "obj_test_data", "obj_val_data",
    "train", "val", "valid", "validation", "test", "default",
})
_SKIPPED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
_DRIVE = re.compile(r"^[A-Za-z]:")
_PREFIX = "fieldmark-zip-"

_lock = threading.Lock()
_live: dict[Path, Path] = {}  # extraction folder (as made and resolved) -> its archive


def is_archive(path: Path) -> bool:
    """Whether ``path`` is a file to be read as a zip archive: a ``.zip`` name, or a zip's signature."""
    path = Path(path)
    try:
        if not path.is_file():
            return False
        if path.suffix.lower() == ".zip":
            return True
        with open(path, "rb") as stream:
            return stream.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError:
        return False


def holds_images(path: Path) -> bool:
    """Whether the archive has image members (a damaged or unreadable one: False, its reader will say why)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(PurePosixPath(n).suffix.lower() in IMAGE_SUFFIXES for n in archive.namelist())
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError, ValueError, EOFError, NotImplementedError):
        return False


def is_extracted(path: Path | str) -> bool:
    """Whether ``path`` lies in an extraction folder that is open now (its file disappears at the block's end)."""
    text = os.path.abspath(path)
    with _lock:
        roots = list(_live)
    return any(text.startswith(str(root) + os.sep) for root in roots)


def shown(text: str) -> str:
    """``text`` with every open extraction folder's path replaced by its archive's (``data.zip/labels/a.txt``)."""
    with _lock:
        pairs = sorted(_live.items(), key=lambda item: -len(str(item[0])))
    for root, archive in pairs:
        text = text.replace(str(root), str(archive))
    return text


@contextmanager
def extracted(path: Path) -> Iterator[Path]:
    """Extract the zip ``path`` into a new temporary folder and yield the dataset's root in it; see the module
    docstring for what is refused. The folder is removed when the block ends, whatever ends it. A
    :class:`FormatError` raised inside the block that names a temporary path is raised again naming the
    archive's member instead."""
    path = Path(path)
    folder = Path(tempfile.mkdtemp(prefix=_PREFIX))
    roots = {Path(os.path.abspath(folder)), folder.resolve()}
    try:
        with _lock:
            for root in roots:
                _live[root] = path
        try:
            _extract(path, folder)
            yield _dataset_root(folder)
        except FormatError as exc:
            renamed = FormatError(shown(exc.file), exc.where, shown(exc.reason))
            if renamed.args == exc.args:
                raise
            raise renamed from exc
    finally:
        with _lock:
            for root in roots:
                _live.pop(root, None)
        shutil.rmtree(folder, ignore_errors=True)


def _dataset_root(folder: Path) -> Path:
    """``folder``, or the one folder it holds when the archive wraps the dataset in it (``mydata/…``)."""
    root = folder
    for _ in range(8):
        entries = list(root.iterdir())
        if len(entries) != 1 or not entries[0].is_dir() or entries[0].name.lower() in LAYOUT_FOLDERS:
            break
        root = entries[0]
    return root


# ---------------------------------------------------------------------- extraction


def _open(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        raise FormatError(path, "", "the archive does not exist" if not path.exists() else "not a file")
    try:
        return zipfile.ZipFile(path, metadata_encoding=None)
    except zipfile.BadZipFile as exc:
        raise FormatError(path, "", f"not a zip archive, or a damaged one ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise FormatError(path, "", "a member name is marked UTF-8 but is not") from exc
    except (OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise FormatError(path, "", f"the archive cannot be read: {exc}") from exc


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; one stored without the UTF-8 flag is read as UTF-8 where it is valid UTF-8."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name


def _skipped(parts: list[str]) -> bool:
    return parts[0] == "__MACOSX" or parts[-1] in _SKIPPED_NAMES or parts[-1].startswith("._")


def _safe_parts(archive: Path, name: str) -> list[str]:
    """The member's path inside the folder, refusing every way out of it."""
    where = f"member {name!r}"
    text = name.replace("\\", "/")
    if "\x00" in text:
        raise FormatError(archive, where, "the member's name holds a NUL character")
    if text.startswith("/") or _DRIVE.match(text):
        raise FormatError(archive, where, "the member's path is absolute: it would be written outside the folder")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise FormatError(archive, where, "the member's path climbs out with '..': it would be written outside "
                                          "the folder")
    return parts


def _check_headers(archive: Path, infos: list[zipfile.ZipInfo]) -> int:
    """The members' limits as their headers state them; returns the total uncompressed size."""
    if len(infos) > MAX_MEMBERS:
        raise FormatError(archive, "", f"the archive has {len(infos):,} members, more than the {MAX_MEMBERS:,} "
                                       "allowed (a zip bomb?)")
    total = 0
    for info in infos:
        where = f"member {_member_name(info)!r}"
        if info.flag_bits & 0x1:
            raise FormatError(archive, where, "the member is encrypted; export the dataset without a password")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise FormatError(archive, where, "the member is a symbolic link; links are not extracted")
        if mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)) and stat.S_IFMT(mode):
            raise FormatError(archive, where, "the member is not a file or a folder (a device or a pipe)")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise FormatError(archive, where, f"the archive unpacks to more than {_size(MAX_TOTAL_BYTES)} "
                                              "(a zip bomb?)")
        _check_ratio(archive, where, info.file_size, info.compress_size)
    return total


def _check_ratio(archive: Path, where: str, size: int, compressed: int) -> None:
    if size > RATIO_FLOOR and size > MAX_RATIO * max(compressed, 1):
        raise FormatError(archive, where, f"the member inflates more than {MAX_RATIO} times "
                                          f"({_size(compressed)} to {_size(size)}): a zip bomb?")


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _extract(path: Path, folder: Path) -> None:
    with _open(path) as archive:
        infos = archive.infolist()
        total = _check_headers(path, infos)
        free = shutil.disk_usage(folder).free
        if total + SPARE_BYTES > free:
            raise FormatError(path, "", f"the archive unpacks to {_size(total)}, more than the "
                                        f"{_size(free)} free in the temporary folder {folder.parent}")
        budget = [MAX_TOTAL_BYTES]
        for info in infos:
            name = _member_name(info)
            parts = _safe_parts(path, name)
            if not parts or _skipped(parts):
                continue
            target = folder.joinpath(*parts)
            if not os.path.abspath(target).startswith(str(Path(os.path.abspath(folder))) + os.sep):
                raise FormatError(path, f"member {name!r}", "the member's path leads outside the folder")
            where = f"member {name!r}"
            try:
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, open(target, "xb") as out:
                    _copy_member(source, out, path, where, info.file_size, info.compress_size, budget)
            except FormatError:
                raise
            except FileExistsError as exc:
                raise FormatError(path, where, "the archive holds this name twice") from exc
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise FormatError(path, where, f"the member is damaged ({exc})") from exc
            except NotImplementedError as exc:
                raise FormatError(path, where, f"the member's compression is not supported ({exc})") from exc
            except RuntimeError as exc:  # zipfile: "File ... is encrypted, password required"
                raise FormatError(path, where, f"the member cannot be extracted ({exc})") from exc
            except (OSError, ValueError) as exc:
                raise FormatError(path, where, f"the member cannot be written: {exc}") from exc


def _copy_member(source: IO[bytes], out: IO[bytes], archive: Path, where: str, declared: int, compressed: int,
                 budget: list[int]) -> None:
    """Stream one member out, holding the bytes actually written to its declared size, the archive's
    remaining total (``budget[0]``, decreased) and the compression ratio."""
    written = 0
    while chunk := source.read(CHUNK):
        written += len(chunk)
        budget[0] -= len(chunk)
        if written > declared:
            raise FormatError(archive, where, f"the member holds more than the {_size(declared)} its header "
                                              "states (a zip bomb?)")
        if budget[0] < 0:
            raise FormatError(archive, where, f"the archive unpacks to more than {_size(MAX_TOTAL_BYTES)} "
                                              "(a zip bomb?)")
        _check_ratio(archive, where, written, compressed)
        out.write(chunk)
