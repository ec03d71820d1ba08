"""The AI tools panel: a tab widget that AI features (detectors, interactors, trackers) add tabs to."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QWidget


class AIToolsPanel(QTabWidget):
    """Tabs contributed by AI features. Each feature calls :meth:`add_tab` from its own module."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aiToolsPanel")
        self.setDocumentMode(True)

    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add ``widget`` as a tab titled ``title``; returns its index."""
        return self.addTab(widget, title)

    def tab(self, title: str) -> QWidget | None:
        """The tab widget with this title, if any."""
        for index in range(self.count()):
            if self.tabText(index) == title:
                return self.widget(index)
        return None
