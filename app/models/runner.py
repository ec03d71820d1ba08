"""Run a detection function over a frame, a job or a task: cancellable, with progress and ETA.

Qt-free and thread-agnostic: :func:`run_detection` does inference on the calling thread (a worker in
the GUI) and hands whole-frame batches to a writer (:class:`app.models.writer.AutoAnnotationRun`,
writing through the calling thread's own project handle). A batch is written when it has
``batch_frames`` frames or its first frame waited ``batch_seconds``, so finished frames reach the store
promptly. Rules: setup errors (label mapping) come before any inference; a function error or rule
violation reverts every batch of the run and raises :class:`AutoAnnotationError`; the cancel token is
checked before each frame, and a cancelled run writes every frame it finished (never part of a frame)
and says so in :meth:`RunResult.summary`. ``sys.exit()`` or ``KeyboardInterrupt`` inside ``detect`` is
a function error naming the function and frame. With ``frame_timeout`` ``detect`` runs on its own
thread (:mod:`app.models.function_call`); a frame that takes longer cancels the run: nothing is
written for that frame, finished frames are kept and :attr:`RunResult.message` names the frame.

Frames are decoded (and converted to the function's input) on a prefetch thread ahead of inference.
Built-in adapters (:class:`app.models.detections.BatchDetector`) take the columnar fast route; user
functions take the cvat-sdk route (``detect`` + :meth:`OutputMapper.map_frame`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from app.core.work import CancelToken, Progress, ProgressClock, ProgressFn
from app.domain.annotations import Shape, Tag
from app.domain.enums import JobType
from app.models import function_call as fc
from app.models.detections import BatchDetector
from app.models.label_matching import LabelMapping
from app.models.prefetch import FramePrefetcher
from app.models.validation import OutputMapper
from app.models.write_batches import FrameBatcher

if TYPE_CHECKING:
    from app.media.sources import FrameSource
    from app.storage.store import Project


class AutoAnnotationError(Exception):
    """The run was aborted; nothing it produced was kept. The message names the frame and the rule."""


@dataclass
class RunOptions:
    conf_threshold: float | None = None
    conv_mask_to_poly: bool = False
    clear_existing: bool = False
    allow_unmatched_labels: bool = False
    mapping: LabelMapping | None = None
    batch_frames: int = 32
    #: A batch is written once its first frame is this old (seconds), however few frames it has.
    batch_seconds: float = 0.5
    #: Built-in adapters (:class:`BatchDetector`) skip cvat-sdk request objects (same checks, see
    #: :meth:`OutputMapper.map_batches`); False forces the SDK route (benchmark baseline, tests).
    fast_path: bool = True
    #: Seconds one frame's ``detect`` may take; longer cancels the run (None: no limit).
    frame_timeout: float | None = None

    def __post_init__(self) -> None:
        if self.conf_threshold is not None and not 0 <= self.conf_threshold <= 1:
            raise ValueError("conf_threshold must be None or a number between 0 and 1")
        if self.batch_frames < 1:
            raise ValueError("batch_frames must be at least 1")
        if self.frame_timeout is not None and not self.frame_timeout > 0:
            raise ValueError("frame_timeout must be more than 0 seconds")


@dataclass(frozen=True)
class WorkItem:
    """One frame to annotate: task frame index, the job that receives its results, CVAT frame name."""

    frame: int
    job_id: int
    name: str


__all__ = ["AutoAnnotationError", "FrameAnnotator", "Progress", "RunOptions", "RunResult", "WorkItem", "plan_job",
           "plan_task", "run_detection"]


@dataclass
class RunResult:
    frames_done: int = 0
    frames_total: int = 0
    shapes: int = 0
    tags: int = 0
    cancelled: bool = False
    seconds: float = 0.0
    detect_seconds: float = 0.0
    per_frame: list[float] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=lambda: {"wait_frame": 0.0, "map": 0.0, "write": 0.0})
    message: str = ""  # why the run stopped early (a frame timeout), empty otherwise
    #: Frames given up after their worker was lost twice (Ray backend), "frame N (name)": nothing written.
    failed: list[str] = field(default_factory=list)
    #: Peak resident memory of each Ray worker at the end of the run, bytes (empty in-process).
    worker_peak_rss: list[int] = field(default_factory=list)

    def summary(self) -> str:
        """What the run kept, e.g. "cancelled; kept 12 of 40 frames: 30 shapes, 0 tags"."""
        state = "cancelled; kept" if self.cancelled else "done:"
        text = f"{state} {self.frames_done} of {self.frames_total} frames: {self.shapes} shapes, {self.tags} tags"
        if self.failed:
            text += f"; {len(self.failed)} frames failed twice and were not written: {', '.join(self.failed)}"
        return f"{self.message}; {text}" if self.message else text


class Writer(Protocol):
    def write(self, job_id: int, frames: Sequence[int], shapes: list[Shape], tags: list[Tag],
              last_for_job: bool = False) -> None: ...

    def revert(self) -> None: ...


class _Context:
    """The ``DetectionFunctionContext`` given to ``detect`` (registered as a virtual subclass)."""

    __slots__ = ("frame_name", "conf_threshold", "conv_mask_to_poly")

    def __init__(self, frame_name: str, conf_threshold: float | None, conv_mask_to_poly: bool) -> None:
        self.frame_name = frame_name
        self.conf_threshold = conf_threshold
        self.conv_mask_to_poly = conv_mask_to_poly


def make_context(frame_name: str, options: RunOptions) -> Any:
    from cvat_sdk.auto_annotation import DetectionFunctionContext

    if not issubclass(_Context, DetectionFunctionContext):
        DetectionFunctionContext.register(_Context)
    return _Context(frame_name, options.conf_threshold, options.conv_mask_to_poly)


# ------------------------------------------------------------------------------------ planning
def _frame_names(project: Project, task_id: int) -> dict[int, str]:
    task = project.task(task_id)
    frames = project.frames(task_id)
    if task.media_type == "video":
        # cvat-sdk passes the video file name as frame_name for every frame of a video task.
        video = Path(task.video_path).name
        return {f.index: video for f in frames}
    return {f.index: f.name for f in frames}


def plan_job(project: Project, job_id: int, frames: Sequence[int] | None = None) -> list[WorkItem]:
    """Work items for a job (or some of its frames)."""
    job = project.job(job_id)
    names = _frame_names(project, job.task_id)
    chosen = job.frame_list() if frames is None else list(frames)
    return [WorkItem(f, job.id, names[f]) for f in chosen]


def plan_task(project: Project, task_id: int) -> list[WorkItem]:
    """Every frame of a task once, each written to the first annotation job that contains it."""
    names = _frame_names(project, task_id)
    owner: dict[int, int] = {}
    for job in sorted(project.jobs(task_id), key=lambda j: j.id):
        if job.type is JobType.ANNOTATION:
            for frame in job.frame_list():
                owner.setdefault(frame, job.id)
    return [WorkItem(f, owner[f], names[f]) for f in sorted(owner)]


# ------------------------------------------------------------------------------------ running
@contextlib.contextmanager
def _closing(caller: fc.TimedCaller | None) -> Iterator[None]:
    try:
        yield
    finally:
        if caller is not None:
            caller.close()


def _pil(array: Any) -> Any:
    from PIL import Image

    return Image.fromarray(array)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, fc.FunctionExited) or type(exc).__name__ == "BadFunctionError":
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def build_mapper(function: Any, task_labels: Sequence[Any], options: RunOptions) -> OutputMapper:
    """The output mapper for a run; label-mapping problems raise :class:`AutoAnnotationError`."""
    from cvat_sdk.auto_annotation import BadFunctionError

    try:
        return OutputMapper(function.spec.labels, task_labels, allow_unmatched_labels=options.allow_unmatched_labels,
                            conv_mask_to_poly=options.conv_mask_to_poly, mapping=options.mapping)
    except BadFunctionError as exc:
        raise AutoAnnotationError(f"the function's labels do not fit the project: {exc} (map them, add them "
                                  "with 'From model', or allow unmatched labels); nothing was written") from exc


class FrameAnnotator:
    """Detect and validate one frame: the same step in-process and in a Ray actor.

    Built-in adapters (:class:`BatchDetector`) take the columnar fast route; user functions the cvat-sdk
    route. ``prepare`` turns a decoded RGB frame into the function's input; calling the annotator gives
    the frame's validated shapes and tags and the seconds spent in ``detect``."""

    def __init__(self, function: Any, task_labels: Sequence[Any], options: RunOptions) -> None:
        self.options = options
        mapper = build_mapper(function, task_labels, options)
        fast = options.fast_path and isinstance(function, BatchDetector)
        # the sdk route's PIL image; a built-in adapter attaches its input conversion on the decoding thread
        self.prepare = function.prepare if fast else (
            function.prepare_image if isinstance(function, BatchDetector) else _pil)
        self._detect = function.detect_batches if fast else function.detect
        self._map = mapper.map_batches if fast else mapper.map_frame

    @property
    def detect_fn(self) -> Any:
        """The function's own ``detect`` (or the adapter's batch detect), called with (context, image)."""
        return self._detect

    def detect(self, item: WorkItem, image: Any) -> Any:
        return self._detect(make_context(item.name, self.options), image)

    def map(self, outputs: Any, item: WorkItem) -> tuple[list[Shape], list[Tag]]:
        return self._map(outputs, item.frame)


