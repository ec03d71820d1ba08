"""Compare frames in worker processes (frames are independent), results in input order.

Work comes as *chunks* (a few dozen frames each) that a picklable ``load(chunk, labels, context)``
function turns into (GT frame, job frame) pairs inside the worker, so reading and converting run in
parallel too. Each worker builds its :class:`FrameComparator` once. Chunk ``i`` goes to worker
``i mod n`` and every worker answers in order, so the results come back in the order the chunks were
given (the report equals a one-process run, bit for bit); at most a few chunks per worker are in flight,
so memory stays bounded however long the job is.

Workers are plain ``python -m app.quality.parallel`` processes talking pickles over pipes: they do not
re-import the caller's main module and do not inherit its threads (the GUI's Qt threads). Short jobs,
one-CPU machines and ``FIELDMARK_QUALITY_WORKERS=1`` compare in this process.
"""

from __future__ import annotations

import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from app.core.gc_pause import paused_gc
from app.domain.labels import Label
from app.quality.frame_compare import FrameComparator, FrameResult
from app.quality.objects import LabelIndex, QFrame
from app.quality.settings import QualitySettings

#: ``load(chunk, labels, context) -> [(gt_frame, job_frame), ...]``; a module-level function (picklable).
Loader = Callable[[Any, LabelIndex, Any], Sequence[tuple[QFrame, QFrame]]]
CHUNK_FRAMES = 32  # large enough to amortise the transfer, small enough to balance the workers
MIN_FRAMES_FOR_WORKERS = 96
IN_FLIGHT_PER_WORKER = 3
_HEADER = struct.Struct("<Q")
#: First argument that makes the packaged (frozen) binary run a worker (see packaging/entry.py).
WORKER_FLAG = "--fieldmark-quality-worker"


class WorkerError(RuntimeError):
    """A worker process failed without an exception of its own (it died or could not start)."""


def worker_count(frames: int | None = None) -> int:
    """Processes to compare ``frames`` frames with: the CPUs this process may use, 1 for short jobs.
    ``FIELDMARK_QUALITY_WORKERS`` overrides (1 = in this process)."""
    forced = os.environ.get("FIELDMARK_QUALITY_WORKERS", "").strip()
    if forced.isdigit() and int(forced) > 0:
        return int(forced)
    if frames is not None and frames < MIN_FRAMES_FOR_WORKERS:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, cpus)


class _Comparer:
    def __init__(self, settings: QualitySettings, labels: list[Label], context: Any) -> None:
        self.index = LabelIndex(labels)
        self.comparator = FrameComparator(settings, self.index)
        self.context = context

    def __call__(self, load: Loader, chunk: Any) -> list[tuple[FrameResult, str]]:
        with paused_gc():
            pairs = load(chunk, self.index, self.context)
            return [(self.comparator.compare(gt, ds), ds.name) for gt, ds in pairs]


def compare_chunks(settings: QualitySettings, labels: list[Label], chunks: Iterable[Any], load: Loader,
                   context: Any = None, *, workers: int = 1) -> Iterator[tuple[FrameResult, str]]:
    """(frame result, job frame name) for every pair the chunks hold, in chunk order.

    ``labels`` are the dataset labels the comparison uses (:class:`LabelIndex` input). With ``workers`` > 1
    the chunks are compared in that many processes; an exception raised there is raised here."""
    if workers <= 1:
        comparer = _Comparer(settings, labels, context)
        for chunk in chunks:
            yield from comparer(load, chunk)
        return
    pool = [_Worker((settings, labels, context)) for _ in range(workers)]
    try:
        sent = received = 0
        for chunk in chunks:
            pool[sent % workers].send((load, chunk))
            sent += 1
            while sent - received >= workers * IN_FLIGHT_PER_WORKER:
                yield from pool[received % workers].receive()
                received += 1
        while received < sent:
            yield from pool[received % workers].receive()
            received += 1
    finally:
        for worker in pool:
            worker.close()


class _Worker:
    """One worker process: a feeder thread writes its tasks (so a full pipe never blocks the reader)."""

    def __init__(self, init: tuple) -> None:
        # The worker must import the caller's code: its search path ('' = the current folder), and -P so
        # that ``-m`` does not put the current folder first (a source tree there would shadow the caller's).
        paths = [p or os.getcwd() for p in sys.path]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(dict.fromkeys(paths)))
        frozen = getattr(sys, "frozen", False)
        command = [sys.executable, WORKER_FLAG] if frozen else [sys.executable, "-P", "-m", __name__]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=env)
        self.tasks: queue.Queue = queue.Queue()
        self.feeder = threading.Thread(target=self._feed, daemon=True)
        self.feeder.start()
        self.tasks.put(init)

    def _feed(self) -> None:
        stdin = self.process.stdin
        try:
            while (task := self.tasks.get()) is not None:
                _write(stdin, task)  # type: ignore[arg-type]
            stdin.close()  # type: ignore[union-attr]
        except (OSError, ValueError):
            pass  # the worker is gone; receive() reports it

    def send(self, task: tuple) -> None:
        self.tasks.put(task)

    def receive(self) -> list[tuple[FrameResult, str]]:
        message = _read(self.process.stdout)  # type: ignore[arg-type]
        if message is None:
            raise WorkerError(f"a quality worker process ended unexpectedly (exit code {self.process.poll()})")
        ok, value = message
        if not ok:
            raise value
        return value

    def close(self) -> None:
        self.tasks.put(None)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass
        self.feeder.join(timeout=5)


def _write(stream: IO[bytes], obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    return pickle.loads(data) if len(data) == size else None


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The worker loop: an init message, then (load, chunk) tasks, answered (ok, results | exception)."""
    init = _read(stdin)
    if init is None:
        return
    comparer = _Comparer(*init)
    while (task := _read(stdin)) is not None:
        try:
            answer: tuple[bool, Any] = (True, comparer(*task))
        except Exception as exc:  # noqa: BLE001 - handed to the caller, who raises it
            try:
                pickle.dumps(exc)
            except Exception:  # noqa: BLE001
                exc = WorkerError(f"{type(exc).__name__}: {exc}")
            answer = (False, exc)
        _write(stdout, answer)


def chunk_list(items: Iterable[Any], size: int = CHUNK_FRAMES) -> Iterator[list[Any]]:
    """Consecutive lists of ``size`` items (the last one shorter)."""
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def worker_main() -> int:
    """A worker process's entry (``python -m app.quality.parallel``, or the packaged binary with
    :data:`WORKER_FLAG`)."""
    answers = sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the answers
    serve(sys.stdin.buffer, answers)
    return 0


if __name__ == "__main__":
    from app.quality import parallel as _module  # this module's own names (pickled exceptions)

    sys.exit(_module.worker_main())
