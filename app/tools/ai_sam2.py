"""The point/box AI interactor tool (SAM 2, or any CVAT interaction function).

Left click = positive point, right click (or Shift + left click, for canvases that pan with the right
button) = negative point, left drag = box (replaces the previous box), clicking an existing prompt
point removes it. The mask preview is requested after every
prompt change; while Ctrl is held requests are postponed and one is sent when Ctrl is released.
N / Return (or the tab's Done button, :meth:`Sam2Tool.accept`) adds the result as ONE undo step with
source ``semi-auto``: a polygon with at most ``options.max_points`` vertices, or a mask.

Model work runs on :class:`app.tools.ai_worker.SlotWorker`; answers to superseded requests are
dropped by request id. The embedding of the shown frame is computed when the tool is activated or
the frame changes, and the next frame's is prefetched when ``next_frame`` is given.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from app.domain.annotations import Shape
from app.domain.enums import ShapeType, Source
from app.editing.commands import add_shapes
from app.models.interactor import MaskResult, Prompts
from app.tools.ai_options import InteractorOptions, InteractorTool, Option
from app.tools.ai_worker import SlotWorker
from app.tools.base import Button, KeyEvent, Modifier, Preview, ToolEvent

HIT_PX = 7.0  # screen pixels around a prompt point that count as clicking it
DRAG_PX = 5.0  # screen pixels of movement that turn a press into a box drag


class Sam2Tool(InteractorTool):
    """Click/box interactor.

    Parameters
    ----------
    options:
        Shared with the Interactors tab (selected model, label, point slider, output type).
    worker:
        Background runner; one is created when not given.
    next_frame:
        ``next_frame(frame) -> (next frame number, RGB array) | None``, called in the worker thread
        (so it may decode), used to prefetch the embedding of the frame after ``frame``.
    prefetch_worker:
        Where prefetching runs (default: ``worker``). A separate one keeps clicks on the shown frame
        from waiting seconds behind the next frame's embedding.
    """

    tool_id = "ai:sam2"
    title = "AI interactor"
    shortcut = ""
    tooltip = ("Left click: object, right click or Shift+click: background, drag: box, Ctrl: batch clicks, "
               "N: done")

    def __init__(self, options: InteractorOptions | None = None, worker: SlotWorker | None = None,
                 next_frame: Callable[[int], tuple[int, np.ndarray] | None] | None = None,
                 prefetch_worker: SlotWorker | None = None) -> None:
        super().__init__(options, worker)
        self.next_frame = next_frame
        self.prefetch_worker = prefetch_worker
        self.positive: list[tuple[float, float]] = []
        self.negative: list[tuple[float, float]] = []
        self.box: tuple[float, float, float, float] | None = None
        self.result: MaskResult | None = None
        self.busy = False
        self.pending = False  # a request postponed while Ctrl is held
        self.last_error = ""
        self._request = 0
        self._press: ToolEvent | None = None
        self._drag: tuple[float, float, float, float] | None = None
        self._frame: int | None = None
        self._embed_for: Hashable | None = None

    # --------------------------------------------------------------------------- life cycle
    def activate(self, ctx: Any) -> None:
        super().activate(ctx)
        self.frame_changed()

    def cancel(self) -> None:
        self._clear()
        super().cancel()

    def _clear(self) -> None:
        self.positive.clear()
        self.negative.clear()
        self.box = None
        self.result = None
        self.pending = False
        self.busy = False
        self._request += 1  # answers still on their way are now stale
        self._press = self._drag = None
        if self.worker is not None:
            self.worker.clear("predict")

    @property
    def prompts(self) -> Prompts:
        return Prompts(positive=tuple(self.positive), negative=tuple(self.negative), box=self.box)

    def _key(self, frame: int | None = None) -> Hashable:
        session = self.session
        return (id(session.project), session.job_id, session.frame if frame is None else frame)

    def frame_changed(self) -> None:
        """Call when the canvas shows another frame: drops the prompts and embeds the new frame."""
        if self.ctx is None:
            return
        if self._frame is not None and self._frame != self.session.frame:
            self._clear()
            self.view.set_preview(None)
        self._frame = self.session.frame
        self._prepare_current()

    def _prepare_current(self) -> None:
        interactor = self.options.interactor
        if interactor is None or self.ctx is None:
            return
        key, frame = self._key(), self.session.frame
        if self._embed_for == (id(interactor), key):
            return
        self._embed_for = (id(interactor), key)
        image = self.view.image()
        self.worker.submit("embed", lambda: interactor.prepare(key, image), self._embedded)
        if self.next_frame is not None:
            (self.prefetch_worker or self.worker).submit("prefetch", lambda: self._prefetch(interactor, frame), None)

    def _prefetch(self, interactor: Any, frame: int) -> None:
        """Worker side: embed the frame after ``frame``."""
        found = self.next_frame(frame) if self.next_frame is not None else None
        ctx = self.ctx
        if found is None or ctx is None:
            return
        number, image = found
        key = (id(ctx.session.project), ctx.session.job_id, number)
        if not interactor.is_prepared(key):
            interactor.prepare(key, image)

    def _embedded(self, _result: Any, error: BaseException | None) -> None:
        if error is not None and self.ctx is not None:
            self._embed_for = None
            self._report(error)

    # ---------------------------------------------------------------------------- events
    def _check_frame(self) -> None:
        if self.ctx is not None and self._frame != self.session.frame:
            self.frame_changed()

    def press(self, event: ToolEvent) -> bool:
        if self.ctx is None or event.button not in (Button.LEFT, Button.RIGHT):
            return False
        self._check_frame()
        self._press = event
        self._drag = None
        return True

    def move(self, event: ToolEvent) -> bool:
        start = self._press
        if start is None or start.button != Button.LEFT or not (event.buttons & Button.LEFT):
            return False
        if self._drag is None and math.hypot(event.x - start.x, event.y - start.y) * event.scale < DRAG_PX:
            return True
        self._drag = (start.x, start.y, event.x, event.y)
        self._render()
        return True

    def release(self, event: ToolEvent) -> bool:
        start, drag = self._press, self._drag
        self._press = self._drag = None
        if start is None or self.ctx is None:
            return False
        if drag is not None:
            x1, y1, x2, y2 = drag
            self.box = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
        elif not self._remove_hit(start):
            negative = start.button == Button.RIGHT or bool(start.modifiers & Modifier.SHIFT)
            target = self.negative if negative else self.positive
            target.append(self._clamp(start.x, start.y))
        self._prompts_changed(event.modifiers)
        return True

    def key(self, event: KeyEvent) -> bool:
        if event.key == "Control" and not event.pressed:
            if self.pending:
                self.pending = False
                self._request_mask()
            return False
        if event.pressed and event.key in ("N", "Return", "Enter"):
            self.accept()
            return True
        if event.pressed and event.key == "Backspace" and (self.positive or self.negative):
            (self.negative if self.negative and not self.positive else self.positive).pop()
            self._prompts_changed(event.modifiers)
            return True
        return super().key(event)

    # --------------------------------------------------------------------------- prompts
    def _clamp(self, x: float, y: float) -> tuple[float, float]:
        h, w = self.view.image().shape[:2]
        return float(min(max(x, 0.0), w - 1)), float(min(max(y, 0.0), h - 1))

    def _remove_hit(self, event: ToolEvent) -> bool:
        tolerance = HIT_PX / max(event.scale, 1e-6)
        for points in (self.positive, self.negative):
            for i, (px, py) in enumerate(points):
                if math.hypot(px - event.x, py - event.y) <= tolerance:
                    del points[i]
                    return True
        return False

    def _prompts_changed(self, modifiers: Modifier) -> None:
        if modifiers & Modifier.CTRL:
            self.pending = True
            self._render()
            return
        self._request_mask()

    def _request_mask(self) -> None:
        self._request += 1
        interactor = self.options.interactor
        if interactor is None:
            self.result = None
            self._render("choose a model in the AI tools panel")
            return
        prompts = self.prompts
        missing = interactor.requirement(prompts)
        if missing:
            self.result = None
            self.busy = False
            self.worker.clear("predict")
            self._render(missing)
            return
        request, key, image = self._request, self._key(), self.view.image()
        max_points, as_mask = self.options.max_points, self.options.output == ShapeType.MASK
        self.busy = True

        def job() -> MaskResult:
            result = interactor.predict(key, image, prompts)
            # outline / encode in the worker; the GUI thread reuses the cached contour or runs
            result.to_mask_points() if as_mask else result.to_polygon(max_points)
            return result

        self.worker.submit("predict", job, lambda result, error: self._answer(request, result, error))
        self._render("thinking…" if interactor.is_prepared(key) else "computing this frame's features…")

    def _answer(self, request: int, result: MaskResult | None, error: BaseException | None) -> None:
        if request != self._request or self.ctx is None:
            return  # stale: the prompts changed since, or the tool was switched off
        self.busy = False
        if error is not None:
            self.result = None
            self._report(error)
            return
        self.result = result
        self.last_error = ""
        self._render()

    def _report(self, error: BaseException) -> None:
        self.last_error = str(error) or type(error).__name__
        self.session.status(f"AI interactor: {self.last_error}")
        self._render(self.last_error)

    def _option_changed(self, option: Option) -> None:
        if self.ctx is None:
            return
        if option is Option.INTERACTOR:
            self._embed_for = None
            self._prepare_current()
            if self.positive or self.negative or self.box:
                self._request_mask()
            return
        self._render()

    # ---------------------------------------------------------------------------- output
    def _shape_points(self) -> tuple[ShapeType, list[float]] | None:
        result = self.result
        if result is None or result.empty:
            return None
        if self.options.output == ShapeType.MASK:
            return ShapeType.MASK, result.to_mask_points()
        poly = result.to_polygon(self.options.max_points)
        return (ShapeType.POLYGON, poly) if poly else None

    def _label_id(self) -> int | None:
        return self.options.label_id if self.options.label_id is not None else self.session.current_label_id

    def accept(self) -> Shape | None:
        """Add the current result as one undo step; returns the shape added (None when nothing)."""
        if self.ctx is None:
            return None
        if self.pending:
            self.session.status("release Ctrl first: the last clicks have not been sent")
            return None
        made, label_id = self._shape_points(), self._label_id()
        if made is None:
            self.session.status("nothing to add yet: click on the object first")
            return None
        if label_id is None:
            self.session.status("choose a label first")
            return None
        label = self.session.labels.get(label_id)
        if label is not None and not label.type.accepts(made[0]):
            self.session.status(f"label {label.name!r} does not accept {made[0].value} shapes")
            return None
        attributes = label.default_attributes() if label is not None else {}
        shape = Shape(type=made[0], frame=self.session.frame, label_id=label_id, points=made[1],
                      source=Source.SEMI_AUTO, score=float(self.result.score), attributes=attributes)
        title = getattr(self.options.interactor, "name", "AI")
        session = self.session
        session.push(add_shapes(session.project, session.job_id, [shape], text=f"Add {made[0].value} ({title})"))
        self._clear()
        self.view.set_preview(None)
        return shape

    def _render(self, text: str = "") -> None:
        if self.ctx is None:
            return
        preview = Preview(points=[(x, y, "pos") for x, y in self.positive]
                          + [(x, y, "neg") for x, y in self.negative])
        preview.box = self._drag or self.box
        made = self._shape_points()
        if made is not None:
            preview.shapes.append(Shape(type=made[0], frame=self.session.frame, label_id=self._label_id() or 0,
                                        points=made[1], source=Source.SEMI_AUTO))
        if self.pending:
            text = text or "Ctrl held: clicks are sent when it is released"
        elif self.busy:
            text = text or "thinking…"
        preview.text = text
        preview.extra = {"busy": self.busy, "pending": self.pending}
        self.view.set_preview(preview)
