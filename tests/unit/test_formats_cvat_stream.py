"""Streaming CVAT XML import and batched writes (issue 14, speed and memory): same results as reading the whole
file, errors still name their line, and a batched import is still one transaction."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest

from app.formats import importer
from app.formats.cvat_xml_read import read_cvat_xml
from app.formats.cvat_xml_write import write_cvat_xml
from app.formats.errors import FormatError
from app.formats.importer import import_into_project, import_new_project
from app.formats.synthetic import bulk_dataset
from app.formats.xmltree import parse_stream
from app.storage.annotation_rows import new_uid
from app.storage.store import Project

META = """<meta><task><name>t</name><labels><label><name>car</name><type>any</type><attributes/></label>
</labels></task></meta>"""


def _image(k: int, width: str = "10") -> str:
    return (f'<image id="{k}" name="f{k}.jpg" width="{width}" height="10">'
            f'<box label="car" xtl="1" ytl="1" xbr="{k + 2}" ybr="3" occluded="0"/></image>\n')


def test_parse_stream_hands_over_and_drops_children() -> None:
    seen: list[tuple[str, int]] = []

    def on_child(root, node, offset):  # noqa: ANN001, ANN202
        seen.append((node.tag, node.line))
        return node.tag == "image"

    root = parse_stream(io.BytesIO(b"<a>\n<meta/>\n<image><box/></image>\n<image/>\n<tag/>\n</a>"), "x.xml", on_child)
    assert seen == [("meta", 2), ("image", 3), ("image", 4), ("tag", 5)]
    assert [c.tag for c in root.children] == ["meta", "tag"]  # the images were dropped once handed over


def test_streamed_read_keeps_order_and_names_the_line_of_a_bad_image(tmp_path: Path) -> None:
    xml = tmp_path / "a.xml"
    xml.write_text("<annotations>\n<version>1.1</version>\n" + META + "\n" + "".join(_image(k) for k in range(5))
                   + "</annotations>\n", encoding="utf-8")
    ds = read_cvat_xml(xml)
    assert [f.name for f in ds.frames] == [f"f{k}.jpg" for k in range(5)]
    assert [s.points[2] for s in ds.annotations.shapes] == [k + 2 for k in range(5)]
    assert ds.meta["layout"] == "images"
    lines = xml.read_text(encoding="utf-8").splitlines()
    bad = lines.index(_image(3).strip()) + 1
    lines[bad - 1] = _image(3, width="0").strip()
    xml.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(FormatError, match=f"line {bad}, <image>"):
        read_cvat_xml(xml)


def test_meta_after_the_images_is_still_read(tmp_path: Path) -> None:
    """Streaming needs <meta> first; a file with it last is read whole, as before."""
    xml = tmp_path / "a.xml"
    xml.write_text("<annotations>" + "".join(_image(k) for k in range(3)) + META + "</annotations>", encoding="utf-8")
    ds = read_cvat_xml(xml)
    assert len(ds.frames) == 3 and len(ds.annotations.shapes) == 3
    assert [label.name for label in ds.labels] == ["car"]


def test_streamed_read_equals_the_written_dataset(tmp_path: Path) -> None:
    source = bulk_dataset(40, 7)
    write_cvat_xml(source, tmp_path / "a.xml")
    ds = read_cvat_xml(tmp_path / "a.xml")
    assert [(s.frame, s.type, s.points, s.z_order) for s in ds.annotations.shapes] == \
        [(s.frame, s.type, s.points, s.z_order) for s in sorted(source.annotations.shapes,
                                                                 key=lambda s: (s.frame, s.z_order))]


def test_batched_import_writes_everything_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "IMPORT_BATCH", 16)
    write_cvat_xml(bulk_dataset(12, 5), tmp_path / "a.xml")
    expected = [(s.frame, s.points) for s in read_cvat_xml(tmp_path / "a.xml").annotations.shapes]
    dataset = read_cvat_xml(tmp_path / "a.xml")
    result = import_new_project(tmp_path / "p.fmproj", dataset, tmp_path / "a.xml")
    assert dataset.annotations.shapes == []  # consumed batch by batch
    with Project.open(tmp_path / "p.fmproj", read_only=True) as project:
        shapes = project.annotations(result.job_ids[0]).shapes
    assert [(s.frame, s.points) for s in shapes] == expected
    assert len({s.uid for s in shapes}) == len(shapes)


def test_a_failing_later_batch_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "IMPORT_BATCH", 16)
    write_cvat_xml(bulk_dataset(12, 5), tmp_path / "a.xml")
    import_new_project(tmp_path / "p.fmproj", read_cvat_xml(tmp_path / "a.xml"), tmp_path / "a.xml")
    calls = []
    original = Project.add_annotations

    def failing(self, job_id, ann, **kw):  # noqa: ANN001, ANN003, ANN202
        calls.append(len(ann.shapes))
        if len(calls) == 3:
            raise FormatError(tmp_path / "a.xml", "", "stop")
        return original(self, job_id, ann, **kw)

    monkeypatch.setattr(Project, "add_annotations", failing)
    with Project.open(tmp_path / "p.fmproj") as project:
        before = project.counts()
        with pytest.raises(FormatError, match="stop"):
            import_into_project(project, read_cvat_xml(tmp_path / "a.xml"), tmp_path / "a.xml", task=1)
        assert calls[:2] == [16, 16]
        assert project.counts() == before


def test_new_uids_are_random_version_4() -> None:
    uids = [new_uid() for _ in range(10_000)]
    assert len(set(uids)) == len(uids)
    for text in uids[:500]:
        value = uuid.UUID(text)
        assert str(value) == text and value.version == 4 and value.variant == uuid.RFC_4122


def test_an_error_of_the_callback_is_not_called_bad_xml() -> None:
    def on_child(root, node, offset):  # noqa: ANN001, ANN202
        raise KeyError("a bug in the reader")

    with pytest.raises(KeyError, match="a bug in the reader"):
        parse_stream(io.BytesIO(b"<a><image/></a>"), "x.xml", on_child)
