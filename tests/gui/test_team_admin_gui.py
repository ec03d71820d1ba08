"""Project ▸ Team users and roles… (list, add with a role, change a role; the server's work on a worker thread)
and the preferences' media root of a team project, against the real PostgreSQL cluster."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog

from app import settings
from app.cli import main
from app.domain import Label
from app.storage import Project
from app.storage.location import parse_location
from app.storage.team import list_users
from app.widgets.main_window import MainWindow
from app.widgets.preferences_dialog import PreferencesDialog
from app.widgets.team_admin import TeamAdminDialog

pytestmark = pytest.mark.gui


def _rows(dialog: TeamAdminDialog) -> list[tuple[str, str]]:
    return [(dialog.table.item(r, 0).text(), dialog.table.item(r, 1).text()) for r in range(dialog.table.rowCount())]


def _settle(qtbot, dialog: TeamAdminDialog, action) -> None:  # noqa: ANN001 - pytest-qt's fixture
    with qtbot.waitSignal(dialog.settled, timeout=20000):
        action()
    assert not dialog.busy


def test_admin_dialog_lists_adds_and_changes_roles_from_the_menu(main_window: MainWindow, pg_url: str, qtbot,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    Project.create(pg_url, "team", [Label("car")]).close()
    assert main(["team", "init", pg_url]) == 0
    assert main(["team", "add-user", pg_url, "gui_rev", "--role", "reviewer"]) == 0
    assert not main_window.team_admin_action.isEnabled()  # no project open
    assert main_window.open_project(pg_url)
    assert main_window.team_admin_action.isEnabled()

    shown: list[TeamAdminDialog] = []
    monkeypatch.setattr(TeamAdminDialog, "exec", lambda self: shown.append(self) or 0)
    main_window.team_admin_action.trigger()
    dialog = shown[0]
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20000)  # the list loads on a worker thread
    assert _rows(dialog) == [("gui_rev", "reviewer")]

    dialog.name.setText("gui_ann")
    dialog.role.setCurrentText("annotator")
    _settle(qtbot, dialog, dialog.add)
    assert _rows(dialog) == [("gui_ann", "annotator"), ("gui_rev", "reviewer")]
    assert "gui_ann added as annotator" in dialog.status.text()

    dialog.table.selectRow(0)
    assert dialog.new_role.currentText() == "annotator"
    dialog.new_role.setCurrentText("admin")
    _settle(qtbot, dialog, dialog.change_role)
    assert _rows(dialog) == [("gui_ann", "admin"), ("gui_rev", "reviewer")]
    location = parse_location(pg_url)
    assert [(u.name, u.role) for u in list_users(location)] == [("gui_ann", "admin"), ("gui_rev", "reviewer")]

    dialog.name.setText("Not A Name")
    _settle(qtbot, dialog, dialog.add)
    assert "is not a plain user name" in dialog.status.text()
    assert len(_rows(dialog)) == 2


def test_admin_dialog_reports_a_project_without_team_roles(pg_url: str, qtbot) -> None:  # noqa: ANN001
    Project.create(pg_url, "team", [Label("car")]).close()
    dialog = TeamAdminDialog(parse_location(pg_url))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20000)
    assert "run fieldmark team init first" in dialog.status.text() and dialog.table.rowCount() == 0


def test_preferences_map_the_team_projects_media_root(pg_url: str, tmp_path: Path, qtbot) -> None:  # noqa: ANN001
    with Project.create(pg_url, "team", [Label("car")]) as project:
        project.set_settings({"media_root": "/srv/team-media"})
        dialog = PreferencesDialog(None, project)
        qtbot.addWidget(dialog)
        assert dialog.media_root is not None and dialog.media_root.placeholderText() == "/srv/team-media"
        dialog.media_root.setText(str(tmp_path / "absent"))
        dialog.save()
        assert dialog.result() != QDialog.DialogCode.Accepted and "is not a folder" in dialog.media_error.text()
        dialog.media_root.setText(str(tmp_path))
        dialog.save()
        assert dialog.result() == QDialog.DialogCode.Accepted
        assert settings.load().media_roots == {pg_url: str(tmp_path.resolve())}
        assert project.media_root() == tmp_path.resolve()
        again = PreferencesDialog(None, project)
        qtbot.addWidget(again)
        assert again.media_root.text() == str(tmp_path.resolve())
        again.media_root.setText("")
        again.save()
        assert settings.load().media_roots == {} and project.media_root() == Path("/srv/team-media")
    plain = PreferencesDialog(None, None)
    qtbot.addWidget(plain)
    assert plain.media_root is None
