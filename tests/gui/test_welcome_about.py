"""First-run welcome, Help menu and About box (issue 9)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox

from app import __version__, paths, settings
from app.widgets import about as about_module
from app.widgets import application
from app.widgets import help_menu as help_module
from app.widgets.about import PENDING, AboutDialog
from app.widgets.help_menu import install_help_menu
from app.widgets.main_window import MainWindow
from app.widgets.welcome import WelcomeDialog, maybe_show_welcome

pytestmark = pytest.mark.gui


class Host:
    """Stands in for the main window: records what the welcome asked it to do."""

    def __init__(self) -> None:
        self.prefs = settings.load()
        self.calls: list[str] = []

    def open_demo(self) -> None:
        self.calls.append("demo")

    def new_project(self) -> None:
        self.calls.append("create")


@pytest.fixture
def window(qtbot) -> MainWindow:
    w = MainWindow()
    qtbot.addWidget(w)
    install_help_menu(w)
    yield w
    w.close_project()


@pytest.fixture
def opened_urls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    urls: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: urls.append(url.toLocalFile()) or True)
    return urls


def _actions(window: MainWindow) -> dict[str, object]:
    return {a.objectName(): a for a in window.help_menu.actions() if a.objectName()}


def test_welcome_shows_once_and_is_remembered(qtbot) -> None:
    host = Host()
    dialog = maybe_show_welcome(host)
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    assert str(paths.models_dir()) in dialog.models_label.text()
    assert settings.load().welcome_shown and host.prefs.welcome_shown
    dialog.close_button.click()
    assert host.calls == []
    assert maybe_show_welcome(Host()) is None


@pytest.mark.parametrize(("button", "expected"), [("demo_button", "demo"), ("create_button", "create")])
def test_welcome_buttons_run_the_host_action(qtbot, button: str, expected: str) -> None:
    host = Host()
    dialog = maybe_show_welcome(host)
    qtbot.addWidget(dialog)
    getattr(dialog, button).click()
    assert host.calls == [expected]
    assert not dialog.isVisible()


def test_opening_a_project_after_the_welcome_keeps_it_remembered(window: MainWindow, tmp_path: Path, qtbot) -> None:
    dialog = maybe_show_welcome(window)
    qtbot.addWidget(dialog)
    dialog.close_button.click()
    from app.storage import Project

    window._set_project(Project.create(tmp_path / "p.fmproj"))  # saves the window's own prefs
    assert settings.load().welcome_shown


def test_enter_in_the_welcome_opens_the_demo(qtbot) -> None:
    host = Host()
    dialog = maybe_show_welcome(host)
    qtbot.addWidget(dialog)
    qtbot.waitExposed(dialog)
    dialog.open_models_button.setFocus()  # even with another button focused, Enter is "Open demo project"
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
    assert host.calls == ["demo"]


def test_welcome_open_models_folder(qtbot, opened_urls: list[str]) -> None:
    dialog = WelcomeDialog()
    qtbot.addWidget(dialog)
    dialog.open_models_button.click()
    assert opened_urls == [str(paths.models_dir())]


def test_without_a_file_manager_the_folder_path_is_shown(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    dialog = WelcomeDialog()
    qtbot.addWidget(dialog)
    dialog.open_models_button.click()
    assert len(shown) == 1 and str(paths.models_dir()) in shown[0]


def test_help_menu_entries_open_folders(window: MainWindow, opened_urls: list[str]) -> None:
    actions = _actions(window)
    assert {"help_log_folder", "help_models_folder", "help_about", "help_welcome"} <= set(actions)
    actions["help_log_folder"].trigger()
    actions["help_models_folder"].trigger()
    assert opened_urls == [str(paths.log_file().parent), str(paths.models_dir())]
    install_help_menu(window)  # idempotent
    assert len(_actions(window)) == len(actions)


def test_help_welcome_shows_it_again(window: MainWindow, qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    window.prefs.welcome_shown = True
    opened: list[str] = []
    monkeypatch.setattr(window, "open_demo", lambda: opened.append("demo"))
    _actions(window)["help_welcome"].trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, WelcomeDialog) and w.isVisible())
    dialog.demo_button.click()
    assert opened == ["demo"]


def test_help_menu_opens_the_canvas_shortcuts_dialog_with_the_users_key(qtbot) -> None:
    from app.widgets.shortcuts import ShortcutsDialog

    prefs = settings.load()
    prefs.shortcuts = {"help.shortcuts": "Ctrl+F1"}
    settings.save(prefs)
    w = MainWindow()
    qtbot.addWidget(w)
    install_help_menu(w)
    action = _actions(w)["help_shortcuts"]
    assert action.shortcut().toString() == "Ctrl+F1"
    action.trigger()
    dialog = next(x for x in QApplication.topLevelWidgets() if isinstance(x, ShortcutsDialog) and x.isVisible())
    qtbot.addWidget(dialog)


def test_help_menu_shortcuts_entry_opens_the_shortcuts_dialog(window: MainWindow, qtbot,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[object] = []
    monkeypatch.setattr(help_module, "open_shortcuts", opened.append)
    install_help_menu(window)
    action = _actions(window)["help_shortcuts"]
    assert action.shortcut().toString() == help_module.shortcuts_key()
    action.trigger()
    assert opened == [window]
    dialog = help_module.ShortcutsDialog(window)
    assert dialog.windowTitle()


def test_about_box_names_versions_device_log_and_models(window: MainWindow, qtbot) -> None:
    _actions(window)["help_about"].trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, AboutDialog) and w.isVisible())
    qtbot.addWidget(dialog)
    assert dialog.values["Fieldmark"].text().startswith(__version__)
    assert dialog.values["Python"].text().startswith(f"{sys.version_info.major}.{sys.version_info.minor}")
    assert dialog.values["Log file"].text() == str(paths.log_file())
    assert dialog.values["Models folder"].text() == str(paths.models_dir())
    qtbot.waitUntil(dialog.loaded, timeout=120_000)  # torch imports on a worker thread
    import torch

    assert dialog.values["torch"].text().startswith(torch.__version__)
    assert dialog.values["Device"].text().startswith(("CPU", "CUDA"))
    dialog.copy_to_clipboard()
    assert "Models folder: " in QApplication.clipboard().text()


def test_about_box_says_when_torch_cannot_be_imported(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert dialog.values["torch"].text() == PENDING or dialog.loaded()
    qtbot.waitUntil(dialog.loaded, timeout=10_000)
    assert dialog.values["torch"].text().startswith("not available:")
    assert "none" in dialog.values["Device"].text()


def test_about_box_reports_a_failed_check(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> list[tuple[str, str]]:
        raise RuntimeError("driver exploded")

    monkeypatch.setattr(about_module, "torch_rows", broken)
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    qtbot.waitUntil(dialog.loaded, timeout=10_000)
    assert "driver exploded" in dialog.values["Device"].text()


def test_unhandled_errors_go_to_the_log_and_a_dialog_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(application.QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    root = logging.getLogger()
    before = list(root.handlers)
    application.setup_logging()
    try:
        application.install_excepthook()
        try:
            raise ValueError("frame 7 has no pixels")
        except ValueError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        for handler in root.handlers[len(before):]:
            handler.close()
            root.removeHandler(handler)
    text = paths.log_file().read_text(encoding="utf-8")
    assert "ValueError: frame 7 has no pixels" in text and "Traceback" in text
    assert len(shown) == 1 and "frame 7 has no pixels" in shown[0] and str(paths.log_file()) in shown[0]
