"""A job report from a project's store: frames read here chunk by chunk, converted and compared by the
shared parallel code (:mod:`app.quality.parallel`), the way ``quality compare`` compares two files."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from app.domain.labels import Label
from app.quality.frames import FrameMeta, StoreFrames, load_store_pairs
from app.quality.objects import LabelIndex
from app.quality.parallel import CHUNK_FRAMES, chunk_list, compare_chunks, worker_count
from app.quality.report import Report, paused_gc, report_from_results
from app.quality.settings import QualitySettings


def store_job_report(settings: QualitySettings, labels: Sequence[Label], gt: StoreFrames, ds: StoreFrames,
                     metas: Sequence[FrameMeta], total_frames: int, parameters: dict[str, Any], *,
                     progress: Any = None, workers: int | None = None) -> Report:
    """Compare the job ``ds`` with the GT job ``gt`` on ``metas`` (GT frames inside the job, in order).
    ``progress(done, count)`` after every frame; it may raise to cancel (the workers are stopped)."""

    def chunks() -> Iterator[tuple]:
        for part in chunk_list(metas, CHUNK_FRAMES):
            yield part, gt.annotations(part), ds.annotations(part)

    index = LabelIndex(labels)
    matrix_labels = [index.labels[i].name for i in index.top_level()] + ["unmatched"]
    context = (gt.tracks, ds.tracks, gt.job_id, ds.job_id)
    count = worker_count(len(metas)) if workers is None else workers
    results = compare_chunks(settings, list(labels), chunks(), load_store_pairs, context, workers=count)
    try:
        with paused_gc():
            return report_from_results(results, total_frames, parameters, matrix_labels,
                                       settings.empty_is_annotated, progress=progress, count=len(metas))
    finally:
        results.close()  # stops the workers at once when progress cancels
