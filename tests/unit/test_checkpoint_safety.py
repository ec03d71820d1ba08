"""Checkpoints must not run code: a pickle that writes a marker file is refused by every loader before
any library unpickles it (the marker never appears); genuine checkpoints load without a trust step;
a file the user trusts (by SHA-256) is let through."""

from __future__ import annotations

import builtins
import pickle
from pathlib import Path

import pytest

from app.models.checkpoint_scan import UnsafeCheckpointError, scan
from app.models.manager import ModelManager, UnsafeModelError


class _WritesFile:
    """Unpickling this runs ``exec`` that creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return builtins.exec, (f"open({str(self.marker)!r}, 'w').close()",)


class _CallsYolo:
    """Unpickling this would call ``ultralytics.YOLO(other_file)``: a class *called* from the pickle."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        from ultralytics import YOLO

        return YOLO, (str(self.target),)


def _torch_save(obj: object, path: Path) -> Path:
    import torch

    torch.save(obj, path)
    return path


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "pwned.txt"


@pytest.fixture
def evil_zip(tmp_path: Path, marker: Path) -> Path:
    return _torch_save({"model": _WritesFile(marker)}, tmp_path / "yolo_evil.pt")


def test_scan_refuses_code_and_names_it(tmp_path: Path, evil_zip: Path, marker: Path) -> None:
    with pytest.raises(UnsafeCheckpointError, match="builtins.exec"):
        scan(evil_zip)
    legacy = tmp_path / "legacy.pth"
    legacy.write_bytes(pickle.dumps({"state": _WritesFile(marker)}, protocol=2))
    with pytest.raises(UnsafeCheckpointError, match="builtins.exec"):
        scan(legacy)
    assert not marker.exists()


def test_scan_refuses_a_library_class_called_from_the_pickle(tmp_path: Path, marker: Path) -> None:
    path = _torch_save({"model": _CallsYolo(tmp_path / "other.pt")}, tmp_path / "chain.pt")
    with pytest.raises(UnsafeCheckpointError, match="calls ultralytics"):
        scan(path)


def test_scan_refuses_torchscript(tmp_path: Path) -> None:
    import torch

    path = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), str(path))
    with pytest.raises(UnsafeCheckpointError, match="TorchScript"):
        scan(path)


def test_genuine_checkpoints_pass(tmp_path: Path) -> None:
    import torch

    from app.models.ultralytics_env import import_yolo

    yolo = import_yolo()("yolo11n.yaml")
    yolo.save(str(tmp_path / "yolo11n.pt"))
    scan(tmp_path / "yolo11n.pt")
    state = {"model": torch.nn.Conv2d(3, 4, 3).state_dict(), "step": torch.tensor([1], dtype=torch.int64)}
    scan(_torch_save(state, tmp_path / "state.pt"))
    legacy = tmp_path / "legacy.pt"
    torch.save(state, legacy, _use_new_zipfile_serialization=False)
    scan(legacy)


def test_malicious_object_hidden_in_a_real_yolo_checkpoint(tmp_path: Path, marker: Path) -> None:
    import torch

    from app.models.ultralytics_env import import_yolo
    from app.models.yolo import YoloFunction

    real = tmp_path / "real.pt"
    import_yolo()("yolo11n.yaml").save(str(real))
    ckpt = torch.load(real, map_location="cpu", weights_only=False)
    ckpt["train_args"] = {"hook": _WritesFile(marker)}
    tampered = _torch_save(ckpt, tmp_path / "yolo11n_tampered.pt")
    with pytest.raises(UnsafeModelError, match="refused to load.*builtins.exec"):
        YoloFunction(tampered, device="cpu")
    assert not marker.exists()


def test_every_loader_refuses_before_unpickling(tmp_path: Path, evil_zip: Path, marker: Path) -> None:
    from app.models.adapters import function_for_model
    from app.models.sam2_image import Sam2Error, Sam2Interactor
    from app.models.torchvision_detectors import CheckpointError, load_detector
    from app.models.trackers.base import TrackerError
    from app.models.trackers.sam2_video import build_model
    from app.models.yolo import YoloFunction

    with pytest.raises(UnsafeModelError, match="fieldmark models trust"):
        YoloFunction(evil_zip, device="cpu")
    # the adapter picks Ultralytics for a file that mentions it
    sniffed = _torch_save({"model": _WritesFile(marker), "by": "ultralytics"}, tmp_path / "sniffed.pt")
    with pytest.raises(UnsafeModelError):
        function_for_model(str(sniffed))
    with pytest.raises(CheckpointError, match="refused to load"):
        load_detector(evil_zip)
    sam = tmp_path / "sam2.1_hiera_tiny.pt"
    sam.write_bytes(evil_zip.read_bytes())
    with pytest.raises(Sam2Error, match="refused to load"):
        Sam2Interactor(sam, device="cpu").load()
    with pytest.raises(TrackerError, match="refused to load"):
        build_model(sam, device="cpu")
    assert not marker.exists()


def test_trust_is_recorded_with_the_hash(tmp_path: Path, evil_zip: Path, marker: Path) -> None:
    manager = ModelManager(tmp_path / "models")
    with pytest.raises(UnsafeModelError, match="SHA-256"):
        manager.ensure_safe(evil_zip)
    digest = manager.trust(evil_zip)
    manager.ensure_safe(evil_zip)  # trusted: let through (it is the library that then unpickles it)
    assert digest in (tmp_path / "models" / "trusted.json").read_text()
    with evil_zip.open("ab") as handle:  # other bytes, other hash: no longer trusted
        handle.write(b"\0")
    with pytest.raises(UnsafeModelError):
        manager.ensure_safe(evil_zip)
    assert not marker.exists()


def test_add_with_trust(tmp_path: Path, marker: Path) -> None:
    source = _torch_save({"model": _WritesFile(marker)}, tmp_path / "custom.pt")
    manager = ModelManager(tmp_path / "models")
    target = manager.add(source, trust=True)
    manager.ensure_safe(target)
    assert not marker.exists()


def test_files_that_cannot_be_checked_are_refused(tmp_path: Path, marker: Path) -> None:
    """A protocol-0 pickle after a harmless first pickle, a non-pickle (e.g. a tar checkpoint) and a
    pickle dressed up as .safetensors are refused; a real safetensors header passes."""
    hidden = tmp_path / "two.pth"
    hidden.write_bytes(pickle.dumps(1, protocol=2) + pickle.dumps(_WritesFile(marker), protocol=0))
    with pytest.raises(UnsafeCheckpointError, match="builtins.exec"):
        scan(hidden)
    tar = tmp_path / "old.tar.pt"
    tar.write_bytes(b"sys_info" + b"\0" * 600)
    with pytest.raises(UnsafeCheckpointError, match="neither"):
        scan(tar)
    fake = tmp_path / "fake.safetensors"
    fake.write_bytes(pickle.dumps(_WritesFile(marker), protocol=2))
    with pytest.raises(UnsafeCheckpointError):
        scan(fake)
    real = tmp_path / "real.safetensors"
    real.write_bytes((2).to_bytes(8, "little") + b"{}")
    scan(real)
    assert not marker.exists()
