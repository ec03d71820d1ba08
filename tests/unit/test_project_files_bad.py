"""Damaged or unusable project files: every command gives one clear message, never a traceback; a
read-only project opens read-only; an import that creates a project is atomic (issue 14)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from app.cli import main
from app.formats import importer
from app.formats.importer import import_new_project, read_dataset
from app.storage.errors import ProjectError, ProjectReadOnlyError
from app.storage.store import Project

COCO = {"images": [{"id": 1, "file_name": "a.jpg", "width": 8, "height": 6}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2]}],
        "categories": [{"id": 1, "name": "car"}]}


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.fmproj"
    Project.create(path, "good").close()
    return path


@pytest.fixture
def coco(tmp_path: Path) -> Path:
    path = tmp_path / "instances_default.json"
    path.write_text(json.dumps(COCO), encoding="utf-8")
    return path


def _sql(path: Path, statement: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute(statement)
    conn.commit()
    conn.close()


def _damaged(kind: str, tmp_path: Path, good: Path) -> Path:
    path = tmp_path / f"{kind}.fmproj"
    if kind == "truncated":
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    elif kind == "garbage":
        path.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 20)
    elif kind == "noise":
        path.write_bytes(b"\x89PNG not a database" * 50)
    elif kind == "folder":
        path.mkdir()
    elif kind == "foreign":
        _sql(path, "CREATE TABLE t (x)")
    elif kind == "bad-settings":
        shutil.copy(good, path)
        _sql(path, "UPDATE project SET settings = '{bad'")
    elif kind == "newer":
        shutil.copy(good, path)
        _sql(path, "UPDATE alembic_version SET version_num = '0099_from_the_future'")
    elif kind == "newer-prefix":  # Alembic's lookup accepts prefixes: "00" must not pass for a known revision
        shutil.copy(good, path)
        _sql(path, "UPDATE alembic_version SET version_num = '00'")
    return path


KINDS = {
    "truncated": r"is damaged or not a Fieldmark project \(SQLite: database disk image is malformed\)",
    "garbage": r"is damaged or not a Fieldmark project \(SQLite: file is not a database\)",
    "noise": r"is not a Fieldmark project \(not an SQLite database\)",
    "folder": r"is a folder, not a Fieldmark project file",
    "foreign": r"is an SQLite file but not a Fieldmark project",
    "bad-settings": r"the project's settings are damaged \(not a JSON object\)",
    "newer": r"was written by a newer Fieldmark \(schema 0099_from_the_future\); update Fieldmark",
    "newer-prefix": r"was written by a newer Fieldmark \(schema 00\)",
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("command", ["info", "export", "import", "open"])
def test_every_command_gives_one_message(kind: str, command: str, tmp_path: Path, good: Path, coco: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = _damaged(kind, tmp_path, good)
    if command == "open":
        for read_only in (False, True):
            with pytest.raises(ProjectError, match=KINDS[kind]):
                Project.open(path, read_only=read_only)
        return
    argv = {"info": ["info", str(path)], "export": ["export", str(path), str(tmp_path / "out"), "--format", "coco"],
            "import": ["import", str(path), str(coco), "--format", "coco", "--create-labels", "--quiet"]}[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert f"fieldmark {command}: " in err
    assert re.search(KINDS[kind], err), err
    assert "older schema" not in err


def test_read_only_place_opens_read_only(good: Path, coco: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    # Tests may run as root, for whom chmod does not make a file read-only: the check is asked directly.
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK and Path(p) == good.parent
                        else real_access(p, mode))
    with Project.open(good) as project:
        assert project.read_only
        assert project.read_only_reason == "the folder of good.fmproj is read-only"
        with pytest.raises(ProjectReadOnlyError, match=r"open read-only \(the folder of good\.fmproj is read-only\)"):
            project.rename("x")
    assert main(["import", str(good), str(coco), "--format", "coco", "--create-labels", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "note: " in err and "opened read-only: the folder of good.fmproj is read-only" in err
    assert "fieldmark import: good.fmproj is open read-only (the folder of good.fmproj is read-only)" in err
    assert main(["info", str(good)]) == 0


def test_import_into_new_project_is_atomic(tmp_path: Path, coco: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "new.fmproj"
    seen: list[list[str]] = []
    real = importer.import_into_project

    def killed(project: Project, *args: object, **kwargs: object) -> object:
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        raise KeyboardInterrupt  # the user stops the import half-way

    monkeypatch.setattr(importer, "import_into_project", killed)
    with pytest.raises(KeyboardInterrupt):
        import_new_project(target, read_dataset(coco, "coco"), coco)
    assert not target.exists(), "the project must not exist under its name before the import is complete"
    assert any(name.startswith(".new.fmproj.part-") for name in seen[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instances_default.json"]
    monkeypatch.setattr(importer, "import_into_project", real)
    result = import_new_project(target, read_dataset(coco, "coco"), coco)  # a re-run works
    assert result.counts["shapes"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instances_default.json", "new.fmproj"]
    with Project.open(target, read_only=True) as project:
        assert project.name == "new"
        assert project.counts()["shapes"] == 1


def test_create_in_unwritable_place_is_one_message(tmp_path: Path, coco: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from app.storage import locking

    def refuse(self: object) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(locking.ProjectLock, "acquire", refuse)
    assert main(["import", str(tmp_path / "p.fmproj"), str(coco), "--format", "coco", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "Cannot create" in err and "Read-only file system" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instances_default.json"]
