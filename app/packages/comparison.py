"""The three-way comparison of a merge, kept out of memory: one row per object uid (per job) with its three
digests (export base, package, project), in a private temporary SQLite database.

SQLite makes an empty file name a private on-disk database that is deleted when its connection closes (and
unlinked at once on Unix, so a killed process leaves nothing behind); its pages spill to disk past a
small cache. Filling it streams the export base from the package file and both sides' objects chunk by
chunk (:mod:`app.packages.stream`); classifying pages through it by uid with :func:`three_way.classify`
(the same rule as the in-memory :func:`three_way.compare`). Memory stays bounded by a chunk, not by the
job: a merge of 500,000 shapes no longer holds them, nor their uid maps.

Columns: ``pkg_frame``/``proj_frame`` are source-task frame numbers (for listing conflicts), ``proj_id``
the project's row id (for removing it), ``action`` take / delete / keep / conflict, and ``what`` the kind
of conflict ("" when none).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from app.domain.annotations import Shape, Tag, Track
from app.packages.identity import digest
from app.packages.three_way import CONFLICT, DELETE, TAKE, Plan, classify

Obj = Shape | Track | Tag
PAGE = 5000
_SCHEMA = (
    "CREATE TABLE obj (job TEXT NOT NULL, uid TEXT NOT NULL, kind TEXT NOT NULL, base TEXT, pkg TEXT, proj TEXT, "
    "pkg_frame INTEGER, proj_frame INTEGER, proj_id INTEGER, action TEXT, what TEXT NOT NULL DEFAULT '', "
    "PRIMARY KEY (job, uid)) WITHOUT ROWID"
)


def kind_of(obj: Obj) -> str:
    return "shape" if isinstance(obj, Shape) else "track" if isinstance(obj, Track) else "tag"


class Comparison:
    """The comparison table of one merge. Used from one thread at a time (the preview is made on a worker
    and applied on another, hence ``check_same_thread=False`` and a lock). :meth:`close` deletes it."""

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = sqlite3.connect("", check_same_thread=False)
        self._lock = threading.Lock()
        self.db.execute("PRAGMA cache_size = -16000")  # 16 MB of pages in memory; the rest on disk
        self.db.execute(_SCHEMA)

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("The merge comparison was closed.")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # ---------------------------------------------------------------- filling

    def add_base(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """Export base rows ``(uid, job uid, kind, digest)``."""
        with self._lock:
            self.db.executemany("INSERT INTO obj (uid, job, kind, base) VALUES (?, ?, ?, ?)", rows)

    def add_package(self, job_uid: str, objects: Iterable[Obj]) -> None:
        """The package's objects (frames already in source numbering)."""
        rows = [(job_uid, o.uid, kind_of(o), digest(o), o.frame) for o in objects]
        with self._lock:
            self.db.executemany(
                "INSERT INTO obj (job, uid, kind, pkg, pkg_frame) VALUES (?, ?, ?, ?, ?) ON CONFLICT (job, uid) "
                "DO UPDATE SET pkg = excluded.pkg, pkg_frame = excluded.pkg_frame, kind = excluded.kind", rows)

    def add_project(self, job_uid: str, objects: Iterable[Obj]) -> None:
        rows = [(job_uid, o.uid, kind_of(o), digest(o), o.frame, o.id) for o in objects]
        with self._lock:
            self.db.executemany(
                "INSERT INTO obj (job, uid, kind, proj, proj_frame, proj_id) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (job, uid) DO UPDATE SET proj = excluded.proj, proj_frame = excluded.proj_frame, "
                "proj_id = excluded.proj_id, kind = excluded.kind", rows)

    def classify(self, job_uid: str) -> Plan:
        """Decide every uid of a job (page by page); returns the counts and the conflicts (the plan's take and
        delete sets stay empty: they are in the table)."""
        plan = Plan()
        last = ""
        with self._lock:
            while True:
                page = self.db.execute("SELECT uid, base, pkg, proj FROM obj WHERE job = ? AND uid > ? "
                                       "ORDER BY uid LIMIT ?", (job_uid, last, PAGE)).fetchall()
                if not page:
                    break
                updates = []
                for uid, b, p, j in page:
                    action, counter, what = classify(b, p, j)
                    plan.count(uid, counter, what)
                    updates.append((action, what, job_uid, uid))
                self.db.executemany("UPDATE obj SET action = ?, what = ? WHERE job = ? AND uid = ?", updates)
                last = page[-1][0]
        return plan

    # ---------------------------------------------------------------- reading the outcome

    def conflicts(self, job_uid: str) -> list[dict[str, Any]]:
        """Each conflict: its frame (source numbering), kind, uid and what happened on each side."""
        with self._lock:
            rows = self.db.execute(
                "SELECT COALESCE(pkg_frame, proj_frame), kind, uid, what, pkg_frame, proj_frame FROM obj "
                "WHERE job = ? AND what != '' ORDER BY 1, 2, 3", (job_uid,)).fetchall()
        return [{"frame": f, "kind": k, "uid": u, "what": w, "package_frame": pf, "project_frame": jf}
                for f, k, u, w, pf, jf in rows]

    def resolve(self, job_uid: str, side: str | None, choices: Mapping[str, str] | None = None) -> None:
        """Settle the job's conflicts: every one for ``side`` (``package``: the package's version or its
        deletion; ``project``: the project's version stays), then ``choices`` (uid -> side) one by one.
        Idempotent: a second call starts again from the classified conflicts."""
        package_wins = f"CASE WHEN pkg IS NULL THEN '{DELETE}' ELSE '{TAKE}' END"
        with self._lock:
            self.db.execute("UPDATE obj SET action = ? WHERE job = ? AND what != ''", (CONFLICT, job_uid))
            if side == "package":
                self.db.execute(f"UPDATE obj SET action = {package_wins} WHERE job = ? AND what != ''", (job_uid,))
            elif side == "project":
                self.db.execute("UPDATE obj SET action = 'keep' WHERE job = ? AND what != ''", (job_uid,))
            for uid, choice in (choices or {}).items():
                action = package_wins if choice == "package" else "'keep'"
                self.db.execute(f"UPDATE obj SET action = {action} WHERE job = ? AND uid = ? AND what != ''",
                                (job_uid, uid))

    def unresolved(self, job_uid: str) -> int:
        with self._lock:
            return int(self.db.execute("SELECT COUNT(*) FROM obj WHERE job = ? AND action = ?",
                                       (job_uid, CONFLICT)).fetchone()[0])

    def removals(self, job_uid: str) -> dict[str, list[int]]:
        """The project's row ids to remove (replaced by the package's version, or deleted), per kind."""
        out: dict[str, list[int]] = {"shape": [], "track": [], "tag": []}
        with self._lock:
            for kind, row_id in self.db.execute(
                    "SELECT kind, proj_id FROM obj WHERE job = ? AND action IN (?, ?) AND proj_id IS NOT NULL",
                    (job_uid, TAKE, DELETE)):
                out[kind].append(int(row_id))
        return out

    def to_take(self, job_uid: str, uids: Iterable[str]) -> set[str]:
        """Those of ``uids`` (one chunk's objects) whose package version goes in."""
        uids = list(uids)
        out: set[str] = set()
        with self._lock:
            for i in range(0, len(uids), 500):
                part = uids[i:i + 500]
                marks = ", ".join("?" * len(part))
                out.update(r[0] for r in self.db.execute(
                    f"SELECT uid FROM obj WHERE job = ? AND action = ? AND uid IN ({marks})", (job_uid, TAKE, *part)))
        return out
