"""Model manager, catalog, registry and device selection (no network, no torch needed)."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from app.models import catalog
from app.models.device import DeviceError, describe, select_device, use_half
from app.models.manager import (
    BrokenModelError,
    DownloadCancelled,
    ModelError,
    ModelManager,
    ModelNotFoundError,
)
from app.models.registry import Registration, Registry, RegistryError


def _checkpoint(path: Path, payload: bytes = b"weights") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
    return path


def test_catalog_has_official_checkpoints() -> None:
    names = {e.name for e in catalog.CATALOG}
    assert {"sam2.1-tiny", "sam2.1-small", "sam2.1-base-plus", "sam2.1-large", "yolo11n", "yolo11s",
            "yolo11n-seg", "yolo11s-seg", "yolo11n-pose", "yolo11s-pose"} <= names
    tiny = catalog.find("sam2.1_hiera_tiny.pt")
    assert tiny is not None and tiny.url.endswith("/092824/sam2.1_hiera_tiny.pt")
    assert tiny.config == "configs/sam2.1/sam2.1_hiera_t.yaml"
    assert catalog.find("YOLO11N-POSE").filename == "yolo11n-pose.pt"
    for entry in catalog.CATALOG:  # unknown checksums are None, never placeholders
        assert entry.sha256 is None or len(entry.sha256) == 64


def test_resolve_missing_catalog_model_says_what_to_put_where(tmp_path: Path) -> None:
    manager = ModelManager(tmp_path)
    with pytest.raises(ModelNotFoundError) as err:
        manager.resolve("yolo11n")
    message = str(err.value)
    assert "yolo11n.pt" in message and str(tmp_path) in message and "https://" in message


def test_resolve_paths_names_and_registered(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    manager = ModelManager(models)
    own = _checkpoint(tmp_path / "mine.pt")
    assert manager.resolve(own) == own.resolve()
    added = manager.add(own)
    assert added == models / "mine.pt" and added.read_bytes() == own.read_bytes()
    assert manager.resolve("mine.pt") == added
    _checkpoint(models / "yolo11n.pt")
    assert manager.resolve("yolo11n") == models / "yolo11n.pt"
    registry = Registry(tmp_path / "models.json")
    registry.add(Registration("my detector", "model", str(added)))
    assert ModelManager(models, registry).resolve("my detector") == added
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        manager.resolve(tmp_path / "nope.pt")
    with pytest.raises(ModelNotFoundError, match="unknown model"):
        manager.resolve("nonsense")
    assert {m.name for m in manager.installed()} == {"mine.pt", "yolo11n"}


def test_broken_files_are_reported(tmp_path: Path) -> None:
    manager = ModelManager(tmp_path)
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(BrokenModelError, match="empty"):
        manager.resolve("empty.pt")
    good = _checkpoint(tmp_path / "good.pt", b"x" * 5000).read_bytes()
    (tmp_path / "cut.pt").write_bytes(good[: len(good) // 2])
    with pytest.raises(BrokenModelError, match="truncated"):
        manager.resolve("cut.pt")
    (tmp_path / "text.pt").write_text("<html>not found</html>")
    with pytest.raises(BrokenModelError, match="not a PyTorch checkpoint"):
        manager.resolve("text.pt")
    result = manager.verify("cut.pt")
    assert result.status == "broken" and not result.ok
    assert manager.verify("yolo11s").status == "missing"


def test_verify_checksums(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _checkpoint(tmp_path / "yolo11n.pt")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    manager = ModelManager(tmp_path)
    unverified = manager.verify("yolo11n")
    assert unverified.status == "unverified" and unverified.sha256 == digest and unverified.ok
    entry = catalog.find("yolo11n")
    monkeypatch.setattr(catalog, "CATALOG", tuple(
        e if e is not entry else catalog.CatalogEntry(**{**e.__dict__, "sha256": digest}) for e in catalog.CATALOG))
    assert manager.verify("yolo11n").status == "ok"
    monkeypatch.setattr(catalog, "CATALOG", tuple(
        e if e.name != "yolo11n" else catalog.CatalogEntry(**{**e.__dict__, "sha256": "0" * 64})
        for e in catalog.CATALOG))
    bad = manager.verify("yolo11n")
    assert bad.status == "mismatch" and "download it again" in bad.message
    (tmp_path / "src").mkdir()
    elsewhere = _checkpoint(tmp_path / "src" / "yolo11n.pt")
    with pytest.raises(BrokenModelError, match="does not match"):
        ModelManager(tmp_path / "other").add(elsewhere)


class _Response(io.BytesIO):
    def __init__(self, data: bytes, length: int | None = None) -> None:
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data) if length is None else length)}


def test_download_only_on_request_with_progress_and_cancel(tmp_path: Path) -> None:
    payload = _checkpoint(tmp_path / "src.pt", b"y" * 3_000_000).read_bytes()
    calls: list[tuple[str, float]] = []

    def opener(url: str, timeout: float) -> _Response:
        calls.append((url, timeout))
        return _Response(payload)

    manager = ModelManager(tmp_path / "models")
    seen: list[int] = []
    path = manager.download("yolo11n", timeout=5, progress=lambda done, total: seen.append(done), opener=opener)
    assert path.read_bytes() == payload and calls == [(catalog.find("yolo11n").url, 5)] and seen[-1] == len(payload)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(DownloadCancelled):
        manager.download("yolo11s", cancel=cancel, opener=opener)
    with pytest.raises(ModelError, match="stopped at"):
        manager.download("yolo11s", opener=lambda url, timeout: _Response(payload[:100], len(payload)))

    def offline(url: str, timeout: float) -> _Response:
        raise OSError("Network is unreachable")

    with pytest.raises(ModelError, match="copy yolo11s.pt into the models folder"):
        manager.download("yolo11s", opener=offline)
    assert not (tmp_path / "models" / "yolo11s.pt").exists()
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["yolo11n.pt"]  # no partial files left


def test_registry_roundtrip_and_errors(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "models.json")
    registry.add(Registration("ocr", "function-file", "/x/ocr.py", ["lang=str:en"]))
    with pytest.raises(RegistryError, match="already registered"):
        registry.add(Registration("ocr", "function-module", "m"))
    again = Registry(tmp_path / "models.json")
    assert again.get("ocr").params == ["lang=str:en"] and len(again) == 1
    again.remove("ocr")
    assert len(Registry(tmp_path / "models.json")) == 0
    with pytest.raises(RegistryError, match="kind"):
        Registration("x", "weird", "y")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(RegistryError, match="bad.json"):
        Registry(tmp_path / "bad.json")


def test_device_selection_without_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.models.device as device

    assert select_device("cpu") == "cpu"
    monkeypatch.setattr(device, "cuda_available", lambda: False)
    assert select_device("auto") == "cpu" and select_device("cuda") == "cpu"
    assert "no usable CUDA GPU" in describe("cuda", threads=1)
    assert describe("cpu", threads=2) == "CPU, 2 threads"
    assert use_half("cuda:0") and not use_half("cpu")
    monkeypatch.setattr(device, "cuda_available", lambda: True)
    assert select_device("auto") == "cuda"
    with pytest.raises(DeviceError):
        select_device("tpu")


def test_importing_models_package_does_not_load_torch() -> None:
    code = ("import sys, importlib, pkgutil, app.models as m\n"
            "for i in pkgutil.iter_modules(m.__path__): importlib.import_module('app.models.' + i.name)\n"
            "bad = [n for n in ('torch', 'ultralytics', 'sam2', 'torchvision', 'PySide6') if n in sys.modules]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
