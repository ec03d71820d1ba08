"""Streaming CVAT XML import and batched writes (issue 14, speed and memory): same results as reading the whole
file, errors still name their line, and a batched import is still one transaction."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest

from app.formats import import_common
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
    monkeypatch.setattr(import_common, "IMPORT_BATCH", 16)
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
    monkeypatch.setattr(import_common, "IMPORT_BATCH", 16)
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


# ---------------------------------------------------------------- writing while reading (import into a new project)

LABELS_TWO = """<meta><task><name>t</name><labels><label><name>car</name><type>any</type><attributes>
<attribute><name>color</name><mutable>False</mutable><input_type>text</input_type><default_value>x</default_value>
<values>x</values></attribute></attributes></label><label><name>sky</name><type>tag</type><attributes/></label>
</labels></task></meta>"""


def _subset_file(path: Path, subset: str, frames: range, extra_label: str = "") -> None:
    images = []
    for k in frames:
        label = extra_label if extra_label and k == frames[-1] else "car"
        images.append(f'<image id="{k}" name="{subset}_{k}.jpg" width="64" height="48" subset="{subset}">'
                      f'<box label="{label}" xtl="1" ytl="2" xbr="{k % 50 + 3}" ybr="9" occluded="{k % 2}" '
                      f'z_order="{k % 3}"><attribute name="color">c{k}</attribute></box>'
                      f'<polygon label="car" points="1,1;{k % 40 + 5},1;3,7"/><tag label="sky"/></image>\n')
    path.write_text("<annotations><version>1.1</version>" + LABELS_TWO + "".join(images) + "</annotations>",
                    encoding="utf-8")


def _project_content(path: Path) -> list[tuple]:
    with Project.open(path, read_only=True) as project:
        labels = {label.id: label.name for label in project.labels()}
        out = []
        for task in project.tasks():
            frames = [(f.index, f.name, f.width, f.height) for f in project.frames(task.id)]
            jobs = project.jobs(task.id)
            ann = project.annotations(jobs[0].id)
            shapes = sorted((s.frame, labels[s.label_id], s.type.value, s.points, s.occluded, s.z_order,
                             sorted(s.attributes.values())) for s in ann.shapes)
            tags = sorted((t.frame, labels[t.label_id]) for t in ann.tags)
            out.append((task.name, task.subset, task.mode.value, frames, [(j.start_frame, j.stop_frame) for j in jobs],
                        shapes, tags))
        return out


def test_streamed_new_project_equals_reading_the_whole_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Datumaro's layout (one file per subset) with labels created on the way: the project built batch by
    batch is the one built from the whole dataset (tasks per subset, frames, jobs, shapes, attributes, tags)."""
    from app.formats import cvat_xml_read
    from app.formats.importer import import_file_as_new_project

    folder = tmp_path / "ds"
    folder.mkdir()
    _subset_file(folder / "train.xml", "train", range(0, 23), extra_label="truck")
    _subset_file(folder / "val.xml", "val", range(100, 111))
    whole = import_new_project(tmp_path / "whole.fmproj", read_cvat_xml(folder, create_missing_labels=True), folder)
    monkeypatch.setattr(cvat_xml_read, "STREAM_FRAMES", 4)
    handed: list[tuple[int, int]] = []
    original = cvat_xml_read.read_cvat_xml

    def spying(*args, sink=None, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        def spy(ds):  # noqa: ANN001, ANN202
            handed.append((len(ds.frames), len(ds.annotations.shapes)))
            sink(ds)
        return original(*args, sink=spy, **kwargs)

    monkeypatch.setattr(cvat_xml_read, "read_cvat_xml", spying)
    streamed = import_file_as_new_project(tmp_path / "streamed.fmproj", folder, "cvat", create_missing_labels=True)
    assert len(handed) >= 8 and max(n for _f, n in handed) <= 2 * 4  # never more than one batch of shapes
    assert streamed.counts == whole.counts and streamed.counts["shapes"] == 2 * 34
    assert streamed.report.describe() == whole.report.describe() == \
        "labels 'car', 'sky', 'truck' were created in the project"
    assert streamed.task_ids == whole.task_ids == [1, 2]
    content = _project_content(tmp_path / "streamed.fmproj")
    assert content == _project_content(tmp_path / "whole.fmproj")
    assert [(name, subset) for name, subset, *_ in content] == [("train", "train"), ("val", "val")]
    assert content[0][4] == [(0, 22)]  # the task's one job spans all its frames


def test_streamed_new_project_failing_late_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.formats import cvat_xml_read
    from app.formats.importer import import_file_as_new_project

    monkeypatch.setattr(cvat_xml_read, "STREAM_FRAMES", 2)
    xml = tmp_path / "a.xml"
    xml.write_text("<annotations>" + META + "".join(_image(k) for k in range(9)) + _image(9, width="x")
                   + "</annotations>", encoding="utf-8")
    with pytest.raises(FormatError, match="width"):
        import_file_as_new_project(tmp_path / "p.fmproj", xml, "cvat")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xml"]  # no project, no hidden part file


def test_new_project_builds_its_indexes_once_and_keeps_them(tmp_path: Path) -> None:
    """The bulk load drops the annotation indexes and builds them at the end: afterwards they are all there
    (and the unique uid index still refuses a duplicate)."""
    import sqlite3

    from app.formats.importer import import_file_as_new_project

    write_cvat_xml(bulk_dataset(6, 4), tmp_path / "a.xml")
    fresh = Project.create(tmp_path / "empty.fmproj", "e", [])
    fresh.close()

    def indexes(path: Path) -> list[tuple]:
        with sqlite3.connect(path) as db:
            return sorted(db.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND "
                                     "tbl_name IN ('shape', 'track', 'track_shape', 'tag')").fetchall())

    import_file_as_new_project(tmp_path / "p.fmproj", tmp_path / "a.xml", "cvat")
    assert indexes(tmp_path / "p.fmproj") == indexes(tmp_path / "empty.fmproj") != []
    with sqlite3.connect(tmp_path / "p.fmproj") as db, pytest.raises(sqlite3.IntegrityError, match="uid"):
        db.execute("UPDATE shape SET uid = (SELECT uid FROM shape WHERE id = 1) WHERE id = 2")


