"""How media files are recorded in a project: relative to the project's folder, through linked folders and linked
files alike, each folder resolved once for a whole task (stored_media_paths) with the same result as file by file."""

from __future__ import annotations

import os
from pathlib import Path

from app.media.ingest import stored_media_path, stored_media_paths
from app.storage.store import Project


def test_links_are_followed_and_batches_match_single_files(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    files = [real / "a.jpg", real / "sub" / "b.jpg"]
    for f in files:
        f.write_bytes(b"x")
    (tmp_path / "linked_dir").symlink_to(real, target_is_directory=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "c.jpg").write_bytes(b"x")
    (real / "c_link.jpg").symlink_to(elsewhere / "c.jpg")
    projects = tmp_path / "projects"
    projects.mkdir()
    with Project.create(projects / "p.fmproj", "p", []) as project:
        given = [real / "a.jpg", tmp_path / "linked_dir" / "sub" / "b.jpg", tmp_path / "linked_dir" / "c_link.jpg",
                 real / "sub" / ".." / "a.jpg"]
        batch = stored_media_paths(project, given)
        assert batch == [stored_media_path(project, p) for p in given]
    assert batch == [os.path.join("..", "real", "a.jpg"), os.path.join("..", "real", "sub", "b.jpg"),
                     os.path.join("..", "elsewhere", "c.jpg"), os.path.join("..", "real", "a.jpg")]
