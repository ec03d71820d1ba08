"""What the parts of :class:`~app.storage.store.Project` (labels, tasks, annotations) use from each
other and from the core; defined in :mod:`app.storage.store` and the part modules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from app.domain.labels import LabelSet
    from app.domain.project import JobInfo, TaskInfo


class StoreBase:
    if TYPE_CHECKING:
        _labels: LabelSet | None
        _job_versions: dict[int, int]
        _job_written: dict[int, int]

        @property
        def conn(self) -> Connection: ...

        def transaction(self) -> Any: ...

        def _notify(self, kind: str, job_id: int | None = None) -> None: ...

        def _tell_others(self, kind: str, job_id: int | None, revision: int | None = None) -> None: ...

        def labels(self) -> LabelSet: ...

        def task(self, task: int | str) -> TaskInfo: ...

        def job(self, job_id: int | str) -> JobInfo: ...

        def settings(self) -> dict[str, Any]: ...

        def _check_lease(self, conn: Connection, job_id: int) -> None: ...
