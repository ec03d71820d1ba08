"""Official checkpoints the app knows by name: file names, download URLs and SHA-256 where known.

Checksums are only listed where they were published by the model's authors and could be checked;
``sha256=None`` means *unknown*: :mod:`app.models.manager` then reports the file's own hash so the
user can compare it with the one on the release page, and never pretends it was verified.
"""

from __future__ import annotations

from dataclasses import dataclass

SAM2_BASE_URL = "https://dl.fbaipublicfiles.com/segment_anything_2/092824"
YOLO11_BASE_URL = "https://github.com/ultralytics/assets/releases/download/v8.3.0"


@dataclass(frozen=True)
class CatalogEntry:
    """One official checkpoint.

    Attributes
    ----------
    name:
        Short name used in the UI and CLI (``sam2.1-tiny``, ``yolo11n-pose``).
    family:
        ``sam2`` or ``yolo``.
    task:
        ``interactive`` (SAM), ``detect``, ``segment`` or ``pose``.
    filename:
        File name expected in the models folder.
    url:
        Official download address.
    sha256:
        Published SHA-256, or None when unknown.
    config:
        Package-relative config the checkpoint is built from (SAM 2 only).
    approx_mb:
        Approximate download size, for the UI.
    """

    name: str
    family: str
    task: str
    filename: str
    url: str
    sha256: str | None = None
    config: str | None = None
    approx_mb: int = 0

    @property
    def checksum_known(self) -> bool:
        return self.sha256 is not None


def _sam(size: str, short: str, mb: int) -> CatalogEntry:
    filename = f"sam2.1_hiera_{size}.pt"
    return CatalogEntry(
        name=f"sam2.1-{size.replace('_', '-')}", family="sam2", task="interactive", filename=filename,
        url=f"{SAM2_BASE_URL}/{filename}", config=f"configs/sam2.1/sam2.1_hiera_{short}.yaml", approx_mb=mb,
    )


def _yolo(stem: str, task: str, mb: int) -> CatalogEntry:
    return CatalogEntry(name=stem, family="yolo", task=task, filename=f"{stem}.pt",
                        url=f"{YOLO11_BASE_URL}/{stem}.pt", approx_mb=mb)


# SHA-256 values: neither Meta's download script nor the Ultralytics release page publishes them in a
# form we could verify offline, so they are left unknown (None) rather than invented.
CATALOG: tuple[CatalogEntry, ...] = (
    _sam("tiny", "t", 149),
    _sam("small", "s", 176),
    _sam("base_plus", "b+", 309),
    _sam("large", "l", 857),
    _yolo("yolo11n", "detect", 6),
    _yolo("yolo11s", "detect", 19),
    _yolo("yolo11n-seg", "segment", 6),
    _yolo("yolo11s-seg", "segment", 20),
    _yolo("yolo11n-pose", "pose", 6),
    _yolo("yolo11s-pose", "pose", 20),
)


def find(name_or_filename: str) -> CatalogEntry | None:
    """The entry whose name or file name equals ``name_or_filename`` (case-insensitive), else None."""
    key = name_or_filename.strip().lower()
    for entry in CATALOG:
        if key in (entry.name.lower(), entry.filename.lower()):
            return entry
    return None
