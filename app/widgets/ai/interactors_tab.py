"""The Interactors tab of the AI tools panel: label, model (with a short description), point slider,
polygon/mask output and Done.

Models offered: the built-in SAM 2.1 sizes (checkpoints through the model manager), intelligent
scissors, and registered CVAT functions (loaded when picked; only interaction functions are usable).
The tab writes :class:`app.tools.ai_options.InteractorOptions`, which the tools read, and emits
``tool_requested(tool_id)`` when the chosen model needs the other tool (``ai:sam2`` or
``ai:scissors``) or Interact is pressed, and ``done_requested`` for the Done button.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.domain.enums import ShapeType
from app.domain.labels import LabelSet
from app.models.manager import models_changed
from app.models.sam2_image import SIZES
from app.models.sam3.interactor import Sam3Interactor
from app.tools.ai_options import MAX_POINTS, MIN_POINTS, InteractorOptions
from app.widgets.event_bridge import connect_event

SCISSORS = "scissors"


@dataclass(frozen=True)
class ModelChoice:
    """One entry of the model selector."""

    key: str  # "sam2:<catalog name or path>", "scissors", "function:<registered name>"
    title: str
    description: str
    tool_id: str


def builtin_choices() -> list[ModelChoice]:
    choices = [ModelChoice(f"sam2:{name}", name.replace("sam2.1-", "SAM 2.1 "), text, "ai:sam2")
               for name, text in SIZES.items()]
    choices.append(ModelChoice("sam3", "SAM 3", Sam3Interactor.description, "ai:sam2"))
    choices.append(ModelChoice(SCISSORS, "Intelligent scissors",
                               "OpenCV intelligent scissors: click along an edge, the contour follows it. "
                               "No model needed.", "ai:scissors"))
    return choices


def default_factory(key: str) -> Any:
    """Build the interactor for a selector key (SAM 2 and registered functions)."""
    kind, _, name = key.partition(":")
    if kind == "sam2":
        from app.models.sam2_image import Sam2Interactor

        return Sam2Interactor(name, name=name)
    if kind == "sam3":
        return Sam3Interactor(key)
    if kind == "function":
        from app.models.interaction_functions import LazyFunctionInteractor
        from app.models.registry import Registry

        registration = Registry().get(name)
        if registration is None:
            raise KeyError(f"no registered function named {name!r}")
        return LazyFunctionInteractor(registration)  # loaded in the worker on first use
    raise KeyError(f"unknown interactor {key!r}")


class InteractorsTab(QWidget):
    """Parameters
    ----------
    options:
        Shared with the tools.
    labels:
        The project's labels (skeleton and tag labels are left out).
    functions:
        Extra choices, e.g. ``[(name, description)]`` of registered function files/modules.
    factory:
        ``factory(key) -> interactor``; builds SAM 2 / function interactors (default:
        :func:`default_factory`). Loading heavy weights happens later, in the tool's worker.
    """

    tool_requested = Signal(str)
    done_requested = Signal()

    def __init__(self, options: InteractorOptions, labels: LabelSet | None = None,
                 functions: list[tuple[str, str]] | None = None,
                 factory: Callable[[str], Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.options = options
        self.factory = factory or default_factory
        self.choices = builtin_choices() + [
            ModelChoice(f"function:{name}", name, text or "CVAT interaction function", "ai:sam2")
            for name, text in (functions or [])]
        self._interactors: dict[str, Any] = {}
        self._build()
        self.set_labels(labels)
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        self._model_changed(self.model_combo.currentIndex())
        connect_event(self, models_changed, lambda _root: self.models_folder_changed())

    # ----------------------------------------------------------------------------- layout
    def _build(self) -> None:
        self.label_combo = QComboBox()
        self.label_combo.currentIndexChanged.connect(self._label_changed)
        self.model_combo = QComboBox()
        for choice in self.choices:
            self.model_combo.addItem(choice.title, choice.key)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(MIN_POINTS, MAX_POINTS)
        self.slider.setValue(self.options.max_points)
        self.slider_value = QLabel(str(self.options.max_points))
        self.slider.valueChanged.connect(self._points_changed)
        self.polygon_radio = QRadioButton("Polygon")
        self.mask_radio = QRadioButton("Mask")
        group = QButtonGroup(self)
        group.addButton(self.polygon_radio)
        group.addButton(self.mask_radio)
        (self.mask_radio if self.options.output == ShapeType.MASK else self.polygon_radio).setChecked(True)
        self.polygon_radio.toggled.connect(self._output_changed)
        self.start_button = QPushButton("Interact")
        self.start_button.setToolTip("Use the chosen model on the canvas")
        self.start_button.clicked.connect(self.activate_current)
        self.done_button = QPushButton("Done (N)")
        self.done_button.clicked.connect(self.done_requested)
        self.message = QLabel()
        self.message.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Label", self.label_combo)
        form.addRow("Model", self.model_combo)
        points = QHBoxLayout()
        points.addWidget(self.slider, 1)
        points.addWidget(self.slider_value)
        form.addRow("Points", points)
        output = QHBoxLayout()
        output.addWidget(self.polygon_radio)
        output.addWidget(self.mask_radio)
        form.addRow("Result", output)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.description)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.done_button)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addStretch(1)

    # ----------------------------------------------------------------------------- values
    def set_labels(self, labels: LabelSet | None) -> None:
        self.label_combo.blockSignals(True)
        self.label_combo.clear()
        for label in labels or []:
            if label.type.accepts(ShapeType.POLYGON) or label.type.accepts(ShapeType.MASK):
                self.label_combo.addItem(label.name, label.id)
        self.label_combo.blockSignals(False)
        index = self.label_combo.findData(self.options.label_id) if self.options.label_id is not None else 0
        self.label_combo.setCurrentIndex(max(index, 0))
        self._label_changed(self.label_combo.currentIndex())

    def current_choice(self) -> ModelChoice:
        return self.choices[self.model_combo.currentIndex()]

    def select_model(self, key: str) -> None:
        index = self.model_combo.findData(key)
        if index < 0:
            raise KeyError(f"no model {key!r} in the Interactors tab")
        if index == self.model_combo.currentIndex():
            self.activate_current()
        else:
            self.model_combo.setCurrentIndex(index)

    def activate_current(self) -> None:
        """Ask for the current model's tool (when the model could be loaded)."""
        choice = self.current_choice()
        if choice.key == SCISSORS or self.options.interactor is self._interactors.get(choice.key) is not None:
            self.tool_requested.emit(choice.tool_id)

    def _label_changed(self, index: int) -> None:
        self.options.set(label_id=self.label_combo.itemData(index) if index >= 0 else None)

    def _points_changed(self, value: int) -> None:
        self.slider_value.setText(str(value))
        self.options.set(max_points=value)

    def _output_changed(self) -> None:
        self.options.set(output=ShapeType.POLYGON if self.polygon_radio.isChecked() else ShapeType.MASK)

    def _model_changed(self, index: int) -> None:
        if index < 0:
            return
        choice = self.choices[index]
        self.description.setText(choice.description)
        self.message.clear()
        if choice.key != SCISSORS:
            try:
                interactor = self._interactors.get(choice.key) or self.factory(choice.key)
            except Exception as exc:  # noqa: BLE001 - user function files can raise anything while loading
                self.message.setText(f"Cannot use {choice.title}: {exc}")
                self.options.set(interactor=None)
                return
            self._interactors[choice.key] = interactor
            self.options.set(interactor=interactor)
            check = getattr(interactor, "check", None)
            problem = check() if callable(check) else None
            if problem:
                self.message.setText(problem)
        self.activate_current()


    def models_folder_changed(self) -> None:
        """A checkpoint was added or removed: check the current model again (no reload if it was fine)."""
        choice = self.current_choice()
        if choice.key == SCISSORS:
            return
        interactor = self._interactors.get(choice.key)
        check = getattr(interactor, "check", None)
        if interactor is None or (callable(check) and check()) or self.message.text():
            self._interactors.pop(choice.key, None)
            self._model_changed(self.model_combo.currentIndex())


