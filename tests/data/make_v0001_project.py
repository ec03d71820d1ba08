"""Regenerate tests/data/project_v0001.fmproj: a project written with schema revision 0001.

Run once with the venv's python; the file is committed so the migration test opens a real old file.
"""

from __future__ import annotations

import sqlite3
import struct
import sys
from pathlib import Path

from app.storage.database import upgrade

TARGET = Path(__file__).with_name("project_v0001.fmproj")


def main() -> int:
    TARGET.unlink(missing_ok=True)
    upgrade(TARGET, "0001")
    db = sqlite3.connect(TARGET)
    db.execute("PRAGMA journal_mode=DELETE")
    db.executescript(
        """
        INSERT INTO project (id, name, created) VALUES (1, 'old project', '2026-01-01T00:00:00+00:00');
        INSERT INTO label (id, name, color, type, position) VALUES (1, 'car', '#ff0000', 'rectangle', 0);
        INSERT INTO attribute_spec (id, label_id, name, input_type, "values", default_value)
            VALUES (1, 1, 'color', 'select', '["red", "blue"]', 'red');
        INSERT INTO task (id, name, created) VALUES (1, 'task', '2026-01-01T00:00:00+00:00');
        INSERT INTO frame (task_id, idx, name, width, height) VALUES (1, 0, 'a.jpg', 640, 480), (1, 1, 'b.jpg', 640, 480);
        INSERT INTO job (id, task_id, start_frame, stop_frame, created, updated)
            VALUES (1, 1, 0, 1, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00');
        """
    )
    db.execute(
        "INSERT INTO shape (id, job_id, frame, label_id, type, points, attributes) VALUES (1, 1, 1, 1, 'rectangle', ?, ?)",
        (struct.pack("<4d", 10, 20, 110, 220), '{"1": "blue"}'),
    )
    db.commit()
    db.execute("VACUUM")
    db.close()
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
