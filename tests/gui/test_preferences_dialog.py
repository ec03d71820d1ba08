"""Preferences: the device choice is saved and the dialog tells which device that gives."""

from __future__ import annotations

import pytest

from app import settings
from app.widgets.preferences_dialog import PreferencesDialog

pytestmark = pytest.mark.gui


def test_device_and_threads_are_saved_and_checked(qtbot) -> None:
    dialog = PreferencesDialog()
    qtbot.addWidget(dialog)
    dialog.device.setCurrentText("cpu")
    dialog.threads.setValue(3)
    dialog.check_device()
    qtbot.waitUntil(lambda: dialog.in_use.text() not in ("checking…", "—"), timeout=60000)
    assert dialog.in_use.text().startswith("CPU, 3 threads")
    dialog.opacity.setValue(0.5)
    dialog.save()
    prefs = settings.load()
    assert (prefs.device, prefs.torch_threads, prefs.fill_opacity) == ("cpu", 3, 0.5)
    from app.models.device import select_device

    assert select_device(None) == "cpu"  # the models read the saved choice
