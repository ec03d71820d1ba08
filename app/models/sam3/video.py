"""A SAM 3 concept prompt over a range of frames (Qt-free): per-frame shapes, or tracks.

Both walk the frames one at a time in the given order (forward or backward), decoding each on demand
from a :class:`~app.media.sources.FrameSource` or a :class:`~app.media.cache.FrameCache` (its
decode-ahead prepares the next frames while the model works): the video is never loaded whole. Per
frame the image is encoded once and the prompt runs on it (:class:`ConceptSegmenter`). The
background-work contract holds: the token is checked before each frame and after its model pass, so
Cancel takes effect within one frame; a frame under way when Cancel came is dropped, and the partial
result covers exactly the frames done (``cancelled; kept 12 of 40 frames``).

Video concept tracking is detection on each frame plus association (why not transformers'
``Sam3VideoModel``: its inference session keeps every frame's pixels and every frame's outputs for the
whole run, so memory grows with the video, which the issue rules out). Each detection is matched to
the open tracks by box IoU (Hungarian assignment, IoU at least ``match_iou``); an unmatched detection
starts a track; a track unmatched for more than ``max_missed`` walked frames is closed. The state per
open track is its last box: memory is bounded by the number of objects, not by the video's length.
Tracks are stored with a keyframe on every frame where the object was found and an ``outside``
keyframe on the first walked frame after each run of frames where it was found (within the frames
done), so that interpolation never invents the object where it was not seen.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core.work import CancelToken, Progress, ProgressFn
from app.domain.annotations import Annotations, Shape, Track, TrackedShape
from app.domain.enums import Source
from app.models.sam3.prompting import ConceptPrompt, ConceptSegmenter, Found, shapes_of

if TYPE_CHECKING:
    from app.editing.commands import ReplaceAnnotations
    from app.storage.store import Project

MATCH_IOU = 0.3
MAX_MISSED = 2


def _read(frames: Any, index: int) -> np.ndarray:
    getter = getattr(frames, "get", None)
    return getter(index) if callable(getter) else frames.read(index)


def _prefetch(frames: Any, upcoming: Sequence[int]) -> None:
    prefetch = getattr(frames, "prefetch", None)
    if callable(prefetch):
        prefetch(list(upcoming))


def walk(frames: Any, order: Sequence[int], segmenter: ConceptSegmenter, prompt: ConceptPrompt, label_type: str,
         on_frame: Any, *, key: Hashable = None, token: CancelToken | None = None,
         progress: ProgressFn | None = None, noun: str = "instances") -> tuple[int, bool]:
    """Run ``prompt`` on each frame of ``order``; ``on_frame(frame, found)`` takes each whole frame.
    Returns (frames done, cancelled)."""
    total = len(order)
    for done, frame in enumerate(order):
        if token is not None and token.cancelled:
            return done, True
        _prefetch(frames, order[done + 1 : done + 4])
        found = segmenter.find((key, frame), _read(frames, frame), frame, prompt, label_type)
        if token is not None and token.cancelled:  # Cancel came during this frame's pass: it is dropped
            return done, True
        count = on_frame(frame, found)
        if progress is not None:
            progress(Progress(done + 1, total, f"frame {frame}: {count} {noun}"))
    return total, False


# ------------------------------------------------------------------------------ shapes per frame
@dataclass
class ConceptShapes:
    """Shapes found on each frame done (a :class:`~app.core.work.Partial`)."""

    frames: list[int]
    found: dict[int, list[Found]] = field(default_factory=dict)
    frames_done: int = 0
    cancelled: bool = False

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.found.values())

    def summary(self) -> str:
        state = "cancelled; kept" if self.cancelled else "ran on"
        return f"{state} {self.frames_done} of {len(self.frames)} frames, {self.count} shapes"


def find_on_frames(frames: Any, order: Sequence[int], segmenter: ConceptSegmenter, prompt: ConceptPrompt,
                   label_type: str, *, key: Hashable = None, token: CancelToken | None = None,
                   progress: ProgressFn | None = None) -> ConceptShapes:
    """Run the prompt on each frame of ``order`` (frames where it cannot run, exemplars-only prompts
    away from their frame, are refused before any model work)."""
    order = list(order)
    unusable = [f for f in order if not prompt.runs_on(f)]
    if unusable:
        prompt.for_frame(unusable[0])  # raises PromptError naming the frame
    result = ConceptShapes(order)

    def keep(frame: int, found: list[Found]) -> int:
        result.found[frame] = found
        return len(found)

    result.frames_done, result.cancelled = walk(frames, order, segmenter, prompt, label_type, keep, key=key,
                                                token=token, progress=progress, noun="shapes")
    return result


def shapes_command(project: Project, job_id: int, label: Any, result: ConceptShapes,
                   text: str = "SAM 3 concept") -> ReplaceAnnotations | None:
    """One command adding every shape found (None when nothing was found)."""
    from app.editing.commands import add_shapes

    shapes: list[Shape] = [s for frame in sorted(result.found)
                           for s in shapes_of(result.found[frame], label, frame)]
    return add_shapes(project, job_id, shapes, text=text) if shapes else None


# ------------------------------------------------------------------------------ tracks
def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of ``a`` (N, 4) with every box of ``b`` (M, 4), xyxy."""
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)))
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


