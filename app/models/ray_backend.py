"""Auto-annotation on Ray: the same run as :func:`app.models.runner.run_detection`, sharded to actors.

The driver (the process that owns the project) plans nothing new: it takes the same work items,
options and writer. :class:`~app.models.ray_worker.FrameWorker` actors (one model replica each,
``num_gpus`` each when asked) annotate shards of frames; the driver reads each frame's payload (the
image file's bytes, or its path when the workers see the same storage; video frames decoded), keeps
at most two shards in flight per actor, and writes finished frames in run order through
:class:`~app.models.write_batches.FrameBatcher` -- the one writer, so SQLite and PostgreSQL projects
both work. A lost worker is replaced and its frames retried (:class:`~app.models.frame_ledger.FrameLedger`);
a function error aborts and reverts the run as in-process. The cancel token is checked every
``POLL`` seconds: in-flight shards are dropped and every finished frame is kept (whole frames only).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.work import CancelToken, ProgressClock, ProgressFn
from app.models.frame_ledger import FrameLedger, Shard
from app.models.runner import AutoAnnotationError, RunOptions, RunResult, WorkItem, Writer
from app.models.write_batches import FrameBatcher

if TYPE_CHECKING:
    from app.media.sources import FrameSource
    from app.models.recipe import FunctionRecipe

POLL = 0.1  # seconds between cancel checks while waiting for workers
IN_FLIGHT = 2  # shards per actor: one running, one queued so the actor never waits for the driver
FRAMES_AS = ("bytes", "paths")
INSTALL_HINT = ("Ray is not installed: install the cluster extra (`pip install fieldmark[cluster]`, or "
                "`.venv/bin/pip install ray==2.60.0`) to run auto-annotation on Ray")


class RayUnavailable(RuntimeError):
    """Ray cannot be imported or the cluster cannot be reached; the message says what to do."""


@dataclass
class RaySettings:
    address: str | None = None  # None: a local Ray started for the run; else an existing cluster
    workers: int = 2
    gpus_per_worker: float = 0.0
    cpus_per_worker: float = 1.0
    batch_size: int = 4  # frames per shard sent to an actor
    frames_as: str = "bytes"  # "bytes": the driver reads files; "paths": workers read the shared storage
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])  # actors are "fieldmark-<run_id>-<n>"

    def __post_init__(self) -> None:
        if self.workers < 1 or self.batch_size < 1:
            raise ValueError("Ray workers and batch size must be at least 1")
        if self.gpus_per_worker < 0 or self.cpus_per_worker <= 0:
            raise ValueError("GPUs per worker must be 0 or more and CPUs per worker more than 0")
        if self.frames_as not in FRAMES_AS:
            raise ValueError(f"frames as {self.frames_as!r}: use one of {', '.join(FRAMES_AS)}")

    def actor_name(self, n: int) -> str:
        return f"fieldmark-{self.run_id}-{n}"


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable(INSTALL_HINT) from exc
    return ray


@contextmanager
def ray_session(settings: RaySettings) -> Iterator[Any]:
    """Ray, connected: an already connected driver is used as it is (and left connected); otherwise a
    local Ray is started (no address) or the cluster at ``address`` joined, and left at the end."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    root = str(Path(__file__).resolve().parents[2])  # the folder holding the ``app`` package
    common = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
    try:
        if settings.address is None:
            path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
            cpus = max(os.cpu_count() or 1, int(settings.workers * settings.cpus_per_worker + 0.999))
            ray.init(address="local", num_cpus=cpus, runtime_env={"env_vars": {"PYTHONPATH": path}}, **common)
        else:
            # The cluster's nodes need Fieldmark's dependencies; our own code travels with the job.
            ray.init(address=settings.address, runtime_env={"py_modules": [str(Path(root) / "app")]},
                     log_to_driver=False, logging_level=logging.WARNING)
    except Exception as exc:  # noqa: BLE001 - Ray raises many kinds (ConnectionError, RuntimeError, ...)
        where = f"the Ray cluster at {settings.address}" if settings.address else "a local Ray"
        raise RayUnavailable(f"could not start or join {where}: {exc}") from exc
    try:
        yield ray
    finally:
        ray.shutdown()


class WorkerPool:
    """The run's actors by slot; a lost one is replaced in its slot."""

    def __init__(self, ray: Any, recipe: FunctionRecipe, task_labels: Sequence[Any], options: RunOptions,
                 settings: RaySettings) -> None:
        from app.models.ray_worker import FrameWorker

        self.ray, self.settings, self._made = ray, settings, 0
        self._cls = ray.remote(FrameWorker)
        self._args = (recipe, list(task_labels), options)
        self.actors = [self._new() for _ in range(settings.workers)]

    def _new(self) -> Any:
        actor = self._cls.options(name=self.settings.actor_name(self._made), num_cpus=self.settings.cpus_per_worker,
                                  num_gpus=self.settings.gpus_per_worker).remote(*self._args)
        self._made += 1
        return actor

    def check_ready(self) -> None:
        """Wait until every actor loaded the function; a set-up error (the same for all) raises."""
        from ray.exceptions import RayError

        try:
            errors = self.ray.get([actor.ready.remote() for actor in self.actors])
        except RayError as exc:
            raise AutoAnnotationError(f"a Ray worker died while loading the function: {exc}; "
                                      "nothing was written") from exc
        for error in errors:
            if error:
                raise AutoAnnotationError(error)

    def replace(self, slot: int, dead: Any) -> None:
        if self.actors[slot] is dead:
            self.actors[slot] = self._new()

    def peak_rss(self) -> list[int]:
        return list(self.ray.get([actor.peak_rss.remote() for actor in self.actors]))

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor, no_restart=True)


