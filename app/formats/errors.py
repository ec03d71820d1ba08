"""Errors raised by format readers and writers. Messages name the file, the element or line, and why."""

from __future__ import annotations

from pathlib import Path


class FormatError(Exception):
    """A dataset file cannot be read or written as asked.

    Parameters
    ----------
    file:
        The file (or folder) concerned.
    where:
        The element or position in it, e.g. ``"line 12, <box>"``; empty when the whole file is meant.
    reason:
        What is wrong, in words for the user.
    """

    def __init__(self, file: str | Path, where: str, reason: str) -> None:
        self.file = str(file)
        self.where = where
        self.reason = reason
        super().__init__(f"{self.file}: {where}: {reason}" if where else f"{self.file}: {reason}")
