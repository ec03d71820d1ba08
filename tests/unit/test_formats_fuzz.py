"""Property test: damaged versions of real dataset files never make an importer crash, hang or write.

Each example copies one real sample dataset of the format under test and damages one of its files (a
JSON/YAML value replaced by a hostile one, an XML attribute or text changed, a label-file token replaced,
a PNG mask's pixels, mode or size changed, bytes flipped, cut or made non-UTF-8) and imports it: reading,
into a new project, and as new tasks of an existing one. The samples are the public fixtures in
../shared/fixtures/external (CVAT XML, COCO, YOLO), the hand-written files in tests/data/format_samples
(labelme 5, X-AnyLabeling, Pascal VOC 2012 and CVAT's VOC export, mask PNGs with a colour map or
Datumaro's dataset_meta.json, Datumaro JSON, a MOT17 sequence) and what our own writers produce for a
dataset with every shape type, tracks, tags and two subsets.

Asserted for every example: only the project's error classes (FormatError, ProjectError, MediaError)
come out; the example finishes within a generous time bound and without a large jump in peak memory
(catching run-away loops and allocations, not measuring speed); a failed import leaves no new
project file and changes nothing in the existing project.

The same samples are also fed zipped (every format reads a .zip: app/formats/archive.py), the zip damaged
inside (one member) or as bytes (headers, CRCs, compressed data): only those errors, bounded time, no project,
no copied images and no extraction folder left behind, and no frame pointing into the extraction folder.

The test runs once per format with ``FIELDMARK_FUZZ_EXAMPLES`` examples each (default 40: 320 in all, plus 40
zips; a few seconds per format); ``FIELDMARK_FUZZ_EXAMPLES=5000`` runs a longer campaign.
"""

from __future__ import annotations

import atexit
import functools
import io
import json
import os
import re
import resource
import shutil
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from PIL import Image

from app.formats.errors import FormatError
from app.formats.importer import import_file_as_new_project, import_into_project, import_new_project, read_dataset
from app.media.errors import MediaError
from app.storage.errors import ProjectError
from app.storage.store import Project

EXTERNAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "external"
if not EXTERNAL.is_dir():
    EXTERNAL = Path("/work/shared/fixtures/external")
HAND_WRITTEN = Path(__file__).resolve().parents[1] / "data" / "format_samples"
EXAMPLES = int(os.environ.get("FIELDMARK_FUZZ_EXAMPLES", "40"))
#: Far above what a damaged few-kilobyte sample needs; a run-away loop or allocation passes them.
TIME_LIMIT_S = 30.0
MEMORY_LIMIT_MIB = 700
ALLOWED = (FormatError, ProjectError, MediaError)
# Shrinking a failure costs minutes of imports; the failing draws are printed unshrunk (set
# FIELDMARK_FUZZ_SHRINK=1 to shrink).
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if os.environ.get("FIELDMARK_FUZZ_SHRINK")
                                                          else [])
TEXT_SUFFIXES = {".json", ".xml", ".yaml", ".yml", ".txt", ".data", ".names", ".ini"}
DAMAGED_SUFFIXES = TEXT_SUFFIXES | {".png"}  # mask PNGs are read as data by VOC and the mask format


def _external_samples() -> list[tuple[str, Path]]:
    if not EXTERNAL.is_dir():
        return []
    dm = EXTERNAL / "cvat-ai__datumaro" / "tests" / "assets"
    odm = EXTERNAL / "openvinotoolkit__datumaro" / "tests" / "assets"
    cvat_docs = EXTERNAL / "cvat-ai__cvat/site/content/en/docs/dataset_management/formats/format-cvat.md.examples"
    out = [("cvat", cvat_docs / "images_example.xml"), ("cvat", cvat_docs / "video_example.xml"),
           ("cvat", dm / "cvat_dataset" / "for_images"), ("cvat", dm / "cvat_dataset" / "for_video"),
           ("cvat", odm / "cvat_dataset" / "for_images" / "export_project"),
           ("cvat", odm / "cvat_dataset" / "for_video"),
           ("coco", dm / "coco_dataset" / "coco_instances"), ("coco", dm / "coco_dataset" / "coco_person_keypoints")]
    if (dm / "yolo_dataset").is_dir():
        out += [("yolo", d) for d in sorted((dm / "yolo_dataset").iterdir()) if d.is_dir()]
    return out