def test_streamed_new_tasks_in_an_open_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The import dialog's new-task import: the same tasks as reading the whole file first; unknown labels
    refused unless asked to create them; a cancel half-way (the progress callback raising) writes nothing."""
    from app.core.work import Cancelled
    from app.formats import cvat_xml_read
    from app.formats.importer import import_file_as_new_tasks

    monkeypatch.setattr(cvat_xml_read, "STREAM_FRAMES", 3)
    folder = tmp_path / "ds"
    folder.mkdir()
    _subset_file(folder / "train.xml", "train", range(0, 10))
    _subset_file(folder / "val.xml", "val", range(10, 14))
    for name in ("a", "b"):
        Project.create(tmp_path / f"{name}.fmproj", name, []).close()
    with Project.open(tmp_path / "a.fmproj") as project:
        with pytest.raises(FormatError, match="not in the project.*create missing labels"):
            import_file_as_new_tasks(project, folder, "cvat")
        assert project.tasks() == [] and list(project.labels()) == []

        calls = []

        def cancel_late(done: int, total: int) -> None:  # called as each file starts: cancel at the second
            calls.append(project.counts()["shapes"])
            if len(calls) == 2:
                raise Cancelled

        with pytest.raises(Cancelled):
            import_file_as_new_tasks(project, folder, "cvat", create_missing=True, progress=cancel_late)
        assert calls == [0, 20]  # the first file's shapes were written when the cancel came
        assert project.tasks() == [] and list(project.labels()) == []
        result = import_file_as_new_tasks(project, folder, "cvat", create_missing=True)
    with Project.open(tmp_path / "b.fmproj") as project:
        whole = import_into_project(project, read_cvat_xml(folder), folder, new_task=True, create_missing=True)
    assert result.counts == whole.counts and result.task_ids == whole.task_ids == [1, 2]
    assert _project_content(tmp_path / "a.fmproj") == _project_content(tmp_path / "b.fmproj")


def test_cli_new_task_import_into_an_existing_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``fieldmark import PROJECT FILE --new-task`` writes as it reads: a task per subset beside the existing
    one; a file broken after its first images is one clear message and leaves the project as it was."""
    from app.cli import main as cli_main

    folder = tmp_path / "ds"
    folder.mkdir()
    _subset_file(folder / "train.xml", "train", range(0, 5))
    _subset_file(folder / "val.xml", "val", range(5, 8))
    project_path = tmp_path / "p.fmproj"
    assert cli_main(["import", str(project_path), str(folder / "train.xml"), "--format", "cvat",
                     "--create-labels"]) == 0
    broken = tmp_path / "broken.xml"
    text = (folder / "val.xml").read_text(encoding="utf-8")
    broken.write_text(text[: text.rindex("<image")] + "<image id='9' name='x.jpg' width='w' height='4'/>"
                      "</annotations>", encoding="utf-8")
    capsys.readouterr()
    assert cli_main(["import", str(project_path), str(broken), "--format", "cvat", "--new-task"]) != 0
    assert "broken.xml" in capsys.readouterr().err
    with Project.open(project_path, read_only=True) as project:
        assert [t.name for t in project.tasks()] == ["t"]  # one file: its task's name
    assert cli_main(["import", str(project_path), str(folder), "--format", "cvat", "--new-task"]) == 0
    assert "tasks 2, 3 (one per subset)" in capsys.readouterr().out
    with Project.open(project_path, read_only=True) as project:
        assert [(t.name, t.subset) for t in project.tasks()] == [("t", "train"), ("train", "train"), ("val", "val")]
        assert project.counts()["shapes"] == 2 * (5 + 5 + 3)
