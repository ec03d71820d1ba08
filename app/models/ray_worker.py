"""The Ray actor of a distributed auto-annotation run: loads the function once, annotates shards of frames.

A :class:`FrameWorker` lives in a Ray worker process. It loads the run's function from its
:class:`~app.models.recipe.FunctionRecipe` once, builds the same :class:`~app.models.runner.FrameAnnotator`
as the in-process route (same label mapping, same validation, cvat-sdk's verdicts) and, for each shard,
decodes every frame (the image file's bytes read by the driver, a path the worker can read, or a frame
the driver decoded) and returns the frame's validated shapes and tags. It never touches the project:
the driver is the one writer. Plain class, no ``ray`` import: the backend wraps it with ``ray.remote``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.models.runner import AutoAnnotationError, FrameAnnotator, RunOptions, WorkItem, stopped_at

#: One frame of a shard: (index in the run, work item, payload: bytes, a path string or an RGB array).
ShardFrame = tuple[int, WorkItem, Any]


def decode(payload: Any) -> Any:
    """An (H, W, 3) uint8 RGB frame from a shard payload, decoded as :class:`ImageListSource` does."""
    from app.media.images import load_image

    if isinstance(payload, bytes):
        return load_image(io.BytesIO(payload))  # type: ignore[arg-type] - PIL reads file objects
    if isinstance(payload, str):
        return load_image(Path(payload))
    return payload


class FrameWorker:
    """One model replica; ``run`` annotates a shard, ``ready`` says whether set-up worked."""

    def __init__(self, recipe: Any, task_labels: Sequence[Any], options: RunOptions) -> None:
        self.error: str | None = None
        self.annotator: FrameAnnotator | None = None
        try:
            self.annotator = FrameAnnotator(recipe.load(), task_labels, options)
        except AutoAnnotationError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - a load failure is the run's set-up error, told by ready()
            self.error = f"{recipe.target}: {exc}"

    def ready(self) -> str | None:
        """None, or why this worker cannot run (the function did not load, its labels do not fit)."""
        return self.error

    def run(self, shard: Sequence[ShardFrame]) -> tuple[str, Any]:
        """``("ok", [(index, shapes, tags, detect_seconds), ...])`` for the whole shard, or
        ``("error", message)`` at the first frame the function or the validation rejected."""
        assert self.annotator is not None, self.error
        done = []
        for index, item, payload in shard:
            try:
                image = self.annotator.prepare(decode(payload))
                started = time.perf_counter()
                outputs = self.annotator.detect(item, image)
                spent = time.perf_counter() - started
                shapes, tags = self.annotator.map(outputs, item)
            except Exception as exc:  # noqa: BLE001 - the driver aborts and reverts the run, as in-process
                return "error", stopped_at(item, exc)
            done.append((index, shapes, tags, spent))
        return "ok", done

    def peak_rss(self) -> int:
        """This worker process's peak resident memory in bytes (Linux: ru_maxrss is KiB; 0 elsewhere)."""
        try:
            import resource
        except ImportError:  # Windows
            return 0
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
