"""Agreement between consensus replicas, per frame of a parent job (computed in the background)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app.storage.location import Location
from app.widgets import workers


def _agreement(path: Location | str | Path, job_id: int, threshold: float) -> list:
    from app.quality.consensus import agreement
    from app.storage.store import Project

    with Project.open(path, read_only=True) as project:
        return agreement(project, job_id, threshold)


class ConsensusAgreementView(QWidget):
    """Per frame: objects found (clusters), objects every replica drew, mean consensus score."""

    frame_activated = Signal(int)
    computed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: Location | str | Path | None = None  # a file or a team project
        self.job_id: int | None = None
        self.threshold = 0.4
        self.rows: list = []
        self.button = QPushButton("Compute agreement")
        self.status = QLabel()
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Frame", "Objects", "By all replicas", "Mean score"])
        self.chart = pg.PlotWidget()
        self.chart.setLabel("left", "mean score")
        self.chart.setYRange(0, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.button)
        layout.addWidget(self.status)
        layout.addWidget(self.chart)
        layout.addWidget(self.table, 1)
        self.button.clicked.connect(self.compute)
        self.table.cellDoubleClicked.connect(lambda row, _col: self.frame_activated.emit(self.rows[row].frame))

    def set_job(self, project_path: Location | str | Path, parent_job_id: int, threshold: float = 0.4) -> None:
        self.path, self.job_id, self.threshold = project_path, int(parent_job_id), threshold

    def compute(self) -> None:
        if self.path is None or self.job_id is None:
            return
        path, job, thr = self.path, self.job_id, self.threshold
        self.button.setEnabled(False)
        self.status.setText("Comparing replicas…")
        workers.start(lambda _token, _progress: _agreement(path, job, thr), on_finished=self.show_rows,
                      on_failed=self._failed)

    def show_rows(self, rows: list) -> None:
        self.button.setEnabled(True)
        self.rows = rows
        self.table.setRowCount(len(rows))
        for k, row in enumerate(rows):
            for col, value in enumerate([row.frame, row.clusters, row.full, f"{row.mean_score:.2f}"]):
                self.table.setItem(k, col, QTableWidgetItem(str(value)))
        self.chart.clear()
        if rows:
            self.chart.plot(np.array([r.frame for r in rows], float), np.array([r.mean_score for r in rows]),
                            pen=pg.mkPen("#2e86c1", width=2), symbol="o", symbolSize=4)
        full = sum(r.full for r in rows)
        total = sum(r.clusters for r in rows)
        self.status.setText(f"{total} objects, {full} drawn by every replica")
        self.computed.emit()

    def _failed(self, message: str, _trace: str = "") -> None:
        self.button.setEnabled(True)
        self.status.setText(message)
