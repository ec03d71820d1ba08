"""File ▸ New/Open team project: a PostgreSQL URL opens like a file, the recent list keeps the URL (never a
password), an empty database is offered for initialisation, and a new team project can be given the
team's shared media folder (its media root, as ``fieldmark create URL --media-root``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox

from app import settings
from app.domain import Label
from app.storage import Project
from app.widgets.main_window import MainWindow
from app.widgets.team_project import NewTeamProjectDialog

pytestmark = pytest.mark.gui


@pytest.fixture
def window(main_window: MainWindow) -> MainWindow:
    return main_window  # tests/gui/conftest.py


def fill_new_team_dialog(monkeypatch: pytest.MonkeyPatch, *fills: Callable[[NewTeamProjectDialog], None]) -> list:
    """Instead of the modal run of the New team project dialog: each fill sets its fields and presses OK
    (a refused OK leaves the dialog open for the next fill); Cancel after the last one."""
    shown: list[NewTeamProjectDialog] = []

    def run(dialog: NewTeamProjectDialog) -> int:
        shown.append(dialog)
        for fill in fills:
            fill(dialog)
            dialog.accept()
            if dialog.result() == QDialog.DialogCode.Accepted:
                return dialog.result()
        dialog.reject()
        return dialog.result()

    monkeypatch.setattr(NewTeamProjectDialog, "exec", run)
    return shown


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
    shown = fill_new_team_dialog(monkeypatch, lambda dialog: None)  # the URL is filled in already: OK
    assert window.open_project(pg_url)
    assert "empty database" in asked[0]
    assert shown[0].url_edit.text() == pg_url
    assert window.project.location.is_postgres and window.project.labels() is not None
    assert "media_root" not in window.project.settings()  # none given: the field is optional


def test_a_password_in_the_url_is_refused(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    shown = fill_new_team_dialog(monkeypatch, lambda d: d.url_edit.setText("postgresql://ann:secret@db.example/team"))
    window.new_team_project()
    assert window.project is None and len(warnings) == 1 and "password" in warnings[0]
    assert shown[0].result() == QDialog.DialogCode.Rejected  # the refused OK kept it open; then cancelled
    assert settings.load().recent_projects == []


def test_a_new_team_project_records_the_shared_media_folder(window: MainWindow, pg_url: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "team media"
    shared.mkdir()
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(shared))
    monkeypatch.setattr(window, "edit_labels", lambda: None)

    def missing_folder(dialog: NewTeamProjectDialog) -> None:
        dialog.url_edit.setText(pg_url)
        dialog.media_edit.setText(str(tmp_path / "not there"))

    def browse(dialog: NewTeamProjectDialog) -> None:
        dialog.browse_button.click()  # Browse… fills the field from the folder chooser

    fill_new_team_dialog(monkeypatch, missing_folder, browse)
    window.new_team_project()
    assert len(warnings) == 1 and "not there" in warnings[0] and "is not a folder" in warnings[0]
    assert window.project is not None and window.project.location.display == pg_url
    assert window.project.settings()["media_root"] == str(shared.resolve())
    assert window.project.media_root() == shared.resolve()
    window.close_project()
    with Project.open(pg_url, read_only=True) as other:  # stored in the database, for every workstation
        assert other.settings()["media_root"] == str(shared.resolve())


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