@dataclass
class ConceptTrack:
    """One object followed through the walk: its keyframes so far and its last box."""

    frames: list[int] = field(default_factory=list)
    found: list[Found] = field(default_factory=list)
    box: np.ndarray | None = None
    missed: int = 0  # walked frames since it was last found


class Associator:
    """Detections frame by frame -> tracks (see the module docstring)."""

    def __init__(self, match_iou: float = MATCH_IOU, max_missed: int = MAX_MISSED) -> None:
        self.match_iou, self.max_missed = float(match_iou), int(max_missed)
        self.tracks: list[ConceptTrack] = []
        self.open: list[int] = []  # indexes of tracks still matched against

    def step(self, frame: int, found: Sequence[Found]) -> int:
        """Assign this frame's detections; returns how many tracks are open after it."""
        from scipy.optimize import linear_sum_assignment

        boxes = np.array([f.box for f in found], dtype=float).reshape(-1, 4)
        previous = np.array([self.tracks[i].box for i in self.open], dtype=float).reshape(-1, 4)
        iou = box_iou(previous, boxes)
        matched: dict[int, int] = {}
        if iou.size:
            rows, cols = linear_sum_assignment(-iou)
            matched = {int(c): self.open[int(r)] for r, c in zip(rows, cols, strict=True)
                       if iou[r, c] >= self.match_iou}
        for i in self.open:
            self.tracks[i].missed += 1
        for j, item in enumerate(found):
            index = matched.get(j)
            if index is None:
                self.tracks.append(ConceptTrack())
                index = len(self.tracks) - 1
                self.open.append(index)
            track = self.tracks[index]
            track.frames.append(frame)
            track.found.append(item)
            track.box, track.missed = boxes[j], 0
        self.open = [i for i in self.open if self.tracks[i].missed <= self.max_missed]
        return len(self.open)


@dataclass
class ConceptTracking:
    """Tracks of a concept over the frames done (a :class:`~app.core.work.Partial`)."""

    frames: list[int]
    tracks: list[ConceptTrack] = field(default_factory=list)
    frames_done: int = 0
    cancelled: bool = False

    @property
    def done(self) -> list[int]:
        return self.frames[: self.frames_done]

    def summary(self) -> str:
        state = "cancelled; kept" if self.cancelled else "tracked"
        return f"{state} {self.frames_done} of {len(self.frames)} frames, {len(self.tracks)} track(s)"


def track_concept(frames: Any, order: Sequence[int], segmenter: ConceptSegmenter, prompt: ConceptPrompt,
                  label_type: str, *, key: Hashable = None, match_iou: float = MATCH_IOU,
                  max_missed: int = MAX_MISSED, token: CancelToken | None = None,
                  progress: ProgressFn | None = None) -> ConceptTracking:
    """Follow every instance of ``prompt`` over ``order`` (walking order: backward when descending).
    Exemplars apply on their own frame only, so a prompt without text is refused unless every frame
    is its exemplar frame."""
    order = list(order)
    unusable = [f for f in order if not prompt.runs_on(f)]
    if unusable:  # an exemplars-only prompt cannot run away from its frame: refused before any model work
        prompt.for_frame(unusable[0])
    associator = Associator(match_iou, max_missed)
    result = ConceptTracking(order)
    result.frames_done, result.cancelled = walk(frames, order, segmenter, prompt, label_type, associator.step,
                                                key=key, token=token, progress=progress, noun="tracks open")
    result.tracks = [t for t in associator.tracks if t.frames]
    return result


def tracks_of(result: ConceptTracking, project: Project, label: Any) -> list[Track]:
    """The tracks to store: a keyframe where found, ``outside`` right after each run of finds."""
    from app.editing.track_ops import _split_attributes

    track_attrs, frame_attrs = _split_attributes(project, label.id, label.default_attributes())
    walked = sorted(result.done)
    position = {f: i for i, f in enumerate(walked)}
    out = []
    for item in result.tracks:
        by_frame = dict(zip(item.frames, item.found, strict=True))
        shapes = []
        for frame in sorted(by_frame):
            found = by_frame[frame]
            shapes.append(TrackedShape(type=found.type, frame=frame, points=list(found.points), keyframe=True,
                                       attributes=dict(frame_attrs)))
            after = position[frame] + 1
            if after < len(walked) and walked[after] not in by_frame:
                shapes.append(TrackedShape(type=found.type, frame=walked[after], points=list(found.points),
                                           outside=True, keyframe=True, attributes=dict(frame_attrs)))
        out.append(Track(label_id=label.id, frame=shapes[0].frame, shapes=shapes, source=Source.AUTO,
                         attributes=dict(track_attrs)))
    return out


def tracks_command(project: Project, job_id: int, label: Any, result: ConceptTracking,
                   text: str = "SAM 3 concept tracks") -> ReplaceAnnotations | None:
    """One command adding every track (None when nothing was found)."""
    from app.editing.commands import ReplaceAnnotations

    tracks = tracks_of(result, project, label)
    return ReplaceAnnotations(project, job_id, after=Annotations(tracks=tracks), text=text) if tracks else None
