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
