"""The quality charts (pyqtgraph), shared by the side panel and the report dialog: conflicts by type,
accuracy per job (or task), accuracy over the report history. Each chart is a plot widget whose
``bars``/``points`` attribute keeps the numbers it shows (tests and tooltips read them)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from app.quality.review import type_label

BAR_COLOR = "#d68910"
LINE_COLOR = "#2e86c1"


class BarChart(pg.PlotWidget):
    """Named bars (categories on the x axis)."""

    def __init__(self, left: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setLabel("left", left)
        self.setMinimumHeight(140)
        self.setMouseEnabled(x=False, y=False)
        self.bars: list[tuple[str, float]] = []

    def set_bars(self, bars: Sequence[tuple[str, float]], color: str = BAR_COLOR) -> None:
        self.clear()
        self.bars = [(str(k), float(v)) for k, v in bars]
        axis = self.getAxis("bottom")
        axis.setTicks([[(i, name) for i, (name, _v) in enumerate(self.bars)]])
        if not self.bars:
            return
        x = np.arange(len(self.bars), dtype=float)
        heights = np.array([v for _k, v in self.bars])
        self.addItem(pg.BarGraphItem(x=x, height=heights, width=0.6, brush=color))
        self.setXRange(-0.6, len(self.bars) - 0.4, padding=0)


class LineChart(pg.PlotWidget):
    """Values over an ordered sequence (report history: oldest to newest), labelled by index."""

    def __init__(self, left: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setLabel("left", left)
        self.setMinimumHeight(140)
        self.points: list[tuple[str, float]] = []

    def set_points(self, points: Sequence[tuple[str, float]]) -> None:
        self.clear()
        self.points = [(str(k), float(v)) for k, v in points]
        self.getAxis("bottom").setTicks([[(i, name) for i, (name, _v) in enumerate(self.points)]])
        if not self.points:
            return
        x = np.arange(len(self.points), dtype=float)
        y = np.array([v for _k, v in self.points])
        self.plot(x, y, pen=pg.mkPen(LINE_COLOR, width=2), symbol="o", symbolSize=6, symbolBrush=LINE_COLOR)
        self.setYRange(0, 1, padding=0.05)


def conflict_bars(by_type: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Bars of the conflicts by type, named as people read them (``Missing annotation``)."""
    return [(type_label(t), n) for t, n in by_type]


def conflicts_chart(by_type: Sequence[tuple[str, int]], parent: QWidget | None = None) -> BarChart:
    chart = BarChart("conflicts", parent)
    chart.set_bars(conflict_bars(by_type))
    return chart


def history_points(history: Sequence[object]) -> list[tuple[str, float]]:
    """(short date, accuracy) of stored reports (:class:`app.quality.storage.ReportInfo`, newest first),
    oldest first."""
    out = []
    for info in reversed(list(history)):
        accuracy = info.summary.get("accuracy")  # type: ignore[attr-defined]
        if accuracy is not None:
            out.append((str(info.created)[5:16].replace("T", " "), float(accuracy)))  # type: ignore[attr-defined]
    return out
