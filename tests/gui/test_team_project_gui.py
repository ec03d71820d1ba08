"""File ▸ New/Open team project: a PostgreSQL URL opens like a file, the recent list keeps the URL (never a
password), and an empty database is offered for initialisation."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QInputDialog, QMessageBox

from app import settings
from app.domain import Label
from app.storage import Project
from app.widgets.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(main_window: MainWindow) -> MainWindow:
    return main_window  # tests/gui/conftest.py


def test_open_team_project_by_url_and_from_the_recent_list(window: MainWindow, pg_url: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    Project.create(pg_url, "team", [Label("car")]).close()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (pg_url, True))
    window.open_team_project_dialog()
    assert window.project is not None and window.project.location.display == pg_url
    assert "team" in window.windowTitle()
    assert settings.load().recent_projects[0] == pg_url
    window.close_project()
    assert window.open_project(settings.load().recent_projects[0])
    assert window.project.labels().by_name("car") is not None


def test_empty_database_is_offered_for_a_new_team_project(window: MainWindow, pg_url: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def answer(_parent, _title, text, *args, **kwargs):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    monkeypatch.setattr(window, "edit_labels", lambda: None)
    assert window.open_project(pg_url)
    assert "empty database" in asked[0]
    assert window.project.location.is_postgres and window.project.labels() is not None


def test_a_password_in_the_url_is_refused(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([("postgresql://ann:secret@db.example/team", True), ("", False)])
    warnings: list[str] = []
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    window.new_team_project()
    assert window.project is None and "password" in warnings[0]
    assert settings.load().recent_projects == []


def test_opening_a_job_takes_its_lease_and_a_leased_job_opens_view_only(window: MainWindow, pg_url: str, qtbot,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from app.domain.project import FrameInfo

    with Project.create(pg_url, "team", [Label("car")]) as setup:
        setup.create_task("t", [FrameInfo(i, f"{i}.jpg", 10, 10) for i in range(4)], segment_size=2)
    other = Project.open(pg_url)
    try:
        other.acquire_job(1)
        assert window.open_project(pg_url)
        answers = iter([QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes])
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: next(answers))
        assert window.open_job(1) is None  # declined
        viewer = window.open_job(1)
        assert viewer is not None and not viewer.holds_lease
        editor = window.open_job(2)
        assert editor.holds_lease and window.project.job_lease(2).token == window.project._lease_token
        editor.close()
        qtbot.waitUntil(lambda: window.project.job_lease(2) is None)
        viewer.close()
        assert other.job_lease(1) is not None
    finally:
        other.close()
