"""Pick the built-in adapter (Ultralytics YOLO or torchvision) for a model checkpoint."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from app.models.manager import ModelManager


def sniff(path: Path) -> str:
    """``yolo``, ``torchvision`` or ``unknown``, from the pickled names inside a torch zip checkpoint."""
    if path.suffix.lower() in (".yaml", ".yml"):
        return "yolo"
    try:
        with zipfile.ZipFile(path) as archive:
            pickles = [n for n in archive.namelist() if n.endswith("data.pkl")]
            data = archive.read(pickles[0]) if pickles else b""
    except (OSError, zipfile.BadZipFile, KeyError):
        return "unknown"
    if b"ultralytics" in data:
        return "yolo"
    if b"roi_heads" in data or b"classification_head" in data:
        return "torchvision"
    return "unknown"


def function_for_model(name_or_path: str, manager: ModelManager | None = None, **params: Any) -> Any:
    """A detection function for a checkpoint name or path (resolved by the model manager)."""
    text = str(name_or_path)
    if text.split(":", 1)[0].strip().lower() == "sam3" or text.lower().endswith(".safetensors"):
        return _sam3(text, manager, params)
    path = Path(text) if text.endswith((".yaml", ".yml")) else (manager or ModelManager()).resolve(text)
    kind = sniff(path)
    if kind == "yolo":
        from app.models.yolo import YoloFunction

        return YoloFunction(path, **params)
    if kind == "torchvision":
        from app.models.torchvision_detectors import TorchvisionFunction

        return TorchvisionFunction(path, **params)
    raise ValueError(f"{path}: not an Ultralytics YOLO or torchvision detector checkpoint; wrap other models "
                     "in a CVAT auto-annotation function (.py) instead")


def _sam3(text: str, manager: ModelManager | None, params: dict[str, Any]) -> Any:
    """SAM 3 (``sam3``, ``sam3:PATH`` or a SAM 3 ``.safetensors`` file): its labels are the task's labels,
    which the caller passes as ``labels``."""
    from app.models.sam3.concept import create

    labels = params.pop("labels", None)
    if labels is None:
        raise ValueError("SAM 3 finds the task's own labels: it must be run on a task (pass its labels)")
    spec = text if text.split(":", 1)[0].strip().lower() == "sam3" else f"sam3:{text}"
    return create(spec, labels=labels, manager=manager, **params)
