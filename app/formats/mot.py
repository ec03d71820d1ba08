"""MOT challenge sequences (MOT15-MOT20, Datumaro's ``mot_seq_gt``): ``gt/gt.txt`` + ``gt/labels.txt`` +
``img1/`` (+ ``seqinfo.ini``).

``gt.txt`` rows are ``frame, id, x, y, w, h, conf, class, visibility`` (7 to 10 comma-separated
columns; frames are 1-based). Reading: rows with an id > 0 become tracks of rectangles (a gap ends the
track with an outside keyframe), others plain rectangles; ``class`` is 1-based into ``labels.txt``
(MOT's 12 standard classes without it; -1 or a missing column → ``unlabeled``); ``visibility`` 0 → occluded;
``conf`` 0 (ignored) → a checkbox attribute ``ignored``. Frames are ``img1`` images (or ``seqinfo.ini``'s
``seqLength``); the dataset is read as a video (frames matched by number on import).

Writing: every rectangle (plain, or of a track on the frames where it is visible) as one row; frames
numbered from 1 in dataset order; images ``img1/%06d<ext>``; ``seqinfo.ini`` when every frame has the
same size. Other shape types, attributes (but ``ignored``), rotation and tags are not written.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from app.domain.annotations import Annotations, Shape
from app.domain.enums import AttributeType, ShapeType
from app.domain.labels import AttributeSpec, Label
from app.formats.coco_tracks import TrackCollector
from app.formats.dataset import Dataset, DatasetFrame, LabelRegistry, Progress
from app.formats.errors import FormatError
from app.formats.frame_matching import is_dir
from app.formats.plain_common import LabelIndex, parse_int, parse_number, read_text, shapes_by_frame
from app.media.errors import MediaError
from app.media.images import IMAGE_SUFFIXES, probe_image

MOT_LABELS = ("pedestrian", "person on vehicle", "car", "bicycle", "motorbike", "non motorized vehicle",
              "static person", "distractor", "occluder", "occluder on the ground", "occluder full", "reflection")
#: Longest sequence read (4.6 h at 30 fps): every frame up to the last becomes a frame of the task, so a
#: damaged ``seqLength`` or frame number must not build millions of them.
MAX_FRAMES = 500_000


def _seqinfo(path: Path) -> dict[str, str]:
    fields = {}
    for line in read_text(path).splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            fields[key.strip().lower()] = value.strip()
    return fields


def _root(path: Path) -> Path:
    if not path.exists():
        raise FormatError(path, "", "the file does not exist")
    if path.is_file():
        return path.parent.parent if path.parent.name == "gt" else path.parent
    if (path / "gt" / "gt.txt").is_file():
        return path
    raise FormatError(path, "", "not a MOT sequence: gt/gt.txt is missing")


def read_mot(path: Path, *, progress: Progress | None = None) -> Dataset:
    """Read a MOT sequence folder (or its ``gt/gt.txt``)."""
    root = _root(Path(path))
    gt = Path(path) if Path(path).is_file() else root / "gt" / "gt.txt"
    labels_file = gt.parent / "labels.txt"
    names = ([n.strip() for n in read_text(labels_file).splitlines() if n.strip()] if labels_file.is_file()
             else list(MOT_LABELS))
    registry = LabelRegistry()
    for name in dict.fromkeys(names):
        registry.add(Label(name=name))
    warnings: list[str] = []
    info = _seqinfo(root / "seqinfo.ini") if (root / "seqinfo.ini").is_file() else {}
    image_dir = root / (info.get("imdir") or "img1")
    images = sorted(p for p in image_dir.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if is_dir(image_dir) else []
    by_number: dict[int, Path] = {}
    for image in images:
        if image.stem.isdigit():
            by_number[int(image.stem)] = image
    width = height = 0
    length = 0
    if info:
        where = "seqinfo.ini"
        width = parse_int(info.get("imwidth", "0"), root / where, "imWidth", lo=0, hi=200_000)
        height = parse_int(info.get("imheight", "0"), root / where, "imHeight", lo=0, hi=200_000)
        length = parse_int(info.get("seqlength", "0"), root / where, "seqLength", lo=0, hi=MAX_FRAMES)
    rows = []
    last = max([length, *by_number]) if (length or by_number) else 0
    for n, line in enumerate(read_text(gt).splitlines(), start=1):
        if not line.strip():
            continue
        cols = [c.strip() for c in line.split(",")]
        where = f"line {n}"
        if len(cols) < 6:
            raise FormatError(gt, where, f"expected at least 6 comma-separated columns (frame, id, x, y, w, h), "
                                         f"found {len(cols)}")
        frame = parse_int(cols[0], gt, f"{where}, column 1 (frame)", lo=1, hi=MAX_FRAMES)
        track = parse_int(cols[1], gt, f"{where}, column 2 (id)")
        x, y, w, h = (parse_number(c, gt, f"{where}, column {k + 3}") for k, c in enumerate(cols[2:6]))
        if w < 0 or h < 0:
            raise FormatError(gt, where, f"the box has a negative size ({w} x {h})")
        conf = parse_number(cols[6], gt, f"{where}, column 7 (conf)", limit=1e9) if len(cols) > 6 and cols[6] else 1.0
        cls = parse_int(cols[7], gt, f"{where}, column 8 (class)") if len(cols) > 7 and cols[7] else -1
        vis = parse_number(cols[8], gt, f"{where}, column 9 (visibility)", limit=1e9) if len(cols) > 8 and cols[8] \
            else 1.0
        if cls != -1 and not 1 <= cls <= len(names):
            raise FormatError(gt, f"{where}, column 8 (class)", f"class {cls} is not in 1..{len(names)} ("
                              + ("labels.txt" if labels_file.is_file() else "the MOT classes") + ")")
        rows.append((frame, track, [x, y, x + w, y + h], conf, cls, vis))
        last = max(last, frame)
    frames = []
    files: list[str | None] = []
    for number in range(1, last + 1):
        image = by_number.get(number)
        fw, fh = width, height
        if image is not None and (fw <= 0 or fh <= 0):
            try:
                fw, fh = probe_image(image)
            except MediaError as exc:
                raise FormatError(image, "", str(exc)) from exc
        ext = info.get("imext", ".jpg")
        frames.append(DatasetFrame(index=number - 1, name=image.name if image else f"{number:06d}{ext}",
                                   width=fw, height=fh, number=number - 1))
        files.append(str(image) if image else None)
    ignored: AttributeSpec | None = None
    ann = Annotations()
    tracks = TrackCollector()
    for k, (frame, track, points, conf, cls, vis) in enumerate(rows):
        label = registry.get(names[cls - 1]) if cls != -1 else registry.get("unlabeled") or registry.create("unlabeled")
        shape = Shape(type=ShapeType.RECTANGLE, frame=frame - 1, label_id=label.id, points=points, occluded=vis <= 0)
        if conf == 0:
            ignored = label.attribute("ignored")
            if ignored is None:
                ignored = registry.add_attribute(label, "ignored")
                ignored.input_type, ignored.values, ignored.default_value = AttributeType.CHECKBOX, ["false"], "false"
            shape.attributes[ignored.id] = "true"
        if track > 0:
            tracks.add(track, True, shape)
        else:
            ann.shapes.append(shape)
        if progress is not None and k % 4096 == 0:
            progress(k, len(rows))
    ann.tracks = tracks.tracks(len(frames))
    return Dataset(labels=registry.labels, frames=frames, annotations=ann,
                   meta={"format": "mot", "layout": "video", "warnings": warnings, "image_files": files})


def write_mot(dataset: Dataset, folder: Path, *, progress: Progress | None = None, **_options: Any) -> str:
    """Write ``gt/gt.txt``, ``gt/labels.txt`` (and ``seqinfo.ini``) under ``folder``; returns the layout."""
    index = LabelIndex(dataset)
    names = [label.name for label in dataset.labels]
    class_of = {label.id: k + 1 for k, label in enumerate(dataset.labels)}
    by_frame = shapes_by_frame(dataset)
    track_ids: dict[int, int] = {}
    lines = []
    total = len(dataset.frames)
    for k, frame in enumerate(dataset.frames):
        for shape, track, _key in by_frame.get(frame.index, []):
            if shape.type is not ShapeType.RECTANGLE:
                continue
            if track is None:
                number = -1
            else:
                number = track_ids.setdefault(track, len(track_ids) + 1)
            x1, y1, x2, y2 = shape.points[:4]
            attrs = index.attributes(shape.attributes)
            conf = 0 if attrs.get("ignored") is True or str(attrs.get("ignored")).lower() == "true" else 1
            vis = 0.0 if shape.occluded else 1.0
            lines.append(f"{k + 1},{number},{x1:g},{y1:g},{x2 - x1:g},{y2 - y1:g},{conf},"
                         f"{class_of.get(shape.label_id, -1)},{vis:g}")
        if progress is not None and k % 256 == 0:
            progress(k, total)
    gt = folder / "gt"
    gt.mkdir(parents=True, exist_ok=True)
    (gt / "gt.txt").write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    (gt / "labels.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    suffixes = {PurePosixPath(f.name).suffix.lower() or ".png" for f in dataset.frames}
    ext = suffixes.pop() if len(suffixes) == 1 else ""
    sizes = {(f.width, f.height) for f in dataset.frames}
    if len(sizes) == 1 and dataset.frames and not suffixes:
        (w, h), = sizes
        name = " ".join(str(dataset.meta.get("name") or "sequence").split())
        (folder / "seqinfo.ini").write_text(
            f"[Sequence]\nname={name}\nimDir=img1\nframeRate=30\n"
            f"seqLength={len(dataset.frames)}\nimWidth={w}\nimHeight={h}\nimExt={ext}\n", encoding="utf-8")
    dataset.meta["export_image_paths"] = [f"img1/{k + 1:06d}{PurePosixPath(f.name).suffix or '.png'}"
                                          for k, f in enumerate(dataset.frames)]
    return "mot"