def _hand_written_samples() -> list[tuple[str, Path]]:
    h = HAND_WRITTEN
    return [("labelme", h / "labelme" / "labelme5"), ("labelme", h / "labelme" / "xanylabeling"),
            ("voc", h / "voc" / "VOC2012"), ("voc", h / "voc" / "cvat_voc"),
            ("masks", h / "masks" / "colormap"), ("masks", h / "masks" / "label_ids"),
            ("datumaro", h / "datumaro" / "dm"), ("mot", h / "mot" / "MOT17-02")]


@functools.cache
def _written_samples() -> tuple[tuple[str, Path], ...]:
    """What our own writers produce for one dataset with every shape type, a track, tags and two subsets
    (made once per run in a temporary folder)."""
    from app.domain.annotations import Annotations, Shape, Tag, Track, TrackedShape
    from app.domain.enums import LabelType, ShapeType
    from app.domain.labels import Label
    from app.domain.mask import mask_to_points
    from app.formats.dataset import Dataset, DatasetFrame, LabelRegistry
    from app.formats.exporter import write_dataset

    reg = LabelRegistry([Label(name="car", color="#fa3253"), Label(name="person", color="#33ddff"),
                         Label(name="pose", type=LabelType.SKELETON, edges=[(0, 1)], sublabels=[
                             Label(name="head", type=LabelType.POINTS), Label(name="foot", type=LabelType.POINTS)]),
                         Label(name="sunny", type=LabelType.TAG)])
    car, person, pose, sunny = reg.labels
    color = reg.add_attribute(car, "color")
    bitmap = np.zeros((12, 16), bool)
    bitmap[3:8, 4:9] = True
    shapes = [
        Shape(type=ShapeType.RECTANGLE, frame=0, label_id=car.id, points=[1.5, 2, 9.25, 7], group=1,
              attributes={color.id: "blue"}),
        Shape(type=ShapeType.RECTANGLE, frame=1, label_id=car.id, points=[2, 2, 10, 6], rotation=30.0),
        Shape(type=ShapeType.POLYGON, frame=0, label_id=person.id, points=[10, 1, 15, 1, 15, 9], group=1,
              occluded=True),
        Shape(type=ShapeType.POLYLINE, frame=1, label_id=person.id, points=[0, 11, 8, 10, 15, 11]),
        Shape(type=ShapeType.POINTS, frame=2, label_id=person.id, points=[3, 3, 4, 4]),
        Shape(type=ShapeType.ELLIPSE, frame=2, label_id=car.id, points=[12, 8, 14, 6]),
        Shape(type=ShapeType.MASK, frame=2, label_id=person.id, points=mask_to_points(bitmap), z_order=1),
        Shape(type=ShapeType.SKELETON, frame=3, label_id=pose.id, points=[], elements=[
            Shape(type=ShapeType.POINTS, frame=3, label_id=pose.sublabels[0].id, points=[5, 5]),
            Shape(type=ShapeType.POINTS, frame=3, label_id=pose.sublabels[1].id, points=[6, 10], occluded=True)]),
    ]
    track = Track(frame=0, label_id=car.id, shapes=[
        TrackedShape(type=ShapeType.RECTANGLE, frame=0, points=[4, 4, 8, 8]),
        TrackedShape(type=ShapeType.RECTANGLE, frame=2, points=[6, 4, 10, 8]),
        TrackedShape(type=ShapeType.RECTANGLE, frame=3, points=[6, 4, 10, 8], outside=True)])
    frames = [DatasetFrame(index=i, name=f"frame_{i:06d}.jpg", width=16, height=12, subset=subset)
              for i, subset in enumerate(("train", "train", "train", "val"))]
    folder = Path(tempfile.mkdtemp(prefix="fuzz-written-"))
    atexit.register(shutil.rmtree, folder, True)
    out = []
    for fmt in ("labelme", "voc", "masks", "datumaro", "mot"):
        dataset = Dataset(labels=reg.labels, frames=list(frames),
                          annotations=Annotations(shapes=list(shapes), tracks=[track],
                                                  tags=[Tag(frame=1, label_id=sunny.id)]))
        write_dataset(dataset, fmt, folder / fmt)
        out.append((fmt, folder / fmt))
    return tuple(out)


