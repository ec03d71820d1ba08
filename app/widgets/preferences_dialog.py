"""Preferences: where models run (device, threads), frame decode-ahead and cache, fill opacity.

The device line ("CUDA: NVIDIA …" or "CPU, 1 thread") is worked out in a worker thread because it
imports torch; the dialog opens at once."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import settings
from app.widgets import workers

DEVICES = ("auto", "cpu", "cuda")


class PreferencesDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.prefs = settings.load()
        self.device = QComboBox()
        self.device.addItems(DEVICES)
        self.device.setCurrentText(self.prefs.device if self.prefs.device in DEVICES else "auto")
        self.device.setToolTip("auto: the GPU when CUDA is available, otherwise the CPU")
        self.threads = QSpinBox()
        self.threads.setRange(1, 64)
        self.threads.setValue(self.prefs.torch_threads)
        self.threads.setToolTip("CPU threads for models; 1 keeps a core free for the window on small machines")
        self.in_use = QLabel("—")
        self.check = QPushButton("Check device")
        self.check.clicked.connect(self.check_device)
        self.prefetch = QSpinBox()
        self.prefetch.setRange(0, 64)
        self.prefetch.setValue(self.prefs.prefetch_frames)
        self.cache = QSpinBox()
        self.cache.setRange(64, 65536)
        self.cache.setSuffix(" MiB")
        self.cache.setValue(self.prefs.frame_cache_mib)
        self.opacity = QDoubleSpinBox()
        self.opacity.setRange(0.0, 1.0)
        self.opacity.setSingleStep(0.05)
        self.opacity.setValue(self.prefs.fill_opacity)
        form = QFormLayout()
        form.addRow("Models run on", self.device)
        form.addRow("CPU threads for models", self.threads)
        form.addRow(self.check, self.in_use)
        form.addRow("Frames decoded ahead", self.prefetch)
        form.addRow("Frame cache", self.cache)
        form.addRow("Shape fill opacity", self.opacity)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Model and frame settings apply to windows and models opened afterwards."))
        layout.addWidget(buttons)

    def check_device(self) -> None:
        """Show which device the chosen preference gives (imports torch, so in a worker)."""
        preference, threads = self.device.currentText(), self.threads.value()
        self.in_use.setText("checking…")
        self.check.setEnabled(False)

        def work(_token: object, _progress: object) -> str:
            from app.models.device import describe

            return describe(preference, threads)

        def shown(text: object) -> None:
            self.in_use.setText(str(text))
            self.check.setEnabled(True)

        def failed(message: str, _trace: str) -> None:
            shown(f"cannot tell: {message}")

        workers.start(work, on_finished=shown, on_failed=failed)

    def save(self) -> None:
        self.prefs = settings.load()  # keep what other windows saved meanwhile (recent list, shortcuts)
        self.prefs.device = self.device.currentText()
        self.prefs.torch_threads = self.threads.value()
        self.prefs.prefetch_frames = self.prefetch.value()
        self.prefs.frame_cache_mib = self.cache.value()
        self.prefs.fill_opacity = round(self.opacity.value(), 2)
        settings.save(self.prefs)
        self.accept()