def payloads(items: Sequence[WorkItem], source: FrameSource, frames_as: str) -> Any:
    """A function giving one frame's payload for a worker: file bytes, a path string, or a decoded frame."""
    paths = getattr(source, "paths", None)
    if paths is None:  # video: the driver decodes
        return lambda item: source.read(item.frame)
    if frames_as == "paths":
        return lambda item: str(Path(paths[item.frame]).resolve())
    return lambda item: Path(paths[item.frame]).read_bytes()


def run_on_ray(recipe: FunctionRecipe, items: Sequence[WorkItem], source: FrameSource, task_labels: Sequence[Any],
               writer: Writer, options: RunOptions | None = None, settings: RaySettings | None = None, *,
               progress: ProgressFn | None = None, token: CancelToken | None = None) -> RunResult:
    """The run of :func:`~app.models.runner.run_detection`, on Ray workers; raises
    :class:`AutoAnnotationError` (nothing kept) or :class:`RayUnavailable`."""
    options, settings = options or RunOptions(), settings or RaySettings()
    recipe = recipe.resolved()
    with ray_session(settings) as ray:
        pool = WorkerPool(ray, recipe, task_labels, options, settings)
        try:
            pool.check_ready()
            result = _drive(ray, pool, items, payloads(items, source, settings.frames_as), writer, options,
                            progress, token)
            result.worker_peak_rss = pool.peak_rss()
            return result
        except AutoAnnotationError:
            writer.revert()
            raise
        finally:
            pool.close()


def _drive(ray: Any, pool: WorkerPool, items: Sequence[WorkItem], payload: Any, writer: Writer,
           options: RunOptions, progress: ProgressFn | None, token: CancelToken | None) -> RunResult:
    from ray.exceptions import RayError, RayTaskError

    result = RunResult(frames_total=len(items))
    clock = ProgressClock()
    ledger = FrameLedger(len(items), pool.settings.batch_size)
    batcher = FrameBatcher(writer, items, options, result)
    in_flight: dict[Any, tuple[Shard, int, Any]] = {}
    finished = 0

    def dispatch() -> None:
        """Fill each actor up to ``IN_FLIGHT`` shards. A retried shard runs alone on its actor: a worker
        that dies takes the unsent replies of its queue with it, so nothing may share it with a suspect."""
        for slot, actor in enumerate(pool.actors):
            mine = [s for s, n, a in in_flight.values() if n == slot and a is actor]
            while len(mine) < IN_FLIGHT and not any(s.tries for s in mine):
                shard = ledger.peek()
                if shard is None:
                    return
                if shard.tries and mine:
                    break
                ledger.next_shard()
                frames = [(i, items[i], payload(items[i])) for i in shard.indices]
                in_flight[actor.run.remote(frames)] = (shard, slot, actor)
                mine.append(shard)

    def write(resolved: list[tuple[int, Any]]) -> None:
        for index, frame in resolved:
            if frame is None:
                batcher.skip(index, items[index])
            else:
                batcher.add(index, items[index], frame[0], frame[1])

    while not ledger.complete:
        if token is not None and token.cancelled:
            result.cancelled = True
            break
        dispatch()
        if not in_flight:  # every frame resolved (the ledger's cursor catches up below) -- never spin
            break
        ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=POLL)
        for ref in ready:
            shard, slot, actor = in_flight.pop(ref)
            try:
                status, value = ray.get(ref)
            except RayTaskError as exc:  # not the function's error (the actor returns those): a broken worker
                raise AutoAnnotationError(f"a Ray worker failed: {exc}; nothing was written") from exc
            except RayError:  # the worker, its process or its node was lost
                given_up = ledger.lost(shard)
                result.failed += [f"frame {items[i].frame} ({items[i].name})" for i in given_up]
                pool.replace(slot, actor)
                value = []
            else:
                if status == "error":
                    raise AutoAnnotationError(value)
            for index, shapes, tags, seconds in value:
                ledger.finish(index, (shapes, tags))
                result.detect_seconds += seconds
                result.per_frame.append(seconds)
                finished += 1
            write(ledger.take_resolved())
            if progress is not None:
                last = items[shard.indices[-1]]
                progress(clock(finished, len(items), f"frame {last.frame}"))
    write(ledger.take_resolved(all_left=True))
    batcher.flush(False)
    result.seconds = clock.elapsed
    return result
