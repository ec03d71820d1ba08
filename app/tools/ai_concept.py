"""The SAM 3 concept tool: exemplar boxes on the canvas, with the text prompt, find every instance.

Left drag = a positive example box ("like this"), right drag or Shift + left drag = a negative one
("not like this"); a click inside an example box removes it; Backspace removes the last one. After
every change the prompt (text of :attr:`ConceptTool.text` + the boxes) runs in the background worker
and the instances found are previewed; N / Return (or the tab's Add button, :meth:`ConceptTool.accept`)
adds them all as ONE undo step, source ``auto``, with the label of :attr:`ConceptTool.label_name`.

The model (a :class:`~app.models.sam3.prompting.ConceptSegmenter`) comes from ``load_segmenter``, called
in the worker the first time (loading takes seconds); answers to superseded requests are dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from app.domain.annotations import Shape
from app.domain.enums import Source
from app.editing.commands import add_shapes
from app.models.sam3.engine import Exemplar
from app.models.sam3.prompting import DEFAULT_THRESHOLD, ConceptPrompt, Found, concept_label, shapes_of
from app.tools.ai_worker import SlotWorker
from app.tools.base import Button, CursorRole, KeyEvent, Modifier, Preview, Tool, ToolEvent

DRAG_PX = 5.0


class ConceptTool(Tool):
    tool_id = "ai:sam3-concept"
    title = "SAM 3 examples"
    tooltip = "Drag: example box, right drag or Shift+drag: wrong hit, click a box: remove it, N: add all found"

    def __init__(self, load_segmenter: Callable[[], Any], worker: SlotWorker | None = None) -> None:
        super().__init__()
        self.load_segmenter = load_segmenter
        self.worker = worker
        self.segmenter: Any = None
        self.text = ""
        self.label_name = ""
        self.threshold = DEFAULT_THRESHOLD
        self.exemplars: list[Exemplar] = []
        self.found: list[Found] = []
        self.busy = False
        self.last_error = ""
        self.on_result: Callable[[ConceptTool], None] | None = None  # the tab's status line
        self._request = 0
        self._press: ToolEvent | None = None
        self._drag: tuple[float, float, float, float] | None = None
        self._frame: int | None = None

    # --------------------------------------------------------------------------- life cycle
    def activate(self, ctx: Any) -> None:
        super().activate(ctx)
        if self.worker is None:
            self.worker = SlotWorker(("predict",))
        ctx.view.set_cursor(CursorRole.CROSS)
        self._frame = ctx.session.frame

    def cancel(self) -> None:
        self.exemplars.clear()
        self._reset()
        super().cancel()

    def _reset(self) -> None:
        self.found = []
        self.busy = False
        self._request += 1
        self._press = self._drag = None
        if self.worker is not None:
            self.worker.clear("predict")

    def prompt(self) -> ConceptPrompt:
        frame = self.session.frame if self.ctx is not None else self._frame
        return ConceptPrompt(self.label_name, self.text, tuple(self.exemplars), frame if self.exemplars else None,
                             self.threshold)

    def set_prompt(self, *, text: str | None = None, label_name: str | None = None,
                   threshold: float | None = None, exemplars: list[Exemplar] | None = None) -> None:
        """The tab changed the text, label or threshold (or loads a saved prompt's boxes): run again."""
        if text is not None:
            self.text = text
        if label_name is not None:
            self.label_name = label_name
        if threshold is not None:
            self.threshold = float(threshold)
        if exemplars is not None:
            self.exemplars = list(exemplars)
        if self.ctx is not None:
            self.refresh()

    def frame_changed(self) -> None:
        """The canvas shows another frame: the boxes are dropped (they belong to their frame)."""
        if self.ctx is not None and self._frame != self.session.frame:
            self._check_frame()
            self.view.set_preview(None)

    def _check_frame(self) -> None:
        if self.ctx is not None and self._frame != self.session.frame:
            self._frame = self.session.frame
            self.exemplars.clear()  # boxes belong to the frame they were drawn on
            self._reset()

    # ---------------------------------------------------------------------------- events
    def press(self, event: ToolEvent) -> bool:
        if self.ctx is None or event.button not in (Button.LEFT, Button.RIGHT):
            return False
        self._check_frame()
        self._press, self._drag = event, None
        return True

    def move(self, event: ToolEvent) -> bool:
        start = self._press
        if start is None or not (event.buttons & (Button.LEFT | Button.RIGHT)):
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
            w, h = self.session.image_size()
            x1, x2 = sorted((min(max(drag[0], 0.0), w), min(max(drag[2], 0.0), w)))
            y1, y2 = sorted((min(max(drag[1], 0.0), h), min(max(drag[3], 0.0), h)))
            if x2 - x1 < 1 or y2 - y1 < 1:
                self.session.status("example box too small; dropped")
                self._render()
                return True
            negative = start.button == Button.RIGHT or bool(start.modifiers & Modifier.SHIFT)
            self.exemplars.append(Exemplar((x1, y1, x2, y2), not negative))
        elif not self._remove_hit(start.x, start.y):
            return True
        self.refresh()
        return True

    def _remove_hit(self, x: float, y: float) -> bool:
        for i in range(len(self.exemplars) - 1, -1, -1):
            x1, y1, x2, y2 = self.exemplars[i].box
            if x1 <= x <= x2 and y1 <= y <= y2:
                del self.exemplars[i]
                return True
        return False

    def key(self, event: KeyEvent) -> bool:
        if event.pressed and event.key in ("N", "Return", "Enter"):
            self.accept()
            return True
        if event.pressed and event.key == "Backspace" and self.exemplars:
            self.exemplars.pop()
            self.refresh()
            return True
        return super().key(event)

    # --------------------------------------------------------------------------- the model
    def refresh(self) -> None:
        """Run the current prompt on the shown frame in the worker (the newest request wins)."""
        if self.ctx is None:
            return
        self._reset()
        prompt = self.prompt()
        try:
            prompt.check()
            label = concept_label(self.session.labels, prompt.label)
        except ValueError as exc:
            self._render(str(exc))
            return
        request, frame, image = self._request, self.session.frame, self.view.image()
        key = (id(self.session.project), self.session.job_id, frame)
        kind = str(label.type.value)

        def job() -> list[Found]:
            if self.segmenter is None:
                self.segmenter = self.load_segmenter()
            return self.segmenter.find(key, image, frame, prompt, kind)

        self.busy = True
        self.worker.submit("predict", job, lambda result, error: self._answer(request, result, error))
        self._render("finding…" if self.segmenter is not None else "loading SAM 3…")

    def _answer(self, request: int, result: list[Found] | None, error: BaseException | None) -> None:
        if request != self._request or self.ctx is None:
            return
        self.busy = False
        if error is not None:
            self.found = []
            self.last_error = str(error) or type(error).__name__
            self.session.status(f"SAM 3: {self.last_error}")
            self._render(self.last_error)
        else:
            self.found, self.last_error = list(result or []), ""
            self._render()
        if self.on_result is not None:
            self.on_result(self)

    def accept(self) -> list[Shape]:
        """Add every instance found as one undo step; returns the shapes added."""
        if self.ctx is None:
            return []
        if self.busy:
            self.session.status("SAM 3 is still working on this frame")
            return []
        if not self.found:
            self.session.status("nothing found to add")
            return []
        label = self.session.labels.by_name(self.label_name)
        if label is None:
            self.session.status(f"no label named {self.label_name!r}")
            return []
        shapes = shapes_of(self.found, label, self.session.frame)
        session = self.session
        session.push(add_shapes(session.project, session.job_id, shapes,
                                text=f"SAM 3: {len(shapes)} × {label.name}"))
        self.exemplars.clear()
        self._reset()
        self.view.set_preview(None)
        return shapes

    def _render(self, text: str = "") -> None:
        if self.ctx is None:
            return
        preview = Preview(box=self._drag)
        label = self.session.labels.by_name(self.label_name)
        for found in self.found:
            preview.shapes.append(Shape(type=found.type, frame=self.session.frame, points=list(found.points),
                                        label_id=label.id if label is not None else 0, source=Source.AUTO,
                                        score=found.score))
        preview.extra = {"exemplars": [(ex.box, ex.positive) for ex in self.exemplars], "busy": self.busy}
        preview.text = text or ("finding…" if self.busy else f"{len(self.found)} found")
        self.view.set_preview(preview)