def _samples(fmt: str) -> list[tuple[str, Path]]:
    found = [(f, p) for f, p in _external_samples() + _hand_written_samples() if f == fmt]
    if fmt in ("labelme", "voc", "masks", "datumaro", "mot"):
        found += [(f, p) for f, p in _written_samples() if f == fmt]
    return [(f, p) for f, p in found if p.exists() and _damageable(p)]


def _damageable(path: Path) -> list[Path]:
    return sorted(p for p in ([path] if path.is_file() else path.rglob("*")) if p.suffix in DAMAGED_SUFFIXES)


HOSTILE_VALUES: list[Any] = [
    None, True, False, 0, -1, 1.5, -7.25, 10**20, -(10**20), 2**63, 1e308, -1e308, float("inf"), float("nan"),
    "", "wide", ".", "x" * 300, "a/" * 3000 + "b.jpg", [], [1], [[1, 2, 3]], [1000000, 3], ["."], {}, {"a": 1},
    9999999, "iVBORw0KGgo=", "\u00e9\u4e2d", {"counts": 5, "size": [2, 2]}, {"counts": "zz", "size": [2, 2]}, {"counts": [1, 2], "size": ["a", 2]},
]
HOSTILE_TEXT = [
    "", "-1", "0", "1.5", "nan", "inf", "-inf", "1e308", "-1e308", "99999999999999999999", "2147483648",
    "-2147483649", "9999999", "x", "wide", "true", ".", "..", "a" * 300, "a/" * 3000 + "b.jpg", "\u00e9\u4e2d", "1,2;3",
    "0,0;1e308,5", "5, -3, 2",
]
BAD_BYTES = [b"\xff", b"\xc3\x28", b"\x80\x80", b"\x00", b"\xed\xa0\x80"]


# ---------------------------------------------------------------------- mutations


