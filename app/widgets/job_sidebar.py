"""The job window's side panels: the objects sidebar (the frame's objects as collapsed cards and the
expanded card of the selection, :mod:`app.widgets.panels.object_card`), the labels (the label new
objects get) and the image adjustments. Built for the window, which keeps the parts (see
:meth:`app.widgets.job_window.JobWindow._build_docks`); every edit goes through the window's actions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QSplitter, QWidget

from app.widgets.adjustments import AdjustmentsPanel
from app.widgets.panels.labels import LabelsPanel
from app.widgets.panels.object_card import ObjectCard
from app.widgets.panels.objects import ObjectsPanel

if TYPE_CHECKING:
    from app.editing.frame_objects import ObjectKey
    from app.editing.session import EditSession
    from app.widgets.panels.attributes import AttributesPanel


class SidebarHost(Protocol):
    session: EditSession
    canvas: Any  # CanvasView
    edit: Any  # JobActions

    def trigger(self, action_id: str) -> None: ...

    def add_side_panel(self, widget: QWidget, title: str,
                       area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget: ...

    def tabifyDockWidget(self, first: QDockWidget, second: QDockWidget) -> None: ...  # noqa: N802 - Qt's name


@dataclass
class Sidebar:
    objects: ObjectsPanel
    card: ObjectCard
    labels: LabelsPanel
    attributes: AttributesPanel
    adjustments: AdjustmentsPanel
    docks: dict[str, QDockWidget]


def build_sidebar(window: SidebarHost) -> Sidebar:
    session, edit = window.session, window.edit
    objects = ObjectsPanel(session)
    card = ObjectCard(session, window.trigger, edit.change_label)
    objects.tag_clicked.connect(card.show_tag)

    def centre(index: QModelIndex) -> None:  # a double-click on a row brings the object into view
        x1, y1, x2, y2 = objects.model.rows[index.row()].box
        window.canvas.center_on_image((x1 + x2) / 2, (y1 + y2) / 2)

    objects.view.doubleClicked.connect(centre)

    def on_row(edit_selection: Callable[[], None], key: ObjectKey) -> None:
        # A row's label dropdown or occluded toggle acts on that row's object, as the card does on the
        # selection: select it, then the same edit (one command). Deferred: the view is still inside
        # the edit that asked for it, and the command resets the model.
        def run() -> None:
            session.select([key])
            edit_selection()

        QTimer.singleShot(0, run)

    objects.model.label_requested.connect(lambda key, label_id: on_row(lambda: edit.change_label(label_id), key))
    objects.model.occluded_requested.connect(lambda key: on_row(edit.toggle_occluded, key))
    attributes = card.attributes
    attributes.attribute_edited.connect(edit.set_attribute)
    attributes.tag_attribute_edited.connect(edit.set_tag_attribute)
    split = QSplitter(Qt.Orientation.Vertical)
    split.setObjectName("objectsSplit")
    split.addWidget(objects)
    split.addWidget(card)
    split.setStretchFactor(0, 3)
    split.setStretchFactor(1, 2)
    split.setChildrenCollapsible(False)
    labels = LabelsPanel(session)
    labels.apply_requested.connect(edit.change_label)
    adjustments = AdjustmentsPanel(window.canvas)
    docks = {
        "objects": window.add_side_panel(split, "Objects"),
        "labels": window.add_side_panel(labels, "Labels"),
        "adjustments": window.add_side_panel(adjustments, "Image adjustments"),
    }
    window.tabifyDockWidget(docks["labels"], docks["adjustments"])
    docks["labels"].raise_()
    return Sidebar(objects, card, labels, attributes, adjustments, docks)
