"""The frame's objects: a virtual table (fast with thousands of rows; each row is a collapsed object
card, the selected one is expanded below it, :mod:`app.widgets.panels.object_card`), filter by label
and type, a stable order (by id, the default, or by z-order), click to select, and the frame's tags as
links that open a tag's card.

Each row carries what a collapsed CVAT card carries: the id, a label dropdown (click the selected
row's label), and toggles for hide, lock, pin and occluded. Hide, lock and pin are the session's view
flags; a label change or the occluded toggle is asked of the job window (``label_requested``,
``occluded_requested``), which makes it one command on the undo stack, as the card's own controls do."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QAbstractItemModel, QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.annotations import Annotations
from app.domain.enums import ShapeType
from app.editing.commands import ReplaceAnnotations
from app.editing.session import EditSession, SessionChange

if TYPE_CHECKING:
    from app.editing.frame_objects import FrameObject, ObjectKey

COLUMNS = ("Object", "Label", "Hide", "Lock", "Pin", "Occl.", "Tracking")  # the type is in the Object column
HEADER_TIPS = {5: "Occluded"}
LABEL, HIDE, LOCK, PIN, OCCLUDED, TRACKING = 1, 2, 3, 4, 5, 6
FLAG_COLUMNS = (HIDE, LOCK, PIN)  # the session's view flags
ORDERS = {"id": "Order: by id", "z": "Order: top-most first"}


class TrackingSwitches(Protocol):
    """Per-object tracking switches (the Trackers tab provides them)."""

    def tracking_state(self, track_id: int) -> bool | None: ...

    def set_tracking(self, track_id: int, enabled: bool) -> None: ...
Index = QModelIndex | QPersistentModelIndex


class ObjectsModel(QAbstractTableModel):
    toggled = Signal()
    label_requested = Signal(object, int)  # (object key, new label id): one command, by the job window
    occluded_requested = Signal(object)  # object key: toggle its occluded flag (one command)

    def __init__(self, session: EditSession) -> None:
        super().__init__()
        self.session = session
        self.rows: list[FrameObject] = []
        self._text: list[tuple[str, str, QColor | None]] = []  # per row, computed once per reload
        self.label_filter: int | None = None
        self.type_filter: str | None = None
        self.order = "id"  # "id": stable, by id (tracks after shapes of the same id); "z": top-most first
        self.tracking: TrackingSwitches | None = None

    def reload(self) -> None:
        self.beginResetModel()
        rows = list(self.session.objects().ordered())[::-1]  # top-most first
        if self.order == "id":
            rows.sort(key=lambda o: (o.key[1], o.key[0]))
        if self.label_filter is not None:
            rows = [o for o in rows if o.shape.label_id == self.label_filter]
        if self.type_filter is not None:
            rows = [o for o in rows if o.shape.type.value == self.type_filter]
        self.rows = rows
        labels = self.session.labels
        self._text = []
        for obj in rows:
            label = labels.get(obj.shape.label_id)
            kind, oid = obj.key
            extra = "" if not obj.is_track else (" key" if obj.keyframe else " interp.")
            self._text.append((f"{'T' if kind == 'track' else '#'}{oid} {obj.shape.type.value}{extra}",
                               label.name if label else str(obj.shape.label_id),
                               QColor(label.color or "#ffffff") if label is not None else None))
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            return HEADER_TIPS.get(section)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        row, col = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole and col <= LABEL:
            return self._text[row][col]
        if role == Qt.ItemDataRole.CheckStateRole and col in (*FLAG_COLUMNS, OCCLUDED):
            return Qt.CheckState.Checked if self._flag(row, col) else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DecorationRole and col == LABEL:
            return self._text[row][2]
        if role == Qt.ItemDataRole.EditRole and col == LABEL:
            return self.rows[row].shape.label_id
        if role == Qt.ItemDataRole.ToolTipRole and col == LABEL:
            return "Click the selected object's label to change it (one undo step)"
        if col == TRACKING and role == Qt.ItemDataRole.CheckStateRole:
            state = self._tracking_state(row)
            return None if state is None else (Qt.CheckState.Checked if state else Qt.CheckState.Unchecked)
        return None

    def _flag(self, row: int, col: int) -> bool:
        obj = self.rows[row]
        if col == OCCLUDED:
            return bool(obj.shape.occluded)
        return {HIDE: self.session.is_hidden, LOCK: self.session.is_locked, PIN: self.session.is_pinned}[col](obj.key)

    def _tracking_state(self, row: int) -> bool | None:
        kind, oid = self.rows[row].key
        if self.tracking is None or kind != "track":
            return None
        return self.tracking.tracking_state(int(oid))

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == LABEL:
            return base | Qt.ItemFlag.ItemIsEditable
        checkable = index.column() in (*FLAG_COLUMNS, OCCLUDED) or (index.column() == TRACKING
                                                                   and self._tracking_state(index.row()) is not None)
        return base | Qt.ItemFlag.ItemIsUserCheckable if checkable else base

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role == Qt.ItemDataRole.EditRole and index.column() == LABEL:
            obj = self.rows[index.row()]
            if value is None or int(value) == obj.shape.label_id:  # type: ignore[call-overload]
                return False
            self.label_requested.emit(obj.key, int(value))  # type: ignore[call-overload]
            return True
        if role != Qt.ItemDataRole.CheckStateRole:
            return False
        checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2)
        if index.column() == TRACKING:
            if self._tracking_state(index.row()) is None:
                return False
            self.tracking.set_tracking(int(self.rows[index.row()].key[1]), checked)  # type: ignore[union-attr]
            self.dataChanged.emit(index, index)
            return True
        key = self.rows[index.row()].key
        if index.column() == OCCLUDED:
            if checked != self._flag(index.row(), OCCLUDED):
                self.occluded_requested.emit(key)
            return True
        setter = {HIDE: self.session.set_hidden, LOCK: self.session.set_locked, PIN: self.session.set_pinned}
        setter[index.column()]([key], checked)
        self.dataChanged.emit(index, index)
        self.toggled.emit()
        return True


class LabelDelegate(QStyledItemDelegate):
    """The Label column's dropdown: the job's labels; choosing one asks for the label change."""

    def __init__(self, session: EditSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:  # noqa: N802
        box = QComboBox(parent)
        rows = getattr(index.model(), "rows", [])
        shape_type = rows[index.row()].shape.type if index.row() < len(rows) else None
        for label in self.session.labels:
            if label.id is not None and (shape_type is None or label.type.accepts(shape_type)):
                box.addItem(label.name, label.id)
        box.activated.connect(lambda _i: self.commitData.emit(box))
        return box

    def setEditorData(self, editor: QWidget, index: Index) -> None:  # noqa: N802
        assert isinstance(editor, QComboBox)
        editor.setCurrentIndex(max(0, editor.findData(index.data(Qt.ItemDataRole.EditRole))))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:  # noqa: N802
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class ObjectsPanel(QWidget):
    tag_clicked = Signal(int)  # a tag id of the current frame

    def __init__(self, session: EditSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = ObjectsModel(session)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setItemDelegateForColumn(LABEL, LabelDelegate(session, self.view))
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.SelectedClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.clicked.connect(self._on_view_clicked)
        self.label_box = QComboBox(self)
        self.type_box = QComboBox(self)
        self.order_box = QComboBox(self)
        for order, text in ORDERS.items():
            self.order_box.addItem(text, order)
        self.order_box.setToolTip("The list's order; by id it never changes while you edit")
        self.order_box.currentIndexChanged.connect(self._on_filter_changed)
        self.count = QLabel(self)
        self.tags = QLabel(self)
        self.tags.setWordWrap(True)
        self.tags.setToolTip("Click a tag to edit its attributes")
        self.tags.linkActivated.connect(lambda link: self.tag_clicked.emit(int(link.split(":")[1])))
        self.clear_tags = QPushButton("Remove tags", self)
        self.clear_tags.setToolTip("Remove the frame's tags (one undo step)")
        self.clear_tags.clicked.connect(self._on_clear_tags_clicked)
        self._fill_filters()
        self.label_box.currentIndexChanged.connect(self._on_filter_changed)
        self.type_box.currentIndexChanged.connect(self._on_filter_changed)
        filters = QHBoxLayout()
        filters.addWidget(self.label_box)
        filters.addWidget(self.type_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(filters)
        layout.addWidget(self.view)
        count_row = QHBoxLayout()
        count_row.addWidget(self.count, 1)
        count_row.addWidget(self.order_box)
        layout.addLayout(count_row)
        tags_row = QHBoxLayout()
        tags_row.addWidget(self.tags, 1)
        tags_row.addWidget(self.clear_tags)
        layout.addLayout(tags_row)
        session.changed.connect(self._on_session)
        self.reload()

    def _fill_filters(self) -> None:
        self.label_box.clear()
        self.label_box.addItem("All labels", None)
        for label in self.session.labels:
            if label.id is not None:
                self.label_box.addItem(label.name, label.id)
        self.type_box.clear()
        self.type_box.addItem("All types", None)
        for t in ShapeType:
            self.type_box.addItem(t.value, t.value)

    def set_filters(self, label_id: int | None = None, shape_type: str | None = None) -> None:
        self.label_box.setCurrentIndex(max(0, self.label_box.findData(label_id)) if label_id is not None else 0)
        self.type_box.setCurrentIndex(max(0, self.type_box.findData(shape_type)) if shape_type is not None else 0)

    def _on_filter_changed(self) -> None:
        self.model.label_filter = self.label_box.currentData()
        self.model.type_filter = self.type_box.currentData()
        self.model.order = self.order_box.currentData() or "id"
        self.reload()

    def reload(self) -> None:
        self.model.reload()
        self.count.setText(f"{len(self.model.rows)} of {len(self.session.objects())} objects")
        tags = self.session.tags()
        names = [lb.name if (lb := self.session.labels.get(t.label_id)) else str(t.label_id) for t in tags]
        links = [f"<a href='tag:{t.id}'>{name}</a>" for t, name in zip(tags, names, strict=True)]
        self.tags.setText("Tags: " + (", ".join(links) if links else "none"))
        self.tag_names = names
        self.clear_tags.setEnabled(bool(tags))
        self._show_tracking_column()
        self._on_selection_changed()

    def _show_tracking_column(self) -> None:
        """The Tracking column only when an object on the frame has a tracking switch."""
        model = self.model
        used = model.tracking is not None and any(model._tracking_state(r) is not None for r in range(len(model.rows)))
        self.view.setColumnHidden(TRACKING, not used)

    def _on_clear_tags_clicked(self) -> None:
        tags = self.session.tags()
        if tags:
            self.session.push(ReplaceAnnotations(self.session.project, self.session.job_id,
                                                 before=Annotations(tags=tags), text="Remove tags"))

    def _on_session(self, change: SessionChange) -> None:
        if change is SessionChange.OBJECTS:
            self.reload()
        elif change is SessionChange.SELECTION:
            self._on_selection_changed()
        elif change is SessionChange.FLAGS and self.model.rows:
            model = self.model
            model.dataChanged.emit(model.index(0, HIDE), model.index(len(model.rows) - 1, PIN))

    def keys(self) -> list[ObjectKey]:
        return [o.key for o in self.model.rows]

    def _on_view_clicked(self, index: QModelIndex) -> None:
        if index.column() in (*FLAG_COLUMNS, OCCLUDED):
            return
        self.session.select([self.model.rows[index.row()].key])

    def _on_selection_changed(self) -> None:
        selected = set(self.session.selection())
        self.view.clearSelection()
        for row, obj in enumerate(self.model.rows):
            if obj.key in selected:
                self.view.selectRow(row)
                self.view.scrollTo(self.model.index(row, 0))
