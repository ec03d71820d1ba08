"""The host a tool acts through (:class:`app.tools.base.ToolContext`): the job's editing session and
a view port. The canvas is the view port of the application; :class:`PlainView` is a Qt-free one that
records what a tool shows (unit tests, scripted use).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from app.tools.base import CursorRole, Preview, ViewPort

if TYPE_CHECKING:
    from app.editing.session import EditSession

ImageProvider = Callable[[int, bool], np.ndarray]  # (frame, adjusted) -> RGB uint8


@dataclass
class ToolHost:
    """The session and the view port, handed to :meth:`app.tools.base.Tool.activate`."""

    session: EditSession
    view: ViewPort


@dataclass
class PlainView:
    """A view port without a window: keeps the last preview and cursor; the image comes from
    ``image_provider`` (a black frame of the session's frame size without one)."""

    session: EditSession
    image_provider: ImageProvider | None = None
    scale: float = 1.0  # screen pixels per image pixel
    preview: Preview | None = None
    cursor: CursorRole = CursorRole.DEFAULT

    def image(self, *, adjusted: bool = False) -> np.ndarray:
        if self.image_provider is None:
            w, h = self.session.image_size()
            return np.zeros((h, w, 3), np.uint8)
        return self.image_provider(self.session.frame, adjusted)

    def set_preview(self, preview: Preview | None) -> None:
        self.preview = preview

    def set_cursor(self, role: CursorRole) -> None:
        self.cursor = role

    def hit_tolerance(self, screen_px: float) -> float:
        return screen_px / max(self.scale, 1e-6)


def plain_host(session: EditSession, image_provider: ImageProvider | None = None) -> ToolHost:
    """A host with a :class:`PlainView` (reach the view as ``host.view``)."""
    return ToolHost(session, PlainView(session, image_provider))
