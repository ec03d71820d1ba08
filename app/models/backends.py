"""Where an auto-annotation run runs: one small interface, two backends.

:class:`InProcess` (the default, a laptop) runs :func:`~app.models.runner.run_detection` on the calling
thread; :class:`OnRay` runs the same run on Ray actors (:func:`~app.models.ray_backend.run_on_ray`),
locally or on a cluster. Both take the same recipe, work items, frame source, labels, writer and
options, report through the same progress callback and cancel token, and return a
:class:`~app.models.runner.RunResult`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from app.core.work import CancelToken, ProgressFn
from app.models.ray_backend import RaySettings, run_on_ray
from app.models.runner import RunOptions, RunResult, WorkItem, Writer, run_detection

if TYPE_CHECKING:
    from app.media.sources import FrameSource
    from app.models.recipe import FunctionRecipe


class RunBackend(Protocol):
    def run(self, recipe: FunctionRecipe, items: Sequence[WorkItem], source: FrameSource,
            task_labels: Sequence[Any], writer: Writer, options: RunOptions, *,
            progress: ProgressFn | None = None, token: CancelToken | None = None) -> RunResult: ...


@dataclass
class InProcess:
    """Today's route: the function is loaded here (or given already loaded) and runs on this thread."""

    function: Any = None

    def run(self, recipe: FunctionRecipe, items: Sequence[WorkItem], source: FrameSource,
            task_labels: Sequence[Any], writer: Writer, options: RunOptions, *,
            progress: ProgressFn | None = None, token: CancelToken | None = None) -> RunResult:
        function = self.function if self.function is not None else recipe.load()
        return run_detection(function, items, source, task_labels, writer, options, progress=progress, token=token,
                             function_name=recipe.target)  # messages name the file, module or model


@dataclass
class OnRay:
    """The run on Ray actors; ``settings`` says where (local or a cluster address) and how wide."""

    settings: RaySettings = field(default_factory=RaySettings)

    def run(self, recipe: FunctionRecipe, items: Sequence[WorkItem], source: FrameSource,
            task_labels: Sequence[Any], writer: Writer, options: RunOptions, *,
            progress: ProgressFn | None = None, token: CancelToken | None = None) -> RunResult:
        return run_on_ray(recipe, items, source, task_labels, writer, options, self.settings,
                          progress=progress, token=token)

