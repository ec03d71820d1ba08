"""The optional parts around the job window's canvas, built for the window (which keeps them as its
own attributes, see :meth:`app.widgets.job_window.JobWindow._install_features`): the AI tools panel
(Detectors, Interactors, Trackers tabs) and the quality panel (the layout is
:mod:`app.widgets.job_layout`).

Nothing here sets attributes on the window: each builder returns its part. The window is used only
through :class:`FeatureHost`, so this module does not import the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from app.domain.geometry import bbox
from app.quality.review import gt_refs, gt_shapes
from app.widgets.ai import concept_tab, interactors_tab, trackers_tab
from app.widgets.ai.detectors_tab import DetectorsTab
from app.widgets.ai.panel import AIToolsPanel
from app.widgets.quality.panel import QualityPanel

if TYPE_CHECKING:
    from app.editing.stack import UndoStack
    from app.storage.store import Project


class FeatureHost(Protocol):
    """What the features use of the job window."""

    project: Project
    job_id: int
    undo_stack: UndoStack
    frame_changed: Any  # Signal(int)
    destroyed: Any  # QObject.destroyed
    canvas: Any  # app.widgets.canvas.view.CanvasView (set_reference, set_reference_visible)

    @property
    def frame(self) -> int: ...

    def goto_frame(self, frame: int, highlight_ids: list[int] | None = None) -> None: ...


@dataclass
class AITools:
    panel: AIToolsPanel
    detectors: DetectorsTab
    interactors: Any  # interactors_tab.InteractorsTab
    trackers: trackers_tab.TrackersTab
    concept: concept_tab.ConceptTab


def build_ai_tools(window: FeatureHost) -> AITools:
    """The AI tools panel; the detectors follow the window's frame, the interactors its labels."""
    panel = AIToolsPanel(window)  # type: ignore[arg-type]
    detectors = DetectorsTab(parent=panel)
    panel.add_tab(detectors, "Detectors")

    def follow(frame: int) -> None:
        detectors.set_context(window.project, window.job_id, frame, window.undo_stack)

    window.frame_changed.connect(follow)
    follow(window.frame)
    interactors = interactors_tab.install(window, panel)
    project = window.project

    def labels_changed(kind: str, _job_id: int | None) -> None:
        if kind == "labels":  # label edits happen on the GUI thread (labels dialog)
            interactors.set_labels(project.labels())
            concept.set_labels()
            trackers.refresh_concept_labels()

    project.add_listener(labels_changed)
    window.destroyed.connect(lambda *_: project.remove_listener(labels_changed))
    trackers = trackers_tab.install(window, panel)
    concept = concept_tab.install(window, panel)
    trackers.set_concept_segmenter(concept.segmenter)  # one SAM 3 model for both tabs
    concept.prompts_changed.connect(trackers.refresh_concept_prompts)
    return AITools(panel, detectors, interactors, trackers, concept)


def build_quality_panel(window: FeatureHost) -> QualityPanel:
    """The job's quality report; a click on a conflict jumps to its frame, selects the job's shapes and
    draws the Ground Truth shapes involved over the frame (toggle: the panel's "Show GT")."""
    panel = QualityPanel(window, writer=window.project)  # type: ignore[arg-type]

    def show_conflict(frame: int, annotation_ids: list) -> None:
        ids = [a for a in annotation_ids if isinstance(a, dict)]
        shape_ids = [int(a["obj_id"]) for a in ids if a.get("type") == "shape" and a.get("job_id") == window.job_id]
        # One frame's GT shapes, read on the GUI thread's handle: a small query per click.
        reference = gt_shapes(window.project, frame, gt_refs(ids, window.job_id))
        window.canvas.set_reference(frame, reference)
        window.goto_frame(frame, highlight_ids=shape_ids)
        if reference and not shape_ids and window.frame == frame:  # a missing shape: show where it should be
            x1, y1, x2, y2 = bbox(reference[0])
            window.canvas.center_on_image((x1 + x2) / 2, (y1 + y2) / 2)

    panel.conflict_activated.connect(show_conflict)
    panel.show_gt_toggled.connect(window.canvas.set_reference_visible)
    panel.frame_activated.connect(lambda frame: window.goto_frame(frame))
    panel.set_job(window.project.location, window.job_id)
    return panel
