"""fastsql.insert_columns (bulk rows given column by column, one-value columns written once as literals on
SQLite), the 0/1 flags PostgreSQL gets as booleans, the in-memory journal of a bulk load, and the uid-less
frame-range read of exports. Both engines where the code differs."""

from __future__ import annotations

import math
import sqlite3
import sys
import uuid
from pathlib import Path

import pytest

from app.domain.annotations import Annotations, Shape
from app.domain.project import FrameInfo
from app.storage.annotation_rows import new_uids
from app.storage.fastsql import BULK_CACHE_KIB, Same, _literal, insert_columns, raw_rows, same_or_each
from app.storage.store import Project
from tests.unit.test_live_updates import make_labels

COLUMNS = "id, job_id, frame, label_id, type, points, rotation, occluded, outside, z_order, group_id, source, " \
          "score, attributes, parent_id, uid"


def _job(project: Project) -> int:
    task = project.create_task("t", [FrameInfo(i, f"{i}.jpg", 10, 10) for i in range(4)])
    return project.jobs(task.id)[0].id


def _read(project: Project) -> list[tuple]:
    rows = raw_rows(project.conn, f"SELECT {COLUMNS} FROM shape ORDER BY id")
    return [tuple(str(v) if isinstance(v, uuid.UUID) else v for v in row) for row in rows]


@pytest.mark.parametrize("count", [3, 100])  # PostgreSQL: executemany below 64 rows, COPY from there
def test_insert_columns_stores_what_the_columns_say(project_location: str, count: int) -> None:
    odd_text = "it's \"quoted\"; DROP TABLE shape; --"
    with Project.create(project_location, "cols", make_labels()) as project:
        job = _job(project)
        uids = new_uids(count)
        with project.transaction() as conn:
            insert_columns(conn, "shape", {
                "id": range(1, count + 1), "job_id": Same(job), "frame": [k % 4 for k in range(count)],
                "label_id": Same(1), "type": same_or_each(["rectangle"] * count, str),
                "points": [bytes(32)] * count, "rotation": Same(1.5), "occluded": same_or_each([1] * count, int),
                "outside": [k % 2 for k in range(count)], "z_order": Same(-3), "group_id": Same(0),
                "source": Same(odd_text), "score": Same(0.25), "attributes": Same(None), "parent_id": Same(None),
                "uid": uids,
            }, count)
        rows = _read(project)
    # 0/1 flags compare equal to PostgreSQL's booleans
    assert rows == [(k + 1, job, k % 4, 1, "rectangle", bytes(32), 1.5, 1, k % 2, -3, 0, odd_text, 0.25, None, None,
                     uids[k]) for k in range(count)]


def test_values_that_cannot_be_literals_are_bound(tmp_path: Path) -> None:
    """Text with a NUL, infinite floats and big integers stay parameters (the statement text cannot hold them)."""
    conn = sqlite3.connect(tmp_path / "t.db")
    conn.execute("CREATE TABLE t (a, b, c, d, e)")

    class Raw:  # what insert_columns needs of a SQLAlchemy connection
        dialect = type("D", (), {"name": "sqlite"})()
        connection = type("C", (), {"driver_connection": conn})()

    insert_columns(Raw(), "t", {"a": Same("nul\x00inside"), "b": Same(math.inf), "c": Same(-math.inf),  # type: ignore[arg-type]
                                "d": Same(b"\x00\x01'"), "e": [1, 2]}, 2)
    assert conn.execute("SELECT a, b, c, d, e FROM t ORDER BY e").fetchall() == [
        ("nul\x00inside", math.inf, -math.inf, b"\x00\x01'", 1), ("nul\x00inside", math.inf, -math.inf, b"\x00\x01'", 2)]
    assert _literal("a\x00") is None and _literal(math.nan) is None and _literal(2**63) is None
    assert _literal("it's") == "'it''s'" and _literal(b"\x01") == "X'01'" and _literal(True) == "1"
    assert _literal(None) == "NULL" and _literal(-0.5) == "-0.5" and _literal(object()) is None


def test_same_or_each_finds_one_value_columns() -> None:
    one = same_or_each([0, 0, 0], float)
    assert isinstance(one, Same) and one.value == 0.0 and type(one.value) is float
    assert same_or_each([0, 1, 0], float) == [0.0, 1.0, 0.0]
    assert isinstance(same_or_each([float("nan"), float("nan")], float), list)  # NaNs never equal: bound one by one


