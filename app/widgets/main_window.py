"""The main window: create/open projects (with a recent list), labels, tasks and their jobs.

Opening a job shows it in a :class:`~app.widgets.job_window.JobWindow` (canvas, tools, panels).
Window geometry persists in QSettings; preferences (recent projects, ...) in app.settings.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from app import settings
from app.widgets import project_open
from app.widgets.project_tree import fill_tree, job_context_menu

if TYPE_CHECKING:
    from app.storage.location import Location
    from app.storage.store import Project

# The store (SQLAlchemy, Alembic, NumPy) and the task dialog (OpenCV) are imported when a project is
# created or opened, not at start-up: the empty window paints first (start-up time, see README).
log = logging.getLogger(__name__)
JOB_COLUMNS = ["Task / job", "Type", "Frames", "Stage", "State", "Assignee", "Annotations"]
COUNTS_DELAY_MS = 800
QUALITY_MENU_DELAY_MS = 150


class MainWindow(QMainWindow):
    project_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Fieldmark")
        self.prefs = settings.load()
        self.project: Project | None = None
        self.job_windows: dict[int, QWidget] = {}
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(JOB_COLUMNS)
        self.tree.itemDoubleClicked.connect(self._on_item_activated)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._job_menu)
        self.placeholder = QLabel("Open or create a project (File menu), or open the demo.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.placeholder)
        self._build_menus()
        self._quality_menu: Any = None  # built just after the first paint (or when first used): it is slow to import
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(COUNTS_DELAY_MS)
        self._counts_timer.timeout.connect(self.refresh)
        self._update_actions()
        self.statusBar().showMessage("Ready")
        self._restore_layout()

    @property
    def quality_menu(self) -> Any:
        """The Quality menu (:class:`app.widgets.quality_menu.QualityMenu`), built on first use."""
        if self._quality_menu is None:
            from app.widgets.quality_menu import QualityMenu  # the quality package and pyqtgraph: 1-2 s

            self._quality_menu = QualityMenu(self)
            self._update_actions()
        return self._quality_menu

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)  # type: ignore[arg-type]
        if self._quality_menu is None:
            QTimer.singleShot(QUALITY_MENU_DELAY_MS, lambda: self.quality_menu)  # once the window is painted

    # ---------------------------------------------------------------- menus

    def add_action(self, menu: QMenu, text: str, slot: object, shortcut: str | None = None,
                needs_project: bool = False) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(slot)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setProperty("needs_project", needs_project)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self.add_action(file, "New project…", self.new_project, "Ctrl+N")
        self.add_action(file, "Open project…", self.open_project_dialog, "Ctrl+O")
        self.add_action(file, "New team project…", self.new_team_project)
        self.add_action(file, "Open team project…", self.open_team_project_dialog)
        self.recent_menu = file.addMenu("Open recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.add_action(file, "Open demo project", self.open_demo)
        file.addSeparator()
        self.add_action(file, "Import dataset…", self.import_dataset, "Ctrl+I", needs_project=True)
        self.add_action(file, "Export dataset…", self.export_dataset, "Ctrl+E", needs_project=True)
        self.add_action(file, "Export job package…", self.export_job_package, needs_project=True)
        self.add_action(file, "Merge package…", self.merge_package, needs_project=True)
        file.addSeparator()
        self.add_action(file, "Close project", self.close_project, needs_project=True)
        self.add_action(file, "Preferences…", self.edit_preferences, "Ctrl+,")
        self.add_action(file, "Quit", self.close, "Ctrl+Q")
        proj = bar.addMenu("&Project")
        self.add_action(proj, "Labels…", self.edit_labels, "Ctrl+L", needs_project=True)
        self.add_action(proj, "New task…", self.new_task, "Ctrl+T", needs_project=True)
        self.add_action(proj, "Rename project…", self.rename_project, needs_project=True)
        self.project_menu = proj
        ai = bar.addMenu("&AI")
        self.add_action(ai, "Automatic annotation…", self.auto_annotate, "Ctrl+Shift+A", needs_project=True)
        self.add_action(ai, "Models…", self.manage_models)
        self.help_menu = bar.addMenu("&Help")
        self._update_actions()

    def _update_actions(self) -> None:
        for menu in self.menuBar().findChildren(QMenu):
            for action in menu.actions():
                if action.property("needs_project"):
                    action.setEnabled(self.project is not None)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.prefs.recent_projects:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_project(p))
        if not self.prefs.recent_projects:
            self.recent_menu.addAction("(none)").setEnabled(False)

    # ---------------------------------------------------------------- project lifecycle

    # The open/create flows live in app/widgets/project_open.py; these are the menu slots.
    def new_project(self) -> None:
        project_open.new_project(self)

    def open_project_dialog(self) -> None:
        project_open.open_project_dialog(self)

    def new_team_project(self) -> None:
        project_open.new_team_project(self)

    def open_team_project_dialog(self) -> None:
        project_open.open_team_project_dialog(self)

    def open_project(self, path: str | Path | Location) -> bool:
        """Open a project file, a field package or a team project (a ``postgresql://`` URL or :class:`Location`)."""
        return project_open.open_project(self, path)

    def open_demo(self) -> None:
        from app.demo import demo_path

        self.open_project(demo_path())

    def _set_project(self, project: Project) -> None:
        from app.widgets import workers

        self.close_project()
        self.project = workers.gui_owned(project)  # background writers' changes reach the GUI thread
        project.watch()  # other clients' changes (a team's workstations, another process) reach it too
        self.prefs = settings.load()  # keep what other windows saved meanwhile
        self.prefs.add_recent(project.location.display)  # a URL without password: libpq supplies it
        settings.save(self.prefs)
        project.add_listener(self._on_project_changed)
        self.setCentralWidget(self.tree)
        self.placeholder = None
        title = project.name + (" (read-only)" if project.read_only else "")
        self.setWindowTitle(f"{title} — Fieldmark")
        self.refresh()
        self._update_actions()
        self.statusBar().showMessage(
            "Double-click a job to annotate it; right-click it for its stage, state and assignee."
        )
        self.project_changed.emit()

    def close_project(self) -> None:
        for window in list(self.job_windows.values()):
            window.close()
        self.job_windows.clear()
        if self.project is not None:
            self.project.close()
            self.project = None
            self.tree.clear()
            self.setWindowTitle("Fieldmark")
            self._update_actions()
            self.project_changed.emit()

    def rename_project(self) -> None:
        if self.project is None:
            return
        name, ok = QInputDialog.getText(self, "Rename project", "Name", text=self.project.name)
        if ok and name.strip():
            self.project.rename(name.strip())
            self.setWindowTitle(f"{name.strip()} — Fieldmark")

    def _on_project_changed(self, kind: str, _job_id: int | None) -> None:
        if kind in ("tasks", "jobs", "labels"):
            self.refresh()
        elif kind == "annotations":
            self._counts_timer.start()  # edits come in bursts: one refresh of the counts after them

    # ---------------------------------------------------------------- tasks and jobs

    def refresh(self) -> None:
        """Rebuild the task/job tree (the selection is kept) with fresh annotation counts."""
        if self.project is None:
            self.tree.clear()
            return
        fill_tree(self.tree, self.project, len(JOB_COLUMNS))

    def selected_task_and_job(self) -> tuple[int | None, int | None]:
        """The task (and job) selected in the tree; the only task when nothing is selected."""
        item = self.tree.currentItem()
        if item is not None:
            job_id = item.data(0, Qt.ItemDataRole.UserRole)
            if job_id is not None and self.project is not None:
                return self.project.job(int(job_id)).task_id, int(job_id)
            index = self.tree.indexOfTopLevelItem(item)
            if index >= 0 and self.project is not None:
                return self.project.tasks()[index].id, None
        tasks = self.project.tasks() if self.project is not None else []
        return (tasks[0].id, None) if len(tasks) == 1 else (None, None)

    def selected_job_id(self) -> int | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, Qt.ItemDataRole.UserRole)

    def _on_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        job_id = item.data(0, Qt.ItemDataRole.UserRole)
        if job_id is not None:
            self.open_job(int(job_id))

    def open_job(self, job_id: int) -> QWidget | None:
        if self.project is None:
            return None
        window = self.job_windows.get(job_id)
        if window is None:
            from app.widgets.job_lease import take_job_lease
            from app.widgets.job_window import JobWindow

            holds_lease = take_job_lease(self, self.project, job_id)
            if holds_lease is None:
                return None
            window = JobWindow(self.project, job_id, self, holds_lease=holds_lease)
            window.setWindowFlag(Qt.WindowType.Window, True)
            window.destroyed.connect(lambda _=None, j=job_id: self.job_windows.pop(j, None))
            window.destroyed.connect(lambda _=None: self.refresh())  # the counts after the job's edits
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
            self.job_windows[job_id] = window
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def _job_menu(self, pos: object) -> None:
        job_id = self.selected_job_id()
        if job_id is not None and self.project is not None and not self.project.read_only:
            job_context_menu(self, self.project, job_id, self.tree.viewport().mapToGlobal(pos))

    def edit_preferences(self) -> None:
        from app.widgets.preferences_dialog import PreferencesDialog

        if PreferencesDialog(self).exec():
            self.prefs = settings.load()

    def edit_labels(self) -> None:
        from app.widgets.label_editor import LabelsDialog

        if self.project is not None:
            LabelsDialog(self.project, self).exec()

    def new_task(self) -> None:
        from app.widgets.task_dialog import NewTaskDialog

        if self.project is not None:
            dialog = NewTaskDialog(self.project, self)
            dialog.exec()

    def _transfer(self, mode: str) -> None:
        from app.widgets.transfer_dialog import TransferDialog

        if self.project is None:
            return
        task_id, job_id = self.selected_task_and_job()
        dialog = TransferDialog(self.project, mode, self, task_id=task_id, job_id=job_id)
        dialog.exec()
        self.refresh()

    def import_dataset(self) -> None:
        self._transfer("import")

    def export_dataset(self) -> None:
        self._transfer("export")

    def export_job_package(self) -> None:
        from app.widgets.package_dialogs import export_job_package

        export_job_package(self)

    def merge_package(self) -> None:
        from app.widgets.package_dialogs import merge_package_dialog

        merge_package_dialog(self)

    def auto_annotate(self) -> None:
        from app.widgets.ai.auto_annotation_dialog import AutoAnnotationDialog

        task_id, job_id = self.selected_task_and_job()
        if self.project is None or task_id is None:
            QMessageBox.information(self, "Automatic annotation", "Select a task or a job first.")
            return
        AutoAnnotationDialog(self.project, task_id, job_id, parent=self).exec()
        self.refresh()

    def manage_models(self) -> None:
        from app.widgets.ai.model_choice import safe_registry
        from app.widgets.ai.models_dialog import ModelsDialog

        ModelsDialog(safe_registry(), project=self.project, parent=self).exec()

    # ---------------------------------------------------------------- layout persistence

    def _restore_layout(self) -> None:
        store = QSettings("Fieldmark", "Fieldmark")
        geometry = store.value("main/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 700)
        state = store.value("main/state")
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        store = QSettings("Fieldmark", "Fieldmark")
        store.setValue("main/geometry", self.saveGeometry())
        store.setValue("main/state", self.saveState())
        self.close_project()
        super().closeEvent(event)
