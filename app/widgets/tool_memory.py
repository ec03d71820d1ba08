"""Tool options are remembered per user: the mask brush size and the number of frames to propagate to
come back when the app restarts (in :attr:`app.settings.Preferences.tool_options`)."""

from __future__ import annotations

from app import settings
from app.tools.mask import MaskTool
from app.widgets.job_toolbar import JobToolBar

BRUSH = "mask.size"
PROPAGATE = "propagate.count"


def _store(key: str, value: int) -> None:
    prefs = settings.load()
    if prefs.tool_options.get(key) != value:
        prefs.tool_options[key] = value
        settings.save(prefs)


def remember_tool_options(toolbar: JobToolBar, mask_tool: MaskTool, prefs: settings.Preferences) -> None:
    """Apply the saved options to the tool bar (and so the tools), then save each change."""
    saved = prefs.tool_options
    if isinstance(saved.get(BRUSH), int):
        toolbar.brush_size.setValue(saved[BRUSH])
        mask_tool.size = toolbar.brush_size.value()
    if isinstance(saved.get(PROPAGATE), int):
        toolbar.propagate_count.setValue(saved[PROPAGATE])
    toolbar.brush_size.valueChanged.connect(lambda v: _store(BRUSH, int(v)))
    mask_tool.options_changed.connect(lambda options: _store(BRUSH, int(options[1])))  # [ and ] keys
    toolbar.propagate_count.valueChanged.connect(lambda v: _store(PROPAGATE, int(v)))
