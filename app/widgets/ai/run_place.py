"""Where the automatic-annotation dialog runs a run: this process, a local Ray, or a Ray cluster."""

from __future__ import annotations

import importlib.util

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QSpinBox, QWidget

from app.models.ray_backend import INSTALL_HINT, RaySettings

HERE, RAY_LOCAL, RAY_CLUSTER = 0, 1, 2


class RunPlaceField(QWidget):
    """"This computer" (in-process, the default), "Ray on this computer" or "Ray cluster" + address,
    with the number of model replicas (Ray workers)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.place = QComboBox()
        self.place.addItems(["This computer", "Ray on this computer", "Ray cluster"])
        self.address = QLineEdit()
        self.address.setPlaceholderText("host:port or ray://host:port")
        self.workers = QSpinBox()
        self.workers.setRange(1, 256)
        self.workers.setValue(2)
        self.workers.setPrefix("workers: ")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.place, self.address, self.workers):
            layout.addWidget(widget)
        self.place.currentIndexChanged.connect(self._sync)
        self._sync()

    def _sync(self) -> None:
        self.address.setEnabled(self.place.currentIndex() == RAY_CLUSTER)
        self.workers.setEnabled(self.place.currentIndex() != HERE)

    def settings(self) -> RaySettings | None:
        """None for an in-process run; raises ValueError (a message for the user) when Ray is missing
        or the cluster has no address."""
        index = self.place.currentIndex()
        if index == HERE:
            return None
        if importlib.util.find_spec("ray") is None:
            raise ValueError(INSTALL_HINT)
        address = self.address.text().strip()
        if index == RAY_CLUSTER and not address:
            raise ValueError("Enter the Ray cluster's address (host:port or ray://host:port).")
        return RaySettings(address=address if index == RAY_CLUSTER else None, workers=self.workers.value())
