"""Team projects on PostgreSQL: lossless copies both ways, sequences after copies, uids, many writers,
read-only connections, and one clear message for each bad input (server, login, database, schema)."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import text

from app.cli import main
from app.domain import Shape, Tag, Track, TrackedShape
from app.domain.annotations import Annotations
from app.domain.enums import JobStage, JobState
from app.domain.project import FrameInfo
from app.quality import service, storage
from app.quality.gt_frames import FrameSelection, create_gt_job
from app.quality.settings import QualitySettings, save_settings
from app.storage import EmptyDatabaseError, Project, ProjectError
from app.storage.copy import copy_project
from app.storage.database import make_engine
from app.storage.location import parse_location
from app.storage.schema import metadata
from tests.unit.test_store import make_labels


def _fill(project: Project) -> None:
    """Every kind of row: skeletons, masks, tracks with elements, tags, GT job, replicas, settings, reports."""
    labels = project.labels()
    car, person, weather = labels.by_name("car"), labels.by_name("person"), labels.by_name("weather")
    color = car.attribute("color").id
    project.create_task("t", [FrameInfo(i, f"{i:03d}.jpg", 640, 480) for i in range(10)], segment_size=5)
    project.create_task("c", [FrameInfo(i, f"c{i}.jpg", 64, 48) for i in range(3)], consensus_replicas=2)
    job = project.jobs(1)[0].id
    skeleton_track = Track(person.id, 1, shapes=[TrackedShape("skeleton", 1, [])], elements=[
        Track(person.sublabels[0].id, 1, shapes=[TrackedShape("points", 1, [1.25, 2.5])]),
        Track(person.sublabels[1].id, 1, shapes=[TrackedShape("points", 1, [3, 4], outside=True)]),
    ])
    project.add_annotations(job, Annotations(
        shapes=[Shape("rectangle", 1, car.id, [1.1, 2.2, 3.3, 4.4], rotation=33.3, occluded=True, z_order=-2,
                      group=3, source="auto", score=0.123456789, attributes={color: "blue"}),
                Shape("mask", 2, car.id, [0.0, 6.0, 2.0, 1.0, 4.0, 2.0]),
                Shape("skeleton", 3, person.id, elements=[Shape("points", 3, person.sublabels[0].id, [5, 5]),
                                                          Shape("points", 3, person.sublabels[1].id, [6, 9])])],
        tracks=[Track(car.id, 0, shapes=[TrackedShape("rectangle", 0, [0, 0, 1, 1]),
                                         TrackedShape("rectangle", 4, [1, 1, 2, 2], outside=True)],
                      attributes={color: "red"}), skeleton_track],
        tags=[Tag(1, weather.id, source="semi-auto", score=0.25)]))
    gt = create_gt_job(project, 1, FrameSelection(method="manual", frames=[1, 6]))
    project.update_job(gt.id, stage=JobStage.ACCEPTANCE, state=JobState.COMPLETED, assignee="ann")
    project.add_shapes(gt.id, [Shape("rectangle", 1, car.id, [1, 2, 3, 4])])
    save_settings(project, QualitySettings(iou_threshold=0.55))
    project.set_quality_settings({"inherit": False, "iou_threshold": 0.7}, task_id=1)
    storage.save_task_result(project, 1, service.compute_task(project, 1))
    project.set_settings({"media_root": "/data/shared", "note": "ü ✓"})


def dump(target: str | Path) -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key, booleans as ints and uids as text: the whole project,
    field by field."""
    engine = make_engine(parse_location(target), read_only=True)
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            order = ", ".join(table.primary_key.columns.keys())
            rows = conn.execute(text(f"SELECT * FROM {table.name} ORDER BY {order}")).all()
            out[table.name] = [tuple(int(v) if isinstance(v, bool) else str(v) if isinstance(v, UUID) else v
                                     for v in r) for r in rows]
    engine.dispose()
    return out


def test_copy_sqlite_to_postgresql_and_back_is_lossless(tmp_path: Path, pg_url: str) -> None:
    with Project.create(tmp_path / "a.fmproj", "team", make_labels()) as project:
        _fill(project)
    original = dump(tmp_path / "a.fmproj")
    assert all(original[t] for t in ("shape", "track", "track_shape", "tag", "quality_report", "job"))
    copy_project(tmp_path / "a.fmproj", pg_url)
    assert dump(pg_url) == original
    assert main(["copy", pg_url, str(tmp_path / "b.fmproj")]) == 0
    assert dump(tmp_path / "b.fmproj") == original


