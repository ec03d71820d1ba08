"""Entry points for comparing annotation sets held in memory (domain objects), used by the services,
the consensus view and tests: one frame, or a whole job over a list of frames.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.annotations import Annotations
from app.domain.labels import Label
from app.quality.frame_compare import FrameComparator, FrameResult
from app.quality.frames import FrameMeta, build_frames
from app.quality.objects import LabelIndex
from app.quality.report import Report, job_report
from app.quality.settings import QualitySettings


def compare_frame(labels: Sequence[Label], gt: Annotations, ds: Annotations, *, width: int, height: int,
                  settings: QualitySettings | None = None, frame: int = 0, gt_job_id: int = 0,
                  ds_job_id: int = 1) -> FrameResult:
    """Compare the annotations of one frame (``frame``) of two jobs."""
    settings = settings or QualitySettings()
    index = LabelIndex(labels)
    meta = [FrameMeta(frame, str(frame), width, height)]
    g = build_frames(gt, meta, index, gt_job_id)[frame]
    d = build_frames(ds, meta, index, ds_job_id)[frame]
    return FrameComparator(settings, index).compare(g, d)


def compare_jobs(labels: Sequence[Label], gt: Annotations, ds: Annotations, frames: Sequence[FrameMeta], *,
                 total_frames: int, settings: QualitySettings | None = None, gt_job_id: int = 0,
                 ds_job_id: int = 1, inherited: bool = False) -> Report:
    """A job report for ``ds`` against ``gt`` over ``frames`` (the validation frames inside the job)."""
    settings = settings or QualitySettings()
    index = LabelIndex(labels)
    g = build_frames(gt, frames, index, gt_job_id)
    d = build_frames(ds, frames, index, ds_job_id)
    comparator = FrameComparator(settings, index)
    return job_report(comparator, [(g[m.frame_id], d[m.frame_id]) for m in frames], total_frames,
                      settings.parameters(inherited=inherited))
