"""Packaging pieces that can be checked without building (the build itself: packaging/check_package.sh)."""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import shlex
import sys
from pathlib import Path

import pytest

from app.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def _load_entry():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("fieldmark_packaging_entry", PACKAGING / "entry.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cpu_build_hides_gpus_even_when_the_user_set_them(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _load_entry()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.delenv("YOLO_OFFLINE", raising=False)
    entry.configure_environment({"flavour": "cpu"})
    assert os.environ["CUDA_VISIBLE_DEVICES"] == ""
    assert os.environ["YOLO_OFFLINE"] == "1"


def test_cuda_build_keeps_the_users_gpu_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _load_entry()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    monkeypatch.setenv("YOLO_OFFLINE", "0")
    entry.configure_environment({"flavour": "cuda"})
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "1"
    assert os.environ["YOLO_OFFLINE"] == "0"


def test_build_info_is_read_from_the_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _load_entry()
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert entry.build_info() == {}
    (tmp_path / entry.BUILD_INFO).write_text(json.dumps({"flavour": "cpu"}), encoding="utf-8")
    assert entry.build_info() == {"flavour": "cpu"}


def test_desktop_entry_runs_a_real_command_and_names_the_icon() -> None:
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # keys are case-sensitive
    desktop.read(PACKAGING / "fieldmark.desktop", encoding="utf-8")
    entry = desktop["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    program, *args = shlex.split(entry["Exec"])
    assert program == "fieldmark"
    cli_args = [a for a in args if not a.startswith("%")]
    parsed = build_parser().parse_args([*cli_args, "project.fmproj"])
    assert parsed.command == "open" and parsed.path == "project.fmproj"
    assert (ROOT / "resources" / f"{entry['Icon']}.png").is_file()
    # Double-click on a project or a field package: the types the desktop entry claims are defined with their globs.
    mime = (PACKAGING / "fieldmark-mime.xml").read_text(encoding="utf-8")
    for mime_type, glob in (("application/x-fieldmark-project", "*.fmproj"), ("application/x-fieldmark-package", "*.fmpkg")):
        assert mime_type in entry["MimeType"].split(";") and f'type="{mime_type}"' in mime and f'"{glob}"' in mime
    assert build_parser().parse_args([*cli_args, "job.fmpkg"]).path == "job.fmpkg"


def test_spec_bundles_what_is_read_as_files_at_run_time() -> None:
    spec = (PACKAGING / "fieldmark.spec").read_text(encoding="utf-8")
    assert '"app" / "storage" / "migrations"' in spec  # Alembic loads env.py and versions/*.py as files
    migrations = ROOT / "app" / "storage" / "migrations"
    assert (migrations / "env.py").is_file() and (migrations / "script.py.mako").is_file()
    assert 'extension_libraries("torchvision")' in spec  # torchvision's ops (see docs/packaging.md)
