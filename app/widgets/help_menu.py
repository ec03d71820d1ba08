"""The Help menu: keyboard shortcuts, the welcome, the log and models folders, About.

:func:`install_help_menu` fills ``main_window.help_menu`` (created empty by the main window).
The shortcuts dialog belongs to the canvas (``app/widgets/shortcuts.py``); the entry appears only
when that module provides ``show_shortcuts(parent)`` or a ``ShortcutsDialog(parent)`` class.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMainWindow, QMenu, QWidget

from app import paths
from app.widgets.about import log_folder, show_about
from app.widgets.welcome import open_folder, show_welcome

log = logging.getLogger(__name__)
SHORTCUTS_MODULE = "app.widgets.shortcuts"


def shortcuts_opener() -> Callable[[QWidget], object] | None:
    """A function that opens the canvas's shortcuts dialog, or None when there is none (yet)."""
    if importlib.util.find_spec(SHORTCUTS_MODULE) is None:
        return None
    module = importlib.import_module(SHORTCUTS_MODULE)
    show = getattr(module, "show_shortcuts", None)
    if callable(show):
        return show
    dialog_class = getattr(module, "ShortcutsDialog", None)
    if isinstance(dialog_class, type) and issubclass(dialog_class, QDialog):
        def open_dialog(parent: QWidget) -> QDialog:
            dialog = dialog_class(parent)
            dialog.show()
            return dialog

        return open_dialog
    log.warning("%s has neither show_shortcuts(parent) nor ShortcutsDialog; no shortcuts entry", SHORTCUTS_MODULE)
    return None


def shortcuts_key(default: str = "F1") -> str:
    """The user's key for "Show the keyboard shortcuts" (the canvas's ``help.shortcuts`` binding)."""
    module = importlib.import_module(SHORTCUTS_MODULE)
    bindings = getattr(module, "bindings", None)
    if not callable(bindings):
        return default
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
    opener = shortcuts_opener()
    if opener is not None:
        action = _add(menu, "Keyboard shortcuts…", lambda: opener(main_window), "help_shortcuts")
        action.setShortcut(QKeySequence(shortcuts_key()))
    else:
        log.info("no %s yet: the Help menu has no shortcuts entry", SHORTCUTS_MODULE)
    _add(menu, "Welcome…", lambda: show_welcome(main_window), "help_welcome")  # type: ignore[arg-type]
    menu.addSeparator()
    _add(menu, "Open log folder", lambda: open_folder(log_folder(), main_window), "help_log_folder")
    _add(menu, "Open models folder", lambda: open_folder(paths.models_dir(), main_window), "help_models_folder")
    menu.addSeparator()
    about = _add(menu, "About Fieldmark", lambda: show_about(main_window), "help_about")
    about.setMenuRole(QAction.MenuRole.AboutRole)
    return menu
