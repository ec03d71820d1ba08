"""Finding the parts of a YOLO dataset: data.yaml (Ultralytics) or obj.data (Darknet), subsets and their
image lists, and each image's label file. Classification layouts (``<subset>/<class>/<image>``) too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.formats.errors import FormatError
from app.formats.validate import path_entry, read_text
from app.media.images import IMAGE_SUFFIXES

_DARKNET_KEYS = {"classes", "names", "backup", "eval", "results", "map"}  # obj.data keys that are not subsets
RESERVED = {"path", "names", "kpt_shape", "flip_idx", "backup", "classes", "nc", "download", "yaml_file", "channels",
            "kpt_names"}


@dataclass
class Layout:
    root: Path
    kind: str  # "ultralytics" | "darknet" | "classification"
    names: list[str]
    subsets: dict[str, list[Path]] = field(default_factory=dict)  # subset -> image paths (may not exist)
    config: dict[str, Any] = field(default_factory=dict)
    config_file: Path | None = None


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(read_text(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise FormatError(path, where, f"malformed YAML: {getattr(exc, 'problem', exc)}") from exc
    except OSError as exc:
        raise FormatError(path, "", f"cannot read the file: {exc.strerror or exc}") from exc
    if not isinstance(data, dict):
        raise FormatError(path, "", "a YOLO data file must be a mapping (path, train, val, names, ...)")
    return data


def _names(raw: Any, file: Path) -> list[str]:
    if isinstance(raw, list):
        return [str(n) for n in raw]
    if isinstance(raw, dict):
        try:
            indexed = {int(k): str(v) for k, v in raw.items()}
        except (TypeError, ValueError):
            raise FormatError(file, "names", "class indices in 'names' must be integers") from None
        if sorted(indexed) != list(range(len(indexed))):
            raise FormatError(file, "names", "class indices in 'names' must be 0..n-1")
        return [indexed[i] for i in range(len(indexed))]
    raise FormatError(file, "names", "'names' must be a list or a mapping of class index to name")


def clean_entry(entry: str) -> str:
    """A list-file or YAML image path relative to the dataset root: ``./`` and Darknet/Datumaro ``data/`` stripped."""
    entry = entry.strip().replace("\\", "/")
    while entry.startswith("./"):
        entry = entry[2:]
    if entry.startswith("data/"):
        entry = entry[5:]
    return entry


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def _subset_images(root: Path, value: Any, file: Path, key: str) -> list[Path]:
    if isinstance(value, list):
        return [root / clean_entry(path_entry(str(v), file, f"{key}[{i}]")) for i, v in enumerate(value)]
    if not isinstance(value, str):
        raise FormatError(file, key, f"subset {key!r} must be a folder, a list file or a list of images")
    target = root / clean_entry(path_entry(value, file, key))
    if target.suffix == ".txt":
        if not target.is_file():
            raise FormatError(target, "", f"the image list of subset {key!r} does not exist")
        lines = read_text(target).splitlines()
        return [root / clean_entry(path_entry(line.strip(), target, f"line {n + 1}"))
                for n, line in enumerate(lines) if line.strip()]
    images = _images_in(target) if target.is_dir() else []
    if images:
        return images
    labels = Path(label_path(str(target) + os.sep + "x.jpg")).parent
    if labels.is_dir():  # images absent: the label files name the frames (extension unknown)
        return [target / p.stem for p in sorted(labels.glob("*.txt"))]
    if target.is_dir():
        return []
    raise FormatError(file, key, f"subset {key!r}: {value!r} is neither a folder nor a list file")


def label_path(image: str) -> str:
    """Ultralytics' rule: the last ``/images/`` becomes ``/labels/``, the extension ``.txt``."""
    sa, sb = f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}"
    image = os.path.normpath(image)
    if sa in image:
        image = sb.join(image.rsplit(sa, 1))
    return os.path.splitext(image)[0] + ".txt"


def find_layout(path: Path) -> Layout:
    path = Path(path)
    if not path.exists():
        raise FormatError(path, "", "the file does not exist")
    if path.is_file():
        root, config_file = path.parent, path
    else:
        root = path
        config_file = next((c for c in (path / "data.yaml", path / "data.yml", path / "obj.data") if c.is_file()), None)
        if config_file is None:
            config_file = next(iter(sorted(path.glob("*.yaml"))), None)
    if config_file is None:
        return _classification(root)
    if config_file.suffix == ".data":
        return _darknet(root, config_file)
    data = _load_yaml(config_file)
    if "names" not in data:
        raise FormatError(config_file, "", "'names' is missing")
    layout = Layout(root=root, kind="ultralytics", names=_names(data["names"], config_file), config=data,
                    config_file=config_file)
    for key, value in data.items():
        if key not in RESERVED and value:
            layout.subsets[str(key)] = _subset_images(root, value, config_file, str(key))
    if not layout.subsets:
        raise FormatError(config_file, "", "no subset (train/val/test ...) is listed")
    return layout


def _darknet(root: Path, config_file: Path) -> Layout:
    entries = {}
    for line in read_text(config_file).splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            entries[key.strip()] = value.strip()
    names_file = root / clean_entry(path_entry(entries.get("names", "obj.names"), config_file, "names"))
    if not names_file.is_file():
        raise FormatError(config_file, "names", f"the names file {names_file.name} does not exist")
    names = [n.strip() for n in read_text(names_file).splitlines() if n.strip()]
    layout = Layout(root=root, kind="darknet", names=names, config=entries, config_file=config_file)
    for key, value in entries.items():  # train, valid, val, test or any other subset Datumaro wrote
        if key not in _DARKNET_KEYS and value:
            layout.subsets[key] = _subset_images(root, value, config_file, key)
    if not layout.subsets:
        raise FormatError(config_file, "", "no subset (train = ..., valid = ...) is listed")
    return layout


def _classification(root: Path) -> Layout:
    subsets: dict[str, list[Path]] = {}
    names: list[str] = []
    for subset_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for class_dir in sorted(p for p in subset_dir.iterdir() if p.is_dir()):
            images = _images_in(class_dir)
            if images:
                subsets.setdefault(subset_dir.name, []).extend(images)
                if class_dir.name not in names:
                    names.append(class_dir.name)
    if not subsets:
        raise FormatError(root, "", "no data.yaml or obj.data, and no <subset>/<class>/<image> folders")
    return Layout(root=root, kind="classification", names=names, subsets=subsets)
