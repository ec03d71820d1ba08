"""The report dialog of a task or project report: the summary as a table with human labels, a note
on what the counts mean (CVAT scales project counts to whole tasks), charts (conflicts by type,
accuracy per job or task, accuracy over the report history), the raw JSON one tab away, and CSV
export (the whole report or one row per conflict)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.quality.csv_export import write_conflicts_csv, write_csv
from app.quality.report import Report
from app.quality.review import conflicts_by_type, scaling_note, summary_rows
from app.widgets.quality.charts import BarChart, LineChart, conflicts_chart, history_points

RAW_JSON_LIMIT = 2_000_000  # characters: larger reports show the JSON without per-frame results


def fill_summary_table(table: QTableWidget, report: Report) -> None:
    rows = summary_rows(report)
    table.setRowCount(len(rows))
    for k, (name, value) in enumerate(rows):
        label = QTableWidgetItem(name)
        if not name.startswith(" "):
            font = label.font()
            font.setBold(True)
            label.setFont(font)
        table.setItem(k, 0, label)
        table.setItem(k, 1, QTableWidgetItem(value))


def summary_table(parent: QWidget | None = None) -> QTableWidget:
    table = QTableWidget(0, 2, parent)
    table.setHorizontalHeaderLabels(["", "Value"])
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    return table


def raw_json(report: Report) -> str:
    text = json.dumps(report.to_data(), indent=2)
    if len(text) > RAW_JSON_LIMIT:
        text = ("// per-frame results left out (too large to show; export CSV for every conflict)\n"
                + json.dumps(report.to_data(frame_results=False), indent=2))
    return text


class QualityReportDialog(QDialog):
    """``parts``: (scope, id, report) of the jobs of a task report or the tasks of a project report;
    ``history``: the stored reports of the same target (:class:`app.quality.storage.ReportInfo`,
    newest first); ``notes``: extra lines (which GT counted, tasks left out)."""

    def __init__(self, scope: str, target: int, report: Report, parts: Sequence[tuple[str, int, Report]] = (),
                 history: Sequence[Any] = (), notes: Sequence[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scope, self.target, self.report, self.parts = scope, target, report, list(parts)
        name = f"task {target}" if scope == "task" else ("the project" if scope == "project" else f"{scope} {target}")
        self.setWindowTitle(f"Quality report of {name}")
        self.resize(640, 560)

        self.table = summary_table(self)
        fill_summary_table(self.table, report)
        self.note = QLabel(" ".join([scaling_note(report, parts), *notes]).strip())
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.table, "Summary")
        self.conflicts_chart = conflicts_chart(conflicts_by_type(report))
        self.tabs.addTab(self.conflicts_chart, "Conflicts by type")
        part_word = "job" if scope == "task" else "task"
        self.parts_chart = BarChart("accuracy")
        self.parts_chart.set_bars([(f"{part_word} {pid}", part.annotations.accuracy)
                                   for _s, pid, part in self.parts], color="#2e86c1")
        self.tabs.addTab(self.parts_chart, f"Accuracy per {part_word}")
        self.history_chart = LineChart("accuracy")
        self.history_chart.set_points(history_points(history))
        self.tabs.addTab(self.history_chart, "History")
        self.json_view = QPlainTextEdit()
        self.json_view.setReadOnly(True)
        self.json_tab = self.tabs.addTab(self.json_view, "Raw JSON")
        self.tabs.currentChanged.connect(self._tab_changed)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = QPushButton("Export CSV…")
        self.export_conflicts_button = QPushButton("Export conflicts CSV…")
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.export_conflicts_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.export_button.clicked.connect(self.export_csv)
        self.export_conflicts_button.clicked.connect(self.export_conflicts_csv)

        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)

    def show_raw_json(self) -> None:
        self.tabs.setCurrentIndex(self.json_tab)

    def _tab_changed(self, index: int) -> None:
        if index == self.json_tab and not self.json_view.toPlainText():
            self.json_view.setPlainText(raw_json(self.report))  # built on demand: large for long jobs

    def _save_path(self, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, "Export report", suggested, "CSV (*.csv)")
        return path

    def export_csv(self) -> str:
        path = self._save_path(f"quality-{self.scope}-{self.target}.csv")
        if path:
            try:
                write_csv(path, [(self.scope, self.target, self.report), *self.parts])
            except OSError as exc:
                QMessageBox.warning(self, "Export report", f"Cannot write {path}: {exc.strerror or exc}")
                return ""
        return path

    def export_conflicts_csv(self) -> str:
        path = self._save_path(f"quality-{self.scope}-{self.target}-conflicts.csv")
        if path:
            try:
                write_conflicts_csv(path, self.report)
            except OSError as exc:
                QMessageBox.warning(self, "Export conflicts", f"Cannot write {path}: {exc.strerror or exc}")
                return ""
        return path
