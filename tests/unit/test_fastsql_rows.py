"""fastsql.iter_rows: rows a few at a time on both engines; on PostgreSQL through a server-side cursor (the
driver's default cursor would fetch a 500k-row result whole), closed when the rows are done."""

from __future__ import annotations

from app.domain.annotations import Annotations, Shape
from app.domain.project import FrameInfo
from app.storage.fastsql import iter_rows, raw_rows
from app.storage.store import Project
from tests.unit.test_live_updates import make_labels


def test_rows_come_a_few_at_a_time_with_other_statements_between(project_location: str) -> None:
    with Project.create(project_location, "rows", make_labels()) as project:
        task = project.create_task("t", [FrameInfo(i, f"{i}.jpg", 10, 10) for i in range(3)])
        job = project.jobs(task.id)[0].id
        project.add_annotations(job, Annotations(shapes=[Shape("rectangle", k % 3, 1, [k, 0, k + 5, 5])
                                                         for k in range(7)]))
    postgres = project_location.startswith("postgresql")
    with Project.open(project_location, read_only=True) as reader:
        conn = reader.conn
        seen, open_cursors = [], []
        for row in iter_rows(conn, "SELECT id, frame FROM shape ORDER BY id", (), size=2):
            seen.append(row[0])
            assert raw_rows(conn, "SELECT COUNT(*) FROM shape")[0][0] == 7  # the connection stays usable
            if postgres:
                open_cursors.append(raw_rows(conn, "SELECT name FROM pg_cursors WHERE left(name, 8) = 'fm_rows_'"))
        assert seen == sorted(seen) and len(seen) == 7
        if postgres:
            assert all(len(names) == 1 for names in open_cursors)  # the rows came from a server-side cursor
            assert raw_rows(conn, "SELECT name FROM pg_cursors WHERE left(name, 8) = 'fm_rows_'") == []  # closed
