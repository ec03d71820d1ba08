"""The Help menu: keyboard shortcuts, the welcome, the log and models folders, About.

:func:`install_help_menu` fills ``main_window.help_menu`` (created empty by the main window).
The shortcuts dialog is :class:`app.widgets.shortcuts.ShortcutsDialog` (the canvas's shortcuts).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMainWindow, QMenu, QWidget

from app import paths
from app.widgets.about import log_folder, show_about
from app.widgets.shortcuts import ShortcutsDialog, bindings
from app.widgets.welcome import open_folder, show_welcome


def open_shortcuts(parent: QWidget) -> QDialog:
    """Show the keyboard shortcuts dialog (not modal)."""
    dialog = ShortcutsDialog(parent)
    dialog.show()
    return dialog


def shortcuts_key(default: str = "F1") -> str:
    """The user's key for "Show the keyboard shortcuts" (the canvas's ``help.shortcuts`` binding)."""
    return str(bindings().get("help.shortcuts", default)) or default


def _add(menu: QMenu, text: str, slot: Callable[[], object], name: str) -> QAction:
    action = menu.addAction(text)
    action.setObjectName(name)
    action.triggered.connect(lambda _checked=False: slot())
    return action


def install_help_menu(main_window: QMainWindow) -> QMenu:
    """Fill ``main_window.help_menu`` (idempotent: a second call rebuilds it) and return it."""
    menu: QMenu = main_window.help_menu  # type: ignore[attr-defined]
    menu.clear()
    action = _add(menu, "Keyboard shortcuts…", lambda: open_shortcuts(main_window), "help_shortcuts")
    action.setShortcut(QKeySequence(shortcuts_key()))
    _add(menu, "Welcome…", lambda: show_welcome(main_window), "help_welcome")  # type: ignore[arg-type]
    menu.addSeparator()
    add_help_items(menu, main_window)
    return menu


def add_help_items(menu: QMenu, parent: QWidget) -> None:
    """The folders and About (the job window's Help menu has these too, after its own entries)."""
    _add(menu, "Open log folder", lambda: open_folder(log_folder(), parent), "help_log_folder")
    _add(menu, "Open models folder", lambda: open_folder(paths.models_dir(), parent), "help_models_folder")
    menu.addSeparator()
    about = _add(menu, "About Fieldmark", lambda: show_about(parent), "help_about")
    about.setMenuRole(QAction.MenuRole.AboutRole)
