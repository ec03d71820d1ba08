"""The job window's menus beyond its actions' (Draw, Tracks, Navigate, View, Edit, Help): an AI menu
(Models…, Automatic annotation of this job…), the side panels in View, and Help's quick start, folders
and About, so a CVAT user finds them from the job window and not only from the project window."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtWidgets import QMenu, QMenuBar, QMessageBox

from app.widgets.help_menu import add_help_items

if TYPE_CHECKING:
    from app.storage.store import Project

QUICK_START = """<b>Annotating a job</b><ol>
<li>Pick a drawing tool in the tool bar (Rectangle, Polygon, …) or press its key; N repeats the last one.</li>
<li>Draw on the canvas. The new object gets the label chosen in the Labels panel; change it on the
object's card in the Objects panel, where its attributes, lock, hide and occluded are too.</li>
<li>F and D go to the next and previous frame; Ctrl+Z undoes. Every edit is saved as you make it.</li>
<li>Frame tags: the Tag tool (Shift+T); click a tag under the objects list to edit its attributes.</li>
<li>AI tools (the strip on the left): detectors, SAM 2 / scissors interactors and trackers.</li>
</ol>Keys work wherever you clicked in this window, except while typing in a text field.
F1 lists every shortcut."""


class MenuHost(Protocol):
    project: Project
    job_id: int
    undo_stack: Any  # UndoStack
    detectors: Any  # DetectorsTab

    def menuBar(self) -> QMenuBar: ...  # noqa: N802 - Qt's name


def install_job_menus(window: MenuHost, menus: dict[str, QMenu]) -> None:
    bar = window.menuBar()
    ai = QMenu("&AI", bar)  # type: ignore[arg-type]
    if "Help" in menus:
        bar.insertMenu(menus["Help"].menuAction(), ai)
    else:
        bar.addMenu(ai)
    ai.addAction("Models…", lambda: manage_models(window)).setObjectName("ai_models")
    ai.addAction("Automatic annotation of this job…", lambda: auto_annotate(window)).setObjectName("ai_auto")
    help_menu = menus.get("Help") or bar.addMenu("Help")
    help_menu.addAction("Quick start…", lambda: QMessageBox.information(
        window, "Quick start", QUICK_START)).setObjectName("help_quick_start")  # type: ignore[arg-type]
    help_menu.addSeparator()
    add_help_items(help_menu, window)  # type: ignore[arg-type]


def manage_models(window: MenuHost) -> None:
    from app.widgets.ai.model_choice import safe_registry
    from app.widgets.ai.models_dialog import ModelsDialog

    ModelsDialog(safe_registry(), project=window.project, parent=window).exec()  # type: ignore[arg-type]
    window.detectors.refresh_models()


def auto_annotate(window: MenuHost) -> None:
    from app.widgets.ai.auto_annotation_dialog import AutoAnnotationDialog

    job = window.project.job(window.job_id)
    AutoAnnotationDialog(window.project, job.task_id, window.job_id, undo_stack=window.undo_stack,
                         parent=window).exec()  # type: ignore[arg-type]
