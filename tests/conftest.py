"""Test environment: offscreen Qt, offline Ultralytics, and settings/data dirs isolated per session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_HOME = Path(tempfile.mkdtemp(prefix="fieldmark-test-home-"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["FIELDMARK_HOME"] = str(_HOME)
os.environ["XDG_CONFIG_HOME"] = str(_HOME / "xdg-config")  # QSettings (window layouts) never touch the real file
os.environ["YOLO_OFFLINE"] = "1"
os.environ.setdefault("YOLO_CONFIG_DIR", str(_HOME / "ultralytics"))

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures"


@pytest.fixture
def shared_fixtures() -> Path:
    """The ../shared/fixtures folder; tests that need it skip (with the reason) when it is absent."""
    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not present (a user's fresh clone); these tests need CVAT's files")
    return FIXTURES


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDMARK_SETTINGS", str(tmp_path / "settings.json"))


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster for the whole session (tests/support/postgres.py).

    Skips with the reason when no server can be had on this machine; under CI=true that is a failure.
    """
    from tests.support.postgres import find_server, start_cluster

    _folder, reason = find_server()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must test PostgreSQL: {reason}")
        pytest.skip(reason)
    cluster = start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """The URL of a new, empty database on the session's cluster."""
    return pg_cluster.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def project_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's project lives, once per engine: a new .fmproj file, then a new PostgreSQL database URL.

    Storage, formats and quality tests take this instead of a path so that they run on both engines.
    """
    if request.param == "sqlite":
        return str(tmp_path / "p.fmproj")
    return request.getfixturevalue("pg_url")