TITLE = "Interactors"


def registered_functions() -> list[tuple[str, str]]:
    """(name, description) of registered function files/modules; empty when the registry is unreadable."""
    from app.models.interaction_functions import function_registrations
    from app.models.registry import Registry, RegistryError

    try:
        return [(r.name, r.description) for r in function_registrations(Registry())]
    except RegistryError:
        return []


def install(window: Any, panel: Any = None, *, factory: Callable[[str], Any] | None = None,
            functions: list[tuple[str, str]] | None = None) -> InteractorsTab:
    """Wire the interactors into a :class:`~app.widgets.job_window.JobWindow`.

    Creates the shared options and worker, the ``ai:sam2`` and ``ai:scissors`` tools (put into
    ``window.tools`` so ``window.set_tool(id)`` works), and the tab (added to ``panel``, an
    AIToolsPanel, or docked on its own). Picking a model activates its tool; Done accepts the active
    tool's result; ``window.frame_changed`` starts the new frame's embedding and prefetches the next.
    """
    from app.tools.ai_sam2 import Sam2Tool
    from app.tools.ai_scissors import ScissorsTool
    from app.tools.ai_worker import SlotWorker

    options = InteractorOptions()
    worker = SlotWorker()
    prefetcher = SlotWorker(("prefetch",))  # the next frame's embedding never delays a click
    frames = list(window.frames)

    def next_frame(frame: int) -> tuple[int, Any] | None:  # runs in the worker: may decode
        if window.cache is None or frame not in frames or frames.index(frame) + 1 >= len(frames):
            return None
        number = frames[frames.index(frame) + 1]
        return number, window.cache.get(number)

    sam_tool = Sam2Tool(options, worker, next_frame=next_frame, prefetch_worker=prefetcher)
    scissors_tool = ScissorsTool(options, worker)
    window.tools[sam_tool.tool_id] = sam_tool
    window.tools[scissors_tool.tool_id] = scissors_tool
    tab = InteractorsTab(options, window.project.labels(),
                         functions=registered_functions() if functions is None else functions, factory=factory)
    tab.sam_tool, tab.scissors_tool, tab.worker = sam_tool, scissors_tool, worker
    tab.tool_requested.connect(window.set_tool)

    def done() -> None:
        tool = window.canvas.tool
        if tool in (sam_tool, scissors_tool):
            tool.accept()

    tab.done_requested.connect(done)
    window.frame_changed.connect(lambda _frame: sam_tool.frame_changed() if sam_tool.ctx is not None else None)
    window.destroyed.connect(lambda *_: (worker.shutdown(), prefetcher.shutdown()))
    if panel is not None:
        panel.add_tab(tab, TITLE)
    else:
        window.add_side_panel(tab, TITLE)
    return tab
