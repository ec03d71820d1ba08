"""The package reader against damaged, changed and foreign files: one PackageError with a clear message each,
never a traceback from the database layer; the project is untouched. Property-based for random damage."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.packages import container
from app.packages.export import export_package
from app.packages.manifest import PackageError
from app.packages.merge import merge_package, prepare_merge
from app.storage.store import Project
from tests.support.packages import annotate, content, make_project


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory):
    """A project file and a package of its second job (made once; tests work on copies)."""
    folder = tmp_path_factory.mktemp("pkg")
    project = make_project(str(folder / "p.fmproj"), folder)
    job = project.jobs()[1]
    annotate(project, job.id, seed=1)
    export_package(project, [job.id], folder / "j.fmpkg")
    project.close()
    return folder


@pytest.fixture
def copies(exported: Path, tmp_path: Path):
    for name in ("p.fmproj", "j.fmpkg"):
        shutil.copy(exported / name, tmp_path / name)
    shutil.copytree(exported / "media", tmp_path / "media")
    project = Project.open(tmp_path / "p.fmproj")
    yield project, tmp_path / "j.fmpkg"
    project.close()


def _rewrite_manifest(path: Path, **changes: object) -> None:
    """A manifest changed and re-sealed (a package from a different Fieldmark, not a damaged one)."""
    db = sqlite3.connect(path)
    data = json.loads(db.execute("SELECT value FROM package_meta WHERE key = 'manifest'").fetchone()[0])
    data.update(changes)
    text = json.dumps(data)
    db.execute("UPDATE package_meta SET value = ? WHERE key = 'manifest'", (text,))
    db.execute("UPDATE package_meta SET value = ? WHERE key = 'checksum'",
               (container._checksum(text, container._base_rows(db)),))
    db.commit()
    db.close()


def _unchanged(project: Project) -> list[str]:
    return content(project.annotations(project.jobs()[1].id))


def test_a_changed_media_file_is_refused(copies) -> None:
    project, path = copies
    before = _unchanged(project)
    db = sqlite3.connect(path)
    name, data = db.execute("SELECT name, data FROM package_media ORDER BY name LIMIT 1").fetchone()
    db.execute("UPDATE package_media SET data = ? WHERE name = ?", (bytes([data[0] ^ 1]) + data[1:], name))
    db.commit()
    db.close()
    with pytest.raises(PackageError, match=r"media file job\d+/000000.png is (missing|damaged)"):
        merge_package(project, path)
    assert _unchanged(project) == before and project.job_lease(project.jobs()[1].id) is not None


def test_a_changed_manifest_is_refused(copies) -> None:
    project, path = copies
    db = sqlite3.connect(path)
    db.execute("UPDATE package_meta SET value = replace(value, '\"base_version\":', '\"base_version\":1') "
               "WHERE key = 'manifest'")
    db.commit()
    db.close()
    with pytest.raises(PackageError, match="checksum mismatch"):
        merge_package(project, path)


def test_a_truncated_package_is_refused(copies) -> None:
    project, path = copies
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(PackageError):
        merge_package(project, path)


@pytest.mark.parametrize(("changes", "message"), [
    ({"format_version": 99}, "newer Fieldmark .package format 99"),
    ({"schema_revision": "0042"}, "newer Fieldmark .schema 0042"),
    ({"format": "zip"}, "not a Fieldmark field package"),
])
def test_a_package_from_a_newer_fieldmark_is_refused(copies, changes, message) -> None:
    project, path = copies
    _rewrite_manifest(path, **changes)
    with pytest.raises(PackageError, match=message):
        merge_package(project, path)


def test_a_file_that_is_not_a_package(copies, tmp_path: Path) -> None:
    project, _path = copies
    with pytest.raises(PackageError, match="not a Fieldmark field package"):
        merge_package(project, Path(__file__))
    with pytest.raises(PackageError, match="no package manifest|not a readable"):
        merge_package(project, tmp_path / "p.fmproj")
    with pytest.raises(PackageError, match="No package file"):
        merge_package(project, tmp_path / "missing.fmpkg")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_damage_never_escapes_as_a_database_error(copies, data) -> None:
    """Flipped bytes anywhere, or a cut anywhere: the checks either pass (damage in unused space) or raise
    PackageError; never another exception, and a package that passes still merges or refuses cleanly."""
    project, path = copies
    original = path.read_bytes()
    try:
        damaged = bytearray(original)
        if data.draw(st.booleans(), label="truncate"):
            damaged = damaged[: data.draw(st.integers(0, len(original) - 1), label="cut")]
        else:
            for _ in range(data.draw(st.integers(1, 8), label="flips")):
                at = data.draw(st.integers(0, len(original) - 1), label="at")
                damaged[at] ^= data.draw(st.integers(1, 255), label="xor")
        path.write_bytes(bytes(damaged))
        try:
            prepare_merge(project, path)
        except PackageError as exc:
            assert str(exc)
    finally:
        path.write_bytes(original)


def test_fieldmark_open_unpacks_a_package_before_the_window_opens(copies, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import app.widgets.application as application
    from app.cli import main

    _project, path = copies
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    shutil.copy(path, laptop / "j.fmpkg")  # the package alone: no project, no media beside it
    opened: list[str] = []
    monkeypatch.setattr(application, "run", lambda target, demo=False: opened.append(target) or 0)
    assert main(["open", str(laptop / "j.fmpkg")]) == 0 and opened == [str(laptop / "j.fmpkg")]
    with Project.open(laptop / "j.fmpkg", read_only=True) as package:
        frames = package.frames(package.tasks()[0].id)
        assert all(package.resolve_media(f.path).is_file() for f in frames)
    (laptop / "j.fmpkg").write_bytes((laptop / "j.fmpkg").read_bytes()[:5000])
    assert main(["open", str(laptop / "j.fmpkg")]) == 2  # a damaged package: one message, no window


def test_a_base_row_of_another_type_is_a_checksum_mismatch(copies) -> None:
    """Damage that leaves a blob where the base holds text (found by the random-damage test): the
    checksum does not match, one PackageError, not a TypeError."""
    import sqlite3

    project, path = copies
    original = path.read_bytes()
    try:
        with sqlite3.connect(path) as db:
            db.execute("UPDATE package_base SET digest = x'00ff' WHERE uid = (SELECT min(uid) FROM package_base)")
        with pytest.raises(PackageError):
            prepare_merge(project, path)
    finally:
        path.write_bytes(original)
