"""Quality control as CVAT v2.73 defines it: comparison with Ground Truth, reports and roll-ups,
GT frame selection, honeypots, consensus merge, report storage and the validation workflow.

Qt-free. Main entry points: :func:`app.quality.service.compute_task` / ``compute_project`` (project
reports), :func:`app.quality.compare_files.compare_files` (two CVAT XML exports),
:mod:`app.quality.storage` (history, staleness), :mod:`app.quality.workflow`,
:mod:`app.quality.consensus`, :mod:`app.quality.gt_frames`, :mod:`app.quality.honeypots`.
See docs/quality.md.
"""