def _json_paths(value: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _json_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _json_paths(v, (*path, i))
    return out


def _replace(doc: Any, path: tuple, new: Any, delete: bool) -> Any:
    if not path:
        return new
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return doc


def _mutate_tree(doc: Any, draw: Any) -> Any:
    paths = _json_paths(doc)
    path = draw(st.sampled_from(paths))
    delete = bool(path) and draw(st.booleans()) and draw(st.booleans())
    return _replace(doc, path, draw(st.sampled_from(HOSTILE_VALUES)), delete)


def _mutate_json(text: str, draw: Any) -> str:
    return json.dumps(_mutate_tree(json.loads(text), draw))


def _mutate_yaml(text: str, draw: Any) -> str:
    return yaml.safe_dump(_mutate_tree(yaml.safe_load(text), draw), allow_unicode=True)


def _mutate_xml(text: str, draw: Any) -> bytes:
    root = ET.fromstring(text)
    elements = list(root.iter())
    element = draw(st.sampled_from(elements))
    choice = draw(st.sampled_from(["attribute", "attribute", "text", "duplicate", "remove-attribute", "remove"]))
    if choice in ("attribute", "remove-attribute") and element.attrib:
        key = draw(st.sampled_from(sorted(element.attrib)))
        if choice == "attribute":
            element.set(key, draw(st.sampled_from(HOSTILE_TEXT)))
        else:
            del element.attrib[key]
    elif choice in ("duplicate", "remove") and element is not root:
        parent = next(p for p in elements if element in list(p))
        if choice == "duplicate":
            parent.append(ET.fromstring(ET.tostring(element)))
        else:
            parent.remove(element)
    else:
        element.text = draw(st.sampled_from(HOSTILE_TEXT))
    return ET.tostring(root, encoding="utf-8")


def _mutate_lines(text: str, draw: Any) -> str:
    """One line's token (split at spaces, commas, ``=`` and ``:``, as label files, MOT rows, colour maps and
    ini files are) replaced, or the whole line."""
    lines = text.splitlines() or [""]
    n = draw(st.integers(0, len(lines) - 1))
    pieces = re.split(r"([\s,=:]+)", lines[n])
    tokens = list(range(0, len(pieces), 2))
    if draw(st.booleans()) and len(tokens) > 1:
        pieces[draw(st.sampled_from(tokens))] = draw(st.sampled_from(HOSTILE_TEXT))
        lines[n] = "".join(pieces)
    else:
        lines[n] = draw(st.sampled_from(HOSTILE_TEXT))
    return "\n".join(lines) + "\n"


def _mutate_bytes(raw: bytes, draw: Any) -> bytes:
    kind = draw(st.sampled_from(["flip", "insert", "truncate", "repeat"]))
    at = draw(st.integers(0, max(len(raw) - 1, 0)))
    if kind == "flip" and raw:
        return raw[:at] + bytes([raw[at] ^ (1 << draw(st.integers(0, 7)))]) + raw[at + 1:]
    if kind == "insert":
        return raw[:at] + draw(st.sampled_from(BAD_BYTES)) + raw[at:]
    if kind == "truncate":
        return raw[:at]
    end = min(len(raw), at + draw(st.integers(1, 64)))
    return raw[:end] + raw[at:end] * draw(st.integers(1, 50)) + raw[end:]


PIXEL_VALUES = [0, 1, 2, 3, 7, 20, 254, 255]
PNG_MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16", "F", "CMYK"]


def _mutate_png(raw: bytes, draw: Any) -> bytes:
    """A mask PNG decoded and changed as a careless tool would: a pixel set to an unexpected class or colour,
    the mode converted, the image cropped or enlarged, or the palette replaced."""
    image = Image.open(io.BytesIO(raw))
    image.load()
    kind = draw(st.sampled_from(["pixel", "pixel", "mode", "size", "palette"]))
    if kind == "pixel":
        x, y = draw(st.integers(0, image.width - 1)), draw(st.integers(0, image.height - 1))
        value = draw(st.sampled_from(PIXEL_VALUES))
        bands = len(image.getbands())
        image.putpixel((x, y), value if bands == 1 else tuple([value, 255 - value, value // 2, 255][:bands]))
    elif kind == "mode":
        mode = draw(st.sampled_from(PNG_MODES))
        if mode == "I;16":
            image = Image.fromarray(np.asarray(image.convert("L"), dtype=np.uint16) * 257)
        else:
            image = image.convert(mode)
    elif kind == "size":
        w, h = draw(st.sampled_from([(1, 1), (image.width - 1, image.height), (image.width, image.height + 3),
                                     (4096, 3)]))
        image = image.resize((max(w, 1), max(h, 1)), Image.Resampling.NEAREST)
    else:
        image = image.convert("L").convert("P")
        image.putpalette([draw(st.integers(0, 255)) for _ in range(3)] * 256)
    out = io.BytesIO()
    image.save(out, format="TIFF" if image.mode in ("F", "CMYK", "I") and draw(st.booleans()) else "PNG")
    return out.getvalue()


def _damage(file: Path, draw: Any) -> str:
    raw = file.read_bytes()
    structured = draw(st.integers(0, 3)) > 0
    try:
        if structured and file.suffix == ".png":
            file.write_bytes(_mutate_png(raw, draw))
        elif structured and file.suffix == ".json":
            file.write_text(_mutate_json(raw.decode(), draw))
        elif structured and file.suffix in (".yaml", ".yml"):
            file.write_text(_mutate_yaml(raw.decode(), draw))
        elif structured and file.suffix == ".xml":
            file.write_bytes(_mutate_xml(raw.decode(), draw))
        elif structured:
            file.write_text(_mutate_lines(raw.decode(), draw))
        else:
            file.write_bytes(_mutate_bytes(raw, draw))
            return "bytes"
    except (ValueError, yaml.YAMLError, ET.ParseError, TypeError, OSError):  # a sample the mutator cannot parse
        file.write_bytes(_mutate_bytes(raw, draw))
        return "bytes"
    return "structured"


# ---------------------------------------------------------------------- the property


def _snapshot(project: Project) -> tuple:
    from app.cli.project_cmds import project_info

    return json.dumps(project_info(project), sort_keys=True, default=str), json.dumps(project.settings(),
                                                                                     sort_keys=True)


@functools.cache
def _empty_project() -> Path:
    """One empty project file per test run, copied for each example (creating one runs the migrations)."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz-template-"))
    atexit.register(shutil.rmtree, folder, True)
    Project.create(folder / "empty.fmproj", "existing").close()
    return folder / "empty.fmproj"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


FORMATS = ("cvat", "coco", "yolo", "labelme", "voc", "masks", "datumaro", "mot")


@pytest.mark.parametrize("fmt", FORMATS)
def test_damaged_samples_never_crash_hang_or_write(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    samples = _samples(fmt)
    if not samples:
        pytest.skip(f"no {fmt} samples (the shared fixtures in ../shared/fixtures/external are absent)")
    from app.formats import cvat_xml_read

    monkeypatch.setattr(cvat_xml_read, "STREAM_FRAMES", 2)  # the small samples are written in several batches
    _fuzz(samples)


def test_every_format_has_samples() -> None:
    """The hand-written and writer-made samples exist for the formats without public fixtures."""
    for fmt in ("labelme", "voc", "masks", "datumaro", "mot"):
        samples = _samples(fmt)
        assert len(samples) >= 2, fmt
        for _fmt, sample in samples:  # each reads cleanly before it is damaged
            assert read_dataset(sample, fmt).frames, sample


def _fuzz(samples: list[tuple[str, Path]], example: Callable[[st.DataObject, list[tuple[str, Path]]], None] | None = None
          ) -> None:
    """Run ``example`` (default :func:`_example`) on :data:`EXAMPLES` hypothesis draws over ``samples``."""
    one = example or _example

    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=PHASES,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        one(data, samples)

    run()


def _example(data: st.DataObject, samples: list[tuple[str, Path]]) -> None:
    fmt, sample = data.draw(st.sampled_from(samples), label="sample")
    create_labels = data.draw(st.booleans(), label="create labels")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        copy = tmp_path / "data" / sample.name
        if sample.is_dir():
            shutil.copytree(sample, copy)
        else:
            copy.parent.mkdir()
            shutil.copy(sample, copy)
        target = data.draw(st.sampled_from(_damageable(copy)), label="damaged file")
        note(f"{fmt} {sample} -> {target.relative_to(tmp_path)} ({_damage(target, data.draw)})")

        started, peak = time.monotonic(), _peak_mib()
        try:
            dataset = read_dataset(copy, fmt, create_missing_labels=create_labels)
        except ALLOWED:
            dataset = None
        whole: object = "not read"
        if dataset is not None:
            new = tmp_path / "new.fmproj"
            try:
                whole = import_new_project(new, dataset, copy).counts
            except ALLOWED as exc:
                whole = type(exc)
                assert not new.exists(), "a failed import left a project file behind"
                assert not list(tmp_path.glob(".new.fmproj*")), "a failed import left its partial project behind"
        # The CLI's way into a new project (CVAT XML is written as it is read): the same outcome, same counts.
        streamed = tmp_path / "streamed.fmproj"
        try:
            outcome: object = import_file_as_new_project(streamed, copy, fmt, create_missing_labels=create_labels).counts
        except ALLOWED as exc:
            outcome = type(exc)
            assert not streamed.exists() and not list(tmp_path.glob(".streamed.fmproj*")), \
                "a failed streamed import left a project behind"
        if whole != "not read":
            assert outcome == whole, "reading as it writes gave another outcome than reading the whole file first"
        elif dataset is None:
            assert isinstance(outcome, type), "a file that cannot be read was imported when read as it is written"
        if dataset is not None:
            dataset = read_dataset(copy, fmt, create_missing_labels=create_labels)  # an import consumes its dataset
            existing = tmp_path / "existing.fmproj"
            shutil.copy(_empty_project(), existing)
            with Project.open(existing) as project:
                before = _snapshot(project)
                try:
                    import_into_project(project, dataset, copy, new_task=True, create_missing=True)
                except ALLOWED:
                    assert _snapshot(project) == before, "a failed import changed the project"
        elapsed = time.monotonic() - started
        assert elapsed < TIME_LIMIT_S, f"the import took {elapsed:.1f} s"
        assert _peak_mib() - peak < MEMORY_LIMIT_MIB, "the import raised peak memory by more than the bound"


# ---------------------------------------------------------------------- damaged archives

ZIP_FORMATS = ("yolo", "labelme", "voc", "masks", "datumaro", "mot", "coco")


def _zip_of(folder: Path, out: Path, draw: Any) -> Path:
    """The folder zipped (deflated or stored, flat or wrapped in one folder), as a user or CVAT would."""
    import zipfile

    method = draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]))
    wrap = draw(st.sampled_from(["", f"{folder.name}/"]))
    with zipfile.ZipFile(out, "w", method) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, wrap + file.relative_to(folder).as_posix())
    return out


def test_damaged_zips_never_crash_hang_or_write() -> None:
    """A zip of a sample, damaged inside (one member, as above) or as bytes (flipped, cut, repeated, a stray
    byte: headers, CRCs and compressed data), is read or refused with the project's errors only, in bounded
    time, leaving no project and no extraction folder behind."""
    samples = [(f, p) for fmt in ZIP_FORMATS for f, p in _samples(fmt) if p.is_dir()]
    if not samples:
        pytest.skip("no folder samples (tests/data/format_samples or the shared fixtures are absent)")
    _fuzz(samples, _zip_example)


def _zip_example(data: st.DataObject, samples: list[tuple[str, Path]]) -> None:
    fmt, sample = data.draw(st.sampled_from(samples), label="sample")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        copy = tmp_path / "data" / sample.name
        shutil.copytree(sample, copy)
        inside = data.draw(st.booleans(), label="damage a member")
        if inside:
            target = data.draw(st.sampled_from(_damageable(copy)), label="damaged member")
            note(f"{fmt} {sample}: member {target.relative_to(copy)} ({_damage(target, data.draw)})")
        archive = _zip_of(copy, tmp_path / f"{sample.name}.zip", data.draw)
        if not inside:
            raw = archive.read_bytes()
            archive.write_bytes(_mutate_bytes(raw, data.draw))
            note(f"{fmt} {sample}: zip bytes damaged")
        extractions = {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("fieldmark-zip-")}
        started = time.monotonic()
        try:
            read_dataset(archive, fmt, create_missing_labels=True)
        except ALLOWED:
            pass
        new = tmp_path / "new.fmproj"
        try:
            import_file_as_new_project(new, archive, fmt, create_missing_labels=True)
        except ALLOWED:
            assert not new.exists() and not list(tmp_path.glob(".new.fmproj*")), "a failed import left a project"
            media = tmp_path / "new_media"  # where the archive's images are copied (app.media.ingest.media_folder)
            assert not media.exists() or not any(media.iterdir()), "a failed import left copied images"
        else:
            with Project.open(new, read_only=True) as project:
                paths = [f.path for t in project.tasks() for f in project.frames(t.id)]
                assert not any("fieldmark-zip-" in p for p in paths), "a frame points into the extraction folder"
        left = {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("fieldmark-zip-")} - extractions
        assert not left, "an extraction folder was left behind"
        elapsed = time.monotonic() - started
        assert elapsed < TIME_LIMIT_S, f"the import took {elapsed:.1f} s"
