"""Media of a team project: paths stored relative to a media root recorded at creation, each workstation's own
mapping of that root (local settings, not the shared database), a missing frame named with its path and the
setting behind it, and `--copy-media` copying under the root atomically. On SQLite and on a real PostgreSQL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app import settings
from app.cli import main
from app.media.errors import MediaError
from app.media.ingest import create_image_task
from app.media.sources import open_task_source
from app.storage import Project


def _images(folder: Path, n: int = 3) -> Path:
    (folder / "sub").mkdir(parents=True)
    for i in range(n):
        where = folder / "sub" if i == n - 1 else folder
        Image.fromarray(np.full((12, 16, 3), 40 * i, np.uint8)).save(where / f"img{i}.png")
    return folder


def _read_all(url: str) -> list[int]:
    with Project.open(url, read_only=True) as project:
        source = open_task_source(project, project.tasks()[0].id)
        try:
            return [int(source.read(i)[0, 0, 0]) for i in range(len(source))]
        finally:
            source.close()


def test_team_project_media_root_mapping_and_missing_frame(pg_url: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    photos = _images(tmp_path / "photos")
    root = tmp_path / "nas" / "media"
    root.mkdir(parents=True)
    assert main(["create", pg_url, str(photos), "--media-root", str(root), "--copy-media", "--task-name",
                 "street day"]) == 0
    assert "media root: " + str(root.resolve()) in capsys.readouterr().out
    with Project.open(pg_url, read_only=True) as project:
        assert project.settings()["media_root"] == str(root.resolve())
        paths = [f.path for f in project.frames(project.tasks()[0].id)]
    assert paths == ["street_day/img0.png", "street_day/img1.png", "street_day/sub/img2.png"]  # relative, POSIX
    assert sorted(p.name for p in root.iterdir()) == ["street_day"]  # no temporary folder left
    assert _read_all(pg_url) == [0, 40, 80]

    # Another workstation mounts the share elsewhere: the recorded root is not there, and the message says
    # which path was looked for and which setting to change.
    moved = tmp_path / "mnt" / "team"
    moved.parent.mkdir()
    root.rename(moved)
    with pytest.raises(MediaError) as missing:
        _read_all(pg_url)
    text = str(missing.value)
    assert str(root.resolve() / "street_day" / "img0.png") in text
    assert "no mapping of its own" in text and f"fieldmark team map-media {pg_url} LOCAL_PATH" in text

    assert main(["team", "map-media", pg_url, str(moved)]) == 0
    assert settings.load().media_roots == {pg_url: str(moved.resolve())}  # local settings only
    with Project.open(pg_url, read_only=True) as project:
        assert project.settings()["media_root"] == str(root.resolve())  # the shared setting is unchanged
    assert _read_all(pg_url) == [0, 40, 80]

    (moved / "street_day" / "img1.png").unlink()
    with pytest.raises(MediaError) as missing:
        _read_all(pg_url)
    assert str(moved.resolve() / "street_day" / "img1.png") in str(missing.value)
    assert f"maps the team project's media root to {moved.resolve()}" in str(missing.value)

    assert main(["team", "map-media", pg_url, str(tmp_path / "nowhere")]) == 2
    assert "is not a folder on this workstation" in capsys.readouterr().err
    assert main(["team", "map-media", pg_url, ""]) == 0
    assert settings.load().media_roots == {}


def test_sqlite_media_stay_relative_to_the_file_and_missing_frame_names_it(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    photos = _images(tmp_path / "photos")
    proj = tmp_path / "work" / "p.fmproj"
    assert main(["create", str(proj), str(photos), "--media-root", str(tmp_path)]) == 2
    assert "--media-root is for team projects" in capsys.readouterr().err and not proj.exists()
    assert main(["create", str(proj), str(photos), "--copy-media"]) == 0
    assert _read_all(str(proj)) == [0, 40, 80]
    with Project.open(proj, read_only=True) as project:
        assert project.frames(1)[0].path == str(Path("p_media") / "task" / "img0.png")
    shutil.rmtree(tmp_path / "work" / "p_media")
    with pytest.raises(MediaError, match=r"img0.png does not exist \(media paths are relative to the project file"):
        _read_all(str(proj))
    assert main(["team", "map-media", str(proj), str(tmp_path)]) == 2
    assert "only a team project's media root is mapped" in capsys.readouterr().err


def test_copy_without_a_media_root_is_refused_and_leaves_nothing(pg_url: str, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    photos = _images(tmp_path / "photos")
    assert main(["create", pg_url, str(photos), "--copy-media"]) == 2
    assert "has no media root to copy the media into" in capsys.readouterr().err
    assert main(["create", pg_url, str(photos), "--media-root", str(tmp_path / "absent")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    # nothing half-made: the database is still empty, so a proper create succeeds
    assert main(["create", pg_url, str(photos)]) == 0
    with Project.open(pg_url, read_only=True) as project:  # no root: absolute paths, as before
        assert Path(project.frames(1)[0].path).is_absolute()
    assert _read_all(pg_url) == [0, 40, 80]


@pytest.mark.parametrize("failure", ["copy", "database"])
def test_copy_media_is_atomic(project_location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              failure: str) -> None:
    photos = _images(tmp_path / "photos", n=4)
    root = tmp_path / "root"
    root.mkdir()
    with Project.create(project_location, "p") as project:
        if project.location.is_postgres:
            project.set_settings({"media_root": str(root)})
        folder = root if project.location.is_postgres else tmp_path / "p_media"
        calls = []
        real_copy = shutil.copy2

        def flaky_copy(src: object, dst: object) -> object:
            calls.append(src)
            if len(calls) == 3:
                raise OSError(28, "No space left on device")
            return real_copy(src, dst)

        if failure == "copy":
            monkeypatch.setattr(shutil, "copy2", flaky_copy)
            with pytest.raises(MediaError, match="No space left on device.*nothing was copied"):
                create_image_task(project, "t", [photos], copy_media=True)
        else:
            def refuse(*_args: object, **_kwargs: object) -> None:
                raise MediaError("the server went away")

            monkeypatch.setattr(project, "create_task", refuse)
            with pytest.raises(MediaError, match="server went away"):
                create_image_task(project, "t", [photos], copy_media=True)
        assert not folder.exists() or list(folder.iterdir()) == []
        assert project.tasks() == []
        monkeypatch.undo()
        create_image_task(project, "t", [photos], copy_media=True)
        create_image_task(project, "t", [photos], copy_media=True)  # a second copy never overwrites the first
        assert sorted(p.name for p in folder.iterdir()) == ["t", "t_2"]


def _coco(folder: Path) -> Path:
    _images(folder)
    images = [{"id": i + 1, "file_name": name, "width": 16, "height": 12}
              for i, name in enumerate(["img0.png", "img1.png", "sub/img2.png"])]
    data = {"images": images, "categories": [{"id": 1, "name": "car"}],
            "annotations": [{"id": 1, "image_id": 2, "category_id": 1, "bbox": [1, 1, 5, 5], "area": 25,
                             "iscrowd": 0}]}
    path = folder / "instances.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_import_copy_media_into_a_new_team_project(pg_url: str, tmp_path: Path) -> None:
    dataset = _coco(tmp_path / "ds")
    root = tmp_path / "share"
    root.mkdir()
    assert main(["import", pg_url, str(dataset), "--format", "coco", "--copy-media", "--media-root", str(root),
                 "--task-name", "batch1", "--quiet"]) == 0
    with Project.open(pg_url, read_only=True) as project:
        task = project.tasks()[0]
        paths = [f.path for f in project.frames(task.id)]
        assert project.counts(task_id=task.id)["shapes"] == 1
    assert paths == ["batch1/img0.png", "batch1/img1.png", "batch1/sub/img2.png"]
    assert _read_all(pg_url) == [0, 40, 80]
    # into an existing task the frames stay where they are: the option is refused with a reason
    assert main(["import", pg_url, str(dataset), "--format", "coco", "--copy-media", "--quiet"]) == 2
    assert sorted(p.name for p in root.iterdir()) == ["batch1"]
