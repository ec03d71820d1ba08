"""The annotation window's quality side panel: the current job's report against Ground Truth.

Shows the summary (with an out-of-date mark), conflicts grouped by type, a per-label table, a
per-frame chart and charts of the conflicts by type and of the accuracy over the job's report
history (pyqtgraph). "Compute" runs the report in a worker thread (own read-only connection) with
progress and cancel; the result is stored through ``writer`` (the window's open project) when one is
given. Activating a conflict emits ``conflict_activated(frame, annotation_ids)`` (ids as dicts:
obj_id, job_id, type, shape_type) so the window can jump to the frame, select the job's objects and
draw the Ground Truth ones; "Show GT" (``show_gt_toggled``) shows or hides that overlay. Clicking the
frame chart emits ``frame_activated(frame)``. The report exports to CSV (whole, or one row per conflict).

Which Ground Truth counts is the rule of :mod:`app.quality.service` (accepted and completed, as in
CVAT) unless "Allow unfinished Ground Truth" is on: one preference shared with the project window.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import settings as preferences
from app.core.work import CancelToken, Progress, ProgressFn
from app.quality.csv_export import write_conflicts_csv, write_csv
from app.quality.report import Report
from app.quality.review import conflicts_by_type
from app.quality.service import GT_RULE
from app.storage.location import Location
from app.widgets import workers
from app.widgets.quality.charts import BarChart, LineChart, conflict_bars, history_points

SEVERITY_COLOR = {"error": "#c0392b", "warning": "#d68910"}
MAX_ROWS_PER_TYPE = 500  # keeps filling the tree well under the GUI thread's time budget; CSV has them all


def _compute(path: Location | str | Path, job_id: int, require_accepted: bool, token: CancelToken,
             progress: ProgressFn) -> dict[str, Any]:
    from app.quality import service, storage
    from app.storage.store import Project

    with Project.open(path, read_only=True) as project:
        task_id = project.job(job_id).task_id
        result = service.compute_task(project, task_id, require_accepted_gt=require_accepted, only_job=job_id,
                                      progress=progress, token=token)
        if job_id not in result.jobs:
            raise service.QualityError(f"job {job_id} is not compared (excluded by the job filter?)")
        prepared = storage.prepare_task_result(project, task_id, result)  # JSON built here, not on the GUI thread
    return {"task_id": task_id, "prepared": prepared, "report": result.jobs[job_id], "stale": None}


def _load_latest(path: Location | str | Path, job_id: int) -> dict[str, Any] | None:
    from app.quality import storage
    from app.storage.store import Project

    with Project.open(path, read_only=True) as project:
        info = storage.latest(project, "job", job_id)
        if info is None:
            return None
        return {"report": storage.load(project, info.id), "stale": storage.outdated_reason(project, info),
                "created": info.created, "history": storage.history(project, "job", job_id)}


class QualityPanel(QWidget):
    conflict_activated = Signal(int, list)
    frame_activated = Signal(int)
    report_shown = Signal()
    failed = Signal(str)
    show_gt_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, writer: Any = None) -> None:
        super().__init__(parent)
        self.writer = writer
        self.path: Location | str | Path | None = None  # a file or a team project
        self.job_id: int | None = None
        self.report: Report | None = None
        self._worker: workers.Worker | None = None
        self._allow_unfinished = False

        self.compute_button = QPushButton("Compute report")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.any_gt = QCheckBox("Allow unfinished Ground Truth")
        self.any_gt.setToolTip(GT_RULE + " The same choice applies to the project window's reports.")
        self.any_gt.setChecked(preferences.load().quality_allow_unfinished_gt)
        self.any_gt.toggled.connect(lambda on: preferences.update(quality_allow_unfinished_gt=bool(on)))
        self.show_gt = QCheckBox("Show GT")
        self.show_gt.setToolTip("Draw the Ground Truth shapes of the selected conflict over the frame")
        self.show_gt.setChecked(True)
        self.show_gt.toggled.connect(self.show_gt_toggled)
        self.export_button = QPushButton("Export CSV…")
        self.export_conflicts_button = QPushButton("Conflicts CSV…")
        self.export_button.setEnabled(False)
        self.export_conflicts_button.setEnabled(False)
        self.history: list[Any] = []  # stored reports of the job, newest first
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel("No report yet.")
        self.status.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.conflicts = QTreeWidget()
        self.conflicts.setHeaderLabels(["Conflict", "Frame", "Severity", "Objects"])
        self.labels = QTableWidget(0, 7)
        self.labels.setHorizontalHeaderLabels(["Label", "Valid", "Job", "GT", "Precision", "Recall", "Jaccard"])
        self.chart = pg.PlotWidget()
        self.chart.setLabel("bottom", "frame")
        self.chart.setLabel("left", "conflicts / accuracy")
        self.chart.setMinimumHeight(120)
        self.type_chart = BarChart("conflicts")
        self.history_chart = LineChart("accuracy")
        charts = QWidget()
        charts_layout = QVBoxLayout(charts)
        charts_layout.setContentsMargins(0, 0, 0, 0)
        charts_layout.addWidget(QLabel("Conflicts by type"))
        charts_layout.addWidget(self.type_chart)
        charts_layout.addWidget(QLabel("Accuracy over the job's reports"))
        charts_layout.addWidget(self.history_chart)
        tabs = QTabWidget()
        tabs.addTab(self.conflicts, "Conflicts")
        tabs.addTab(self.labels, "Labels")
        tabs.addTab(self.chart, "Frames")
        tabs.addTab(charts, "Charts")
        self.tabs = tabs

        buttons = QHBoxLayout()
        buttons.addWidget(self.compute_button)
        buttons.addWidget(self.cancel_button)
        exports = QHBoxLayout()
        exports.addWidget(self.export_button)
        exports.addWidget(self.export_conflicts_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.any_gt)  # its own line: the panel stays narrow beside the canvas
        layout.addWidget(self.show_gt)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.summary)
        layout.addWidget(tabs, 1)
        layout.addLayout(exports)

        self.export_button.clicked.connect(self.export_csv)
        self.export_conflicts_button.clicked.connect(self.export_conflicts_csv)
        self.compute_button.clicked.connect(self.compute)
        self.cancel_button.clicked.connect(self.cancel)
        self.conflicts.itemActivated.connect(self._conflict_item)
        self.conflicts.itemClicked.connect(self._conflict_item)
        self.chart.scene().sigMouseClicked.connect(self._chart_clicked)

    # ------------------------------------------------------------------ API for the window

    def set_job(self, project_path: Location | str | Path, job_id: int) -> None:
        """Show the job's latest stored report (loaded in the background), if any."""
        self.path, self.job_id = project_path, int(job_id)
        self.clear()
        self.status.setText("Loading the latest report…")
        path, job = self.path, self.job_id
        self._worker = workers.start(lambda _token, _progress: _load_latest(path, job),
                                     on_finished=self._if_alive(self._loaded), on_failed=self._if_alive(self._failed))

    def compute(self) -> None:
        """Compute the current job's report in a worker thread."""
        if self.path is None or self.job_id is None or self._busy():
            return
        self.sync_gt_rule()
        path, job, any_gt = self.path, self.job_id, self.any_gt.isChecked()
        self._set_busy(True)
        self._allow_unfinished = any_gt
        self.status.setText("Computing…")
        self._worker = workers.start(lambda token, progress: _compute(path, job, not any_gt, token, progress),
                                     on_finished=self._if_alive(self._computed), on_failed=self._if_alive(self._failed),
                                     on_progress=self._if_alive(self._progress),
                                     on_cancelled=self._if_alive(self._cancelled))

    def _if_alive(self, callback: Any) -> Any:
        """``callback`` unless the panel was deleted meanwhile (its job window closed while a worker ran)."""

        def call(*args: Any) -> None:
            if shiboken6.isValid(self.status):
                callback(*args)

        return call

    def sync_gt_rule(self) -> None:
        """Show the shared choice (the project window may have changed it)."""
        wanted = preferences.load().quality_allow_unfinished_gt
        if self.any_gt.isChecked() != wanted:
            self.any_gt.blockSignals(True)
            self.any_gt.setChecked(wanted)
            self.any_gt.blockSignals(False)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.sync_gt_rule()
        super().showEvent(event)

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    def clear(self) -> None:
        self.report = None
        self.summary.setText("")
        self.conflicts.clear()
        self.labels.setRowCount(0)
        self.chart.clear()
        self.type_chart.set_bars([])
        self.history_chart.set_points([])
        self.export_button.setEnabled(False)
        self.export_conflicts_button.setEnabled(False)

    def show_report(self, report: Report, *, stale: str | None = None, created: str = "") -> None:
        self.report = report
        s = report.summary()
        mean_iou = report.components.shape.to_dict()["mean_iou"]
        lines = [
            f"<b>Accuracy {s['accuracy']:.1%}</b> · precision {s['precision']:.1%} · recall {s['recall']:.1%}",
            f"valid {s['valid_count']} · job {s['ds_count']} · GT {s['gt_count']} · total {s['total_count']}",
            f"validation frames {s['validation_frames']} of {s['total_frames']} ({s['validation_frame_share']:.1%})",
            f"conflicts {s['conflict_count']}: <span style='color:{SEVERITY_COLOR['error']}'>{s['error_count']} errors"
            f"</span>, <span style='color:{SEVERITY_COLOR['warning']}'>{s['warning_count']} warnings</span>",
            "mean IoU " + ("n/a" if mean_iou is None else f"{mean_iou:.3f}"),
        ]
        if stale:
            lines.append(f"<span style='color:{SEVERITY_COLOR['error']}'>Out of date: {stale}</span>")
        self.summary.setText("<br>".join(lines))
        self.status.setText(f"Report of {created}." if created else "Report computed.")
        self._fill_conflicts(report)
        self._fill_labels(report)
        self._fill_chart(report)
        self.type_chart.set_bars(conflict_bars(conflicts_by_type(report)))
        self.history_chart.set_points(history_points(self.history))
        self.export_button.setEnabled(True)
        self.export_conflicts_button.setEnabled(True)
        self.report_shown.emit()

    # ------------------------------------------------------------------ CSV

    def _csv_path(self, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, "Export quality report", suggested, "CSV (*.csv)")
        return path

    def export_csv(self) -> str:
        """The job's report as CSV (summary, per-label and per-conflict rows); returns the path written."""
        return self._export(f"quality-job-{self.job_id}.csv",
                            lambda path, report: write_csv(path, [("job", int(self.job_id or 0), report)]))

    def export_conflicts_csv(self) -> str:
        """One row per conflict (frame, type, severity, the job's and the GT's annotations)."""
        return self._export(f"quality-job-{self.job_id}-conflicts.csv", write_conflicts_csv)

    def _export(self, suggested: str, write: Any) -> str:
        if self.report is None:
            return ""
        path = self._csv_path(suggested)
        if not path:
            return ""
        try:
            write(path, self.report)
        except OSError as exc:
            QMessageBox.warning(self, "Export quality report", f"Cannot write {path}: {exc.strerror or exc}")
            return ""
        self.status.setText(f"Exported {Path(path).name}.")
        return path

    # ------------------------------------------------------------------ worker callbacks

    def _busy(self) -> bool:
        return self.cancel_button.isEnabled()

    def _set_busy(self, busy: bool) -> None:
        self.compute_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)
        self.progress.setRange(0, 0)

    def _progress(self, progress: Progress) -> None:
        if progress.total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * progress.done / progress.total))
        self.progress.setFormat(progress.message)

    def _computed(self, payload: dict[str, Any]) -> None:
        self._set_busy(False)
        if self.writer is not None:
            from app.quality import storage

            storage.insert_prepared(self.writer, payload["prepared"])
            if self.job_id is not None:
                self.history = storage.history(self.writer, "job", self.job_id)
        self.show_report(payload["report"])
        self.status.setText("Report computed. " + ("Unfinished Ground Truth allowed (CVAT would not count it)."
                                                   if self._allow_unfinished else
                                                   "Ground Truth: accepted and completed (CVAT's rule)."))

    def _loaded(self, payload: dict[str, Any] | None) -> None:
        if payload is None:
            self.status.setText("No report yet: press Compute report.")
            return
        self.history = payload.get("history", [])
        self.show_report(payload["report"], stale=payload["stale"], created=payload["created"])

    def _failed(self, message: str, _trace: str = "") -> None:
        self._set_busy(False)
        self.status.setText(message)
        self.failed.emit(message)

    def _cancelled(self, _outcome: Any = None) -> None:
        self._set_busy(False)
        self.status.setText("Cancelled.")

    # ------------------------------------------------------------------ views

    def _fill_conflicts(self, report: Report) -> None:
        self.conflicts.clear()
        by_type: dict[str, list] = defaultdict(list)
        for c in report.conflicts:
            by_type[str(c.type)].append(c)
        for type_name in sorted(by_type, key=lambda t: (-len(by_type[t]), t)):
            items = by_type[type_name]
            parent = QTreeWidgetItem([f"{type_name.replace('_', ' ')} ({len(items)})", "", items[0].severity.value, ""])
            for c in items[:MAX_ROWS_PER_TYPE]:
                name = report.frame_names.get(c.frame_id, "")
                objects = ", ".join(f"{a.shape_type or 'tag'} #{a.obj_id}" for a in c.annotation_ids)
                child = QTreeWidgetItem([type_name.replace("_", " "), f"{c.frame_id} {name}".strip(),
                                         c.severity.value, objects])
                child.setData(0, Qt.ItemDataRole.UserRole, (c.frame_id, [a.to_dict() for a in c.annotation_ids]))
                parent.addChild(child)
            if len(items) > MAX_ROWS_PER_TYPE:
                parent.addChild(QTreeWidgetItem([f"… {len(items) - MAX_ROWS_PER_TYPE} more (export CSV for all)"]))
            self.conflicts.addTopLevelItem(parent)

    def _fill_labels(self, report: Report) -> None:
        a = report.annotations
        names = a.labels[:-1] if a.rows is not None else []
        per = a.per_label()
        self.labels.setRowCount(len(names))
        for k, name in enumerate(names):
            values = [name, int(a.rows[k, k]), int(a.rows[k, :].sum()), int(a.rows[:, k].sum()),
                      f"{per['precision'][k]:.3f}", f"{per['recall'][k]:.3f}", f"{per['jaccard_index'][k]:.3f}"]
            for col, value in enumerate(values):
                self.labels.setItem(k, col, QTableWidgetItem(str(value)))

    def _fill_chart(self, report: Report) -> None:
        self.chart.clear()
        frames = sorted(report.frame_results or {})
        if not frames:
            return
        counts = np.array([len(report.frame_results[f].conflicts) for f in frames], dtype=float)
        accuracy = np.array([report.frame_results[f].stats.annotations.accuracy if report.frame_results[f].stats
                             else 0.0 for f in frames])
        x = np.array(frames, dtype=float)
        self.chart.addItem(pg.BarGraphItem(x=x, height=counts, width=0.8, brush="#d68910"))
        self.chart.plot(x, accuracy * max(1.0, counts.max()), pen=pg.mkPen("#2e86c1", width=2), symbol="o",
                        symbolSize=4)

    def _conflict_item(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        data = item.data(0, Qt.ItemDataRole.UserRole)
        if data:
            frame, ids = data
            self.conflict_activated.emit(int(frame), list(ids))

    def _chart_clicked(self, event: Any) -> None:
        if self.report is None or not self.report.frame_results:
            return
        point = self.chart.plotItem.vb.mapSceneToView(event.scenePos())
        frames = sorted(self.report.frame_results)
        nearest = min(frames, key=lambda f: abs(f - point.x()))
        self.frame_activated.emit(int(nearest))
