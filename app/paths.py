"""Default locations (platformdirs): projects, settings, model cache, logs.

``FIELDMARK_HOME`` overrides all of them with one folder (tests, portable builds).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Fieldmark"


def _base(kind: str) -> Path:
    home = os.environ.get("FIELDMARK_HOME")
    if home:
        path = Path(home) / kind
    else:
        getter = {
            "data": platformdirs.user_data_dir,
            "config": platformdirs.user_config_dir,
            "cache": platformdirs.user_cache_dir,
            "log": platformdirs.user_log_dir,
        }[kind]
        path = Path(getter(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    return _base("data")


def projects_dir() -> Path:
    path = data_dir() / "projects"
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    return _base("config")


def cache_dir() -> Path:
    return _base("cache")


def models_dir() -> Path:
    """Where model checkpoints live; users drop files here."""
    path = cache_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    return _base("log")


def log_file() -> Path:
    """The application's log file (written by the GUI, shown by Help → Open log folder)."""
    return log_dir() / "fieldmark.log"