def test_writes_after_a_copy_get_fresh_ids(tmp_path: Path, pg_url: str) -> None:
    with Project.create(tmp_path / "a.fmproj", "team", make_labels()) as project:
        _fill(project)
        before = project.annotations(1)
    copy_project(tmp_path / "a.fmproj", pg_url)
    with Project.open(pg_url) as project:
        car = project.labels().by_name("car").id
        (sid,) = project.add_shapes(1, [Shape("rectangle", 0, car, [0, 0, 1, 1])])
        assert sid > max(s.id for s in before.shapes)
        task = project.create_task("new", [FrameInfo(0, "n.jpg", 5, 5)])
        assert task.id == 3 and project.jobs(task.id)
        assert [s.uid for s in project.annotations(1).shapes[:3]] == [s.uid for s in before.shapes]


def test_uids_are_new_for_new_objects_and_kept_by_edits(pg_url: str) -> None:
    with Project.create(pg_url, "u", make_labels()) as project:
        project.create_task("t", [FrameInfo(0, "a.jpg", 10, 10)])
        car = project.labels().by_name("car").id
        shape = Shape("rectangle", 0, car, [0, 0, 1, 1])
        project.add_shapes(1, [shape])
        stored = project.frame_shapes(1, 0)[0]
        assert stored.uid == shape.uid and len(shape.uid) == 36
        edited = stored.copy(points=[1, 1, 2, 2])
        project.replace_annotations(1, remove_shapes=[stored.id], add=Annotations(shapes=[edited]))
        assert project.frame_shapes(1, 0)[0].uid == stored.uid
        pasted = stored.copy(id=None)
        project.add_shapes(1, [pasted])
        assert pasted.uid != stored.uid


def test_two_writers_share_a_team_project(pg_url: str) -> None:
    with Project.create(pg_url, "team", make_labels()) as first:
        first.create_task("t", [FrameInfo(i, f"{i}.jpg", 10, 10) for i in range(4)], segment_size=2)
        car = first.labels().by_name("car").id
        with Project.open(pg_url) as second:
            for _ in range(3):
                first.add_shapes(1, [Shape("rectangle", 0, car, [0, 0, 1, 1])] * 1)
                second.add_shapes(2, [Shape("rectangle", 2, car, [0, 0, 1, 1]) for _ in range(100)])
            assert len(first.frame_shapes(2, 2)) == 300 and len(second.frame_shapes(1, 0)) == 3


def test_read_only_connection_refuses_raw_writes(pg_url: str) -> None:
    Project.create(pg_url, "ro", make_labels()).close()
    with Project.open(pg_url, read_only=True) as reader:
        with pytest.raises(Exception, match="read-only transaction"):
            reader.conn.execute(text("DELETE FROM label"))
        reader.conn.rollback()
        assert len(reader.labels()) == 3


def test_bad_targets_each_get_one_clear_message(pg_cluster, pg_url: str, tmp_path: Path) -> None:
    server = pg_url.rsplit("/", 1)[0]
    with pytest.raises(EmptyDatabaseError, match="empty database.*fieldmark create"):
        Project.open(pg_url)
    with pytest.raises(ProjectError, match="no database 'missing'"):
        Project.open(f"{server}/missing")
    with pytest.raises(ProjectError, match="Cannot reach the PostgreSQL server at 127.0.0.1:1 "):
        Project.open("postgresql://postgres@127.0.0.1:1/x")
    with pytest.raises(ProjectError, match="no password in a project URL"):
        Project.open(f"postgresql://postgres:secret@127.0.0.1:{pg_cluster.port}/x")
    foreign = pg_cluster.create_database()
    pg_cluster.admin_execute_in(foreign, "CREATE TABLE invoices (id int)")
    for action in (Project.open, Project.create):
        with pytest.raises(ProjectError, match="invoices|not empty"):
            action(foreign)
    assert main(["import", foreign, str(tmp_path / "none.xml"), "--format", "cvat"]) == 2
    with Project.create(pg_url, "x") as project, project.transaction() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(ProjectError, match="newer Fieldmark"):
        Project.open(pg_url)


def test_password_comes_from_libpq_sources(pg_cluster, pg_url: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    pg_cluster.require_password("fm_secret", "s3cret")
    url = pg_url.replace("postgres@", "fm_secret@")
    monkeypatch.setenv("PGPASSWORD", "wrong")
    with pytest.raises(ProjectError, match="refused the login of user fm_secret: wrong or missing password"):
        Project.create(url)
    monkeypatch.delenv("PGPASSWORD")
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{pg_cluster.port}:*:fm_secret:s3cret\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    Project.create(url, "pw").close()
    assert main(["info", url]) == 0


def test_cli_create_and_import_into_a_database(pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps([{"name": "car", "type": "rectangle", "attributes": []}]))
    assert main(["create", pg_url, "--labels", str(labels)]) == 0
    assert main(["create", pg_url, "--labels", str(labels)]) == 2
    assert "already holds a Fieldmark project" in capsys.readouterr().err
    assert main(["info", pg_url, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["path"] == pg_url and [label["name"] for label in info["labels"]] == ["car"]
