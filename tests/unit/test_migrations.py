"""Every schema migration on SQLite and PostgreSQL: step by step up and back down, the head schema equal to
app/storage/schema.py, and old project files (v0001, v0003) migrated on open with their rows given uids."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app.storage import Project
from app.storage.database import alembic_config, connect, current_revision, head_revision, make_engine, upgrade
from app.storage.location import parse_location
from app.storage.schema import metadata

DATA = Path(__file__).resolve().parents[1] / "data"
UID_TABLES = ("task", "job", "shape", "track", "tag")


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _downgrade(target: str, revision: str) -> None:
    location = parse_location(target)
    engine = make_engine(location, read_only=False, transactional_ddl=True)
    config = alembic_config()
    with connect(engine, location) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("BEGIN")
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
    engine.dispose()


def _tables(target: str) -> set[str]:
    engine = make_engine(parse_location(target), read_only=True)
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
    engine.dispose()
    return names


def test_each_revision_up_and_down(project_location: str) -> None:
    revisions = _revisions()
    assert revisions[0] == "0001" and revisions[-1] == head_revision()
    for revision in revisions:
        upgrade(parse_location(project_location), revision)
        assert current_revision(make_engine(parse_location(project_location), read_only=True)) == revision
    assert {"project", "shape", "quality_report"} <= _tables(project_location)
    for previous in reversed(["base", *revisions[:-1]]):
        _downgrade(project_location, previous)
    assert _tables(project_location) <= {"alembic_version"}


def test_head_schema_matches_the_table_definitions(project_location: str) -> None:
    Project.create(project_location).close()
    engine = make_engine(parse_location(project_location), read_only=True)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def _uids(path: Path | str) -> dict[str, list]:
    engine = make_engine(parse_location(path), read_only=True)
    with engine.connect() as conn:
        out = {t: [r[0] for r in conn.execute(text(f"SELECT uid FROM {t}"))] for t in UID_TABLES}
    engine.dispose()
    return out


def test_v0001_file_is_migrated_and_rows_get_uids(tmp_path: Path) -> None:
    old = tmp_path / "old.fmproj"
    shutil.copy(DATA / "project_v0001.fmproj", old)
    Project.open(old).close()
    uids = _uids(old)
    assert len(uids["shape"]) == 1 and len(uids["job"]) == 1 and len(uids["task"]) == 1
    every = [u for values in uids.values() for u in values]
    assert all(u and len(u) == 36 for u in every) and len(set(every)) == len(every)


def test_v0003_file_is_migrated_with_its_annotations(tmp_path: Path) -> None:
    path = tmp_path / "v3.fmproj"
    upgrade(parse_location(path), "0003")
    engine = make_engine(path, read_only=False)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO project (id, name, created) VALUES (1, 'v3', '2026-01-01T00:00:00+00:00')"))
        conn.execute(text("INSERT INTO label (id, name) VALUES (1, 'car')"))
        conn.execute(text("INSERT INTO task (id, name, created) VALUES (1, 't', 'x')"))
        conn.execute(text("INSERT INTO frame (task_id, idx, name, width, height) VALUES (1, 0, 'a.png', 10, 10)"))
        conn.execute(text("INSERT INTO job (id, task_id, start_frame, stop_frame, created, updated) "
                          "VALUES (1, 1, 0, 0, 'x', 'x')"))
        for i in (1, 2):
            conn.execute(text("INSERT INTO shape (id, job_id, frame, label_id, type, points) "
                              "VALUES (:i, 1, 0, 1, 'points', :p)"), {"i": i, "p": b""})
        conn.execute(text("INSERT INTO track (id, job_id, frame, label_id) VALUES (1, 1, 0, 1)"))
        conn.execute(text("INSERT INTO tag (id, job_id, frame, label_id, score) VALUES (1, 1, 0, 1, 0.5)"))
    engine.dispose()
    with Project.open(path) as project:
        assert len(project.frame_shapes(1, 0)) == 2 and project.frame_tags(1, 0)[0].score == 0.5
        shape_uids = {s.uid for s in project.frame_shapes(1, 0)}
    uids = _uids(path)
    assert set(uids["shape"]) == shape_uids and len(shape_uids) == 2
    assert all(len(uids[t]) == 1 and uids[t][0] for t in ("task", "job", "track", "tag"))


def test_uid_is_not_null_and_unique(project_location: str) -> None:
    from sqlalchemy.exc import IntegrityError

    with Project.create(project_location) as project, pytest.raises(IntegrityError):
        with project.transaction() as conn:
            conn.execute(text("INSERT INTO task (name, created) VALUES ('no uid', 'x')"))
