"""Every import format reads a .zip (app/formats/archive.py and the importer around it).

A zip of each real sample folder imports to the same frames, labels and counts as the folder; a zip with
images into a new project copies them into the project's media folder (the project opens with its frames
found after the temporary folder is gone); every unsafe or damaged archive is refused with a FormatError
that names the archive and writes nothing.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
import zipfile
from pathlib import Path

import pytest

from app.formats import archive
from app.formats.errors import FormatError
from app.formats.importer import (
    import_file,
    import_file_as_new_project,
    import_file_as_new_tasks,
    read_dataset,
)
from app.storage.store import Project

EXTERNAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "external"
if not EXTERNAL.is_dir():
    EXTERNAL = Path("/work/shared/fixtures/external")
YOLO = EXTERNAL / "cvat-ai__datumaro" / "tests" / "assets" / "yolo_dataset"
COCO = EXTERNAL / "cvat-ai__datumaro" / "tests" / "assets" / "coco_dataset" / "coco_instances"
CVAT = EXTERNAL / "cvat-ai__datumaro" / "tests" / "assets" / "cvat_dataset" / "for_images"
HAND = Path(__file__).resolve().parents[1] / "data" / "format_samples"

FOLDER_SAMPLES = [
    ("labelme", HAND / "labelme" / "labelme5"), ("labelme", HAND / "labelme" / "xanylabeling"),
    ("voc", HAND / "voc" / "VOC2012"), ("voc", HAND / "voc" / "cvat_voc"),
    ("masks", HAND / "masks" / "colormap"), ("masks", HAND / "masks" / "label_ids"),
    ("datumaro", HAND / "datumaro" / "dm"), ("mot", HAND / "mot" / "MOT17-02"),
    ("yolo", YOLO / "yolo"), ("yolo", YOLO / "yolov8_detection"), ("yolo", YOLO / "yolov8_segmentation"),
    ("yolo", YOLO / "yolov8_pose"), ("yolo", YOLO / "yolov8_detection_with_subset_txt"),
    ("yolo", YOLO / "yolov8_classification"),
]


def _zip_folder(folder: Path, out: Path, *, wrap: str = "", skip_images: bool = False) -> Path:
    from app.media.images import IMAGE_SUFFIXES

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(folder.rglob("*")):
            if file.is_file() and not (skip_images and file.suffix.lower() in IMAGE_SUFFIXES):
                zf.write(file, f"{wrap}{file.relative_to(folder).as_posix()}")
    return out


def _summary(dataset) -> tuple:
    ann = dataset.annotations
    return (sorted(f.name for f in dataset.frames), sorted(label.name for label in dataset.labels),
            len(ann.shapes), len(ann.tracks), len(ann.tags),
            sorted((f.name, f.subset) for f in dataset.frames))


def _no_extraction_left(before: set[str]) -> None:
    left = {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("fieldmark-zip-")} - before
    assert not left, f"extraction folders left behind: {left}"


def _extractions() -> set[str]:
    return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("fieldmark-zip-")}


# ---------------------------------------------------------------------- every folder format


@pytest.mark.parametrize(("fmt", "sample"), FOLDER_SAMPLES, ids=lambda v: v if isinstance(v, str) else v.name)
@pytest.mark.parametrize("wrap", ["", "exported-dataset/"], ids=["flat", "wrapped"])
def test_zip_reads_and_imports_like_the_folder(fmt: str, sample: Path, wrap: str, tmp_path: Path) -> None:
    if not sample.is_dir():
        pytest.skip(f"{sample} is absent (the shared fixtures in ../shared/fixtures/external)")
    before = _extractions()
    zipped = _zip_folder(sample, tmp_path / f"{sample.name}.zip", wrap=wrap)
    from_folder, from_zip = read_dataset(sample, fmt), read_dataset(zipped, fmt)
    assert _summary(from_zip) == _summary(from_folder)
    assert from_zip.frames
    assert all(f is None for f in from_zip.meta["image_files"])  # read alone: its images went with the folder
    folder_result = import_file_as_new_project(tmp_path / "folder.fmproj", sample, fmt, create_missing_labels=True)
    zip_result = import_file_as_new_project(tmp_path / "zip.fmproj", zipped, fmt, create_missing_labels=True)
    assert zip_result.counts == folder_result.counts
    assert len(zip_result.task_ids) == len(folder_result.task_ids)
    _no_extraction_left(before)


def test_zip_with_images_is_copied_into_the_new_project(tmp_path: Path) -> None:
    sample = YOLO / "yolov8_detection"
    if not sample.is_dir():
        pytest.skip("the shared fixtures are absent")
    before = _extractions()
    zipped = _zip_folder(sample, tmp_path / "yolo.zip", wrap="ds/")
    project_file = tmp_path / "project" / "p.fmproj"
    project_file.parent.mkdir()
    import_file_as_new_project(project_file, zipped, "yolo", create_missing_labels=True)
    _no_extraction_left(before)
    with Project.open(project_file, read_only=True) as project:
        task = project.tasks()[0]
        frames = project.frames(task.id)
        assert [f.name for f in frames] and all(f.path for f in frames)
        root = project.media_root()
        for frame in frames:
            image = (root / frame.path).resolve()
            assert image.is_file(), image
            assert image.is_relative_to(project_file.parent.resolve())  # under the project's media folder
            assert "fieldmark-zip-" not in str(image)
            assert (frame.width, frame.height) == (15, 10)
    # the project is still whole with the archive gone
    zipped.unlink()
    with Project.open(project_file, read_only=True) as project:
        frames = project.frames(project.tasks()[0].id)
        assert all((project.media_root() / f.path).is_file() for f in frames)


def test_zip_with_images_into_an_existing_project_new_task_and_existing_task(tmp_path: Path) -> None:
    sample = YOLO / "yolov8_detection"
    if not sample.is_dir():
        pytest.skip("the shared fixtures are absent")
    zipped = _zip_folder(sample, tmp_path / "yolo.zip")
    project_file = tmp_path / "p.fmproj"
    Project.create(project_file, "p", []).close()
    with Project.open(project_file) as project:
        first = import_file_as_new_tasks(project, zipped, "yolo", create_missing=True, create_missing_labels=True)
        frame = project.frames(first.task_id)[0]
        assert frame.path and "fieldmark-zip-" not in frame.path
        assert (project.media_root() / frame.path).is_file()
        # into the existing task (frames matched by name): nothing copied, annotations appended
        again = import_file(project, zipped, "yolo", task=first.task_id, create_missing=True)
        assert again.counts["shapes"] == 2 * first.counts["shapes"]
        assert len(project.tasks()) == 1


def test_zip_without_images_takes_sizes_from_the_project_or_the_images_beside_it(tmp_path: Path) -> None:
    """CVAT's "without images" export: the frames get no path into the archive; images beside the zip are found
    as for a CVAT or COCO zip; into an existing task the frames are matched by name."""
    sample = YOLO / "yolov8_detection"
    if not sample.is_dir():
        pytest.skip("the shared fixtures are absent")
    zipped = _zip_folder(sample, tmp_path / "labels.zip", skip_images=True)
    with pytest.raises(FormatError, match="labels.zip"):  # no size anywhere: refused, naming the archive
        import_file_as_new_project(tmp_path / "none.fmproj", zipped, "yolo", create_missing_labels=True)
    assert not (tmp_path / "none.fmproj").exists()
    project_file = tmp_path / "p.fmproj"
    import_file_as_new_project(project_file, sample, "yolo", create_missing_labels=True)
    with Project.open(project_file) as project:
        task = project.tasks()[0]
        sizes = {f.name: (f.width, f.height) for f in project.frames(task.id)}
        result = import_file(project, zipped, "yolo", task=task.id, frame_sizes=sizes)
        assert result.counts["shapes"] == 4


@pytest.mark.skipif(not COCO.is_dir() or not CVAT.is_dir(), reason="the shared fixtures are absent")
@pytest.mark.parametrize(("fmt", "sample"), [("coco", COCO), ("cvat", CVAT)])
def test_cvat_and_coco_zips_with_images_copy_them(fmt: str, sample: Path, tmp_path: Path) -> None:
    zipped = _zip_folder(sample, tmp_path / f"{fmt}.zip")
    assert _summary(read_dataset(zipped, fmt, create_missing_labels=True)) == _summary(
        read_dataset(sample, fmt, create_missing_labels=True))
    project_file = tmp_path / "p.fmproj"
    result = import_file_as_new_project(project_file, zipped, fmt, create_missing_labels=True)
    assert result.counts == import_file_as_new_project(tmp_path / "f.fmproj", sample, fmt,
                                                       create_missing_labels=True).counts
    with Project.open(project_file, read_only=True) as project:
        paths = [f.path for t in project.tasks() for f in project.frames(t.id)]
        assert paths and all(p and "fieldmark-zip-" not in p for p in paths)
        assert all((project.media_root() / p).is_file() for p in paths)


def test_cli_imports_a_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    sample = HAND / "voc" / "VOC2012"
    zipped = _zip_folder(sample, tmp_path / "voc.zip", wrap="VOCdevkit/")
    assert main(["import", str(tmp_path / "p.fmproj"), str(zipped), "--format", "voc", "--create-labels",
                 "--json", "--quiet"]) == 0
    assert '"shapes": 5' in capsys.readouterr().out
    # into the project's existing task, through the same zip
    assert main(["import", str(tmp_path / "p.fmproj"), str(zipped), "--format", "voc", "--json", "--quiet"]) == 0
    assert '"shapes": 10' in capsys.readouterr().out
    bad = tmp_path / "bad.zip"
    bad.write_bytes(zipped.read_bytes()[:200])
    assert main(["import", str(tmp_path / "q.fmproj"), str(bad), "--format", "voc", "--quiet"]) != 0
    err = capsys.readouterr().err
    assert "bad.zip" in err and "Traceback" not in err
    assert not (tmp_path / "q.fmproj").exists()


# ---------------------------------------------------------------------- refusals


def _one_member_zip(path: Path, name: str, data: bytes = b"x", **info: int) -> Path:
    zinfo = zipfile.ZipInfo(name)
    for key, value in info.items():
        setattr(zinfo, key, value)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zinfo, data)
    return path


def _valid_zip(tmp_path: Path) -> Path:
    return _zip_folder(HAND / "labelme" / "labelme5", tmp_path / "ok.zip")


def _set_flag_bits(raw: bytes, bit: int) -> bytes:
    """Set a general-purpose flag bit in every local and central header."""
    data = bytearray(raw)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            flags = struct.unpack_from("<H", data, at + offset)[0]
            struct.pack_into("<H", data, at + offset, flags | bit)
            at = data.find(signature, at + 4)
    return bytes(data)


def _bomb(path: Path, size: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("street.json", "w", force_zip64=True) as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(size >> 20):
                member.write(chunk)
    return path


def _lying_header(path: Path, real: int, claimed: int) -> Path:
    """A member of ``real`` zeros whose central directory claims ``claimed`` bytes (CRC of the claimed part)."""
    import zlib

    _bomb(path, real)
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 16, zlib.crc32(b"\0" * claimed))
    struct.pack_into("<I", data, central + 24, claimed)
    # zip64 extra field (force_zip64): uncompressed size first
    name_len, extra_len = struct.unpack_from("<HH", data, central + 28)
    extra = central + 46 + name_len
    end = extra + extra_len
    while extra < end:
        tag, length = struct.unpack_from("<HH", data, extra)
        if tag == 1:
            struct.pack_into("<Q", data, extra + 4, claimed)
            break
        extra += 4 + length
    path.write_bytes(bytes(data))
    return path


def _write(folder: Path, data: bytes) -> Path:
    (folder / "a.zip").write_bytes(data)
    return folder / "a.zip"


REFUSALS = {
    "slip": lambda t: _one_member_zip(t / "a.zip", "../x.json"),
    "slip-deep": lambda t: _one_member_zip(t / "a.zip", "ok/../../x.json"),
    "backslash-slip": lambda t: _one_member_zip(t / "a.zip", "..\\x.json"),
    "absolute": lambda t: _one_member_zip(t / "a.zip", "/tmp/fieldmark-test-x.json"),
    "drive": lambda t: _one_member_zip(t / "a.zip", "C:/x.json"),
    "symlink": lambda t: _one_member_zip(t / "a.zip", "link.json", b"/etc/passwd", external_attr=(0o120777 << 16)),
    "device": lambda t: _one_member_zip(t / "a.zip", "dev.json", b"", external_attr=(0o020644 << 16)),
    "not-a-zip": lambda t: _write(t, b"not a zip at all"),
    "empty-file": lambda t: _write(t, b""),
    "truncated": lambda t: _write(t, _valid_zip(t).read_bytes()[:-30]),
    "truncated-middle": lambda t: _write(t, _valid_zip(t).read_bytes()[:300]),
    "encrypted": lambda t: _write(t, _set_flag_bits(_valid_zip(t).read_bytes(), 0x1)),
    "bad-utf8-name": lambda t: _write(t, _set_flag_bits(
        _one_member_zip(t / "b.zip", "ab\u00e9.json").read_bytes().replace("ab\u00e9".encode(), b"a\xff\xfe"),
        0x800)),
    "bomb-ratio": lambda t: _bomb(t / "a.zip", 64 << 20),
    "bomb-lying-header": lambda t: _lying_header(t / "a.zip", 64 << 20, 1000),
}


def _crc_damaged(t: Path) -> Path:
    with zipfile.ZipFile(t / "a.zip", "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("street.json", b'{"shapes": []}' * 100)
    data = bytearray((t / "a.zip").read_bytes())
    data[data.find(b'{"shapes"') + 3] ^= 0x20
    (t / "a.zip").write_bytes(bytes(data))
    return t / "a.zip"


REFUSALS["crc"] = _crc_damaged


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_unsafe_or_damaged_archives_are_refused_and_write_nothing(case: str, tmp_path: Path) -> None:
    work = tmp_path / "in"
    work.mkdir()
    bad = REFUSALS[case](work)
    before_tmp, before_files = _extractions(), set(tmp_path.rglob("*"))
    outside = {p for p in (tmp_path.parent / "x.json", Path("/tmp/fieldmark-test-x.json")) if p.exists()}
    for fmt in ("labelme", "yolo"):
        with pytest.raises(FormatError) as caught:
            read_dataset(bad, fmt)
        assert "a.zip" in str(caught.value)
        with pytest.raises(FormatError):
            import_file_as_new_project(tmp_path / "new.fmproj", bad, fmt, create_missing_labels=True)
        assert not (tmp_path / "new.fmproj").exists()
    assert set(tmp_path.rglob("*")) == before_files, "a refused archive wrote something"
    assert {p for p in (tmp_path.parent / "x.json", Path("/tmp/fieldmark-test-x.json")) if p.exists()} == outside
    _no_extraction_left(before_tmp)


def test_refusal_names_the_member(tmp_path: Path) -> None:
    bad = _one_member_zip(tmp_path / "slip.zip", "data/../../evil.txt")
    with pytest.raises(FormatError) as caught:
        read_dataset(bad, "yolo")
    assert "slip.zip" in caught.value.file and "evil.txt" in caught.value.where


def test_streaming_guard_holds_a_member_to_its_declared_size(tmp_path: Path) -> None:
    """What the headers say is checked again on the bytes written: a source longer than declared stops there."""
    out = io.BytesIO()
    with pytest.raises(FormatError, match="more than"):
        archive._copy_member(io.BytesIO(b"\0" * (3 * archive.CHUNK)), out, tmp_path / "a.zip", "member 'x'",
                             declared=100, compressed=10, budget=[archive.MAX_TOTAL_BYTES])
    assert out.tell() == 0
    with pytest.raises(FormatError, match="unpacks to more"):  # the archive's total budget
        archive._copy_member(io.BytesIO(b"\0" * (3 * archive.CHUNK)), io.BytesIO(), tmp_path / "a.zip",
                             "member 'x'", declared=10 * archive.CHUNK, compressed=10 * archive.CHUNK, budget=[5])


def test_header_limits_on_members_and_total(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(20):
            zf.writestr(f"f{i}.json", "{}")
    monkeypatch.setattr(archive, "MAX_MEMBERS", 10)
    with pytest.raises(FormatError, match="members"):
        read_dataset(many, "labelme")
    monkeypatch.setattr(archive, "MAX_MEMBERS", 1000)
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 30)
    with pytest.raises(FormatError, match="unpacks to more"):
        read_dataset(many, "labelme")


def test_non_utf8_names_do_not_crash(tmp_path: Path) -> None:
    """A name stored without the UTF-8 flag: read as UTF-8 when it is (most tools), else as code page 437."""
    sample = HAND / "labelme" / "labelme5" / "street.json"
    path = tmp_path / "names.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x\u00e9y.json", sample.read_bytes())  # stored with the UTF-8 flag
        zf.writestr("plain.txt", b"")
    raw = _clear_utf8_flag(path.read_bytes())
    path.write_bytes(raw)
    dataset = read_dataset(path, "labelme")
    assert len(dataset.frames) == 1
    raw = raw.replace("x\u00e9y".encode(), b"x\xff\xfey")  # not UTF-8 at all: cp437
    path.write_bytes(raw)
    assert len(read_dataset(path, "labelme").frames) == 1


def _clear_utf8_flag(raw: bytes) -> bytes:
    data = bytearray(raw)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            flags = struct.unpack_from("<H", data, at + offset)[0]
            struct.pack_into("<H", data, at + offset, flags & ~0x800)
            at = data.find(signature, at + 4)
    return bytes(data)


def test_macos_junk_is_skipped(tmp_path: Path) -> None:
    sample = HAND / "labelme" / "labelme5"
    path = _zip_folder(sample, tmp_path / "mac.zip", wrap="labelme5/")
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("__MACOSX/labelme5/._street.json", b"\0\x05\x16\x07 binary resource fork")
        zf.writestr("labelme5/.DS_Store", b"\0\0\0\1Bud1")
    assert _summary(read_dataset(path, "labelme")) == _summary(read_dataset(sample, "labelme"))


def test_extraction_is_removed_on_keyboard_interrupt(tmp_path: Path) -> None:
    path = _valid_zip(tmp_path)
    before = _extractions()
    with pytest.raises(KeyboardInterrupt), archive.extracted(path) as root:
        assert root.is_dir() and archive.is_extracted(root / "street.json")
        raise KeyboardInterrupt
    _no_extraction_left(before)
    assert not archive.is_extracted(root / "street.json")


def test_a_lying_header_gets_no_more_bytes_than_it_states(tmp_path: Path) -> None:
    """64 MiB of zeros whose header claims 1,000 bytes: extraction never writes past the claim (it stops there,
    or refuses the member), so the header's total and ratio checks cannot be dodged by understating a size."""
    lying = _lying_header(tmp_path / "lie.zip", 64 << 20, 1000)
    try:
        with archive.extracted(lying) as root:
            written = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
            assert written <= 1000
    except FormatError as exc:
        assert "lie.zip" in str(exc)