def test_flags_given_as_0_1_reach_postgresql_as_booleans(pg_url: str) -> None:
    """Rows are built with 0/1 flags (cheaper to bind on SQLite); a few rows (executemany) and many (COPY)."""
    with Project.create(pg_url, "flags", make_labels()) as project:
        job = _job(project)
        project.add_annotations(job, Annotations(shapes=[Shape("rectangle", 0, 1, [0, 0, 1, 1], occluded=True)]))
        project.add_annotations(job, Annotations(shapes=[Shape("rectangle", 1, 1, [0, 0, 1, 1], occluded=k % 2 == 0)
                                                         for k in range(100)]))
        flags = raw_rows(project.conn, "SELECT occluded, outside FROM shape ORDER BY id")
    assert flags[0] == (True, False) and [f[0] for f in flags[1:]] == [k % 2 == 0 for k in range(100)]


def test_a_bulk_load_keeps_its_journal_in_memory_and_leaves_wal(tmp_path: Path) -> None:
    path = tmp_path / "p.fmproj"
    with Project.create(path, "bulk", make_labels()) as project:
        job = _job(project)
        modes = []
        with project.bulk_load():
            modes.append(raw_rows(project.conn, "PRAGMA journal_mode")[0][0])
            project.add_annotations(job, Annotations(shapes=[Shape("rectangle", 0, 1, [0, 0, 1, 1])]))
        modes.append(raw_rows(project.conn, "PRAGMA journal_mode")[0][0])
        with pytest.raises(RuntimeError, match="half-way"), project.bulk_load():
            project.add_annotations(job, Annotations(shapes=[Shape("rectangle", 1, 1, [0, 0, 1, 1])] * 3))
            raise RuntimeError("half-way")
        modes.append(raw_rows(project.conn, "PRAGMA journal_mode")[0][0])
        assert project.counts()["shapes"] == 1  # the failed load was rolled back
        indexes = {r[0] for r in raw_rows(project.conn, "SELECT name FROM sqlite_master WHERE type = 'index' "
                                                        "AND tbl_name = 'shape'")}
    assert modes == ["memory", "wal", "wal"]
    assert {"ix_shape_job_frame", "ix_shape_parent", "uq_shape_uid"} <= indexes


def test_frame_range_read_without_uids(project_location: str) -> None:
    with Project.create(project_location, "range", make_labels()) as project:
        job = _job(project)
        project.add_annotations(job, Annotations(shapes=[Shape("rectangle", k % 4, 1, [k, 0, k + 1, 1], z_order=k)
                                                         for k in range(10)]))
        full = project.frame_range_annotations(job, 1, 3, by_frame=True)
        light = project.frame_range_annotations(job, 1, 3, by_frame=True, uids=False)
    assert [s.uid for s in light.shapes] == [None] * len(full.shapes) and all(s.uid for s in full.shapes)
    assert light.shapes == full.shapes  # uid is not compared: everything else is the same


def test_a_bulk_write_has_a_larger_page_cache_while_it_lasts(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.fmproj", "cache", make_labels()) as project:
        before = raw_rows(project.conn, "PRAGMA cache_size")[0][0]
        with project.bulk_write():
            during = raw_rows(project.conn, "PRAGMA cache_size")[0][0]
        after = raw_rows(project.conn, "PRAGMA cache_size")[0][0]
        with pytest.raises(RuntimeError), project.bulk_write():
            raise RuntimeError("failed")
        after_failure = raw_rows(project.conn, "PRAGMA cache_size")[0][0]
        with project.bulk_load(), project.bulk_write():  # a new project's load appends: no cache
            nested = raw_rows(project.conn, "PRAGMA cache_size")[0][0]
    assert during == -BULK_CACHE_KIB and before == after == after_failure == nested != during


def test_readers_and_imports_run_with_the_collector_paused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big file builds 100,000s of acyclic objects: every full collection would rescan them all."""
    import gc

    import app.formats.importer as importer
    from app.formats.dataset import Dataset, DatasetFrame

    seen = []

    def reader(path: Path, **_options: object) -> Dataset:
        seen.append(gc.isenabled())
        return Dataset(labels=[], frames=[DatasetFrame(index=0, name="a.jpg", width=4, height=4)],
                       annotations=Annotations())

    monkeypatch.setitem(importer._PLAIN_READERS, "labelme", ("tests.unit.test_fastsql_columns", "_reader"))
    monkeypatch.setattr(sys.modules[__name__], "_reader", reader, raising=False)
    importer.read_dataset(tmp_path, "labelme")
    assert seen == [False] and gc.isenabled()
