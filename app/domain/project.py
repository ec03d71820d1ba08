"""Project structure records (tasks, jobs, frames), as the store hands them out. CVAT's model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.domain.enums import JobStage, JobState, JobType, TaskMode


@dataclass
class FrameInfo:
    """One frame of a task. ``name`` is the image's name as CVAT reports it (relative path);
    ``path`` is where the media is, relative to the project file (or absolute), empty for video frames.
    """

    index: int
    name: str
    width: int
    height: int
    path: str = ""


@dataclass
class TaskInfo:
    id: int
    name: str
    mode: TaskMode = TaskMode.ANNOTATION
    media_type: str = "images"  # "images" | "video"
    video_path: str = ""  # relative to the project file when the task is a video
    size: int = 0
    segment_size: int = 0
    overlap: int = 0
    consensus_replicas: int = 0
    subset: str = ""
    created: str = ""
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class JobInfo:
    id: int
    task_id: int
    type: JobType = JobType.ANNOTATION
    stage: JobStage = JobStage.ANNOTATION
    state: JobState = JobState.NEW
    start_frame: int = 0
    stop_frame: int = 0
    frames: list[int] | None = None  # explicit frame set (GT jobs, honeypots); None means the range
    parent_id: int | None = None
    assignee: str = ""
    revision: int = 0  # bumped on every annotation change (reports compare it)
    created: str = ""
    updated: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    def frame_list(self) -> list[int]:
        """Task frame numbers of this job, in job order."""
        if self.frames is not None:
            return list(self.frames)
        return list(range(self.start_frame, self.stop_frame + 1))
