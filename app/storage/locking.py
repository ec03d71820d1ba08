"""One writer per project file: an advisory lock on ``<project>.lock`` held for the session.

The OS releases the lock when the process dies (even on SIGKILL), so a crash never leaves a stale
lock. The lock file names the holder (pid, host) for the message the second instance shows.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

from app.storage.errors import ProjectLockedError

if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def lock_path_for(project_path: Path) -> Path:
    return project_path.with_name(project_path.name + ".lock")


class ProjectLock:
    """Exclusive write lock of a project. ``acquire`` raises :class:`ProjectLockedError` when held."""

    def __init__(self, project_path: Path) -> None:
        self.path = lock_path_for(project_path)
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            holder = self._read_holder(fd)
            os.close(fd)
            raise ProjectLockedError(
                f"The project is in use by another Fieldmark window ({holder}). "
                "Close it there, or open this project read-only."
            )
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode())
        self._fd = fd

    @staticmethod
    def _read_holder(fd: int) -> str:
        try:
            info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        except (OSError, ValueError):
            return "unknown process"
        return f"process {info.get('pid', '?')} on {info.get('host', '?')}"

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            _unlock(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None