def stopped_at(item: WorkItem | None, exc: BaseException) -> str:
    """The message of a run aborted by a function error or a rule violation at ``item``."""
    where = f"frame {item.frame} ({item.name})" if item is not None else "setup"
    return f"auto-annotation stopped at {where}: {_describe(exc)}; nothing was written"


def run_detection(
    function: Any,
    items: Sequence[WorkItem],
    source: FrameSource,
    task_labels: Sequence[Any],
    writer: Writer,
    options: RunOptions | None = None,
    *,
    progress: ProgressFn | None = None,
    token: CancelToken | None = None,
    function_name: str | None = None,
) -> RunResult:
    """Apply ``function.detect`` to every item and write the validated results through ``writer``."""
    options = options or RunOptions()
    name = function_name or fc.function_name(function)
    annotator = FrameAnnotator(function, task_labels, options)
    result = RunResult(frames_total=len(items))
    clock = ProgressClock()
    batcher = FrameBatcher(writer, items, options, result)
    current: WorkItem | None = None
    timed = fc.TimedCaller(options.frame_timeout, name) if options.frame_timeout else None
    with FramePrefetcher(source, [item.frame for item in items], annotator.prepare) as frames, _closing(timed):
        try:
            for index, item in enumerate(items):
                current = item
                if token is not None and token.cancelled:
                    result.cancelled = True
                    break
                t_wait = time.perf_counter()
                image = frames.get()
                result.stage_seconds["wait_frame"] += time.perf_counter() - t_wait
                t0 = time.perf_counter()
                try:
                    if timed is not None:
                        outputs = timed(annotator.detect_fn, make_context(item.name, options), image)
                    else:
                        outputs = fc.call_guarded(annotator.detect_fn, (make_context(item.name, options), image), name)
                except fc.FrameTimedOut:
                    result.cancelled = True
                    result.message = (f"frame {item.frame} ({item.name}): detect() of {name} did not return within "
                                      f"{options.frame_timeout:g} s (--frame-timeout); the run was stopped and "
                                      "nothing was written for that frame")
                    break
                finally:
                    spent = time.perf_counter() - t0
                    result.detect_seconds += spent
                    result.per_frame.append(spent)
                t_map = time.perf_counter()
                shapes, tags = annotator.map(outputs, item)
                result.stage_seconds["map"] += time.perf_counter() - t_map
                batcher.add(index, item, shapes, tags)
                if progress is not None:
                    progress(clock(index + 1, len(items), f"frame {item.frame}"))
            batcher.flush(False)
        except Exception as exc:  # noqa: BLE001 - any function/validation error aborts and reverts the run
            writer.revert()
            raise AutoAnnotationError(stopped_at(current, exc)) from exc
    result.seconds = clock.elapsed
    return result
