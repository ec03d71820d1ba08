"""Where models run: CUDA when available (half precision there), otherwise CPU; the user can choose.

The preference comes from :class:`app.settings.Preferences` (``device``: ``auto`` | ``cpu`` | ``cuda``
| ``cuda:N``; ``torch_threads``). torch is imported only when a CUDA answer is actually needed, so
``select_device("cpu")`` and importing this module never load it.
"""

from __future__ import annotations

from dataclasses import dataclass

VALID_PREFERENCES = ("auto", "cpu", "cuda")


class DeviceError(ValueError):
    """An unusable device preference."""


def _normalise(preference: str | None) -> str:
    if preference is None:
        from app import settings

        preference = settings.load().device
    text = str(preference).strip().lower() or "auto"
    base, _, index = text.partition(":")
    if base not in VALID_PREFERENCES or (index and (base != "cuda" or not index.isdigit())):
        raise DeviceError(f"device {preference!r} is not one of auto, cpu, cuda, cuda:N")
    return text


def cuda_available() -> bool:
    """Whether torch sees a usable CUDA device (imports torch)."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def select_device(preference: str | None = None) -> str:
    """The torch device string to use: ``"cuda"``/``"cuda:N"`` or ``"cpu"``.

    ``preference`` None reads the saved preferences. ``auto`` picks CUDA when available; an explicit
    ``cuda`` falls back to CPU when no GPU is usable (see :func:`describe` for the reason shown)."""
    text = _normalise(preference)
    if text == "cpu":
        return "cpu"
    if not cuda_available():
        return "cpu"
    if text.startswith("cuda:"):
        import torch

        index = int(text.split(":", 1)[1])
        return text if index < torch.cuda.device_count() else "cuda"
    return "cuda"


def use_half(device: str) -> bool:
    """Half precision helps on CUDA (tensor cores); on CPU fp16 is slower or unsupported."""
    return device.startswith("cuda")


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op thread count (from preferences when None); returns the value applied.

    One thread keeps a core free for the GUI on small machines (env-notes §3)."""
    if threads is None:
        from app import settings

        threads = settings.load().torch_threads
    threads = max(1, int(threads))
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


@dataclass(frozen=True)
class DeviceInfo:
    device: str
    half: bool
    name: str
    note: str = ""


def device_info(preference: str | None = None) -> DeviceInfo:
    text = _normalise(preference)
    device = select_device(text)
    if device == "cpu":
        note = "no usable CUDA GPU" if text.startswith("cuda") else ""
        return DeviceInfo("cpu", False, "CPU", note)
    import torch

    name = torch.cuda.get_device_name(torch.device(device))
    return DeviceInfo(device, use_half(device), name)


def describe(preference: str | None = None, threads: int | None = None) -> str:
    """One line for the UI, e.g. ``"CUDA: NVIDIA RTX 4070 (fp16)"`` or ``"CPU, 1 thread"``."""
    info = device_info(preference)
    if info.device == "cpu":
        if threads is None:
            from app import settings

            threads = settings.load().torch_threads
        text = f"CPU, {threads} thread{'s' if threads != 1 else ''}"
        return f"{text} ({info.note})" if info.note else text
    return f"CUDA {info.device}: {info.name}" + (" (fp16)" if info.half else "")
