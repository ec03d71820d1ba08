"""Team roles enforced by PostgreSQL: an annotator writes only the jobs assigned to them, even with raw SQL
on their own connection; reviewers write every job; `fieldmark team` sets it up."""

from __future__ import annotations

import psycopg
import pytest

from app.cli import main
from app.domain import Label, Shape
from app.domain.enums import JobState
from app.domain.project import FrameInfo
from app.storage import Project, ProjectError, ProjectReadOnlyError


@pytest.fixture
def team(pg_url: str) -> str:
    with Project.create(pg_url, "team", [Label("car")]) as project:
        project.create_task("t", [FrameInfo(i, f"{i}.jpg", 10, 10) for i in range(4)], segment_size=2)
        project.update_job(1, assignee="ann")
        project.update_job(2, assignee="bob")
        for job, frame in ((1, 0), (2, 2)):
            project.add_shapes(job, [Shape("rectangle", frame, 1, [0, 0, 1, 1])])
    assert main(["team", "init", pg_url]) == 0
    assert main(["team", "init", pg_url]) == 0  # idempotent
    assert main(["team", "add-user", pg_url, "ann", "--role", "annotator"]) == 0
    assert main(["team", "add-user", pg_url, "rev", "--role", "reviewer"]) == 0
    return pg_url


def _as(url: str, user: str) -> str:
    return url.replace("postgres@", f"{user}@")


def test_an_annotators_raw_sql_cannot_touch_a_job_not_assigned_to_them(team: str) -> None:
    with psycopg.connect(_as(team, "ann"), autocommit=True) as conn:
        assert conn.execute("SELECT COUNT(*) FROM shape").fetchone()[0] == 2  # reads everything
        assert conn.execute("UPDATE shape SET frame = 3 WHERE job_id = 2").rowcount == 0
        assert conn.execute("DELETE FROM shape WHERE job_id = 2").rowcount == 0
        assert conn.execute("UPDATE job SET revision = 99 WHERE id = 2").rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("INSERT INTO shape (job_id, frame, label_id, type, points, uid) "
                         "VALUES (2, 2, 1, 'points', '', gen_random_uuid())")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE job SET assignee = 'ann' WHERE id = 2")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM label")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("ALTER TABLE shape DISABLE ROW LEVEL SECURITY")
        assert conn.execute("UPDATE shape SET frame = 1 WHERE job_id = 1").rowcount == 1  # their own job
    with Project.open(team, read_only=True) as owner:
        assert [s.frame for s in owner.frame_shapes(2, 2)] == [2] and owner.job(2).revision == 1


def test_the_store_as_annotator_and_as_reviewer(team: str) -> None:
    with Project.open(_as(team, "ann")) as ann:
        ann.acquire_job(1)
        ann.add_shapes(1, [Shape("rectangle", 1, 1, [0, 0, 2, 2])])
        with pytest.raises(ProjectReadOnlyError, match="refused this change"):
            ann.add_shapes(2, [Shape("rectangle", 2, 1, [0, 0, 2, 2])])
        with pytest.raises(ProjectReadOnlyError):
            ann.acquire_job(2)
    with Project.open(_as(team, "rev")) as rev:
        rev.add_shapes(2, [Shape("rectangle", 3, 1, [0, 0, 2, 2])])
        assert rev.counts()["shapes"] == 4
    with Project.open(_as(team, "ann")) as ann:  # completing the job makes it read-only for its annotator
        ann.update_job(1, state=JobState.COMPLETED)
        with pytest.raises(ProjectReadOnlyError, match="refused this change"):
            ann.add_shapes(1, [Shape("rectangle", 1, 1, [0, 0, 3, 3])])
        assert ann.counts(job_id=1)["shapes"] == 2


def test_team_commands_need_a_team_project(tmp_path, pg_url: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["team", "init", str(tmp_path / "p.fmproj")]) == 2
    assert "roles exist only in team projects" in capsys.readouterr().err
    Project.create(pg_url).close()
    assert main(["team", "add-user", pg_url, "ann", "--role", "annotator"]) == 2
    assert "run fieldmark team init first" in capsys.readouterr().err
    with pytest.raises(ProjectError, match="plain user name"):
        from app.storage.location import parse_location
        from app.storage.team import add_user

        add_user(parse_location(pg_url), "Robert'); DROP TABLE", "annotator")
